//! Who is calling: the credential model of InsForge, hardened where it was loose.
//!
//! A request's credential is told apart by its *shape*, never by falling back after a
//! failure ([`credential::classify`]): `Bearer ik_…` or an `x-api-key` header is the admin
//! API key, `Bearer anon_…` is the anon key, any other bearer is a JWT. The
//! [`Authenticator`] checks the credential against the project's keys and yields a
//! [`Principal`], the only thing the rest of the server learns about the caller.

pub mod admin;
mod authenticator;
pub mod credential;
pub mod csrf;
pub mod diagnose;
mod error;
pub mod jwt;
pub mod keypair;
pub mod keys;
pub mod password;
pub mod principal;
pub mod providers;

pub use authenticator::{Authenticator, ProjectCredentials, ProjectKey};
pub use error::AuthError;
pub use keypair::ProjectKeyPair;
pub use principal::{Principal, Role, UserClaims};

/// Seconds since the Unix epoch.
pub fn now_seconds() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}
