//! A write load for outage tests: concurrent clients inserting unique ids, recording every answer,
//! so a test can check that failures were fast 503s and that every acknowledged id was kept.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicI64, Ordering};
use std::time::{Duration, Instant};

use serde_json::json;
use tokio::task::JoinHandle;

#[derive(Debug)]
pub struct Outcome {
    pub id: i64,
    /// 0 when no HTTP answer came (connection error or client timeout).
    pub status: u16,
    pub sent: Instant,
    pub took: Duration,
    pub retry_after: bool,
}

pub struct WriteLoad {
    stop: Arc<AtomicBool>,
    writers: Vec<JoinHandle<Vec<Outcome>>>,
}

impl WriteLoad {
    /// `writers` clients POSTing `{"id": n}` to `url` (a records endpoint) until [`finish`](Self::finish).
    pub fn start(url: &str, key: &str, writers: usize) -> WriteLoad {
        let next_id = Arc::new(AtomicI64::new(0));
        let stop = Arc::new(AtomicBool::new(false));
        let writers = (0..writers)
            .map(|_| {
                let (url, key) = (url.to_owned(), key.to_owned());
                let (next_id, stop) = (Arc::clone(&next_id), Arc::clone(&stop));
                tokio::spawn(async move {
                    let client = reqwest::Client::builder()
                        .timeout(Duration::from_secs(15))
                        .build()
                        .unwrap();
                    let mut outcomes = Vec::new();
                    while !stop.load(Ordering::Relaxed) {
                        let id = next_id.fetch_add(1, Ordering::Relaxed);
                        let sent = Instant::now();
                        let response = client
                            .post(&url)
                            .bearer_auth(&key)
                            .json(&json!({"id": id}))
                            .send()
                            .await;
                        let (status, retry_after) = match &response {
                            Ok(r) => (r.status().as_u16(), r.headers().contains_key("retry-after")),
                            Err(_) => (0, false),
                        };
                        outcomes.push(Outcome {
                            id,
                            status,
                            sent,
                            took: sent.elapsed(),
                            retry_after,
                        });
                        if status != 201 {
                            tokio::time::sleep(Duration::from_millis(20)).await;
                        }
                    }
                    outcomes
                })
            })
            .collect();
        WriteLoad { stop, writers }
    }

    pub async fn finish(self) -> LoadReport {
        self.stop.store(true, Ordering::Relaxed);
        let mut outcomes = Vec::new();
        for writer in self.writers {
            outcomes.extend(writer.await.unwrap());
        }
        LoadReport { outcomes }
    }
}

pub struct LoadReport {
    pub outcomes: Vec<Outcome>,
}

impl LoadReport {
    pub fn acknowledged(&self) -> Vec<i64> {
        self.outcomes.iter().filter(|o| o.status == 201).map(|o| o.id).collect()
    }

    /// Asserts every failure was a 503 with `Retry-After`, answered within `max`; returns how many
    /// there were and the slowest.
    pub fn assert_failures_are_fast_503s(&self, max: Duration) -> (usize, Duration) {
        let failed: Vec<&Outcome> = self.outcomes.iter().filter(|o| o.status != 201).collect();
        let unexpected: Vec<&&Outcome> = failed.iter().filter(|o| o.status != 503 || !o.retry_after).collect();
        assert!(
            unexpected.is_empty(),
            "only 503 + Retry-After while down: {unexpected:?}"
        );
        let slowest = failed.iter().map(|o| o.took).max().unwrap_or_default();
        assert!(slowest < max, "a 503 took {slowest:?}");
        (failed.len(), slowest)
    }

    /// How long after `since` the first write sent after it succeeded.
    pub fn first_success_after(&self, since: Instant) -> Option<Duration> {
        self.outcomes
            .iter()
            .filter(|o| o.status == 201 && o.sent > since)
            .map(|o| o.sent + o.took - since)
            .min()
    }

    /// Asserts every acknowledged id is in `stored`; returns how many were checked.
    pub fn assert_none_lost(&self, stored: &std::collections::HashSet<i64>) -> usize {
        let acknowledged = self.acknowledged();
        let lost: Vec<&i64> = acknowledged.iter().filter(|id| !stored.contains(id)).collect();
        assert!(lost.is_empty(), "acknowledged but lost: {lost:?}");
        acknowledged.len()
    }
}
