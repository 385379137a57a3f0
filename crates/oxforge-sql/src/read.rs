//! Reads: `SELECT total, count, json_agg(...)` over a projected, filtered, ordered page.

use oxforge_api_request::{Cast, Field};
use oxforge_plan::{EmbedPlan, JoinKind, ProjItem, ReadPlan};

use crate::builder::{Params, Statement, ident, qualified};
use crate::expr::{field, order_by, page, where_clause};

/// A selected column: its expression (JSON path, validated cast) and its quoted output name.
fn column(
    p: &mut Params,
    table_alias: &str,
    f: &Field,
    alias: &Option<String>,
    cast: &Option<Cast>,
) -> (String, String) {
    let mut expr = field(p, table_alias, f);
    if let Some(cast) = cast {
        // Quoted identifiers and digits only (see `Cast::sql`).
        expr = format!("({expr})::{}", cast.sql());
    }
    let name = alias.clone().unwrap_or_else(|| f.output_name());
    (expr, ident(&name))
}

/// The `SELECT` list of one level, embeds included.
pub(crate) fn projection(p: &mut Params, plan: &ReadPlan) -> String {
    let alias = &plan.alias;
    let items: Vec<String> = plan
        .select
        .iter()
        .map(|item| match item {
            ProjItem::Star => format!("{}.*", ident(alias)),
            ProjItem::Column {
                field: f,
                alias: out,
                cast,
            } => {
                let (expr, name) = column(p, alias, f, out, cast);
                format!("{expr} AS {name}")
            }
            ProjItem::Embed(embed) if embed.spread => spread_columns(p, plan, embed),
            ProjItem::Embed(embed) => format!("{} AS {}", embed_value(p, plan, embed), ident(&embed.output)),
        })
        .collect();
    if items.is_empty() {
        "NULL".into()
    } else {
        items.join(", ")
    }
}

/// `FROM child AS tN WHERE <join to the parent> AND <child filters>`.
fn embed_source(p: &mut Params, parent: &ReadPlan, embed: &EmbedPlan) -> String {
    let child = &embed.read;
    let (pa, ca) = (ident(&parent.alias), ident(&child.alias));
    let mut joins: Vec<String> = embed
        .pairs
        .iter()
        .map(|(pc, cc)| format!("{ca}.{} = {pa}.{}", ident(cc), ident(pc)))
        .collect();
    if let JoinKind::ManyToMany {
        junction,
        parent_pairs,
        child_pairs,
    } = &embed.kind
    {
        let ja = ident(&format!("{}_j", child.alias));
        let mut on: Vec<String> = parent_pairs
            .iter()
            .map(|(jc, pc)| format!("{ja}.{} = {pa}.{}", ident(jc), ident(pc)))
            .collect();
        on.extend(
            child_pairs
                .iter()
                .map(|(jc, cc)| format!("{ja}.{} = {ca}.{}", ident(jc), ident(cc))),
        );
        joins.push(format!(
            "EXISTS (SELECT 1 FROM {} AS {ja} WHERE {})",
            qualified(&junction.schema, &junction.name),
            on.join(" AND ")
        ));
    }
    let mut extra = joins;
    extra.extend(inner_filters(p, child));
    format!(
        "FROM {} AS {ca}{}",
        qualified(&child.from.schema, &child.from.name),
        where_clause(p, &child.alias, &child.conditions, &child.logic, extra)
    )
}

/// `!inner` embeds keep only parents with a matching child.
fn inner_filters(p: &mut Params, plan: &ReadPlan) -> Vec<String> {
    plan.embeds()
        .filter(|e| e.inner)
        .map(|e| format!("EXISTS (SELECT 1 {})", embed_source(p, plan, e)))
        .collect()
}

/// `...rel(a, b)` on a to-one relationship: one correlated scalar subquery per lifted column.
fn spread_columns(p: &mut Params, parent: &ReadPlan, embed: &EmbedPlan) -> String {
    let child = &embed.read;
    let columns: Vec<String> = child
        .select
        .iter()
        .filter_map(|item| match item {
            ProjItem::Column { field: f, alias, cast } => {
                let (expr, name) = column(p, &child.alias, f, alias, cast);
                let source = embed_source(p, parent, embed);
                Some(format!("(SELECT {expr} {source} LIMIT 1) AS {name}"))
            }
            _ => None,
        })
        .collect();
    if columns.is_empty() {
        "NULL AS \"_spread\"".into()
    } else {
        columns.join(", ")
    }
}

fn embed_value(p: &mut Params, parent: &ReadPlan, embed: &EmbedPlan) -> String {
    let child = &embed.read;
    let row = ident(&format!("_{}", child.alias));
    let proj = projection(p, child);
    let source = embed_source(p, parent, embed);
    match embed.kind {
        JoinKind::ToOne => format!("(SELECT row_to_json({row}) FROM (SELECT {proj} {source} LIMIT 1) AS {row})"),
        JoinKind::ToMany | JoinKind::ManyToMany { .. } => {
            let order = order_by(p, &child.alias, &child.order);
            let limits = page(child.page.limit, child.page.offset);
            format!(
                "coalesce((SELECT json_agg({row}) FROM (SELECT {proj} {source}{order}{limits}) AS {row}), '[]'::json)"
            )
        }
    }
}

