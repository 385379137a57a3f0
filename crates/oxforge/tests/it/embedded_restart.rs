//! The embedded PostgreSQL dies under load (SIGKILL of the postmaster): requests get fast 503s,
//! oxforge starts PostgreSQL again by itself, and every write acknowledged to a client survives.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicI64, Ordering};
use std::time::{Duration, Instant};

use nix::sys::signal::{Signal, kill};
use nix::unistd::Pid;
use oxforge_testkit::http;
use serde_json::json;

use crate::lifecycle::{alive, data_dir, execute, postmaster_pid, query, start, wait_exit, wait_gone};

const WRITERS: usize = 4;

#[derive(Debug)]
struct Outcome {
    id: i64,
    status: u16,
    at: Instant,
    took: Duration,
    retry_after: bool,
}

#[tokio::test]
async fn a_killed_embedded_postgres_is_restarted_and_no_acknowledged_write_is_lost() {
    let (_dir, data) = data_dir();
    let mut running = start(&data);
    execute(&data, "CREATE TABLE public.events (id bigint PRIMARY KEY)").await;
    let url = format!("{}/api/database/records/events", running.summary.url);
    let key = running.summary.api_key.clone();

    let next_id = Arc::new(AtomicI64::new(0));
    let stop = Arc::new(AtomicBool::new(false));
    let writers: Vec<_> = (0..WRITERS)
        .map(|_| {
            let (url, key, next_id, stop) = (url.clone(), key.clone(), Arc::clone(&next_id), Arc::clone(&stop));
            tokio::spawn(async move {
                let client = reqwest::Client::builder()
                    .timeout(Duration::from_secs(15))
                    .build()
                    .unwrap();
                let mut outcomes = Vec::new();
                while !stop.load(Ordering::Relaxed) {
                    let id = next_id.fetch_add(1, Ordering::Relaxed);
                    let began = Instant::now();
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
                        at: Instant::now(),
                        took: began.elapsed(),
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

    tokio::time::sleep(Duration::from_secs(1)).await;
    let old_pid = postmaster_pid(&data);
    let killed_at = Instant::now();
    kill(Pid::from_raw(old_pid), Signal::SIGKILL).unwrap();
    // Load continues until writes have succeeded again for a while (or 30 s pass).
    let deadline = killed_at + Duration::from_secs(30);
    loop {
        tokio::time::sleep(Duration::from_millis(100)).await;
        let new_pid = std::fs::read_to_string(data.join("pg/postmaster.pid"))
            .ok()
            .and_then(|s| s.lines().next().and_then(|l| l.trim().parse::<i32>().ok()));
        if new_pid.is_some_and(|p| p != old_pid && alive(p)) && killed_at.elapsed() > Duration::from_secs(3) {
            break;
        }
        assert!(Instant::now() < deadline, "PostgreSQL was not restarted within 30 s");
    }
    tokio::time::sleep(Duration::from_secs(2)).await;
    stop.store(true, Ordering::Relaxed);
    let mut outcomes = Vec::new();
    for writer in writers {
        outcomes.extend(writer.await.unwrap());
    }

    let acknowledged: Vec<i64> = outcomes.iter().filter(|o| o.status == 201).map(|o| o.id).collect();
    let failed: Vec<&Outcome> = outcomes.iter().filter(|o| o.status != 201).collect();
    let unexpected: Vec<&&Outcome> = failed.iter().filter(|o| o.status != 503 || !o.retry_after).collect();
    assert!(
        unexpected.is_empty(),
        "only 503 + Retry-After while down: {unexpected:?}"
    );
    let slowest_503 = failed.iter().map(|o| o.took).max().unwrap_or_default();
    assert!(slowest_503 < Duration::from_secs(6), "a 503 took {slowest_503:?}");
    assert!(!failed.is_empty(), "the outage was seen by clients");
    let recovered = outcomes
        .iter()
        .filter(|o| o.status == 201 && o.at > killed_at && o.at - o.took > killed_at)
        .map(|o| o.at - killed_at)
        .min()
        .expect("writes succeeded again after the restart");
    assert!(recovered < Duration::from_secs(10), "back after {recovered:?}");

    let stored: std::collections::HashSet<i64> = query(&data, "SELECT id FROM public.events")
        .await
        .iter()
        .map(|r| r.get(0))
        .collect();
    let lost: Vec<&i64> = acknowledged.iter().filter(|id| !stored.contains(id)).collect();
    assert!(lost.is_empty(), "acknowledged but lost: {lost:?}");
    println!(
        "embedded restart: {} writes acknowledged (0 lost), {} answered 503 (slowest {slowest_503:?}), writes succeeded again {recovered:?} after the SIGKILL",
        acknowledged.len(),
        failed.len()
    );

    let new_pid = postmaster_pid(&data);
    kill(Pid::from_raw(running.child.id() as i32), Signal::SIGTERM).unwrap();
    assert!(wait_exit(&mut running.child, Duration::from_secs(30)).success());
    wait_gone(new_pid, Duration::from_secs(10));
}
