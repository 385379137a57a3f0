//! The PostgREST dialect as `@supabase/postgrest-js` speaks it, parsed into types.
//!
//! Pure: strings in, a typed request (or a PostgREST `PGRST1xx` error) out. Nothing here
//! touches the network, the database or the schema; the planner resolves names later.

pub mod cast;
mod error;
pub mod field;
pub mod filter;
pub mod headers;
pub mod logic;
pub mod order;
pub mod query;
pub mod select;
mod split;

pub use cast::{Cast, CastName};
pub use error::{ApiRequestError, PgrstError};
pub use field::{Field, JsonKey, JsonStep};
pub use filter::{Condition, IsValue, Operand, Operator, Quantifier};
pub use headers::{
    CountPreference, Handling, MediaType, Missing, Preferences, Resolution, ReturnPreference, Token, Transaction,
};
pub use logic::LogicTree;
pub use order::{Direction, Nulls, OrderTerm};
pub use query::QueryParams;
pub use select::{Embed, SelectItem};
