//! Running one data-API statement as the caller.
//!
//! One transaction per request: `BEGIN`, `set_config('role', …)` (an allowlisted role) and
//! `set_config('request.jwt.claims', …)`, the statement, `COMMIT` — pipelined on one
//! connection, so the whole request costs one network round trip. Every statement returns one
//! row: `(total bigint, page_count bigint, body text)`, the body built by PostgreSQL.
//!
//! Statements are prepared once per connection and kept (at most [`STATEMENT_CACHE_LIMIT`] per
//! connection; all of them are dropped when the schema cache reloads, since parameter types come
//! from the schema): a repeated request shape costs PostgreSQL no parsing, analysis or — once a
//! generic plan is chosen — planning. The first use of a shape on a connection costs one extra
//! round trip to prepare it.

use bytes::BytesMut;
use tokio_postgres::Statement;
use tokio_postgres::types::{Format, FromSql, IsNull, ToSql, Type, to_sql_checked};

use crate::{DbError, Pool};

/// Most prepared statements one connection keeps; past it the connection's cache starts afresh.
pub const STATEMENT_CACHE_LIMIT: usize = 256;

const SETUP_SQL: &str = "SELECT set_config('role', $1, true), set_config('request.jwt.claims', $2, true), set_config('statement_timeout', $3, true)";

/// `sql` prepared on this connection (from its cache when it was prepared before) with its
/// parameters declared as `types` (`UNKNOWN`: PostgreSQL types them from their context).
async fn prepared(client: &deadpool_postgres::Object, sql: &str, types: &[Type]) -> Result<Statement, DbError> {
    if client.statement_cache.size() >= STATEMENT_CACHE_LIMIT {
        client.statement_cache.clear();
    }
    Ok(client.prepare_typed_cached(sql, types).await?)
}

/// Forgets every prepared statement of every connection (the schema changed).
pub fn forget_prepared_statements(pool: &Pool) {
    pool.manager().statement_caches.clear();
}

/// A parameter sent as text with no declared type: PostgreSQL types it from its context,
/// exactly like an untyped literal (`'5'` compared with an integer column is an integer).
#[derive(Debug)]
pub(crate) struct Untyped<'a>(pub(crate) Option<&'a str>);

impl ToSql for Untyped<'_> {
    fn to_sql(&self, _ty: &Type, out: &mut BytesMut) -> Result<IsNull, Box<dyn std::error::Error + Sync + Send>> {
        match self.0 {
            Some(text) => {
                out.extend_from_slice(text.as_bytes());
                Ok(IsNull::No)
            }
            None => Ok(IsNull::Yes),
        }
    }

    fn accepts(_ty: &Type) -> bool {
        true
    }

    fn encode_format(&self, _ty: &Type) -> Format {
        Format::Text
    }

    to_sql_checked!();
}

/// Any column read as its raw text (used for `EXPLAIN (FORMAT JSON)`, typed `json`).
pub(crate) struct RawText(pub(crate) String);

impl<'a> FromSql<'a> for RawText {
    fn from_sql(_ty: &Type, raw: &'a [u8]) -> Result<Self, Box<dyn std::error::Error + Sync + Send>> {
        Ok(RawText(String::from_utf8_lossy(raw).into_owned()))
    }

    fn accepts(_ty: &Type) -> bool {
        true
    }
}

/// The planner's row estimate from `EXPLAIN (FORMAT JSON)` output.
fn plan_rows(explain: &str) -> Option<i64> {
    let start = explain.find("\"Plan Rows\":")? + "\"Plan Rows\":".len();
    let digits: String = explain[start..]
        .trim_start()
        .chars()
        .take_while(char::is_ascii_digit)
        .collect();
    digits.parse().ok()
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
    /// `statement_timeout` for this request, in milliseconds (0: none).
    pub statement_timeout_ms: u64,
}

/// The single row every data-API statement returns.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outcome {
    pub total: Option<i64>,
    pub page_count: i64,
    pub body: Option<String>,
    /// The planner's estimate of the matching rows, when an `explain` statement was given.
    pub planned_total: Option<i64>,
}

fn untyped_params(params: &[String]) -> Vec<Untyped<'_>> {
    params.iter().map(|p| Untyped(Some(p))).collect()
}

