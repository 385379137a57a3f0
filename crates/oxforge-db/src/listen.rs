//! One `LISTEN` connection per process, dispatching notifications to callbacks, reconnecting on
//! failure. This is how several oxforge processes on one database stay in step (schema reloads,
//! key rotations).

use std::sync::Arc;
use std::time::Duration;

use tokio::task::JoinHandle;
use tokio_postgres::AsyncMessage;

/// Called with a notification's payload.
pub type Callback = Arc<dyn Fn(&str) + Send + Sync>;

/// Listens on `channels` until the returned task is aborted. After a reconnection every callback
/// runs once with an empty payload, since notifications may have been missed meanwhile.
pub fn spawn(connection_string: String, channels: Vec<(&'static str, Callback)>) -> JoinHandle<()> {
    tokio::spawn(async move {
        let mut first = true;
        loop {
            if !first {
                for (_, callback) in &channels {
                    callback("");
                }
            }
            first = false;
            match listen(&connection_string, &channels).await {
                Ok(()) => tracing::warn!("notification listener connection closed; reconnecting"),
                Err(e) => tracing::warn!(error = %e, "notification listener failed; reconnecting"),
            }
            tokio::time::sleep(Duration::from_secs(1)).await;
        }
    })
}

struct AbortOnDrop(JoinHandle<()>);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
}

async fn listen(connection_string: &str, channels: &[(&'static str, Callback)]) -> Result<(), tokio_postgres::Error> {
    let (client, mut connection) = tokio_postgres::connect(connection_string, tokio_postgres::NoTls).await?;
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel::<(String, String)>();
    let driver = tokio::spawn(async move {
        loop {
            match std::future::poll_fn(|cx| connection.poll_message(cx)).await {
                Some(Ok(AsyncMessage::Notification(n))) => {
                    if tx.send((n.channel().to_owned(), n.payload().to_owned())).is_err() {
                        break;
                    }
                }
                Some(Ok(_)) => {}
                Some(Err(e)) => {
                    tracing::warn!(error = %e, "notification listener connection error");
                    break;
                }
                None => break,
            }
        }
    });
    let _driver = AbortOnDrop(driver);
    let statements: Vec<String> = channels.iter().map(|(c, _)| format!("LISTEN \"{c}\";")).collect();
    client.batch_execute(&statements.concat()).await?;
    while let Some((channel, payload)) = rx.recv().await {
        for (name, callback) in channels {
            if *name == channel {
                callback(&payload);
            }
        }
    }
    Ok(())
}
