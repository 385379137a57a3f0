/// PostgREST's error: an HTTP status and the body `{code, details, hint, message}`.
///
/// The dialect's whole error vocabulary lives here — parse errors (`PGRST1xx`), schema-cache
/// misses (`PGRST2xx`, `42P01`) and the database's own SQLSTATEs — so every stage reports
/// failures the same way and the HTTP layer renders them in one place.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{code}: {message}")]
pub struct PgrstError {
    pub status: u16,
    pub code: String,
    pub message: String,
    pub details: Option<String>,
    pub hint: Option<String>,
}

/// Errors found while parsing a request.
pub type ApiRequestError = PgrstError;

impl PgrstError {
    pub fn new(status: u16, code: &str, message: impl Into<String>) -> Self {
        PgrstError {
            status,
            code: code.to_owned(),
            message: message.into(),
            details: None,
            hint: None,
        }
    }

    pub fn with_details(mut self, details: impl Into<String>) -> Self {
        self.details = Some(details.into());
        self
    }

    pub fn with_hint(mut self, hint: impl Into<String>) -> Self {
        self.hint = Some(hint.into());
        self
    }

    /// PGRST100: the query string does not parse.
    pub fn parse(what: &str, input: &str, details: impl Into<String>) -> Self {
        PgrstError::new(400, "PGRST100", format!("\"failed to parse {what} ({input})\"")).with_details(details)
    }

    /// 42P01, as PostgreSQL reports an unknown relation.
    pub fn table_not_found(schema: &str, table: &str) -> Self {
        PgrstError::new(404, "42P01", format!("relation \"{schema}.{table}\" does not exist"))
    }

    pub fn column_not_found(table: &str, column: &str) -> Self {
        PgrstError::new(
            400,
            "PGRST204",
            format!("Could not find the '{column}' column of '{table}' in the schema cache"),
        )
    }

    pub fn schema_not_found(schema: &str) -> Self {
        PgrstError::new(
            406,
            "PGRST106",
            format!("The schema '{schema}' is not exposed or does not exist"),
        )
    }

    /// PGRST116: `.single()` on zero or several rows.
    pub fn not_single(rows: i64) -> Self {
        PgrstError::new(406, "PGRST116", "JSON object requested, multiple (or no) rows returned")
            .with_details(format!("The result contains {rows} rows"))
    }

    /// Errors a stale schema cache could cause: worth one reload and a second try.
    pub fn may_be_stale(&self) -> bool {
        matches!(
            self.code.as_str(),
            "42P01" | "PGRST106" | "PGRST200" | "PGRST202" | "PGRST204"
        )
    }
}
