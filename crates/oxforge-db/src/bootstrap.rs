//! The versioned bootstrap schema, applied at start under an advisory lock.
//!
//! Several oxforge processes may start against one database at the same moment: the whole
//! bootstrap (schema steps and secret seeding) runs in one transaction holding a
//! transaction-level advisory lock, so exactly one of them does the work and the others see
//! its result.

use std::collections::HashMap;

use deadpool_postgres::Transaction;

use crate::{DbError, Pool, SecretCipher, secrets};

/// `pg_advisory_xact_lock` key: "oxforge" in ASCII.
const BOOTSTRAP_LOCK: i64 = 0x006f_7866_6f72_6765;

struct Step {
    version: i32,
    name: &'static str,
    sql: &'static str,
}

const STEPS: &[Step] = &[
    Step {
        version: 1,
        name: "foundation",
        sql: include_str!("../sql/0001_foundation.sql"),
    },
    Step {
        version: 2,
        name: "schema_reload",
        sql: include_str!("../sql/0002_schema_reload.sql"),
    },
    Step {
        version: 3,
        name: "accounts",
        sql: include_str!("../sql/0003_accounts.sql"),
    },
    Step {
        version: 4,
        name: "custom_migrations",
        sql: include_str!("../sql/0004_custom_migrations.sql"),
    },
    Step {
        version: 5,
        name: "table_helpers",
        sql: include_str!("../sql/0005_table_helpers.sql"),
    },
    Step {
        version: 6,
        name: "request_roles",
        sql: include_str!("../sql/0006_request_roles.sql"),
    },
    Step {
        version: 7,
        name: "session_hardening",
        sql: include_str!("../sql/0007_session_hardening.sql"),
    },
];

/// The newest bootstrap version this build knows.
pub const BOOTSTRAP_VERSION: i32 = 7;

/// The versions of every bootstrap step this build knows, in order.
pub fn bootstrap_versions() -> Vec<i32> {
    STEPS.iter().map(|s| s.version).collect()
}

/// Applies the missing bootstrap steps in an open transaction that holds the lock.
async fn apply_steps(tx: &Transaction<'_>) -> Result<Vec<i32>, DbError> {
    tx.batch_execute(
        "CREATE SCHEMA IF NOT EXISTS system;
         CREATE TABLE IF NOT EXISTS system.oxforge_bootstrap (
           version integer PRIMARY KEY,
           name text NOT NULL,
           applied_at timestamptz NOT NULL DEFAULT now()
         );",
    )
    .await?;
    let applied: Vec<i32> = tx
        .query("SELECT version FROM system.oxforge_bootstrap", &[])
        .await?
        .iter()
        .map(|row| row.get(0))
        .collect();
    let mut newly = Vec::new();
    for step in STEPS.iter().filter(|s| !applied.contains(&s.version)) {
        tx.batch_execute(step.sql).await.map_err(|source| DbError::Bootstrap {
            version: step.version,
            name: step.name,
            source,
        })?;
        tx.execute(
            "INSERT INTO system.oxforge_bootstrap (version, name) VALUES ($1, $2)",
            &[&step.version, &step.name],
        )
        .await?;
        newly.push(step.version);
    }
    Ok(newly)
}

/// Applies the bootstrap schema only (no secrets): used to prepare template databases.
pub async fn migrate(pool: &Pool) -> Result<Vec<i32>, DbError> {
    let mut client = pool.get().await?;
    let tx = client.transaction().await?;
    tx.execute("SELECT pg_advisory_xact_lock($1)", &[&BOOTSTRAP_LOCK])
        .await?;
    let newly = apply_steps(&tx).await?;
    tx.commit().await?;
    Ok(newly)
}

/// Brings the database up to date and returns the project's active secrets.
///
/// `configured` secrets (from the environment) overwrite stored ones. Then `fill_missing`
/// sees the stored secrets and returns values for those it wants created; they are inserted
/// in the same locked transaction, so concurrent starts agree on one set of generated keys.
pub async fn bootstrap<F>(
    pool: &Pool,
    cipher: &SecretCipher,
    configured: &[(&str, String)],
    fill_missing: F,
) -> Result<HashMap<String, String>, DbError>
where
    F: FnOnce(&HashMap<String, String>) -> Result<Vec<(String, String)>, Box<dyn std::error::Error + Send + Sync>>,
{
    let mut client = pool.get().await?;
    let tx = client.transaction().await?;
    tx.execute("SELECT pg_advisory_xact_lock($1)", &[&BOOTSTRAP_LOCK])
        .await?;
    let newly = apply_steps(&tx).await?;
    if !newly.is_empty() {
        tracing::info!(steps = ?newly, "applied bootstrap schema");
    }
    let sealed = secrets::seal_plaintext(&tx, cipher).await?;
    if sealed > 0 {
        tracing::info!(count = sealed, "encrypted secrets that were stored in plain text");
    }
    // Opening every active secret also proves the key is the right one.
    let mut stored = secrets::active_map(&tx, cipher).await?;
    for (key, value) in configured {
        if stored.get(*key) != Some(value) {
            secrets::put_reserved(&tx, cipher, key, value).await?;
            stored.insert((*key).to_owned(), value.clone());
        }
    }
    let generated = fill_missing(&stored).map_err(DbError::Seed)?;
    for (key, value) in generated {
        secrets::put_reserved(&tx, cipher, &key, &value).await?;
        stored.insert(key, value);
    }
    tx.commit().await?;
    Ok(stored)
}
