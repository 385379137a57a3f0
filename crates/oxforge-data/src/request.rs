//! The request, read once for records and RPC alike (PostgREST's `userApiRequest` up to the
//! parsers): the verified caller, the table or function name, the schema, the media type, the
//! preferences, a bound on the query string, the body.

use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{FromRequest, FromRequestParts, Path, Request};
use axum::http::{HeaderMap, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use oxforge_api_request::{MediaType, Preferences};
use oxforge_auth::{Principal, Role};
use oxforge_edge::{ApiError, Caller, Reject};

use crate::{DataState, TxRollback};

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
fn validate_name(name: &str) -> Result<(), Reject> {
    if name.is_empty() || name.contains('"') || name.chars().any(char::is_control) {
        return Err(Reject::from(ApiError::new(
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
fn schema(method: &Method, headers: &HeaderMap, raw_query: &str) -> Result<String, Reject> {
    let invalid = |m: String| Reject::from(ApiError::invalid_input(m));
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

fn preferences(headers: &HeaderMap) -> Preferences {
    Preferences::parse(header_values(headers, "prefer"))
}

fn media_type(headers: &HeaderMap) -> Result<MediaType, Reject> {
    let accept = headers.get(header::ACCEPT).and_then(|v| v.to_str().ok());
    MediaType::from_accept(accept).map_err(Reject::from)
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

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
