//! DDL for the table-management API: InsForge's column types, the automatic `id`,
//! `created_at`, `updated_at` columns and trigger, foreign keys, RLS. Identifiers are quoted;
//! types come from a fixed mapping or must look like a type name; foreign-key actions come from
//! an allowlist. Default values are SQL expressions from the admin (who can run SQL anyway).

use crate::builder::{ident, qualified};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ColumnDef {
    pub name: String,
    pub sql_type: String,
    pub default: Option<String>,
    pub primary_key: bool,
    pub nullable: bool,
    pub unique: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ForeignKeyDef {
    pub columns: Vec<String>,
    pub ref_table: String,
    pub ref_columns: Vec<String>,
    pub on_delete: &'static str,
    pub on_update: &'static str,
}

/// The columns every API-created table gets.
pub const AUTO_FIELDS: [&str; 3] = ["id", "created_at", "updated_at"];

/// Whether a column a client declares at table creation is one of the automatic columns: `None`
/// if `name` is not one; `Some(Ok(()))` if `api_type` is its type (`id` uuid, `created_at` and
/// `updated_at` datetime/timestamptz), so the declaration folds into the automatic column;
/// `Some(Err(expected))` with the InsForge type name it must have otherwise.
pub fn auto_field(name: &str, api_type: &str) -> Option<Result<(), &'static str>> {
    let (expected, sql_types): (&str, &[&str]) = match name {
        "id" => ("uuid", &["uuid"]),
        "created_at" | "updated_at" => ("datetime", &["timestamptz", "timestamp with time zone"]),
        _ => return None,
    };
    let given = sql_type(api_type.trim()).map(|t| t.to_ascii_lowercase());
    Some(match given {
        Some(t) if sql_types.contains(&t.as_str()) => Ok(()),
        _ => Err(expected),
    })
}

/// InsForge's type names, or a PostgreSQL type name (letters, digits, spaces, `_`, `(n[,m])`, `[]`).
pub fn sql_type(api_type: &str) -> Option<String> {
    let mapped = match api_type {
        "string" => "TEXT",
        "integer" => "INTEGER",
        "float" => "DOUBLE PRECISION",
        "boolean" => "BOOLEAN",
        "datetime" => "TIMESTAMPTZ",
        "date" => "DATE",
        "uuid" => "UUID",
        "json" => "JSONB",
        raw => {
            let base = raw.strip_suffix("[]").unwrap_or(raw);
            let (name, args) = match base.split_once('(') {
                Some((n, rest)) => (n, Some(rest.strip_suffix(')')?)),
                None => (base, None),
            };
            let name_ok = name.chars().next().is_some_and(|c| c.is_ascii_alphabetic())
                && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == ' ');
            let args_ok =
                args.is_none_or(|a| !a.is_empty() && a.chars().all(|c| c.is_ascii_digit() || c == ',' || c == ' '));
            return (name_ok && args_ok).then(|| raw.to_owned());
        }
    };
    Some(mapped.to_owned())
}

pub fn fk_action(action: Option<&str>) -> Option<&'static str> {
    match action.map(|a| a.to_ascii_uppercase()).as_deref() {
        None | Some("NO ACTION") => Some("NO ACTION"),
        Some("CASCADE") => Some("CASCADE"),
        Some("SET NULL") => Some("SET NULL"),
        Some("SET DEFAULT") => Some("SET DEFAULT"),
        Some("RESTRICT") => Some("RESTRICT"),
        _ => None,
    }
}

pub fn column_sql(c: &ColumnDef) -> String {
    let mut s = format!("{} {}", ident(&c.name), c.sql_type);
    if c.primary_key {
        s.push_str(" PRIMARY KEY");
    } else if !c.nullable {
        s.push_str(" NOT NULL");
    }
    if c.unique && !c.primary_key {
        s.push_str(" UNIQUE");
    }
    if let Some(default) = &c.default {
        s.push_str(&format!(" DEFAULT {default}"));
    }
    s
}

fn column_list(names: &[String]) -> String {
    names.iter().map(|n| ident(n)).collect::<Vec<_>>().join(", ")
}

pub fn foreign_key_sql(schema: &str, fk: &ForeignKeyDef) -> String {
    format!(
        "FOREIGN KEY ({}) REFERENCES {} ({}) ON DELETE {} ON UPDATE {}",
        column_list(&fk.columns),
        qualified(schema, &fk.ref_table),
        column_list(&fk.ref_columns),
        fk.on_delete,
        fk.on_update
    )
}

