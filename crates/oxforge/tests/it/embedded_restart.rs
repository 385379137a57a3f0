//! The embedded PostgreSQL dies under load (SIGKILL of the postmaster): requests get fast 503s,
//! oxforge starts PostgreSQL again by itself, and every write acknowledged to a client survives.

use std::time::{Duration, Instant};

use nix::sys::signal::{Signal, kill};
use nix::unistd::Pid;

use crate::lifecycle::{alive, data_dir, execute, postmaster_pid, query, start, wait_exit, wait_gone};
use crate::write_load::WriteLoad;

#[tokio::test]
async fn a_killed_embedded_postgres_is_restarted_and_no_acknowledged_write_is_lost() {
    let (_dir, data) = data_dir();
    let mut running = start(&data);
    execute(&data, "CREATE TABLE public.events (id bigint PRIMARY KEY)").await;
    let url = format!("{}/api/database/records/events", running.summary.url);
    let key = running.summary.api_key.clone().expect("API key at the first start");

    let load = WriteLoad::start(&url, &key, 4);

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
    let report = load.finish().await;

    let (failed, slowest_503) = report.assert_failures_are_fast_503s(Duration::from_secs(6));
    assert!(failed > 0, "the outage was seen by clients");
    let recovered = report
        .first_success_after(killed_at)
        .expect("writes succeeded again after the restart");
    assert!(recovered < Duration::from_secs(10), "back after {recovered:?}");
    let stored = query(&data, "SELECT id FROM public.events")
        .await
        .iter()
        .map(|r| r.get(0))
        .collect();
    let checked = report.assert_none_lost(&stored);
    println!(
        "embedded restart: {checked} acknowledged writes checked, 0 lost; {failed} answered 503 (slowest {slowest_503:?}); writes succeeded again {recovered:?} after the SIGKILL"
    );

    let new_pid = postmaster_pid(&data);
    kill(Pid::from_raw(running.child.id() as i32), Signal::SIGTERM).unwrap();
    assert!(wait_exit(&mut running.child, Duration::from_secs(30)).success());
    wait_gone(new_pid, Duration::from_secs(10));
}
