//! The capabilities this build is made of, listed once: the rest of the server (and the test
//! harness) reads them from here. Adding a capability is its crate and one line in the
//! `capabilities!` list at the end of this file; the list's order is the order of their
//! bootstrap SQL (a component's steps may rely on those before it) and of their routes.

use axum::Router;
use oxforge_db::Component;
use oxforge_edge::settings::Section;
use oxforge_edge::{Capability, Shared};

use crate::StartError;

/// Expands the list into: [`Sections`] (every capability's settings, flattened into the
/// configuration), their environment variables, their validation, their routers, and the
/// bootstrap components.
macro_rules! capabilities {
    ($( $(#[$meta:meta])* $field:ident : $capability:ty ),* $(,)?) => {
        /// Every capability's settings section, flattened into [`crate::Config`]: their keys are
        /// top-level keys of `oxforge.toml`.
        #[derive(Debug, Clone, Default, serde::Serialize, serde::Deserialize)]
        pub struct Sections {
            $(
                $(#[$meta])*
                #[serde(flatten)]
                pub $field: <$capability as Capability>::Settings,
            )*
        }

        impl Sections {
            /// Every capability's environment variables, and the key each one fills.
            pub fn env() -> Vec<(&'static str, &'static str)> {
                let mut env: Vec<(&'static str, &'static str)> = Vec::new();
                $( $(#[$meta])* env.extend_from_slice(<<$capability as Capability>::Settings as Section>::ENV); )*
                env
            }

            /// Refuses settings a capability cannot work with.
            pub fn validate(&self) -> Result<(), StartError> {
                $(
                    $(#[$meta])*
                    <$capability as Capability>::validate(&self.$field).map_err(StartError::Config)?;
                )*
                Ok(())
            }

            /// Every capability's routes, in list order.
            pub fn routers(&self, shared: &mut Shared) -> Result<Vec<Router>, StartError> {
                // Every route may record admin actions in the audit trail.
                let recorder = oxforge_edge::audit::Recorder::new(shared.owner_pool.clone(), shared.proxies.clone());
                let mut routers = Vec::new();
                $(
                    $(#[$meta])*
                    routers.push(<$capability as Capability>::router(shared, &self.$field).map_err(|e| {
                        StartError::Config(format!("{}: {e}", <$capability as Capability>::NAME))
                    })?.layer(axum::Extension(recorder.clone())));
                )*
                Ok(routers)
            }
        }

        /// The bootstrap SQL components, in the order they are applied: core first, then each
        /// capability's own.
        pub fn sql_components() -> Vec<Component> {
            let mut components = vec![oxforge_db::CORE];
            $(
                $(#[$meta])*
                components.push(Component {
                    name: <$capability as Capability>::NAME,
                    steps: <$capability as Capability>::SQL,
                });
            )*
            components
        }
    };
}

capabilities! {
    accounts: oxforge_accounts::AccountsCapability,
    data: oxforge_data::Data,
    database: oxforge_database::Database,
    storage: oxforge_storage::Storage,
    project: oxforge_project::Project,
    logs: oxforge_logs::Logs,
    docs: oxforge_docs::Docs,
    #[cfg(feature = "dashboard")]
    dashboard: oxforge_dashboard::Dashboard,
}
