//! Function calls: choosing the routine by its argument names, and the result's shape.

use oxforge_api_request::query::EmbedPath;
use oxforge_api_request::{QueryParams, SelectItem};
use oxforge_schema::{Routine, SchemaCache};
use serde_json::{Map, Value};

use crate::read::{ProjItem, ReadPlan};
use crate::{PlanError, QualifiedName};

#[derive(Debug, Clone)]
pub struct CallPlan {
    pub routine: Routine,
    /// The arguments as a JSON object text (named arguments).
    pub args: String,
    /// The argument names present, in the routine's order.
    pub arg_names: Vec<String>,
    /// Projection, filters, order and paging applied to the function's result (`pgrst_call`).
    pub read: ReadPlan,
}

/// PGRST202; the hint names the functions of that name that do exist, with their arguments.
fn not_found(schema: &str, name: &str, keys: &[String], same_name: &[Routine]) -> PlanError {
    let error = PlanError::new(
        404,
        "PGRST202",
        format!(
            "Could not find the function {schema}.{name}({}) in the schema cache",
            keys.join(", ")
        ),
    );
    if same_name.is_empty() {
        return error.with_hint("Perhaps you meant to call a different function, or the arguments are misspelled.");
    }
    let signatures: Vec<String> = same_name
        .iter()
        .map(|r| {
            let params: Vec<String> = r
                .params
                .iter()
                .map(|p| {
                    let optional = if p.has_default { " (optional)" } else { "" };
                    format!("{} {}{optional}", p.name, p.data_type)
                })
                .collect();
            format!("{schema}.{name}({})", params.join(", "))
        })
        .collect();
    error.with_hint(format!(
        "Perhaps you meant to call {} (arguments are passed by name)",
        signatures.join(" or ")
    ))
}

/// Plans `schema.name(args)`; `args` are the JSON body (POST) or the query-string arguments (GET).
pub fn plan_call(
    cache: &SchemaCache,
    schema: &str,
    name: &str,
    args: Map<String, Value>,
    params: &QueryParams,
) -> Result<CallPlan, PlanError> {
    let mut keys: Vec<String> = args.keys().cloned().collect();
    keys.sort();
    let candidates: Vec<&Routine> = cache
        .routines(schema, name)
        .iter()
        .filter(|r| {
            keys.iter().all(|k| r.params.iter().any(|p| &p.name == k))
                && r.params.iter().all(|p| p.has_default || keys.contains(&p.name))
        })
        .collect();
    let routine = match candidates.as_slice() {
        [one] => (*one).clone(),
        [] if !cache.has_schema(schema) => return Err(PlanError::schema_not_found(schema)),
        [] => return Err(not_found(schema, name, &keys, cache.routines(schema, name))),
        _ => {
            return Err(PlanError::new(
                300,
                "PGRST203",
                format!("Could not choose the best candidate function between: {schema}.{name}"),
            ));
        }
    };
    let arg_names = routine
        .params
        .iter()
        .filter(|p| keys.contains(&p.name))
        .map(|p| p.name.clone())
        .collect();
    let root: EmbedPath = Vec::new();
    let mut select = Vec::new();
    for item in params.select.clone().unwrap_or_else(|| vec![SelectItem::Star]) {
        select.push(match item {
            SelectItem::Star => ProjItem::Star,
            SelectItem::Field { field, alias, cast } => ProjItem::Column {
                cast: crate::read::checked_cast(cache, &cast)?,
                field,
                alias,
            },
            SelectItem::Embed(e) => {
                return Err(PlanError::new(
                    400,
                    "PGRST200",
                    format!("Embedding '{}' on a function result is not supported", e.relation),
                ));
            }
        });
    }
    let read = ReadPlan {
        from: QualifiedName {
            schema: routine.schema.clone(),
            name: routine.name.clone(),
        },
        alias: "pgrst_call".into(),
        select,
        conditions: params
            .conditions
            .iter()
            .filter(|(p, _)| p == &root)
            .map(|(_, c)| c.clone())
            .collect(),
        logic: params
            .logic
            .iter()
            .filter(|(p, _)| p == &root)
            .map(|(_, l)| l.clone())
            .collect(),
        order: params.order.get(&root).cloned().unwrap_or_default(),
        page: params.pages.get(&root).cloned().unwrap_or_default(),
    };
    Ok(CallPlan {
        routine,
        args: Value::Object(args).to_string(),
        arg_names,
        read,
    })
}
