//! `order=col.desc.nullslast,other,data->>k.asc`.

use crate::field::Field;
use crate::split::split_top_level;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    Asc,
    Desc,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Nulls {
    First,
    Last,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrderTerm {
    pub field: Field,
    pub direction: Option<Direction>,
    pub nulls: Option<Nulls>,
}

pub fn parse_order(value: &str) -> Result<Vec<OrderTerm>, String> {
    split_top_level(value, ',')?
        .into_iter()
        .map(|term| {
            let term = term.trim();
            let mut parts: Vec<&str> = term.split('.').collect();
            let mut direction = None;
            let mut nulls = None;
            // Modifiers come last: [.asc|.desc][.nullsfirst|.nullslast]
            for _ in 0..2 {
                match parts.last().copied() {
                    Some("nullsfirst") if nulls.is_none() && direction.is_none() => nulls = Some(Nulls::First),
                    Some("nullslast") if nulls.is_none() && direction.is_none() => nulls = Some(Nulls::Last),
                    Some("asc") if direction.is_none() => direction = Some(Direction::Asc),
                    Some("desc") if direction.is_none() => direction = Some(Direction::Desc),
                    _ => break,
                }
                parts.pop();
            }
            if parts.len() > 1 {
                let unexpected = parts.last().copied().unwrap_or_default();
                return Err(format!(
                    "unexpected \"{unexpected}\" expecting \"asc\", \"desc\", \"nullsfirst\" or \"nullslast\" (column[.asc|.desc][.nullsfirst|.nullslast])"
                ));
            }
            let field = Field::parse(&parts.join("."))?;
            Ok(OrderTerm {
                field,
                direction,
                nulls,
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn terms() {
        let terms = parse_order("created_at.desc.nullslast,title,data->>k.asc").unwrap();
        assert_eq!(terms.len(), 3);
        assert_eq!(
            (terms[0].direction, terms[0].nulls),
            (Some(Direction::Desc), Some(Nulls::Last))
        );
        assert_eq!(terms[1].field.name, "title");
        assert_eq!(terms[1].direction, None);
        assert_eq!(terms[2].field.json_path.len(), 1);
        assert!(parse_order("").is_err());
        assert!(parse_order("a,,b").is_err());
        for bad in ["title.sideways", "title.nullslast.desc", "a.b"] {
            let e = parse_order(bad).unwrap_err();
            assert!(
                e.contains("expecting \"asc\", \"desc\", \"nullsfirst\" or \"nullslast\""),
                "{bad}: {e}"
            );
        }
    }
}
