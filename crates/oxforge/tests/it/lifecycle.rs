//! The real binary in embedded mode: start, use, SIGTERM, restart; SIGKILL and recovery.

use std::io::{BufRead, BufReader};
use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use nix::sys::signal::{Signal, kill};
use nix::unistd::Pid;
use oxforge_testkit::http;
use serde_json::{Value, json};

use crate::support::send;

/// What the start-up summary said. The secrets are there only when they were just created (or
/// on a terminal, which a test never is).
pub(crate) struct Summary {
    pub(crate) url: String,
    anon_key: String,
    pub(crate) api_key: Option<String>,
    admin: Option<(String, String)>,
    /// Every line, for checks of what is (not) printed.
    text: String,
}

pub(crate) struct Running {
    pub(crate) child: Child,
    pub(crate) summary: Summary,
}

/// A failing test must not leave its server running: kill it (its postgres follows).
impl Drop for Running {
    fn drop(&mut self) {
        if matches!(self.child.try_wait(), Ok(None)) {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

const CLEARED_ENV: &[&str] = &[
    "PORT",
    "DATABASE_URL",
    "JWT_SECRET",
    "ACCESS_API_KEY",
    "ACCESS_ANON_KEY",
    "ENCRYPTION_KEY",
    "ROOT_ADMIN_USERNAME",
    "ROOT_ADMIN_PASSWORD",
    "OXFORGE_HOST",
    "OXFORGE_DATA_DIR",
    "OXFORGE_PG_PORT",
    "STORAGE_DIR",
    "API_BASE_URL",
];

fn field(line: &str, label: &str) -> Option<String> {
    line.trim_start()
        .strip_prefix(label)
        .map(|rest| rest.split_whitespace().next().unwrap_or("").to_owned())
}

pub(crate) fn start(data_dir: &Path) -> Running {
    start_with(data_dir, &[], &[])
}

/// `oxforge serve` on `data_dir` with more arguments and environment variables.
fn start_with(data_dir: &Path, args: &[&str], env: &[(&str, &str)]) -> Running {
    let mut command = Command::new(env!("CARGO_BIN_EXE_oxforge"));
    command
        .args(["serve", "--port", "0", "--data-dir"])
        .arg(data_dir)
        .args(args)
        .current_dir(data_dir.parent().unwrap())
        .stdout(Stdio::piped())
        .stderr(Stdio::null());
    for name in CLEARED_ENV {
        command.env_remove(name);
    }
    command.envs(env.iter().copied());
    let mut child = command.spawn().expect("spawn oxforge");
    let stdout = child.stdout.take().unwrap();
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            let _ = tx.send(line);
        }
    });
    let (mut url, mut anon, mut api, mut admin) = (None, None, None, None);
    let mut text = String::new();
    let deadline = Instant::now() + Duration::from_secs(60);
    // The summary ends with the line on how secrets are stored.
    while !text.contains("  Secrets      encrypted") && !text.contains("  Secrets      PLAIN") {
        let line = rx
            .recv_timeout(deadline.saturating_duration_since(Instant::now()))
            .unwrap_or_else(|_| panic!("oxforge printed no complete summary in time: {text}"));
        url = url.or(field(&line, "API URL"));
        anon = anon.or(field(&line, "Anon key"));
        api = api.or(field(&line, "API key"));
        if let Some(rest) = line.trim_start().strip_prefix("Admin") {
            let parts: Vec<&str> = rest.split_whitespace().collect();
            admin = Some((parts[0].to_owned(), parts[2].to_owned()));
        }
        text.push_str(&line);
        text.push('\n');
    }
    Running {
        child,
        summary: Summary {
            url: url.expect("API URL"),
            anon_key: anon.expect("Anon key"),
            api_key: api,
            admin,
            text,
        },
    }
}

pub(crate) fn postmaster_pid(data_dir: &Path) -> i32 {
    let contents = std::fs::read_to_string(data_dir.join("pg/postmaster.pid")).expect("postmaster.pid");
    contents.lines().next().unwrap().trim().parse().unwrap()
}

pub(crate) fn alive(pid: i32) -> bool {
    kill(Pid::from_raw(pid), None).is_ok()
        && !std::fs::read_to_string(format!("/proc/{pid}/stat")).is_ok_and(|s| s.contains(") Z "))
}

pub(crate) fn wait_exit(child: &mut Child, within: Duration) -> std::process::ExitStatus {
    let deadline = Instant::now() + within;
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            return status;
        }
        assert!(Instant::now() < deadline, "oxforge did not exit in time");
        std::thread::sleep(Duration::from_millis(50));
    }
}

pub(crate) fn wait_gone(pid: i32, within: Duration) {
    let deadline = Instant::now() + within;
    while alive(pid) {
        assert!(Instant::now() < deadline, "postgres {pid} outlived oxforge");
        std::thread::sleep(Duration::from_millis(50));
    }
}

pub(crate) fn data_dir() -> (tempfile::TempDir, std::path::PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
    let data = dir.path().join("data");
    (dir, data)
}

