//! A bound on the data-API requests one client address has in flight, so a single client
//! cannot hold every database connection (each slow request holds one until its statement
//! timeout). Requests over the bound wait for a turn, then get 429.

use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::extract::{ConnectInfo, Request, State};
use axum::http::StatusCode;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

use crate::{ApiError, AppState};

/// Above this many tracked addresses, those with nothing in flight are forgotten.
const SWEEP_AT: usize = 4_096;

pub struct ClientLimiter {
    per_client: usize,
    wait: Duration,
    clients: Mutex<HashMap<IpAddr, Arc<Semaphore>>>,
}

/// The address a limit applies to: IPv6 clients by their /64 (one host usually has a whole one).
fn bucket(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) if v6.to_ipv4_mapped().is_none() => {
            let s = v6.segments();
            IpAddr::V6(std::net::Ipv6Addr::new(s[0], s[1], s[2], s[3], 0, 0, 0, 0))
        }
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(ip, IpAddr::V4),
        v4 => v4,
    }
}

impl ClientLimiter {
    pub fn new(per_client: usize, wait: Duration) -> Self {
        ClientLimiter {
            per_client: per_client.max(1),
            wait,
            clients: Mutex::new(HashMap::new()),
        }
    }

    fn semaphore(&self, ip: IpAddr) -> Arc<Semaphore> {
        let mut clients = self.clients.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        if clients.len() >= SWEEP_AT {
            // Only this map holds an idle client's semaphore.
            clients.retain(|_, s| Arc::strong_count(s) > 1);
        }
        Arc::clone(
            clients
                .entry(bucket(ip))
                .or_insert_with(|| Arc::new(Semaphore::new(self.per_client))),
        )
    }

    /// A turn for `ip`, waiting at most the configured time.
    pub async fn acquire(&self, ip: IpAddr) -> Option<OwnedSemaphorePermit> {
        let semaphore = self.semaphore(ip);
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
pub async fn limit(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let Some(limiter) = state.client_limiter.as_deref() else {
        return next.run(request).await;
    };
    let peer = request
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|ConnectInfo(addr)| addr.ip());
    let Some(ip) = peer else {
        return next.run(request).await;
    };
    match limiter.acquire(ip).await {
        Some(_permit) => next.run(request).await,
        None => {
            let mut err = ApiError::new(
                StatusCode::TOO_MANY_REQUESTS,
                "TOO_MANY_REQUESTS",
                "Too many concurrent requests from this address; retry shortly",
            );
            err.retry_after = Some(1);
            err.into_response()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn bounds_each_address_and_forgets_idle_ones() {
        let limiter = ClientLimiter::new(2, Duration::from_millis(50));
        let a: IpAddr = "10.0.0.1".parse().unwrap();
        let b: IpAddr = "10.0.0.2".parse().unwrap();
        let first = limiter.acquire(a).await;
        let second = limiter.acquire(a).await;
        assert!(first.is_some() && second.is_some());
        assert!(
            limiter.acquire(a).await.is_none(),
            "a third turn for the same address waits, then fails"
        );
        assert!(limiter.acquire(b).await.is_some(), "another address is not affected");
        drop(first);
        assert!(limiter.acquire(a).await.is_some(), "a freed turn is reused");
        for i in 0..(SWEEP_AT as u32 + 10) {
            drop(limiter.acquire(IpAddr::V4(std::net::Ipv4Addr::from(i))).await);
        }
        assert!(limiter.tracked() < SWEEP_AT + 1, "idle addresses are swept");
    }

    #[test]
    fn ipv6_by_64() {
        let x: IpAddr = "2001:db8:1:2:aaaa::1".parse().unwrap();
        let y: IpAddr = "2001:db8:1:2:bbbb::9".parse().unwrap();
        assert_eq!(bucket(x), bucket(y));
        let mapped: IpAddr = "::ffff:10.1.2.3".parse().unwrap();
        assert_eq!(bucket(mapped), "10.1.2.3".parse::<IpAddr>().unwrap());
    }
}
