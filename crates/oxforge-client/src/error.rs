/// What can go wrong.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The server answered with an error: InsForge's envelope (`error`) or PostgREST's body (`code`).
    #[error("{status} {code}: {message}")]
    Api {
        status: u16,
        /// `AUTH_UNAUTHORIZED`, `PGRST116`, `23505`, …
        code: String,
        message: String,
        details: Option<String>,
        hint: Option<String>,
    },
    /// A storage call the server refused, typed ([`crate::StorageErrorKind`]).
    #[error(transparent)]
    Storage(#[from] crate::StorageError),
    #[error("request failed: {0}")]
    Http(#[from] reqwest::Error),
    /// A local file (an upload's source, a download's target).
    #[error("{0}")]
    Io(#[from] std::io::Error),
    #[error("unexpected response: {0}")]
    Decode(String),
    #[error("invalid base URL: {0}")]
    Url(String),
}

impl Error {
    /// The server's error code, if the server answered.
    pub fn code(&self) -> Option<&str> {
        match self {
            Error::Api { code, .. } => Some(code),
            Error::Storage(e) => Some(&e.code),
            _ => None,
        }
    }

    pub fn status(&self) -> Option<u16> {
        match self {
            Error::Api { status, .. } => Some(*status),
            Error::Storage(e) => Some(e.status),
            _ => None,
        }
    }

    /// What kind of storage failure this is, for errors of storage calls.
    pub fn storage_kind(&self) -> Option<crate::StorageErrorKind> {
        match self {
            Error::Storage(e) => Some(e.kind),
            _ => None,
        }
    }

    pub(crate) fn from_body(status: u16, body: &str) -> Error {
        let value: serde_json::Value = serde_json::from_str(body).unwrap_or(serde_json::Value::Null);
        let text = |k: &str| value.get(k).and_then(|v| v.as_str()).map(str::to_owned);
        Error::Api {
            status,
            code: text("error")
                .or_else(|| text("code"))
                .unwrap_or_else(|| "HTTP_ERROR".into()),
            message: text("message").unwrap_or_else(|| body.chars().take(200).collect()),
            details: text("details"),
            hint: text("hint"),
        }
    }
}
