//! Reads: `SELECT total, count, json_agg(...)` over a projected, filtered, ordered page.

use oxforge_plan::{EmbedPlan, JoinKind, ProjItem, ReadPlan};

use crate::builder::{Params, Statement, ident, qualified};
use crate::expr::{field, order_by, page, where_clause};

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
                let mut expr = field(p, alias, f);
                if let Some(cast) = cast {
                    // The cast is validated by the parser (letters, digits, _, spaces, []).
                    expr = format!("({expr})::{cast}");
                }
                let name = out.clone().unwrap_or_else(|| f.output_name());
                format!("{expr} AS {}", ident(&name))
            }
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
    /// No body (`return=minimal`): only counts.
    None,
}

pub(crate) fn body_expr(shape: Shape) -> &'static str {
    match shape {
        Shape::Array => "coalesce(json_agg(\"_r\"), '[]'::json)::text",
        Shape::None => "NULL::text",
    }
}

/// `SELECT <total>, count(*), <body> FROM (<page>) "_r"`.
pub fn read_statement(plan: &ReadPlan, with_total: bool) -> Statement {
    let mut p = Params::default();
    let alias = ident(&plan.alias);
    let from = format!("{} AS {alias}", qualified(&plan.from.schema, &plan.from.name));
    let extra = inner_filters(&mut p, plan);
    let filter = where_clause(&mut p, &plan.alias, &plan.conditions, &plan.logic, extra);
    let proj = projection(&mut p, plan);
    let order = order_by(&mut p, &plan.alias, &plan.order);
    let total = if with_total {
        format!("(SELECT count(*) FROM {from}{filter})")
    } else {
        "NULL".into()
    };
    let sql = format!(
        "SELECT {total}::bigint, count(*)::bigint, {} FROM (SELECT {proj} FROM {from}{filter}{order}{}) AS \"_r\"",
        body_expr(Shape::Array),
        page(plan.page.limit, plan.page.offset)
    );
    p.finish(sql)
}
