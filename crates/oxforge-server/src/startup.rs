//! Start-up and shutdown of one oxforge process.

use std::future::Future;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use oxforge_auth::Authenticator;
use oxforge_auth::admin::AdminCredentials;
use oxforge_auth::providers::Providers;
use oxforge_db::{Pool, PoolOptions, Recycling};

use crate::KeySource;
use oxforge_embedded_pg::{EmbeddedPostgres, Options as EmbeddedOptions};
use oxforge_schema::{SchemaCacheHandle, spawn_listener_with};
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

use crate::project::{ProjectSecrets, wait_for_database};
use crate::serve::{ConnectionLimits, raise_open_file_limit, serve};
use crate::{Config, StartError};

/// Connections for restricted SQL, migrations and table management.
pub(crate) const SQL_POOL_SIZE: usize = 4;

/// In-flight requests get this long to finish after a shutdown begins.
const DRAIN_TIMEOUT: Duration = Duration::from_secs(30);

/// Where the data lives.
#[derive(Debug, Clone)]
pub enum DatabaseInfo {
    Embedded {
        data_dir: PathBuf,
        pgdata: PathBuf,
        socket_dir: PathBuf,
        created: bool,
        tcp_url: Option<String>,
    },
    External,
}

/// What a person needs to use the server that just started.
#[derive(Debug, Clone)]
pub struct StartupInfo {
    pub api_url: String,
    pub secrets: ProjectSecrets,
    pub database: DatabaseInfo,
    /// How the secrets in the database are encrypted.
    pub encryption: KeySource,
    /// The web console's login page, when this build has it and it is on.
    pub dashboard_url: Option<String>,
}

/// A running oxforge: the HTTP server, its pool and (in embedded mode) its PostgreSQL.
pub struct Server {
    addr: SocketAddr,
    info: StartupInfo,
    /// The owner's pool and the authenticator's three.
    pools: [Pool; 4],
    stop: Option<oneshot::Sender<()>>,
    http: JoinHandle<std::io::Result<()>>,
    schema_listener: JoinHandle<()>,
    /// The embedded PostgreSQL, restarted if it exits while we serve.
    embedded: Option<crate::watchdog::Watched>,
}

/// Starts PostgreSQL if needed, bootstraps the database, and serves HTTP.
pub async fn start(config: Config) -> Result<Server, StartError> {
    let (embedded, connection_string) = match &config.database_url {
        Some(url) => (None, url.clone()),
        None => {
            let mut options = EmbeddedOptions::new(&config.data_dir);
            options.tcp_port = config.pg_port;
            options.bin_dir = config.pg_bin_dir.clone();
            options.durable = config.embedded_durable;
            let start_options = options.clone();
            let cluster = tokio::task::spawn_blocking(move || EmbeddedPostgres::start(start_options)).await??;
            let conn = cluster.connection_string("postgres");
            (Some((cluster, options)), conn)
        }
    };
    let database = match &embedded {
        Some((cluster, _)) => DatabaseInfo::Embedded {
            data_dir: cluster.pgdata().parent().map(PathBuf::from).unwrap_or_default(),
            pgdata: cluster.pgdata().to_path_buf(),
            socket_dir: cluster.socket_dir().to_path_buf(),
            created: cluster.created(),
            tcp_url: cluster.tcp_url(),
        },
        None => DatabaseInfo::External,
    };

    let wait_timeout = Duration::from_millis(config.pool_timeout_ms);
    let pool = oxforge_db::connect(
        &connection_string,
        &PoolOptions {
            max_size: config.admin_pool_size.max(2),
            wait_timeout,
            ..PoolOptions::default()
        },
    )?;
    wait_for_database(&pool).await?;
    let (cipher, encryption) = crate::encryption::secret_cipher(&config, embedded.is_some())?;
    let cipher = Arc::new(cipher);
    let secrets = ProjectSecrets::bootstrap(&pool, &cipher, &config).await?;
    let RequestPools {
        data: data_pool,
        sql: sql_pool,
        accounts: accounts_pool,
    } = request_pools(&config, &connection_string, &pool, &secrets).await?;
    let schema = SchemaCacheHandle::load_for(pool.clone(), data_pool.clone())
        .await
        .map_err(|e| StartError::Schema(e.to_string()))?;
    let providers = Providers::new(&config.providers, Duration::from_secs(config.provider_key_cooldown))
        .map_err(|e| StartError::Config(format!("providers: {e}")))?;
    let auth = Arc::new(Authenticator::with_providers(
        oxforge_project::keys::load(&pool, &cipher)
            .await
            .map_err(|e| StartError::Keys(e.to_string()))?,
        providers,
    ));
    // Another process rotated a key: reload ours.
    let on_keys: oxforge_db::listen::Callback = {
        let (pool, cipher, auth) = (pool.clone(), Arc::clone(&cipher), Arc::clone(&auth));
        Arc::new(move |_payload: &str| {
            let (pool, cipher, auth) = (pool.clone(), Arc::clone(&cipher), Arc::clone(&auth));
            tokio::spawn(async move { oxforge_project::keys::reload(&pool, &cipher, &auth).await });
        })
    };
    let listener_task = spawn_listener_with(
        Arc::clone(&schema),
        connection_string.clone(),
        vec![(oxforge_db::secrets::KEYS_CHANNEL, on_keys)],
    );

    let mut shared = oxforge_edge::Shared {
        auth,
        admin: Arc::new(AdminCredentials {
            username: secrets.admin_username.clone(),
            password: secrets.admin_password.clone(),
        }),
        owner_pool: pool.clone(),
        data_pool: data_pool.clone(),
        sql_pool: sql_pool.clone(),
        accounts_pool: accounts_pool.clone(),
        schema,
        cipher,
        proxies: config.trusted_proxies()?,
        pool_timeout: wait_timeout,
        body_limit: config.http.body_limit,
        data_dir: embedded.as_ref().map(|_| config.data_dir.clone()),
        postgres_log: embedded.as_ref().map(|(cluster, _)| cluster.log_file().to_path_buf()),
        provided: Default::default(),
    };
    let capabilities = config.capabilities.routers(&mut shared)?;

    let bind = format!("{}:{}", config.host, config.port);
    let listener = tokio::net::TcpListener::bind(&bind)
        .await
        .map_err(|source| StartError::Bind {
            addr: bind.clone(),
            source,
        })?;
    let addr = listener
        .local_addr()
        .map_err(|source| StartError::Bind { addr: bind, source })?;
    let (stop_tx, stop_rx) = oneshot::channel::<()>();
    let limits = ConnectionLimits::new(&config, raise_open_file_limit());
    let http = tokio::spawn(serve(
        listener,
        oxforge_http::service(&config.http, capabilities),
        limits,
        async move {
            let _ = stop_rx.await;
        },
    ));
    tracing::info!(%addr, max_connections = limits.max_connections, "oxforge is listening");

    Ok(Server {
        addr,
        info: StartupInfo {
            api_url: format!("http://{addr}"),
            secrets,
            database,
            encryption,
            dashboard_url: dashboard_url(&config.capabilities, addr),
        },
        pools: [pool, data_pool, sql_pool, accounts_pool],
        stop: Some(stop_tx),
        http,
        schema_listener: listener_task,
        embedded: embedded.map(|(cluster, options)| crate::watchdog::watch(cluster, options)),
    })
}

