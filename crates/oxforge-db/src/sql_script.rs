//! SQL scripts as migrations and the SQL editor send them: split into statements (respecting
//! quotes, dollar quotes and comments), checked against the statements a migration may not run,
//! and rated for risk. Pure functions.

/// Splits a script at top-level semicolons; empty statements are dropped.
pub fn split(script: &str) -> Vec<String> {
    let chars: Vec<char> = script.chars().collect();
    let mut statements = Vec::new();
    let mut current = String::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        let next = chars.get(i + 1).copied();
        match c {
            '\'' | '"' => {
                let end = skip_quoted(&chars, i, c);
                current.extend(&chars[i..end]);
                i = end;
                continue;
            }
            '-' if next == Some('-') => {
                let end = chars[i..]
                    .iter()
                    .position(|&ch| ch == '\n')
                    .map_or(chars.len(), |p| i + p);
                current.extend(&chars[i..end]);
                i = end;
                continue;
            }
            '/' if next == Some('*') => {
                let end = skip_block_comment(&chars, i);
                current.extend(&chars[i..end]);
                i = end;
                continue;
            }
            '$' => {
                if let Some(end) = skip_dollar_quoted(&chars, i) {
                    current.extend(&chars[i..end]);
                    i = end;
                    continue;
                }
            }
            ';' => {
                push_statement(&mut statements, &current);
                current.clear();
                i += 1;
                continue;
            }
            _ => {}
        }
        current.push(c);
        i += 1;
    }
    push_statement(&mut statements, &current);
    statements
}

fn push_statement(statements: &mut Vec<String>, text: &str) {
    let trimmed = text.trim();
    if !strip_comments(trimmed).trim().is_empty() {
        statements.push(trimmed.to_owned());
    }
}

fn skip_quoted(chars: &[char], start: usize, quote: char) -> usize {
    let mut i = start + 1;
    while i < chars.len() {
        if chars[i] == quote {
            if chars.get(i + 1) == Some(&quote) {
                i += 2;
                continue;
            }
            return i + 1;
        }
        i += 1;
    }
    chars.len()
}

fn skip_block_comment(chars: &[char], start: usize) -> usize {
    let mut depth = 0;
    let mut i = start;
    while i + 1 < chars.len() {
        if chars[i] == '/' && chars[i + 1] == '*' {
            depth += 1;
            i += 2;
        } else if chars[i] == '*' && chars[i + 1] == '/' {
            depth -= 1;
            i += 2;
            if depth == 0 {
                return i;
            }
        } else {
            i += 1;
        }
    }
    chars.len()
}

/// `$tag$ … $tag$`; `None` when `$` does not open a dollar quote (e.g. `$1`).
fn skip_dollar_quoted(chars: &[char], start: usize) -> Option<usize> {
    let mut j = start + 1;
    while j < chars.len() && (chars[j].is_alphanumeric() || chars[j] == '_') {
        if j == start + 1 && chars[j].is_ascii_digit() {
            return None;
        }
        j += 1;
    }
    if chars.get(j) != Some(&'$') {
        return None;
    }
    let tag: Vec<char> = chars[start..=j].to_vec();
    let mut i = j + 1;
    while i + tag.len() <= chars.len() {
        if chars[i..i + tag.len()] == tag[..] {
            return Some(i + tag.len());
        }
        i += 1;
    }
    Some(chars.len())
}

/// The statement without comments, uppercased words separated by single spaces (for matching).
fn normalized(statement: &str) -> String {
    strip_comments(statement)
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .to_uppercase()
}

fn strip_comments(statement: &str) -> String {
    let chars: Vec<char> = statement.chars().collect();
    let mut out = String::new();
    let mut i = 0;
    while i < chars.len() {
        match (chars[i], chars.get(i + 1)) {
            ('-', Some('-')) => {
                i = chars[i..]
                    .iter()
                    .position(|&ch| ch == '\n')
                    .map_or(chars.len(), |p| i + p);
            }
            ('/', Some('*')) => i = skip_block_comment(&chars, i),
            ('\'' | '"', _) => {
                let end = skip_quoted(&chars, i, chars[i]);
                out.extend(&chars[i..end]);
                i = end;
            }
            (c, _) => {
                out.push(c);
                i += 1;
            }
        }
    }
    out
}

