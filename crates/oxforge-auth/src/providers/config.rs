//! Provider configuration (`[[providers]]` in oxforge.toml), with presets for the common
//! identity providers.

use jsonwebtoken::Algorithm;
use serde::{Deserialize, Serialize};

/// As written in the configuration.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct ProviderConfig {
    /// A label for logs and `oxforge auth providers` (defaults to the preset or the issuer).
    pub name: Option<String>,
    /// `auth0`, `clerk`, `cognito`, `firebase`, `kinde`, `workos`, or `oidc` (generic).
    pub preset: Option<String>,
    /// Auth0 / Clerk / Kinde domain, e.g. `tenant.us.auth0.com`.
    pub domain: Option<String>,
    /// Cognito.
    pub region: Option<String>,
    pub user_pool_id: Option<String>,
    /// Firebase.
    pub project_id: Option<String>,
    /// WorkOS client id (its JWKS URL is per client).
    pub client_id: Option<String>,
    /// The exact `iss` of the provider's tokens (presets derive it).
    pub issuer: Option<String>,
    /// The JWKS URL; when absent it is found by OIDC discovery from the issuer.
    pub jwks_url: Option<String>,
    /// Accepted `aud` values; at least one is required unless `any_audience = true`.
    pub audiences: Vec<String>,
    pub any_audience: bool,
    /// Accepted algorithms (default `["RS256"]`); HS* and `none` are never accepted.
    pub algorithms: Vec<String>,
    /// Claim holding the user id (default `sub`).
    pub subject_claim: Option<String>,
    /// Claim holding the email (default `email`).
    pub email_claim: Option<String>,
    /// Path (dot-separated) of a claim naming the role; absent: every valid token is `authenticated`.
    pub role_claim: Option<String>,
    /// Roles the role claim may name (subset of `anon`, `authenticated`; never `project_admin`).
    pub allowed_roles: Vec<String>,
}

/// What a role comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RoleRule {
    Authenticated,
    Claim {
        path: Vec<String>,
        allowed: Vec<crate::Role>,
    },
}

/// A configuration checked and completed.
#[derive(Debug, Clone)]
pub struct ResolvedProvider {
    pub name: String,
    pub issuer: String,
    pub jwks_url: Option<String>,
    pub audiences: Vec<String>,
    pub algorithms: Vec<Algorithm>,
    pub subject_claim: String,
    pub email_claim: String,
    pub role: RoleRule,
}

fn need<'a>(value: &'a Option<String>, what: &str, preset: &str) -> Result<&'a str, String> {
    value
        .as_deref()
        .filter(|v| !v.is_empty())
        .ok_or_else(|| format!("the {preset} preset needs `{what}`"))
}

fn algorithm(name: &str) -> Result<Algorithm, String> {
    let alg = match name {
        "RS256" => Algorithm::RS256,
        "RS384" => Algorithm::RS384,
        "RS512" => Algorithm::RS512,
        "PS256" => Algorithm::PS256,
        "PS384" => Algorithm::PS384,
        "PS512" => Algorithm::PS512,
        "ES256" => Algorithm::ES256,
        "ES384" => Algorithm::ES384,
        "EdDSA" => Algorithm::EdDSA,
        other => {
            return Err(format!(
                "algorithm {other} is not allowed for a provider (asymmetric only: RS*, PS*, ES256/384, EdDSA)"
            ));
        }
    };
    Ok(alg)
}

