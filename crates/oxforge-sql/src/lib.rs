//! SQL generation: plans in, one statement out.
//!
//! Every statement returns one row of three columns — the total count (or NULL), the number of
//! rows in this response, and the response body as JSON text built by PostgreSQL — so the
//! server never decodes rows. Identifiers are always quoted ([`ident`]); every value from the
//! request is a parameter (`$n`, sent as text and typed by PostgreSQL from its context);
//! operators and keywords come from fixed tables.

mod builder;
mod call;
pub mod ddl;
mod expr;
mod mutate;
mod read;

pub use builder::{Statement, ident};
pub use call::{CallShape, call_statement};
pub use mutate::mutate_statement;
pub use read::{Shape, Total, explain_count_statement, read_statement};
