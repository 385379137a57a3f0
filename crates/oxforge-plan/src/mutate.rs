//! Insert, update and delete plans: the target, the columns, the cleaned body, the filters,
//! and the representation to return.

use oxforge_api_request::{Condition, LogicTree, QueryParams, Resolution};
use oxforge_schema::{SchemaCache, Table};
use serde_json::{Map, Value};

use crate::read::{ReadPlan, plan_read};
use crate::{PlanError, QualifiedName};

#[derive(Debug, Clone)]
pub enum Mutation {
    Insert {
        columns: Vec<String>,
        /// `ON CONFLICT (cols) DO UPDATE | DO NOTHING`.
        on_conflict: Option<(Vec<String>, Resolution)>,
        /// `Prefer: missing=default`: a key missing from an object takes the column's default
        /// expression (from the catalog) instead of NULL; `None` when not requested.
        defaults: Option<Vec<Option<String>>>,
    },
    Update {
        columns: Vec<String>,
    },
    Delete,
}

#[derive(Debug, Clone)]
pub struct MutatePlan {
    pub target: QualifiedName,
    pub mutation: Mutation,
    /// The request body as JSON text, after cleanup (empty for deletes).
    pub body: String,
    /// Rows the body holds (inserts), for the empty-array shortcut.
    pub row_count: usize,
    pub conditions: Vec<Condition>,
    pub logic: Vec<LogicTree>,
    /// The projection over the affected rows (aliased like a read of the table), used with `return=representation`.
    pub returning: ReadPlan,
}

fn invalid_body(message: impl Into<String>) -> PlanError {
    PlanError::new(400, "PGRST102", message)
}

/// InsForge drops `""` values of non-text columns (so an empty form field means "default").
fn drop_empty_strings(table: &Table, object: &mut Map<String, Value>) {
    object.retain(|key, value| !(value.as_str() == Some("") && table.column(key).is_some_and(|c| !c.is_text_like())));
}

fn check_columns(table: &Table, columns: &[String]) -> Result<(), PlanError> {
    match columns.iter().find(|c| table.column(c).is_none()) {
        Some(missing) => Err(PlanError::column_not_found(&table.name, missing)),
        None => Ok(()),
    }
}

fn table<'a>(cache: &'a SchemaCache, schema: &str, name: &str) -> Result<&'a Table, PlanError> {
    crate::read::find_table(cache, schema, name)
}

/// The representation plan, with the root filters moved out for the mutation itself.
fn split_returning(
    cache: &SchemaCache,
    table: &Table,
    params: &QueryParams,
) -> Result<(ReadPlan, Vec<Condition>, Vec<LogicTree>), PlanError> {
    let mut returning = plan_read(cache, &table.schema, &table.name, params)?;
    let conditions = std::mem::take(&mut returning.conditions);
    let logic = std::mem::take(&mut returning.logic);
    returning.order.clear();
    returning.page = Default::default();
    Ok((returning, conditions, logic))
}

fn qualified(table: &Table) -> QualifiedName {
    QualifiedName {
        schema: table.schema.clone(),
        name: table.name.clone(),
    }
}

pub fn plan_insert(
    cache: &SchemaCache,
    schema: &str,
    name: &str,
    params: &QueryParams,
    body: &Value,
    resolution: Option<Resolution>,
    missing_default: bool,
) -> Result<MutatePlan, PlanError> {
    let table = table(cache, schema, name)?;
    let mut body = body.clone();
    let objects: Vec<&mut Map<String, Value>> = match &mut body {
        Value::Object(o) => vec![o],
        Value::Array(items) => items
            .iter_mut()
            .map(|v| {
                v.as_object_mut()
                    .ok_or_else(|| invalid_body("All object keys must match"))
            })
            .collect::<Result<_, _>>()?,
        _ => return Err(invalid_body("Empty or invalid json")),
    };
    let row_count = objects.len();
    let mut seen: Vec<String> = Vec::new();
    for object in objects {
        drop_empty_strings(table, object);
        for key in object.keys() {
            if !seen.contains(key) {
                seen.push(key.clone());
            }
        }
    }
    let columns = params.columns.clone().unwrap_or(seen);
    check_columns(table, &columns)?;
    let on_conflict = match resolution {
        Some(resolution) => {
            let keys = params.on_conflict.clone().unwrap_or_else(|| table.primary_key.clone());
            if keys.is_empty() {
                return Err(PlanError::new(
                    400,
                    "PGRST103",
                    "There is no primary key or on_conflict columns to resolve conflicts with",
                ));
            }
            check_columns(table, &keys)?;
            Some((keys, resolution))
        }
        None => None,
    };
    let defaults = missing_default.then(|| {
        columns
            .iter()
            .map(|c| table.column(c).and_then(|col| col.default_expr.clone()))
            .collect()
    });
    let (returning, _, _) = split_returning(cache, table, params)?;
    Ok(MutatePlan {
        target: qualified(table),
        mutation: Mutation::Insert {
            columns,
            on_conflict,
            defaults,
        },
        body: body.to_string(),
        row_count,
        conditions: Vec::new(),
        logic: Vec::new(),
        returning,
    })
}

pub fn plan_update(
    cache: &SchemaCache,
    schema: &str,
    name: &str,
    params: &QueryParams,
    body: &Value,
) -> Result<MutatePlan, PlanError> {
    let table = table(cache, schema, name)?;
    let mut body = body.clone();
    let Value::Object(object) = &mut body else {
        return Err(invalid_body("Empty or invalid json"));
    };
    drop_empty_strings(table, object);
    let columns: Vec<String> = params
        .columns
        .clone()
        .unwrap_or_else(|| object.keys().cloned().collect());
    check_columns(table, &columns)?;
    let (returning, conditions, logic) = split_returning(cache, table, params)?;
    Ok(MutatePlan {
        target: qualified(table),
        mutation: Mutation::Update { columns },
        body: body.to_string(),
        row_count: 1,
        conditions,
        logic,
        returning,
    })
}

pub fn plan_delete(
    cache: &SchemaCache,
    schema: &str,
    name: &str,
    params: &QueryParams,
) -> Result<MutatePlan, PlanError> {
    let table = table(cache, schema, name)?;
    let (returning, conditions, logic) = split_returning(cache, table, params)?;
    Ok(MutatePlan {
        target: qualified(table),
        mutation: Mutation::Delete,
        body: String::new(),
        row_count: 0,
        conditions,
        logic,
        returning,
    })
}