/// `CREATE TABLE` with the automatic fields, foreign keys, the `updated_at` trigger and RLS.
pub fn create_table(schema: &str, table: &str, columns: &[ColumnDef], fks: &[ForeignKeyDef], rls: bool) -> Vec<String> {
    let target = qualified(schema, table);
    let user_key = columns.iter().any(|c| c.primary_key);
    let mut parts = vec![if user_key {
        "\"id\" UUID NOT NULL DEFAULT gen_random_uuid() UNIQUE".to_owned()
    } else {
        "\"id\" UUID PRIMARY KEY DEFAULT gen_random_uuid()".to_owned()
    }];
    parts.extend(columns.iter().map(column_sql));
    parts.push("\"created_at\" TIMESTAMPTZ NOT NULL DEFAULT now()".into());
    parts.push("\"updated_at\" TIMESTAMPTZ NOT NULL DEFAULT now()".into());
    parts.extend(fks.iter().map(|fk| foreign_key_sql(schema, fk)));
    let mut statements = vec![
        format!("CREATE TABLE {target} ({})", parts.join(", ")),
        format!(
            "CREATE TRIGGER {} BEFORE UPDATE ON {target} FOR EACH ROW EXECUTE FUNCTION system.set_updated_at()",
            ident(&format!("{table}_updated_at"))
        ),
    ];
    if rls {
        statements.push(format!("ALTER TABLE {target} ENABLE ROW LEVEL SECURITY"));
    }
    statements
}

pub fn drop_table(schema: &str, table: &str) -> String {
    format!("DROP TABLE {} CASCADE", qualified(schema, table))
}

/// One change of `PATCH /api/database/tables/:t/schema`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Alteration {
    AddColumn(ColumnDef),
    DropColumn(String),
    SetDefault { column: String, default: Option<String> },
    RenameColumn { from: String, to: String },
    AddForeignKey(ForeignKeyDef),
    DropConstraint(String),
    RenameTable(String),
}

pub fn alter_table(schema: &str, table: &str, change: &Alteration) -> String {
    let target = qualified(schema, table);
    match change {
        Alteration::AddColumn(c) => format!("ALTER TABLE {target} ADD COLUMN {}", column_sql(c)),
        Alteration::DropColumn(c) => format!("ALTER TABLE {target} DROP COLUMN {}", ident(c)),
        Alteration::SetDefault {
            column,
            default: Some(d),
        } => format!("ALTER TABLE {target} ALTER COLUMN {} SET DEFAULT {d}", ident(column)),
        Alteration::SetDefault { column, default: None } => {
            format!("ALTER TABLE {target} ALTER COLUMN {} DROP DEFAULT", ident(column))
        }
        Alteration::RenameColumn { from, to } => {
            format!("ALTER TABLE {target} RENAME COLUMN {} TO {}", ident(from), ident(to))
        }
        Alteration::AddForeignKey(fk) => format!("ALTER TABLE {target} ADD {}", foreign_key_sql(schema, fk)),
        Alteration::DropConstraint(name) => format!("ALTER TABLE {target} DROP CONSTRAINT {}", ident(name)),
        Alteration::RenameTable(to) => format!("ALTER TABLE {target} RENAME TO {}", ident(to)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn types() {
        assert_eq!(sql_type("string").as_deref(), Some("TEXT"));
        assert_eq!(sql_type("json").as_deref(), Some("JSONB"));
        assert_eq!(sql_type("numeric(10,2)").as_deref(), Some("numeric(10,2)"));
        assert_eq!(
            sql_type("character varying(20)[]").as_deref(),
            Some("character varying(20)[]")
        );
        for bad in ["text; drop table x", "int)", "(1)", "t\"x", ""] {
            assert_eq!(sql_type(bad), None, "{bad}");
        }
        assert_eq!(fk_action(Some("cascade")), Some("CASCADE"));
        assert_eq!(fk_action(Some("drop")), None);
    }

    #[test]
    fn automatic_columns_fold_only_with_their_type() {
        for (name, kind) in [
            ("id", "uuid"),
            ("id", "UUID"),
            ("created_at", "datetime"),
            ("updated_at", "timestamptz"),
            ("created_at", "timestamp with time zone"),
        ] {
            assert_eq!(auto_field(name, kind), Some(Ok(())), "{name} {kind}");
        }
        assert_eq!(auto_field("id", "string"), Some(Err("uuid")));
        assert_eq!(auto_field("id", "integer"), Some(Err("uuid")));
        assert_eq!(auto_field("created_at", "date"), Some(Err("datetime")));
        assert_eq!(auto_field("updated_at", "timestamp"), Some(Err("datetime")));
        assert_eq!(auto_field("title", "uuid"), None);
    }

    #[test]
    fn create() {
        let col = ColumnDef {
            name: "title\"x".into(),
            sql_type: "TEXT".into(),
            default: None,
            primary_key: false,
            nullable: false,
            unique: true,
        };
        let sql = create_table("public", "posts", &[col], &[], true);
        assert!(
            sql[0].starts_with("CREATE TABLE \"public\".\"posts\" (\"id\" UUID PRIMARY KEY"),
            "{}",
            sql[0]
        );
        assert!(sql[0].contains("\"title\"\"x\" TEXT NOT NULL UNIQUE"), "{}", sql[0]);
        assert!(sql[1].contains("system.set_updated_at()"));
        assert_eq!(sql[2], "ALTER TABLE \"public\".\"posts\" ENABLE ROW LEVEL SECURITY");
    }
}
