#![allow(clippy::unwrap_used, clippy::expect_used)]
//! Starts a real cluster from the machine's PostgreSQL binaries, restarts it, stops it.

use std::os::unix::fs::PermissionsExt;
use std::path::Path;

use oxforge_embedded_pg::{EmbeddedPostgres, Error, Options};

fn alive(pid: u32) -> bool {
    Path::new(&format!("/proc/{pid}")).exists()
        && !std::fs::read_to_string(format!("/proc/{pid}/stat")).is_ok_and(|s| s.contains(") Z "))
}

#[test]
fn creates_runs_restarts_and_stops_a_cluster() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
    let mut options = Options::new(dir.path().join("data"));
    options.durable = false;

    let first = EmbeddedPostgres::start(options.clone()).unwrap();
    assert!(first.created());
    let pid = first.pid();
    assert!(alive(pid));
    assert!(first.socket_dir().join(format!(".s.PGSQL.{}", first.port())).exists());
    assert!(first.connection_string("postgres").contains("user=postgres"));
    assert!(first.tcp_url().is_none(), "no TCP unless asked");
    first.stop().unwrap();
    assert!(!alive(pid), "postmaster {pid} outlived stop()");
    assert!(!dir.path().join("data/pg/postmaster.pid").exists());

    let second = EmbeddedPostgres::start(options).unwrap();
    assert!(!second.created(), "the second start must reuse the cluster");
    let pid = second.pid();
    drop(second);
    assert!(!alive(pid), "dropping the handle must stop the server");
}

#[test]
fn unreachable_data_dir_is_explained_when_root() {
    if !nix::unistd::Uid::effective().is_root() {
        // As a normal user PostgreSQL runs as ourselves, so there is nothing to check.
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o700)).unwrap();
    let err = match EmbeddedPostgres::start(Options::new(dir.path().join("data"))) {
        Ok(_) => panic!("start must fail"),
        Err(e) => e,
    };
    assert!(matches!(err, Error::DataDirUnreachable { .. }), "{err}");
    assert!(err.to_string().contains("chmod o+x"), "{err}");
}
