//! `/api/database/rpc/{function}`: function calls, by POST (JSON arguments) or GET (query string).

use axum::extract::State;
use axum::http::{Method, StatusCode};
use axum::response::{IntoResponse, Response};
use oxforge_api_request::{MediaType, QueryParams};
use oxforge_plan::plan_call;
use oxforge_sql::{CallShape, call_statement};
use serde_json::{Map, Value};

use crate::DataState;
use crate::execute::execute;
use crate::request::DataCall;
use crate::response::{reply, shaped_body};
use oxforge_edge::body::{body_bytes, parse_json};
use oxforge_edge::headers::content_range;
use oxforge_edge::pgrst::invalid_json;
use oxforge_edge::{PgrstError, Reject};

pub async fn rpc(State(state): State<DataState>, request: DataCall) -> Response {
    call(&state, request).await.unwrap_or_else(IntoResponse::into_response)
}

async fn call(state: &DataState, request: DataCall) -> Result<Response, Reject> {
    let (method, function, schema, media, prefs) = (
        &request.method,
        request.name.as_str(),
        request.schema.as_str(),
        request.media,
        &request.prefs,
    );
    if media == MediaType::Csv {
        return Err(Reject::from(PgrstError::new(
            406,
            "PGRST107",
            "None of these media types are available: text/csv",
        )));
    }
    let mut cache = state.schema.snapshot();
    if cache.routines(schema, function).is_empty() {
        // Perhaps created a moment ago: reload once.
        cache = state.schema.reload_after_miss().await;
    }
    let arg_names: Vec<String> = cache
        .routines(schema, function)
        .iter()
        .flat_map(|r| r.params.iter().map(|p| p.name.clone()))
        .collect();
    let read_only = matches!(*method, Method::GET | Method::HEAD);
    let is_arg = |k: &str| read_only && arg_names.iter().any(|a| a == k);
    let params = QueryParams::parse(&request.raw_query, is_arg).map_err(Reject::from)?;
    let args: Map<String, Value> = if read_only {
        params
            .args
            .iter()
            .map(|(k, v)| (k.clone(), Value::String(v.clone())))
            .collect()
    } else {
        let bytes = body_bytes(request.body)?;
        if bytes.iter().all(u8::is_ascii_whitespace) {
            Map::new()
        } else {
            match parse_json(bytes).await? {
                Ok(Value::Object(map)) => map,
                Ok(_) | Err(_) => return Err(Reject::from(invalid_json())),
            }
        }
    };
    let plan = plan_call(&cache, schema, function, args, &params).map_err(Reject::from)?;
    let (statement, shape) = call_statement(&plan, prefs.count.is_some());
    let mut outcome = execute(state, &request.principal, &statement, None, read_only, prefs).await?;
    let head = *method == Method::HEAD;
    let applied = prefs.applied(None, None);
    match shape {
        CallShape::Void => Ok(reply(StatusCode::NO_CONTENT, media, None, None, applied)),
        CallShape::Scalar | CallShape::Object => {
            let body = outcome.body.unwrap_or_else(|| "null".into());
            Ok(reply(
                StatusCode::OK,
                media_for_scalar(media),
                (!head).then_some(body),
                None,
                applied,
            ))
        }
        CallShape::Set => {
            let body = shaped_body(media, &mut outcome)?;
            let offset = plan.read.page.offset.unwrap_or(0);
            let range = Some(content_range(offset, outcome.page_count, outcome.total));
            let status = match outcome.total {
                Some(total) if outcome.page_count < total => StatusCode::PARTIAL_CONTENT,
                _ => StatusCode::OK,
            };
            Ok(reply(status, media, (!head).then_some(body), range, applied))
        }
    }
}

fn media_for_scalar(media: MediaType) -> MediaType {
    match media {
        MediaType::SingleObject => MediaType::SingleObject,
        _ => MediaType::Json,
    }
}
