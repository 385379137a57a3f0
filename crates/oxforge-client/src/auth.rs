//! Sign-up, sign-in, refresh, sign-out, the current user — in server mode (refresh token in the
//! body), which is what a Rust program wants.

use reqwest::Method;
use serde::Deserialize;
use serde_json::{Value, json};

use crate::{Client, Error};

/// A signed-in user's tokens and profile.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Session {
    pub access_token: String,
    pub refresh_token: Option<String>,
    pub user: Value,
}

pub struct Auth<'a> {
    pub(crate) client: &'a Client,
}

impl Auth<'_> {
    async fn session(&self, path: &str, body: Value) -> Result<Session, Error> {
        let (_, _, text) = Client::send(self.client.request(Method::POST, path).json(&body)).await?;
        let session: Session = serde_json::from_str(&text).map_err(|e| Error::Decode(e.to_string()))?;
        self.client.set_access_token(Some(session.access_token.clone()));
        Ok(session)
    }

    /// Creates an account and signs it in.
    pub async fn sign_up(&self, email: &str, password: &str, name: Option<&str>) -> Result<Session, Error> {
        self.session(
            "/api/auth/users?client_type=server",
            json!({ "email": email, "password": password, "name": name }),
        )
        .await
    }

    pub async fn sign_in(&self, email: &str, password: &str) -> Result<Session, Error> {
        self.session(
            "/api/auth/sessions?client_type=server",
            json!({ "email": email, "password": password }),
        )
        .await
    }

    /// Exchanges a refresh token (single use) for new tokens.
    pub async fn refresh(&self, refresh_token: &str) -> Result<Session, Error> {
        self.session(
            "/api/auth/refresh?client_type=server",
            json!({ "refreshToken": refresh_token }),
        )
        .await
    }

    /// Ends the session of `refresh_token` and forgets the access token.
    pub async fn sign_out(&self, refresh_token: Option<&str>) -> Result<(), Error> {
        let body = json!({ "refreshToken": refresh_token });
        Client::send(
            self.client
                .request(Method::POST, "/api/auth/logout?client_type=server")
                .json(&body),
        )
        .await?;
        self.client.set_access_token(None);
        Ok(())
    }

    /// The signed-in user (`GET /api/auth/sessions/current`).
    pub async fn current_user(&self) -> Result<Value, Error> {
        let (_, _, text) = Client::send(self.client.request(Method::GET, "/api/auth/sessions/current")).await?;
        let body: Value = serde_json::from_str(&text).map_err(|e| Error::Decode(e.to_string()))?;
        Ok(body["user"].clone())
    }
}
