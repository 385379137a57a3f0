//! Keeps the embedded PostgreSQL running. If the postmaster exits while oxforge serves (a crash,
//! an OOM kill, an operator's `kill -9`), it is started again with the same options — same socket
//! and port, so the pool's connection string stays valid; PostgreSQL's crash recovery replays its
//! WAL, so committed writes survive — and the pool reconnects by itself. Meanwhile requests get
//! fast 503s. A start that fails (shared memory still held by dying backends…) is retried.

use std::sync::Arc;
use std::time::Duration;

use oxforge_embedded_pg::{EmbeddedPostgres, Options};
use tokio::sync::Mutex;
use tokio::task::JoinHandle;

use crate::StartError;

/// How often the postmaster is checked (and a failed restart retried).
const CHECK_EVERY: Duration = Duration::from_millis(200);

/// The embedded cluster under watch.
pub(crate) struct Watched {
    cluster: Arc<Mutex<Option<EmbeddedPostgres>>>,
    task: JoinHandle<()>,
}

pub(crate) fn watch(cluster: EmbeddedPostgres, options: Options) -> Watched {
    let cluster = Arc::new(Mutex::new(Some(cluster)));
    let task = tokio::spawn(keep_running(Arc::clone(&cluster), options));
    Watched { cluster, task }
}

async fn keep_running(slot: Arc<Mutex<Option<EmbeddedPostgres>>>, options: Options) {
    loop {
        tokio::time::sleep(CHECK_EVERY).await;
        let mut guard = slot.lock().await;
        let down = match guard.as_mut() {
            Some(cluster) => match cluster.exit_status() {
                Some(status) => {
                    tracing::error!(%status, "the embedded PostgreSQL exited unexpectedly; restarting it");
                    true
                }
                None => false,
            },
            None => true,
        };
        if !down {
            continue;
        }
        *guard = None;
        let options = options.clone();
        match tokio::task::spawn_blocking(move || EmbeddedPostgres::start(options)).await {
            Ok(Ok(cluster)) => {
                tracing::warn!(pid = cluster.pid(), "the embedded PostgreSQL is running again");
                *guard = Some(cluster);
            }
            Ok(Err(e)) => tracing::error!(error = %e, "cannot restart the embedded PostgreSQL yet; retrying"),
            Err(e) => tracing::error!(error = %e, "the restart of the embedded PostgreSQL failed; retrying"),
        }
    }
}

impl Watched {
    /// Stops watching, then stops PostgreSQL.
    pub(crate) async fn stop(self) -> Result<(), StartError> {
        self.task.abort();
        let _ = self.task.await;
        if let Some(cluster) = self.cluster.lock().await.take() {
            tokio::task::spawn_blocking(move || cluster.stop()).await??;
        }
        Ok(())
    }
}
