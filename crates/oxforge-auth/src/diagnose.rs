//! Why a token was refused, in words: read from its unverified header and claims, for the
//! `nextActions` of a 401 and for the admin's `POST /api/oxforge/auth/check`. Naming an expiry or a
//! foreign signature tells an attacker nothing they cannot read from the token themselves.

use serde_json::Value;

use crate::AuthError;

/// Why `token` was refused with `error`; anything but [`AuthError::InvalidToken`] is its own text.
pub fn explain(token: &str, error: &AuthError, now: i64) -> String {
    use base64::Engine as _;
    if *error != AuthError::InvalidToken {
        return error.to_string();
    }
    let parts: Vec<&str> = token.split('.').collect();
    if parts.len() != 3 {
        return format!(
            "not a JWT: a JWT has three dot-separated parts (header.payload.signature), this has {}",
            parts.len()
        );
    }
    let decode = |part: &str| {
        base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(part.trim_end_matches('='))
            .ok()
            .and_then(|bytes| serde_json::from_slice::<Value>(&bytes).ok())
    };
    let (Some(header), Some(claims)) = (decode(parts[0]), decode(parts[1])) else {
        return "not a JWT: its header or payload is not base64url-encoded JSON".into();
    };
    let when = |t: i64| chrono::DateTime::from_timestamp(t, 0).map_or_else(|| t.to_string(), |d| d.to_rfc3339());
    if let Some(exp) = claims["exp"].as_i64()
        && exp <= now
    {
        return format!("expired at {} ({} s ago)", when(exp), now - exp);
    }
    if let Some(nbf) = claims["nbf"].as_i64()
        && nbf > now
    {
        return format!("not valid before {} (in {} s)", when(nbf), nbf - now);
    }
    match header["alg"].as_str() {
        Some("HS256") => {
            "bad signature: not signed with this project's JWT secret (check INSFORGE_JWT_SECRET where it was signed)"
                .into()
        }
        Some("RS256") => format!(
            "RS256 is accepted only under this project's key (/.well-known/jwks.json) or a configured provider's; this token's kid is {}",
            header["kid"].as_str().unwrap_or("missing")
        ),
        Some(alg) => format!("algorithm {alg} is not accepted: HS256 with the JWT secret, or RS256"),
        None => "not a JWT: its header names no algorithm".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn token(header: Value, claims: Value) -> String {
        use base64::Engine as _;
        let part = |v: &Value| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(v.to_string());
        format!("{}.{}.c2ln", part(&header), part(&claims))
    }

    #[test]
    fn refusals_are_explained() {
        let bad = AuthError::InvalidToken;
        let hs = json!({"alg": "HS256"});
        assert!(explain("abc", &bad, 0).starts_with("not a JWT: a JWT has three"));
        assert!(explain("a.b.c", &bad, 0).starts_with("not a JWT: its header"));
        assert_eq!(
            explain(&token(hs.clone(), json!({"exp": 100})), &bad, 160),
            "expired at 1970-01-01T00:01:40+00:00 (60 s ago)"
        );
        assert!(explain(&token(hs.clone(), json!({"nbf": 200})), &bad, 160).starts_with("not valid before"));
        assert!(explain(&token(hs, json!({"exp": 200})), &bad, 160).starts_with("bad signature"));
        assert!(explain(&token(json!({"alg": "RS256", "kid": "k1"}), json!({})), &bad, 0).ends_with("kid is k1"));
        assert!(explain(&token(json!({"alg": "none"}), json!({})), &bad, 0).starts_with("algorithm none"));
        assert_eq!(explain("x", &AuthError::InvalidRole, 0), "Invalid user role claim");
    }
}
