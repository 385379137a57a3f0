//! In-process oxforge servers on their own databases.

use oxforge_server::{Config, Server, StartupInfo};

use crate::cluster;

/// The `ENCRYPTION_KEY` test servers use unless a test sets another.
pub const TEST_ENCRYPTION_KEY: &str = "oxforge-test-encryption-key-0123456789";

pub struct TestServer {
    pub url: String,
    pub database: String,
    info: StartupInfo,
    server: Option<Server>,
    /// Storage's directory (`storage_dir`), removed with the server.
    storage: Option<tempfile::TempDir>,
    /// On the S3 backend: the server's `APP_KEY` in the shared SeaweedFS bucket.
    s3_app_key: Option<String>,
}

/// Where a test server keeps storage objects.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StorageBackend {
    /// A temporary directory (the default).
    Local,
    /// The process's SeaweedFS ([`crate::seaweedfs`]), under an `APP_KEY` of its own, in proxy
    /// mode (`S3_USE_PRESIGNED_URLS=false`).
    S3,
    /// The same in presigned mode.
    S3Presigned,
}

static NEXT_APP_KEY: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);

impl TestServer {
    /// A server on a fresh database copied from the bootstrapped template.
    pub async fn start() -> TestServer {
        Self::start_with(|_| {}).await
    }

    /// The same, with the configuration adjusted first.
    pub async fn start_with(adjust: impl FnOnce(&mut Config)) -> TestServer {
        let database = cluster().database_from_template().await;
        Self::start_on(&database, adjust).await
    }

    /// A server on an existing database of the test cluster.
    pub async fn start_on(database: &str, adjust: impl FnOnce(&mut Config)) -> TestServer {
        match Self::try_start_on(database, adjust).await {
            Ok(server) => server,
            Err(e) => panic!("cannot start oxforge on {database}: {e}"),
        }
    }

    /// A server on a fresh database whose storage is on `backend`.
    pub async fn start_with_storage(backend: StorageBackend, adjust: impl FnOnce(&mut Config)) -> TestServer {
        let database = cluster().database_from_template().await;
        match Self::try_start_storage_on(&database, backend, adjust).await {
            Ok(server) => server,
            Err(e) => panic!("cannot start oxforge on {database}: {e}"),
        }
    }

    pub async fn try_start_on(
        database: &str,
        adjust: impl FnOnce(&mut Config),
    ) -> Result<TestServer, oxforge_server::StartError> {
        Self::try_start_storage_on(database, StorageBackend::Local, adjust).await
    }

    pub async fn try_start_storage_on(
        database: &str,
        backend: StorageBackend,
        adjust: impl FnOnce(&mut Config),
    ) -> Result<TestServer, oxforge_server::StartError> {
        let mut config = Config {
            port: 0,
            database_url: Some(cluster().connection_string(database)),
            pool_size: 4,
            // Every test server seals its secrets, as a production one should.
            encryption_key: Some(TEST_ENCRYPTION_KEY.into()),
            ..Config::default()
        };
        // Tests sign in many times from one address; the limiter has its own test.
        config.capabilities.accounts.auth_rate_limit = 0;
        // An external database: storage needs a directory of its own.
        let storage = tempfile::tempdir().ok();
        config.capabilities.storage.storage_dir = storage.as_ref().map(|d| d.path().to_path_buf());
        let s3_app_key = (backend != StorageBackend::Local).then(|| {
            let weed = crate::seaweedfs();
            let app_key = format!(
                "t{}-{}",
                std::process::id(),
                NEXT_APP_KEY.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
            );
            let s = &mut config.capabilities.storage;
            s.s3_bucket = Some(weed.bucket.into());
            s.s3_region = weed.region.into();
            s.s3_access_key_id = Some(weed.access_key.into());
            s.s3_secret_access_key = Some(weed.secret_key.into());
            s.s3_endpoint_url = Some(weed.endpoint.clone());
            s.s3_force_path_style = true;
            s.s3_use_presigned_urls = backend == StorageBackend::S3Presigned;
            s.app_key = app_key.clone();
            app_key
        });
        adjust(&mut config);
        let server = oxforge_server::start(config).await?;
        Ok(TestServer {
            url: format!("http://{}", server.local_addr()),
            database: database.to_owned(),
            info: server.info().clone(),
            server: Some(server),
            storage,
            s3_app_key,
        })
    }

    pub fn info(&self) -> &StartupInfo {
        &self.info
    }

    /// Where this server keeps storage objects (unless the test configured another).
    pub fn storage_dir(&self) -> Option<&std::path::Path> {
        self.storage.as_ref().map(|d| d.path())
    }

    /// The server's `APP_KEY` when its storage is on SeaweedFS.
    pub fn s3_app_key(&self) -> Option<&str> {
        self.s3_app_key.as_deref()
    }

    /// Every stored object, as `<bucket>/<key>`, sorted: files below the storage directory, or
    /// keys under the server's `APP_KEY` in SeaweedFS (temporary uploads included, so a test
    /// sees any left behind).
    pub async fn stored_objects(&self) -> Vec<String> {
        if let Some(app_key) = &self.s3_app_key {
            return crate::seaweedfs().keys_under(app_key).await;
        }
        fn walk(dir: &std::path::Path, root: &std::path::Path, out: &mut Vec<String>) {
            for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
                let path = entry.path();
                if path.is_dir() {
                    walk(&path, root, out);
                } else if let Ok(rel) = path.strip_prefix(root) {
                    out.push(rel.display().to_string());
                }
            }
        }
        let mut out = Vec::new();
        if let Some(root) = self.storage_dir() {
            walk(root, root, &mut out);
        }
        out.sort();
        out
    }

    pub fn api_key(&self) -> &str {
        &self.info.secrets.api_key
    }

    pub fn anon_key(&self) -> &str {
        &self.info.secrets.anon_key
    }

    pub fn jwt_secret(&self) -> &str {
        &self.info.secrets.jwt_secret
    }

    /// `<url><path>`.
    pub fn at(&self, path: &str) -> String {
        format!("{}{path}", self.url)
    }

    /// Runs SQL on this server's database as the superuser (fixtures, inspection).
    pub async fn sql(&self, statements: &str) {
        if let Err(e) = cluster().execute_on(&self.database, statements).await {
            panic!("fixture SQL failed: {e}");
        }
    }

    pub async fn stop(mut self) {
        if let Some(server) = self.server.take()
            && let Err(e) = server.shutdown().await
        {
            panic!("shutdown failed: {e}");
        }
    }
}
