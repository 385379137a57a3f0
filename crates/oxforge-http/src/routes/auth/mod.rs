//! `/api/auth/*`: accounts, sessions, profiles, the root admin.

pub mod admin;
pub mod config;
pub mod email;
pub mod profiles;
pub mod refresh;
pub mod revoke;
pub mod session;
pub mod sign_in;
pub mod sign_up;
pub mod users;
mod validate;
