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
pub fn mutate_statement(plan: &MutatePlan, shape: Shape) -> Statement {
    let mut p = Params::default();
    let target = qualified(&plan.target.schema, &plan.target.name);
    let t0 = ident(&plan.returning.alias);
    let mutation = match &plan.mutation {
        Mutation::Insert {
            columns, on_conflict, ..
        } if columns.is_empty() => {
            let conflict = match on_conflict {
                Some(_) => " ON CONFLICT DO NOTHING",
                None => "",
            };
            format!("INSERT INTO {target} AS {t0} DEFAULT VALUES{conflict} RETURNING {t0}.*")
        }
        Mutation::Insert {
            columns,
            on_conflict,
            defaults,
        } => {
            let body = p.bind(plan.body.clone());
            let cols = column_list(columns);
            let rows = format!(
                "json_array_elements(CASE json_typeof({body}::json) WHEN 'array' THEN {body}::json ELSE json_build_array({body}::json) END)"
            );
            // Each object becomes a typed record; with missing=default an absent key takes the
            // column's default expression (catalog text) rather than NULL.
            let values: Vec<String> = columns
                .iter()
                .enumerate()
                .map(|(i, c)| match defaults.as_ref().and_then(|d| d.get(i)) {
                    Some(default) => format!(
                        "CASE WHEN \"_e\".\"o\"::jsonb ? {} THEN \"_b\".{} ELSE {} END",
                        p.bind(c.clone()),
                        ident(c),
                        default.as_deref().unwrap_or("NULL")
                    ),
                    None => format!("\"_b\".{}", ident(c)),
                })
                .collect();
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
                "INSERT INTO {target} AS {t0} ({cols}) SELECT {} FROM {rows} AS \"_e\"(\"o\") \
                 CROSS JOIN LATERAL json_populate_record(NULL::{target}, \"_e\".\"o\") AS \"_b\"{conflict} RETURNING {t0}.*",
                values.join(", ")
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
    let (proj, body) = if shape == Shape::None {
        ("1".to_owned(), body_expr(Shape::None))
    } else {
        (projection(&mut p, &plan.returning), body_expr(shape))
    };
    let sql = format!(
        "WITH \"pgrst_rows\" AS ({mutation}) SELECT NULL::bigint, count(*)::bigint, {body} FROM (SELECT {proj} FROM \"pgrst_rows\" AS {t0}) AS \"_r\""
    );
    p.finish(sql)
}
