//! What the records and RPC endpoints share: name and schema checks, running a statement as
//! the caller, and PostgREST's response headers.

use axum::body::{Body, Bytes};
use axum::extract::rejection::BytesRejection;
use axum::extract::{FromRequest, FromRequestParts, Path, Request};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use oxforge_api_request::{MediaType, Preferences, ReturnPreference};
use oxforge_auth::{Principal, Role, now_seconds};
use oxforge_db::exec::{Outcome, RequestContext, run_as};
use oxforge_sql::Statement;

use crate::{DataState, TxRollback};
use oxforge_edge::pgrst::{PgrstError, database_error};
use oxforge_edge::{ApiError, Caller, Reject};

pub fn reject(e: impl Into<Reject>) -> Reject {
    e.into()
}

/// Longest query string the data API accepts (postgrest-js queries are far shorter).
pub const MAX_QUERY_LENGTH: usize = 32 * 1024;

/// Everything a records or RPC handler takes from the request, with the steps they share done:
/// the verified caller (InsForge envelope on failure), the checked table or function name, the
/// schema, the media type and the preferences; the raw query and body are left for the parser.
pub struct DataCall {
    pub principal: Principal,
    pub method: Method,
    pub name: String,
    pub schema: String,
    pub media: MediaType,
    pub prefs: Preferences,
    pub raw_query: String,
    pub headers: HeaderMap,
    pub body: Result<Bytes, BytesRejection>,
}

impl FromRequest<DataState> for DataCall {
    type Rejection = Response;

    async fn from_request(request: Request, state: &DataState) -> Result<Self, Response> {
        let (mut parts, body) = request.into_parts();
        let Caller(principal) = Caller::from_request_parts(&mut parts, state)
            .await
            .map_err(IntoResponse::into_response)?;
        let Path(name) = Path::<String>::from_request_parts(&mut parts, state)
            .await
            .map_err(IntoResponse::into_response)?;
        let method = parts.method.clone();
        let raw_query = parts.uri.query().unwrap_or("").to_owned();
        if raw_query.len() > MAX_QUERY_LENGTH {
            return Err(ApiError::new(
                StatusCode::URI_TOO_LONG,
                "URI_TOO_LONG",
                format!(
                    "The query string is {} bytes; at most {MAX_QUERY_LENGTH} are accepted",
                    raw_query.len()
                ),
            )
            .into_response());
        }
        // The body extractor needs only the extensions (its size limit); the headers move out.
        let headers = std::mem::take(&mut parts.headers);
        let shared = validate_name(&name)
            .and_then(|()| Ok((schema(&method, &headers, &raw_query)?, media_type(&headers)?)))
            .map_err(IntoResponse::into_response);
        let (schema, media) = shared?;
        let body = Bytes::from_request(Request::from_parts(parts, body), state).await;
        let mut prefs = preferences(&headers);
        // `tx=rollback` lets a caller test writes without keeping them, which also probes
        // unique keys for free: admins only unless configured otherwise (PostgREST's default).
        prefs.tx_rollback &= state.settings.tx_rollback == TxRollback::All || principal.role() == Role::ProjectAdmin;
        Ok(DataCall {
            principal,
            prefs,
            method,
            name,
            schema,
            media,
            raw_query,
            headers,
            body,
        })
    }
}

/// InsForge's check of the table or function name in the path.
pub fn validate_name(name: &str) -> Result<(), Reject> {
    if name.is_empty() || name.contains('"') || name.chars().any(char::is_control) {
        return Err(reject(ApiError::new(
            StatusCode::BAD_REQUEST,
            "DATABASE_VALIDATION_ERROR",
            format!("Invalid name: {name:?}"),
        )));
    }
    Ok(())
}

fn header_values<'a>(headers: &'a HeaderMap, name: &str) -> Vec<&'a str> {
    headers.get_all(name).iter().filter_map(|v| v.to_str().ok()).collect()
}

/// The schema: `?schema=`, else `Accept-Profile` (GET/HEAD) / `Content-Profile` (others), else `public`.
pub fn schema(method: &Method, headers: &HeaderMap, raw_query: &str) -> Result<String, Reject> {
    let invalid = |m: String| reject(ApiError::invalid_input(m));
    let from_query: Vec<String> = form_urlencoded_schema(raw_query);
    let profile_header = if matches!(*method, Method::GET | Method::HEAD) {
        "accept-profile"
    } else {
        "content-profile"
    };
    let from_header = header_values(headers, profile_header);
    let chosen = match (from_query.as_slice(), from_header.as_slice()) {
        ([], []) => return Ok("public".into()),
        ([one], _) => one.clone(),
        ([], [one]) => (*one).to_owned(),
        ([_, _, ..], _) => return Err(invalid("The schema parameter may be given only once".into())),
        ([], _) => return Err(invalid(format!("The {profile_header} header may be given only once"))),
    };
    let chosen = chosen.trim().to_owned();
    if chosen.is_empty() {
        return Err(invalid("The schema must not be blank".into()));
    }
    if chosen == "information_schema" || chosen.starts_with("pg_") {
        return Err(invalid(format!("The schema '{chosen}' is not accessible")));
    }
    Ok(chosen)
}

