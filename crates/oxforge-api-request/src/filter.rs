//! One filter: `[not.]<op>[(<modifier>)].<value>`, e.g. `eq.5`, `not.in.(1,2)`,
//! `like(any).{a*,*b}`, `wfts(english).cat & dog`, `is.null`.

use crate::field::Field;
use crate::split::{split_top_level, unquote};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Operator {
    Eq,
    Neq,
    Gt,
    Gte,
    Lt,
    Lte,
    Like,
    Ilike,
    Match,
    Imatch,
    Is,
    IsDistinct,
    In,
    Cs,
    Cd,
    Ov,
    Sl,
    Sr,
    Nxl,
    Nxr,
    Adj,
    Fts,
    Plfts,
    Phfts,
    Wfts,
}

impl Operator {
    /// The allowlist of operator names.
    pub fn from_name(name: &str) -> Option<Operator> {
        use Operator::*;
        Some(match name {
            "eq" => Eq,
            "neq" => Neq,
            "gt" => Gt,
            "gte" => Gte,
            "lt" => Lt,
            "lte" => Lte,
            "like" => Like,
            "ilike" => Ilike,
            "match" => Match,
            "imatch" => Imatch,
            "is" => Is,
            "isdistinct" => IsDistinct,
            "in" => In,
            "cs" => Cs,
            "cd" => Cd,
            "ov" => Ov,
            "sl" => Sl,
            "sr" => Sr,
            "nxl" => Nxl,
            "nxr" => Nxr,
            "adj" => Adj,
            "fts" => Fts,
            "plfts" => Plfts,
            "phfts" => Phfts,
            "wfts" => Wfts,
            _ => return None,
        })
    }

    fn takes_quantifier(self) -> bool {
        use Operator::*;
        matches!(self, Eq | Neq | Gt | Gte | Lt | Lte | Like | Ilike | Match | Imatch)
    }

    fn is_full_text(self) -> bool {
        matches!(self, Operator::Fts | Operator::Plfts | Operator::Phfts | Operator::Wfts)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Quantifier {
    Any,
    All,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IsValue {
    Null,
    NotNull,
    True,
    False,
    Unknown,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Operand {
    /// A single value, sent as a bound parameter.
    Scalar(String),
    /// `in.(…)` and `op(any|all).{…}` values.
    List(Vec<String>),
    Is(IsValue),
    /// Full-text search with an optional text-search configuration.
    Search {
        config: Option<String>,
        query: String,
    },
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Condition {
    pub field: Field,
    pub negated: bool,
    pub op: Operator,
    pub quantifier: Option<Quantifier>,
    pub operand: Operand,
}

/// `*` is PostgREST's wildcard in like patterns (URLs make `%` awkward).
fn like_pattern(op: Operator, s: String) -> String {
    if matches!(op, Operator::Like | Operator::Ilike) {
        s.replace('*', "%")
    } else {
        s
    }
}

fn parse_list(raw: &str, open: char, close: char) -> Result<Vec<String>, String> {
    let inner = raw
        .strip_prefix(open)
        .and_then(|r| r.strip_suffix(close))
        .ok_or_else(|| format!("expected a list in \"{open}…{close}\""))?;
    if inner.trim().is_empty() {
        return Ok(Vec::new());
    }
    Ok(split_top_level(inner, ',')?
        .into_iter()
        .map(|s| unquote(s.trim()))
        .collect())
}

/// Parses the value side of a filter for `field`.
pub fn parse_condition(field: Field, value: &str) -> Result<Condition, String> {
    let (negated, rest) = match value.strip_prefix("not.") {
        Some(rest) => (true, rest),
        None => (false, value),
    };
    let dot = rest
        .find('.')
        .ok_or_else(|| "expected \"<operator>.<value>\"".to_owned())?;
    let (token, operand_raw) = (&rest[..dot], &rest[dot + 1..]);
    let (name, modifier) = match token.split_once('(') {
        Some((name, m)) => {
            let m = m.strip_suffix(')').ok_or("unbalanced parentheses in the operator")?;
            (name, Some(m))
        }
        None => (token, None),
    };
    let op = Operator::from_name(name).ok_or_else(|| format!("unknown operator \"{name}\""))?;
    let mut quantifier = None;
    let operand = if op.is_full_text() {
        Operand::Search {
            config: modifier.map(str::to_owned),
            query: operand_raw.to_owned(),
        }
    } else if let Some(m) = modifier {
        if !op.takes_quantifier() {
            return Err(format!("operator \"{name}\" takes no modifier"));
        }
        quantifier = Some(match m {
            "any" => Quantifier::Any,
            "all" => Quantifier::All,
            _ => return Err(format!("unknown modifier \"{m}\" (expected any or all)")),
        });
        Operand::List(
            parse_list(operand_raw, '{', '}')?
                .into_iter()
                .map(|s| like_pattern(op, s))
                .collect(),
        )
    } else {
        match op {
            Operator::In => Operand::List(parse_list(operand_raw, '(', ')')?),
            Operator::Is => Operand::Is(match operand_raw.to_ascii_lowercase().as_str() {
                "null" => IsValue::Null,
                "not_null" => IsValue::NotNull,
                "true" => IsValue::True,
                "false" => IsValue::False,
                "unknown" => IsValue::Unknown,
                other => return Err(format!("unknown value for is: \"{other}\"")),
            }),
            _ => Operand::Scalar(like_pattern(op, operand_raw.to_owned())),
        }
    };
    Ok(Condition {
        field,
        negated,
        op,
        quantifier,
        operand,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cond(v: &str) -> Condition {
        parse_condition(Field::column("c"), v).unwrap()
    }

    #[test]
    fn scalar_operators() {
        let c = cond("eq.5");
        assert_eq!(
            (c.op, c.negated, c.operand),
            (Operator::Eq, false, Operand::Scalar("5".into()))
        );
        let c = cond("not.gte.2020-01-01");
        assert_eq!((c.op, c.negated), (Operator::Gte, true));
        assert_eq!(
            cond("eq.a.b").operand,
            Operand::Scalar("a.b".into()),
            "dots in values are kept"
        );
        assert_eq!(cond("like.*ab*").operand, Operand::Scalar("%ab%".into()));
        assert_eq!(cond("eq.").operand, Operand::Scalar(String::new()));
    }

    #[test]
    fn lists_and_modifiers() {
        assert_eq!(
            cond("in.(1,\"a,b\", c )").operand,
            Operand::List(vec!["1".into(), "a,b".into(), "c".into()])
        );
        assert_eq!(cond("in.()").operand, Operand::List(vec![]));
        let c = cond("like(any).{a*,*b}");
        assert_eq!(c.quantifier, Some(Quantifier::Any));
        assert_eq!(c.operand, Operand::List(vec!["a%".into(), "%b".into()]));
        let c = cond("wfts(english).cat & dog");
        assert_eq!(
            c.operand,
            Operand::Search {
                config: Some("english".into()),
                query: "cat & dog".into()
            }
        );
        assert_eq!(cond("is.NULL").operand, Operand::Is(IsValue::Null));
        assert_eq!(cond("is.not_null").operand, Operand::Is(IsValue::NotNull));
    }

    #[test]
    fn errors() {
        for bad in [
            "eq",
            "foo.1",
            "is.maybe",
            "in.1,2",
            "in.(1,2",
            "like(some).{a}",
            "cs(any).{a}",
            "",
        ] {
            assert!(parse_condition(Field::column("c"), bad).is_err(), "{bad:?}");
        }
    }
}
