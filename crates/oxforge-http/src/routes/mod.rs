//! One module per area of the API.

pub mod auth;
pub mod auth_diagnostics;
pub mod health;
pub mod jwks;
pub mod metadata;
pub mod secrets;
pub mod whoami;
