//! Planning: resolve a parsed request against a schema-cache snapshot.
//!
//! The output names real tables, columns, relationships and routine parameters, so the SQL
//! generator only has to quote and bind. Errors here are PostgREST's "does not exist" family
//! (`42P01`, `PGRST200`, `PGRST202`, `PGRST204`…), produced without a database round trip.

mod call;
mod error;
mod mutate;
mod read;
mod suggest;

pub use call::{CallPlan, plan_call};
pub use error::PlanError;
pub use mutate::{MutatePlan, Mutation, plan_delete, plan_insert, plan_put, plan_update};
pub use read::{EmbedPlan, JoinKind, ProjItem, ReadPlan, plan_read};

/// `schema.name`, resolved.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QualifiedName {
    pub schema: String,
    pub name: String,
}