/// A direct connection to the embedded cluster over its private socket.
async fn connect(data_dir: &Path) -> tokio_postgres::Client {
    let conn = format!(
        "host={} port=5432 user=postgres dbname=postgres",
        data_dir.join("run").display()
    );
    let (client, connection) = tokio_postgres::connect(&conn, tokio_postgres::NoTls)
        .await
        .expect("connect");
    tokio::spawn(connection);
    client
}

pub(crate) async fn execute(data_dir: &Path, statements: &str) {
    connect(data_dir)
        .await
        .batch_execute(statements)
        .await
        .expect("statements");
}

pub(crate) async fn query(data_dir: &Path, statement: &str) -> Vec<tokio_postgres::Row> {
    connect(data_dir).await.query(statement, &[]).await.expect("query")
}

#[tokio::test]
async fn embedded_start_use_sigterm_restart() {
    let (_dir, data) = data_dir();
    let mut running = start(&data);
    let s = &running.summary;
    let (api_key, admin) = (
        s.api_key.clone().expect("API key at the first start"),
        s.admin.clone().expect("admin"),
    );
    assert!(
        s.anon_key.starts_with("anon_") && api_key.starts_with("ik_"),
        "{} {api_key}",
        s.anon_key
    );

    let (status, body) = send(http().get(format!("{}/api/health", s.url))).await;
    assert_eq!((status.as_u16(), body["status"].clone()), (200, json!("ok")));
    let login: Value = http()
        .post(format!("{}/api/auth/admin/sessions", s.url))
        .json(&json!({"username": admin.0, "password": admin.1}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let admin_token = login["accessToken"].as_str().expect("admin login").to_owned();
    let (_, secret) = send(
        http()
            .get(format!("{}/api/secrets/JWT_SECRET", s.url))
            .bearer_auth(&admin_token),
    )
    .await;
    let jwt_secret = secret["value"].as_str().unwrap().to_owned();
    let (_, anon) = send(
        http()
            .get(format!("{}/api/metadata/anon-key", s.url))
            .bearer_auth(&api_key),
    )
    .await;
    assert_eq!(anon["anonKey"], s.anon_key.as_str());
    // The data directory oxforge created: nobody else may list it.
    let dir_mode = std::fs::metadata(&data).unwrap().permissions().mode() & 0o777;
    assert_eq!(dir_mode & 0o066, 0, "data directory mode {dir_mode:o}");
    // Secrets at rest: sealed with the key file beside the cluster, which only we can read.
    let key_file = data.join("encryption.key");
    let mode = std::fs::metadata(&key_file)
        .expect("encryption.key")
        .permissions()
        .mode()
        & 0o777;
    assert_eq!(mode, 0o600);
    let stored = query(&data, "SELECT value FROM system.secrets").await;
    assert!(stored.len() >= 7);
    for row in &stored {
        let value: String = row.get(0);
        assert!(value.starts_with("enc:v1:"), "stored in plain text: {value}");
        assert!(!value.contains(&jwt_secret) && !value.contains(&api_key));
    }
    execute(
        &data,
        "CREATE TABLE public.kept (v text); INSERT INTO public.kept VALUES ('survives')",
    )
    .await;

    let pg_pid = postmaster_pid(&data);
    assert!(alive(pg_pid));
    kill(Pid::from_raw(running.child.id() as i32), Signal::SIGTERM).unwrap();
    let status = wait_exit(&mut running.child, Duration::from_secs(30));
    assert!(status.success(), "oxforge exited with {status}");
    assert!(!alive(pg_pid), "postgres must stop with oxforge");
    assert!(!data.join("pg/postmaster.pid").exists());

    let mut again = start(&data);
    let s2 = &again.summary;
    // A restart into a log (not a terminal) does not print the secrets again, but says how to get them.
    assert_eq!(s2.anon_key, s.anon_key);
    assert_eq!((&s2.api_key, &s2.admin), (&None, &None), "{}", s2.text);
    assert!(
        !s2.text.contains(&api_key) && !s2.text.contains(&admin.1),
        "{}",
        s2.text
    );
    assert!(s2.text.contains("oxforge login --url"), "{}", s2.text);
    let (_, secret2) = send(
        http()
            .get(format!("{}/api/secrets/JWT_SECRET", s2.url))
            .bearer_auth(&api_key),
    )
    .await;
    assert_eq!(secret2["value"], jwt_secret.as_str());
    let rows = query(&data, "SELECT v FROM public.kept").await;
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0].get::<_, String>(0), "survives");
    kill(Pid::from_raw(again.child.id() as i32), Signal::SIGTERM).unwrap();
    assert!(wait_exit(&mut again.child, Duration::from_secs(30)).success());
}