fn as_refs<'a>(untyped: &'a [Untyped<'a>]) -> Vec<&'a (dyn ToSql + Sync)> {
    untyped.iter().map(|p| p as &(dyn ToSql + Sync)).collect()
}

pub(crate) fn as_sql_params<'a>(untyped: &'a [Untyped<'a>]) -> Vec<(&'a (dyn ToSql + Sync), Type)> {
    untyped
        .iter()
        .map(|p| (p as &(dyn ToSql + Sync), Type::UNKNOWN))
        .collect()
}

/// A statement and its text parameters.
pub type Sql<'a> = (&'a str, &'a [String]);

/// Runs `sql` with `params` in its own transaction as `ctx.role` with `ctx.claims`; `explain`,
/// when given, runs in the same transaction first and yields `planned_total`.
pub async fn run_as(
    pool: &Pool,
    ctx: RequestContext<'_>,
    (sql, params): Sql<'_>,
    explain: Option<Sql<'_>>,
) -> Result<Outcome, DbError> {
    let statements = std::iter::once((sql, params)).chain(explain);
    crate::error::reject_nul(statements.flat_map(|(s, p)| std::iter::once(s).chain(p.iter().map(String::as_str))))?;
    let client = pool.get().await?;
    match run_on(&client, ctx, (sql, params), explain).await {
        // Someone ran `DEALLOCATE`/`DISCARD ALL` on this connection (the SQL editor can): the
        // cached statements are gone on the server. Forget ours and try once more.
        Err(e) if e.as_db_error().is_some_and(|db| db.code().code() == "26000") => {
            client.statement_cache.clear();
            run_on(&client, ctx, (sql, params), explain).await
        }
        other => other,
    }
}

async fn run_on(
    client: &deadpool_postgres::Object,
    ctx: RequestContext<'_>,
    (sql, params): Sql<'_>,
    explain: Option<Sql<'_>>,
) -> Result<Outcome, DbError> {
    let untyped = untyped_params(params);
    let main_params = as_refs(&untyped);
    let setup_statement = prepared(client, SETUP_SQL, &[Type::TEXT, Type::TEXT, Type::TEXT]).await?;
    let main_statement = prepared(client, sql, &vec![Type::UNKNOWN; params.len()]).await?;
    let (explain_sql, explain_params) = explain.unwrap_or(("", &[]));
    let explain_untyped = untyped_params(explain_params);
    let explain_typed = as_sql_params(&explain_untyped);
    let explain_query = async {
        if explain.is_none() {
            return Ok(None);
        }
        let rows = client.query_typed(explain_sql, &explain_typed).await?;
        let text = rows.first().map(|r| r.try_get::<_, RawText>(0)).transpose()?;
        Ok::<_, tokio_postgres::Error>(text.and_then(|t| plan_rows(&t.0)))
    };
    let timeout = ctx.statement_timeout_ms.to_string();
    let setup_params: [&(dyn ToSql + Sync); 3] = [&ctx.role, &ctx.claims, &timeout];
    let begin = if ctx.read_only { "BEGIN READ ONLY" } else { "BEGIN" };
    let end = if ctx.rollback { "ROLLBACK" } else { "COMMIT" };
    // Issued together: tokio-postgres sends them in the order first polled (join! polls in order).
    let (began, setup, planned, main, ended) = tokio::join!(
        client.batch_execute(begin),
        client.query(&setup_statement, &setup_params),
        explain_query,
        client.query(&main_statement, &main_params),
        client.batch_execute(end),
    );
    began?;
    setup?;
    let planned_total = planned?;
    let rows = main?;
    ended?;
    let row = rows
        .first()
        .ok_or_else(|| DbError::Protocol("the statement returned no row".into()))?;
    Ok(Outcome {
        total: row.try_get(0)?,
        page_count: row.try_get::<_, Option<i64>>(1)?.unwrap_or(0),
        body: row.try_get(2)?,
        planned_total,
    })
}

#[cfg(test)]
mod tests {
    use super::plan_rows;

    #[test]
    fn reads_the_planner_estimate() {
        let explain =
            r#"[{"Plan": {"Node Type": "Seq Scan", "Startup Cost": 0.00, "Plan Rows": 1234, "Plan Width": 4}}]"#;
        assert_eq!(plan_rows(explain), Some(1234));
        assert_eq!(plan_rows("[]"), None);
    }
}
