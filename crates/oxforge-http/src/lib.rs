//! The HTTP layer: routes that parse a request, call into the other crates and shape the
//! answer. Every error that is not a PostgREST error leaves through [`ApiError`], InsForge's
//! envelope `{error, message, statusCode, nextActions?}`.

mod app;
pub mod client_ip;
pub mod client_limit;
mod error;
mod extract;
pub mod keys;
pub mod password_work;
mod pgrst;
pub mod rate_limit;
mod request_log;
mod routes;
mod state;
mod unbuilt;

pub use app::{Service, service};
pub use error::ApiError;
pub use state::{AppState, HttpSettings};