/// Why a migration may not contain this statement (InsForge's guards), if it may not.
pub fn forbidden(statement: &str) -> Option<&'static str> {
    let s = normalized(statement);
    let starts = |p: &str| s == p || s.starts_with(&format!("{p} ")) || s.starts_with(&format!("{p};"));
    if ["BEGIN", "START TRANSACTION", "COMMIT", "END", "ROLLBACK", "ABORT"]
        .iter()
        .any(|p| starts(p))
    {
        return Some("transaction control is not allowed: each migration already runs in its own transaction");
    }
    let set = s
        .strip_prefix("SET LOCAL ")
        .or_else(|| s.strip_prefix("SET SESSION "))
        .or_else(|| s.strip_prefix("SET "));
    if let Some(rest) = set
        && ["ROLE", "SESSION AUTHORIZATION", "SEARCH_PATH", "STATEMENT_TIMEOUT"]
            .iter()
            .any(|p| rest.starts_with(p))
    {
        return Some("changing the role, search_path or statement_timeout is not allowed");
    }
    if starts("RESET ALL") || starts("RESET ROLE") || starts("RESET SESSION AUTHORIZATION") {
        return Some("RESET of the session is not allowed");
    }
    if ["CREATE DATABASE", "DROP DATABASE", "ALTER DATABASE", "ALTER SYSTEM"]
        .iter()
        .any(|p| starts(p))
    {
        return Some("database management statements are not allowed");
    }
    None
}

/// The words of a statement's code, uppercased: comments, string literals, quoted identifiers
/// and dollar-quoted bodies are left out (a `'delete'` literal or a `"update"` column is no
/// keyword), as is punctuation.
fn code_words(statement: &str) -> Vec<String> {
    let chars: Vec<char> = strip_comments(statement).chars().collect();
    let mut words = Vec::new();
    let mut word = String::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        let skip_to = match c {
            '\'' | '"' => Some(skip_quoted(&chars, i, c)),
            '$' if word.is_empty() => skip_dollar_quoted(&chars, i),
            _ => None,
        };
        if let Some(end) = skip_to {
            words.extend((!word.is_empty()).then(|| std::mem::take(&mut word)));
            i = end;
            continue;
        }
        if c.is_alphanumeric() || c == '_' || c == '$' {
            word.extend(c.to_uppercase());
        } else if !word.is_empty() {
            words.push(std::mem::take(&mut word));
        }
        i += 1;
    }
    words.extend((!word.is_empty()).then_some(word));
    words
}

/// Why a statement cannot be explained with the SQL editor's `explain: true`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NotExplainable {
    /// No statement, or more than one.
    NotOneStatement,
    /// Not a query (SELECT, WITH … SELECT, VALUES, TABLE).
    NotAQuery,
    /// A query that writes or locks: a data-modifying `WITH`, `SELECT … INTO`, `FOR UPDATE`.
    ChangesData,
}

impl NotExplainable {
    pub fn message(self) -> &'static str {
        match self {
            NotExplainable::NotOneStatement => {
                "explain: only a single read-only query can be explained, send one statement"
            }
            NotExplainable::NotAQuery => {
                "explain: only a single read-only query (SELECT, WITH … SELECT, VALUES or TABLE) can be explained"
            }
            NotExplainable::ChangesData => {
                "explain: only a single read-only query can be explained; this one changes data \
                 (INSERT, UPDATE, DELETE or MERGE in WITH, SELECT … INTO, or FOR UPDATE/SHARE)"
            }
        }
    }
}

/// The one read-only query of `script` that `explain: true` may plan: SELECT, WITH … SELECT,
/// VALUES or TABLE (possibly parenthesised), with no data-modifying `WITH`, no `SELECT … INTO`
/// and no row locks.
pub fn explainable(script: &str) -> Result<String, NotExplainable> {
    let mut statements = split(script);
    let statement = match statements.len() {
        1 => statements.remove(0),
        _ => return Err(NotExplainable::NotOneStatement),
    };
    let words = code_words(&statement);
    let opens_query = strip_comments(&statement)
        .trim_start()
        .starts_with(|c: char| c == '(' || c.is_alphabetic());
    if !opens_query
        || !words
            .first()
            .is_some_and(|w| ["SELECT", "WITH", "VALUES", "TABLE"].contains(&w.as_str()))
    {
        return Err(NotExplainable::NotAQuery);
    }
    const WRITES: [&str; 6] = ["INSERT", "UPDATE", "DELETE", "MERGE", "INTO", "SHARE"];
    if words.iter().any(|w| WRITES.contains(&w.as_str())) {
        return Err(NotExplainable::ChangesData);
    }
    Ok(statement)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Risk {
    Safe,
    Warning,
    Danger,
}

impl Risk {
    pub fn as_str(self) -> &'static str {
        match self {
            Risk::Safe => "SAFE",
            Risk::Warning => "WARNING",
            Risk::Danger => "DANGER",
        }
    }
}

