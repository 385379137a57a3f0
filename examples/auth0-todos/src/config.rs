//! The app's settings, named as in the "Auth0 + InsForge" guide.

use clap::{Parser, ValueEnum};

/// Where the token that oxforge sees comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum TokenMode {
    /// The guide's way: a Post-Login Action signs an InsForge token (HS256, the project's JWT
    /// secret) and puts it into the ID token as `https://insforge.dev/insforge_token`.
    Action,
    /// No shared secret: the app passes Auth0's own access token (for `AUTH0_AUDIENCE`) and
    /// oxforge verifies it with Auth0's published keys (an `[[providers]]` entry).
    Native,
}

#[derive(Debug, Clone, Parser)]
#[command(name = "auth0-todos", about = "The Auth0 + InsForge todo app, against oxforge")]
pub struct Config {
    /// Your Auth0 tenant, e.g. `your-tenant.us.auth0.com`.
    #[arg(long, env = "AUTH0_DOMAIN", default_value = "")]
    pub auth0_domain: String,
    /// The issuer URL, when it is not `https://<AUTH0_DOMAIN>/` (a custom domain, or a local
    /// OIDC provider in tests).
    #[arg(long, env = "AUTH0_ISSUER_BASE_URL")]
    pub issuer: Option<String>,
    #[arg(long, env = "AUTH0_CLIENT_ID")]
    pub client_id: String,
    #[arg(long, env = "AUTH0_CLIENT_SECRET", hide_env_values = true)]
    pub client_secret: String,
    /// At least 32 bytes; the session cookie is encrypted with a key derived from it
    /// (`openssl rand -hex 32`).
    #[arg(long, env = "AUTH0_SECRET", hide_env_values = true)]
    pub secret: String,
    /// Where users reach this app; the callback is `<APP_BASE_URL>/auth/callback`.
    #[arg(long, env = "APP_BASE_URL", default_value = "http://localhost:3000")]
    pub app_base_url: String,
    /// oxforge's API URL.
    #[arg(long, env = "INSFORGE_URL")]
    pub insforge_url: String,
    #[arg(long, env = "INSFORGE_ANON_KEY")]
    pub insforge_anon_key: String,
    #[arg(long, env = "INSFORGE_TOKEN_MODE", value_enum, default_value = "action")]
    pub token_mode: TokenMode,
    /// Your Auth0 API identifier; required by `native` mode (it becomes the access token's `aud`).
    #[arg(long, env = "AUTH0_AUDIENCE")]
    pub audience: Option<String>,
    /// Address to listen on.
    #[arg(long, env = "LISTEN", default_value = "127.0.0.1:3000")]
    pub listen: String,
}

impl Config {
    /// Checks what can be checked before the first request.
    pub fn validate(&self) -> anyhow::Result<()> {
        if self.secret.len() < 32 {
            anyhow::bail!("AUTH0_SECRET must be at least 32 characters (try `openssl rand -hex 32`)");
        }
        if self.issuer.is_none() && self.auth0_domain.is_empty() {
            anyhow::bail!("set AUTH0_DOMAIN (or AUTH0_ISSUER_BASE_URL)");
        }
        if self.token_mode == TokenMode::Native && self.audience.is_none() {
            anyhow::bail!("INSFORGE_TOKEN_MODE=native needs AUTH0_AUDIENCE (your Auth0 API identifier)");
        }
        Ok(())
    }

    pub fn issuer_url(&self) -> String {
        match &self.issuer {
            Some(url) => url.clone(),
            None => format!("https://{}/", self.auth0_domain.trim_end_matches('/')),
        }
    }

    pub fn base_url(&self) -> &str {
        self.app_base_url.trim_end_matches('/')
    }

    pub fn redirect_url(&self) -> String {
        format!("{}/auth/callback", self.base_url())
    }

    /// Cookies are `Secure` when the app is served over https.
    pub fn secure_cookies(&self) -> bool {
        self.app_base_url.starts_with("https://")
    }
}
