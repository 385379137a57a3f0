//! The SQL editor (`/api/database/advance/rawsql`): any statement, as `project_admin` (on the
//! authenticator's connections, which cannot become anyone else) or as the owner, with a
//! statement timeout; rows come back as JSON objects built by PostgreSQL.

use crate::exec::{RawText, Untyped, as_sql_params};
use crate::{DbError, Pool};

/// Who runs the SQL.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Runner {
    /// `project_admin` (BYPASSRLS, owns `public` objects), as InsForge's SQL editor. Give a
    /// pool of the `authenticator` role with [`crate::Recycling::Discard`].
    ProjectAdmin,
    /// The role oxforge connects as (`/rawsql/unrestricted`). Give the owner's pool.
    Owner,
}

/// `{rows, rowCount, fields:[{name, dataTypeID}]}` in parts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SqlResult {
    /// A JSON array of row objects.
    pub rows: String,
    pub row_count: u64,
    pub fields: Vec<(String, u32)>,
}

const MULTIPLE_COMMANDS: &str = "cannot insert multiple commands into a prepared statement";

/// A connection for `runner`: unrestricted SQL can leave anything on its session (roles,
/// settings, LISTEN) and the owner's connections serve accounts and secrets, so the owner's is
/// taken out of the pool and closed after use; the authenticator's SQL pool runs `DISCARD ALL`
/// before a connection is reused.
enum Connection {
    Pooled(deadpool_postgres::Object),
    Detached(deadpool_postgres::ClientWrapper),
}

impl Connection {
    async fn get(pool: &Pool, runner: Runner) -> Result<Connection, DbError> {
        let pooled = pool.get().await?;
        Ok(match runner {
            Runner::Owner => Connection::Detached(deadpool_postgres::Object::take(pooled)),
            Runner::ProjectAdmin => Connection::Pooled(pooled),
        })
    }

    fn client(&mut self) -> &mut deadpool_postgres::ClientWrapper {
        match self {
            Connection::Pooled(pooled) => pooled,
            Connection::Detached(detached) => detached,
        }
    }
}

/// Opens the transaction the statement runs in: its timeout, the role of `runner`, the
/// `request.jwt.claims` if any, read-only if asked.
async fn begin<'c>(
    client: &'c mut Connection,
    runner: Runner,
    timeout_ms: u64,
    claims: Option<&str>,
    read_only: bool,
) -> Result<deadpool_postgres::Transaction<'c>, DbError> {
    let role = (runner == Runner::ProjectAdmin).then_some("project_admin");
    begin_as(client, role, timeout_ms, claims, read_only).await
}

/// [`begin`] with the role to take (`SET LOCAL ROLE`), a constant from an allowlist.
async fn begin_as<'c>(
    client: &'c mut Connection,
    role: Option<&'static str>,
    timeout_ms: u64,
    claims: Option<&str>,
    read_only: bool,
) -> Result<deadpool_postgres::Transaction<'c>, DbError> {
    let tx = client.client().transaction().await?;
    let mut setup = format!("SET LOCAL statement_timeout = {timeout_ms};");
    if read_only {
        setup.push_str("SET TRANSACTION READ ONLY;");
    }
    if let Some(role) = role {
        setup.push_str(&format!("SET LOCAL ROLE {role};"));
    }
    tx.batch_execute(&setup).await?;
    if let Some(claims) = claims {
        tx.execute("SELECT set_config('request.jwt.claims', $1, true)", &[&claims])
            .await?;
    }
    Ok(tx)
}

/// The plan of one read-only query (`explain: true` of the SQL editor), as InsForge's editor
/// shows it: one row `{"QUERY PLAN": [<EXPLAIN (FORMAT JSON)>]}`. The caller decides the
/// statement may be explained (`sql_script::explainable`); here it is only planned, never run
/// (no ANALYZE), in a read-only transaction that is always rolled back.
pub async fn explain(
    pool: &Pool,
    runner: Runner,
    statement: &str,
    params: &[Option<String>],
    claims: &str,
    timeout_ms: u64,
) -> Result<SqlResult, DbError> {
    crate::error::reject_nul(std::iter::once(statement).chain(params.iter().flatten().map(String::as_str)))?;
    let mut client = Connection::get(pool, runner).await?;
    let tx = begin(&mut client, runner, timeout_ms, Some(claims), true).await?;
    let untyped: Vec<Untyped<'_>> = params.iter().map(|p| Untyped(p.as_deref())).collect();
    let rows = tx
        .query_typed(&format!("EXPLAIN (FORMAT JSON) {statement}"), &as_sql_params(&untyped))
        .await?;
    tx.rollback().await?;
    let plan: RawText = rows
        .first()
        .ok_or_else(|| DbError::Protocol("EXPLAIN returned no row".into()))?
        .try_get(0)?;
    Ok(SqlResult {
        rows: format!("[{{\"QUERY PLAN\":{}}}]", plan.0),
        row_count: 1,
        fields: vec![("QUERY PLAN".into(), 114)],
    })
}

