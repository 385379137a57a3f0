//! The HTTP layer's own settings: a section of the server's configuration like a capability's.

oxforge_edge::settings! {
    /// Settings of the layers every request crosses.
    pub struct HttpSettings {
        /// Largest request body any route accepts, in bytes: the data API's limit, and the
        /// ceiling of every other. Default 10485760 (10 MiB).
        pub body_limit: usize = 10 * 1024 * 1024, env "OXFORGE_BODY_LIMIT";
        /// Largest body of auth, secrets, metadata and the other small routes, in bytes (at
        /// most `body_limit`). Default 65536.
        pub small_body_limit: usize = 64 * 1024, env "OXFORGE_SMALL_BODY_LIMIT";
        /// Browser origins allowed to call the API with credentials (CORS), `scheme://host[:port]`;
        /// empty: every origin, as InsForge (the request's `Origin` is reflected). The
        /// environment's `OXFORGE_CORS_ORIGINS` is a comma-separated list.
        pub cors_origins: Vec<String> = Vec::new();
    }
}