#[tokio::test]
async fn sigkill_does_not_leave_postgres_behind_and_the_next_start_recovers() {
    let (_dir, data) = data_dir();
    let mut running = start(&data);
    execute(&data, "CREATE TABLE public.t (v int); INSERT INTO public.t VALUES (1)").await;
    let pg_pid = postmaster_pid(&data);
    running.child.kill().unwrap(); // SIGKILL
    running.child.wait().unwrap();
    wait_gone(pg_pid, Duration::from_secs(20));

    let mut again = start(&data);
    let (status, _) = send(http().get(format!("{}/api/health", again.summary.url))).await;
    assert_eq!(status, 200);
    assert_eq!(query(&data, "SELECT v FROM public.t").await.len(), 1);
    kill(Pid::from_raw(again.child.id() as i32), Signal::SIGTERM).unwrap();
    assert!(wait_exit(&mut again.child, Duration::from_secs(30)).success());
}

/// An external PostgreSQL reached over TCP with password authentication: the `authenticator`
/// role has no password there yet (the first server logged in through a trusted socket), so
/// oxforge sets the one it keeps in its secrets and the request path logs in with it.
#[tokio::test]
async fn over_tcp_with_passwords_the_authenticator_gets_its_password() {
    let (_dir, data) = data_dir();
    let pg_port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .unwrap()
        .port()
        .to_string();
    let embedded = start_with(&data, &["--pg-port", &pg_port], &[]);
    let tcp_url = embedded
        .summary
        .text
        .lines()
        .find_map(|line| line.split(", TCP ").nth(1))
        .expect("the summary names the TCP URL")
        .trim()
        .to_owned();
    let key = std::fs::read_to_string(data.join("encryption.key")).unwrap();
    let (_other_dir, other_data) = data_dir();
    let external = start_with(
        &other_data,
        &[],
        &[("DATABASE_URL", tcp_url.as_str()), ("ENCRYPTION_KEY", key.trim())],
    );
    let url = &external.summary.url;
    // The data API (data pool) and a sign-up (accounts pool) both log in as authenticator.
    let (status, body) = send(
        http()
            .post(format!("{url}/api/auth/users?client_type=mobile"))
            .json(&json!({"email": "tcp@example.com", "password": "secret123"})),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    // The SQL pool and the data pool log in as authenticator too.
    let api_key = embedded.summary.api_key.clone().expect("API key at the first start");
    let (status, body) = send(
        http()
            .post(format!("{url}/api/database/advance/rawsql"))
            .bearer_auth(&api_key)
            .json(&json!({"query": "create table public.over_tcp (id int); insert into public.over_tcp values (7)"})),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let (status, body) = send(
        http()
            .get(format!("{url}/api/database/records/over_tcp"))
            .bearer_auth(&api_key),
    )
    .await;
    assert_eq!((status.as_u16(), body), (200, json!([{"id": 7}])));
    let (client, connection) = tokio_postgres::connect(&tcp_url, tokio_postgres::NoTls).await.unwrap();
    tokio::spawn(connection);
    let row = client
        .query_one(
            "SELECT (SELECT rolpassword IS NOT NULL FROM pg_authid WHERE rolname = 'authenticator'),
                    (SELECT count(*) FROM pg_stat_activity WHERE usename = 'authenticator' AND client_port IS NOT NULL)",
            &[],
        )
        .await
        .unwrap();
    assert!(row.get::<_, bool>(0), "the authenticator has a password now");
    assert!(row.get::<_, i64>(1) > 0, "the request path logged in over TCP");
    drop(external);
    drop(embedded);
}

/// One log line per request on stderr: method, path (never the query), status, duration, the
/// kind of credential (never the credential).
#[tokio::test]
async fn each_request_gets_one_log_line() {
    let (_dir, data) = data_dir();
    let mut command = Command::new(env!("CARGO_BIN_EXE_oxforge"));
    command
        .args(["serve", "--port", "0", "--data-dir"])
        .arg(&data)
        .env_remove("RUST_LOG")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    for name in CLEARED_ENV {
        command.env_remove(name);
    }
    let mut child = command.spawn().expect("spawn oxforge");
    let stdout = child.stdout.take().unwrap();
    let stderr = child.stderr.take().unwrap();
    let (url_tx, url_rx) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            if let Some(url) = field(&line, "API URL") {
                let _ = url_tx.send(url);
            }
        }
    });
    let (err_tx, err_rx) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            let _ = err_tx.send(line);
        }
    });
    let running = Running {
        child,
        summary: Summary {
            url: url_rx.recv_timeout(Duration::from_secs(60)).expect("API URL"),
            anon_key: String::new(),
            api_key: None,
            admin: None,
            text: String::new(),
        },
    };
    let url = &running.summary.url;
    let response = http()
        .get(format!("{url}/api/database/records/nothing?secret=hunter2"))
        .bearer_auth("anon_not-the-key")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 401);
    let deadline = Instant::now() + Duration::from_secs(10);
    let line = loop {
        let line = err_rx
            .recv_timeout(deadline.saturating_duration_since(Instant::now()))
            .expect("a request log line");
        if line.contains("oxforge::request") {
            break line;
        }
    };
    for part in [
        "method=GET",
        "path=\"/api/database/records/nothing\"",
        "status=401",
        "ms=",
        "credential=\"anon-key\"",
    ] {
        assert!(line.contains(part), "{part} missing: {line}");
    }
    assert!(
        !line.contains("hunter2") && !line.contains("anon_not-the-key"),
        "{line}"
    );
    drop(running);
}
