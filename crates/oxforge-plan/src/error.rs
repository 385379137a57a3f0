/// A name the schema cache does not know (or a request it cannot serve), as PostgREST reports it.
pub use oxforge_api_request::PgrstError as PlanError;
