//! Verifying access tokens and signing oxforge's own tokens.
//!
//! Verification follows InsForge: RS256 with the project key only when the header's `kid`
//! is the project's; otherwise HS256 with `JWT_SECRET`, and nothing else (`none`, HS384/512,
//! foreign keys are refused). `exp` and `nbf` are checked with no leeway; `aud` and `iss` are
//! not checked (every integration guide sets `aud: insforge-api`); `sub` must be non-empty.
//! Unlike InsForge, a refresh token (`type: "refresh"`) is never accepted as an access token,
//! and a role outside the allowlist is refused here rather than later.

use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation, decode, decode_header, encode};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::principal::{Principal, Role, UserClaims};
use crate::{AuthError, ProjectKeyPair, now_seconds};

#[derive(Debug, Deserialize)]
struct IncomingClaims {
    sub: Option<Value>,
    email: Option<Value>,
    role: Option<Value>,
    iat: Option<Value>,
    exp: Option<Value>,
    #[serde(rename = "type")]
    kind: Option<Value>,
}

fn validation(algorithm: Algorithm) -> Validation {
    let mut validation = Validation::new(algorithm);
    validation.leeway = 0;
    validation.validate_exp = true;
    validation.validate_nbf = true;
    validation.validate_aud = false;
    validation.required_spec_claims.clear();
    validation
}

fn seconds(value: Option<&Value>) -> Option<i64> {
    let value = value?;
    value.as_i64().or_else(|| value.as_f64().map(|f| f as i64))
}

/// Verifies an access token and turns it into the caller it names.
pub fn verify_access_token(token: &str, jwt_secret: &[u8], keypair: &ProjectKeyPair) -> Result<Principal, AuthError> {
    let header = decode_header(token).map_err(|_| AuthError::InvalidToken)?;
    let use_project_key = header.alg == Algorithm::RS256 && header.kid.as_deref() == Some(keypair.kid());
    let decoded = if use_project_key {
        decode::<IncomingClaims>(token, keypair.decoding_key(), &validation(Algorithm::RS256))
    } else {
        decode::<IncomingClaims>(
            token,
            &DecodingKey::from_secret(jwt_secret),
            &validation(Algorithm::HS256),
        )
    }
    .map_err(|_| AuthError::InvalidToken)?;
    principal_from_claims(decoded.claims, use_project_key)
}

/// `signed_by_project`: the token carries the project's RS256 signature (only oxforge issues
/// those); otherwise it was signed with the shared JWT secret and cannot be an admin.
fn principal_from_claims(claims: IncomingClaims, signed_by_project: bool) -> Result<Principal, AuthError> {
    if claims.kind.as_ref().and_then(Value::as_str) == Some("refresh") {
        return Err(AuthError::RefreshTokenAsAccessToken);
    }
    let sub = match claims.sub {
        Some(Value::String(s)) if !s.is_empty() => s,
        Some(Value::Number(n)) => n.to_string(),
        _ => return Err(AuthError::InvalidSubject),
    };
    let role = match claims.role {
        None | Some(Value::Null) => Role::Authenticated,
        Some(Value::String(s)) if s.is_empty() => Role::Authenticated,
        Some(Value::String(s)) => Role::from_claim(&s).ok_or(AuthError::InvalidRole)?,
        Some(_) => return Err(AuthError::InvalidRole),
    };
    Ok(match role {
        Role::Anon => Principal::Anon,
        Role::ProjectAdmin if signed_by_project => Principal::Admin { sub: Some(sub) },
        Role::ProjectAdmin => return Err(AuthError::SharedSecretAdmin),
        Role::Authenticated => Principal::User(UserClaims {
            sub,
            email: match claims.email {
                Some(Value::String(e)) if !e.is_empty() => Some(e),
                _ => None,
            },
            iat: seconds(claims.iat.as_ref()),
            exp: seconds(claims.exp.as_ref()),
        }),
    })
}

/// Claims of an access token oxforge issues: `{sub, email?, role, iat, exp}` (no `iss`/`aud`).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct AccessClaims {
    pub sub: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    pub role: String,
    pub iat: i64,
    pub exp: i64,
}

/// Signs an RS256 access token with the project key (header `kid`).
pub fn sign_access_token(
    keypair: &ProjectKeyPair,
    sub: &str,
    email: Option<&str>,
    role: Role,
    ttl_seconds: i64,
) -> Result<String, jsonwebtoken::errors::Error> {
    let now = now_seconds();
    let claims = AccessClaims {
        sub: sub.to_owned(),
        email: email.map(str::to_owned),
        role: role.as_str().to_owned(),
        iat: now,
        exp: now + ttl_seconds,
    };
    let mut header = Header::new(Algorithm::RS256);
    header.kid = Some(keypair.kid().to_owned());
    encode(&header, &claims, keypair.encoding_key())
}

