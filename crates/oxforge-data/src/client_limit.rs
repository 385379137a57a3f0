//! A bound on the data-API requests one client address has in flight, so a single client
//! cannot hold every database connection (each slow request holds one until its statement
//! timeout). Requests over the bound wait for a turn, then get 429.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::extract::{ConnectInfo, Request, State};
use axum::http::HeaderMap;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

use crate::DataState;
use oxforge_edge::ApiError;
use oxforge_edge::client_ip::{self, TrustedProxies};

/// Above this many tracked addresses, those with nothing in flight are forgotten.
const SWEEP_AT: usize = 4_096;

pub struct ClientLimiter {
    per_client: usize,
    wait: Duration,
    /// Whose `X-Forwarded-For` names the client.
    proxies: TrustedProxies,
    /// By the client's address bucket (`oxforge_edge::client_ip`: trusted proxies, IPv6 by /64).
    clients: Mutex<HashMap<String, Arc<Semaphore>>>,
}

impl ClientLimiter {
    /// `per_client` requests in flight per address, waiting at most `wait` for a turn; the
    /// address is taken from `X-Forwarded-For` only behind `proxies`.
    pub fn new(per_client: usize, wait: Duration, proxies: TrustedProxies) -> Self {
        ClientLimiter {
            per_client: per_client.max(1),
            wait,
            proxies,
            clients: Mutex::new(HashMap::new()),
        }
    }

    /// The client's address bucket (see [`oxforge_edge::client_ip`]).
    fn client(&self, peer: SocketAddr, headers: &HeaderMap) -> String {
        client_ip::bucket(self.proxies.client(peer.ip(), headers))
    }

    fn semaphore(&self, client: String) -> Arc<Semaphore> {
        let mut clients = self.clients.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        if clients.len() >= SWEEP_AT {
            // Only this map holds an idle client's semaphore.
            clients.retain(|_, s| Arc::strong_count(s) > 1);
        }
        Arc::clone(
            clients
                .entry(client)
                .or_insert_with(|| Arc::new(Semaphore::new(self.per_client))),
        )
    }

    /// A turn for `client` (an address bucket), waiting at most the configured time.
    pub async fn acquire(&self, client: String) -> Option<OwnedSemaphorePermit> {
        let semaphore = self.semaphore(client);
        tokio::time::timeout(self.wait, semaphore.acquire_owned())
            .await
            .ok()
            .and_then(Result::ok)
    }

    #[cfg(test)]
    fn tracked(&self) -> usize {
        self.clients.lock().map(|c| c.len()).unwrap_or(0)
    }
}

/// Middleware on the data-API routes.
pub async fn limit(State(state): State<DataState>, request: Request, next: Next) -> Response {
    let Some(limiter) = state.client_limiter.as_deref() else {
        return next.run(request).await;
    };
    let peer = request
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|ConnectInfo(addr)| *addr);
    let Some(peer) = peer else {
        return next.run(request).await;
    };
    let client = limiter.client(peer, request.headers());
    match limiter.acquire(client).await {
        Some(_permit) => next.run(request).await,
        None => ApiError::too_many_requests("Too many concurrent requests from this address; retry shortly", 1)
            .into_response(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn bounds_each_client_and_forgets_idle_ones() {
        let limiter = ClientLimiter::new(2, Duration::from_millis(50), TrustedProxies::default());
        let a = || "10.0.0.1".to_owned();
        let first = limiter.acquire(a()).await;
        let second = limiter.acquire(a()).await;
        assert!(first.is_some() && second.is_some());
        assert!(
            limiter.acquire(a()).await.is_none(),
            "a third turn for the same client waits, then fails"
        );
        assert!(
            limiter.acquire("10.0.0.2".into()).await.is_some(),
            "another client is not affected"
        );
        drop(first);
        assert!(limiter.acquire(a()).await.is_some(), "a freed turn is reused");
        for i in 0..(SWEEP_AT + 10) {
            drop(limiter.acquire(format!("client-{i}")).await);
        }
        assert!(limiter.tracked() <= SWEEP_AT, "idle clients are swept");
    }
}
