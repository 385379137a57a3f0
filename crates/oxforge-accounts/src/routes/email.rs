//! Email verification, OTP sign-in and password reset need an SMTP server, which oxforge does
//! not have yet: these endpoints answer plainly instead of pretending to send mail.

use axum::http::StatusCode;

use oxforge_edge::ApiError;

pub fn not_configured() -> ApiError {
    ApiError::new(
        StatusCode::NOT_IMPLEMENTED,
        "EMAIL_NOT_CONFIGURED",
        "Email delivery is not configured on this server: verification codes, OTP sign-in and password reset are unavailable",
    )
    .with_next_actions("Sign in with email and password; email verification is not required on this server")
}

pub async fn unavailable() -> ApiError {
    not_configured()
}
