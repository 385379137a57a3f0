//! `/api/logs/*` (admin only), in InsForge's shapes: `sources`, `stats`, `search` (a bare array
//! with `Content-Range`), `functions/build-logs` (none when self-hosted), `{source}` (`{logs,
//! total}`, ascending). Literal paths win over `{source}`.

use std::path::PathBuf;
use std::sync::Arc;

use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};
use oxforge_edge::headers::content_range;
use oxforge_edge::{Admin, ApiError};
use serde::Deserialize;
use serde_json::{Value, json};

use crate::store::{Entry, LogStore, Source};

/// Most entries one request returns.
pub const MAX_LIMIT: usize = 1_000;
const DEFAULT_LIMIT: usize = 100;

/// InsForge's sources: (id, name, file).
const SOURCES: [(&str, &str); 4] = [
    ("1", "insforge.logs"),
    ("2", "postgres.logs"),
    ("3", "postgREST.logs"),
    ("4", "function.logs"),
];

#[derive(Clone)]
pub struct LogsState {
    pub store: &'static LogStore,
    pub auth: Arc<oxforge_auth::Authenticator>,
    /// The embedded PostgreSQL's log file (none with an external database).
    pub postgres_log: Option<PathBuf>,
    /// The owner's connections: the audit trail.
    pub owner_pool: oxforge_db::Pool,
}

impl axum::extract::FromRef<LogsState> for Arc<oxforge_auth::Authenticator> {
    fn from_ref(state: &LogsState) -> Self {
        Arc::clone(&state.auth)
    }
}

impl LogsState {
    /// Every entry of a source by name, oldest first (unknown or empty sources: none).
    fn entries(&self, name: &str, keep: impl Fn(&Entry) -> bool) -> Vec<Entry> {
        match (Source::from_name(name), name) {
            (Some(source), _) => self.store.matching(source, keep),
            (None, "postgres.logs") => self
                .postgres_log
                .as_deref()
                .map(crate::postgres::read)
                .unwrap_or_default()
                .into_iter()
                .filter(|e| keep(e))
                .collect(),
            _ => Vec::new(),
        }
    }
}

pub async fn sources(_: Admin) -> Json<Value> {
    Json(Value::Array(
        SOURCES
            .iter()
            .map(|(id, name)| json!({ "id": id, "name": name, "token": format!("{name}.jsonl") }))
            .collect(),
    ))
}

pub async fn stats(_: Admin, State(state): State<LogsState>) -> Json<Value> {
    let mut out = Vec::new();
    for (_, name) in SOURCES {
        let entries = state.entries(name, |_| true);
        if let Some(last) = entries.last() {
            out.push(json!({ "source": name, "count": entries.len().min(MAX_LIMIT), "lastActivity": last.timestamp }));
        }
    }
    Json(Value::Array(out))
}

#[derive(Deserialize)]
pub struct SourceQuery {
    limit: Option<String>,
    before_timestamp: Option<String>,
}

pub(crate) fn limit(raw: Option<&str>) -> usize {
    raw.and_then(|l| l.parse::<usize>().ok())
        .unwrap_or(DEFAULT_LIMIT)
        .clamp(1, MAX_LIMIT)
}

/// `GET /api/logs/{source}`: the newest `limit` entries strictly before `before_timestamp`
/// (default: now), oldest first.
pub async fn source(
    _: Admin,
    State(state): State<LogsState>,
    Path(name): Path<String>,
    Query(query): Query<SourceQuery>,
) -> Result<Json<Value>, ApiError> {
    let before = match query.before_timestamp.as_deref() {
        None | Some("") => Utc::now() + chrono::Duration::milliseconds(1),
        Some(raw) => DateTime::parse_from_rfc3339(raw)
            .map(|t| t.with_timezone(&Utc))
            .map_err(|_| ApiError::invalid_input(format!("before_timestamp: {raw:?} is not an ISO 8601 time")))?,
    };
    let limit = limit(query.limit.as_deref());
    let logs = match Source::from_name(&name) {
        Some(source) => state.store.before(source, before, limit),
        None => {
            let all = state.entries(&name, |e| e.at() < before);
            let skip = all.len().saturating_sub(limit);
            all.into_iter().skip(skip).collect()
        }
    };
    let total = logs.len();
    Ok(Json(json!({ "logs": logs, "total": total })))
}

#[derive(Deserialize)]
pub struct SearchQuery {
    q: Option<String>,
    source: Option<String>,
    limit: Option<String>,
    offset: Option<String>,
}

/// `GET /api/logs/search?q=`: entries whose message or body contains `q` (any case), newest
/// first, as a bare array with `Content-Range` (206 when there are more).
pub async fn search(
    _: Admin,
    State(state): State<LogsState>,
    Query(query): Query<SearchQuery>,
) -> Result<Response, ApiError> {
    let q = query
        .q
        .as_deref()
        .map(str::trim)
        .filter(|q| !q.is_empty())
        .ok_or_else(|| ApiError::invalid_input("q: Required"))?
        .to_lowercase();
    let limit = limit(query.limit.as_deref());
    let offset = query
        .offset
        .as_deref()
        .and_then(|o| o.parse::<usize>().ok())
        .unwrap_or(0);
    let names: Vec<&str> = match query.source.as_deref() {
        Some(source) => SOURCES.iter().map(|(_, n)| *n).filter(|n| *n == source).collect(),
        None => SOURCES.iter().map(|(_, n)| *n).collect(),
    };
    let mut found: Vec<(String, Entry)> = Vec::new();
    for name in names {
        let hits = state.entries(name, |e| {
            e.event_message.to_lowercase().contains(&q) || e.body.to_string().to_lowercase().contains(&q)
        });
        found.extend(hits.into_iter().map(|e| (name.to_owned(), e)));
    }
    found.sort_by(|a, b| b.1.timestamp.cmp(&a.1.timestamp));
    let total = found.len();
    let page: Vec<Value> = found
        .into_iter()
        .skip(offset)
        .take(limit)
        .map(|(source, entry)| {
            let mut value = json!(entry);
            value["source"] = json!(source);
            value
        })
        .collect();
    let status = if offset + page.len() < total {
        StatusCode::PARTIAL_CONTENT
    } else {
        StatusCode::OK
    };
    let range = content_range(offset as i64, page.len() as i64, Some(total as i64));
    let mut response = (status, Json(Value::Array(page))).into_response();
    if let Ok(range) = HeaderValue::from_str(&range) {
        response.headers_mut().insert(header::CONTENT_RANGE, range);
    }
    response
        .headers_mut()
        .insert("preference-applied", HeaderValue::from_static("count=exact"));
    Ok(response)
}

/// Self-hosted InsForge has no function build logs; the dashboard reads this 404 as "none".
pub async fn build_logs(_: Admin) -> ApiError {
    ApiError::not_found("LOG_NOT_FOUND", "No build logs: functions are not built here")
}
