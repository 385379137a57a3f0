//! One provider's signing keys, fetched from its JWKS URL (found by OIDC discovery if needed).
//!
//! - Reads never wait: the current set is an `ArcSwap` snapshot.
//! - An unknown `kid` triggers at most one refetch per cooldown; concurrent requests share it.
//! - `Cache-Control: max-age` schedules a refresh, within bounds.
//! - A failed fetch keeps the last good set; a slow provider times out without blocking others.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use arc_swap::ArcSwap;
use jsonwebtoken::DecodingKey;
use jsonwebtoken::jwk::{AlgorithmParameters, JwkSet};
use tokio::sync::Mutex;

/// Keys older than this are refreshed on the next use (unless `max-age` says sooner).
const MAX_AGE_BOUNDS: (Duration, Duration) = (Duration::from_secs(60), Duration::from_secs(24 * 3600));
const FETCH_TIMEOUT: Duration = Duration::from_secs(5);

#[derive(Default)]
struct KeySet {
    keys: HashMap<String, DecodingKey>,
    fetched: Option<Instant>,
    max_age: Duration,
}

/// The state of a key set, for `oxforge auth providers`.
#[derive(Debug, Clone, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct KeyStatus {
    pub key_ids: Vec<String>,
    pub seconds_since_fetch: Option<u64>,
    pub last_error: Option<String>,
}

pub struct ProviderKeys {
    issuer: String,
    jwks_url: Option<String>,
    cooldown: Duration,
    http: reqwest::Client,
    current: ArcSwap<KeySet>,
    /// Serialises fetches; holds when the last one was attempted and its error.
    fetching: Mutex<(Option<Instant>, Option<String>)>,
    discovered: Mutex<Option<String>>,
}

impl ProviderKeys {
    pub fn new(issuer: String, jwks_url: Option<String>, cooldown: Duration, http: reqwest::Client) -> Self {
        ProviderKeys {
            issuer,
            jwks_url,
            cooldown,
            http,
            current: ArcSwap::from_pointee(KeySet::default()),
            fetching: Mutex::new((None, None)),
            discovered: Mutex::new(None),
        }
    }

    /// The key for `kid` (`None`: the only key, if there is exactly one), fetching if needed.
    pub async fn key(&self, kid: Option<&str>) -> Result<DecodingKey, String> {
        let snapshot = self.current.load_full();
        let stale = snapshot.fetched.is_none_or(|at| at.elapsed() > snapshot.max_age);
        if let Some(key) = pick(&snapshot, kid).filter(|_| !stale) {
            return Ok(key);
        }
        self.refresh(stale).await;
        pick(&self.current.load(), kid).ok_or_else(|| match kid {
            Some(kid) => format!("unknown signing key (kid {kid}) for issuer {}", self.issuer),
            None => format!("the token has no kid and issuer {} publishes several keys", self.issuer),
        })
    }

    /// Fetches the key set unless another request just did (or one failed within the cooldown).
    async fn refresh(&self, stale: bool) {
        let started = Instant::now();
        let mut guard = self.fetching.lock().await;
        if let Some(last) = guard.0
            && (last >= started || (!stale && last.elapsed() < self.cooldown))
        {
            return;
        }
        let result = self.fetch().await;
        // Recorded when the fetch ends, so that requests which queued behind it use its result.
        guard.0 = Some(Instant::now());
        match result {
            Ok(set) => {
                self.current.store(Arc::new(set));
                guard.1 = None;
            }
            Err(e) => {
                tracing::warn!(issuer = %self.issuer, error = %e, "cannot fetch the provider's signing keys; keeping the last good set");
                guard.1 = Some(e);
            }
        }
    }

    async fn jwks_url(&self) -> Result<String, String> {
        if let Some(url) = &self.jwks_url {
            return Ok(url.clone());
        }
        let mut discovered = self.discovered.lock().await;
        if let Some(url) = discovered.as_ref() {
            return Ok(url.clone());
        }
        let url = format!("{}/.well-known/openid-configuration", self.issuer.trim_end_matches('/'));
        let doc: serde_json::Value = self.get(&url).await?.0;
        if doc["issuer"].as_str().map(|i| i.trim_end_matches('/')) != Some(self.issuer.trim_end_matches('/')) {
            return Err(format!("discovery at {url} names another issuer ({})", doc["issuer"]));
        }
        let jwks = doc["jwks_uri"]
            .as_str()
            .ok_or_else(|| format!("discovery at {url} has no jwks_uri"))?
            .to_owned();
        *discovered = Some(jwks.clone());
        Ok(jwks)
    }

    async fn get(&self, url: &str) -> Result<(serde_json::Value, Option<Duration>), String> {
        let response = self
            .http
            .get(url)
            .timeout(FETCH_TIMEOUT)
            .send()
            .await
            .map_err(|e| format!("GET {url}: {e}"))?;
        if !response.status().is_success() {
            return Err(format!("GET {url}: HTTP {}", response.status()));
        }
        let max_age = response
            .headers()
            .get("cache-control")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| {
                v.split(',')
                    .find_map(|d| d.trim().strip_prefix("max-age=")?.parse::<u64>().ok())
            })
            .map(Duration::from_secs);
        let body = response.json().await.map_err(|e| format!("GET {url}: {e}"))?;
        Ok((body, max_age))
    }

    async fn fetch(&self) -> Result<KeySet, String> {
        let url = self.jwks_url().await?;
        let (body, max_age) = self.get(&url).await?;
        let set: JwkSet = serde_json::from_value(body).map_err(|e| format!("{url} is not a JWK set: {e}"))?;
        let mut keys = HashMap::new();
        for (i, jwk) in set.keys.iter().enumerate() {
            // Symmetric keys are never accepted from a provider.
            if matches!(jwk.algorithm, AlgorithmParameters::OctetKey(_)) {
                continue;
            }
            if let Ok(key) = DecodingKey::from_jwk(jwk) {
                keys.insert(jwk.common.key_id.clone().unwrap_or_else(|| format!("#{i}")), key);
            }
        }
        let max_age = max_age
            .unwrap_or(MAX_AGE_BOUNDS.1)
            .clamp(MAX_AGE_BOUNDS.0, MAX_AGE_BOUNDS.1);
        Ok(KeySet {
            keys,
            fetched: Some(Instant::now()),
            max_age,
        })
    }

    pub async fn status(&self) -> KeyStatus {
        let snapshot = self.current.load();
        let mut key_ids: Vec<String> = snapshot.keys.keys().cloned().collect();
        key_ids.sort();
        KeyStatus {
            key_ids,
            seconds_since_fetch: snapshot.fetched.map(|at| at.elapsed().as_secs()),
            last_error: self.fetching.lock().await.1.clone(),
        }
    }
}

fn pick(set: &KeySet, kid: Option<&str>) -> Option<DecodingKey> {
    match kid {
        Some(kid) => set.keys.get(kid).cloned(),
        None if set.keys.len() == 1 => set.keys.values().next().cloned(),
        None => None,
    }
}