/// Runs `query` in its own transaction as `runner`, with `params` bound as untyped text and
/// `request.jwt.claims` set to `claims` (the admin's, so claim-reading defaults such as
/// `auth.uid()` or the Auth0 guide's `requesting_user_id()` work in the editor too).
pub async fn run(
    pool: &Pool,
    runner: Runner,
    query: &str,
    params: &[Option<String>],
    claims: &str,
    timeout_ms: u64,
) -> Result<SqlResult, DbError> {
    let query = query.trim().trim_end_matches(';').trim_end();
    crate::error::reject_nul(std::iter::once(query).chain(params.iter().flatten().map(String::as_str)))?;
    let mut client = Connection::get(pool, runner).await?;
    let tx = begin(&mut client, runner, timeout_ms, Some(claims), false).await?;
    let result = statement(&tx, query, params).await?;
    tx.commit().await?;
    Ok(result)
}

/// A request role the SQL editor's "view as" takes; nothing else reaches its `SET LOCAL ROLE`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ViewAs {
    Anon,
    Authenticated,
}

impl ViewAs {
    /// The allowlist: `anon` or `authenticated`, exactly.
    pub fn from_name(name: &str) -> Option<ViewAs> {
        match name {
            "anon" => Some(ViewAs::Anon),
            "authenticated" => Some(ViewAs::Authenticated),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            ViewAs::Anon => "anon",
            ViewAs::Authenticated => "authenticated",
        }
    }
}

/// Runs `query` like [`run`], but as a request role (`anon` or `authenticated`, under RLS) with
/// `claims` as its `request.jwt.claims`, on the `authenticator`'s SQL pool; the transaction is
/// rolled back unless `commit`.
pub async fn run_as(
    pool: &Pool,
    role: ViewAs,
    query: &str,
    params: &[Option<String>],
    claims: &str,
    timeout_ms: u64,
    commit: bool,
) -> Result<SqlResult, DbError> {
    let query = query.trim().trim_end_matches(';').trim_end();
    crate::error::reject_nul(std::iter::once(query).chain(params.iter().flatten().map(String::as_str)))?;
    let mut client = Connection::get(pool, Runner::ProjectAdmin).await?;
    let tx = begin_as(&mut client, Some(role.as_str()), timeout_ms, Some(claims), false).await?;
    let result = statement(&tx, query, params).await?;
    if commit {
        tx.commit().await?;
    } else {
        tx.rollback().await?;
    }
    Ok(result)
}

