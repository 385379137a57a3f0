//! `/api/database/records/{table}`: PostgREST's table endpoints, answered in-process.

use axum::extract::State;
use axum::http::{HeaderMap, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use oxforge_api_request::query::Page;
use oxforge_api_request::{
    CountPreference, MediaType, Missing, Preferences, QueryParams, Resolution, ReturnPreference, headers::parse_range,
};
use oxforge_auth::Principal;
use oxforge_plan::{
    MutatePlan, Mutation, PlanError, ReadPlan, plan_delete, plan_insert, plan_put, plan_read, plan_update,
};
use oxforge_schema::SchemaCache;
use oxforge_sql::{Shape, Total, explain_count_statement, mutate_statement, read_statement};
use serde_json::Value;

use crate::DataState;
use crate::execute::execute;
use crate::request::DataCall;
use crate::response::{body_shape, reply, shaped_body};
use oxforge_edge::ApiError;
use oxforge_edge::body::{body_bytes, pgrst_json};
use oxforge_edge::headers::content_range;
use oxforge_edge::{PgrstError, Reject};

/// `Prefer: count=estimated` counts exactly up to this many rows.
const ESTIMATED_EXACT_UP_TO: i64 = 10_000;

pub async fn records(State(state): State<DataState>, request: DataCall) -> Response {
    handle(&state, request)
        .await
        .unwrap_or_else(IntoResponse::into_response)
}

/// What a request resolved to.
enum Planned {
    Read(ReadPlan),
    Mutate {
        plan: Box<MutatePlan>,
        success: StatusCode,
        /// The `resolution` and `missing` preferences the write honoured.
        honoured: (Option<Resolution>, Option<Missing>),
    },
}

/// Everything planning needs, parsed once.
struct Parsed<'a> {
    method: &'a Method,
    schema: String,
    table: &'a str,
    params: QueryParams,
    prefs: Preferences,
    body: Option<Value>,
}

impl Parsed<'_> {
    fn missing_default(&self) -> bool {
        self.prefs.missing == Some(Missing::Default)
    }

    fn plan(&self, cache: &SchemaCache) -> Result<Planned, PlanError> {
        let (schema, table, params) = (self.schema.as_str(), self.table, &self.params);
        let body = || self.body.as_ref().unwrap_or(&Value::Null);
        Ok(match *self.method {
            Method::GET | Method::HEAD => Planned::Read(plan_read(cache, schema, table, params)?),
            Method::POST | Method::PUT => {
                let put = *self.method == Method::PUT;
                let resolution = if put {
                    Some(Resolution::MergeDuplicates)
                } else {
                    self.prefs.resolution
                };
                let plan = if put {
                    plan_put(cache, schema, table, params, body(), self.missing_default())?
                } else {
                    plan_insert(cache, schema, table, params, body(), resolution, self.missing_default())?
                };
                Planned::Mutate {
                    plan: Box::new(plan),
                    success: if put { StatusCode::OK } else { StatusCode::CREATED },
                    // PUT always merges, without saying so.
                    honoured: (
                        resolution.filter(|_| !put),
                        self.missing_default().then_some(Missing::Default),
                    ),
                }
            }
            Method::PATCH => Planned::Mutate {
                plan: Box::new(plan_update(cache, schema, table, params, body())?),
                success: StatusCode::OK,
                honoured: (None, None),
            },
            _ => Planned::Mutate {
                plan: Box::new(plan_delete(cache, schema, table, params)?),
                success: StatusCode::OK,
                honoured: (None, None),
            },
        })
    }
}

async fn handle(state: &DataState, request: DataCall) -> Result<Response, Reject> {
    let method = &request.method;
    if !matches!(
        *method,
        Method::GET | Method::HEAD | Method::POST | Method::PUT | Method::PATCH | Method::DELETE
    ) {
        return Err(Reject::from(PgrstError::new(
            405,
            "PGRST117",
            format!("Unsupported HTTP method: {method}"),
        )));
    }
    let media = request.media;
    let parsed = Parsed {
        method,
        schema: request.schema.clone(),
        table: &request.name,
        params: QueryParams::parse(&request.raw_query, |_| false).map_err(Reject::from)?,
        prefs: request.prefs.clone(),
        body: match *method {
            Method::POST | Method::PUT | Method::PATCH => Some(pgrst_json(body_bytes(request.body)?).await?),
            _ => None,
        },
    };
    let max_rows = state.settings.max_batch_rows;
    if let Some(Value::Array(rows)) = &parsed.body
        && max_rows > 0
        && rows.len() > max_rows
    {
        return Err(Reject::from(ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "PAYLOAD_TOO_LARGE",
            format!(
                "One request may insert at most {max_rows} rows; this one has {}",
                rows.len()
            ),
        )));
    }
    // A name the cache does not know may come from DDL that just committed: reload once.
    let planned = match parsed.plan(&state.schema.snapshot()) {
        Err(e) if e.may_be_stale() => parsed.plan(&*state.schema.reload_after_miss().await),
        other => other,
    }
    .map_err(Reject::from)?;
    match planned {
        Planned::Read(mut plan) => {
            apply_range_header(&mut plan.page, &request.headers);
            read(
                state,
                &request.principal,
                plan,
                media,
                &parsed.prefs,
                *method == Method::HEAD,
            )
            .await
        }
        Planned::Mutate {
            plan,
            success,
            honoured,
        } => {
            mutate(
                state,
                &request.principal,
                *plan,
                media,
                &parsed.prefs,
                success,
                honoured,
            )
            .await
        }
    }
}

