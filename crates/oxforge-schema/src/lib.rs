//! The schema cache: what the planner resolves names against.
//!
//! Loaded by one introspection query (one round trip, one JSON document) and swapped in
//! atomically, so requests in flight keep the snapshot they started with and a reload never
//! blocks them. DDL fires `NOTIFY pgrst, 'reload schema'` (an event trigger installed by the
//! bootstrap schema, and InsForge's own convention), which every oxforge process on the
//! database listens to.

mod cache;
mod introspect;
mod model;

pub use cache::{SchemaCacheHandle, spawn_listener, spawn_listener_with};
pub use introspect::load;
pub use model::{Column, ForeignKey, Param, Routine, SchemaCache, Table};
