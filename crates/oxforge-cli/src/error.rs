/// A failed command: what to say, the code for `--json`, and the exit status.
#[derive(Debug, Clone, thiserror::Error)]
#[error("{message}")]
pub struct CliError {
    pub message: String,
    pub code: String,
    pub status: Option<u16>,
    pub next_actions: Option<String>,
    pub exit: i32,
}

/// Exit codes (InsForge's CLI): 1 general, 2 auth, 3 not linked, 4 not found, 5 forbidden; and
/// oxforge's 64 (sysexits' EX_USAGE) for a command line that is wrong, so 2 always means auth.
pub mod exit {
    pub const GENERAL: i32 = 1;
    pub const AUTH: i32 = 2;
    pub const NOT_LINKED: i32 = 3;
    pub const NOT_FOUND: i32 = 4;
    pub const FORBIDDEN: i32 = 5;
    pub const USAGE: i32 = 64;
}

impl CliError {
    pub fn general(message: impl Into<String>) -> Self {
        CliError {
            message: message.into(),
            code: "ERROR".into(),
            status: None,
            next_actions: None,
            exit: exit::GENERAL,
        }
    }

    /// A wrong command line (a bad or missing argument): exit 64.
    pub fn usage(message: impl Into<String>) -> Self {
        CliError::general(message).with_code("USAGE", exit::USAGE)
    }

    pub fn with_code(mut self, code: &str, exit: i32) -> Self {
        self.code = code.into();
        self.exit = exit;
        self
    }

    pub fn with_next(mut self, next: impl Into<String>) -> Self {
        self.next_actions = Some(next.into());
        self
    }

    pub fn not_linked() -> Self {
        CliError {
            message: "This directory is not linked to a server".into(),
            code: "NOT_LINKED".into(),
            status: None,
            next_actions: Some(
                "Run `oxforge link --api-base-url <url> --api-key ik_…` or `oxforge login --url <url>`".into(),
            ),
            exit: exit::NOT_LINKED,
        }
    }

    /// From a server error envelope (or any HTTP failure).
    pub fn http(status: u16, code: Option<&str>, message: String, next_actions: Option<String>) -> Self {
        let exit = match status {
            401 => exit::AUTH,
            403 => exit::FORBIDDEN,
            404 => exit::NOT_FOUND,
            _ => exit::GENERAL,
        };
        CliError {
            message,
            code: code.unwrap_or("HTTP_ERROR").into(),
            status: Some(status),
            next_actions,
            exit,
        }
    }
}

impl From<std::io::Error> for CliError {
    fn from(e: std::io::Error) -> Self {
        CliError::general(e.to_string())
    }
}
