//! The query string: reserved parameters, filters, and their embedded-resource forms.

use std::collections::BTreeMap;

use crate::ApiRequestError;
use crate::field::Field;
use crate::filter::{Condition, parse_condition};
use crate::logic::LogicTree;
use crate::order::{OrderTerm, parse_order};
use crate::select::{SelectItem, parse_select};
use crate::split::{split_top_level, unquote};

/// A path of embedded resources: `[]` is the root, `["author"]` the `author` embed, etc.
pub type EmbedPath = Vec<String>;

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Page {
    pub offset: Option<i64>,
    pub limit: Option<i64>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct QueryParams {
    pub select: Option<Vec<SelectItem>>,
    pub conditions: Vec<(EmbedPath, Condition)>,
    pub logic: Vec<(EmbedPath, LogicTree)>,
    pub order: BTreeMap<EmbedPath, Vec<OrderTerm>>,
    pub pages: BTreeMap<EmbedPath, Page>,
    pub on_conflict: Option<Vec<String>>,
    pub columns: Option<Vec<String>>,
    /// Function arguments given in the query string (RPC over GET).
    pub args: Vec<(String, String)>,
}

fn names(value: &str) -> Result<Vec<String>, String> {
    let names: Vec<String> = split_top_level(value, ',')?
        .into_iter()
        .map(|s| unquote(s.trim()))
        .collect();
    if names.iter().any(String::is_empty) {
        return Err("empty name".into());
    }
    Ok(names)
}

fn count(what: &'static str, value: &str) -> Result<i64, ApiRequestError> {
    value
        .trim()
        .parse::<i64>()
        .ok()
        .filter(|n| *n >= 0)
        .ok_or_else(|| ApiRequestError::parse(&format!("{what} parameter"), value, "expected a non-negative integer"))
}

impl QueryParams {
    /// Parses a raw query string (`a=1&b=2`, repeated keys kept). `is_arg` tells which plain
    /// keys are function arguments (RPC over GET); elsewhere pass `|_| false`.
    pub fn parse(raw: &str, is_arg: impl Fn(&str) -> bool) -> Result<QueryParams, ApiRequestError> {
        let mut q = QueryParams::default();
        for (key, value) in form_urlencoded::parse(raw.as_bytes()) {
            let (key, value) = (key.as_ref(), value.as_ref());
            match key {
                "select" => {
                    q.select =
                        Some(parse_select(value).map_err(|e| ApiRequestError::parse("select parameter", value, e))?)
                }
                "columns" => {
                    q.columns = Some(names(value).map_err(|e| ApiRequestError::parse("columns parameter", value, e))?)
                }
                "on_conflict" => {
                    q.on_conflict =
                        Some(names(value).map_err(|e| ApiRequestError::parse("on_conflict parameter", value, e))?)
                }
                // InsForge strips `schema=` and turns it into a profile header (done by the HTTP layer).
                "schema" => {}
                _ if is_arg(key) => q.args.push((key.to_owned(), value.to_owned())),
                _ => q.parse_keyed(key, value)?,
            }
        }
        Ok(q)
    }

    /// Parameters whose key may carry an embed path: `order`, `limit`, `offset`, `or`, `and`,
    /// `not.or`, `not.and` and filters.
    fn parse_keyed(&mut self, key: &str, value: &str) -> Result<(), ApiRequestError> {
        let segments: Vec<&str> = key.split('.').collect();
        let (path, last, negated) = match segments.as_slice() {
            [rest @ .., "not", last @ ("or" | "and")] => (rest, *last, true),
            [rest @ .., last] => (rest, *last, false),
            [] => return Err(ApiRequestError::parse("filter", key, "empty key")),
        };
        let path: EmbedPath = path.iter().map(|s| (*s).to_owned()).collect();
        match last {
            "order" => {
                let terms = parse_order(value).map_err(|e| ApiRequestError::parse("order", value, e))?;
                self.order.insert(path, terms);
            }
            "limit" => self.pages.entry(path).or_default().limit = Some(count("limit", value)?),
            "offset" => self.pages.entry(path).or_default().offset = Some(count("offset", value)?),
            "or" | "and" => {
                let tree = LogicTree::parse(last == "or", negated, value)
                    .map_err(|e| ApiRequestError::parse("logic tree", &format!("{key}={value}"), e))?;
                self.logic.push((path, tree));
            }
            column => {
                let field = Field::parse(column).map_err(|e| ApiRequestError::parse("filter", key, e))?;
                let condition = parse_condition(field, value)
                    .map_err(|e| ApiRequestError::parse("filter", &format!("{key}={value}"), e))?;
                self.conditions.push((path, condition));
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::filter::Operator;

    #[test]
    fn repeated_keys_survive() {
        let q = QueryParams::parse("age=gte.18&age=lte.65&select=id,name", |_| false).unwrap();
        assert_eq!(q.conditions.len(), 2);
        assert_eq!(q.conditions[0].1.op, Operator::Gte);
        assert_eq!(q.conditions[1].1.op, Operator::Lte);
        assert_eq!(q.select.unwrap().len(), 2);
    }

    #[test]
    fn embedded_forms() {
        let q = QueryParams::parse(
            "select=*,comments(*)&comments.order=id.desc&comments.limit=2&comments.body=like.*x*&comments.or=(a.eq.1,b.eq.2)&not.and=(a.eq.1,b.eq.2)&limit=10&offset=5",
            |_| false,
        )
        .unwrap();
        assert!(q.order.contains_key(&vec!["comments".to_owned()]));
        assert_eq!(q.pages[&vec!["comments".to_owned()]].limit, Some(2));
        assert_eq!(
            q.pages[&Vec::<String>::new()],
            Page {
                offset: Some(5),
                limit: Some(10)
            }
        );
        assert_eq!(q.conditions[0].0, vec!["comments".to_owned()]);
        assert_eq!(q.logic.len(), 2);
        assert!(matches!(q.logic[1], (ref p, LogicTree::And { negated: true, .. }) if p.is_empty()));
    }

    #[test]
    fn decoding_and_args() {
        let q = QueryParams::parse(
            "name=eq.a+b&title=like.%25x%25&columns=%22a%22,%22b%22&on_conflict=id",
            |_| false,
        )
        .unwrap();
        assert_eq!(q.conditions[0].1.operand, crate::Operand::Scalar("a b".into()));
        assert_eq!(q.columns, Some(vec!["a".into(), "b".into()]));
        assert_eq!(q.on_conflict, Some(vec!["id".into()]));
        let rpc = QueryParams::parse("a=1&b=eq.2", |k| k == "a").unwrap();
        assert_eq!(rpc.args, vec![("a".into(), "1".into())]);
        assert_eq!(rpc.conditions.len(), 1);
    }

    #[test]
    fn errors_are_pgrst100() {
        for bad in [
            "id=5",
            "limit=x",
            "offset=-1",
            "select=a(",
            "order=",
            "or=(a.eq.1",
            "id=zz.1",
        ] {
            let err = QueryParams::parse(bad, |_| false).unwrap_err();
            assert_eq!((err.code.as_str(), err.status), ("PGRST100", 400), "{bad}");
        }
    }
}
