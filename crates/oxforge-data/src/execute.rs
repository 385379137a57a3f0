//! Running a statement as the caller: the role and claims of the caller's credential, the
//! statement timeout of its role, `tx=rollback`, one round trip (`oxforge_db::exec::run_as`);
//! a database failure becomes PostgREST's error (`oxforge_edge::pgrst::database_error`).

use oxforge_api_request::{Preferences, ReturnPreference};
use oxforge_auth::{Principal, Role, now_seconds};
use oxforge_db::exec::{Outcome, RequestContext, run_as};
use oxforge_edge::Reject;
use oxforge_edge::pgrst::database_error;
use oxforge_sql::Statement;

use crate::DataState;

/// Runs a statement as the caller, with an `EXPLAIN` for a planned count in the same transaction
/// when `explain` is given.
pub async fn execute(
    state: &DataState,
    principal: &Principal,
    statement: &Statement,
    explain: Option<&Statement>,
    read_only: bool,
    prefs: &Preferences,
) -> Result<Outcome, Reject> {
    let claims = principal.database_claims(now_seconds()).to_string();
    let ctx = RequestContext {
        role: principal.role().as_str(),
        claims: &claims,
        read_only,
        rollback: prefs.tx_rollback,
        statement_timeout_ms: match principal.role() {
            Role::ProjectAdmin => state.settings.admin_statement_timeout_ms,
            Role::Anon | Role::Authenticated => state.settings.statement_timeout_ms,
        },
    };
    let explain = explain.map(|e| (e.sql.as_str(), e.params.as_slice()));
    run_as(&state.pool, ctx, (&statement.sql, &statement.params), explain)
        .await
        .map_err(|e| {
            let representation = prefs.return_ == Some(ReturnPreference::Representation);
            database_error(e, principal.role(), representation)
        })
}
