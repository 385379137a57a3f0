//! One module per area of the API.

pub mod admin;
pub mod auth_diagnostics;
pub mod data;
pub mod health;
pub mod jwks;
pub mod metadata;
pub mod records;
pub mod rpc;
pub mod secrets;
pub mod whoami;
