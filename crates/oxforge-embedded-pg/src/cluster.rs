//! The cluster's life: create on first start, run, wait until ready, stop.

use std::fs::{self, OpenOptions};
use std::io::Write;
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use nix::sys::signal::Signal;

use crate::identity::RunAs;
use crate::process::{self, Supervised};
use crate::{Error, find_bin_dir};

/// The superuser oxforge connects as.
pub const SUPERUSER: &str = "postgres";
/// Port number used for the socket's file name when no TCP port is requested.
const SOCKET_ONLY_PORT: u16 = 5432;
/// Unix socket paths are limited to 107 bytes on Linux.
const MAX_SOCKET_PATH: usize = 100;
const READY_TIMEOUT: Duration = Duration::from_secs(60);
const STOP_GRACE: Duration = Duration::from_secs(20);

/// How to run the embedded cluster.
#[derive(Debug, Clone)]
pub struct Options {
    /// oxforge's data directory; the cluster lives in `<data_dir>/pg`, its socket in `<data_dir>/run`.
    pub data_dir: PathBuf,
    /// Also listen on `127.0.0.1:<port>` (password authentication) when set.
    pub tcp_port: Option<u16>,
    /// Where `initdb` and `postgres` are; found automatically when `None`.
    pub bin_dir: Option<PathBuf>,
    /// `false` trades crash safety for speed (no fsync): for throw-away test clusters only.
    pub durable: bool,
    pub max_connections: u32,
}

impl Options {
    pub fn new(data_dir: impl Into<PathBuf>) -> Self {
        Options {
            data_dir: data_dir.into(),
            tcp_port: None,
            bin_dir: None,
            durable: true,
            max_connections: 100,
        }
    }
}

/// A running private PostgreSQL cluster. Dropping it stops the server.
pub struct EmbeddedPostgres {
    pgdata: PathBuf,
    socket_dir: PathBuf,
    port: u16,
    tcp_port: Option<u16>,
    password: String,
    log: PathBuf,
    created: bool,
    server: Supervised,
    stopped: bool,
}

impl EmbeddedPostgres {
    /// Creates the cluster if needed and starts it; returns once it accepts connections.
    pub fn start(options: Options) -> Result<Self, Error> {
        let bin_dir = find_bin_dir(options.bin_dir.as_deref())?;
        let run_as = RunAs::resolve()?;
        if !options.data_dir.exists() {
            fs::create_dir_all(&options.data_dir).map_err(Error::io("cannot create", &options.data_dir))?;
            // A data directory we create is ours alone; the `postgres` user (when we are root)
            // may only pass through it to the cluster and socket it owns.
            let mode = if matches!(run_as, RunAs::Current) { 0o700 } else { 0o711 };
            fs::set_permissions(&options.data_dir, fs::Permissions::from_mode(mode))
                .map_err(Error::io("cannot restrict", &options.data_dir))?;
        }
        let data_dir = options
            .data_dir
            .canonicalize()
            .map_err(Error::io("cannot resolve", &options.data_dir))?;
        let pgdata = data_dir.join("pg");
        run_as.check_reachable(&pgdata)?;

        let password = superuser_password(&data_dir)?;
        let created = !pgdata.join("PG_VERSION").is_file();
        if created {
            initdb(&bin_dir, &run_as, &data_dir, &pgdata, &password, options.durable)?;
        }

        let socket_dir = socket_dir_for(&data_dir);
        fs::create_dir_all(&socket_dir).map_err(Error::io("cannot create", &socket_dir))?;
        fs::set_permissions(&socket_dir, fs::Permissions::from_mode(0o700))
            .map_err(Error::io("cannot restrict", &socket_dir))?;
        run_as.give(&socket_dir)?;

        wait_for_previous_postmaster(&pgdata);
        let port = options.tcp_port.unwrap_or(SOCKET_ONLY_PORT);
        let log = data_dir.join("postgres.log");
        let log_file = OpenOptions::new()
            .create(true)
            .append(true)
            .mode(0o600)
            .open(&log)
            .map_err(Error::io("cannot open", &log))?;
        let log_err = log_file.try_clone().map_err(Error::io("cannot open", &log))?;

        let mut command = Command::new(bin_dir.join("postgres"));
        command
            .arg("-D")
            .arg(&pgdata)
            .arg("-k")
            .arg(&socket_dir)
            .arg("-p")
            .arg(port.to_string())
            .args(["-c", "unix_socket_permissions=0700"])
            .arg("-c")
            .arg(format!(
                "listen_addresses={}",
                if options.tcp_port.is_some() { "127.0.0.1" } else { "" }
            ))
            .arg("-c")
            .arg(format!("max_connections={}", options.max_connections))
            .stdout(Stdio::from(log_file))
            .stderr(Stdio::from(log_err))
            .current_dir(&data_dir);
        if !options.durable {
            command.args([
                "-c",
                "fsync=off",
                "-c",
                "synchronous_commit=off",
                "-c",
                "full_page_writes=off",
            ]);
        }
        run_as.apply(&mut command);
        let server = Supervised::spawn(command)?;

        let mut cluster = EmbeddedPostgres {
            pgdata,
            socket_dir,
            port,
            tcp_port: options.tcp_port,
            password,
            log,
            created,
            server,
            stopped: false,
        };
        cluster.wait_until_ready()?;
        tracing::info!(pid = cluster.pid(), pgdata = %cluster.pgdata.display(), "embedded PostgreSQL is ready");
        Ok(cluster)
    }

