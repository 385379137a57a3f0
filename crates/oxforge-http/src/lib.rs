//! The HTTP layer: routes that parse a request, call into the other crates and shape the
//! answer. Every error that is not a PostgREST error leaves through `oxforge_edge::ApiError`,
//! InsForge's envelope `{error, message, statusCode, nextActions?}`.

mod app;
pub mod client_limit;
pub mod keys;
mod request_log;
mod routes;
mod state;
mod unbuilt;

pub use app::{Service, service};
pub use state::{AppState, HttpSettings};
