//! Sessions' tokens: the access token, the refresh token (HS256 with `JWT_SECRET`, naming the
//! session and its current token id) and the CSRF value bound to the refresh token's nonce. No
//! I/O: the session rows are the service's ([`crate::service`]), cookies the routes'.

use oxforge_auth::jwt::{RefreshClaims, sign_refresh_token, verify_refresh_token};
use oxforge_auth::{Role, csrf};

use crate::{AccountsError, AccountsState};

/// Whose session: a user's (`/api/auth`) or the root admin's (`/api/auth/admin`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SessionKind {
    User,
    Admin,
}

impl SessionKind {
    /// `auth.sessions.session_type`, and the refresh token's `sessionType`.
    pub fn name(self) -> &'static str {
        match self {
            SessionKind::User => "user",
            SessionKind::Admin => "admin",
        }
    }

    /// The role of the access tokens this session yields.
    pub fn role(self) -> Role {
        match self {
            SessionKind::User => Role::Authenticated,
            SessionKind::Admin => Role::ProjectAdmin,
        }
    }
}

/// The tokens of a new or rotated session.
#[derive(Debug)]
pub struct Issued {
    pub access_token: String,
    pub refresh_token: String,
    pub csrf_token: String,
    /// Seconds the refresh token (and its cookie) lives.
    pub refresh_ttl: i64,
}

/// The refresh token a client presents, and for a web client the CSRF header that must go with
/// it (`Some("")` when the header is missing; `None`: no CSRF check, for non-web clients).
#[derive(Debug, Clone, Copy)]
pub struct PresentedSession<'a> {
    pub token: &'a str,
    pub csrf: Option<&'a str>,
}

/// Signs the tokens of the session `claims` describe.
pub(crate) fn tokens(
    state: &AccountsState,
    kind: SessionKind,
    claims: &RefreshClaims,
    email: Option<&str>,
) -> Result<Issued, AccountsError> {
    let secret = state.auth.credentials().jwt_secret.clone();
    Ok(Issued {
        access_token: state
            .auth
            .sign_access_token(&claims.sub, email, kind.role(), state.settings.access_token_ttl)?,
        refresh_token: sign_refresh_token(secret.as_bytes(), claims)?,
        csrf_token: csrf::csrf_token(secret.as_bytes(), kind.name(), &claims.sub, &claims.csrf_nonce),
        refresh_ttl: claims.exp - claims.iat,
    })
}

/// What an admin session is bound to: the current root admin credentials (none for users).
pub(crate) fn credential_epoch(state: &AccountsState, kind: SessionKind) -> Option<String> {
    (kind == SessionKind::Admin).then(|| state.admin.epoch(state.auth.credentials().jwt_secret.as_bytes()))
}

/// Verifies a presented refresh token of `kind` (signature, expiry, type) and, for a web
/// client, its CSRF value.
pub(crate) fn verify(
    state: &AccountsState,
    kind: SessionKind,
    presented: PresentedSession<'_>,
) -> Result<RefreshClaims, AccountsError> {
    let secret = state.auth.credentials().jwt_secret.clone();
    let claims = verify_refresh_token(secret.as_bytes(), presented.token)
        .ok()
        .filter(|claims| claims.session_type == kind.name())
        .ok_or(AccountsError::InvalidRefreshToken)?;
    if let Some(presented) = presented.csrf {
        let matches = csrf::verify_csrf(
            secret.as_bytes(),
            &claims.session_type,
            &claims.sub,
            &claims.csrf_nonce,
            presented,
        );
        if !matches {
            return Err(AccountsError::InvalidCsrf);
        }
    }
    Ok(claims)
}
