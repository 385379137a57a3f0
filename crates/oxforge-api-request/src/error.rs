/// A request PostgREST would refuse before touching the database, with its `PGRST1xx` code.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{code}: {message}")]
pub struct ApiRequestError {
    pub code: &'static str,
    pub status: u16,
    pub message: String,
    pub details: Option<String>,
    pub hint: Option<String>,
}

impl ApiRequestError {
    /// PGRST100: the query string does not parse.
    pub fn parse(what: &str, input: &str, details: impl Into<String>) -> Self {
        ApiRequestError {
            code: "PGRST100",
            status: 400,
            message: format!("\"failed to parse {what} ({input})\""),
            details: Some(details.into()),
            hint: None,
        }
    }

    pub fn new(code: &'static str, status: u16, message: impl Into<String>) -> Self {
        ApiRequestError {
            code,
            status,
            message: message.into(),
            details: None,
            hint: None,
        }
    }

    pub fn with_details(mut self, details: impl Into<String>) -> Self {
        self.details = Some(details.into());
        self
    }

    pub fn with_hint(mut self, hint: impl Into<String>) -> Self {
        self.hint = Some(hint.into());
        self
    }
}
