//! The HTTP layer: composition and the layers every request crosses. It merges each capability's
//! router (`oxforge-server/src/capabilities.rs` lists them) under CORS, the small body limit,
//! tracing and the request log, answers what no route matches (404/405 envelopes, the 501s of
//! modules not built yet), and routes `//api/...` as `/api/...`. No capability's handlers live
//! here.

mod app;
mod request_log;
mod settings;
mod unbuilt;

pub use app::{Service, service};
pub use settings::HttpSettings;
