//! [`AccountsError`]: why an accounts operation failed, and its one mapping to InsForge's envelope.
//!
//! Variants name what happened; the status, code and message the client sees are decided in
//! `From<AccountsError> for ApiError` alone. Internal failures (a token that cannot be signed,
//! a password that cannot be hashed, a user object PostgreSQL sent unreadable) answer `500` and
//! keep their cause for the request log; the conversion itself never logs.

use axum::http::StatusCode;
use oxforge_auth::AuthError;
use oxforge_auth::password::HashError;
use oxforge_db::DbError;
use oxforge_edge::ApiError;

use crate::rate_limit::Refused;
use crate::validate::PASSWORD_MAX;

#[derive(Debug, thiserror::Error)]
pub enum AccountsError {
    #[error("email: Invalid email")]
    InvalidEmail,
    #[error("Password must be at least {min} characters long")]
    PasswordTooShort { min: usize },
    #[error("password: String must contain at most {PASSWORD_MAX} character(s)")]
    PasswordTooLong,
    /// The auth configuration's character rules: the message lists every active rule.
    #[error("{0}")]
    WeakPassword(String),
    /// `disableSignup` is set and the caller is not an admin.
    #[error("User signups are disabled for this project.")]
    SignUpDisabled,
    /// A `PUT /api/auth/config` body refused: `"<path>: <message>, …"`.
    #[error("{0}")]
    InvalidConfig(String),
    /// Email verification cannot be required while no email provider is configured.
    #[error("An email provider must be configured before email verification can be required.")]
    EmailProviderNotConfigured,
    #[error("Invalid user ID")]
    InvalidUserId,
    #[error("userIds: Expected a non-empty array of user IDs")]
    InvalidUserIds,
    #[error("User already exists")]
    UserExists,
    #[error("User not found")]
    UserNotFound,
    /// Wrong email or password (the same answer whether or not the email exists).
    #[error("Invalid credentials")]
    InvalidCredentials,
    #[error("No refresh token provided")]
    NoRefreshToken,
    /// Badly signed, expired, of the other kind of session, already used, revoked, past the
    /// session's maximum lifetime, or of other root admin credentials.
    #[error("Invalid refresh token")]
    InvalidRefreshToken,
    /// The session's user was deleted.
    #[error("User not found")]
    SessionUserDeleted,
    #[error("Invalid CSRF token")]
    InvalidCsrf,
    /// Too many failed sign-ins (or sign-ups) from this client.
    #[error("Too many requests, please try again later")]
    TooManyAttempts(Refused),
    /// Verification codes, OTP sign-in and password reset need email delivery.
    #[error(
        "Email delivery is not configured on this server: verification codes, OTP sign-in and password reset are unavailable"
    )]
    EmailNotConfigured,
    /// A credential refused: wrong root admin credentials, no admin, an invalid token.
    #[error(transparent)]
    Auth(#[from] AuthError),
    #[error(transparent)]
    Db(#[from] DbError),
    #[error("cannot sign a token: {0}")]
    Signing(#[from] jsonwebtoken::errors::Error),
    #[error("password hashing failed: {0}")]
    Hashing(#[from] HashError),
    #[error("user object is not JSON: {0}")]
    UserJson(#[from] serde_json::Error),
    #[error("password work did not finish: {0}")]
    PasswordWork(&'static str),
}

impl From<Refused> for AccountsError {
    fn from(refused: Refused) -> Self {
        AccountsError::TooManyAttempts(refused)
    }
}

impl AccountsError {
    /// Whether a refresh that failed this way also clears a web client's refresh cookie: every
    /// failure does, but a CSRF mismatch (the request is refused, not the session) and a user
    /// object PostgreSQL sent unreadable.
    pub fn clears_session(&self) -> bool {
        !matches!(self, AccountsError::InvalidCsrf | AccountsError::UserJson(_))
    }
}

impl From<AccountsError> for ApiError {
    fn from(e: AccountsError) -> Self {
        use AccountsError as E;
        let (status, code) = match e {
            E::InvalidEmail
            | E::PasswordTooShort { .. }
            | E::PasswordTooLong
            | E::WeakPassword(_)
            | E::InvalidConfig(_)
            | E::InvalidUserId
            | E::InvalidUserIds => (StatusCode::BAD_REQUEST, "INVALID_INPUT"),
            E::UserExists => (StatusCode::CONFLICT, "AUTH_EMAIL_EXISTS"),
            E::UserNotFound => (StatusCode::NOT_FOUND, "AUTH_USER_NOT_FOUND"),
            E::InvalidCredentials | E::NoRefreshToken | E::InvalidRefreshToken | E::SessionUserDeleted => {
                (StatusCode::UNAUTHORIZED, "AUTH_UNAUTHORIZED")
            }
            E::InvalidCsrf => (StatusCode::FORBIDDEN, "FORBIDDEN"),
            E::SignUpDisabled => (StatusCode::FORBIDDEN, "AUTH_SIGNUP_DISABLED"),
            E::EmailProviderNotConfigured => {
                return ApiError::new(StatusCode::BAD_REQUEST, "EMAIL_PROVIDER_NOT_CONFIGURED", e.to_string())
                    .with_next_actions(
                        "oxforge cannot send email yet: leave requireEmailVerification false until an email provider can be configured",
                    );
            }
            E::TooManyAttempts(refused) => return ApiError::too_many_requests(e.to_string(), refused.seconds()),
            E::EmailNotConfigured => {
                return ApiError::new(StatusCode::NOT_IMPLEMENTED, "EMAIL_NOT_CONFIGURED", e.to_string())
                    .with_next_actions(
                        "Sign in with email and password; email verification is not required on this server",
                    );
            }
            E::Auth(auth) => return auth.into(),
            E::Db(db) => return db.into(),
            E::Signing(_) | E::Hashing(_) | E::UserJson(_) | E::PasswordWork(_) => {
                return ApiError::internal_because(e);
            }
        };
        ApiError::new(status, code, e.to_string())
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    /// `status CODE message`.
    fn answer(api: &ApiError) -> String {
        format!("{} {} {}", api.status.as_u16(), api.code, api.message)
    }

    #[test]
    fn each_error_has_insforge_status_code_and_message() {
        let refused = Refused {
            retry_after: Duration::from_millis(1500),
        };
        let cases: Vec<(AccountsError, &str)> = vec![
            (AccountsError::InvalidEmail, "400 INVALID_INPUT email: Invalid email"),
            (
                AccountsError::PasswordTooShort { min: 6 },
                "400 INVALID_INPUT Password must be at least 6 characters long",
            ),
            (
                AccountsError::PasswordTooLong,
                "400 INVALID_INPUT password: String must contain at most 256 character(s)",
            ),
            (AccountsError::InvalidUserId, "400 INVALID_INPUT Invalid user ID"),
            (
                AccountsError::InvalidUserIds,
                "400 INVALID_INPUT userIds: Expected a non-empty array of user IDs",
            ),
            (AccountsError::UserExists, "409 AUTH_EMAIL_EXISTS User already exists"),
            (AccountsError::UserNotFound, "404 AUTH_USER_NOT_FOUND User not found"),
            (
                AccountsError::InvalidCredentials,
                "401 AUTH_UNAUTHORIZED Invalid credentials",
            ),
            (
                AccountsError::NoRefreshToken,
                "401 AUTH_UNAUTHORIZED No refresh token provided",
            ),
            (
                AccountsError::InvalidRefreshToken,
                "401 AUTH_UNAUTHORIZED Invalid refresh token",
            ),
            (
                AccountsError::SessionUserDeleted,
                "401 AUTH_UNAUTHORIZED User not found",
            ),
            (AccountsError::InvalidCsrf, "403 FORBIDDEN Invalid CSRF token"),
            (
                AccountsError::WeakPassword("Password must contain at least 8 characters long".into()),
                "400 INVALID_INPUT Password must contain at least 8 characters long",
            ),
            (
                AccountsError::SignUpDisabled,
                "403 AUTH_SIGNUP_DISABLED User signups are disabled for this project.",
            ),
            (
                AccountsError::InvalidConfig("disableSignup: Expected boolean, received string".into()),
                "400 INVALID_INPUT disableSignup: Expected boolean, received string",
            ),
            (
                AccountsError::EmailProviderNotConfigured,
                "400 EMAIL_PROVIDER_NOT_CONFIGURED An email provider must be configured before email verification can be required.",
            ),
            (
                AccountsError::TooManyAttempts(refused),
                "429 TOO_MANY_REQUESTS Too many requests, please try again later",
            ),
            (
                AccountsError::EmailNotConfigured,
                "501 EMAIL_NOT_CONFIGURED Email delivery is not configured on this server: verification codes, OTP sign-in and password reset are unavailable",
            ),
            (
                AuthError::InvalidAdminCredentials.into(),
                "401 AUTH_UNAUTHORIZED Invalid admin credentials",
            ),
            (
                AuthError::AdminRequired.into(),
                "403 AUTH_UNAUTHORIZED Admin access required",
            ),
        ];
        for (error, expected) in cases {
            let api = ApiError::from(error);
            assert_eq!(answer(&api), expected);
            assert_eq!(api.cause, None, "{expected}");
        }
    }

    #[test]
    fn internal_failures_keep_their_cause_for_the_log_only() {
        let internal = "500 INTERNAL_ERROR Internal server error";
        let json = serde_json::from_str::<serde_json::Value>("{").unwrap_err();
        let signing = jsonwebtoken::errors::Error::from(jsonwebtoken::errors::ErrorKind::InvalidKeyFormat);
        let failures: [AccountsError; 4] = [
            DbError::Protocol("odd".into()).into(),
            signing.into(),
            json.into(),
            AccountsError::PasswordWork("lost"),
        ];
        for error in failures {
            let cause = error.to_string();
            let api = ApiError::from(error);
            assert_eq!(answer(&api), internal);
            assert!(api.cause.is_some_and(|c| c.failure && c.detail.ends_with(&cause)));
        }
    }

    #[test]
    fn waits_and_next_actions_reach_the_envelope() {
        let refused = Refused {
            retry_after: Duration::from_millis(1500),
        };
        assert_eq!(ApiError::from(AccountsError::from(refused)).retry_after, Some(2));
        let email = ApiError::from(AccountsError::EmailNotConfigured);
        assert!(
            email
                .next_actions
                .is_some_and(|n| n.starts_with("Sign in with email and password"))
        );
    }

    #[test]
    fn only_a_csrf_mismatch_and_an_unreadable_user_keep_the_cookie() {
        assert!(!AccountsError::InvalidCsrf.clears_session());
        assert!(AccountsError::InvalidRefreshToken.clears_session());
        assert!(AccountsError::SessionUserDeleted.clears_session());
        assert!(AccountsError::from(DbError::Protocol("odd".into())).clears_session());
    }
}
