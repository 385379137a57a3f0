//! The client: base URL, credentials, the HTTP connection pool.

use std::sync::{Arc, RwLock};

use reqwest::{Method, RequestBuilder};

use crate::query::QueryBuilder;
use crate::{Auth, Error, Storage};

/// A connection to one server. Cheap to clone; clones share the connection pool and the session.
#[derive(Clone)]
pub struct Client {
    pub(crate) base: String,
    anon_key: Option<String>,
    access_token: Arc<RwLock<Option<String>>>,
    pub(crate) http: reqwest::Client,
}

impl Client {
    /// A client that sends `key` (the anon key, or an API key) until a user signs in.
    pub fn new(base_url: &str, key: &str) -> Result<Client, Error> {
        let base = base_url.trim_end_matches('/').to_owned();
        reqwest::Url::parse(&base).map_err(|e| Error::Url(e.to_string()))?;
        Ok(Client {
            base,
            anon_key: Some(key.to_owned()).filter(|k| !k.is_empty()),
            access_token: Arc::new(RwLock::new(None)),
            http: reqwest::Client::builder().build()?,
        })
    }

    /// Uses a user's access token for every request (like the JS SDK's `accessToken`).
    pub fn with_access_token(self, token: impl Into<String>) -> Client {
        self.set_access_token(Some(token.into()));
        self
    }

    /// A client for one user that shares this client's connection pool but has its own token:
    /// what a server handling many users' requests wants (clones would share one session).
    pub fn as_user(&self, token: impl Into<String>) -> Client {
        Client {
            base: self.base.clone(),
            anon_key: self.anon_key.clone(),
            access_token: Arc::new(RwLock::new(Some(token.into()))),
            http: self.http.clone(),
        }
    }

    /// Replaces (or, with `None`, forgets) the user's access token.
    pub fn set_access_token(&self, token: Option<String>) {
        if let Ok(mut slot) = self.access_token.write() {
            *slot = token;
        }
    }

    pub fn access_token(&self) -> Option<String> {
        self.access_token.read().ok().and_then(|t| t.clone())
    }

    /// Email/password accounts.
    pub fn auth(&self) -> Auth<'_> {
        Auth { client: self }
    }

    /// Rows of `table` (`/api/database/records/{table}`).
    pub fn from(&self, table: &str) -> QueryBuilder {
        QueryBuilder::table(self.clone(), table)
    }

    /// Storage: buckets and objects (`/api/storage`).
    pub fn storage(&self) -> Storage {
        Storage { client: self.clone() }
    }

    /// Calls `function` with named arguments (`/api/database/rpc/{function}`).
    pub fn rpc(&self, function: &str, args: &impl serde::Serialize) -> QueryBuilder {
        QueryBuilder::rpc(
            self.clone(),
            function,
            serde_json::to_value(args).unwrap_or(serde_json::Value::Null),
        )
    }

    pub(crate) fn request(&self, method: Method, path: &str) -> RequestBuilder {
        let mut request = self.http.request(method, format!("{}{path}", self.base));
        if let Some(token) = self.access_token().or_else(|| self.anon_key.clone()) {
            request = request.bearer_auth(token);
        }
        request
    }

    /// Sends and returns the status, headers and body, or the server's error.
    pub(crate) async fn send(request: RequestBuilder) -> Result<(u16, reqwest::header::HeaderMap, String), Error> {
        let response = request.send().await?;
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        let body = response.text().await?;
        if status >= 400 {
            return Err(Error::from_body(status, &body));
        }
        Ok((status, headers, body))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn as_user_has_its_own_token_and_clones_share_theirs() {
        let server = Client::new("http://127.0.0.1:1", "anon_x").unwrap();
        let alice = server.as_user("token-a");
        let bob = server.as_user("token-b");
        assert_eq!(alice.access_token().as_deref(), Some("token-a"));
        assert_eq!(bob.access_token().as_deref(), Some("token-b"));
        assert_eq!(
            server.access_token(),
            None,
            "the shared client keeps sending the anon key"
        );
        let clone = alice.clone();
        clone.set_access_token(Some("token-c".into()));
        assert_eq!(
            alice.access_token().as_deref(),
            Some("token-c"),
            "clones share one session"
        );
        assert_eq!(bob.access_token().as_deref(), Some("token-b"));
        let sent = bob.request(Method::GET, "/x").build().unwrap();
        assert_eq!(sent.headers()["authorization"], "Bearer token-b");
    }
}
