//! `db query|import|export|tables|describe|policies|functions|indexes|triggers|migrations`, and `metadata`.

use std::io::Read;
use std::path::Path;

use clap::Subcommand;
use serde_json::{Value, json};

use super::{client, migrations};
use crate::output::cell;
use crate::{CliError, Output};

#[derive(Subcommand)]
pub enum DbCommand {
    /// Run SQL (as project_admin; --unrestricted as the database owner). SQL from the argument,
    /// --file, or stdin (no argument or `-`).
    Query {
        /// The SQL; `-` or nothing reads it from stdin
        sql: Option<String>,
        /// Read the SQL from this file
        #[arg(long)]
        file: Option<std::path::PathBuf>,
        /// A parameter for $1, $2… (repeat)
        #[arg(long = "param")]
        params: Vec<String>,
        /// Run as the database owner (no role switch, RLS bypassed) instead of project_admin
        #[arg(long)]
        unrestricted: bool,
    },
    /// Tables of a schema.
    Tables {
        /// The schema
        #[arg(long, default_value = "public")]
        schema: String,
    },
    /// Columns, keys and RLS of one table.
    Describe {
        /// The table's name
        table: String,
        /// The schema
        #[arg(long, default_value = "public")]
        schema: String,
    },
    /// Row Level Security policies.
    Policies {
        /// The schema
        #[arg(long, default_value = "public")]
        schema: String,
    },
    /// Functions of a schema.
    Functions {
        /// The schema
        #[arg(long, default_value = "public")]
        schema: String,
    },
    /// Indexes of a schema.
    Indexes {
        /// The schema
        #[arg(long, default_value = "public")]
        schema: String,
    },
    /// Triggers of a schema.
    Triggers {
        /// The schema
        #[arg(long, default_value = "public")]
        schema: String,
    },
    /// Import a CSV (with a header row) or JSON array of objects into a table, all rows or none.
    Import {
        /// The file (.csv or .json)
        file: std::path::PathBuf,
        /// The table
        #[arg(long)]
        table: String,
        /// Update rows whose value in this (unique) column exists instead of failing
        #[arg(long)]
        upsert_key: Option<String>,
        /// The schema
        #[arg(long, default_value = "public")]
        schema: String,
    },
    /// Export a table as CSV or JSON (to stdout, or -o FILE).
    Export {
        /// The table
        table: String,
        /// csv or json
        #[arg(long, default_value = "csv")]
        format: String,
        /// Write to this file instead of stdout
        #[arg(short, long)]
        output: Option<std::path::PathBuf>,
        /// The schema
        #[arg(long, default_value = "public")]
        schema: String,
    },
    /// Migrations in ./migrations/<digits>_<name>.sql.
    #[command(subcommand)]
    Migrations(migrations::MigrationsCommand),
}

fn rows_of(body: &Value, key: &str, columns: &[&str]) -> Vec<Vec<String>> {
    body[key]
        .as_array()
        .map(|items| {
            items
                .iter()
                .map(|item| columns.iter().map(|c| cell(&item[*c])).collect())
                .collect()
        })
        .unwrap_or_default()
}

