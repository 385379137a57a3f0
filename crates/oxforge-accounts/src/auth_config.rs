//! The auth configuration (`auth.config`, one row): InsForge's record, what admins may change in
//! it (`PUT /api/auth/config`, checked with InsForge's messages) and the password rules it sets.
//!
//! What acts today: `disableSignup` (sign-up refused, admins excepted), the password rules
//! (length and character classes, at sign-up). Stored and checked only, for the email and OAuth
//! flows still to come: `allowedRedirectUrls`, `verifyEmailMethod`, `resetPasswordMethod`.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::AccountsError;

/// The record, in InsForge's shape and key order (`GET /api/auth/config`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AuthConfig {
    pub id: String,
    pub require_email_verification: bool,
    pub password_min_length: i32,
    pub require_number: bool,
    pub require_lowercase: bool,
    pub require_uppercase: bool,
    pub require_special_char: bool,
    pub verify_email_method: String,
    pub reset_password_method: String,
    pub allowed_redirect_urls: Vec<String>,
    pub disable_signup: bool,
    pub created_at: String,
    pub updated_at: String,
}

/// InsForge's bounds on `passwordMinLength`.
pub const MIN_LENGTH_BOUNDS: (i32, i32) = (4, 128);
/// The methods `verifyEmailMethod` and `resetPasswordMethod` take.
const METHODS: [&str; 2] = ["code", "link"];
/// What counts as a special character (InsForge's class; quotes, `:`, `~` and `` ` `` do not).
const SPECIAL: &str = "!@#$%^&*()_+-=[]{};\\|,.<>/?";

/// A partial update: the fields present in the body, checked. Other keys are ignored (InsForge's
/// schema strips them), so a client may send back a whole record with `id` and timestamps.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AuthConfigPatch {
    /// Refused when `true` while no email can be sent.
    pub require_email_verification: Option<bool>,
    /// 4 to 128.
    pub password_min_length: Option<i32>,
    /// The character classes a password must hold (ASCII).
    pub require_number: Option<bool>,
    pub require_lowercase: Option<bool>,
    pub require_uppercase: Option<bool>,
    /// One of ``!@#$%^&*()_+-=[]{};\|,.<>/?``.
    pub require_special_char: Option<bool>,
    /// `code` or `link`.
    pub verify_email_method: Option<String>,
    /// `code` or `link`.
    pub reset_password_method: Option<String>,
    /// `null` clears the list (an empty list allows every target, as in InsForge).
    pub allowed_redirect_urls: Option<Vec<String>>,
    pub disable_signup: Option<bool>,
}

