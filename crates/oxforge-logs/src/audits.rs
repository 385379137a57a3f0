//! `/api/logs/audits` (admin only): the audit trail, `system.audit_logs`, read and pruned as the
//! owner. The list is a bare array, newest first, with InsForge's `Content-Range`
//! (`offset-(offset+rows-1)/total`, so `0--1/0` when empty) and 206 when more remain; `stats`
//! summarises the last `days`; `DELETE` keeps the last `days_to_keep` days.

use axum::Json;
use axum::extract::{Query, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, NaiveDate};
use oxforge_db::DbError;
use oxforge_edge::{Admin, ApiError};
use serde::Deserialize;
use serde_json::{Value, json};

use crate::routes::{LogsState, limit};

/// One row in InsForge's shape.
const ROW: &str = "json_build_object('id', id, 'actor', actor, 'action', action, 'module', module, \
                   'details', details, 'ipAddress', ip_address, 'createdAt', created_at, 'updatedAt', updated_at)";

/// The parameters of the three routes: the list's, `stats`' `days`, `DELETE`'s `days_to_keep`.
#[derive(Deserialize)]
pub struct AuditQuery {
    days: Option<String>,
    days_to_keep: Option<String>,
    limit: Option<String>,
    offset: Option<String>,
    actor: Option<String>,
    action: Option<String>,
    module: Option<String>,
    start_date: Option<String>,
    end_date: Option<String>,
}

/// An empty filter is no filter.
fn filter(value: Option<String>) -> Option<String> {
    value.filter(|v| !v.is_empty())
}

/// A date (`2026-12-05`) or an ISO 8601 time, checked here so PostgreSQL only sees valid ones.
fn date(name: &str, value: Option<String>) -> Result<Option<String>, ApiError> {
    let Some(raw) = filter(value) else { return Ok(None) };
    if DateTime::parse_from_rfc3339(&raw).is_ok() || NaiveDate::parse_from_str(&raw, "%Y-%m-%d").is_ok() {
        Ok(Some(raw))
    } else {
        Err(ApiError::invalid_input(format!(
            "{name}: {raw:?} is not an ISO 8601 date"
        )))
    }
}

fn count(name: &str, raw: Option<&str>, default: i64, max: i64) -> Result<i64, ApiError> {
    match raw {
        None | Some("") => Ok(default),
        Some(raw) => raw
            .parse::<i64>()
            .ok()
            .filter(|n| *n >= 0)
            .map(|n| n.min(max))
            .ok_or_else(|| ApiError::invalid_input(format!("{name}: expected a non-negative integer"))),
    }
}

async fn one_text(
    state: &LogsState,
    sql: &str,
    params: &[&(dyn oxforge_db::tokio_postgres::types::ToSql + Sync)],
) -> Result<Value, ApiError> {
    let client = state.owner_pool.get().await.map_err(DbError::from)?;
    let row = client.query_one(sql, params).await.map_err(DbError::from)?;
    let text: String = row.try_get(0).map_err(DbError::from)?;
    serde_json::from_str(&text).map_err(|_| ApiError::internal())
}

/// `GET /api/logs/audits`: filtered by actor, action, module and time, newest first.
pub async fn list(
    _: Admin,
    State(state): State<LogsState>,
    Query(query): Query<AuditQuery>,
) -> Result<Response, ApiError> {
    let limit = limit(query.limit.as_deref()) as i64;
    let offset = count("offset", query.offset.as_deref(), 0, i64::from(i32::MAX))?;
    let start = date("start_date", query.start_date)?;
    let end = date("end_date", query.end_date)?;
    let (actor, action, module) = (filter(query.actor), filter(query.action), filter(query.module));
    let sql = format!(
        "WITH f AS (SELECT * FROM system.audit_logs WHERE ($1::text IS NULL OR actor = $1) \
           AND ($2::text IS NULL OR action = $2) AND ($3::text IS NULL OR module = $3) \
           AND ($4::text IS NULL OR created_at >= $4::timestamptz) \
           AND ($5::text IS NULL OR created_at <= $5::timestamptz)) \
         SELECT json_build_object('total', (SELECT count(*) FROM f), 'rows', coalesce((SELECT \
           json_agg({ROW} ORDER BY created_at DESC, id) FROM (SELECT * FROM f ORDER BY created_at DESC, id \
           LIMIT $6 OFFSET $7) p), '[]'::json))::text"
    );
    let found = one_text(&state, &sql, &[&actor, &action, &module, &start, &end, &limit, &offset]).await?;
    let total = found["total"].as_i64().unwrap_or(0);
    let rows = found.get("rows").cloned().unwrap_or_else(|| json!([]));
    let shown = rows.as_array().map_or(0, Vec::len) as i64;
    let status = if offset + shown < total {
        StatusCode::PARTIAL_CONTENT
    } else {
        StatusCode::OK
    };
    let range = format!("{offset}-{}/{total}", offset + shown - 1);
    let mut response = (status, Json(rows)).into_response();
    if let Ok(range) = HeaderValue::from_str(&range) {
        response.headers_mut().insert(header::CONTENT_RANGE, range);
    }
    Ok(response)
}

/// `GET /api/logs/audits/stats?days=7`: counts over the last `days` (at most ten years), and the
/// ten newest rows.
pub async fn stats(
    _: Admin,
    State(state): State<LogsState>,
    Query(query): Query<AuditQuery>,
) -> Result<Json<Value>, ApiError> {
    let days = count("days", query.days.as_deref(), 7, 3_650)? as i32;
    let sql = format!(
        "WITH f AS (SELECT * FROM system.audit_logs WHERE created_at >= now() - make_interval(days => $1)) \
         SELECT json_build_object('totalLogs', (SELECT count(*) FROM f), \
           'uniqueActors', (SELECT count(DISTINCT actor) FROM f), \
           'uniqueModules', (SELECT count(DISTINCT module) FROM f), \
           'actionsByModule', coalesce((SELECT json_object_agg(module, n) FROM \
             (SELECT module, count(*) AS n FROM f GROUP BY module) m), '{{}}'::json), \
           'recentActivity', coalesce((SELECT json_agg({ROW} ORDER BY created_at DESC, id) FROM \
             (SELECT * FROM f ORDER BY created_at DESC, id LIMIT 10) r), '[]'::json))::text"
    );
    Ok(Json(one_text(&state, &sql, &[&days]).await?))
}

/// `DELETE /api/logs/audits?days_to_keep=90`: removes rows older than `days_to_keep` days (0:
/// all).
pub async fn clear(
    _: Admin,
    State(state): State<LogsState>,
    Query(query): Query<AuditQuery>,
) -> Result<Json<Value>, ApiError> {
    let days = match query.days_to_keep.as_deref() {
        None | Some("") => 90,
        Some(raw) => raw
            .parse::<i32>()
            .ok()
            .filter(|n| (0..=36_500).contains(n))
            .ok_or_else(|| ApiError::invalid_input("days_to_keep: expected an integer from 0 to 36500"))?,
    };
    let client = state.owner_pool.get().await.map_err(DbError::from)?;
    let deleted = client
        .execute(
            "DELETE FROM system.audit_logs WHERE created_at <= now() - make_interval(days => $1)",
            &[&days],
        )
        .await
        .map_err(DbError::from)?;
    Ok(Json(
        json!({ "message": "Audit logs cleared successfully", "deleted": deleted }),
    ))
}
