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

/// Deepest nesting of `and(…)`/`or(…)` accepted: the parser recurses per level.
pub const MAX_LOGIC_DEPTH: usize = 16;

impl LogicTree {
    /// Parses the value of an `or=` / `and=` / `not.or=` parameter: `(<item>,<item>,…)`.
    pub fn parse(is_or: bool, negated: bool, value: &str) -> Result<LogicTree, String> {
        Self::parse_at(is_or, negated, value, 0)
    }

    fn parse_at(is_or: bool, negated: bool, value: &str, depth: usize) -> Result<LogicTree, String> {
        if depth > MAX_LOGIC_DEPTH {
            return Err(format!("logic trees nested deeper than {MAX_LOGIC_DEPTH} levels"));
        }
        let inner = value
            .trim()
            .strip_prefix('(')
            .and_then(|v| v.strip_suffix(')'))
            .ok_or("expected \"(…)\"")?;
        let children = split_top_level(inner, ',')?
            .into_iter()
            .map(|item| parse_item(item.trim(), depth))
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

fn parse_item(item: &str, depth: usize) -> Result<LogicTree, String> {
    let (negated, rest) = match item.strip_prefix("not.") {
        Some(rest) if rest.starts_with("and(") || rest.starts_with("or(") => (true, rest),
        _ => (false, item),
    };
    if let Some(body) = rest.strip_prefix("and")
        && body.starts_with('(')
    {
        return LogicTree::parse_at(false, negated, body, depth + 1);
    }
    if let Some(body) = rest.strip_prefix("or")
        && body.starts_with('(')
    {
        return LogicTree::parse_at(true, negated, body, depth + 1);
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
    fn nesting_is_bounded() {
        let nested = |n: usize| format!("({}a.eq.1{})", "and(".repeat(n), ")".repeat(n));
        assert!(LogicTree::parse(true, false, &nested(MAX_LOGIC_DEPTH)).is_ok());
        assert!(LogicTree::parse(true, false, &nested(MAX_LOGIC_DEPTH + 1)).is_err());
        assert!(
            LogicTree::parse(true, false, &nested(100_000)).is_err(),
            "no stack overflow"
        );
    }

    #[test]
    fn errors() {
        for bad in ["a.eq.1", "(a.eq.1", "()", "(a)", "(a.zz.1)", "(and(a.eq.1)"] {
            assert!(LogicTree::parse(true, false, bad).is_err(), "{bad}");
        }
    }
}