fn form_urlencoded_schema(raw_query: &str) -> Vec<String> {
    form_urlencoded::parse(raw_query.as_bytes())
        .filter(|(k, _)| k == "schema")
        .map(|(_, v)| v.into_owned())
        .collect()
}

pub fn preferences(headers: &HeaderMap) -> Preferences {
    Preferences::parse(header_values(headers, "prefer"))
}

pub fn media_type(headers: &HeaderMap) -> Result<MediaType, Reject> {
    let accept = headers.get(header::ACCEPT).and_then(|v| v.to_str().ok());
    MediaType::from_accept(accept).map_err(reject)
}

/// How PostgreSQL should aggregate the body for this media type.
pub fn body_shape(media: MediaType) -> oxforge_sql::Shape {
    match media {
        MediaType::Csv => oxforge_sql::Shape::Csv,
        MediaType::Json | MediaType::SingleObject => oxforge_sql::Shape::Array,
    }
}

/// Runs a statement as the caller.
pub async fn execute(
    state: &DataState,
    principal: &Principal,
    statement: &Statement,
    read_only: bool,
    prefs: &Preferences,
) -> Result<Outcome, Reject> {
    execute_with_explain(state, principal, statement, None, read_only, prefs).await
}

/// Runs a statement as the caller, with an `EXPLAIN` for a planned count in the same transaction.
pub async fn execute_with_explain(
    state: &DataState,
    principal: &Principal,
    statement: &Statement,
    explain: Option<&Statement>,
    read_only: bool,
    prefs: &Preferences,
) -> Result<Outcome, Reject> {
    let claims = principal.database_claims(now_seconds()).to_string();
    let ctx = RequestContext {
        role: principal.role().as_str(),
        claims: &claims,
        read_only,
        rollback: prefs.tx_rollback,
        statement_timeout_ms: match principal.role() {
            Role::ProjectAdmin => state.settings.admin_statement_timeout_ms,
            Role::Anon | Role::Authenticated => state.settings.statement_timeout_ms,
        },
    };
    let explain = explain.map(|e| (e.sql.as_str(), e.params.as_slice()));
    run_as(&state.pool, ctx, (&statement.sql, &statement.params), explain)
        .await
        .map_err(|e| {
            let representation = prefs.return_ == Some(ReturnPreference::Representation);
            database_error(e, principal.role(), representation)
        })
}

/// The body for the chosen media type; `.single()` needs exactly one row.
/// Takes the body out of `outcome` (no copy of the JSON text).
pub fn shaped_body(media: MediaType, outcome: &mut Outcome) -> Result<String, Reject> {
    let empty = if media == MediaType::Csv { "" } else { "[]" };
    let mut body = outcome.body.take().unwrap_or_else(|| empty.into());
    if media != MediaType::SingleObject {
        return Ok(body);
    }
    if outcome.page_count != 1 {
        return Err(reject(PgrstError::not_single(outcome.page_count)));
    }
    // `[{...}]` → `{...}`, in place: the array PostgreSQL built holds exactly one element.
    let trimmed_end = body.trim_end().len();
    body.truncate(trimmed_end);
    if body.ends_with(']') {
        body.pop();
        let start = body.find('[').map_or(0, |i| i + 1);
        body.drain(..start);
    }
    Ok(body)
}

/// Builds the final response. `body: None` sends no body (204, HEAD).
pub fn reply(
    status: StatusCode,
    media: MediaType,
    body: Option<String>,
    content_range: Option<String>,
    preference_applied: Option<String>,
) -> Response {
    let mut response = match body {
        Some(b) => Response::new(Body::from(b)),
        None => Response::new(Body::empty()),
    };
    *response.status_mut() = status;
    let h = response.headers_mut();
    if status != StatusCode::NO_CONTENT {
        h.insert(header::CONTENT_TYPE, HeaderValue::from_static(media.content_type()));
    }
    if let Some(range) = content_range.and_then(|r| HeaderValue::from_str(&r).ok()) {
        h.insert(header::CONTENT_RANGE, range);
    }
    if let Some(applied) = preference_applied.and_then(|p| HeaderValue::from_str(&p).ok()) {
        h.insert("preference-applied", applied);
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn schema_choice() {
        let mut h = HeaderMap::new();
        assert_eq!(schema(&Method::GET, &h, "").unwrap(), "public");
        h.insert("accept-profile", HeaderValue::from_static("better_auth"));
        assert_eq!(schema(&Method::GET, &h, "").unwrap(), "better_auth");
        assert_eq!(
            schema(&Method::POST, &h, "").unwrap(),
            "public",
            "POST reads Content-Profile"
        );
        assert_eq!(
            schema(&Method::GET, &HeaderMap::new(), "a=eq.1&schema=s%31").unwrap(),
            "s1"
        );
        assert!(schema(&Method::GET, &HeaderMap::new(), "schema=pg_catalog").is_err());
        assert!(schema(&Method::GET, &HeaderMap::new(), "schema=a&schema=b").is_err());
        assert!(schema(&Method::GET, &HeaderMap::new(), "schema=").is_err());
    }
}
