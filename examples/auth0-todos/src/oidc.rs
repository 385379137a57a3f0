//! Sign-in with Auth0 (or any OpenID provider): authorization code flow with PKCE, the ID token
//! verified with the provider's published keys, and the token oxforge will see picked out of it.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use openidconnect::core::{
    CoreAuthDisplay, CoreAuthenticationFlow, CoreClaimName, CoreClaimType, CoreClient, CoreClientAuthMethod,
    CoreGrantType, CoreJsonWebKey, CoreJweContentEncryptionAlgorithm, CoreJweKeyManagementAlgorithm, CoreResponseMode,
    CoreResponseType, CoreSubjectIdentifierType,
};
use openidconnect::{
    AdditionalProviderMetadata, AuthType, AuthorizationCode, ClientId, ClientSecret, CsrfToken, EndpointMaybeSet,
    EndpointNotSet, EndpointSet, HttpRequest, HttpResponse, IssuerUrl, Nonce, OAuth2TokenResponse, PkceCodeChallenge,
    PkceCodeVerifier, ProviderMetadata, RedirectUrl, Scope, TokenResponse,
};
use serde::{Deserialize, Serialize};
use tokio::sync::OnceCell;

use crate::config::{Config, TokenMode};
use crate::error::AppError;

/// The claim the guide's Post-Login Action sets on the ID token.
pub const ACTION_CLAIM: &str = "https://insforge.dev/insforge_token";

/// Discovery also tells where RP-initiated logout lives (Auth0 publishes it when enabled).
#[derive(Clone, Debug, Deserialize, Serialize)]
struct LogoutMetadata {
    end_session_endpoint: Option<String>,
}
impl AdditionalProviderMetadata for LogoutMetadata {}

type Metadata = ProviderMetadata<
    LogoutMetadata,
    CoreAuthDisplay,
    CoreClientAuthMethod,
    CoreClaimName,
    CoreClaimType,
    CoreGrantType,
    CoreJweContentEncryptionAlgorithm,
    CoreJweKeyManagementAlgorithm,
    CoreJsonWebKey,
    CoreResponseMode,
    CoreResponseType,
    CoreSubjectIdentifierType,
>;

type Client =
    CoreClient<EndpointSet, EndpointNotSet, EndpointNotSet, EndpointNotSet, EndpointMaybeSet, EndpointMaybeSet>;

struct Provider {
    client: Client,
    end_session: Option<String>,
}

/// What the browser must bring back to `/auth/callback` (kept in an encrypted cookie meanwhile).
#[derive(Debug, Serialize, Deserialize)]
pub struct LoginAttempt {
    pub state: String,
    pub nonce: String,
    pub pkce_verifier: String,
}

/// A signed-in user, and the token to send to oxforge.
#[derive(Debug, Clone)]
pub struct Identity {
    pub sub: String,
    pub email: Option<String>,
    pub name: Option<String>,
    pub insforge_token: String,
}

pub struct Oidc {
    config: Config,
    http: reqwest::Client,
    provider: OnceCell<Provider>,
}

/// openidconnect's HTTP calls, made with the workspace's reqwest; redirects are never followed.
async fn send(http: reqwest::Client, request: HttpRequest) -> Result<HttpResponse, reqwest::Error> {
    let response = http.execute(reqwest::Request::try_from(request)?).await?;
    let status = response.status();
    let headers = response.headers().clone();
    let mut out = HttpResponse::new(response.bytes().await?.to_vec());
    *out.status_mut() = status;
    *out.headers_mut() = headers;
    Ok(out)
}

impl Oidc {
    pub fn new(config: Config) -> anyhow::Result<Oidc> {
        let http = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .timeout(std::time::Duration::from_secs(10))
            .build()?;
        Ok(Oidc {
            config,
            http,
            provider: OnceCell::new(),
        })
    }

    /// Discovery and the provider's keys, fetched on first use (and retried until they succeed).
    async fn provider(&self) -> Result<&Provider, AppError> {
        self.provider
            .get_or_try_init(|| async {
                let issuer = IssuerUrl::new(self.config.issuer_url()).map_err(AppError::provider)?;
                let http = |request| send(self.http.clone(), request);
                let metadata = Metadata::discover_async(issuer, &http)
                    .await
                    .map_err(AppError::provider)?;
                let end_session = metadata.additional_metadata().end_session_endpoint.clone();
                let redirect = RedirectUrl::new(self.config.redirect_url()).map_err(AppError::provider)?;
                let client = CoreClient::from_provider_metadata(
                    metadata,
                    ClientId::new(self.config.client_id.clone()),
                    Some(ClientSecret::new(self.config.client_secret.clone())),
                )
                .set_redirect_uri(redirect)
                // Auth0's default for regular web apps ("Post").
                .set_auth_type(AuthType::RequestBody);
                Ok(Provider { client, end_session })
            })
            .await
    }