/// Claims of a refresh token: InsForge's `{sub, type:"refresh", iss:"insforge", csrfNonce,
/// sessionType, iat, exp}` plus oxforge's session id (`sid`) and rotation id (`jti`), which make
/// it revocable and single-use.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct RefreshClaims {
    pub sub: String,
    #[serde(rename = "type")]
    pub kind: String,
    pub iss: String,
    #[serde(rename = "csrfNonce")]
    pub csrf_nonce: String,
    #[serde(rename = "sessionType")]
    pub session_type: String,
    pub sid: String,
    pub jti: String,
    pub iat: i64,
    pub exp: i64,
}

impl RefreshClaims {
    pub fn new(sub: &str, session_type: &str, csrf_nonce: &str, sid: &str, jti: &str, ttl_seconds: i64) -> Self {
        let now = now_seconds();
        RefreshClaims {
            sub: sub.to_owned(),
            kind: "refresh".into(),
            iss: "insforge".into(),
            csrf_nonce: csrf_nonce.to_owned(),
            session_type: session_type.to_owned(),
            sid: sid.to_owned(),
            jti: jti.to_owned(),
            iat: now,
            exp: now + ttl_seconds,
        }
    }
}

/// Signs an HS256 refresh token with `JWT_SECRET`.
pub fn sign_refresh_token(jwt_secret: &[u8], claims: &RefreshClaims) -> Result<String, jsonwebtoken::errors::Error> {
    encode(
        &Header::new(Algorithm::HS256),
        claims,
        &EncodingKey::from_secret(jwt_secret),
    )
}

/// Verifies a refresh token (HS256, unexpired, `type: "refresh"`).
pub fn verify_refresh_token(jwt_secret: &[u8], token: &str) -> Result<RefreshClaims, AuthError> {
    let mut v = validation(Algorithm::HS256);
    v.required_spec_claims.insert("exp".into());
    let claims = decode::<RefreshClaims>(token, &DecodingKey::from_secret(jwt_secret), &v)
        .map_err(|_| AuthError::InvalidToken)?
        .claims;
    if claims.kind != "refresh" {
        return Err(AuthError::InvalidToken);
    }
    Ok(claims)
}

