//! The "Auth0 + InsForge" guide's todo app, in Rust, against oxforge.
//!
//! Users sign in with Auth0 (OIDC authorization code + PKCE); the ID token carries the InsForge
//! token the Post-Login Action signed (`auth0/post-login-action.js`), or — in `native` mode — the
//! app passes Auth0's own access token and oxforge verifies it with Auth0's keys. Every database
//! call goes to oxforge as that user, so Row Level Security keeps each user's todos private.

mod auth;
mod config;
mod error;
mod oidc;
mod pages;
mod session;
mod todos;

use std::sync::Arc;

use anyhow::Context;
use axum::Router;
use axum::extract::FromRef;
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum_extra::extract::PrivateCookieJar;
use axum_extra::extract::cookie::Key;
use clap::Parser;

use crate::config::Config;
use crate::oidc::Oidc;
use crate::session::{SESSION_COOKIE, Session};

#[derive(Clone)]
pub struct AppState {
    pub config: Arc<Config>,
    pub oidc: Arc<Oidc>,
    pub oxforge: oxforge_client::Client,
    key: Key,
}

impl FromRef<AppState> for Key {
    fn from_ref(state: &AppState) -> Key {
        state.key.clone()
    }
}

async fn home(jar: PrivateCookieJar) -> Response {
    match session::read::<Session>(&jar, SESSION_COOKIE) {
        Some(_) => Redirect::to("/todos").into_response(),
        None => Html(pages::landing()).into_response(),
    }
}

pub fn router(state: AppState) -> Router {
    Router::new()
        .route("/", get(home))
        .route("/auth/login", get(auth::login))
        .route("/auth/callback", get(auth::callback))
        .route("/auth/logout", get(auth::logout))
        .route("/todos", get(todos::list).post(todos::create))
        .route("/todos/{id}/toggle", post(todos::toggle))
        .route("/todos/{id}/rename", post(todos::rename))
        .route("/todos/{id}/delete", post(todos::delete))
        .with_state(state)
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into()))
        .init();
    let config = Config::parse();
    config.validate()?;
    // `validate` guarantees the 32 bytes `derive_from` needs.
    let key = Key::derive_from(config.secret.as_bytes());
    let oxforge = oxforge_client::Client::new(&config.insforge_url, &config.insforge_anon_key)?;
    let listener = tokio::net::TcpListener::bind(&config.listen)
        .await
        .with_context(|| format!("cannot listen on {}", config.listen))?;
    tracing::info!(
        "auth0-todos on {} (public URL {}, issuer {}, token mode {:?})",
        config.listen,
        config.base_url(),
        config.issuer_url(),
        config.token_mode
    );
    let state = AppState {
        oidc: Arc::new(Oidc::new(config.clone())?),
        config: Arc::new(config),
        oxforge,
        key,
    };
    axum::serve(listener, router(state))
        .with_graceful_shutdown(async {
            let _ = tokio::signal::ctrl_c().await;
        })
        .await?;
    Ok(())
}
