//! Telling credentials apart by shape (pure: header values in, a classification out).

/// The credential a request presents, before any verification.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Presented<'a> {
    /// No usable credential (no header, an empty bearer, another scheme).
    None,
    /// The admin API key: `Authorization: Bearer ik_…` or any `x-api-key` header.
    ApiKey(&'a str),
    /// The project's public anon key: `Authorization: Bearer anon_…`.
    AnonKey(&'a str),
    /// Anything else after `Bearer `: a JWT.
    Jwt(&'a str),
}

pub const API_KEY_PREFIX: &str = "ik_";
pub const ANON_KEY_PREFIX: &str = "anon_";

/// Classifies the `Authorization` and `x-api-key` header values of a request.
///
/// An `x-api-key` header wins over a bearer token (as in InsForge); a wrong key is then an
/// error, never a reason to try the bearer.
pub fn classify<'a>(authorization: Option<&'a str>, x_api_key: Option<&'a str>) -> Presented<'a> {
    if let Some(key) = x_api_key {
        return Presented::ApiKey(key.trim());
    }
    let Some(token) = authorization.and_then(bearer_token) else {
        return Presented::None;
    };
    if token.starts_with(API_KEY_PREFIX) {
        Presented::ApiKey(token)
    } else if token.starts_with(ANON_KEY_PREFIX) {
        Presented::AnonKey(token)
    } else {
        Presented::Jwt(token)
    }
}

/// The token of an `Authorization: Bearer <token>` value (scheme case-insensitive).
pub fn bearer_token(value: &str) -> Option<&str> {
    let (scheme, token) = value.trim().split_once(' ')?;
    let token = token.trim();
    (scheme.eq_ignore_ascii_case("bearer") && !token.is_empty()).then_some(token)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shapes() {
        assert_eq!(classify(None, None), Presented::None);
        assert_eq!(classify(Some("Bearer ik_abc"), None), Presented::ApiKey("ik_abc"));
        assert_eq!(classify(Some("Bearer anon_abc"), None), Presented::AnonKey("anon_abc"));
        assert_eq!(classify(Some("Bearer eyJ.x.y"), None), Presented::Jwt("eyJ.x.y"));
        assert_eq!(classify(Some("bearer eyJ.x.y"), None), Presented::Jwt("eyJ.x.y"));
        assert_eq!(classify(Some("Bearer garbage"), None), Presented::Jwt("garbage"));
    }

    #[test]
    fn x_api_key_wins_over_bearer() {
        assert_eq!(
            classify(Some("Bearer eyJ.x.y"), Some("ik_1")),
            Presented::ApiKey("ik_1")
        );
        assert_eq!(classify(None, Some("whatever")), Presented::ApiKey("whatever"));
    }

    #[test]
    fn malformed_authorization_is_no_credential() {
        for value in ["Bearer", "Bearer ", "Basic dXNlcjpwYXNz", "eyJ.x.y", "", "   "] {
            assert_eq!(classify(Some(value), None), Presented::None, "{value:?}");
        }
    }
}