async fn read(
    state: &DataState,
    principal: &Principal,
    plan: ReadPlan,
    media: MediaType,
    prefs: &Preferences,
    head: bool,
) -> Result<Response, Reject> {
    let (total, explain) = match prefs.count {
        None => (Total::None, None),
        Some(CountPreference::Exact) => (Total::Exact, None),
        Some(CountPreference::Planned) => (Total::None, Some(explain_count_statement(&plan))),
        Some(CountPreference::Estimated) => (
            Total::UpTo(ESTIMATED_EXACT_UP_TO + 1),
            Some(explain_count_statement(&plan)),
        ),
    };
    let statement = read_statement(&plan, total, body_shape(media));
    let mut outcome = execute(state, principal, &statement, explain.as_ref(), true, prefs).await?;
    outcome.total = match prefs.count {
        Some(CountPreference::Planned) => outcome.planned_total,
        // Exact while small; beyond the threshold the planner's estimate, as PostgREST does.
        Some(CountPreference::Estimated) => match (outcome.total, outcome.planned_total) {
            (Some(counted), Some(planned)) if counted > ESTIMATED_EXACT_UP_TO => Some(planned.max(counted)),
            (counted, _) => counted,
        },
        _ => outcome.total,
    };
    let offset = plan.page.offset.unwrap_or(0);
    let status = match outcome.total {
        Some(total) if offset > 0 && offset >= total => {
            return Err(Reject::from(
                PgrstError::new(416, "PGRST103", "Requested range not satisfiable").with_details(format!(
                    "An offset of {offset} was requested, but there are only {total} rows."
                )),
            ));
        }
        Some(total) if outcome.page_count < total => StatusCode::PARTIAL_CONTENT,
        _ => StatusCode::OK,
    };
    let body = shaped_body(media, &mut outcome)?;
    Ok(reply(
        status,
        media,
        (!head).then_some(body),
        Some(content_range(offset, outcome.page_count, outcome.total)),
        prefs.applied(None, None),
    ))
}

async fn mutate(
    state: &DataState,
    principal: &Principal,
    plan: MutatePlan,
    media: MediaType,
    prefs: &Preferences,
    success: StatusCode,
    (resolution, missing): (Option<Resolution>, Option<Missing>),
) -> Result<Response, Reject> {
    let want_body = prefs.return_ == Some(ReturnPreference::Representation);
    let is_insert = matches!(plan.mutation, Mutation::Insert { .. });
    let applied = prefs.applied(resolution, missing);
    if is_insert && plan.row_count == 0 {
        // An empty array inserts nothing; no need to ask the database.
        return Ok(reply(success, media, Some("[]".into()), Some("*/0".into()), applied));
    }
    let statement = mutate_statement(&plan, if want_body { body_shape(media) } else { Shape::None });
    let mut outcome = execute(state, principal, &statement, None, false, prefs).await?;
    let range = Some(content_range(
        0,
        outcome.page_count,
        prefs.count.map(|_| outcome.page_count),
    ));
    if want_body {
        let body = shaped_body(media, &mut outcome)?;
        Ok(reply(success, media, Some(body), range, applied))
    } else if is_insert {
        // PostgREST sends an empty body; InsForge turns it into `[]`.
        Ok(reply(success, MediaType::Json, Some("[]".into()), range, applied))
    } else {
        Ok(reply(StatusCode::NO_CONTENT, media, None, range, applied))
    }
}

/// `Range: 0-9` limits the root when the query string does not.
fn apply_range_header(page: &mut Page, headers: &HeaderMap) {
    let Some((offset, limit)) = headers.get("range").and_then(|v| v.to_str().ok()).and_then(parse_range) else {
        return;
    };
    if page.offset.is_none() {
        page.offset = Some(offset);
    }
    if let Some(limit) = limit {
        page.limit = Some(page.limit.map_or(limit, |l| l.min(limit)));
    }
}
