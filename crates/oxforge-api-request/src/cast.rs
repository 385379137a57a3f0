//! `col::type` in `select`: the type is parsed into a name from an allowlist (PostgreSQL's
//! built-in types, including the multi-word spellings) or a plain `[schema.]name` the planner
//! must find in the schema cache, an optional `(n[,m])` and `[]`. Nothing of the request's text
//! reaches SQL: [`Cast::sql`] writes quoted identifiers and digits only.

/// The spellings accepted for built-in types, and the name `pg_catalog` knows each by.
/// `reg*` types, `record`, pseudo-types and `pg_*` types are deliberately absent.
const BUILTINS: &[(&str, &str)] = &[
    ("bool", "bool"),
    ("boolean", "bool"),
    ("smallint", "int2"),
    ("int2", "int2"),
    ("integer", "int4"),
    ("int", "int4"),
    ("int4", "int4"),
    ("bigint", "int8"),
    ("int8", "int8"),
    ("real", "float4"),
    ("float4", "float4"),
    ("double precision", "float8"),
    ("float", "float8"),
    ("float8", "float8"),
    ("numeric", "numeric"),
    ("decimal", "numeric"),
    ("money", "money"),
    ("text", "text"),
    ("varchar", "varchar"),
    ("character varying", "varchar"),
    ("char", "bpchar"),
    ("character", "bpchar"),
    ("bpchar", "bpchar"),
    ("name", "name"),
    ("uuid", "uuid"),
    ("json", "json"),
    ("jsonb", "jsonb"),
    ("xml", "xml"),
    ("bytea", "bytea"),
    ("date", "date"),
    ("time", "time"),
    ("time without time zone", "time"),
    ("timetz", "timetz"),
    ("time with time zone", "timetz"),
    ("timestamp", "timestamp"),
    ("timestamp without time zone", "timestamp"),
    ("timestamptz", "timestamptz"),
    ("timestamp with time zone", "timestamptz"),
    ("interval", "interval"),
    ("inet", "inet"),
    ("cidr", "cidr"),
    ("macaddr", "macaddr"),
    ("macaddr8", "macaddr8"),
    ("bit", "bit"),
    ("varbit", "varbit"),
    ("bit varying", "varbit"),
    ("tsvector", "tsvector"),
    ("tsquery", "tsquery"),
    ("point", "point"),
    ("line", "line"),
    ("lseg", "lseg"),
    ("box", "box"),
    ("path", "path"),
    ("polygon", "polygon"),
    ("circle", "circle"),
    ("int4range", "int4range"),
    ("int8range", "int8range"),
    ("numrange", "numrange"),
    ("tsrange", "tsrange"),
    ("tstzrange", "tstzrange"),
    ("daterange", "daterange"),
];

/// Pseudo-types, never a cast target (`reg*`, `any*` and `pg_*` names are refused by prefix).
const PSEUDO_TYPES: &[&str] = &[
    "record",
    "void",
    "trigger",
    "event_trigger",
    "internal",
    "cstring",
    "unknown",
    "language_handler",
    "fdw_handler",
    "index_am_handler",
    "tsm_handler",
    "table_am_handler",
    "opaque",
];