    fn wait_until_ready(&mut self) -> Result<(), Error> {
        let started = Instant::now();
        let pid_file = self.pgdata.join("postmaster.pid");
        loop {
            if let Some(status) = self.server.try_status() {
                self.stopped = true;
                return Err(Error::ExitedEarly {
                    status: status.to_string(),
                    log: self.log.clone(),
                    tail: tail(&self.log),
                });
            }
            if let Ok(contents) = fs::read_to_string(&pid_file) {
                let lines: Vec<&str> = contents.lines().collect();
                let ours = lines.first().is_some_and(|l| l.trim() == self.server.pid().to_string());
                let ready = lines.get(7).is_some_and(|l| l.trim() == "ready");
                if ours && ready {
                    return Ok(());
                }
            }
            if started.elapsed() > READY_TIMEOUT {
                self.stop_server();
                return Err(Error::NotReady {
                    seconds: READY_TIMEOUT.as_secs(),
                    log: self.log.clone(),
                    tail: tail(&self.log),
                });
            }
            std::thread::sleep(Duration::from_millis(25));
        }
    }

    /// A libpq-style connection string for `dbname` over the private unix socket.
    pub fn connection_string(&self, dbname: &str) -> String {
        format!(
            "host={} port={} user={SUPERUSER} dbname={dbname}",
            self.socket_dir.display(),
            self.port
        )
    }

    /// `postgres://…@127.0.0.1:<port>/postgres` when a TCP port was requested.
    pub fn tcp_url(&self) -> Option<String> {
        self.tcp_port
            .map(|port| format!("postgres://{SUPERUSER}:{}@127.0.0.1:{port}/postgres", self.password))
    }

    pub fn pgdata(&self) -> &Path {
        &self.pgdata
    }

