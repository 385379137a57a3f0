//! Checking a presented credential against the project's keys.

use std::sync::Arc;

use arc_swap::ArcSwap;
use subtle::ConstantTimeEq;

use crate::credential::Presented;
use crate::jwt::{sign_access_token, verify_access_token};
use crate::providers::{Providers, is_asymmetric};
use crate::{AuthError, Principal, ProjectKeyPair, Role, now_seconds};

/// An opaque key, with the time (seconds since the epoch) it stops working, if any.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProjectKey {
    pub value: String,
    pub expires_at: Option<i64>,
}

impl ProjectKey {
    pub fn permanent(value: impl Into<String>) -> Self {
        ProjectKey {
            value: value.into(),
            expires_at: None,
        }
    }

    fn live(&self, now: i64) -> bool {
        self.expires_at.is_none_or(|at| at > now)
    }
}

/// The project's key material. Lists hold the current key first, then keys still within a
/// rotation grace period.
#[derive(Debug)]
pub struct ProjectCredentials {
    pub api_keys: Vec<ProjectKey>,
    pub anon_keys: Vec<ProjectKey>,
    pub jwt_secret: String,
    pub keypair: ProjectKeyPair,
}

/// Verifies credentials; the key material can be swapped at run time (rotation, reload).
pub struct Authenticator {
    credentials: ArcSwap<ProjectCredentials>,
    providers: Providers,
}

fn constant_time_contains(candidates: &[ProjectKey], presented: &str, now: i64) -> bool {
    candidates.iter().filter(|k| k.live(now)).fold(false, |found, key| {
        found | bool::from(key.value.as_bytes().ct_eq(presented.as_bytes()))
    })
}

impl Authenticator {
    pub fn new(credentials: ProjectCredentials) -> Self {
        Self::with_providers(credentials, Providers::none())
    }

    pub fn with_providers(credentials: ProjectCredentials, providers: Providers) -> Self {
        Authenticator {
            credentials: ArcSwap::from_pointee(credentials),
            providers,
        }
    }

    pub fn providers(&self) -> &Providers {
        &self.providers
    }

    pub fn replace(&self, credentials: ProjectCredentials) {
        self.credentials.store(Arc::new(credentials));
    }

    pub fn credentials(&self) -> Arc<ProjectCredentials> {
        self.credentials.load_full()
    }

    /// Any valid credential (InsForge's `verifyUser`). An asymmetric token that is not the
    /// project's own and claims a configured provider's issuer is verified by that provider.
    pub async fn authenticate(&self, presented: Presented<'_>) -> Result<Principal, AuthError> {
        if let Presented::Jwt(token) = presented
            && !self.providers.is_empty()
            && let Ok(header) = jsonwebtoken::decode_header(token)
        {
            let project_kid = header.kid.as_deref() == Some(self.credentials.load().keypair.kid());
            if is_asymmetric(header.alg) && !project_kid && self.providers.claims_provider(token) {
                return self.providers.verify(token).await;
            }
        }
        self.authenticate_local(presented)
    }

    /// Which verification a credential goes through (for `oxforge auth check`).
    pub fn route(&self, presented: Presented<'_>) -> String {
        let token = match presented {
            Presented::None => return "nothing (no credential)".into(),
            Presented::ApiKey(_) => return "the project's API key".into(),
            Presented::AnonKey(_) => return "the project's anon key".into(),
            Presented::Jwt(token) => token,
        };
        let Ok(header) = jsonwebtoken::decode_header(token) else {
            return "nothing: not a JWT".into();
        };
        if !is_asymmetric(header.alg) {
            return format!("the project's JWT secret ({:?})", header.alg);
        }
        if header.kid.as_deref() == Some(self.credentials.load().keypair.kid()) {
            return "the project's signing key (RS256, project kid)".into();
        }
        if self.providers.claims_provider(token) {
            return "a third-party provider, by its issuer's published keys".into();
        }
        format!(
            "nothing: {:?} with a foreign kid, and no provider is configured for its issuer",
            header.alg
        )
    }

