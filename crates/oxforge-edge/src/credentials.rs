//! Who is calling, as extractors any capability's router can use: [`Caller`] (any credential),
//! [`MaybeCaller`], [`SignedIn`] (a user's token) and [`Admin`]. They are generic over the router's
//! state: all they need is the project's [`Authenticator`], through `FromRef` (axum's advice for
//! library extractors), so a capability crate keeps its own state type.

use std::sync::Arc;

use axum::extract::{FromRef, FromRequestParts};
use axum::http::request::Parts;
use oxforge_auth::credential::{Presented, classify};
use oxforge_auth::{Authenticator, Principal};

use crate::ApiError;

fn presented(parts: &Parts) -> Presented<'_> {
    let header = |name: &str| parts.headers.get(name).and_then(|v| v.to_str().ok());
    classify(header("authorization"), header("x-api-key"))
}

/// A refused credential, with the usual beginner's mistake named when the headers show one: a
/// token without the `Bearer` scheme, Supabase's `apikey` header, the anon key (or a JWT) in
/// `x-api-key`. Only the message changes; what is accepted does not.
fn name_the_mistake(parts: &Parts, error: oxforge_auth::AuthError) -> ApiError {
    // The message stays InsForge's ("Invalid token"); why goes into `nextActions`.
    let bearer = parts
        .headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .and_then(oxforge_auth::credential::bearer_token);
    let why = match (&error, bearer) {
        (oxforge_auth::AuthError::InvalidToken, Some(token)) => Some(oxforge_auth::diagnose::explain(
            token,
            &error,
            oxforge_auth::now_seconds(),
        )),
        _ => None,
    };
    let mut api = ApiError::from(error);
    if let Some(why) = why {
        api = api.with_next_actions(format!("The token was refused: {why}"));
    }
    let header = |name: &str| parts.headers.get(name).and_then(|v| v.to_str().ok()).map(str::trim);
    let fix = match (header("authorization"), header("x-api-key"), header("apikey")) {
        (_, Some(key), _) if key.starts_with("anon_") || key.starts_with("eyJ") => Some(
            "`x-api-key` takes the admin API key (ik_…); send the anon key or a user's token as `Authorization: Bearer <token>`",
        ),
        (Some(auth), None, _) if ["eyJ", "ik_", "anon_"].iter().any(|p| auth.starts_with(p)) => {
            Some("the Authorization header needs the Bearer scheme: `Authorization: Bearer <token>`")
        }
        (None, None, Some(_)) => {
            Some("the `apikey` header is not read here (as in InsForge): send the key as `Authorization: Bearer <key>`")
        }
        _ => None,
    };
    if let Some(fix) = fix {
        api.message = format!("{}: {fix}", api.message);
    }
    api
}

/// Implements `FromRequestParts` for a credential extractor with an inherent
/// `async fn check(parts: &Parts, auth: &Authenticator) -> Result<Self, ApiError>`, for any state
/// that yields the project's `Arc<Authenticator>`.
macro_rules! credential_extractor {
    ($name:ident) => {
        impl<S> FromRequestParts<S> for $name
        where
            S: Send + Sync,
            Arc<Authenticator>: FromRef<S>,
        {
            type Rejection = ApiError;

            async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
                $name::check(parts, &Arc::<Authenticator>::from_ref(state)).await
            }
        }
    };
}

/// Any valid credential: API key, anon key or JWT (InsForge's `verifyUser`).
pub struct Caller(pub Principal);

impl Caller {
    async fn check(parts: &Parts, auth: &Authenticator) -> Result<Self, ApiError> {
        match auth.authenticate(presented(parts)).await {
            Ok(principal) => Ok(Caller(principal)),
            Err(e) => Err(name_the_mistake(parts, e)),
        }
    }
}

credential_extractor!(Caller);

/// A credential if one is presented (an invalid one is still an error, never ignored).
pub struct MaybeCaller(pub Option<Principal>);

impl MaybeCaller {
    async fn check(parts: &Parts, auth: &Authenticator) -> Result<Self, ApiError> {
        match presented(parts) {
            Presented::None => Ok(MaybeCaller(None)),
            p => match auth.authenticate(p).await {
                Ok(principal) => Ok(MaybeCaller(Some(principal))),
                Err(e) => Err(name_the_mistake(parts, e)),
            },
        }
    }
}

credential_extractor!(MaybeCaller);

/// A signed-in user: a JWT with role `authenticated` (InsForge's `verifyToken` + role check).
pub struct SignedIn(pub oxforge_auth::principal::UserClaims);

impl SignedIn {
    async fn check(parts: &Parts, auth: &Authenticator) -> Result<Self, ApiError> {
        let token = match presented(parts) {
            Presented::None => return Err(oxforge_auth::AuthError::NoToken.into()),
            Presented::Jwt(token) => token,
            // Keys are not user tokens.
            Presented::ApiKey(_) | Presented::AnonKey(_) => return Err(oxforge_auth::AuthError::InvalidToken.into()),
        };
        match auth.authenticate(Presented::Jwt(token)).await? {
            Principal::User(user) => Ok(SignedIn(user)),
            _ => Err(oxforge_auth::AuthError::InvalidToken.into()),
        }
    }
}

credential_extractor!(SignedIn);

/// The API key or a `project_admin` JWT (InsForge's `verifyAdmin`).
pub struct Admin(pub Principal);

impl Admin {
    async fn check(parts: &Parts, auth: &Authenticator) -> Result<Self, ApiError> {
        match auth.authenticate_admin(presented(parts)).await {
            Ok(principal) => Ok(Admin(principal)),
            Err(e) => Err(name_the_mistake(parts, e)),
        }
    }
}

credential_extractor!(Admin);