pub async fn run(cmd: DbCommand, out: Output, dir: &Path) -> Result<(), CliError> {
    if let DbCommand::Migrations(cmd) = cmd {
        return migrations::run(cmd, out, dir).await;
    }
    let api = client(dir)?;
    match cmd {
        DbCommand::Query {
            sql,
            file,
            params,
            unrestricted,
        } => {
            let query = match (sql.as_deref(), file) {
                (_, Some(path)) => {
                    std::fs::read_to_string(&path).map_err(|e| CliError::general(format!("{}: {e}", path.display())))?
                }
                (Some(s), None) if s != "-" => s.to_owned(),
                _ => {
                    let mut s = String::new();
                    std::io::stdin().read_to_string(&mut s)?;
                    s
                }
            };
            let risky = super::sql_guard::destructive(&query);
            if !risky.is_empty() && !out.confirm(&format!("This removes data ({})", risky.join("; ")))? {
                return Err(CliError::general("Not run."));
            }
            let path = if unrestricted {
                "/api/database/advance/rawsql/unrestricted"
            } else {
                "/api/database/advance/rawsql"
            };
            let body = out
                .spin("Running…", api.post(path, &json!({ "query": query, "params": params })))
                .await?;
            let fields: Vec<String> = body["fields"]
                .as_array()
                .map(|f| f.iter().map(|x| cell(&x["name"])).collect())
                .unwrap_or_default();
            if !fields.is_empty() {
                let rows: Vec<Vec<String>> = body["rows"]
                    .as_array()
                    .map(|rows| {
                        rows.iter()
                            .map(|r| fields.iter().map(|f| cell(&r[f.as_str()])).collect())
                            .collect()
                    })
                    .unwrap_or_default();
                let headers: Vec<&str> = fields.iter().map(String::as_str).collect();
                out.table(&headers, &rows, "");
            }
            out.info(&format!("{} row(s) returned.", cell(&body["rowCount"])));
            // The server's warnings (tables anon can read with RLS off): on stderr, so they are
            // seen even when stdout goes to a file; with --json they stay in the value.
            if !out.json {
                for warning in body["warnings"].as_array().into_iter().flatten() {
                    eprintln!("warning: {}", cell(warning));
                }
            }
            out.json_value(&body);
        }
        DbCommand::Import {
            file,
            table,
            upsert_key,
            schema,
        } => super::bulk::import(&api, out, &file, &table, &schema, upsert_key.as_deref()).await?,
        DbCommand::Export {
            table,
            format,
            output,
            schema,
        } => super::bulk::export(&api, out, &table, &schema, &format, output).await?,
        DbCommand::Tables { schema } => {
            let body = api.get(&format!("/api/database/tables?schema={schema}")).await?;
            let rows: Vec<Vec<String>> = body
                .as_array()
                .map(|t| t.iter().map(|n| vec![cell(n)]).collect())
                .unwrap_or_default();
            out.table(&["Table"], &rows, "No tables found.");
            out.json_value(&body);
        }
        DbCommand::Describe { table, schema } => {
            let body = api
                .get(&format!("/api/database/tables/{table}/schema?schema={schema}"))
                .await?;
            let rows = rows_of(
                &body,
                "columns",
                &[
                    "columnName",
                    "type",
                    "isNullable",
                    "isPrimaryKey",
                    "isUnique",
                    "defaultValue",
                ],
            );
            out.table(
                &["Column", "Type", "Nullable", "Primary key", "Unique", "Default"],
                &rows,
                "No columns.",
            );
            out.info(&format!(
                "Row Level Security: {}",
                if body["rlsEnabled"] == true {
                    "enabled"
                } else {
                    "disabled"
                }
            ));
            out.json_value(&body);
        }
        DbCommand::Policies { schema } => {
            let body = api.get(&format!("/api/database/policies?schema={schema}")).await?;
            let rows = rows_of(
                &body,
                "policies",
                &["tablename", "policyname", "cmd", "roles", "qual", "with_check"],
            );
            out.table(
                &["Table", "Policy Name", "Command", "Roles", "Qual", "With Check"],
                &rows,
                "No policies found.",
            );
            out.json_value(&body);
        }
        DbCommand::Functions { schema } => {
            let body = api.get(&format!("/api/database/functions?schema={schema}")).await?;
            let rows = rows_of(
                &body,
                "functions",
                &["name", "arguments", "returnType", "language", "volatility"],
            );
            out.table(
                &["Name", "Arguments", "Returns", "Language", "Volatility"],
                &rows,
                "No functions found.",
            );
            out.json_value(&body);
        }
        DbCommand::Indexes { schema } => {
            let body = api.get(&format!("/api/database/indexes?schema={schema}")).await?;
            let rows = rows_of(&body, "indexes", &["tableName", "indexName", "definition"]);
            out.table(&["Table", "Index", "Definition"], &rows, "No indexes found.");
            out.json_value(&body);
        }
        DbCommand::Triggers { schema } => {
            let body = api.get(&format!("/api/database/triggers?schema={schema}")).await?;
            let rows = rows_of(&body, "triggers", &["tableName", "triggerName", "definition"]);
            out.table(&["Table", "Trigger", "Definition"], &rows, "No triggers found.");
            out.json_value(&body);
        }
        DbCommand::Migrations(_) => {}
    }
    Ok(())
}

pub async fn metadata(out: Output, dir: &Path) -> Result<(), CliError> {
    let api = client(dir)?;
    if out.json {
        out.json_value(&api.get("/api/metadata").await?);
    } else {
        let text = api.get("/api/metadata?format=markdown").await?;
        out.info(text.as_str().unwrap_or(""));
    }
    Ok(())
}