/// zod's name for the type of a JSON value.
fn received(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

/// The issues of one body, each `"<path>: <message>"`, joined as InsForge joins them.
#[derive(Default)]
struct Issues(Vec<String>);

impl Issues {
    fn add(&mut self, path: &str, message: impl std::fmt::Display) {
        self.0.push(format!("{path}: {message}"));
    }

    fn boolean(&mut self, body: &Map<String, Value>, key: &str) -> Option<bool> {
        match body.get(key)? {
            Value::Bool(b) => Some(*b),
            other => {
                self.add(key, format_args!("Expected boolean, received {}", received(other)));
                None
            }
        }
    }

    fn method(&mut self, body: &Map<String, Value>, key: &str) -> Option<String> {
        match body.get(key)? {
            Value::String(s) if METHODS.contains(&s.as_str()) => Some(s.clone()),
            Value::String(s) => {
                self.add(
                    key,
                    format_args!("Invalid enum value. Expected 'code' | 'link', received '{s}'"),
                );
                None
            }
            other => {
                self.add(
                    key,
                    format_args!("Expected 'code' | 'link', received {}", received(other)),
                );
                None
            }
        }
    }

    fn min_length(&mut self, body: &Map<String, Value>) -> Option<i32> {
        let key = "passwordMinLength";
        let value = body.get(key)?;
        let Some(number) = value.as_f64() else {
            self.add(key, format_args!("Expected number, received {}", received(value)));
            return None;
        };
        let (low, high) = MIN_LENGTH_BOUNDS;
        if number.fract() != 0.0 {
            self.add(key, "Expected integer, received float");
        } else if number < f64::from(low) {
            self.add(key, format_args!("Number must be greater than or equal to {low}"));
        } else if number > f64::from(high) {
            self.add(key, format_args!("Number must be less than or equal to {high}"));
        } else {
            return value.as_i64().and_then(|n| i32::try_from(n).ok());
        }
        None
    }

    fn redirect_urls(&mut self, body: &Map<String, Value>) -> Option<Vec<String>> {
        let key = "allowedRedirectUrls";
        let entries = match body.get(key)? {
            Value::Null => return Some(Vec::new()),
            Value::Array(entries) => entries,
            other => {
                self.add(key, format_args!("Expected array, received {}", received(other)));
                return None;
            }
        };
        let before = self.0.len();
        let mut urls = Vec::with_capacity(entries.len());
        for (i, entry) in entries.iter().enumerate() {
            match entry {
                Value::String(url) if is_redirect_pattern(url) => urls.push(url.clone()),
                Value::String(_) => self.add(&format!("{key}.{i}"), "Invalid URL or wildcard URL"),
                other => self.add(
                    &format!("{key}.{i}"),
                    format_args!("Expected string, received {}", received(other)),
                ),
            }
        }
        (self.0.len() == before).then_some(urls)
    }
}

impl AuthConfigPatch {
    /// Checks a `PUT /api/auth/config` body; every problem is reported at once, as InsForge does.
    pub fn parse(body: &Value) -> Result<AuthConfigPatch, AccountsError> {
        let Some(body) = body.as_object() else {
            return Err(AccountsError::InvalidConfig(format!(
                ": Expected object, received {}",
                received(body)
            )));
        };
        let mut issues = Issues::default();
        let patch = AuthConfigPatch {
            require_email_verification: issues.boolean(body, "requireEmailVerification"),
            password_min_length: issues.min_length(body),
            require_number: issues.boolean(body, "requireNumber"),
            require_lowercase: issues.boolean(body, "requireLowercase"),
            require_uppercase: issues.boolean(body, "requireUppercase"),
            require_special_char: issues.boolean(body, "requireSpecialChar"),
            verify_email_method: issues.method(body, "verifyEmailMethod"),
            reset_password_method: issues.method(body, "resetPasswordMethod"),
            allowed_redirect_urls: issues.redirect_urls(body),
            disable_signup: issues.boolean(body, "disableSignup"),
        };
        if issues.0.is_empty() {
            Ok(patch)
        } else {
            Err(AccountsError::InvalidConfig(issues.0.join(", ")))
        }
    }

    /// Whether the body changed nothing (the record is answered as it is, `updatedAt` kept).
    pub fn is_empty(&self) -> bool {
        *self == AuthConfigPatch::default()
    }
}

/// InsForge's `allowedRedirectUrlsRegex`: an `http(s)` URL whose host may hold globs (`*`, `?`,
/// `[…]`) or be a bracketed IPv6 address, with an optional port and path; or a custom scheme
/// (`myapp://callback`, `myapp:/cb`) other than `javascript`, `data`, `file` and `vbscript`.
pub fn is_redirect_pattern(url: &str) -> bool {
    if url.chars().any(char::is_whitespace) {
        return false;
    }
    let Some((scheme, rest)) = url.split_once(':') else {
        return false;
    };
    let lower = scheme.to_ascii_lowercase();
    if lower == "http" || lower == "https" {
        return rest.strip_prefix("//").is_some_and(is_http_rest);
    }
    let scheme_ok = scheme.chars().next().is_some_and(|c| c.is_ascii_alphabetic())
        && scheme.chars().all(|c| c.is_ascii_alphanumeric() || "+.-".contains(c));
    if !scheme_ok || ["javascript", "data", "file", "vbscript"].contains(&lower.as_str()) {
        return false;
    }
    match rest.strip_prefix("//") {
        Some(authority_and_path) => !authority_and_path.is_empty() && !authority_and_path.starts_with('/'),
        None => rest.starts_with('/'),
    }
}

/// `host[:port][/path]` after `http(s)://`.
fn is_http_rest(rest: &str) -> bool {
    if let Some(bracketed) = rest.strip_prefix('[') {
        // A bracketed IPv6 address: the host runs to the closing bracket, colons included.
        return bracketed.split_once(']').is_some_and(|(address, after)| {
            !address.is_empty()
                && address.chars().all(|c| c.is_ascii_hexdigit() || c == ':' || c == '.')
                && port_and_path(after)
        });
    }
    let host_end = rest.find(['/', ':', '?', '#']).unwrap_or(rest.len());
    let (host, after) = rest.split_at(host_end);
    host.chars().any(|c| c.is_ascii_alphanumeric()) && port_and_path(after)
}

/// `[:digits][/anything]`, nothing else.
fn port_and_path(after: &str) -> bool {
    let path = match after.strip_prefix(':') {
        Some(port) => {
            let digits = port.find('/').unwrap_or(port.len());
            if digits == 0 || !port[..digits].chars().all(|c| c.is_ascii_digit()) {
                return false;
            }
            &port[digits..]
        }
        None => after,
    };
    path.is_empty() || path.starts_with('/')
}

impl AuthConfig {
    /// InsForge's password rules: length in UTF-16 units, ASCII character classes. The message
    /// lists every active rule (`Password must contain at least 8 characters long, at least one
    /// number`); with no class rule active, a short password gets oxforge's earlier wording
    /// (`Password must be at least 6 characters long`), which clients already rely on.
    pub fn check_password(&self, password: &str) -> Result<(), AccountsError> {
        let min = usize::try_from(self.password_min_length).unwrap_or(0);
        let classes = [
            (
                self.require_number,
                "at least one number",
                password.chars().any(|c| c.is_ascii_digit()),
            ),
            (
                self.require_lowercase,
                "at least one lowercase letter",
                password.chars().any(|c| c.is_ascii_lowercase()),
            ),
            (
                self.require_uppercase,
                "at least one uppercase letter",
                password.chars().any(|c| c.is_ascii_uppercase()),
            ),
            (
                self.require_special_char,
                "at least one special character",
                password.chars().any(|c| SPECIAL.contains(c)),
            ),
        ];
        let long_enough = password.encode_utf16().count() >= min;
        let classes_met = classes.iter().all(|(active, _, met)| !active || *met);
        if long_enough && classes_met {
            return Ok(());
        }
        if !classes.iter().any(|(active, _, _)| *active) {
            return Err(AccountsError::PasswordTooShort { min });
        }
        let mut rules = vec![format!("at least {min} characters long")];
        rules.extend(
            classes
                .iter()
                .filter(|(active, _, _)| *active)
                .map(|(_, rule, _)| (*rule).to_owned()),
        );
        Err(AccountsError::WeakPassword(format!(
            "Password must contain {}",
            rules.join(", ")
        )))
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use serde_json::json;

    use super::*;

    /// InsForge's defaults.
    pub(crate) fn config() -> AuthConfig {
        AuthConfig {
            id: "00000000-0000-0000-0000-000000000000".into(),
            require_email_verification: false,
            password_min_length: 6,
            require_number: false,
            require_lowercase: false,
            require_uppercase: false,
            require_special_char: false,
            verify_email_method: "code".into(),
            reset_password_method: "code".into(),
            allowed_redirect_urls: vec![],
            disable_signup: false,
            created_at: String::new(),
            updated_at: String::new(),
        }
    }

    fn refused(body: Value) -> String {
        match AuthConfigPatch::parse(&body) {
            Err(AccountsError::InvalidConfig(message)) => message,
            other => panic!("{body} was not refused: {other:?}"),
        }
    }

    #[test]
    fn a_patch_takes_the_fields_present_and_ignores_others() {
        let patch = AuthConfigPatch::parse(&json!({
            "passwordMinLength": 8, "requireNumber": true, "verifyEmailMethod": "link",
            "allowedRedirectUrls": ["https://app.example.com/cb"], "id": "x", "createdAt": "y"
        }))
        .unwrap();
        assert_eq!(patch.password_min_length, Some(8));
        assert_eq!(patch.require_number, Some(true));
        assert_eq!(patch.verify_email_method.as_deref(), Some("link"));
        assert_eq!(
            patch.allowed_redirect_urls,
            Some(vec!["https://app.example.com/cb".into()])
        );
        assert_eq!(patch.disable_signup, None);
        assert!(AuthConfigPatch::parse(&json!({})).unwrap().is_empty());
        let cleared = AuthConfigPatch::parse(&json!({"allowedRedirectUrls": null})).unwrap();
        assert_eq!(cleared.allowed_redirect_urls, Some(vec![]));
    }

    #[test]
    fn bad_fields_get_insforge_messages_all_at_once() {
        let cases = [
            (
                json!({"passwordMinLength": 3}),
                "passwordMinLength: Number must be greater than or equal to 4",
            ),
            (
                json!({"passwordMinLength": 129}),
                "passwordMinLength: Number must be less than or equal to 128",
            ),
            (
                json!({"passwordMinLength": 6.5}),
                "passwordMinLength: Expected integer, received float",
            ),
            (
                json!({"passwordMinLength": "8"}),
                "passwordMinLength: Expected number, received string",
            ),
            (
                json!({"disableSignup": "yes"}),
                "disableSignup: Expected boolean, received string",
            ),
            (
                json!({"requireNumber": null}),
                "requireNumber: Expected boolean, received null",
            ),
            (
                json!({"verifyEmailMethod": "sms"}),
                "verifyEmailMethod: Invalid enum value. Expected 'code' | 'link', received 'sms'",
            ),
            (
                json!({"resetPasswordMethod": 1}),
                "resetPasswordMethod: Expected 'code' | 'link', received number",
            ),
            (
                json!({"allowedRedirectUrls": "https://a.io"}),
                "allowedRedirectUrls: Expected array, received string",
            ),
            (
                json!({"allowedRedirectUrls": ["https://a.io", "javascript:alert(1)", 5]}),
                "allowedRedirectUrls.1: Invalid URL or wildcard URL, allowedRedirectUrls.2: Expected string, received number",
            ),
            (
                json!({"passwordMinLength": 2, "disableSignup": 1}),
                "passwordMinLength: Number must be greater than or equal to 4, disableSignup: Expected boolean, received number",
            ),
            (json!([1]), ": Expected object, received array"),
        ];
        for (body, message) in cases {
            assert_eq!(refused(body), message);
        }
    }

    #[test]
    fn redirect_patterns_follow_insforge_regex() {
        for good in [
            "https://app.example.com/auth/callback",
            "http://localhost:3000",
            "http://localhost:3000/",
            "https://*.example.com",
            "https://example.com/**",
            "https://example.com/?session=?",
            "HTTPS://Example.com/[a-z]*",
            "http://[::1]:8080/cb",
            "http://127.0.0.1:5173/cb?x=1",
            "myapp://callback",
            "com.example.app:/oauth",
        ] {
            assert!(is_redirect_pattern(good), "{good}");
        }
        for bad in [
            "",
            "example.com",
            "/relative",
            "https://",
            "https://:8080",
            "https://*.",
            "https://a.io?x=1",
            "https://a.io:port/",
            "https://a b.io",
            "javascript:alert(1)",
            "JavaScript://x",
            "data:text/html,x",
            "file:///etc/passwd",
            "vbscript:x",
            "myapp:callback",
            "1app://x",
            "http://[]/",
        ] {
            assert!(!is_redirect_pattern(bad), "{bad}");
        }
    }

    #[test]
    fn password_rules_list_the_active_ones() {
        let plain = config();
        assert!(plain.check_password("123456").is_ok());
        assert_eq!(
            plain.check_password("12345").unwrap_err().to_string(),
            "Password must be at least 6 characters long"
        );
        let strict = AuthConfig {
            password_min_length: 8,
            require_number: true,
            require_uppercase: true,
            require_special_char: true,
            ..config()
        };
        let message = "Password must contain at least 8 characters long, at least one number, at least one uppercase letter, at least one special character";
        for weak in ["Abcdefg!", "abcdefg1!", "Abcdefg1", "Ab1!", "Abcdefg1~"] {
            assert_eq!(strict.check_password(weak).unwrap_err().to_string(), message, "{weak}");
        }
        assert!(strict.check_password("Abcdefg1!").is_ok());
        let lower = AuthConfig {
            require_lowercase: true,
            ..config()
        };
        assert!(lower.check_password("ABCDEF").is_err());
        assert!(lower.check_password("ABCDEf").is_ok());
        // Length is counted in UTF-16 units, as JavaScript does: one emoji is two.
        let four = AuthConfig {
            password_min_length: 4,
            ..config()
        };
        assert!(four.check_password("😀😀").is_ok());
    }
}