    /// Where to send the browser to sign in, and what to remember until it comes back.
    pub async fn start(&self) -> Result<(String, LoginAttempt), AppError> {
        let provider = self.provider().await?;
        let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
        let mut request = provider
            .client
            .authorize_url(
                CoreAuthenticationFlow::AuthorizationCode,
                CsrfToken::new_random,
                Nonce::new_random,
            )
            .add_scope(Scope::new("profile".into()))
            .add_scope(Scope::new("email".into()))
            .set_pkce_challenge(challenge);
        if let Some(audience) = &self.config.audience {
            request = request.add_extra_param("audience", audience.clone());
        }
        let (url, state, nonce) = request.url();
        let attempt = LoginAttempt {
            state: state.secret().clone(),
            nonce: nonce.secret().clone(),
            pkce_verifier: verifier.secret().clone(),
        };
        Ok((url.to_string(), attempt))
    }

    /// Exchanges the code, verifies the ID token (signature, issuer, audience, expiry, nonce) and
    /// picks the token for oxforge.
    pub async fn finish(&self, code: &str, attempt: LoginAttempt) -> Result<Identity, AppError> {
        let provider = self.provider().await?;
        let http = |request| send(self.http.clone(), request);
        let tokens = provider
            .client
            .exchange_code(AuthorizationCode::new(code.to_owned()))
            .map_err(AppError::provider)?
            .set_pkce_verifier(PkceCodeVerifier::new(attempt.pkce_verifier))
            .request_async(&http)
            .await
            .map_err(|e| AppError::login(format!("the code exchange failed: {e}")))?;
        let id_token = tokens
            .id_token()
            .ok_or_else(|| AppError::login("the provider returned no ID token".into()))?;
        let claims = id_token
            .claims(&provider.client.id_token_verifier(), &Nonce::new(attempt.nonce))
            .map_err(|e| AppError::login(format!("the ID token is not valid: {e}")))?;
        let insforge_token = match self.config.token_mode {
            // The signature was verified just above, so reading the payload again is safe.
            TokenMode::Action => custom_claim(&id_token.to_string(), ACTION_CLAIM).ok_or_else(|| {
                AppError::login(format!(
                    "the ID token has no `{ACTION_CLAIM}` claim: is the Post-Login Action deployed and in the Login flow?"
                ))
            })?,
            TokenMode::Native => tokens.access_token().secret().clone(),
        };
        Ok(Identity {
            sub: claims.subject().to_string(),
            email: claims.email().map(|e| e.to_string()),
            name: claims.name().and_then(|n| n.get(None)).map(|n| n.to_string()),
            insforge_token,
        })
    }

    /// Where to send the browser after the local session is gone.
    pub async fn logout_url(&self) -> String {
        let back = self.config.base_url().to_owned();
        let end_session = match self.provider().await {
            Ok(provider) => provider.end_session.clone(),
            Err(_) => None,
        };
        let client_id = &self.config.client_id;
        let url = match end_session {
            Some(endpoint) => reqwest::Url::parse_with_params(
                &endpoint,
                [
                    ("client_id", client_id.as_str()),
                    ("post_logout_redirect_uri", back.as_str()),
                ],
            ),
            // Auth0 tenants without RP-initiated logout.
            None if self.config.issuer.is_none() => reqwest::Url::parse_with_params(
                &format!("https://{}/v2/logout", self.config.auth0_domain),
                [("client_id", client_id.as_str()), ("returnTo", back.as_str())],
            ),
            None => return back,
        };
        url.map(|u| u.to_string()).unwrap_or(back)
    }
}

/// A string claim from a JWT's payload (no verification: the caller has verified the token).
fn custom_claim(jwt: &str, name: &str) -> Option<String> {
    let payload = jwt.split('.').nth(1)?;
    let bytes = URL_SAFE_NO_PAD.decode(payload).ok()?;
    let value: serde_json::Value = serde_json::from_slice(&bytes).ok()?;
    value.get(name)?.as_str().map(str::to_owned)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_action_claim() {
        let payload = URL_SAFE_NO_PAD.encode(br#"{"sub":"auth0|a","https://insforge.dev/insforge_token":"eyJ.x.y"}"#);
        let jwt = format!("e30.{payload}.sig");
        assert_eq!(custom_claim(&jwt, ACTION_CLAIM).as_deref(), Some("eyJ.x.y"));
        assert_eq!(custom_claim(&jwt, "missing"), None);
        assert_eq!(custom_claim("not-a-jwt", ACTION_CLAIM), None);
    }
}
