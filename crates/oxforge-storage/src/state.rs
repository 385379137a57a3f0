//! What the storage routes reach.

use std::sync::Arc;

use axum::extract::FromRef;
use axum::http::HeaderMap;
use oxforge_auth::Authenticator;

use crate::backend::Backend;
use crate::db::Db;
use crate::error::{Result, StorageError};

#[derive(Clone)]
pub struct StorageState {
    pub auth: Arc<Authenticator>,
    pub(crate) db: Db,
    /// Where objects live; none when neither S3 nor a directory is configured (external
    /// database, no `STORAGE_DIR`).
    pub(crate) backend: Option<Arc<Backend>>,
    /// `API_BASE_URL` without a trailing `/`.
    pub(crate) api_base_url: Option<Arc<str>>,
    /// The S3 gateway's region when the gateway is on.
    pub(crate) gateway_region: Option<Arc<str>>,
}

impl FromRef<StorageState> for Arc<Authenticator> {
    fn from_ref(state: &StorageState) -> Self {
        Arc::clone(&state.auth)
    }
}

/// The fallback when a request names no host.
const DEFAULT_BASE: &str = "http://localhost:7130";

impl StorageState {
    pub(crate) fn backend(&self) -> Result<&Backend> {
        self.backend.as_deref().ok_or(StorageError::NotConfigured)
    }

    /// The absolute base of the URLs storage answers with.
    pub(crate) fn base_url(&self, headers: &HeaderMap) -> String {
        base_url(self.api_base_url.as_deref(), headers)
    }
}

/// `API_BASE_URL`, else the request's `X-Forwarded-Proto` (http or https) and `Host`.
fn base_url(configured: Option<&str>, headers: &HeaderMap) -> String {
    if let Some(base) = configured {
        return base.to_owned();
    }
    let header = |name: &str| headers.get(name).and_then(|v| v.to_str().ok()).map(str::trim);
    let proto = match header("x-forwarded-proto")
        .and_then(|p| p.split(',').next())
        .map(str::trim)
    {
        Some(p) if p.eq_ignore_ascii_case("https") => "https",
        _ => "http",
    };
    let host_ok = |h: &&str| !h.is_empty() && h.bytes().all(|b| b.is_ascii_alphanumeric() || b"-.:[]_".contains(&b));
    match header("host").filter(host_ok) {
        Some(host) => format!("{proto}://{host}"),
        None => DEFAULT_BASE.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base_from_setting_host_and_proto() {
        let mut headers = HeaderMap::new();
        assert_eq!(base_url(None, &headers), DEFAULT_BASE);
        headers.insert("host", "api.example.com:8080".parse().unwrap());
        assert_eq!(base_url(None, &headers), "http://api.example.com:8080");
        headers.insert("x-forwarded-proto", "https, http".parse().unwrap());
        assert_eq!(base_url(None, &headers), "https://api.example.com:8080");
        assert_eq!(base_url(Some("https://x.io"), &headers), "https://x.io");
        headers.insert("host", "evil.com/<script>".parse().unwrap());
        assert_eq!(base_url(None, &headers), DEFAULT_BASE);
    }
}
