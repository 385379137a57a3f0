//! The HTTP server: an accept loop with a cap on open connections, hyper's HTTP/1 with a
//! deadline on request headers (and on idle keep-alive connections), a deadline on request
//! bodies, and draining of in-flight requests on shutdown.
//!
//! Responses have no overall deadline: a data-API request is bounded by its statement timeout
//! and the SQL editor by its own, and a large legitimate answer must not be cut short.

use std::future::Future;
use std::io;
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::body::Body;
use axum::extract::ConnectInfo;
use hyper::body::{Body as _, Incoming};
use hyper::server::conn::http1;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use hyper_util::service::TowerToHyperService;
use tokio::net::TcpListener;
use tokio::sync::Semaphore;
use tower_http::timeout::DeadlineBody;

use crate::Config;

/// File descriptors kept for everything that is not a client connection (the listener, the
/// pool's connections are added on top, log files, PostgreSQL's pipes, provider key fetches).
const RESERVED_FDS: u64 = 128;

/// At most one "connection limit reached" warning in this interval.
const CAP_WARNING_INTERVAL: Duration = Duration::from_secs(10);

/// What bounds a client's hold on the server.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ConnectionLimits {
    /// Time to send a request's headers, and the longest idle keep-alive wait.
    pub header_read_timeout: Option<Duration>,
    /// Time to send a request's body, from the end of its headers.
    pub body_read_timeout: Option<Duration>,
    /// Connections served at once; further ones wait in the listen backlog.
    pub max_connections: usize,
}

impl ConnectionLimits {
    /// The configured limits, with `max_connections` lowered to fit in `open_files` (the soft
    /// `RLIMIT_NOFILE`, when known) next to the pool and the server's own files.
    pub fn new(config: &Config, open_files: Option<u64>) -> ConnectionLimits {
        let millis = |ms: u64| (ms > 0).then(|| Duration::from_millis(ms));
        let mut max_connections = config.max_connections.max(1);
        if let Some(open_files) = open_files {
            // Every pool's connections: data API, owner, accounts and the SQL pool.
            let pools = config.pool_size + 2 * config.admin_pool_size + crate::startup::SQL_POOL_SIZE;
            let reserved = RESERVED_FDS.saturating_add(u64::try_from(pools).unwrap_or(u64::MAX));
            let room = usize::try_from(open_files.saturating_sub(reserved)).unwrap_or(usize::MAX);
            if room < max_connections {
                tracing::warn!(
                    configured = max_connections,
                    open_files,
                    "the open-file limit allows only {} client connections",
                    room.max(1)
                );
                max_connections = room.max(1);
            }
        }
        ConnectionLimits {
            header_read_timeout: millis(config.header_read_timeout_ms),
            body_read_timeout: millis(config.body_read_timeout_ms),
            max_connections,
        }
    }
}

/// Raises the soft limit on open files to the hard limit, so that the connection cap, not the
/// default soft limit (often 1024), bounds the clients. Returns the soft limit in force.
pub fn raise_open_file_limit() -> Option<u64> {
    use nix::sys::resource::{Resource, getrlimit, setrlimit};
    let (soft, hard) = match getrlimit(Resource::RLIMIT_NOFILE) {
        Ok(limits) => limits,
        Err(e) => {
            tracing::warn!(error = %e, "cannot read the open-file limit");
            return None;
        }
    };
    if soft >= hard {
        return Some(soft);
    }
    match setrlimit(Resource::RLIMIT_NOFILE, hard, hard) {
        Ok(()) => {
            tracing::debug!(from = soft, to = hard, "raised the open-file limit");
            Some(hard)
        }
        Err(e) => {
            // e.g. macOS, whose hard limit may be "unlimited" but not settable as the soft one.
            tracing::warn!(error = %e, soft, hard, "cannot raise the open-file limit");
            Some(soft)
        }
    }
}

