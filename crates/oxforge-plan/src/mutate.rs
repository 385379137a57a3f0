//! Insert, update and delete plans: the target, the columns, the cleaned body, the filters,
//! and the representation to return.

use oxforge_api_request::{Condition, LogicTree, Operator, QueryParams, Resolution};
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

/// A body that is JSON but not what a write takes: PostgREST's message, and what was wrong.
fn not_rows(body: &Value, expected: &str) -> PlanError {
    let got = match body {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    };
    invalid_body("Empty or invalid json").with_details(format!("The body must be {expected}; it is {got}"))
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
        other => return Err(not_rows(other, "a JSON object or an array of objects")),
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

/// `PUT /table?pk=eq.v`: an upsert of one row named by its whole primary key. The filters must
/// be `eq` on exactly the primary-key columns (PostgREST's `PGRST105`), else the request
/// would silently upsert whatever the body holds.
pub fn plan_put(
    cache: &SchemaCache,
    schema: &str,
    name: &str,
    params: &QueryParams,
    body: &Value,
    missing_default: bool,
) -> Result<MutatePlan, PlanError> {
    let table = table(cache, schema, name)?;
    let mut filtered: Vec<&str> = params
        .conditions
        .iter()
        .filter(|(path, c)| {
            path.is_empty()
                && !c.negated
                && c.op == Operator::Eq
                && c.quantifier.is_none()
                && c.field.json_path.is_empty()
        })
        .map(|(_, c)| c.field.name.as_str())
        .collect();
    filtered.sort_unstable();
    let mut key: Vec<&str> = table.primary_key.iter().map(String::as_str).collect();
    key.sort_unstable();
    if key.is_empty() || filtered != key || filtered.len() != params.conditions.len() || !params.logic.is_empty() {
        let hint = if key.is_empty() {
            format!("{schema}.{name} has no primary key; use POST with Prefer: resolution=merge-duplicates")
        } else {
            format!(
                "e.g. PUT /{name}?{}",
                key.iter()
                    .map(|k| format!("{k}=eq.<value>"))
                    .collect::<Vec<_>>()
                    .join("&")
            )
        };
        return Err(PlanError::new(
            405,
            "PGRST105",
            "Filters must include all and only primary key columns with 'eq' operators",
        )
        .with_hint(hint));
    }
    plan_insert(
        cache,
        schema,
        name,
        params,
        body,
        Some(Resolution::MergeDuplicates),
        missing_default,
    )
}

pub fn plan_update(
    cache: &SchemaCache,
    schema: &str,
    name: &str,
    params: &QueryParams,
    body: &Value,
) -> Result<MutatePlan, PlanError> {
    let table = table(cache, schema, name)?;
    if !body.is_object() {
        return Err(not_rows(
            body,
            "a JSON object (PATCH gives every matching row the same values)",
        ));
    }
    let mut body = body.clone();
    let Value::Object(object) = &mut body else {
        return Err(not_rows(&Value::Null, "a JSON object"));
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
