/// A name the schema cache does not know, as PostgREST reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlanError {
    pub status: u16,
    pub code: String,
    pub message: String,
    pub details: Option<String>,
    pub hint: Option<String>,
}

impl PlanError {
    pub fn new(status: u16, code: &str, message: impl Into<String>) -> Self {
        PlanError {
            status,
            code: code.to_owned(),
            message: message.into(),
            details: None,
            hint: None,
        }
    }

    pub fn table_not_found(schema: &str, table: &str) -> Self {
        PlanError::new(404, "42P01", format!("relation \"{schema}.{table}\" does not exist"))
    }

    pub fn schema_not_found(schema: &str) -> Self {
        PlanError::new(
            406,
            "PGRST106",
            format!("The schema '{schema}' is not exposed or does not exist"),
        )
    }

    /// Errors a stale schema cache could cause: worth one reload and a second try.
    pub fn may_be_stale(&self) -> bool {
        matches!(
            self.code.as_str(),
            "42P01" | "PGRST106" | "PGRST200" | "PGRST202" | "PGRST204"
        )
    }

    pub fn column_not_found(table: &str, column: &str) -> Self {
        PlanError::new(
            400,
            "PGRST204",
            format!("Could not find the '{column}' column of '{table}' in the schema cache"),
        )
    }

    pub fn with_details(mut self, details: impl Into<String>) -> Self {
        self.details = Some(details.into());
        self
    }

    pub fn with_hint(mut self, hint: impl Into<String>) -> Self {
        self.hint = Some(hint.into());
        self
    }
}
