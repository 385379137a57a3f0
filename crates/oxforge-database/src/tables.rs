//! Table management: `POST /api/database/tables`, `PATCH /api/database/tables/{t}/schema`,
//! `DELETE /api/database/tables/{t}` — InsForge's shapes, run as `project_admin`.

use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use oxforge_db::DbError;
use oxforge_db::raw_sql::{self, Runner};
use oxforge_sql::ddl::{self, Alteration, ColumnDef, ForeignKeyDef};
use serde::Deserialize;
use serde_json::{Value, json};

use crate::DatabaseState;
use crate::error::{SQL_TIMEOUT_MS, sql_error};
use oxforge_edge::{Admin, Audit, JsonBody};
use oxforge_edge::{ApiError, SchemaQuery};

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct ColumnInput {
    column_name: String,
    #[serde(rename = "type")]
    kind: String,
    default_value: Option<String>,
    #[serde(default)]
    is_primary_key: bool,
    #[serde(default = "yes")]
    is_nullable: bool,
    #[serde(default)]
    is_unique: bool,
}

fn yes() -> bool {
    true
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct ReferenceColumn {
    source_column: String,
    reference_column: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct ForeignKeyInput {
    reference_table: String,
    reference_columns: Vec<ReferenceColumn>,
    on_delete: Option<String>,
    on_update: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct CreateTable {
    table_name: String,
    #[serde(default)]
    columns: Vec<ColumnInput>,
    #[serde(default)]
    foreign_keys: Vec<ForeignKeyInput>,
    #[serde(default = "yes")]
    rls_enabled: bool,
}

fn invalid(message: impl Into<String>) -> ApiError {
    ApiError::invalid_input(message)
}

fn name(what: &str, value: &str) -> Result<String, ApiError> {
    if value.is_empty() || value.len() > 63 || value.chars().any(|c| c.is_control() || c == '"') {
        return Err(invalid(format!("{what}: invalid name {value:?}")));
    }
    Ok(value.to_owned())
}

fn column(c: &ColumnInput) -> Result<ColumnDef, ApiError> {
    let column_name = name("columnName", &c.column_name)?;
    if ddl::AUTO_FIELDS.contains(&column_name.as_str()) {
        return Err(invalid(format!("columns: {column_name} is created automatically")));
    }
    let sql_type = ddl::sql_type(&c.kind).ok_or_else(|| invalid(format!("columns: unknown type {:?}", c.kind)))?;
    if c.default_value.as_deref().is_some_and(|d| d.contains(';')) {
        return Err(invalid("defaultValue: a single SQL expression is expected"));
    }
    Ok(ColumnDef {
        name: column_name,
        sql_type,
        default: c.default_value.clone().filter(|d| !d.is_empty()),
        primary_key: c.is_primary_key,
        nullable: c.is_nullable,
        unique: c.is_unique,
    })
}

/// Whether a column declared at creation is an automatic one (`id`, `created_at`, `updated_at`)
/// with its type, folded into the column every table gets; with another type it is refused.
fn automatic(c: &ColumnInput) -> Result<bool, ApiError> {
    match ddl::auto_field(&c.column_name, &c.kind) {
        None => Ok(false),
        Some(Ok(())) => Ok(true),
        Some(Err(expected)) => Err(invalid(format!(
            "columns: {} is created automatically with type {expected}; it cannot be declared as {:?}",
            c.column_name, c.kind
        ))),
    }
}

fn foreign_key(fk: &ForeignKeyInput) -> Result<ForeignKeyDef, ApiError> {
    if fk.reference_columns.is_empty() {
        return Err(invalid("foreignKeys: referenceColumns must not be empty"));
    }
    Ok(ForeignKeyDef {
        columns: fk
            .reference_columns
            .iter()
            .map(|r| name("sourceColumn", &r.source_column))
            .collect::<Result<_, _>>()?,
        ref_table: name("referenceTable", &fk.reference_table)?,
        ref_columns: fk
            .reference_columns
            .iter()
            .map(|r| name("referenceColumn", &r.reference_column))
            .collect::<Result<_, _>>()?,
        on_delete: ddl::fk_action(fk.on_delete.as_deref()).ok_or_else(|| invalid("foreignKeys: invalid onDelete"))?,
        on_update: ddl::fk_action(fk.on_update.as_deref()).ok_or_else(|| invalid("foreignKeys: invalid onUpdate"))?,
    })
}

fn parse<T: serde::de::DeserializeOwned>(body: Value) -> Result<T, ApiError> {
    serde_json::from_value(body).map_err(|e| invalid(e.to_string()))
}

async fn run(state: &DatabaseState, statements: &[String]) -> Result<(), ApiError> {
    match raw_sql::run_statements(&state.sql_pool, Runner::ProjectAdmin, statements, SQL_TIMEOUT_MS).await {
        Ok(()) => Ok(()),
        Err(DbError::Postgres(e)) if e.as_db_error().is_some_and(|d| d.code().code() == "42P07") => Err(ApiError::new(
            StatusCode::BAD_REQUEST,
            "DATABASE_DUPLICATE",
            e.as_db_error().map_or(String::new(), |d| d.message().to_owned()),
        )),
        Err(DbError::Postgres(e)) => Err(sql_error(&e)),
        Err(e) => Err(e.into()),
    }
}

pub async fn create(
    Admin(admin): Admin,
    audit: Audit,
    State(state): State<DatabaseState>,
    Query(q): Query<SchemaQuery>,
    JsonBody(body): JsonBody<Value>,
) -> Result<Response, ApiError> {
    let input: CreateTable = parse(body)?;
    let schema = q.name().to_owned();
    let table = name("tableName", &input.table_name)?;
    let mut declared = Vec::with_capacity(input.columns.len());
    for c in &input.columns {
        if !automatic(c)? {
            declared.push(c);
        }
    }
    let columns = declared.iter().map(|c| column(c)).collect::<Result<Vec<_>, _>>()?;
    let fks = input
        .foreign_keys
        .iter()
        .map(foreign_key)
        .collect::<Result<Vec<_>, _>>()?;
    run(
        &state,
        &ddl::create_table(&schema, &table, &columns, &fks, input.rls_enabled),
    )
    .await?;
    audit.record(
        &admin,
        "CREATE_TABLE",
        "DATABASE",
        json!({ "schemaName": schema, "tableName": table }),
    );
    let described: Vec<Value> = declared
        .iter()
        .zip(&columns)
        .map(|(i, c)| json!({"columnName": c.name, "type": i.kind, "sqlType": c.sql_type, "isNullable": c.nullable, "isUnique": c.unique, "isPrimaryKey": c.primary_key, "defaultValue": c.default}))
        .collect();
    Ok((
        StatusCode::CREATED,
        Json(json!({
            "schemaName": schema,
            "message": "table created successfully",
            "tableName": table,
            "columns": described,
            "autoFields": ddl::AUTO_FIELDS,
            "nextActions": if input.rls_enabled {
                "Row Level Security is enabled: add policies (CREATE POLICY …) before clients can read or write rows"
            } else {
                "Row Level Security is disabled: every anon and authenticated client can read and write all rows"
            },
        })),
    )
        .into_response())
}

pub async fn delete(
    Admin(admin): Admin,
    audit: Audit,
    State(state): State<DatabaseState>,
    Path(table): Path<String>,
    Query(q): Query<SchemaQuery>,
) -> Result<Json<Value>, ApiError> {
    let table = name("table", &table)?;
    match run(&state, &[ddl::drop_table(q.name(), &table)]).await {
        Err(e) if e.code == "DATABASE_VALIDATION_ERROR" => {
            return Err(q.table_not_found(&table));
        }
        other => other?,
    }
    audit.record(
        &admin,
        "DELETE_TABLE",
        "DATABASE",
        json!({ "schemaName": q.name(), "tableName": table }),
    );
    Ok(Json(json!({
        "schemaName": q.name(),
        "message": "table deleted successfully",
        "tableName": table,
        "nextActions": "Remove the table from your app's queries",
    })))
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct UpdateColumn {
    column_name: String,
    default_value: Option<Value>,
    new_column_name: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RenameTable {
    new_table_name: String,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase", default)]
struct AlterTable {
    add_columns: Vec<ColumnInput>,
    drop_columns: Vec<String>,
    update_columns: Vec<UpdateColumn>,
    add_foreign_keys: Vec<ForeignKeyInput>,
    drop_foreign_keys: Vec<String>,
    rename_table: Option<RenameTable>,
}

pub async fn alter(
    Admin(admin): Admin,
    audit: Audit,
    State(state): State<DatabaseState>,
    Path(table): Path<String>,
    Query(q): Query<SchemaQuery>,
    JsonBody(body): JsonBody<Value>,
) -> Result<Json<Value>, ApiError> {
    let input: AlterTable = parse(body)?;
    let table = name("table", &table)?;
    let mut changes = Vec::new();
    for c in &input.add_columns {
        changes.push(Alteration::AddColumn(column(c)?));
    }
    for c in &input.drop_columns {
        changes.push(Alteration::DropColumn(name("dropColumns", c)?));
    }
    for u in &input.update_columns {
        let column_name = name("columnName", &u.column_name)?;
        match &u.default_value {
            None => {}
            Some(Value::Null) => changes.push(Alteration::SetDefault {
                column: column_name.clone(),
                default: None,
            }),
            Some(Value::String(d)) if !d.contains(';') => changes.push(Alteration::SetDefault {
                column: column_name.clone(),
                default: Some(d.clone()),
            }),
            Some(_) => {
                return Err(invalid(
                    "defaultValue: a single SQL expression (string) or null is expected",
                ));
            }
        }
        if let Some(to) = &u.new_column_name {
            changes.push(Alteration::RenameColumn {
                from: column_name,
                to: name("newColumnName", to)?,
            });
        }
    }
    for fk in &input.add_foreign_keys {
        changes.push(Alteration::AddForeignKey(foreign_key(fk)?));
    }
    for c in &input.drop_foreign_keys {
        changes.push(Alteration::DropConstraint(name("dropForeignKeys", c)?));
    }
    if let Some(r) = &input.rename_table {
        changes.push(Alteration::RenameTable(name("newTableName", &r.new_table_name)?));
    }
    if changes.is_empty() {
        return Err(invalid("nothing to change"));
    }
    let statements: Vec<String> = changes.iter().map(|c| ddl::alter_table(q.name(), &table, c)).collect();
    run(&state, &statements).await?;
    audit.record(
        &admin,
        "UPDATE_TABLE",
        "DATABASE",
        json!({ "schemaName": q.name(), "tableName": table, "operations": statements }),
    );
    Ok(Json(json!({
        "schemaName": q.name(),
        "message": "table schema updated successfully",
        "tableName": input.rename_table.as_ref().map_or(table.clone(), |r| r.new_table_name.clone()),
        "operations": statements,
    })))
}
