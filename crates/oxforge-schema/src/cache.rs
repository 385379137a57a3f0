//! The live cache and the listener that keeps it current.

use std::sync::Arc;
use std::time::{Duration, Instant};

use arc_swap::ArcSwap;
use tokio::sync::{Mutex, Notify};

use crate::SchemaCache;
use crate::introspect::{LoadError, load};

/// Shared handle: the current snapshot and the means to refresh it.
pub struct SchemaCacheHandle {
    current: ArcSwap<SchemaCache>,
    /// Where the introspection query runs.
    pool: oxforge_db::Pool,
    /// The pool whose prepared statements depend on the schema (the data API's).
    prepared_on: oxforge_db::Pool,
    reload_lock: Mutex<Instant>,
    wake: Notify,
}

/// A miss (unknown table or function) reloads at most this often.
const MISS_RELOAD_COOLDOWN: Duration = Duration::from_millis(500);

impl SchemaCacheHandle {
    pub async fn load(pool: oxforge_db::Pool) -> Result<Arc<Self>, LoadError> {
        Self::load_for(pool.clone(), pool).await
    }

    /// Loads with `pool`; a reload that changes the schema drops the prepared statements of
    /// `prepared_on`'s connections.
    pub async fn load_for(pool: oxforge_db::Pool, prepared_on: oxforge_db::Pool) -> Result<Arc<Self>, LoadError> {
        let cache = load(&pool).await?;
        tracing::info!(tables = cache.table_count(), "schema cache loaded");
        Ok(Arc::new(SchemaCacheHandle {
            current: ArcSwap::from_pointee(cache),
            pool,
            prepared_on,
            reload_lock: Mutex::new(Instant::now()),
            wake: Notify::new(),
        }))
    }

    /// The snapshot a request works with from start to end.
    pub fn snapshot(&self) -> Arc<SchemaCache> {
        self.current.load_full()
    }

    /// Reloads now (in the caller's task); concurrent callers share one reload.
    pub async fn reload(&self) -> Result<(), LoadError> {
        let started = Instant::now();
        let mut last = self.reload_lock.lock().await;
        if *last >= started {
            return Ok(()); // someone reloaded while we waited
        }
        let cache = load(&self.pool).await?;
        tracing::info!(
            tables = cache.table_count(),
            elapsed_ms = started.elapsed().as_millis() as u64,
            "schema cache reloaded"
        );
        // Prepared statements carry parameter types taken from the old schema; a reload that
        // found nothing new (a request for a missing table) keeps them.
        if cache.fingerprint() != self.current.load().fingerprint() {
            oxforge_db::exec::forget_prepared_statements(&self.prepared_on);
        }
        self.current.store(Arc::new(cache));
        *last = Instant::now();
        Ok(())
    }

    /// Called when a request names something the cache does not know: DDL may have just
    /// committed. Reloads (at most once per cooldown: a burst of misses waits for, and shares,
    /// one reload) and returns the new snapshot.
    pub async fn reload_after_miss(&self) -> Arc<SchemaCache> {
        let since_last = self.reload_lock.lock().await.elapsed();
        if let Some(wait) = MISS_RELOAD_COOLDOWN.checked_sub(since_last) {
            tokio::time::sleep(wait).await;
        }
        if let Err(e) = self.reload().await {
            tracing::warn!(error = %e, "schema cache reload failed");
        }
        self.snapshot()
    }

    /// Asks the background reloader to refresh (coalesces bursts of notifications).
    pub fn request_reload(&self) {
        self.wake.notify_one();
    }
}

/// Starts the background tasks: a reloader, and a `LISTEN pgrst` connection (reconnecting on
/// failure; a reconnection reloads, since changes may have been missed). They end when the
/// returned handle is aborted.
pub fn spawn_listener(handle: Arc<SchemaCacheHandle>, connection_string: String) -> tokio::task::JoinHandle<()> {
    spawn_listener_with(handle, connection_string, Vec::new())
}

/// The same, with more channels on the same connection (e.g. key rotations).
pub fn spawn_listener_with(
    handle: Arc<SchemaCacheHandle>,
    connection_string: String,
    mut channels: Vec<(&'static str, oxforge_db::listen::Callback)>,
) -> tokio::task::JoinHandle<()> {
    let reloader = Arc::clone(&handle);
    tokio::spawn(async move {
        let reload_task = tokio::spawn(async move {
            loop {
                reloader.wake.notified().await;
                if let Err(e) = reloader.reload().await {
                    tracing::warn!(error = %e, "schema cache reload failed");
                }
            }
        });
        let _reloads = AbortOnDrop(reload_task);
        let on_schema: oxforge_db::listen::Callback = {
            let handle = Arc::clone(&handle);
            Arc::new(move |payload: &str| {
                if payload.is_empty() || payload == "reload schema" {
                    handle.request_reload();
                }
            })
        };
        channels.push(("pgrst", on_schema));
        let listener = oxforge_db::listen::spawn(connection_string, channels);
        let _listener = AbortOnDrop(listener);
        std::future::pending::<()>().await;
    })
}

struct AbortOnDrop(tokio::task::JoinHandle<()>);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
}