/// The statement (or script) of [`run`] inside its transaction.
async fn statement(
    tx: &deadpool_postgres::Transaction<'_>,
    query: &str,
    params: &[Option<String>],
) -> Result<SqlResult, DbError> {
    // A failed attempt (prepare of a script, wrapping of SHOW/EXPLAIN) rolls back to here.
    tx.batch_execute("SAVEPOINT oxforge_rawsql").await?;
    let untyped: Vec<Untyped<'_>> = params.iter().map(|p| Untyped(p.as_deref())).collect();
    let typed = as_sql_params(&untyped);
    let result = match tx.prepare(query).await {
        Err(e) if params.is_empty() && e.as_db_error().is_some_and(|d| d.message() == MULTIPLE_COMMANDS) => {
            tx.batch_execute("ROLLBACK TO SAVEPOINT oxforge_rawsql").await?;
            script(tx, query).await?
        }
        Err(e) => return Err(e.into()),
        Ok(statement) if statement.columns().is_empty() => {
            let refs: Vec<&(dyn tokio_postgres::types::ToSql + Sync)> = untyped
                .iter()
                .map(|u| u as &(dyn tokio_postgres::types::ToSql + Sync))
                .collect();
            SqlResult {
                rows: "[]".into(),
                row_count: tx.execute(&statement, &refs).await?,
                fields: Vec::new(),
            }
        }
        Ok(statement) => {
            let fields = statement
                .columns()
                .iter()
                .map(|c| (c.name().to_owned(), c.type_().oid()))
                .collect();
            let wrapped = format!(
                "WITH \"rawsql\" AS ({query}\n) SELECT coalesce(json_agg(\"rawsql\"), '[]'::json)::text, count(*) FROM \"rawsql\""
            );
            match tx.query_typed(&wrapped, &typed).await {
                Ok(rows) => {
                    let row = rows.first().ok_or_else(|| DbError::Protocol("no result row".into()))?;
                    let count: i64 = row.try_get(1)?;
                    SqlResult {
                        rows: row.try_get(0)?,
                        row_count: count.unsigned_abs(),
                        fields,
                    }
                }
                // Statements that cannot sit in a CTE (SHOW, EXPLAIN…): text values, without parameters.
                Err(_) if params.is_empty() => {
                    tx.batch_execute("ROLLBACK TO SAVEPOINT oxforge_rawsql").await?;
                    script(tx, query).await?
                }
                Err(e) => return Err(e.into()),
            }
        }
    };
    Ok(result)
}

/// Runs a script with the simple protocol; the last result's rows, as text values.
async fn script(tx: &deadpool_postgres::Transaction<'_>, query: &str) -> Result<SqlResult, DbError> {
    use tokio_postgres::SimpleQueryMessage;
    let messages = tx.simple_query(query).await?;
    let mut rows: Vec<serde_like::Row> = Vec::new();
    let mut fields: Vec<(String, u32)> = Vec::new();
    let mut row_count = 0;
    for message in messages {
        match message {
            SimpleQueryMessage::RowDescription(columns) => {
                rows.clear();
                fields = columns.iter().map(|c| (c.name().to_owned(), 25)).collect();
            }
            SimpleQueryMessage::Row(row) => {
                let values = (0..row.len()).map(|i| row.get(i).map(str::to_owned)).collect();
                rows.push(values);
            }
            SimpleQueryMessage::CommandComplete(n) => row_count = n,
            _ => {}
        }
    }
    Ok(SqlResult {
        rows: serde_like::to_json(&fields, &rows),
        row_count,
        fields,
    })
}

/// Minimal JSON writing for text rows (no serde dependency in this crate).
mod serde_like {
    pub type Row = Vec<Option<String>>;

    fn string(s: &str) -> String {
        let mut out = String::with_capacity(s.len() + 2);
        out.push('"');
        for c in s.chars() {
            match c {
                '"' => out.push_str("\\\""),
                '\\' => out.push_str("\\\\"),
                '\n' => out.push_str("\\n"),
                '\r' => out.push_str("\\r"),
                '\t' => out.push_str("\\t"),
                c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
                c => out.push(c),
            }
        }
        out.push('"');
        out
    }

    pub fn to_json(fields: &[(String, u32)], rows: &[Row]) -> String {
        let objects: Vec<String> = rows
            .iter()
            .map(|row| {
                let pairs: Vec<String> = fields
                    .iter()
                    .zip(row)
                    .map(|((name, _), v)| format!("{}:{}", string(name), v.as_deref().map_or("null".into(), string)))
                    .collect();
                format!("{{{}}}", pairs.join(","))
            })
            .collect();
        format!("[{}]", objects.join(","))
    }

    #[cfg(test)]
    mod tests {
        #[test]
        fn escapes() {
            let json = super::to_json(&[("a\"b".into(), 25)], &[vec![Some("x\ny\u{1}".into())], vec![None]]);
            assert_eq!(json, r#"[{"a\"b":"x\ny\u0001"},{"a\"b":null}]"#);
        }
    }
}

/// Runs DDL statements built by the server (table management) in one transaction as `runner`.
pub async fn run_statements(
    pool: &Pool,
    runner: Runner,
    statements: &[String],
    timeout_ms: u64,
) -> Result<(), DbError> {
    let mut client = Connection::get(pool, runner).await?;
    let tx = begin(&mut client, runner, timeout_ms, None, false).await?;
    for statement in statements {
        tx.batch_execute(statement).await?;
    }
    tx.commit().await?;
    Ok(())
}
