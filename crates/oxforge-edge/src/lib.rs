//! The shared edge of every capability: what a route needs to speak InsForge's HTTP API, below
//! every capability crate and below `oxforge-http`, which only composes them.
//!
//! - [`ApiError`]: InsForge's envelope `{error, message, statusCode, nextActions?}`, and the one
//!   mapping of library errors (`AuthError`, `DbError`) to it. Conversions never log: an internal
//!   cause rides in the response ([`ErrorCause`]) for the request log layer.
//! - [`pgrst`]: PostgREST's error body and SQLSTATE → status table, and [`Reject`], the data
//!   API's "envelope or PostgREST body".
//! - [`credentials`]: `Caller`, `MaybeCaller`, `SignedIn`, `Admin`, generic over any state that
//!   yields the project's `Arc<Authenticator>`.
//! - [`body`]: JSON bodies with the one size/timeout rejection and PostgREST's `PGRST102`.
//! - [`client_ip`]: who the client is (trusted proxies, IPv6 by /64), for per-client limits.
//! - [`headers`]: response headers several capabilities send (`Content-Range`).
//! - [`SchemaQuery`]: the `?schema=` of the admin routes (default `public`), and their
//!   `TABLE_NOT_FOUND`.
//! - [`audit`]: the audit trail's recorder ([`Audit`]), for admin actions.
//! - [`capability`]: the [`Capability`] trait a capability crate implements, and [`Shared`], what
//!   start-up hands it; [`settings!`] declares its settings section, each setting once.

pub mod audit;
pub mod body;
pub mod capability;
pub mod client_ip;
pub mod credentials;
mod error;
pub mod headers;
pub mod pgrst;
mod schema_query;
pub mod settings;

pub use audit::Audit;
pub use body::{JsonBody, required_strings};
pub use capability::{Capability, Shared};
pub use credentials::{Admin, Caller, MaybeCaller, SignedIn};
pub use error::{ApiError, ErrorCause};
pub use pgrst::{PgrstError, Reject};
pub use schema_query::SchemaQuery;
