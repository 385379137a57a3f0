//! Sessions: starting one (sign-up, sign-in, the root admin's sign-in), rotating it on refresh,
//! ending it on logout. A refresh token works once; each refresh replaces it (same session, same
//! CSRF value), and no refresh extends a session beyond its maximum lifetime.

use oxforge_auth::AuthError;
use oxforge_auth::csrf;
use oxforge_auth::jwt::{RefreshClaims, new_token_id};
use serde_json::Value;

use super::{Accounts, user_value};
use crate::AccountsError;
use crate::query::{self, NewSession, Rotated, Rotation};
use crate::session::{self, Issued, PresentedSession, SessionKind};

/// A refreshed session: its subject (a user id, or `local:<admin>`), the user object of a user
/// session, and the new tokens.
#[derive(Debug)]
pub struct Refreshed {
    pub subject: String,
    pub user: Option<Value>,
    pub issued: Issued,
}

/// The root admin's new session.
#[derive(Debug)]
pub struct AdminSession {
    pub subject: String,
    pub issued: Issued,
}

impl Accounts<'_> {
    /// Signs the root admin in with their username and password. Failures are limited per
    /// client address (growing waits) and over all addresses.
    pub async fn admin_sign_in(
        &mut self,
        username: &str,
        password: &str,
        client: &str,
    ) -> Result<AdminSession, AccountsError> {
        let state = self.state;
        let attempt = state.limits.admin_sign_in(client)?;
        if !state.admin.verify(username, password) {
            attempt.failed();
            return Err(AuthError::InvalidAdminCredentials.into());
        }
        attempt.succeeded();
        let subject = state.admin.subject();
        let issued = self.start_session(SessionKind::Admin, &subject, None, None).await?;
        Ok(AdminSession { subject, issued })
    }

    /// Rotates the session behind a presented refresh token: the old token stops working, the
    /// CSRF value stays the same (same nonce). A user session of a deleted user is refused; so
    /// is an admin session of other root admin credentials than the current ones, and any
    /// session past its maximum lifetime.
    pub async fn refresh(
        &mut self,
        kind: SessionKind,
        presented: PresentedSession<'_>,
    ) -> Result<Refreshed, AccountsError> {
        let claims = session::verify(self.state, kind, presented)?;
        let (issued, rotated) = self.rotate_session(kind, &claims).await?;
        let user = rotated.user.as_ref().map(|u| user_value(&u.json)).transpose()?;
        Ok(Refreshed {
            subject: rotated.subject,
            user,
            issued,
        })
    }

    /// Ends the session of a presented refresh token. An invalid or missing token is no error
    /// (there is nothing to end); a valid one with the wrong CSRF value is.
    pub async fn logout(
        &mut self,
        kind: SessionKind,
        presented: Option<PresentedSession<'_>>,
    ) -> Result<(), AccountsError> {
        let claims = match presented.map(|p| session::verify(self.state, kind, p)) {
            Some(Ok(claims)) => claims,
            Some(Err(AccountsError::InvalidCsrf)) => return Err(AccountsError::InvalidCsrf),
            Some(Err(_)) | None => return Ok(()),
        };
        query::revoke_session(self.db().await?, &claims.sid).await?;
        Ok(())
    }

    /// Starts a session for `subject` (a user id, or `local:<admin>`).
    pub(super) async fn start_session(
        &mut self,
        kind: SessionKind,
        subject: &str,
        user_id: Option<&str>,
        email: Option<&str>,
    ) -> Result<Issued, AccountsError> {
        let state = self.state;
        let nonce = csrf::new_nonce();
        let token_id = new_token_id();
        let epoch = session::credential_epoch(state, kind);
        let new = NewSession {
            subject,
            user_id,
            session_type: kind.name(),
            csrf_nonce: &nonce,
            token_id: &token_id,
            ttl_seconds: state.settings.refresh_token_ttl,
            max_lifetime_seconds: state.settings.session_max_lifetime,
            credential_epoch: epoch.as_deref(),
        };
        let (sid, ttl) = query::create_session(self.db().await?, &new).await?;
        let claims = RefreshClaims::new(subject, kind.name(), &nonce, &sid, &token_id, ttl);
        session::tokens(state, kind, &claims, email)
    }

    async fn rotate_session(
        &mut self,
        kind: SessionKind,
        claims: &RefreshClaims,
    ) -> Result<(Issued, Rotated), AccountsError> {
        let state = self.state;
        if kind == SessionKind::Admin && claims.sub != state.admin.subject() {
            return Err(AccountsError::InvalidRefreshToken);
        }
        let next = new_token_id();
        let epoch = session::credential_epoch(state, kind);
        let rotation = Rotation {
            session_id: &claims.sid,
            session_type: kind.name(),
            old: &claims.jti,
            new: &next,
            ttl_seconds: state.settings.refresh_token_ttl,
            max_lifetime_seconds: state.settings.session_max_lifetime,
            credential_epoch: epoch.as_deref(),
        };
        let db = self.db().await?;
        let Some(rotated) = query::rotate_session(db, &rotation).await? else {
            if kind == SessionKind::User && !query::user_exists(db, &claims.sub).await? {
                return Err(AccountsError::SessionUserDeleted);
            }
            return Err(AccountsError::InvalidRefreshToken);
        };
        if kind == SessionKind::User && rotated.user.is_none() {
            return Err(AccountsError::SessionUserDeleted);
        }
        let email = rotated.user.as_ref().map(|u| u.email.clone());
        let claims = RefreshClaims::new(
            &claims.sub,
            kind.name(),
            &claims.csrf_nonce,
            &claims.sid,
            &next,
            rotated.expires_in,
        );
        Ok((session::tokens(state, kind, &claims, email.as_deref())?, rotated))
    }
}
