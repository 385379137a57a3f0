//! The capabilities this build is made of, in the one place the rest of the server (and the
//! test harness) reads them from.

/// The bootstrap SQL components, in the order they are applied: core first, then each
/// capability's own `SQL` component (accounts, storage, realtime…), each added here once its
/// crate owns its SQL. Keep the order fixed: a component's steps may rely on those before it.
pub fn sql_components() -> Vec<oxforge_db::Component> {
    vec![oxforge_db::CORE]
}