    /// Project credentials only: API key, anon key, project JWTs.
    pub fn authenticate_local(&self, presented: Presented<'_>) -> Result<Principal, AuthError> {
        let creds = self.credentials.load();
        match presented {
            Presented::None => Err(AuthError::NoToken),
            Presented::ApiKey(key) => {
                if constant_time_contains(&creds.api_keys, key, now_seconds()) {
                    Ok(Principal::Admin { sub: None })
                } else {
                    Err(AuthError::InvalidApiKey)
                }
            }
            Presented::AnonKey(key) => {
                let now = now_seconds();
                if creds.anon_keys.iter().any(|k| k.live(now) && k.value == key) {
                    Ok(Principal::Anon)
                } else {
                    Err(AuthError::InvalidAnonKey)
                }
            }
            Presented::Jwt(token) => verify_access_token(token, creds.jwt_secret.as_bytes(), &creds.keypair),
        }
    }

    /// An admin credential: the API key or a `project_admin` JWT (InsForge's `verifyAdmin`).
    pub async fn authenticate_admin(&self, presented: Presented<'_>) -> Result<Principal, AuthError> {
        if presented == Presented::None {
            return Err(AuthError::NoAdminToken);
        }
        let principal = self.authenticate(presented).await?;
        if principal.is_admin() {
            Ok(principal)
        } else {
            Err(AuthError::AdminRequired)
        }
    }

    /// Signs an RS256 access token with the project key.
    pub fn sign_access_token(
        &self,
        sub: &str,
        email: Option<&str>,
        role: Role,
        ttl_seconds: i64,
    ) -> Result<String, jsonwebtoken::errors::Error> {
        sign_access_token(&self.credentials.load().keypair, sub, email, role, ttl_seconds)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::keypair::ProjectKeyPair;

    fn authenticator() -> Authenticator {
        let stored = ProjectKeyPair::generate().unwrap();
        Authenticator::new(ProjectCredentials {
            api_keys: vec![
                ProjectKey::permanent("ik_current"),
                ProjectKey::permanent("ik_old"),
                ProjectKey {
                    value: "ik_expired".into(),
                    expires_at: Some(now_seconds() - 1),
                },
            ],
            anon_keys: vec![ProjectKey::permanent("anon_current")],
            jwt_secret: "s".into(),
            keypair: ProjectKeyPair::load(&stored).unwrap(),
        })
    }

    #[test]
    fn dispatch_never_falls_back() {
        let auth = authenticator();
        let auth = |p| auth.authenticate_local(p);
        assert_eq!(auth(Presented::None), Err(AuthError::NoToken));
        assert_eq!(
            auth(Presented::ApiKey("ik_current")),
            Ok(Principal::Admin { sub: None })
        );
        assert_eq!(auth(Presented::ApiKey("ik_old")), Ok(Principal::Admin { sub: None }));
        assert_eq!(auth(Presented::ApiKey("ik_wrong")), Err(AuthError::InvalidApiKey));
        assert_eq!(auth(Presented::AnonKey("anon_current")), Ok(Principal::Anon));
        assert_eq!(auth(Presented::AnonKey("anon_wrong")), Err(AuthError::InvalidAnonKey));
        assert_eq!(auth(Presented::Jwt("garbage")), Err(AuthError::InvalidToken));
    }

    #[tokio::test]
    async fn admin_routes() {
        let auth = authenticator();
        assert_eq!(
            auth.authenticate_admin(Presented::None).await,
            Err(AuthError::NoAdminToken)
        );
        assert_eq!(
            auth.authenticate_admin(Presented::AnonKey("anon_current")).await,
            Err(AuthError::AdminRequired)
        );
        let user = auth.sign_access_token("u", None, Role::Authenticated, 60).unwrap();
        assert_eq!(
            auth.authenticate_admin(Presented::Jwt(&user)).await,
            Err(AuthError::AdminRequired)
        );
        let admin = auth
            .sign_access_token("local:admin", None, Role::ProjectAdmin, 60)
            .unwrap();
        assert!(auth.authenticate_admin(Presented::Jwt(&admin)).await.is_ok());
    }
}