/// Serves `app` on `listener` until `stop` completes, then stops accepting and waits for the
/// open connections to finish their requests (idle ones close at once).
pub async fn serve(
    listener: TcpListener,
    app: oxforge_http::Service,
    limits: ConnectionLimits,
    stop: impl Future<Output = ()>,
) -> io::Result<()> {
    let slots = Arc::new(Semaphore::new(limits.max_connections));
    let graceful = GracefulShutdown::new();
    let mut http = http1::Builder::new();
    http.timer(TokioTimer::new())
        .header_read_timeout(limits.header_read_timeout);
    let mut last_cap_warning: Option<Instant> = None;
    let mut stop = std::pin::pin!(stop);
    loop {
        let slot = match Arc::clone(&slots).try_acquire_owned() {
            Ok(slot) => slot,
            Err(_) => {
                if last_cap_warning.is_none_or(|at| at.elapsed() >= CAP_WARNING_INTERVAL) {
                    tracing::warn!(
                        max_connections = limits.max_connections,
                        "connection limit reached; new connections wait"
                    );
                    last_cap_warning = Some(Instant::now());
                }
                tokio::select! {
                    () = &mut stop => break,
                    slot = Arc::clone(&slots).acquire_owned() => match slot {
                        Ok(slot) => slot,
                        // The semaphore is never closed.
                        Err(_) => break,
                    },
                }
            }
        };
        let (stream, peer) = tokio::select! {
            () = &mut stop => break,
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(e) => {
                    tokio::select! {
                        () = &mut stop => break,
                        () = accept_failed(e) => continue,
                    }
                }
            },
        };
        let service = TowerToHyperService::new(tower::ServiceExt::map_request(
            app.clone(),
            move |request: hyper::Request<Incoming>| {
                let mut request = request.map(|body| match limits.body_read_timeout {
                    Some(within) if !body.is_end_stream() => Body::new(DeadlineBody::new(within, body)),
                    _ => Body::new(body),
                });
                request.extensions_mut().insert(ConnectInfo(peer));
                request
            },
        ));
        let connection = graceful.watch(http.serve_connection(TokioIo::new(stream), service));
        tokio::spawn(async move {
            if let Err(e) = connection.await {
                tracing::debug!(%peer, error = %e, "connection closed with an error");
            }
            drop(slot);
        });
    }
    drop(listener);
    graceful.shutdown().await;
    Ok(())
}

/// A failed `accept`: the client's problem (reset before we took it) costs nothing; anything
/// else (out of file descriptors) is logged, and we wait a moment for files to be closed.
async fn accept_failed(e: io::Error) {
    use io::ErrorKind::{ConnectionAborted, ConnectionRefused, ConnectionReset};
    if matches!(e.kind(), ConnectionAborted | ConnectionRefused | ConnectionReset) {
        return;
    }
    tracing::error!(error = %e, "cannot accept a connection");
    tokio::time::sleep(Duration::from_secs(1)).await;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_connection_cap_fits_in_the_open_file_limit() {
        let config = Config {
            max_connections: 4096,
            pool_size: 16,
            ..Config::default()
        };
        assert_eq!(ConnectionLimits::new(&config, None).max_connections, 4096);
        assert_eq!(ConnectionLimits::new(&config, Some(1 << 20)).max_connections, 4096);
        assert_eq!(
            ConnectionLimits::new(&config, Some(1024)).max_connections,
            1024 - 128 - (16 + 2 * config.admin_pool_size + crate::startup::SQL_POOL_SIZE),
            "the listener's reserve and every pool's connections"
        );
        assert_eq!(ConnectionLimits::new(&config, Some(10)).max_connections, 1);
        let limits = ConnectionLimits::new(
            &Config {
                header_read_timeout_ms: 0,
                ..Config::default()
            },
            None,
        );
        assert_eq!(limits.header_read_timeout, None, "0 turns it off");
        assert_eq!(limits.body_read_timeout, Some(Duration::from_secs(60)));
    }
}
