//! The grid's list parameters: `limit`, `offset`, `search`, `sort`, `filterColumn` +
//! `filterValue`, read from the query string and checked before any SQL is built.

use oxforge_edge::ApiError;

use super::table::Pairs;

pub const DEFAULT_LIMIT: i64 = 50;
pub const MAX_LIMIT: i64 = 500;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    Asc,
    Desc,
}

impl Direction {
    pub fn sql(self) -> &'static str {
        match self {
            Direction::Asc => "ASC",
            Direction::Desc => "DESC",
        }
    }
}

#[derive(Debug, PartialEq, Eq)]
pub struct List {
    pub limit: i64,
    pub offset: i64,
    /// The trimmed search term, if any.
    pub search: Option<String>,
    /// Column names as given (checked against the catalog later) and directions.
    pub sort: Vec<(String, Direction)>,
    pub filter: Option<(String, String)>,
}

fn integer(pairs: &Pairs, name: &str, default: i64, min: i64, max: i64) -> Result<i64, ApiError> {
    let Some(text) = pairs.one(name) else {
        return Ok(default);
    };
    match text.trim().parse::<i64>() {
        Ok(n) if (min..=max).contains(&n) => Ok(n),
        _ => Err(ApiError::invalid_input(format!(
            "{name}: expected an integer from {min} to {max}"
        ))),
    }
}

/// `col:asc,col2:desc` (a clause without a direction is ascending).
pub fn sort(text: &str) -> Result<Vec<(String, Direction)>, ApiError> {
    let mut out = Vec::new();
    for clause in text.split(',').filter(|c| !c.trim().is_empty()) {
        let (column, direction) = match clause.rsplit_once(':') {
            Some((column, direction)) => (column, direction.trim()),
            None => (clause, "asc"),
        };
        let direction = if direction.eq_ignore_ascii_case("asc") {
            Direction::Asc
        } else if direction.eq_ignore_ascii_case("desc") {
            Direction::Desc
        } else {
            return Err(ApiError::invalid_input(format!(
                "sort: direction must be asc or desc in {clause:?}"
            )));
        };
        let column = column.trim();
        if column.is_empty() {
            return Err(ApiError::invalid_input(format!("sort: no column in {clause:?}")));
        }
        out.push((column.to_owned(), direction));
    }
    Ok(out)
}

/// A `LIKE` pattern matching `term` anywhere, its `%`, `_` and `\` taken literally.
pub fn contains_pattern(term: &str) -> String {
    let mut out = String::with_capacity(term.len() + 2);
    out.push('%');
    for c in term.chars() {
        if matches!(c, '%' | '_' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out.push('%');
    out
}

impl List {
    pub fn parse(pairs: &Pairs) -> Result<List, ApiError> {
        let filter = match (pairs.one("filterColumn"), pairs.one("filterValue")) {
            (None, None) => None,
            (Some(column), Some(value)) if !column.is_empty() => Some((column.to_owned(), value.to_owned())),
            _ => {
                return Err(ApiError::invalid_input("filterColumn and filterValue go together"));
            }
        };
        Ok(List {
            limit: integer(pairs, "limit", DEFAULT_LIMIT, 1, MAX_LIMIT)?,
            offset: integer(pairs, "offset", 0, 0, i64::MAX)?,
            search: pairs
                .one("search")
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(str::to_owned),
            sort: sort(pairs.one("sort").unwrap_or(""))?,
            filter,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn list(query: &[(&str, &str)]) -> Result<List, ApiError> {
        List::parse(&Pairs::new(
            query.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect(),
        ))
    }

    #[test]
    fn defaults_and_bounds() {
        let l = list(&[]).ok();
        assert_eq!(l.map(|l| (l.limit, l.offset)), Some((50, 0)));
        for bad in ["0", "501", "-1", "1e9", "99999999999999999999", "x"] {
            assert!(list(&[("limit", bad)]).is_err(), "{bad}");
        }
        assert!(list(&[("offset", "-1")]).is_err());
        assert_eq!(list(&[("limit", "500")]).ok().map(|l| l.limit), Some(500));
    }

    #[test]
    fn sort_clauses() {
        assert_eq!(
            sort("a:asc, b:DESC,c").ok(),
            Some(vec![
                ("a".into(), Direction::Asc),
                ("b".into(), Direction::Desc),
                ("c".into(), Direction::Asc)
            ])
        );
        assert_eq!(sort("a:b:desc").ok(), Some(vec![("a:b".into(), Direction::Desc)]));
        assert!(sort("a:sideways").is_err());
        assert!(sort("a:asc; DROP TABLE x").is_err());
        assert!(sort(":asc").is_err());
    }

    #[test]
    fn like_escaping() {
        assert_eq!(contains_pattern(r"50%_a\b"), r"%50\%\_a\\b%");
    }

    #[test]
    fn filter_needs_both() {
        assert!(list(&[("filterColumn", "a")]).is_err());
        assert!(list(&[("filterValue", "a")]).is_err());
        assert_eq!(
            list(&[("filterColumn", "a"), ("filterValue", "")])
                .ok()
                .and_then(|l| l.filter),
            Some(("a".into(), String::new()))
        );
    }
}
