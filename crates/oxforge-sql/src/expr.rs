//! Expressions: columns with JSON paths, filters, logic trees, ordering.

use oxforge_api_request::{
    Condition, Direction, Field, IsValue, JsonKey, LogicTree, Nulls, Operand, Operator, OrderTerm, Quantifier,
};

use crate::builder::{Params, ident};

/// `"alias"."col"->$1::text->>$2::text`: JSON keys are bound as parameters.
pub(crate) fn field(p: &mut Params, alias: &str, f: &Field) -> String {
    let mut out = format!("{}.{}", ident(alias), ident(&f.name));
    for step in &f.json_path {
        out.push_str(if step.as_text { "->>" } else { "->" });
        match &step.key {
            JsonKey::Index(i) => out.push_str(&i.to_string()),
            JsonKey::Key(k) => {
                out.push_str(&p.bind(k.clone()));
                out.push_str("::text");
            }
        }
    }
    out
}

fn sql_operator(op: Operator) -> &'static str {
    use Operator::*;
    match op {
        Eq => "=",
        Neq => "<>",
        Gt => ">",
        Gte => ">=",
        Lt => "<",
        Lte => "<=",
        Like => "LIKE",
        Ilike => "ILIKE",
        Match => "~",
        Imatch => "~*",
        IsDistinct => "IS DISTINCT FROM",
        Cs => "@>",
        Cd => "<@",
        Ov => "&&",
        Sl => "<<",
        Sr => ">>",
        Nxl => "&>",
        Nxr => "&<",
        Adj => "-|-",
        In | Is | Fts | Plfts | Phfts | Wfts => "",
    }
}

/// A PostgreSQL array literal (`{"a","b\"c"}`) for `= ANY($n)`.
fn array_literal(items: &[String]) -> String {
    let quoted: Vec<String> = items
        .iter()
        .map(|s| format!("\"{}\"", s.replace('\\', "\\\\").replace('"', "\\\"")))
        .collect();
    format!("{{{}}}", quoted.join(","))
}

pub(crate) fn condition(p: &mut Params, alias: &str, c: &Condition) -> String {
    let lhs = field(p, alias, &c.field);
    let sql = match (&c.operand, c.op) {
        (Operand::Is(v), _) => format!(
            "{lhs} IS {}",
            match v {
                IsValue::Null => "NULL",
                IsValue::NotNull => "NOT NULL",
                IsValue::True => "TRUE",
                IsValue::False => "FALSE",
                IsValue::Unknown => "UNKNOWN",
            }
        ),
        (Operand::List(items), Operator::In) => format!("{lhs} = ANY({})", p.bind(array_literal(items))),
        (Operand::List(items), op) => {
            let q = match c.quantifier {
                Some(Quantifier::All) => "ALL",
                _ => "ANY",
            };
            format!("{lhs} {} {q}({})", sql_operator(op), p.bind(array_literal(items)))
        }
        (Operand::Search { config, query }, op) => {
            let function = match op {
                Operator::Plfts => "plainto_tsquery",
                Operator::Phfts => "phraseto_tsquery",
                Operator::Wfts => "websearch_to_tsquery",
                _ => "to_tsquery",
            };
            match config {
                Some(cfg) => format!(
                    "{lhs} @@ {function}({}::regconfig, {}::text)",
                    p.bind(cfg.clone()),
                    p.bind(query.clone())
                ),
                None => format!("{lhs} @@ {function}({}::text)", p.bind(query.clone())),
            }
        }
        (Operand::Scalar(v), op) => format!("{lhs} {} {}", sql_operator(op), p.bind(v.clone())),
    };
    if c.negated { format!("NOT ({sql})") } else { sql }
}

pub(crate) fn logic(p: &mut Params, alias: &str, tree: &LogicTree) -> String {
    match tree {
        LogicTree::Condition(c) => condition(p, alias, c),
        LogicTree::And { negated, children } | LogicTree::Or { negated, children } => {
            let joiner = if matches!(tree, LogicTree::And { .. }) {
                " AND "
            } else {
                " OR "
            };
            let parts: Vec<String> = children.iter().map(|t| logic(p, alias, t)).collect();
            let sql = format!("({})", parts.join(joiner));
            if *negated { format!("NOT {sql}") } else { sql }
        }
    }
}

/// `WHERE a AND b …` or an empty string.
pub(crate) fn where_clause(
    p: &mut Params,
    alias: &str,
    conditions: &[Condition],
    trees: &[LogicTree],
    extra: Vec<String>,
) -> String {
    let mut parts: Vec<String> = conditions.iter().map(|c| condition(p, alias, c)).collect();
    parts.extend(trees.iter().map(|t| logic(p, alias, t)));
    parts.extend(extra);
    if parts.is_empty() {
        String::new()
    } else {
        format!(" WHERE {}", parts.join(" AND "))
    }
}

pub(crate) fn order_by(p: &mut Params, alias: &str, terms: &[OrderTerm]) -> String {
    if terms.is_empty() {
        return String::new();
    }
    let parts: Vec<String> = terms
        .iter()
        .map(|t| {
            let mut s = field(p, alias, &t.field);
            s.push_str(match t.direction {
                Some(Direction::Desc) => " DESC",
                _ => " ASC",
            });
            match t.nulls {
                Some(Nulls::First) => s.push_str(" NULLS FIRST"),
                Some(Nulls::Last) => s.push_str(" NULLS LAST"),
                None => {}
            }
            s
        })
        .collect();
    format!(" ORDER BY {}", parts.join(", "))
}

/// `LIMIT n OFFSET m` (numbers parsed as integers by the request parser).
pub(crate) fn page(limit: Option<i64>, offset: Option<i64>) -> String {
    let mut s = String::new();
    if let Some(l) = limit {
        s.push_str(&format!(" LIMIT {l}"));
    }
    if let Some(o) = offset.filter(|o| *o > 0) {
        s.push_str(&format!(" OFFSET {o}"));
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use oxforge_api_request::filter::parse_condition;

    fn cond(col: &str, v: &str) -> (String, Vec<String>) {
        let mut p = Params::default();
        let sql = condition(&mut p, "t0", &parse_condition(Field::parse(col).unwrap(), v).unwrap());
        (sql, p.finish(String::new()).params)
    }

    #[test]
    fn values_are_parameters() {
        assert_eq!(cond("id", "eq.5"), ("\"t0\".\"id\" = $1".into(), vec!["5".into()]));
        assert_eq!(
            cond("name", "eq.x'; DROP TABLE t; --"),
            ("\"t0\".\"name\" = $1".into(), vec!["x'; DROP TABLE t; --".into()])
        );
        assert_eq!(
            cond("id", "not.in.(1,\"a\\\"b\")"),
            (
                "NOT (\"t0\".\"id\" = ANY($1))".into(),
                vec!["{\"1\",\"a\\\"b\"}".into()]
            )
        );
        assert_eq!(cond("d->>k", "is.null").0, "\"t0\".\"d\"->>$1::text IS NULL");
        assert_eq!(
            cond("t", "like(all).{a*,*b}"),
            ("\"t0\".\"t\" LIKE ALL($1)".into(), vec!["{\"a%\",\"%b\"}".into()])
        );
        assert_eq!(
            cond("body", "wfts(english).cat dog"),
            (
                "\"t0\".\"body\" @@ websearch_to_tsquery($1::regconfig, $2::text)".into(),
                vec!["english".into(), "cat dog".into()]
            )
        );
    }
}
