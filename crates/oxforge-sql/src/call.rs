//! Function calls with named arguments taken from a JSON object.

use oxforge_plan::CallPlan;

use crate::builder::{Params, Statement, ident, qualified};
use crate::expr::{order_by, page, where_clause};
use crate::read::projection;

/// What the response body of a call looks like.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CallShape {
    /// A set of rows (or of scalars): a JSON array.
    Set,
    /// One composite row: a JSON object (or null).
    Object,
    /// One scalar: its JSON value.
    Scalar,
    /// `void`: no body.
    Void,
}

pub fn call_shape(plan: &CallPlan) -> CallShape {
    let r = &plan.routine;
    if r.returns_set {
        CallShape::Set
    } else if r.return_type == "void" {
        CallShape::Void
    } else if r.returns_composite {
        CallShape::Object
    } else {
        CallShape::Scalar
    }
}

/// `SELECT total, count, body FROM json_to_record($1) AS "_a"(…) CROSS JOIN LATERAL fn(x := "_a".x) AS <alias> …`.
pub fn call_statement(plan: &CallPlan, with_total: bool) -> (Statement, CallShape) {
    let mut p = Params::default();
    let r = &plan.routine;
    // `args_source` is the FROM item that turns the JSON arguments into typed columns.
    let (args_source, call_args) = if plan.arg_names.is_empty() {
        (String::new(), String::new())
    } else {
        let body = p.bind(plan.args.clone());
        // Parameter types come from the catalog (format_type), not from the request.
        let defs: Vec<String> = r
            .params
            .iter()
            .filter(|prm| plan.arg_names.contains(&prm.name))
            .map(|prm| format!("{} {}", ident(&prm.name), prm.data_type))
            .collect();
        let named: Vec<String> = plan
            .arg_names
            .iter()
            .map(|a| format!("{0} := \"_a\".{0}", ident(a)))
            .collect();
        (
            format!("json_to_record({body}::json) AS \"_a\"({})", defs.join(", ")),
            named.join(", "),
        )
    };
    let call = format!("{}({call_args})", qualified(&r.schema, &r.name));
    let shape = call_shape(plan);
    let read = &plan.read;
    let t0 = ident(&read.alias);
    let sql = match shape {
        CallShape::Void | CallShape::Scalar => {
            let from = if args_source.is_empty() {
                String::new()
            } else {
                format!(" FROM {args_source}")
            };
            if shape == CallShape::Void {
                format!("SELECT NULL::bigint, 1::bigint, NULL::text FROM (SELECT {call}{from}) AS \"_v\"")
            } else {
                format!("SELECT NULL::bigint, 1::bigint, to_json({call})::text{from}")
            }
        }
        CallShape::Set | CallShape::Object => {
            let from = if args_source.is_empty() {
                format!("{call} AS {t0}")
            } else {
                format!("{args_source} CROSS JOIN LATERAL {call} AS {t0}")
            };
            let filter = where_clause(&mut p, &read.alias, &read.conditions, &read.logic, Vec::new());
            let total = if with_total {
                format!("(SELECT count(*) FROM {from}{filter})")
            } else {
                "NULL".into()
            };
            let scalar_set = !r.returns_composite;
            let proj = if scalar_set {
                t0.clone()
            } else {
                projection(&mut p, read)
            };
            let order = order_by(&mut p, &read.alias, &read.order);
            let limits = page(read.page.limit, read.page.offset);
            let body = match (shape, scalar_set) {
                (CallShape::Object, _) => "(json_agg(\"_r\")->0)::text".to_owned(),
                (_, true) => "coalesce(json_agg(\"_r\".\"v\"), '[]'::json)::text".to_owned(),
                _ => "coalesce(json_agg(\"_r\"), '[]'::json)::text".to_owned(),
            };
            let proj = if scalar_set { format!("{proj} AS \"v\"") } else { proj };
            format!(
                "SELECT {total}::bigint, count(*)::bigint, {body} FROM (SELECT {proj} FROM {from}{filter}{order}{limits}) AS \"_r\""
            )
        }
    };
    (p.finish(sql), shape)
}
