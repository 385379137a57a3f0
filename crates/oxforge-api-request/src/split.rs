//! Splitting on a separator only where it is not inside parentheses, braces or double quotes.

/// Splits `input` at `sep` at nesting depth 0, outside double quotes (`\` escapes inside quotes).
pub(crate) fn split_top_level(input: &str, sep: char) -> Result<Vec<&str>, String> {
    let mut parts = Vec::new();
    let mut depth: i32 = 0;
    let mut in_quotes = false;
    let mut escaped = false;
    let mut start = 0;
    for (i, c) in input.char_indices() {
        if in_quotes {
            match (escaped, c) {
                (true, _) => escaped = false,
                (false, '\\') => escaped = true,
                (false, '"') => in_quotes = false,
                _ => {}
            }
            continue;
        }
        match c {
            '"' => in_quotes = true,
            '(' | '{' => depth += 1,
            ')' | '}' => {
                depth -= 1;
                if depth < 0 {
                    return Err(format!("unexpected \"{c}\""));
                }
            }
            c if c == sep && depth == 0 => {
                parts.push(&input[start..i]);
                start = i + c.len_utf8();
            }
            _ => {}
        }
    }
    if in_quotes {
        return Err("unterminated double quote".into());
    }
    if depth != 0 {
        return Err("unbalanced parentheses".into());
    }
    parts.push(&input[start..]);
    Ok(parts)
}

/// Removes surrounding double quotes and unescapes `\"` and `\\`.
pub(crate) fn unquote(s: &str) -> String {
    let Some(inner) = s.strip_prefix('"').and_then(|s| s.strip_suffix('"')) else {
        return s.to_owned();
    };
    let mut out = String::with_capacity(inner.len());
    let mut chars = inner.chars();
    while let Some(c) = chars.next() {
        if c == '\\' {
            if let Some(next) = chars.next() {
                out.push(next);
            }
        } else {
            out.push(c);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nesting_and_quotes() {
        assert_eq!(
            split_top_level("a,b(c,d),\"e,f\",{g,h}", ',').unwrap(),
            ["a", "b(c,d)", "\"e,f\"", "{g,h}"]
        );
        assert!(split_top_level("a(b", ',').is_err());
        assert!(split_top_level("a)b", ',').is_err());
        assert!(split_top_level("\"abc", ',').is_err());
        assert_eq!(unquote("\"a\\\"b\""), "a\"b");
        assert_eq!(unquote("plain"), "plain");
    }
}
