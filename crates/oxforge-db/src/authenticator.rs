//! The `authenticator` login role (bootstrap step 0006) and how oxforge logs in as it.
//!
//! By default oxforge manages the role: its password is a generated project secret, and the
//! request path connects with the owner's host, port and database but as `authenticator`. When the
//! password PostgreSQL has differs (a new project secret, another cluster), the owner sets it.

use crate::{DbError, Pool};

/// The role's name.
pub const ROLE: &str = "authenticator";

/// The role the accounts pool's `authenticator` connections switch to: it may read and write
/// `auth.users` and `auth.sessions`, and nothing else.
pub const ACCOUNTS_ROLE: &str = "oxforge_accounts";

/// The owner's connection settings with the user and password of `authenticator`.
pub fn config_from_owner(owner: &tokio_postgres::Config, password: &str) -> tokio_postgres::Config {
    let mut config = owner.clone();
    config.user(ROLE);
    config.password(password);
    config
}

fn is_login_refused(e: &tokio_postgres::Error) -> bool {
    // 28P01 invalid_password, 28000 invalid_authorization_specification.
    e.as_db_error()
        .is_some_and(|db| matches!(db.code().code(), "28P01" | "28000"))
}

/// Connects once as `authenticator`; if PostgreSQL refuses the password, sets it through the
/// owner's pool and tries again.
pub async fn ensure_login(owner: &Pool, config: &tokio_postgres::Config, password: &str) -> Result<(), DbError> {
    match try_login(config).await {
        Ok(()) => Ok(()),
        Err(e) if is_login_refused(&e) => {
            let mut client = owner.get().await?;
            let tx = client.transaction().await?;
            // A bound parameter, quoted by `format(%L)`: the password never becomes SQL text.
            tx.execute(
                "SELECT set_config('oxforge.authenticator_password', $1, true)",
                &[&password],
            )
            .await?;
            tx.batch_execute(
                "DO $$ BEGIN EXECUTE format('ALTER ROLE authenticator WITH LOGIN PASSWORD %L',
                   current_setting('oxforge.authenticator_password')); END $$",
            )
            .await?;
            tx.commit().await?;
            Ok(try_login(config).await?)
        }
        Err(e) => Err(e.into()),
    }
}

async fn try_login(config: &tokio_postgres::Config) -> Result<(), tokio_postgres::Error> {
    let (client, connection) = config.connect(tokio_postgres::NoTls).await?;
    let task = tokio::spawn(connection);
    let result = client.batch_execute("SELECT 1").await;
    drop(client);
    let _ = task.await;
    result
}
