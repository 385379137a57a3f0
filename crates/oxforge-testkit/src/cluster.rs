//! One PostgreSQL cluster per test process.

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;
use std::sync::atomic::{AtomicU32, Ordering};

use oxforge_embedded_pg::{EmbeddedPostgres, Options};

pub const TEMPLATE_DB: &str = "oxforge_template";

pub struct TestCluster {
    postgres: EmbeddedPostgres,
    dir: PathBuf,
    next: AtomicU32,
}

static CLUSTER: OnceLock<Result<TestCluster, String>> = OnceLock::new();

/// The process's cluster, started on first use.
pub fn cluster() -> &'static TestCluster {
    let result = CLUSTER.get_or_init(|| {
        // Start from a plain thread: the caller may be inside an async runtime.
        std::thread::spawn(start_cluster)
            .join()
            .unwrap_or_else(|_| Err("the cluster start-up thread panicked".into()))
    });
    match result {
        Ok(cluster) => cluster,
        Err(e) => panic!("cannot start the test PostgreSQL cluster: {e}"),
    }
}

fn pid_alive(pid: u32) -> bool {
    Path::new(&format!("/proc/{pid}")).exists()
}

/// Removes clusters left by earlier test processes that have exited.
fn remove_stale_clusters(root: &Path) {
    let Ok(entries) = std::fs::read_dir(root) else { return };
    for entry in entries.flatten() {
        let name = entry.file_name();
        let Some(pid) = name.to_str().and_then(|n| n.strip_prefix("oxforge-test-")) else {
            continue;
        };
        if let Ok(pid) = pid.parse::<u32>()
            && !pid_alive(pid)
        {
            let _ = std::fs::remove_dir_all(entry.path());
        }
    }
}

fn start_cluster() -> Result<TestCluster, String> {
    let root = std::env::temp_dir();
    remove_stale_clusters(&root);
    let dir = root.join(format!("oxforge-test-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).map_err(|e| format!("create {}: {e}", dir.display()))?;
    std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o755)).map_err(|e| e.to_string())?;
    let mut options = Options::new(dir.join("data"));
    options.durable = false;
    options.max_connections = 300;
    let postgres = EmbeddedPostgres::start(options).map_err(|e| e.to_string())?;
    let cluster = TestCluster {
        postgres,
        dir,
        next: AtomicU32::new(0),
    };
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| e.to_string())?;
    runtime.block_on(cluster.prepare_template())?;
    Ok(cluster)
}

impl TestCluster {
    pub fn connection_string(&self, dbname: &str) -> String {
        self.postgres.connection_string(dbname)
    }

    /// The directory holding this process's cluster.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    async fn prepare_template(&self) -> Result<(), String> {
        self.execute_on("postgres", &format!("CREATE DATABASE {TEMPLATE_DB}"))
            .await?;
        let pool = oxforge_db::connect(&self.connection_string(TEMPLATE_DB), &Default::default())
            .map_err(|e| e.to_string())?;
        // The server's own list, so templates match what a server start would apply.
        oxforge_db::migrate(&pool, &oxforge_server::sql_components())
            .await
            .map_err(|e| e.to_string())?;
        pool.close();
        Ok(())
    }

    /// Runs SQL on a database over a short-lived connection.
    pub async fn execute_on(&self, dbname: &str, sql: &str) -> Result<(), String> {
        let client = self.connect(dbname).await?;
        client.batch_execute(sql).await.map_err(|e| format!("{sql}: {e}"))
    }

    /// A direct connection as the superuser (for tests that inspect the database).
    pub async fn connect(&self, dbname: &str) -> Result<tokio_postgres::Client, String> {
        let (client, connection) = tokio_postgres::connect(&self.connection_string(dbname), tokio_postgres::NoTls)
            .await
            .map_err(|e| format!("connect to {dbname}: {e}"))?;
        tokio::spawn(connection);
        Ok(client)
    }

    fn next_name(&self, prefix: &str) -> String {
        format!("{prefix}_{}", self.next.fetch_add(1, Ordering::Relaxed))
    }

    /// A new database with the bootstrap schema already applied.
    pub async fn database_from_template(&self) -> String {
        let name = self.next_name("t");
        if let Err(e) = self
            .execute_on("postgres", &format!("CREATE DATABASE {name} TEMPLATE {TEMPLATE_DB}"))
            .await
        {
            panic!("cannot create a test database: {e}");
        }
        name
    }

    /// A new, empty database (nothing of oxforge's in it yet).
    pub async fn empty_database(&self) -> String {
        let name = self.next_name("e");
        if let Err(e) = self.execute_on("postgres", &format!("CREATE DATABASE {name}")).await {
            panic!("cannot create a test database: {e}");
        }
        name
    }
}
