//! Inserts, updates and deletes, wrapped so the affected rows come back as JSON.

use oxforge_api_request::Resolution;
use oxforge_plan::{MutatePlan, Mutation};

use crate::builder::{Params, Statement, ident, qualified};
use crate::expr::where_clause;
use crate::read::{Shape, body_expr, projection};

fn column_list(columns: &[String]) -> String {
    columns.iter().map(|c| ident(c)).collect::<Vec<_>>().join(", ")
}

/// `WITH "pgrst_rows" AS (<mutation> RETURNING <alias>.*) SELECT NULL, count(*), <body>`.
pub fn mutate_statement(plan: &MutatePlan, want_body: bool) -> Statement {
    let mut p = Params::default();
    let target = qualified(&plan.target.schema, &plan.target.name);
    let t0 = ident(&plan.returning.alias);
    let mutation = match &plan.mutation {
        Mutation::Insert { columns, on_conflict } if columns.is_empty() => {
            let conflict = match on_conflict {
                Some(_) => " ON CONFLICT DO NOTHING",
                None => "",
            };
            format!("INSERT INTO {target} AS {t0} DEFAULT VALUES{conflict} RETURNING {t0}.*")
        }
        Mutation::Insert { columns, on_conflict } => {
            let body = p.bind(plan.body.clone());
            let cols = column_list(columns);
            let conflict = match on_conflict {
                None => String::new(),
                Some((keys, Resolution::IgnoreDuplicates)) => {
                    format!(" ON CONFLICT ({}) DO NOTHING", column_list(keys))
                }
                Some((keys, Resolution::MergeDuplicates)) => {
                    let sets: Vec<String> = columns
                        .iter()
                        .map(|c| format!("{0} = EXCLUDED.{0}", ident(c)))
                        .collect();
                    format!(" ON CONFLICT ({}) DO UPDATE SET {}", column_list(keys), sets.join(", "))
                }
            };
            format!(
                "INSERT INTO {target} AS {t0} ({cols}) SELECT {cols} FROM json_populate_recordset(NULL::{target}, \
                 CASE json_typeof({body}::json) WHEN 'array' THEN {body}::json ELSE json_build_array({body}::json) END) AS \"_b\"\
                 {conflict} RETURNING {t0}.*"
            )
        }
        Mutation::Update { columns } if columns.is_empty() => format!("SELECT * FROM {target} AS {t0} WHERE false"),
        Mutation::Update { columns } => {
            let body = p.bind(plan.body.clone());
            let sets: Vec<String> = columns.iter().map(|c| format!("{0} = \"_b\".{0}", ident(c))).collect();
            let filter = where_clause(&mut p, &plan.returning.alias, &plan.conditions, &plan.logic, Vec::new());
            format!(
                "UPDATE {target} AS {t0} SET {} FROM (SELECT * FROM json_populate_record(NULL::{target}, {body}::json)) AS \"_b\"{filter} RETURNING {t0}.*",
                sets.join(", ")
            )
        }
        Mutation::Delete => {
            let filter = where_clause(&mut p, &plan.returning.alias, &plan.conditions, &plan.logic, Vec::new());
            format!("DELETE FROM {target} AS {t0}{filter} RETURNING {t0}.*")
        }
    };
    let (proj, body) = if want_body {
        (projection(&mut p, &plan.returning), body_expr(Shape::Array))
    } else {
        ("1".to_owned(), body_expr(Shape::None))
    };
    let sql = format!(
        "WITH \"pgrst_rows\" AS ({mutation}) SELECT NULL::bigint, count(*)::bigint, {body} FROM (SELECT {proj} FROM \"pgrst_rows\" AS {t0}) AS \"_r\""
    );
    p.finish(sql)
}
