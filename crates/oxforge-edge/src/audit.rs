//! The audit trail's recorder: admin actions written to `system.audit_logs` (a table the logs
//! capability owns) by any capability, without depending on it. The server puts one [`Recorder`]
//! in every capability router's request extensions; a handler takes [`Audit`] (the recorder and
//! the client's address) and calls [`Audit::record`] once the action succeeded. The row is
//! written in the background as the owner: a failed write is logged, never the request's failure.

use std::convert::Infallible;
use std::net::SocketAddr;

use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::request::Parts;
use oxforge_auth::Principal;
use oxforge_db::Pool;
use serde_json::Value;

use crate::client_ip::TrustedProxies;

/// The first characters of a query kept in a row's details.
pub const QUERY_EXCERPT_CHARS: usize = 500;

/// Writes audit rows through the owner's connections. It sits in every request's extensions, so
/// a clone is one reference count (the data API's hot path pays no more).
#[derive(Clone)]
pub struct Recorder(std::sync::Arc<RecorderParts>);

struct RecorderParts {
    pool: Pool,
    proxies: TrustedProxies,
}

impl Recorder {
    pub fn new(pool: Pool, proxies: TrustedProxies) -> Recorder {
        Recorder(std::sync::Arc::new(RecorderParts { pool, proxies }))
    }
}

/// A request's view of the recorder (none when the router was built without one: nothing is
/// written).
pub struct Audit {
    recorder: Option<Recorder>,
    ip: Option<String>,
}

impl<S: Send + Sync> FromRequestParts<S> for Audit {
    type Rejection = Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Infallible> {
        let recorder = parts.extensions.get::<Recorder>().cloned();
        let peer = parts.extensions.get::<ConnectInfo<SocketAddr>>().map(|c| c.0.ip());
        let ip = match (&recorder, peer) {
            (Some(r), Some(peer)) => Some(r.0.proxies.client(peer, &parts.headers).to_string()),
            _ => None,
        };
        Ok(Audit { recorder, ip })
    }
}

/// Who did it: `api-key` for the API key, an admin token's `sub`, `admin` otherwise.
pub fn actor(principal: &Principal) -> String {
    match principal {
        Principal::Admin { sub: Some(sub) } => sub.clone(),
        Principal::Admin { sub: None } => "api-key".to_owned(),
        _ => "admin".to_owned(),
    }
}

/// The first [`QUERY_EXCERPT_CHARS`] characters of a query.
pub fn excerpt(query: &str) -> String {
    query.chars().take(QUERY_EXCERPT_CHARS).collect()
}

const INSERT: &str = "INSERT INTO system.audit_logs (actor, action, module, details, ip_address) \
                      VALUES ($1, $2, $3, $4::text::jsonb, $5)";

impl Audit {
    /// Records `action` of `module` by `who`, in the background.
    pub fn record(&self, who: &Principal, action: &'static str, module: &'static str, details: Value) {
        let Some(recorder) = &self.recorder else { return };
        let pool = recorder.0.pool.clone();
        let (actor, ip, details) = (actor(who), self.ip.clone(), details.to_string());
        tokio::spawn(async move {
            let written = async {
                let client = pool.get().await.map_err(|e| e.to_string())?;
                client
                    .execute(INSERT, &[&actor, &action, &module, &details, &ip])
                    .await
                    .map_err(|e| e.to_string())
            };
            if let Err(error) = written.await {
                tracing::warn!(%error, action, module, "an audit log row was not written");
            }
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn actors_and_excerpts() {
        assert_eq!(actor(&Principal::Admin { sub: None }), "api-key");
        assert_eq!(
            actor(&Principal::Admin {
                sub: Some("local:root".into())
            }),
            "local:root"
        );
        assert_eq!(actor(&Principal::Anon), "admin");
        assert_eq!(excerpt(&"é".repeat(600)).chars().count(), QUERY_EXCERPT_CHARS);
        assert_eq!(excerpt("SELECT 1"), "SELECT 1");
    }
}
