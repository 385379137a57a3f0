//! Email verification, OTP sign-in and password reset need an SMTP server, which oxforge does
//! not have yet: these endpoints answer plainly instead of pretending to send mail.

use oxforge_edge::ApiError;

use crate::AccountsError;

pub async fn unavailable() -> ApiError {
    AccountsError::EmailNotConfigured.into()
}
