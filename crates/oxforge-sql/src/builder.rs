//! Accumulating SQL text and its parameters.

/// A statement and its parameters (all sent as text, typed by PostgreSQL).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Statement {
    pub sql: String,
    pub params: Vec<String>,
}

/// Quotes an identifier: `a"b` → `"a""b"`.
pub fn ident(name: &str) -> String {
    let mut out = String::with_capacity(name.len() + 2);
    out.push('"');
    for c in name.chars() {
        if c == '"' {
            out.push('"');
        }
        out.push(c);
    }
    out.push('"');
    out
}

pub(crate) fn qualified(schema: &str, name: &str) -> String {
    format!("{}.{}", ident(schema), ident(name))
}

#[derive(Debug, Default)]
pub(crate) struct Params {
    values: Vec<String>,
}

impl Params {
    /// Binds a value and returns its placeholder.
    pub(crate) fn bind(&mut self, value: impl Into<String>) -> String {
        self.values.push(value.into());
        format!("${}", self.values.len())
    }

    pub(crate) fn finish(self, sql: String) -> Statement {
        Statement {
            sql,
            params: self.values,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quoting() {
        assert_eq!(ident("todos"), "\"todos\"");
        assert_eq!(ident("a\"; DROP TABLE x; --"), "\"a\"\"; DROP TABLE x; --\"");
        let mut p = Params::default();
        assert_eq!(p.bind("x"), "$1");
        assert_eq!(p.bind("y"), "$2");
    }
}