#[cfg(feature = "dashboard")]
fn dashboard_url(sections: &crate::capabilities::Sections, addr: SocketAddr) -> Option<String> {
    sections
        .dashboard
        .dashboard
        .then(|| format!("http://{addr}{}", oxforge_dashboard::LOGIN_PATH))
}

#[cfg(not(feature = "dashboard"))]
fn dashboard_url(_: &crate::capabilities::Sections, _: SocketAddr) -> Option<String> {
    None
}

/// The request path's pools, all as the `authenticator` role.
struct RequestPools {
    /// The data API (prepared statements kept).
    data: Pool,
    /// Restricted SQL, migrations and table management (`DISCARD ALL` before reuse).
    sql: Pool,
    /// Accounts: every connection switched to `oxforge_accounts` (users and sessions only).
    accounts: Pool,
}

async fn request_pools(
    config: &Config,
    owner_url: &str,
    owner: &Pool,
    secrets: &ProjectSecrets,
) -> Result<RequestPools, StartError> {
    let login = match &config.authenticator_url {
        Some(url) => oxforge_db::parse_config(url)?,
        None => {
            let login = oxforge_db::authenticator::config_from_owner(
                &oxforge_db::parse_config(owner_url)?,
                &secrets.authenticator_password,
            );
            oxforge_db::authenticator::ensure_login(owner, &login, &secrets.authenticator_password).await?;
            login
        }
    };
    let options = |max_size, recycling, session_role| PoolOptions {
        max_size,
        wait_timeout: Duration::from_millis(config.pool_timeout_ms),
        recycling,
        session_role,
        ..PoolOptions::default()
    };
    Ok(RequestPools {
        data: oxforge_db::connect_with(login.clone(), &options(config.pool_size, Recycling::Keep, None))?,
        sql: oxforge_db::connect_with(login.clone(), &options(SQL_POOL_SIZE, Recycling::Discard, None))?,
        accounts: oxforge_db::connect_with(
            login,
            &options(
                config.admin_pool_size.max(2),
                Recycling::Keep,
                Some(oxforge_db::authenticator::ACCOUNTS_ROLE),
            ),
        )?,
    })
}

impl Server {
    pub fn local_addr(&self) -> SocketAddr {
        self.addr
    }

    pub fn info(&self) -> &StartupInfo {
        &self.info
    }

    /// Serves until `signal` completes (or the HTTP server fails), then shuts down.
    pub async fn run_until(mut self, signal: impl Future<Output = ()>) -> Result<(), StartError> {
        tokio::select! {
            () = signal => {}
            result = &mut self.http => {
                // The server stopped on its own: report why, after cleaning up.
                let outcome = match result {
                    Ok(Ok(())) => Ok(()),
                    Ok(Err(e)) => Err(StartError::Serve(e)),
                    Err(e) => Err(StartError::Task(e)),
                };
                self.stop = None;
                self.release().await?;
                return outcome;
            }
        }
        self.shutdown().await
    }

    /// Stops accepting connections, lets in-flight requests finish, closes the pool and stops
    /// the embedded PostgreSQL.
    pub async fn shutdown(mut self) -> Result<(), StartError> {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        match tokio::time::timeout(DRAIN_TIMEOUT, &mut self.http).await {
            Ok(Ok(Ok(()))) => {}
            Ok(Ok(Err(e))) => tracing::warn!(error = %e, "HTTP server ended with an error"),
            Ok(Err(e)) => tracing::warn!(error = %e, "HTTP task failed"),
            Err(_) => {
                tracing::warn!("in-flight requests did not finish in time; closing them");
                self.http.abort();
            }
        }
        self.release().await
    }

    async fn release(&mut self) -> Result<(), StartError> {
        self.schema_listener.abort();
        for pool in &self.pools {
            pool.close();
        }
        if let Some(cluster) = self.embedded.take() {
            cluster.stop().await?;
        }
        Ok(())
    }
}
