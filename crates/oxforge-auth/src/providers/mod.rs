//! Third-party identity providers verified natively: a token's `iss` selects the provider, and
//! only that provider's published keys may verify it (a key of provider A never validates a
//! token claiming issuer B). Such a token can be `authenticated` (or `anon`), never `project_admin`.

mod config;
mod keys;

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use jsonwebtoken::{Algorithm, Validation, decode};
use serde_json::Value;

pub use config::{ProviderConfig, ResolvedProvider, RoleRule};
pub use keys::KeyStatus;

use crate::principal::{Principal, Role, UserClaims};
use crate::{AuthError, now_seconds};

struct Provider {
    config: ResolvedProvider,
    keys: keys::ProviderKeys,
}

/// Every configured provider, by issuer.
pub struct Providers {
    by_issuer: HashMap<String, Arc<Provider>>,
}

fn normalize(issuer: &str) -> &str {
    issuer.trim_end_matches('/')
}

fn reject(provider: &ResolvedProvider, why: String) -> AuthError {
    tracing::info!(provider = %provider.name, reason = %why, "third-party token refused");
    AuthError::Provider(why)
}

fn claim<'a>(claims: &'a Value, path: &[String]) -> Option<&'a Value> {
    path.iter().try_fold(claims, |v, k| v.get(k))
}

impl Providers {
    pub fn none() -> Self {
        Providers {
            by_issuer: HashMap::new(),
        }
    }

    /// `cooldown`: the shortest time between two refetches caused by unknown key ids.
    pub fn new(configs: &[ProviderConfig], cooldown: Duration) -> Result<Self, String> {
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(5))
            .build()
            .map_err(|e| format!("cannot build the HTTP client for providers: {e}"))?;
        let mut by_issuer = HashMap::new();
        for config in configs {
            let resolved = config.resolve()?;
            let keys = keys::ProviderKeys::new(
                resolved.issuer.clone(),
                resolved.jwks_url.clone(),
                cooldown,
                http.clone(),
            );
            let key = normalize(&resolved.issuer).to_owned();
            if by_issuer
                .insert(key, Arc::new(Provider { config: resolved, keys }))
                .is_some()
            {
                return Err("two providers share one issuer".into());
            }
        }
        Ok(Providers { by_issuer })
    }

    pub fn is_empty(&self) -> bool {
        self.by_issuer.is_empty()
    }

    /// Whether a token claims the issuer of a configured provider.
    pub fn claims_provider(&self, token: &str) -> bool {
        jsonwebtoken::dangerous::insecure_decode_claims::<Value>(token)
            .ok()
            .and_then(|c| c["iss"].as_str().map(|i| self.by_issuer.contains_key(normalize(i))))
            .unwrap_or(false)
    }

    /// Verifies a provider's token and maps it to a caller.
    pub async fn verify(&self, token: &str) -> Result<Principal, AuthError> {
        let header = jsonwebtoken::decode_header(token).map_err(|_| AuthError::InvalidToken)?;
        let unverified: Value =
            jsonwebtoken::dangerous::insecure_decode_claims(token).map_err(|_| AuthError::InvalidToken)?;
        let issuer = unverified["iss"].as_str().ok_or(AuthError::InvalidToken)?;
        let provider = self.by_issuer.get(normalize(issuer)).ok_or(AuthError::InvalidToken)?;
        let config = &provider.config;
        if !config.algorithms.contains(&header.alg) {
            return Err(reject(
                config,
                format!(
                    "Invalid token: algorithm {:?} is not accepted for issuer {}",
                    header.alg, config.issuer
                ),
            ));
        }
        let key = provider
            .keys
            .key(header.kid.as_deref())
            .await
            .map_err(|e| reject(config, format!("Invalid token: {e}")))?;
        let mut validation = Validation::new(header.alg);
        validation.algorithms = vec![header.alg];
        validation.leeway = 0;
        validation.validate_nbf = true;
        validation.set_issuer(&[issuer]);
        if config.audiences.is_empty() {
            validation.validate_aud = false;
        } else {
            validation.set_audience(&config.audiences);
        }
        let claims = decode::<Value>(token, &key, &validation)
            .map_err(|e| reject(config, format!("Invalid token: {}", describe(e.kind(), config))))?
            .claims;
        self.principal(config, &claims)
    }

    fn principal(&self, config: &ResolvedProvider, claims: &Value) -> Result<Principal, AuthError> {
        let sub = match claims.get(&config.subject_claim) {
            Some(Value::String(s)) if !s.is_empty() => s.clone(),
            Some(Value::Number(n)) => n.to_string(),
            _ => {
                return Err(reject(
                    config,
                    format!("Invalid token subject: no `{}` claim", config.subject_claim),
                ));
            }
        };
        let role = match &config.role {
            RoleRule::Authenticated => Role::Authenticated,
            RoleRule::Claim { path, allowed } => {
                let named = claim(claims, path).and_then(Value::as_str).and_then(Role::from_claim);
                match named {
                    Some(role) if allowed.contains(&role) => role,
                    Some(role) => {
                        return Err(reject(
                            config,
                            format!("Invalid token: role {} is not allowed for this provider", role.as_str()),
                        ));
                    }
                    None => {
                        return Err(reject(
                            config,
                            format!("Invalid token: no role in claim `{}`", path.join(".")),
                        ));
                    }
                }
            }
        };
        if role == Role::Anon {
            return Ok(Principal::Anon);
        }
        let seconds = |k: &str| claims.get(k).and_then(Value::as_i64);
        Ok(Principal::User(UserClaims {
            sub,
            email: claims
                .get(&config.email_claim)
                .and_then(Value::as_str)
                .map(str::to_owned),
            iat: seconds("iat").or(Some(now_seconds())),
            exp: seconds("exp"),
        }))
    }

    /// Issuers and the state of their keys.
    pub async fn status(&self) -> Vec<(ResolvedProvider, KeyStatus)> {
        let mut out = Vec::new();
        for provider in self.by_issuer.values() {
            out.push((provider.config.clone(), provider.keys.status().await));
        }
        out.sort_by(|a, b| a.0.name.cmp(&b.0.name));
        out
    }
}

fn describe(kind: &jsonwebtoken::errors::ErrorKind, config: &ResolvedProvider) -> String {
    use jsonwebtoken::errors::ErrorKind as K;
    match kind {
        K::ExpiredSignature => "the token has expired".into(),
        K::ImmatureSignature => "the token is not valid yet (nbf)".into(),
        K::InvalidAudience => format!("audience not accepted (expected one of {:?})", config.audiences),
        K::InvalidIssuer => "wrong issuer".into(),
        K::InvalidSignature => "bad signature".into(),
        K::MissingRequiredClaim(c) => format!("missing claim `{c}`"),
        K::InvalidAlgorithm => "the key does not match the algorithm".into(),
        other => format!("{other:?}"),
    }
}

/// Algorithms a provider token may use (for dispatch: everything else goes the project's way).
pub fn is_asymmetric(alg: Algorithm) -> bool {
    !matches!(alg, Algorithm::HS256 | Algorithm::HS384 | Algorithm::HS512)
}
