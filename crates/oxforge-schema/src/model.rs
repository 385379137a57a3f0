//! What the cache holds.

use std::collections::HashMap;

use serde::Deserialize;

#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
pub struct Column {
    pub name: String,
    /// `format_type()` of the column, e.g. `text`, `integer`, `timestamp with time zone`.
    pub data_type: String,
    pub nullable: bool,
    pub has_default: bool,
    /// The column's `DEFAULT` expression as PostgreSQL prints it (from the catalog, never from a request).
    #[serde(default)]
    pub default_expr: Option<String>,
}

impl Column {
    /// A nullable column without default (for building caches by hand, e.g. in tests and benches).
    pub fn new(name: &str, data_type: &str) -> Self {
        Column {
            name: name.into(),
            data_type: data_type.into(),
            nullable: true,
            has_default: false,
            default_expr: None,
        }
    }

    /// Text-like columns keep `""` values (InsForge drops `""` for all other types).
    pub fn is_text_like(&self) -> bool {
        let t = self.data_type.as_str();
        t == "text"
            || t == "citext"
            || t.starts_with("character varying")
            || t.starts_with("character(")
            || t == "character"
            || t == "name"
    }
}

#[derive(Debug, Clone, Deserialize)]
pub struct Table {
    pub schema: String,
    pub name: String,
    /// `r` table, `p` partitioned, `v` view, `m` materialized view, `f` foreign table.
    pub kind: String,
    pub columns: Vec<Column>,
    pub primary_key: Vec<String>,
}

impl Table {
    /// An ordinary table of `text` columns keyed by `id`.
    pub fn with_text_columns(schema: &str, name: &str, columns: &[&str]) -> Self {
        Table {
            schema: schema.into(),
            name: name.into(),
            kind: "r".into(),
            columns: columns.iter().map(|c| Column::new(c, "text")).collect(),
            primary_key: vec!["id".into()],
        }
    }

    pub fn column(&self, name: &str) -> Option<&Column> {
        self.columns.iter().find(|c| c.name == name)
    }
}

/// A foreign key `schema.table(columns) → ref_schema.ref_table(ref_columns)`.
#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
pub struct ForeignKey {
    pub name: String,
    pub schema: String,
    pub table: String,
    pub columns: Vec<String>,
    pub ref_schema: String,
    pub ref_table: String,
    pub ref_columns: Vec<String>,
}

impl ForeignKey {
    /// A one-column foreign key `schema.table(column) → schema.ref_table(id)`.
    pub fn to_id(name: &str, schema: &str, table: &str, column: &str, ref_table: &str) -> Self {
        ForeignKey {
            name: name.into(),
            schema: schema.into(),
            table: table.into(),
            columns: vec![column.into()],
            ref_schema: schema.into(),
            ref_table: ref_table.into(),
            ref_columns: vec!["id".into()],
        }
    }
}

#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
pub struct Param {
    pub name: String,
    pub data_type: String,
    pub has_default: bool,
}

#[derive(Debug, Clone, Deserialize)]
pub struct Routine {
    pub schema: String,
    pub name: String,
    pub params: Vec<Param>,
    pub return_type: String,
    pub returns_set: bool,
    /// The result is a row (a table type or a composite): objects rather than scalars.
    pub returns_composite: bool,
    pub volatile: bool,
}

#[derive(Debug, Clone, Default)]
pub struct SchemaCache {
    schemas: Vec<String>,
    tables: HashMap<(String, String), Table>,
    foreign_keys: Vec<ForeignKey>,
    routines: HashMap<(String, String), Vec<Routine>>,
    /// A hash of the introspection document: equal fingerprints, equal schemas.
    fingerprint: u64,
}

impl SchemaCache {
    pub fn new(tables: Vec<Table>, foreign_keys: Vec<ForeignKey>, routines: Vec<Routine>) -> Self {
        let mut by_name: HashMap<(String, String), Vec<Routine>> = HashMap::new();
        for r in routines {
            by_name.entry((r.schema.clone(), r.name.clone())).or_default().push(r);
        }
        SchemaCache {
            schemas: Vec::new(),
            tables: tables
                .into_iter()
                .map(|t| ((t.schema.clone(), t.name.clone()), t))
                .collect(),
            foreign_keys,
            routines: by_name,
            fingerprint: 0,
        }
    }

    pub fn table(&self, schema: &str, name: &str) -> Option<&Table> {
        self.tables.get(&(schema.to_owned(), name.to_owned()))
    }

    /// The names of the cached tables (and views) of `schema`.
    pub fn table_names<'a>(&'a self, schema: &'a str) -> impl Iterator<Item = &'a str> + 'a {
        self.tables
            .keys()
            .filter(move |(s, _)| s == schema)
            .map(|(_, name)| name.as_str())
    }

    pub fn routines(&self, schema: &str, name: &str) -> &[Routine] {
        self.routines
            .get(&(schema.to_owned(), name.to_owned()))
            .map(Vec::as_slice)
            .unwrap_or(&[])
    }

    pub fn foreign_keys(&self) -> &[ForeignKey] {
        &self.foreign_keys
    }

    /// The exposed schemas (every schema but `pg_*`, `information_schema` and `system`).
    pub fn with_schemas(mut self, schemas: Vec<String>) -> Self {
        self.schemas = schemas;
        self
    }

    pub fn with_fingerprint(mut self, fingerprint: u64) -> Self {
        self.fingerprint = fingerprint;
        self
    }

    pub fn fingerprint(&self) -> u64 {
        self.fingerprint
    }

    pub fn has_schema(&self, schema: &str) -> bool {
        self.schemas.iter().any(|s| s == schema)
            || self.tables.keys().any(|(s, _)| s == schema)
            || self.routines.keys().any(|(s, _)| s == schema)
    }

    /// Whether some cached column has the type `name` (as `format_type` prints it, without
    /// modifiers or `[]`, compared case-insensitively).
    pub fn has_column_type(&self, name: &str) -> bool {
        self.tables.values().flat_map(|t| &t.columns).any(|c| {
            let base = c.data_type.split(['(', '[']).next().unwrap_or_default().trim();
            base.eq_ignore_ascii_case(name)
        })
    }

    pub fn table_count(&self) -> usize {
        self.tables.len()
    }
}
