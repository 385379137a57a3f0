//! The dashboard: oxforge's web console, a Svelte single-page app served at `/dashboard/`.
//!
//! Its sources live in `dashboard/` at the repository root; `npm run build` there writes
//! `assets/` in this crate, which is committed (so `cargo build` needs no Node) and embedded in
//! the binary. `scripts/test` rebuilds it and fails when the committed build is stale.
//!
//! Serving (module [`serve`]): `/` → `/dashboard/login`; a file that exists is sent with its
//! type and a strong `ETag`; a missing `/dashboard/assets/*` is a 404; any other path under
//! `/dashboard/` is the app's `index.html` (its router decides). Every answer carries a strict
//! Content-Security-Policy, `frame-ancestors 'none'`, `nosniff` and `no-referrer`. The app holds
//! no key or secret: it talks to the admin API with the admin's session like any other client.

mod serve;

use std::path::PathBuf;

use axum::Router;
use oxforge_edge::{Capability, Shared};

oxforge_edge::settings! {
    /// The web console.
    pub struct DashboardSettings {
        /// Serve the dashboard at /dashboard/ (and redirect / to it).
        pub dashboard: bool = true, env "OXFORGE_DASHBOARD";
        /// Serve the dashboard's files from this folder instead of the copy inside the binary
        /// (for working on the dashboard: point it at `crates/oxforge-dashboard/assets`).
        pub dashboard_dir: Option<PathBuf> = None, env "OXFORGE_DASHBOARD_DIR";
    }
}

/// The dashboard as a capability: static files, no SQL, no state of its own.
pub struct Dashboard;

impl Capability for Dashboard {
    const NAME: &'static str = "dashboard";
    type Settings = DashboardSettings;

    fn validate(settings: &DashboardSettings) -> Result<(), String> {
        match &settings.dashboard_dir {
            Some(dir) if !dir.join("index.html").is_file() => Err(format!(
                "dashboard_dir {} has no index.html: build the dashboard there (cd dashboard && npm run build) or unset OXFORGE_DASHBOARD_DIR",
                dir.display()
            )),
            _ => Ok(()),
        }
    }

    fn router(_: &mut Shared, settings: &DashboardSettings) -> Result<Router, String> {
        if !settings.dashboard {
            return Ok(Router::new());
        }
        Ok(serve::router(settings.dashboard_dir.clone()))
    }
}

/// The path a person opens first (the start-up summary prints it).
pub const LOGIN_PATH: &str = "/dashboard/login";
