//! The grid's table, as the catalog describes it: its columns (name, type, whether text, whether
//! in the primary key) read inside the request's transaction, and the SQL pieces built from them.
//! Identifiers and type names in SQL text come from here only, quoted; values are parameters.

use std::collections::HashMap;

use oxforge_db::deadpool_postgres::Transaction;
use oxforge_edge::ApiError;
use oxforge_sql::ident;
use serde_json::Value;

use crate::error::sql_error;

pub struct Column {
    pub name: String,
    /// `format_type(atttypid, NULL)`: quoted and qualified by PostgreSQL, without a typmod (an
    /// explicit cast to `varchar(n)` would truncate; assignment checks it instead).
    pub sql_type: String,
    /// `text`, `character varying`, `character` or `citext`: searched, and `""` kept as a value.
    pub text: bool,
    pub primary_key: bool,
}

pub struct Table {
    /// `"schema"."table"`.
    pub qualified: String,
    pub columns: Vec<Column>,
}

/// A statement's parameters: every value travels as text (or `NULL`) and is cast in SQL.
#[derive(Default)]
pub struct Params(pub Vec<Option<String>>);

impl Params {
    /// `$n::text::<type>` for `value`.
    pub fn typed(&mut self, value: Option<String>, column: &Column) -> String {
        self.0.push(value);
        format!("${}::text::{}", self.0.len(), column.sql_type)
    }

    /// `$n::text`.
    pub fn text(&mut self, value: String) -> String {
        self.0.push(Some(value));
        format!("${}::text", self.0.len())
    }
}

/// A JSON value as the text PostgreSQL parses for its column (`None` for `null`): a JSON array
/// for an array column becomes an array literal, anything else its JSON text (a string its
/// contents).
pub fn text_of(value: &Value, column: &Column) -> Option<String> {
    match value {
        Value::Null => None,
        Value::String(s) => Some(s.clone()),
        Value::Array(items) if column.sql_type.ends_with("[]") => Some(array_literal(items)),
        other => Some(other.to_string()),
    }
}

/// `{"a","b \"c\"",NULL,{"1","2"}}`: every element quoted, so any text is taken literally.
fn array_literal(items: &[Value]) -> String {
    let elements: Vec<String> = items
        .iter()
        .map(|item| match item {
            Value::Null => "NULL".to_owned(),
            Value::Array(inner) => array_literal(inner),
            Value::String(s) => quoted_element(s),
            other => quoted_element(&other.to_string()),
        })
        .collect();
    format!("{{{}}}", elements.join(","))
}