/// How the body is aggregated.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shape {
    /// A JSON array of the rows.
    Array,
    /// `text/csv`: a header line from the first row's keys, then one line per row.
    Csv,
    /// No body (`return=minimal`): only counts.
    None,
}

/// A CSV field: quoted when it holds a quote, a comma or a line break; NULL is empty.
const CSV_FIELD: &str = "CASE WHEN {v} IS NULL THEN '' WHEN {v} ~ '[\",\\r\\n]' THEN '\"' || replace({v}, '\"', '\"\"') || '\"' ELSE {v} END";

pub(crate) fn body_expr(shape: Shape) -> String {
    match shape {
        Shape::Array => "coalesce(json_agg(\"_r\"), '[]'::json)::text".into(),
        Shape::None => "NULL::text".into(),
        Shape::Csv => {
            let key = CSV_FIELD.replace("{v}", "\"h\".\"k\"");
            let value = CSV_FIELD.replace("{v}", "\"c\".\"v\"");
            format!(
                "coalesce((SELECT string_agg({key}, ',' ORDER BY \"h\".\"n\") \
                 FROM json_object_keys((array_agg(row_to_json(\"_r\")))[1]) WITH ORDINALITY AS \"h\"(\"k\", \"n\")) \
                 || E'\\n' || string_agg((SELECT string_agg({value}, ',' ORDER BY \"c\".\"n\") \
                 FROM json_each_text(row_to_json(\"_r\")) WITH ORDINALITY AS \"c\"(\"k\", \"v\", \"n\")), E'\\n'), '')"
            )
        }
    }
}

/// How the total row count (`Content-Range: …/total`) is obtained.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Total {
    None,
    /// `count(*)` of every matching row.
    Exact,
    /// `count(*)` of at most this many rows (`Prefer: count=estimated`; beyond it the planner's
    /// estimate is used).
    UpTo(i64),
}

/// `FROM <table> AS <alias> WHERE <filters>` of a read, for the page and for counts.
fn filtered_source(p: &mut Params, plan: &ReadPlan) -> String {
    let from = format!(
        "{} AS {}",
        qualified(&plan.from.schema, &plan.from.name),
        ident(&plan.alias)
    );
    let extra = inner_filters(p, plan);
    format!(
        "{from}{}",
        where_clause(p, &plan.alias, &plan.conditions, &plan.logic, extra)
    )
}

/// `EXPLAIN (FORMAT JSON)` of the rows a read matches: the planner's row estimate (`count=planned`).
pub fn explain_count_statement(plan: &ReadPlan) -> Statement {
    let mut p = Params::default();
    let source = filtered_source(&mut p, plan);
    p.finish(format!("EXPLAIN (FORMAT JSON) SELECT 1 FROM {source}"))
}

/// `SELECT <total>, count(*), <body> FROM (<page>) "_r"`.
pub fn read_statement(plan: &ReadPlan, total: Total, shape: Shape) -> Statement {
    let mut p = Params::default();
    let source = filtered_source(&mut p, plan);
    let proj = projection(&mut p, plan);
    let order = order_by(&mut p, &plan.alias, &plan.order);
    let total = match total {
        Total::None => "NULL".to_owned(),
        Total::Exact => format!("(SELECT count(*) FROM {source})"),
        Total::UpTo(n) => format!("(SELECT count(*) FROM (SELECT 1 FROM {source} LIMIT {n}) AS \"_c\")"),
    };
    let sql = format!(
        "SELECT {total}::bigint, count(*)::bigint, {} FROM (SELECT {proj} FROM {source}{order}{}) AS \"_r\"",
        body_expr(shape),
        page(plan.page.limit, plan.page.offset)
    );
    p.finish(sql)
}

#[cfg(test)]
mod tests {
    use super::*;
    use oxforge_api_request::QueryParams;
    use oxforge_plan::plan_read;
    use oxforge_schema::{ForeignKey, SchemaCache, Table};

    fn cache() -> SchemaCache {
        SchemaCache::new(
            vec![
                Table::with_text_columns("public", "odd\"name", &["id", "x"]),
                Table::with_text_columns("public", "kids", &["id", "parent_id"]),
            ],
            vec![ForeignKey::to_id(
                "kids_parent",
                "public",
                "kids",
                "parent_id",
                "odd\"name",
            )],
            vec![],
        )
    }

    #[test]
    fn identifiers_are_quoted_and_values_bound() {
        let params = QueryParams::parse("select=x,kids(id)&x=eq.1';--&order=x.desc&limit=5&kids.limit=2", |_| {
            false
        })
        .unwrap();
        let plan = plan_read(&cache(), "public", "odd\"name", &params).unwrap();
        let statement = read_statement(&plan, Total::Exact, Shape::Array);
        assert_eq!(statement.params, vec!["1';--".to_owned()]);
        assert!(
            statement
                .sql
                .contains("FROM \"public\".\"odd\"\"name\" AS \"odd\"\"name\" WHERE \"odd\"\"name\".\"x\" = $1"),
            "{}",
            statement.sql
        );
        assert!(
            statement
                .sql
                .contains("\"pgrst_1\".\"parent_id\" = \"odd\"\"name\".\"id\""),
            "{}",
            statement.sql
        );
        assert!(
            statement.sql.contains("ORDER BY \"odd\"\"name\".\"x\" DESC LIMIT 5"),
            "{}",
            statement.sql
        );
        assert!(!statement.sql.contains("1';--"));
    }
}
