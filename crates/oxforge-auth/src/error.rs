/// Why a credential was refused. The HTTP layer maps each to InsForge's status and error code.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AuthError {
    #[error("No token provided")]
    NoToken,
    #[error("No admin token provided")]
    NoAdminToken,
    #[error("Invalid API key")]
    InvalidApiKey,
    #[error("Invalid anon key")]
    InvalidAnonKey,
    #[error("Invalid token")]
    InvalidToken,
    #[error("Invalid token subject")]
    InvalidSubject,
    #[error("Refresh tokens cannot be used as access tokens")]
    RefreshTokenAsAccessToken,
    #[error("Invalid user role claim")]
    InvalidRole,
    /// `role: project_admin` in a token signed with the shared JWT secret: that secret is handed
    /// to Auth0 Actions, Clerk templates and app servers, so it never makes an admin.
    #[error(
        "Tokens signed with the JWT secret cannot carry the project_admin role; use the API key or an admin session"
    )]
    SharedSecretAdmin,
    #[error("Admin access required")]
    AdminRequired,
    #[error("Invalid admin credentials")]
    InvalidAdminCredentials,
    /// A third-party token refused, with the precise reason.
    #[error("{0}")]
    Provider(String),
}
