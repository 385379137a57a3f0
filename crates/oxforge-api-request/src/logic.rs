//! `or=(a.eq.1,b.gt.2,and(c.is.null,d.lt.3))` and friends.

use crate::field::Field;
use crate::filter::{Condition, parse_condition};
use crate::split::split_top_level;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LogicTree {
    And { negated: bool, children: Vec<LogicTree> },
    Or { negated: bool, children: Vec<LogicTree> },
    Condition(Condition),
}

impl LogicTree {
    /// Parses the value of an `or=` / `and=` / `not.or=` parameter: `(<item>,<item>,…)`.
    pub fn parse(is_or: bool, negated: bool, value: &str) -> Result<LogicTree, String> {
        let inner = value
            .trim()
            .strip_prefix('(')
            .and_then(|v| v.strip_suffix(')'))
            .ok_or("expected \"(…)\"")?;
        let children = split_top_level(inner, ',')?
            .into_iter()
            .map(|item| parse_item(item.trim()))
            .collect::<Result<Vec<_>, _>>()?;
        if children.is_empty() {
            return Err("empty logic tree".into());
        }
        Ok(if is_or {
            LogicTree::Or { negated, children }
        } else {
            LogicTree::And { negated, children }
        })
    }
}

fn parse_item(item: &str) -> Result<LogicTree, String> {
    let (negated, rest) = match item.strip_prefix("not.") {
        Some(rest) if rest.starts_with("and(") || rest.starts_with("or(") => (true, rest),
        _ => (false, item),
    };
    if let Some(body) = rest.strip_prefix("and")
        && body.starts_with('(')
    {
        return LogicTree::parse(false, negated, body);
    }
    if let Some(body) = rest.strip_prefix("or")
        && body.starts_with('(')
    {
        return LogicTree::parse(true, negated, body);
    }
    // `<field>.<filter>`: the field ends at the first '.' outside a JSON arrow.
    let dot = item
        .find('.')
        .ok_or_else(|| format!("expected \"<column>.<operator>.<value>\" in \"{item}\""))?;
    let field = Field::parse(&item[..dot])?;
    parse_condition(field, &item[dot + 1..]).map(LogicTree::Condition)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::filter::Operator;

    #[test]
    fn nested() {
        let tree = LogicTree::parse(
            true,
            false,
            "(a.eq.1,b.in.(1,2),and(c.is.null,d.not.lt.3),not.or(e.eq.x))",
        )
        .unwrap();
        let LogicTree::Or {
            negated: false,
            children,
        } = tree
        else {
            panic!()
        };
        assert_eq!(children.len(), 4);
        assert!(matches!(&children[1], LogicTree::Condition(c) if c.op == Operator::In));
        let LogicTree::And { children: inner, .. } = &children[2] else {
            panic!()
        };
        assert!(matches!(&inner[1], LogicTree::Condition(c) if c.negated && c.op == Operator::Lt));
        assert!(matches!(&children[3], LogicTree::Or { negated: true, .. }));
    }

    #[test]
    fn errors() {
        for bad in ["a.eq.1", "(a.eq.1", "()", "(a)", "(a.zz.1)", "(and(a.eq.1)"] {
            assert!(LogicTree::parse(true, false, bad).is_err(), "{bad}");
        }
    }
}
