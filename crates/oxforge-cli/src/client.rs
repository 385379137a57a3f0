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

    pub async fn request(&self, method: Method, path: &str, body: Option<&Value>) -> Result<Value, CliError> {
        let mut request = self.http.request(method, format!("{}{path}", self.base));
        if !self.key.is_empty() {
            request = request.bearer_auth(&self.key);
        }
        if let Some(body) = body {
            request = request.json(body);
        }
        let response = request
            .send()
            .await
            .map_err(|e| CliError::general(format!("cannot reach {}: {e}", self.base)).with_code("UNREACHABLE", 1))?;
        let status = response.status().as_u16();
        let text = response.text().await.map_err(|e| CliError::general(e.to_string()))?;
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
