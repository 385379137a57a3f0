//! Small helpers shared by the integration tests.

use reqwest::{RequestBuilder, Response, StatusCode};
use serde_json::Value;

/// Sends a request and returns its status and JSON body (panics if the body is not JSON).
pub async fn send(request: RequestBuilder) -> (StatusCode, Value) {
    let response: Response = request.send().await.expect("request failed");
    let status = response.status();
    let text = response.text().await.expect("body");
    let body = serde_json::from_str(&text).unwrap_or_else(|e| panic!("non-JSON body ({e}): {text:?}"));
    (status, body)
}

/// Asserts InsForge's error envelope, exactly.
pub fn assert_envelope(status: StatusCode, body: &Value, want_status: u16, code: &str, message: &str) {
    assert_eq!(status.as_u16(), want_status, "status; body: {body}");
    assert_eq!(body["error"], code, "error code; body: {body}");
    assert_eq!(body["message"], message, "message; body: {body}");
    assert_eq!(body["statusCode"], want_status, "statusCode; body: {body}");
}

/// A raw response: status, headers and body text (for empty bodies and header checks).
pub struct Raw {
    pub status: StatusCode,
    pub headers: reqwest::header::HeaderMap,
    pub text: String,
}

impl Raw {
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.text).unwrap_or_else(|e| panic!("non-JSON body ({e}): {:?}", self.text))
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }
}

pub async fn send_raw(request: RequestBuilder) -> Raw {
    let response = request.send().await.expect("request failed");
    Raw {
        status: response.status(),
        headers: response.headers().clone(),
        text: response.text().await.expect("body"),
    }
}

/// Requests to the data API with one credential.
pub struct Data {
    pub base: String,
    pub token: String,
}

impl Data {
    pub fn new(server: &oxforge_testkit::TestServer, token: &str) -> Data {
        Data {
            base: server.url.clone(),
            token: token.to_owned(),
        }
    }

    pub fn records(&self, method: reqwest::Method, path_and_query: &str) -> RequestBuilder {
        oxforge_testkit::http()
            .request(method, format!("{}/api/database/records/{path_and_query}", self.base))
            .bearer_auth(&self.token)
    }

    pub fn get(&self, path_and_query: &str) -> RequestBuilder {
        self.records(reqwest::Method::GET, path_and_query)
    }

    pub fn post(&self, path_and_query: &str, body: Value) -> RequestBuilder {
        self.records(reqwest::Method::POST, path_and_query).json(&body)
    }

    pub fn patch(&self, path_and_query: &str, body: Value) -> RequestBuilder {
        self.records(reqwest::Method::PATCH, path_and_query).json(&body)
    }

    pub fn delete(&self, path_and_query: &str) -> RequestBuilder {
        self.records(reqwest::Method::DELETE, path_and_query)
    }

    pub fn rpc(&self, method: reqwest::Method, function_and_query: &str) -> RequestBuilder {
        oxforge_testkit::http()
            .request(method, format!("{}/api/database/rpc/{function_and_query}", self.base))
            .bearer_auth(&self.token)
    }
}

/// Asserts a PostgREST error body.
pub fn assert_pgrst(raw: &Raw, status: u16, code: &str) -> Value {
    assert_eq!(raw.status.as_u16(), status, "status; body: {}", raw.text);
    let body = raw.json();
    assert_eq!(body["code"], code, "code; body: {body}");
    for key in ["details", "hint", "message"] {
        assert!(body.get(key).is_some(), "{key} missing: {body}");
    }
    body
}

/// The "Auth0 + InsForge" guide's SQL, verbatim.
pub const AUTH0_GUIDE_SQL: &str = r#"
create or replace function public.requesting_user_id()
returns text
language sql stable
as $$
  select nullif(
    current_setting('request.jwt.claims', true)::json->>'sub',
    ''
  )::text
$$;

create table public.todos (
  id uuid primary key default gen_random_uuid(),
  user_id text not null default requesting_user_id(),
  title text not null,
  is_complete boolean default false,
  created_at timestamptz default now()
);

alter table public.todos enable row level security;

create policy "Users can manage own todos"
  on public.todos for all to authenticated
  using (user_id = requesting_user_id())
  with check (user_id = requesting_user_id());
"#;

/// On the guide's `todos` table: the first user's insert lands under their `sub`, the second user
/// sees none of it, the first sees exactly one row.
pub async fn assert_todos_isolated(
    server: &oxforge_testkit::TestServer,
    (first, first_sub): (&str, &str),
    second: &str,
) {
    let todos = server.at("/api/database/records/todos");
    let http = oxforge_testkit::http;
    let (status, body) = send(
        http()
            .post(&todos)
            .bearer_auth(first)
            .header("Prefer", "return=representation")
            .json(&serde_json::json!({"title": "mine"})),
    )
    .await;
    assert_eq!(
        (status.as_u16(), body[0]["user_id"].as_str()),
        (201, Some(first_sub)),
        "{body}"
    );
    assert_eq!(
        send(http().get(&todos).bearer_auth(second)).await.1,
        serde_json::json!([])
    );
    assert_eq!(
        send(http().get(&todos).bearer_auth(first))
            .await
            .1
            .as_array()
            .map(Vec::len),
        Some(1)
    );
}