/// How risky a statement is, and why (for `migrations/dry-run` and `db migrations up --dry-run`).
pub fn risk(statement: &str) -> (Risk, Option<String>) {
    let s = normalized(statement);
    let has = |p: &str| s.contains(p);
    let starts = |p: &str| s.starts_with(p);
    let danger = [
        (starts("DROP TABLE"), "drops a table and its data"),
        (starts("DROP SCHEMA"), "drops a schema and everything in it"),
        (starts("TRUNCATE"), "deletes every row of a table"),
        (
            starts("ALTER TABLE") && has(" DROP COLUMN"),
            "drops a column and its data",
        ),
        (
            starts("DELETE") && !has(" WHERE "),
            "DELETE without WHERE deletes every row",
        ),
        (
            starts("UPDATE") && !has(" WHERE "),
            "UPDATE without WHERE changes every row",
        ),
    ];
    if let Some((_, why)) = danger.iter().find(|(hit, _)| *hit) {
        return (Risk::Danger, Some((*why).to_owned()));
    }
    let warning = [
        (
            starts("ALTER TABLE") && has(" TYPE "),
            "changes a column type (may rewrite or fail on existing data)",
        ),
        (has("DISABLE ROW LEVEL SECURITY"), "turns Row Level Security off"),
        (starts("DROP POLICY"), "drops a Row Level Security policy"),
        (starts("DROP "), "drops an object"),
        (starts("REVOKE"), "revokes privileges"),
        (
            starts("ALTER TABLE") && has(" RENAME "),
            "renames an object clients may depend on",
        ),
    ];
    if let Some((_, why)) = warning.iter().find(|(hit, _)| *hit) {
        return (Risk::Warning, Some((*why).to_owned()));
    }
    (Risk::Safe, None)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_outside_quotes_and_comments() {
        let script = r#"
            -- a comment; with a semicolon
            create table t (a text default 'x;y', "b;c" int);
            /* block ; comment */ insert into t values ('it''s; fine');
            create function f() returns int language sql as $$ select 1; $$;
            create function g() returns int language plpgsql as $body$ begin return 2; end $body$;
            select $1::int;
            ;
        "#;
        let statements = split(script);
        assert_eq!(statements.len(), 5, "{statements:#?}");
        assert!(statements[0].ends_with("\"b;c\" int)"));
        assert!(statements[2].contains("$$ select 1; $$"));
        assert!(statements[3].contains("$body$ begin return 2; end $body$"));
        assert_eq!(statements[4], "select $1::int");
        assert!(split("  -- only a comment\n").is_empty());
    }

    #[test]
    fn guards() {
        for bad in [
            "BEGIN",
            "begin;",
            "commit",
            "SET ROLE postgres",
            "set local search_path to x",
            "RESET ALL",
            "drop database x",
            "SET statement_timeout = 0",
        ] {
            assert!(forbidden(bad).is_some(), "{bad}");
        }
        for ok in [
            "create table begin_log (id int)",
            "select 'BEGIN'",
            "alter table t set (fillfactor = 70)",
            "-- BEGIN\ncreate table x (a int)",
        ] {
            assert!(forbidden(ok).is_none(), "{ok}");
        }
    }

    #[test]
    fn only_one_read_only_query_is_explainable() {
        for ok in [
            "select * from todos where title = 'delete me'",
            "  -- why\n WITH t AS (SELECT 1) SELECT * FROM t;",
            "(select 1) union (select 2)",
            "VALUES (1), (2)",
            "table todos",
            "select \"update\" from t",
            "select $1::int, $tag$ insert $tag$",
        ] {
            assert!(explainable(ok).is_ok(), "{ok}");
        }
        let refused = [
            ("insert into todos values (1)", NotExplainable::NotAQuery),
            ("delete from todos", NotExplainable::NotAQuery),
            ("explain analyze delete from todos", NotExplainable::NotAQuery),
            ("/* select */ update todos set a = 1", NotExplainable::NotAQuery),
            (
                "WITH x AS (DELETE FROM todos RETURNING *) SELECT * FROM x",
                NotExplainable::ChangesData,
            ),
            (
                "with x as (insert into t values (1) returning id) select 1",
                NotExplainable::ChangesData,
            ),
            ("select * into copy_of from todos", NotExplainable::ChangesData),
            ("select * from todos for update", NotExplainable::ChangesData),
            ("select * from todos for key share", NotExplainable::ChangesData),
            ("select 1; delete from todos", NotExplainable::NotOneStatement),
            ("select 1; select 2", NotExplainable::NotOneStatement),
            ("  ;  -- nothing", NotExplainable::NotOneStatement),
        ];
        for (sql, why) in refused {
            assert_eq!(explainable(sql), Err(why), "{sql}");
        }
    }

    #[test]
    fn risks() {
        assert_eq!(risk("drop table todos").0, Risk::Danger);
        assert_eq!(risk("delete from todos").0, Risk::Danger);
        assert_eq!(risk("delete from todos where id = 1").0, Risk::Safe);
        assert_eq!(risk("alter table todos drop column x").0, Risk::Danger);
        assert_eq!(risk("alter table todos disable row level security").0, Risk::Warning);
        assert_eq!(risk("create table todos (id int)").0, Risk::Safe);
    }
}
