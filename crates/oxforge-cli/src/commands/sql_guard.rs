//! Which statements of a `db query` destroy data outright, so the CLI asks first: `DROP`,
//! `TRUNCATE`, and `DELETE`/`UPDATE` without a `WHERE` of their own. A lexical scan (comments,
//! quoted strings and identifiers, dollar quotes skipped), not a parser: it errs towards asking.

/// A short description of each destructive statement in `sql`.
pub fn destructive(sql: &str) -> Vec<String> {
    statements(sql)
        .into_iter()
        .filter_map(|words| {
            let first = words.first()?.as_str();
            let has_where = words.iter().any(|w| w == "where");
            // Keywords in capitals, the object as written: `DROP TABLE todos`, `DELETE FROM todos`.
            let named = |keywords: usize| {
                let mut parts: Vec<String> = words
                    .iter()
                    // `IF EXISTS`, and TRUNCATE's optional `TABLE`/`ONLY`, say nothing of what goes.
                    .filter(|w| match w.as_str() {
                        "if" | "exists" => false,
                        "table" | "only" => keywords != 1,
                        _ => true,
                    })
                    .take(keywords + 1)
                    .cloned()
                    .collect();
                for keyword in parts.iter_mut().take(keywords) {
                    *keyword = keyword.to_uppercase();
                }
                parts.join(" ")
            };
            match first {
                "drop" => Some(named(2)),
                "truncate" => Some(named(1)),
                "delete" if !has_where => Some(format!("{} without WHERE", named(2))),
                "update" if !has_where => Some(format!("{} without WHERE", named(1))),
                _ => None,
            }
        })
        .collect()
}

/// The top-level words (outside parentheses, lower-cased) of each statement.
fn statements(sql: &str) -> Vec<Vec<String>> {
    let chars: Vec<char> = sql.chars().collect();
    let mut out = vec![Vec::new()];
    let mut word = String::new();
    let mut depth = 0usize;
    let mut i = 0;
    let flush = |word: &mut String, out: &mut Vec<Vec<String>>, depth: usize| {
        if !word.is_empty() {
            if depth == 0
                && let Some(current) = out.last_mut()
            {
                current.push(word.to_lowercase());
            }
            word.clear();
        }
    };
    while i < chars.len() {
        let c = chars[i];
        let next = chars.get(i + 1).copied();
        if c.is_alphanumeric() || c == '_' {
            word.push(c);
            i += 1;
            continue;
        }
        flush(&mut word, &mut out, depth);
        match c {
            '-' if next == Some('-') => {
                while i < chars.len() && chars[i] != '\n' {
                    i += 1;
                }
            }
            '/' if next == Some('*') => {
                i += 2;
                while i < chars.len() && !(chars[i] == '*' && chars.get(i + 1) == Some(&'/')) {
                    i += 1;
                }
                i += 1;
            }
            '\'' | '"' => {
                i += 1;
                while i < chars.len() {
                    if chars[i] == c {
                        if chars.get(i + 1) == Some(&c) {
                            i += 1;
                        } else {
                            break;
                        }
                    }
                    i += 1;
                }
            }
            '$' => {
                // $tag$ … $tag$ (a `$1` parameter has no closing `$` right after its digits).
                let tag_end = chars[i + 1..]
                    .iter()
                    .position(|ch| !(ch.is_alphanumeric() || *ch == '_'))
                    .map(|p| i + 1 + p);
                if let Some(end) = tag_end.filter(|&e| chars[e] == '$')
                    && !chars[i + 1..end].first().is_some_and(char::is_ascii_digit)
                {
                    let tag: String = chars[i..=end].iter().collect();
                    let rest: String = chars[end + 1..].iter().collect();
                    let skip = rest.find(&tag).map_or(rest.len(), |p| p + tag.len());
                    i = end + rest[..skip].chars().count();
                }
            }
            '(' => depth += 1,
            ')' => depth = depth.saturating_sub(1),
            ';' if depth == 0 => out.push(Vec::new()),
            _ => {}
        }
        i += 1;
    }
    flush(&mut word, &mut out, depth);
    out.retain(|s| !s.is_empty());
    out
}

#[cfg(test)]
mod tests {
    use super::destructive;

    #[test]
    fn destructive_statements_are_found() {
        assert_eq!(destructive("drop table todos"), ["DROP TABLE todos"]);
        assert_eq!(destructive("drop table if exists todos"), ["DROP TABLE todos"]);
        assert_eq!(destructive("select 1; truncate todos;"), ["TRUNCATE todos"]);
        assert_eq!(destructive("truncate table only todos"), ["TRUNCATE todos"]);
        assert_eq!(destructive("DELETE FROM todos"), ["DELETE FROM todos without WHERE"]);
        assert_eq!(
            destructive("update todos set title = (select t from x where y)"),
            ["UPDATE todos without WHERE"]
        );
        assert!(destructive("delete from todos where id = $1").is_empty());
        assert!(destructive("update todos set done = true where user_id = 'a'").is_empty());
    }

    #[test]
    fn quoted_and_commented_text_is_not_sql() {
        assert!(destructive("select 'drop table x; delete from y'").is_empty());
        assert!(destructive("-- drop table x\nselect 1").is_empty());
        assert!(destructive("/* truncate t; */ select 1").is_empty());
        assert!(destructive("create function f() returns void language sql as $$ delete from t $$").is_empty());
        assert!(destructive("select \"drop\" from t").is_empty());
        assert!(destructive("create table drop_log (id int)").is_empty());
        assert_eq!(
            destructive("select $$;$$; drop table t"),
            ["DROP TABLE t"],
            "a dollar-quoted ; does not split"
        );
    }
}
