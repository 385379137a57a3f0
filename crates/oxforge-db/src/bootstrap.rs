//! The versioned bootstrap schema, applied at start under an advisory lock.
//!
//! The schema is a list of [`Component`]s (core, then each capability), each owning and
//! versioning its SQL steps; `system.oxforge_bootstrap` records the applied `(component,
//! version)` pairs.
//!
//! Several oxforge processes may start against one database at the same moment: the whole
//! bootstrap (schema steps and secret seeding) runs in one transaction holding a
//! transaction-level advisory lock, so exactly one of them does the work and the others see
//! its result.

mod component;

use std::collections::{HashMap, HashSet};

use deadpool_postgres::Transaction;

use component::validate;
pub use component::{CORE, Component, ComponentError, Step};

use crate::{DbError, Pool, SecretCipher, secrets};

/// `pg_advisory_xact_lock` key: "oxforge" in ASCII.
const BOOTSTRAP_LOCK: i64 = 0x006f_7866_6f72_6765;

/// Creates `system.oxforge_bootstrap`, or upgrades an older build's table.
const TRACKING: &str = include_str!("../sql/tracking.sql");

/// Applies the missing steps of `components` in an open transaction that holds the lock, and
/// returns the `(component, version)` of each step whose SQL ran, in order.
async fn apply_steps(tx: &Transaction<'_>, components: &[Component]) -> Result<Vec<(&'static str, i32)>, DbError> {
    tx.batch_execute(TRACKING).await?;
    // Read once: `validate` guarantees no step's label is also another step's.
    let applied: HashSet<(String, i32)> = tx
        .query("SELECT component, version FROM system.oxforge_bootstrap", &[])
        .await?
        .iter()
        .map(|row| (row.get(0), row.get(1)))
        .collect();
    let mut newly = Vec::new();
    for component in components {
        for step in component.steps {
            if applied.contains(&(component.name.to_owned(), step.version)) {
                continue;
            }
            let former = step
                .formerly
                .filter(|(name, version)| applied.contains(&((*name).to_owned(), *version)));
            let failed = |source| DbError::Bootstrap {
                component: component.name,
                version: step.version,
                name: step.name,
                source,
            };
            match former {
                Some((old_component, old_version)) => {
                    tx.execute(
                        "UPDATE system.oxforge_bootstrap SET component = $1, version = $2, name = $3
                         WHERE component = $4 AND version = $5",
                        &[&component.name, &step.version, &step.name, &old_component, &old_version],
                    )
                    .await
                    .map_err(failed)?;
                    tracing::info!(
                        component = component.name,
                        version = step.version,
                        formerly = %format_args!("{old_component} {old_version}"),
                        "bootstrap step re-labelled"
                    );
                }
                None => {
                    tx.batch_execute(step.sql).await.map_err(failed)?;
                    tx.execute(
                        "INSERT INTO system.oxforge_bootstrap (component, version, name) VALUES ($1, $2, $3)",
                        &[&component.name, &step.version, &step.name],
                    )
                    .await
                    .map_err(failed)?;
                    newly.push((component.name, step.version));
                }
            }
        }
    }
    Ok(newly)
}

/// Validates `components`, then opens a transaction holding the bootstrap lock and applies
/// their missing steps in it.
async fn begin_and_apply<'c>(
    client: &'c mut deadpool_postgres::Object,
    components: &[Component],
) -> Result<(Transaction<'c>, Vec<(&'static str, i32)>), DbError> {
    validate(components)?;
    let tx = client.transaction().await?;
    tx.execute("SELECT pg_advisory_xact_lock($1)", &[&BOOTSTRAP_LOCK])
        .await?;
    let newly = apply_steps(&tx, components).await?;
    Ok((tx, newly))
}

/// Applies the bootstrap schema only (no secrets): used to prepare template databases.
///
/// The missing steps of `components` are applied in the list's order, each component's in
/// version order, all in one transaction; a missing step whose `formerly` row exists has that
/// row re-labelled instead of running again. Returns the `(component, version)` of each step
/// whose SQL ran, in order.
pub async fn migrate(pool: &Pool, components: &[Component]) -> Result<Vec<(&'static str, i32)>, DbError> {
    let mut client = pool.get().await?;
    let (tx, newly) = begin_and_apply(&mut client, components).await?;
    tx.commit().await?;
    Ok(newly)
}

/// Brings the database up to date (`components` as in [`migrate`]) and returns the project's
/// active secrets.
///
/// `configured` secrets (from the environment) overwrite stored ones. Then `fill_missing`
/// sees the stored secrets and returns values for those it wants created; they are inserted
/// in the same locked transaction, so concurrent starts agree on one set of generated keys.
pub async fn bootstrap<F>(
    pool: &Pool,
    components: &[Component],
    cipher: &SecretCipher,
    configured: &[(&str, String)],
    fill_missing: F,
) -> Result<HashMap<String, String>, DbError>
where
    F: FnOnce(&HashMap<String, String>) -> Result<Vec<(String, String)>, Box<dyn std::error::Error + Send + Sync>>,
{
    let mut client = pool.get().await?;
    let (tx, newly) = begin_and_apply(&mut client, components).await?;
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
