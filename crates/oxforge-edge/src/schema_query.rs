//! `?schema=`: the schema an admin route reads or changes, as InsForge's routes take it.

use serde::Deserialize;

use crate::ApiError;

#[derive(Debug, Default, Deserialize)]
pub struct SchemaQuery {
    schema: Option<String>,
}

impl SchemaQuery {
    /// The schema named, `public` when none is (or an empty one).
    pub fn name(&self) -> &str {
        self.schema.as_deref().filter(|s| !s.is_empty()).unwrap_or("public")
    }

    /// `404 TABLE_NOT_FOUND`: "Table <schema>.<table> not found".
    pub fn table_not_found(&self, table: &str) -> ApiError {
        ApiError::not_found("TABLE_NOT_FOUND", format!("Table {}.{table} not found", self.name()))
    }
}

#[cfg(test)]
mod tests {
    use super::SchemaQuery;

    #[test]
    fn public_unless_named() {
        let named = |schema: Option<&str>| SchemaQuery {
            schema: schema.map(str::to_owned),
        };
        assert_eq!(named(None).name(), "public");
        assert_eq!(named(Some("")).name(), "public");
        assert_eq!(named(Some("app")).name(), "app");
        assert_eq!(named(Some("app")).table_not_found("t").message, "Table app.t not found");
    }
}
