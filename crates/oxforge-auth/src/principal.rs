//! The caller, as the rest of the server sees it, and the claims the database receives.

use serde_json::{Map, Value, json};

/// The database roles a request may run as. Nothing else ever reaches `SET ROLE`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Role {
    Anon,
    Authenticated,
    ProjectAdmin,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Anon => "anon",
            Role::Authenticated => "authenticated",
            Role::ProjectAdmin => "project_admin",
        }
    }

    /// The allowlist: a role claim outside it is refused.
    pub fn from_claim(value: &str) -> Option<Role> {
        match value {
            "anon" => Some(Role::Anon),
            "authenticated" => Some(Role::Authenticated),
            "project_admin" => Some(Role::ProjectAdmin),
            _ => None,
        }
    }
}

/// A signed-in user (a JWT with role `authenticated`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserClaims {
    pub sub: String,
    pub email: Option<String>,
    pub iat: Option<i64>,
    pub exp: Option<i64>,
}

/// Who is calling, after verification.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Principal {
    /// The API key (`sub: None`) or a JWT with role `project_admin` (its `sub`, e.g. `local:admin`).
    Admin {
        sub: Option<String>,
    },
    /// The anon key, or a legacy anon JWT (its subject is dropped).
    Anon,
    User(UserClaims),
}

/// Lifetime given to database claims of a token that carries no `exp`.
const CLAIMS_TTL_SECONDS: i64 = 300;

impl Principal {
    pub fn role(&self) -> Role {
        match self {
            Principal::Admin { .. } => Role::ProjectAdmin,
            Principal::Anon => Role::Anon,
            Principal::User(_) => Role::Authenticated,
        }
    }

    pub fn is_admin(&self) -> bool {
        matches!(self, Principal::Admin { .. })
    }

    /// The JSON for `request.jwt.claims`: exactly `{sub, email?, role, iat, exp}` for a user,
    /// `{"role":"anon"}` for anon and `{"role":"project_admin"}` for the admin. Custom claims
    /// of the token never reach the database.
    pub fn database_claims(&self, now: i64) -> Value {
        match self {
            Principal::Admin { .. } | Principal::Anon => json!({ "role": self.role().as_str() }),
            Principal::User(user) => {
                let mut claims = Map::new();
                claims.insert("sub".into(), Value::String(user.sub.clone()));
                if let Some(email) = &user.email {
                    claims.insert("email".into(), Value::String(email.clone()));
                }
                claims.insert("role".into(), Value::String(Role::Authenticated.as_str().into()));
                claims.insert("iat".into(), Value::from(user.iat.unwrap_or(now)));
                claims.insert("exp".into(), Value::from(user.exp.unwrap_or(now + CLAIMS_TTL_SECONDS)));
                Value::Object(claims)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn database_claims_are_exact() {
        let user = Principal::User(UserClaims {
            sub: "auth0|1".into(),
            email: Some("u@x.io".into()),
            iat: Some(10),
            exp: Some(20),
        });
        assert_eq!(
            user.database_claims(0).to_string(),
            r#"{"sub":"auth0|1","email":"u@x.io","role":"authenticated","iat":10,"exp":20}"#
        );
        assert_eq!(Principal::Anon.database_claims(0), json!({"role":"anon"}));
        let admin = Principal::Admin {
            sub: Some("local:admin".into()),
        };
        assert_eq!(admin.database_claims(0), json!({"role":"project_admin"}));
    }

    #[test]
    fn role_allowlist() {
        assert_eq!(Role::from_claim("authenticated"), Some(Role::Authenticated));
        assert_eq!(Role::from_claim("postgres"), None);
        assert_eq!(Role::from_claim("service_role"), None);
    }
}
