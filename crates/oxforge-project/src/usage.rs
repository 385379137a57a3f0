//! `/api/usage/mcp`: InsForge's MCP server and CLI report tool calls with `POST`; the dashboard
//! reads them back with `GET` (its home page shows the project cards once an MCP client has
//! connected). oxforge keeps the latest reports in memory, per process: they are a hint for the
//! dashboard, not an audit log, and a restart forgets them.

use std::collections::VecDeque;
use std::sync::Mutex;

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Query, State};
use chrono::{SecondsFormat, Utc};
use oxforge_edge::{Admin, ApiError};
use serde::Deserialize;
use serde_json::{Value, json};

use crate::ProjectState;

/// How many reports are kept; older ones are forgotten.
const KEPT: usize = 500;

/// The latest MCP tool reports, newest first.
#[derive(Default)]
pub struct McpUsage {
    records: Mutex<VecDeque<Record>>,
}

#[derive(Clone)]
struct Record {
    tool_name: String,
    success: bool,
    created_at: String,
}

impl McpUsage {
    fn push(&self, record: Record) {
        // A poisoned lock only means a panic elsewhere mid-push: the list is still usable.
        let mut records = self.records.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        records.push_front(record);
        records.truncate(KEPT);
    }

    /// `(the first `limit` records with this outcome, how many have it)`.
    fn page(&self, success: bool, limit: usize) -> (Vec<Record>, usize) {
        let records = self.records.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        let matching = records.iter().filter(|r| r.success == success);
        (matching.clone().take(limit).cloned().collect(), matching.count())
    }
}

/// `POST /api/usage/mcp {tool_name, success?}` → `{success: true}`, at once: the CLI stalls on a
/// slow or failing answer. A report without `tool_name` is answered the same and not kept.
pub async fn report(_: Admin, State(state): State<ProjectState>, body: Bytes) -> Json<Value> {
    let body: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
    if let Some(tool_name) = body["tool_name"].as_str().filter(|t| !t.is_empty()) {
        state.mcp_usage.push(Record {
            tool_name: tool_name.chars().take(200).collect(),
            success: body["success"].as_bool().unwrap_or(true),
            created_at: Utc::now().to_rfc3339_opts(SecondsFormat::Millis, true),
        });
    }
    Json(json!({ "success": true }))
}

#[derive(Deserialize)]
pub struct UsageQuery {
    limit: Option<String>,
    success: Option<String>,
}

/// `GET /api/usage/mcp?limit=5&success=true` → `{records:[{tool_name, success, created_at}], total}`,
/// newest first; as InsForge, only successful calls unless `success` is not `true`.
pub async fn list(
    _: Admin,
    State(state): State<ProjectState>,
    Query(q): Query<UsageQuery>,
) -> Result<Json<Value>, ApiError> {
    let limit = match q.limit.as_deref() {
        None => 5,
        Some(text) => text
            .parse::<usize>()
            .ok()
            .filter(|n| *n > 0)
            .ok_or_else(|| ApiError::invalid_input(format!("limit: Expected a positive integer, got {text}")))?,
    };
    let success = q.success.as_deref().is_none_or(|s| s == "true");
    let (records, total) = state.mcp_usage.page(success, limit.min(KEPT));
    let records: Vec<Value> = records
        .into_iter()
        .map(|r| json!({ "tool_name": r.tool_name, "success": r.success, "created_at": r.created_at }))
        .collect();
    Ok(Json(json!({ "records": records, "total": total })))
}