/// Largest type modifier accepted (`varchar(n)`, `numeric(p,s)`, `bit(n)`…).
const MAX_MODIFIER: u32 = 10_485_760;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CastName {
    /// A built-in type, by its `pg_catalog` name.
    Builtin(&'static str),
    /// `name` or `schema.name` (lower-case identifiers): valid only if the schema cache knows it.
    Custom(Vec<String>),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cast {
    pub name: CastName,
    /// `(n)` or `(n,m)`.
    pub modifiers: Vec<u32>,
    pub array: bool,
}

fn is_identifier(s: &str) -> bool {
    let mut chars = s.chars();
    matches!(chars.next(), Some(c) if c.is_ascii_lowercase() || c == '_')
        && chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
        && s.len() <= 63
}

impl Cast {
    /// Parses the text after `::`; `None` when it is not a type this allowlist accepts.
    pub fn parse(text: &str) -> Option<Cast> {
        let lower = text.trim().to_ascii_lowercase();
        let (rest, array) = match lower.strip_suffix("[]") {
            Some(rest) => (rest.trim_end(), true),
            None => (lower.as_str(), false),
        };
        let (rest, modifiers) = match rest.strip_suffix(')') {
            Some(inner) => {
                let open = inner.rfind('(')?;
                let modifiers = inner[open + 1..]
                    .split(',')
                    .map(|m| m.trim().parse::<u32>().ok().filter(|n| *n <= MAX_MODIFIER))
                    .collect::<Option<Vec<u32>>>()?;
                if modifiers.len() > 2 {
                    return None;
                }
                (inner[..open].trim_end(), modifiers)
            }
            None => (rest, Vec::new()),
        };
        let words: Vec<&str> = rest.split_whitespace().collect();
        let spelled = words.join(" ");
        let name = if let Some((_, builtin)) = BUILTINS.iter().find(|(alias, _)| *alias == spelled) {
            CastName::Builtin(builtin)
        } else {
            let parts: Vec<String> = spelled.split('.').map(str::to_owned).collect();
            if words.len() != 1 || parts.len() > 2 || !parts.iter().all(|p| is_identifier(p)) {
                return None;
            }
            if parts
                .iter()
                .any(|p| p.starts_with("pg_") || p.starts_with("reg") || p.starts_with("any"))
                || parts[0] == "information_schema"
                || PSEUDO_TYPES.contains(&parts[parts.len() - 1].as_str())
            {
                return None;
            }
            CastName::Custom(parts)
        };
        Some(Cast { name, modifiers, array })
    }

    /// The custom type's name as `format_type` prints it for a type on the search path or
    /// qualified (`mood`, `app.mood`); `None` for built-ins.
    pub fn custom_name(&self) -> Option<String> {
        match &self.name {
            CastName::Builtin(_) => None,
            CastName::Custom(parts) => Some(parts.join(".")),
        }
    }

    /// The type as SQL: quoted identifiers, digits, `[]`.
    pub fn sql(&self) -> String {
        let quote = |s: &str| format!("\"{s}\"");
        let mut out = match &self.name {
            CastName::Builtin(name) => format!("\"pg_catalog\".{}", quote(name)),
            CastName::Custom(parts) => parts.iter().map(|p| quote(p)).collect::<Vec<_>>().join("."),
        };
        if !self.modifiers.is_empty() {
            let list: Vec<String> = self.modifiers.iter().map(u32::to_string).collect();
            out.push_str(&format!("({})", list.join(",")));
        }
        if self.array {
            out.push_str("[]");
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sql(text: &str) -> Option<String> {
        Cast::parse(text).map(|c| c.sql())
    }

    #[test]
    fn builtins_in_every_spelling() {
        assert_eq!(sql("text").as_deref(), Some("\"pg_catalog\".\"text\""));
        assert_eq!(sql("INT").as_deref(), Some("\"pg_catalog\".\"int4\""));
        assert_eq!(sql("double  precision").as_deref(), Some("\"pg_catalog\".\"float8\""));
        assert_eq!(
            sql("timestamp with time zone").as_deref(),
            Some("\"pg_catalog\".\"timestamptz\"")
        );
        assert_eq!(
            sql("character varying(20)").as_deref(),
            Some("\"pg_catalog\".\"varchar\"(20)")
        );
        assert_eq!(
            sql("numeric(10, 2)[]").as_deref(),
            Some("\"pg_catalog\".\"numeric\"(10,2)[]")
        );
        assert_eq!(sql("int4[]").as_deref(), Some("\"pg_catalog\".\"int4\"[]"));
    }

    #[test]
    fn custom_names_are_plain_identifiers() {
        let cast = Cast::parse("app.Mood").unwrap();
        assert_eq!(cast.custom_name().as_deref(), Some("app.mood"));
        assert_eq!(cast.sql(), "\"app\".\"mood\"");
        assert_eq!(Cast::parse("mood").unwrap().custom_name().as_deref(), Some("mood"));
    }

    #[test]
    fn everything_else_is_refused() {
        for bad in [
            "",
            "text AS x FROM posts UNION SELECT session_user AS body FROM posts UNION SELECT body",
            "text from pg_authid",
            "int);",
            "text)",
            "varchar(1,2,3)",
            "varchar(x)",
            "varchar(99999999999)",
            "regclass",
            "pg_catalog.text",
            "pg_authid",
            "information_schema.sql_identifier",
            "a.b.c",
            "\"text\"",
            "text--",
            "text/**/",
            "record",
            "my type",
        ] {
            assert!(Cast::parse(bad).is_none(), "{bad:?} accepted");
        }
    }
}