/// A random id for a refresh token (`jti`).
pub fn new_token_id() -> String {
    let mut bytes = [0u8; 16];
    rand::fill(&mut bytes);
    hex::encode(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::keypair::StoredKeyPair;
    use serde_json::json;

    const SECRET: &[u8] = b"test-secret";

    fn pair() -> ProjectKeyPair {
        let stored: StoredKeyPair = ProjectKeyPair::generate().unwrap();
        ProjectKeyPair::load(&stored).unwrap()
    }

    fn hs(alg: Algorithm, claims: Value) -> String {
        encode(&Header::new(alg), &claims, &EncodingKey::from_secret(SECRET)).unwrap()
    }

    #[test]
    fn auth0_guide_token_is_a_user() {
        let kp = pair();
        let exp = now_seconds() + 3600;
        let token = hs(
            Algorithm::HS256,
            json!({"sub":"auth0|123","role":"authenticated","aud":"insforge-api","email":"u@x.io","exp":exp,"org_id":"o1"}),
        );
        let principal = verify_access_token(&token, SECRET, &kp).unwrap();
        assert_eq!(
            principal,
            Principal::User(UserClaims {
                sub: "auth0|123".into(),
                email: Some("u@x.io".into()),
                iat: None,
                exp: Some(exp)
            })
        );
    }

    #[test]
    fn role_rules() {
        let kp = pair();
        let verify = |claims: Value| verify_access_token(&hs(Algorithm::HS256, claims), SECRET, &kp);
        assert!(matches!(verify(json!({"sub":"kp_1"})), Ok(Principal::User(_))));
        assert!(matches!(
            verify(json!({"sub":"kp_1","role":""})),
            Ok(Principal::User(_))
        ));
        assert_eq!(verify(json!({"sub":"x","role":"anon"})), Ok(Principal::Anon));
        assert_eq!(
            verify(json!({"sub":"local:admin","role":"project_admin"})),
            Err(AuthError::SharedSecretAdmin)
        );
        let admin = sign_access_token(&kp, "local:admin", None, Role::ProjectAdmin, 60).unwrap();
        assert_eq!(
            verify_access_token(&admin, SECRET, &kp),
            Ok(Principal::Admin {
                sub: Some("local:admin".into())
            })
        );
        assert_eq!(
            verify(json!({"sub":"x","role":"postgres"})),
            Err(AuthError::InvalidRole)
        );
        assert_eq!(verify(json!({"sub":"x","role":7})), Err(AuthError::InvalidRole));
    }

    #[test]
    fn subject_rules() {
        let kp = pair();
        let verify = |claims: Value| verify_access_token(&hs(Algorithm::HS256, claims), SECRET, &kp);
        assert_eq!(
            verify(json!({"userId":"user-test-1","role":"authenticated"})),
            Err(AuthError::InvalidSubject)
        );
        assert_eq!(verify(json!({"sub":""})), Err(AuthError::InvalidSubject));
        assert!(matches!(verify(json!({"sub":42})), Ok(Principal::User(UserClaims { ref sub, .. })) if sub == "42"));
    }

    #[test]
    fn time_rules_have_no_leeway() {
        let kp = pair();
        let now = now_seconds();
        let verify = |claims: Value| verify_access_token(&hs(Algorithm::HS256, claims), SECRET, &kp);
        assert_eq!(verify(json!({"sub":"a","exp":now - 2})), Err(AuthError::InvalidToken));
        assert_eq!(verify(json!({"sub":"a","nbf":now + 30})), Err(AuthError::InvalidToken));
        assert!(verify(json!({"sub":"a"})).is_ok(), "no exp is accepted, as in InsForge");
    }

    #[test]
    fn refresh_tokens_are_not_access_tokens() {
        let kp = pair();
        let claims = RefreshClaims::new("u1", "user", "nonce", "sid", &new_token_id(), 60);
        let refresh = sign_refresh_token(SECRET, &claims).unwrap();
        assert_eq!(
            verify_access_token(&refresh, SECRET, &kp),
            Err(AuthError::RefreshTokenAsAccessToken)
        );
        assert_eq!(verify_refresh_token(SECRET, &refresh), Ok(claims));
        // ...and an access token is not a refresh token.
        let access = sign_access_token(&kp, "u1", None, Role::Authenticated, 60).unwrap();
        assert_eq!(verify_refresh_token(SECRET, &access), Err(AuthError::InvalidToken));
        assert_eq!(verify_refresh_token(b"other", &refresh), Err(AuthError::InvalidToken));
    }

    #[test]
    fn algorithms_other_than_hs256_and_project_rs256_are_refused() {
        let kp = pair();
        let hs512 = hs(Algorithm::HS512, json!({"sub":"a"}));
        assert_eq!(verify_access_token(&hs512, SECRET, &kp), Err(AuthError::InvalidToken));
        let wrong_secret = encode(
            &Header::new(Algorithm::HS256),
            &json!({"sub":"a"}),
            &EncodingKey::from_secret(b"x"),
        )
        .unwrap();
        assert_eq!(
            verify_access_token(&wrong_secret, SECRET, &kp),
            Err(AuthError::InvalidToken)
        );
        // alg:none, hand-made.
        let none = format!(
            "{}.{}.",
            base64::Engine::encode(
                &base64::engine::general_purpose::URL_SAFE_NO_PAD,
                br#"{"alg":"none","typ":"JWT"}"#
            ),
            base64::Engine::encode(&base64::engine::general_purpose::URL_SAFE_NO_PAD, br#"{"sub":"a"}"#)
        );
        assert_eq!(verify_access_token(&none, SECRET, &kp), Err(AuthError::InvalidToken));
        for garbage in ["", "a.b.c", "not-a-jwt", "....", "eyJ.eyJ.sig"] {
            assert_eq!(
                verify_access_token(garbage, SECRET, &kp),
                Err(AuthError::InvalidToken),
                "{garbage:?}"
            );
        }
    }

    #[test]
    fn project_rs256_tokens_verify_and_others_do_not() {
        let kp = pair();
        let token = sign_access_token(&kp, "u1", Some("a@b.c"), Role::Authenticated, 900).unwrap();
        assert!(matches!(
            verify_access_token(&token, SECRET, &kp),
            Ok(Principal::User(_))
        ));
        // The same token checked against another project's key pair: unknown kid → refused.
        let other = pair();
        assert_eq!(
            verify_access_token(&token, SECRET, &other),
            Err(AuthError::InvalidToken)
        );
    }
}