    pub fn socket_dir(&self) -> &Path {
        &self.socket_dir
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    pub fn log_file(&self) -> &Path {
        &self.log
    }

    /// Whether this start created the cluster (first start on this data directory).
    pub fn created(&self) -> bool {
        self.created
    }

    /// The postmaster's process id.
    pub fn pid(&self) -> u32 {
        self.server.pid()
    }

    /// The postmaster's exit status if it has ended on its own (a crash, an OOM kill, an
    /// operator's `kill`); `None` while it runs.
    pub fn exit_status(&mut self) -> Option<std::process::ExitStatus> {
        self.server.try_status()
    }

    /// Fast shutdown (`SIGINT`: disconnect clients, checkpoint, exit); escalates if it hangs.
    pub fn stop(mut self) -> Result<(), Error> {
        self.stop_server();
        Ok(())
    }

    fn stop_server(&mut self) {
        if self.stopped {
            return;
        }
        self.stopped = true;
        match self.server.stop(Signal::SIGINT, STOP_GRACE) {
            Some(status) => tracing::info!(%status, "embedded PostgreSQL stopped"),
            None => tracing::error!(pid = self.pid(), "embedded PostgreSQL could not be stopped"),
        }
    }
}

impl Drop for EmbeddedPostgres {
    fn drop(&mut self) {
        self.stop_server();
    }
}

fn initdb(
    bin_dir: &Path,
    run_as: &RunAs,
    data_dir: &Path,
    pgdata: &Path,
    password: &str,
    durable: bool,
) -> Result<(), Error> {
    if pgdata.exists() {
        // A previous initdb was interrupted: the directory is ours and holds no cluster.
        fs::remove_dir_all(pgdata).map_err(Error::io("cannot clear the unfinished cluster", pgdata))?;
    }
    fs::create_dir_all(pgdata).map_err(Error::io("cannot create", pgdata))?;
    fs::set_permissions(pgdata, fs::Permissions::from_mode(0o700)).map_err(Error::io("cannot restrict", pgdata))?;
    run_as.give(pgdata)?;

    let pwfile = data_dir.join(".initdb-password");
    write_private(&pwfile, password)?;
    run_as.give(&pwfile)?;
    let mut command = Command::new(bin_dir.join("initdb"));
    command
        .arg("-D")
        .arg(pgdata)
        .args(["-U", SUPERUSER, "-E", "UTF8", "--locale=C.UTF-8"])
        .args(["--auth-local=trust", "--auth-host=scram-sha-256"])
        .arg(format!("--pwfile={}", pwfile.display()))
        .current_dir(data_dir);
    if !durable {
        command.arg("--no-sync");
    }
    run_as.apply(&mut command);
    tracing::info!(pgdata = %pgdata.display(), "creating the embedded PostgreSQL cluster");
    let result = process::run(command);
    let _ = fs::remove_file(&pwfile);
    result
}

/// The superuser's password (used only for TCP connections), generated once and kept beside the cluster.
fn superuser_password(data_dir: &Path) -> Result<String, Error> {
    let path = data_dir.join("postgres-password");
    if let Ok(existing) = fs::read_to_string(&path) {
        let existing = existing.trim();
        if !existing.is_empty() {
            return Ok(existing.to_owned());
        }
    }
    let password = hex::encode(rand::random::<[u8; 24]>());
    write_private(&path, &password)?;
    Ok(password)
}

fn write_private(path: &Path, contents: &str) -> Result<(), Error> {
    let mut file = OpenOptions::new()
        .create(true)
        .write(true)
        .truncate(true)
        .mode(0o600)
        .open(path)
        .map_err(Error::io("cannot write", path))?;
    file.write_all(contents.as_bytes())
        .map_err(Error::io("cannot write", path))
}

/// `<data_dir>/run`, or a short directory under /tmp when that path would be too long for a socket.
fn socket_dir_for(data_dir: &Path) -> PathBuf {
    let preferred = data_dir.join("run");
    let socket_name_len = ".s.PGSQL.65535".len() + 1;
    if preferred.as_os_str().len() + socket_name_len <= MAX_SOCKET_PATH {
        return preferred;
    }
    use std::hash::{Hash, Hasher};
    let mut hasher = std::collections::hash_map::DefaultHasher::new();
    data_dir.hash(&mut hasher);
    std::env::temp_dir().join(format!("oxforge-{:016x}", hasher.finish()))
}

/// After a crash of oxforge the old postmaster is shutting down on its own (parent-death
/// signal); give it a moment rather than failing on its lock file.
fn wait_for_previous_postmaster(pgdata: &Path) {
    let pid_file = pgdata.join("postmaster.pid");
    let deadline = Instant::now() + STOP_GRACE;
    while Instant::now() < deadline {
        let Some(pid) = fs::read_to_string(&pid_file)
            .ok()
            .and_then(|c| c.lines().next().and_then(|l| l.trim().parse::<i32>().ok()))
        else {
            return;
        };
        let alive = nix::sys::signal::kill(nix::unistd::Pid::from_raw(pid), None).is_ok();
        if !alive {
            return; // stale file: postgres removes it itself on start
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}

fn tail(path: &Path) -> String {
    let contents = fs::read_to_string(path).unwrap_or_default();
    let lines: Vec<&str> = contents.lines().collect();
    lines[lines.len().saturating_sub(20)..].join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_data_dirs_get_a_short_socket_dir() {
        let short = socket_dir_for(Path::new("/tmp/x"));
        assert_eq!(short, Path::new("/tmp/x/run"));
        let long_dir = PathBuf::from(format!("/tmp/{}", "d".repeat(120)));
        let socket = socket_dir_for(&long_dir);
        assert!(socket.as_os_str().len() < MAX_SOCKET_PATH, "{}", socket.display());
        assert_ne!(socket, long_dir.join("run"));
    }
}