fn quoted_element(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    out.push('"');
    for c in text.chars() {
        if matches!(c, '"' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out.push('"');
    out
}

pub fn db(e: tokio_postgres::Error) -> ApiError {
    sql_error(&e)
}

const COLUMNS: &str = "\
SELECT a.attname::text, format_type(a.atttypid, NULL), t.typname::text IN ('text', 'varchar', 'bpchar', 'citext'), \
       COALESCE(a.attnum = ANY (i.indkey), false), format('%I.%I', n.nspname, c.relname) \
FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace \
JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped \
JOIN pg_type t ON t.oid = a.atttypid \
LEFT JOIN pg_index i ON i.indrelid = c.oid AND i.indisprimary \
WHERE n.nspname = $1 AND c.relname = $2 AND c.relkind IN ('r', 'p', 'v', 'm', 'f') \
ORDER BY a.attnum";

impl Table {
    /// The table's columns, or `None` when there is no such table.
    pub async fn read(tx: &Transaction<'_>, schema: &str, table: &str) -> Result<Option<Table>, ApiError> {
        let rows = tx.query(COLUMNS, &[&schema, &table]).await.map_err(db)?;
        let Some(first) = rows.first() else {
            return Ok(None);
        };
        let qualified: String = first.try_get(4).map_err(db)?;
        let mut columns = Vec::with_capacity(rows.len());
        for row in &rows {
            columns.push(Column {
                name: row.try_get(0).map_err(db)?,
                sql_type: row.try_get(1).map_err(db)?,
                text: row.try_get(2).map_err(db)?,
                primary_key: row.try_get(3).map_err(db)?,
            });
        }
        Ok(Some(Table { qualified, columns }))
    }

    /// The column named `name`, or `400 INVALID_INPUT`.
    pub fn column(&self, name: &str) -> Result<&Column, ApiError> {
        self.columns
            .iter()
            .find(|c| c.name == name)
            .ok_or_else(|| ApiError::invalid_input(format!("Unknown column: {name:?}")))
    }

    /// The columns a row is identified by: the primary key, or every column of a keyless table.
    pub fn key(&self) -> Vec<&Column> {
        let key: Vec<&Column> = self.columns.iter().filter(|c| c.primary_key).collect();
        if key.is_empty() {
            self.columns.iter().collect()
        } else {
            key
        }
    }

    /// `(a = $1::text::t AND b IS NULL)` for one key tuple, which must name exactly the key.
    pub fn key_match(&self, keys: &Value, params: &mut Params) -> Result<String, ApiError> {
        let Value::Object(keys) = keys else {
            return Err(ApiError::invalid_input("pkKeys: expected an object of key columns"));
        };
        let key = self.key();
        let names: Vec<&str> = key.iter().map(|c| c.name.as_str()).collect();
        if keys.len() != key.len() || keys.keys().any(|k| !names.contains(&k.as_str())) {
            return Err(ApiError::invalid_input(format!(
                "pkKeys: expected exactly the key columns {names:?}"
            )));
        }
        let mut parts = Vec::with_capacity(key.len());
        for column in key {
            let value = keys.get(&column.name).unwrap_or(&Value::Null);
            parts.push(match text_of(value, column) {
                None => format!("{} IS NULL", ident(&column.name)),
                Some(text) => format!("{} = {}", ident(&column.name), params.typed(Some(text), column)),
            });
        }
        Ok(format!("({})", parts.join(" AND ")))
    }

    /// A row's values for an insert or an update, each column known: `""` for a non-text column
    /// is `on_empty` (dropped for an insert so that its default applies, `NULL` for an update).
    pub fn values<'a>(
        &'a self,
        row: &'a serde_json::Map<String, Value>,
        on_empty: OnEmpty,
    ) -> Result<Vec<(&'a Column, Option<String>)>, ApiError> {
        let mut out = Vec::with_capacity(row.len());
        for (name, value) in row {
            let column = self.column(name)?;
            match (value, column.text, on_empty) {
                (Value::String(s), false, OnEmpty::Drop) if s.is_empty() => {}
                (Value::String(s), false, OnEmpty::Null) if s.is_empty() => out.push((column, None)),
                _ => out.push((column, text_of(value, column))),
            }
        }
        Ok(out)
    }
}

#[derive(Clone, Copy)]
pub enum OnEmpty {
    Drop,
    Null,
}

/// Pairs of a query string, by name.
pub struct Pairs(HashMap<String, Vec<String>>);

impl Pairs {
    pub fn new(pairs: Vec<(String, String)>) -> Pairs {
        let mut map: HashMap<String, Vec<String>> = HashMap::new();
        for (k, v) in pairs {
            map.entry(k).or_default().push(v);
        }
        Pairs(map)
    }

    pub fn one(&self, name: &str) -> Option<&str> {
        self.0.get(name).and_then(|v| v.first()).map(String::as_str)
    }

    pub fn all(&self, name: &str) -> &[String] {
        self.0.get(name).map_or(&[], Vec::as_slice)
    }

    /// `?schema=`, `public` when absent or empty.
    pub fn schema(&self) -> &str {
        self.one("schema").filter(|s| !s.is_empty()).unwrap_or("public")
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn column(sql_type: &str) -> Column {
        Column {
            name: "c".into(),
            sql_type: sql_type.into(),
            text: false,
            primary_key: false,
        }
    }

    #[test]
    fn values_as_text() {
        let array = column("text[]");
        assert_eq!(
            text_of(&json!(["a", "b \"c\" \\", null, 1, ["x"]]), &array).as_deref(),
            Some(r#"{"a","b \"c\" \\",NULL,"1",{"x"}}"#)
        );
        let jsonb = column("jsonb");
        assert_eq!(
            text_of(&json!([1, {"a": true}]), &jsonb).as_deref(),
            Some(r#"[1,{"a":true}]"#)
        );
        assert_eq!(text_of(&json!("x"), &jsonb).as_deref(), Some("x"));
        assert_eq!(text_of(&json!(null), &jsonb), None);
        assert_eq!(text_of(&json!(1.5), &column("numeric")).as_deref(), Some("1.5"));
    }
}
