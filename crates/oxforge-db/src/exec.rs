//! Running one data-API statement as the caller.
//!
//! One transaction per request: `BEGIN`, `set_config('role', …)` (an allowlisted role) and
//! `set_config('request.jwt.claims', …)`, the statement, `COMMIT` — pipelined on one
//! connection, so the whole request costs one network round trip. Every statement returns one
//! row: `(total bigint, page_count bigint, body text)`, the body built by PostgreSQL.

use bytes::BytesMut;
use tokio_postgres::types::{Format, IsNull, ToSql, Type, to_sql_checked};

use crate::{DbError, Pool};

/// A parameter sent as text with no declared type: PostgreSQL types it from its context,
/// exactly like an untyped literal (`'5'` compared with an integer column is an integer).
#[derive(Debug)]
struct Untyped<'a>(&'a str);

impl ToSql for Untyped<'_> {
    fn to_sql(&self, _ty: &Type, out: &mut BytesMut) -> Result<IsNull, Box<dyn std::error::Error + Sync + Send>> {
        out.extend_from_slice(self.0.as_bytes());
        Ok(IsNull::No)
    }

    fn accepts(_ty: &Type) -> bool {
        true
    }

    fn encode_format(&self, _ty: &Type) -> Format {
        Format::Text
    }

    to_sql_checked!();
}

/// Who the statement runs as.
#[derive(Debug, Clone, Copy)]
pub struct RequestContext<'a> {
    /// One of `anon`, `authenticated`, `project_admin` (the caller guarantees the allowlist).
    pub role: &'a str,
    /// The JSON for `request.jwt.claims`.
    pub claims: &'a str,
    /// GET and HEAD run in a read-only transaction.
    pub read_only: bool,
    /// `Prefer: tx=rollback`.
    pub rollback: bool,
}

/// The single row every data-API statement returns.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outcome {
    pub total: Option<i64>,
    pub page_count: i64,
    pub body: Option<String>,
}

/// Runs `sql` with `params` in its own transaction as `ctx.role` with `ctx.claims`.
pub async fn run_as(pool: &Pool, ctx: RequestContext<'_>, sql: &str, params: &[String]) -> Result<Outcome, DbError> {
    let client = pool.get().await?;
    let untyped: Vec<Untyped<'_>> = params.iter().map(|p| Untyped(p)).collect();
    let main_params: Vec<(&(dyn ToSql + Sync), Type)> = untyped
        .iter()
        .map(|p| (p as &(dyn ToSql + Sync), Type::UNKNOWN))
        .collect();
    let setup_params: [(&(dyn ToSql + Sync), Type); 2] = [(&ctx.role, Type::TEXT), (&ctx.claims, Type::TEXT)];
    let begin = if ctx.read_only { "BEGIN READ ONLY" } else { "BEGIN" };
    let end = if ctx.rollback { "ROLLBACK" } else { "COMMIT" };
    // Issued together: tokio-postgres sends them in the order first polled (join! polls in order).
    let (began, setup, main, ended) = tokio::join!(
        client.batch_execute(begin),
        client.query_typed(
            "SELECT set_config('role', $1, true), set_config('request.jwt.claims', $2, true)",
            &setup_params,
        ),
        client.query_typed(sql, &main_params),
        client.batch_execute(end),
    );
    began?;
    setup?;
    let rows = main?;
    ended?;
    let row = rows
        .first()
        .ok_or_else(|| DbError::Protocol("the statement returned no row".into()))?;
    Ok(Outcome {
        total: row.try_get(0)?,
        page_count: row.try_get::<_, Option<i64>>(1)?.unwrap_or(0),
        body: row.try_get(2)?,
    })
}
