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
}

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

    pub async fn try_start_on(
        database: &str,
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
        adjust(&mut config);
        let server = oxforge_server::start(config).await?;
        Ok(TestServer {
            url: format!("http://{}", server.local_addr()),
            database: database.to_owned(),
            info: server.info().clone(),
            server: Some(server),
            storage,
        })
    }

    pub fn info(&self) -> &StartupInfo {
        &self.info
    }

    /// Where this server keeps storage objects (unless the test configured another).
    pub fn storage_dir(&self) -> Option<&std::path::Path> {
        self.storage.as_ref().map(|d| d.path())
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