impl ProviderConfig {
    pub fn resolve(&self) -> Result<ResolvedProvider, String> {
        let preset = self.preset.as_deref().unwrap_or("oidc");
        let mut jwks_url = self.jwks_url.clone();
        let mut audiences = self.audiences.clone();
        let derived_issuer = match preset {
            "auth0" => Some(format!(
                "https://{}/",
                need(&self.domain, "domain", preset)?.trim_end_matches('/')
            )),
            "clerk" | "kinde" => Some(format!(
                "https://{}",
                need(&self.domain, "domain", preset)?.trim_end_matches('/')
            )),
            "cognito" => Some(format!(
                "https://cognito-idp.{}.amazonaws.com/{}",
                need(&self.region, "region", preset)?,
                need(&self.user_pool_id, "user_pool_id", preset)?
            )),
            "firebase" => {
                let project = need(&self.project_id, "project_id", preset)?;
                jwks_url.get_or_insert_with(|| {
                    "https://www.googleapis.com/service_accounts/v1/jwk/securetoken@system.gserviceaccount.com".into()
                });
                if audiences.is_empty() {
                    audiences.push(project.to_owned());
                }
                Some(format!("https://securetoken.google.com/{project}"))
            }
            "workos" => {
                let client = need(&self.client_id, "client_id", preset)?;
                jwks_url.get_or_insert_with(|| format!("https://api.workos.com/sso/jwks/{client}"));
                Some("https://api.workos.com".into())
            }
            "oidc" => None,
            other => return Err(format!("unknown preset {other:?}")),
        };
        let issuer = self
            .issuer
            .clone()
            .or(derived_issuer)
            .ok_or("a provider needs `issuer` (or a preset that derives it)")?;
        if audiences.is_empty() && !self.any_audience {
            return Err(format!(
                "provider {issuer}: set `audiences` (or `any_audience = true` to accept any)"
            ));
        }
        let algorithms = if self.algorithms.is_empty() {
            vec![Algorithm::RS256]
        } else {
            self.algorithms.iter().map(|a| algorithm(a)).collect::<Result<_, _>>()?
        };
        let role = match &self.role_claim {
            None => RoleRule::Authenticated,
            Some(path) => {
                let allowed = if self.allowed_roles.is_empty() {
                    vec![crate::Role::Authenticated]
                } else {
                    self.allowed_roles
                        .iter()
                        .map(|r| match r.as_str() {
                            "anon" => Ok(crate::Role::Anon),
                            "authenticated" => Ok(crate::Role::Authenticated),
                            other => Err(format!("allowed_roles: {other} cannot be granted by a provider")),
                        })
                        .collect::<Result<_, _>>()?
                };
                RoleRule::Claim {
                    path: path.split('.').map(str::to_owned).collect(),
                    allowed,
                }
            }
        };
        Ok(ResolvedProvider {
            name: self.name.clone().unwrap_or_else(|| {
                if preset == "oidc" {
                    issuer.clone()
                } else {
                    preset.to_owned()
                }
            }),
            issuer,
            jwks_url,
            audiences,
            algorithms,
            subject_claim: self.subject_claim.clone().unwrap_or_else(|| "sub".into()),
            email_claim: self.email_claim.clone().unwrap_or_else(|| "email".into()),
            role,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(preset: &str) -> ProviderConfig {
        ProviderConfig {
            preset: Some(preset.into()),
            audiences: vec!["api".into()],
            ..Default::default()
        }
    }

    #[test]
    fn presets() {
        let auth0 = ProviderConfig {
            domain: Some("t.us.auth0.com".into()),
            ..config("auth0")
        }
        .resolve()
        .unwrap();
        assert_eq!(auth0.issuer, "https://t.us.auth0.com/");
        assert_eq!(auth0.jwks_url, None, "found by discovery");
        let cognito = ProviderConfig {
            region: Some("eu-west-1".into()),
            user_pool_id: Some("eu-west-1_abc".into()),
            ..config("cognito")
        }
        .resolve()
        .unwrap();
        assert_eq!(
            cognito.issuer,
            "https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_abc"
        );
        let firebase = ProviderConfig {
            project_id: Some("my-app".into()),
            audiences: vec![],
            ..config("firebase")
        }
        .resolve()
        .unwrap();
        assert_eq!(
            (firebase.issuer.as_str(), firebase.audiences.clone()),
            ("https://securetoken.google.com/my-app", vec!["my-app".to_owned()])
        );
        assert!(firebase.jwks_url.is_some());
    }

    #[test]
    fn refusals() {
        assert!(config("auth0").resolve().is_err(), "no domain");
        let no_aud = ProviderConfig {
            issuer: Some("https://x".into()),
            ..Default::default()
        };
        assert!(no_aud.resolve().is_err());
        let hs = ProviderConfig {
            issuer: Some("https://x".into()),
            audiences: vec!["a".into()],
            algorithms: vec!["HS256".into()],
            ..Default::default()
        };
        assert!(hs.resolve().unwrap_err().contains("not allowed"));
        let admin = ProviderConfig {
            role_claim: Some("role".into()),
            allowed_roles: vec!["project_admin".into()],
            ..no_aud.clone()
        };
        assert!(
            ProviderConfig {
                audiences: vec!["a".into()],
                ..admin
            }
            .resolve()
            .is_err()
        );
    }
}
