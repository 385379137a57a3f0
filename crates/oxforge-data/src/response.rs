//! The answer, for records and RPC alike: the body shaped for the media type (`.single()`
//! included), the status, `Content-Range` and `Preference-Applied` (spelled by
//! `Preferences::applied`).

use axum::body::Body;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::Response;
use oxforge_api_request::MediaType;
use oxforge_db::exec::Outcome;
use oxforge_edge::{PgrstError, Reject};

/// How PostgreSQL should aggregate the body for this media type.
pub fn body_shape(media: MediaType) -> oxforge_sql::Shape {
    match media {
        MediaType::Csv => oxforge_sql::Shape::Csv,
        MediaType::Json | MediaType::SingleObject => oxforge_sql::Shape::Array,
    }
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
        return Err(PgrstError::not_single(outcome.page_count).into());
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
