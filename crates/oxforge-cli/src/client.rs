//! The HTTP client: the admin key as a bearer token, server error envelopes turned into
//! `CliError`s with the right exit code.

use reqwest::Method;
use serde_json::Value;

use crate::CliError;

pub struct Client {
    pub base: String,
    key: String,
    http: reqwest::Client,
}

impl Client {
    pub fn new(base: &str, key: &str) -> Result<Self, CliError> {
        let http = reqwest::Client::builder()
            .timeout(std::time::Duration::from_secs(60))
            .build()
            .map_err(|e| CliError::general(format!("cannot build an HTTP client: {e}")))?;
        Ok(Client {
            base: base.trim_end_matches('/').to_owned(),
            key: key.to_owned(),
            http,
        })
    }

    /// A request to `path` with the key, to be sent by [`Client::send`] or [`Client::open`].
    pub fn builder(&self, method: Method, path: &str) -> reqwest::RequestBuilder {
        let request = self.http.request(method, format!("{}{path}", self.base));
        if self.key.is_empty() {
            request
        } else {
            request.bearer_auth(&self.key)
        }
    }

    pub async fn request(&self, method: Method, path: &str, body: Option<&Value>) -> Result<Value, CliError> {
        let mut request = self.builder(method, path);
        if let Some(body) = body {
            request = request.json(body);
        }
        self.send(request).await
    }

    /// Sends and reads a JSON answer; an error envelope becomes a `CliError`.
    pub async fn send(&self, request: reqwest::RequestBuilder) -> Result<Value, CliError> {
        let response = self.reach(request).await?;
        let status = response.status().as_u16();
        let text = response.text().await.map_err(|e| CliError::general(e.to_string()))?;
        Self::answer(status, text)
    }

    /// Sends and returns the response to read as a stream when it succeeded.
    pub async fn open(&self, request: reqwest::RequestBuilder) -> Result<reqwest::Response, CliError> {
        let response = self.reach(request).await?;
        let status = response.status().as_u16();
        if status < 400 {
            return Ok(response);
        }
        let text = response.text().await.map_err(|e| CliError::general(e.to_string()))?;
        // An answer of 400 or more is always an error.
        Err(Self::answer(status, text)
            .err()
            .unwrap_or_else(|| CliError::general(format!("HTTP {status}"))))
    }

    async fn reach(&self, request: reqwest::RequestBuilder) -> Result<reqwest::Response, CliError> {
        request
            .send()
            .await
            .map_err(|e| CliError::general(format!("cannot reach {}: {e}", self.base)).with_code("UNREACHABLE", 1))
    }

    fn answer(status: u16, text: String) -> Result<Value, CliError> {
        let value: Value = if text.is_empty() {
            Value::Null
        } else {
            serde_json::from_str(&text).unwrap_or(Value::String(text))
        };
        if status >= 400 {
            let message = value["message"]
                .as_str()
                .map(str::to_owned)
                .unwrap_or_else(|| format!("HTTP {status}"));
            let next = value["nextActions"].as_str().map(str::to_owned);
            return Err(CliError::http(
                status,
                value["error"].as_str().or(value["code"].as_str()),
                message,
                next,
            ));
        }
        Ok(value)
    }

    pub async fn get(&self, path: &str) -> Result<Value, CliError> {
        self.request(Method::GET, path, None).await
    }

    pub async fn post(&self, path: &str, body: &Value) -> Result<Value, CliError> {
        self.request(Method::POST, path, Some(body)).await
    }
}
