//! The project secret store, `system.secrets`: one active value per key.

use std::collections::HashMap;

use deadpool_postgres::GenericClient;

use crate::DbError;

/// Reserved secrets oxforge itself keeps.
pub const API_KEY: &str = "API_KEY";
pub const ANON_KEY: &str = "ANON_KEY";
pub const JWT_SECRET: &str = "JWT_SECRET";
pub const JWT_PRIVATE_KEY: &str = "JWT_PRIVATE_KEY";
pub const JWT_PUBLIC_KEY: &str = "JWT_PUBLIC_KEY";
pub const JWT_KEY_ID: &str = "JWT_KEY_ID";
pub const ROOT_ADMIN_PASSWORD: &str = "ROOT_ADMIN_PASSWORD";

/// Every active, unexpired secret.
pub async fn active_map(client: &impl GenericClient) -> Result<HashMap<String, String>, DbError> {
    let rows = client
        .query(
            "SELECT key, value FROM system.secrets
             WHERE is_active AND (expires_at IS NULL OR expires_at > now())",
            &[],
        )
        .await?;
    Ok(rows.iter().map(|r| (r.get(0), r.get(1))).collect())
}

/// The active value of one secret.
pub async fn get(client: &impl GenericClient, key: &str) -> Result<Option<String>, DbError> {
    let row = client
        .query_opt(
            "SELECT value FROM system.secrets
             WHERE key = $1 AND is_active AND (expires_at IS NULL OR expires_at > now())",
            &[&key],
        )
        .await?;
    Ok(row.map(|r| r.get(0)))
}

/// Sets a reserved secret, replacing its active value if it differs.
pub async fn put_reserved(client: &impl GenericClient, key: &str, value: &str) -> Result<(), DbError> {
    client
        .execute(
            "INSERT INTO system.secrets (key, value, is_reserved) VALUES ($1, $2, true)
             ON CONFLICT (key) WHERE is_active DO UPDATE
               SET value = excluded.value, is_reserved = true, updated_at = now()
               WHERE system.secrets.value IS DISTINCT FROM excluded.value",
            &[&key, &value],
        )
        .await?;
    Ok(())
}
