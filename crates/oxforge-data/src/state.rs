//! What the data API's handlers reach: built once at start, cloned per request (a few `Arc`s).

use std::sync::Arc;

use axum::extract::FromRef;
use oxforge_auth::Authenticator;
use oxforge_db::Pool;
use oxforge_schema::SchemaCacheHandle;

use crate::DataSettings;
use crate::client_limit::ClientLimiter;

#[derive(Clone)]
pub struct DataState {
    /// The `authenticator`'s connections for the data API (prepared statements kept).
    pub(crate) pool: Pool,
    pub(crate) auth: Arc<Authenticator>,
    pub(crate) schema: Arc<SchemaCacheHandle>,
    /// In-flight requests per client address; `None` turns the bound off.
    pub(crate) client_limiter: Option<Arc<ClientLimiter>>,
    pub(crate) settings: Arc<DataSettings>,
}

impl DataState {
    pub fn new(
        pool: Pool,
        auth: Arc<Authenticator>,
        schema: Arc<SchemaCacheHandle>,
        settings: DataSettings,
        client_limiter: Option<ClientLimiter>,
    ) -> DataState {
        DataState {
            pool,
            auth,
            schema,
            client_limiter: client_limiter.map(Arc::new),
            settings: Arc::new(settings),
        }
    }

    pub fn settings(&self) -> &DataSettings {
        &self.settings
    }
}

impl FromRef<DataState> for Arc<Authenticator> {
    fn from_ref(state: &DataState) -> Self {
        Arc::clone(&state.auth)
    }
}
