//! `select=id,title,alias:col::text,data->>k,author:users!author_id(name),...rel(*),items!inner(*)`.

use crate::cast::Cast;
use crate::field::Field;
use crate::split::{split_top_level, unquote};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Embed {
    /// The related table (or the foreign key / column PostgREST lets you name it by).
    pub relation: String,
    pub alias: Option<String>,
    /// `!hint` disambiguation (a foreign key or column name).
    pub hint: Option<String>,
    /// `!inner`: keep only parent rows that have a match.
    pub inner: bool,
    /// `...rel(cols)`: the columns are lifted into the parent object.
    pub spread: bool,
    pub items: Vec<SelectItem>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SelectItem {
    Star,
    Field {
        field: Field,
        alias: Option<String>,
        cast: Option<Cast>,
    },
    Embed(Embed),
}

/// Splits `alias:rest` where the colon is a single one (not part of `::`).
fn split_alias(s: &str) -> (Option<String>, &str) {
    let bytes = s.as_bytes();
    let mut in_quotes = false;
    for (i, &b) in bytes.iter().enumerate() {
        match b {
            b'"' => in_quotes = !in_quotes,
            b'(' if !in_quotes => break,
            b':' if !in_quotes => {
                let double = bytes.get(i + 1) == Some(&b':') || (i > 0 && bytes[i - 1] == b':');
                if double {
                    return (None, s);
                }
                let alias = unquote(s[..i].trim());
                return (Some(alias).filter(|a| !a.is_empty()), &s[i + 1..]);
            }
            _ => {}
        }
    }
    (None, s)
}

/// Deepest nesting of embedded resources accepted (`a(b(c(…)))`): the parser recurses per level.
pub const MAX_EMBED_DEPTH: usize = 16;
/// Most embedded resources in one `select`.
pub const MAX_EMBEDS: usize = 64;

pub fn parse_select(value: &str) -> Result<Vec<SelectItem>, String> {
    let items = parse_level(value, 0)?;
    let embeds = count_embeds(&items);
    if embeds > MAX_EMBEDS {
        return Err(format!("too many embedded resources ({embeds}; at most {MAX_EMBEDS})"));
    }
    Ok(items)
}

fn count_embeds(items: &[SelectItem]) -> usize {
    items
        .iter()
        .map(|i| match i {
            SelectItem::Embed(e) => 1 + count_embeds(&e.items),
            _ => 0,
        })
        .sum()
}

fn parse_level(value: &str, depth: usize) -> Result<Vec<SelectItem>, String> {
    if depth > MAX_EMBED_DEPTH {
        return Err(format!(
            "embedded resources nested deeper than {MAX_EMBED_DEPTH} levels"
        ));
    }
    let value = value.trim();
    if value.is_empty() {
        return Ok(vec![SelectItem::Star]);
    }
    split_top_level(value, ',')?
        .into_iter()
        .map(|item| parse_item(item.trim(), depth))
        .collect()
}

fn parse_item(item: &str, depth: usize) -> Result<SelectItem, String> {
    if item.is_empty() {
        return Err("empty select item".into());
    }
    if item == "*" {
        return Ok(SelectItem::Star);
    }
    if let Some(rest) = item.strip_prefix("...") {
        let SelectItem::Embed(mut embed) = parse_item(rest, depth)? else {
            return Err(format!("\"...\" must precede an embedded resource in \"{item}\""));
        };
        if embed.alias.is_some() {
            return Err("a spread embed takes no alias".into());
        }
        embed.spread = true;
        return Ok(SelectItem::Embed(embed));
    }
    let (alias, rest) = split_alias(item);
    if let Some(open) = rest.find('(') {
        let body = rest[open + 1..].strip_suffix(')').ok_or("unbalanced parentheses")?;
        let head = &rest[..open];
        if head.trim().is_empty() || head.ends_with("count") && head.contains('.') {
            return Err(format!("aggregates are not supported (\"{item}\")"));
        }
        let mut parts = head.split('!');
        let relation = unquote(parts.next().unwrap_or("").trim());
        if relation.is_empty() {
            return Err("empty embedded resource name".into());
        }
        let mut hint = None;
        let mut inner = false;
        for part in parts {
            match part.trim() {
                "inner" => inner = true,
                "left" => {}
                "" => return Err("empty \"!\" hint".into()),
                other => hint = Some(unquote(other)),
            }
        }
        return Ok(SelectItem::Embed(Embed {
            relation,
            alias,
            hint,
            inner,
            spread: false,
            items: parse_level(body, depth + 1)?,
        }));
    }
    let (field_part, cast) = match rest.find("::") {
        Some(i) => {
            let text = &rest[i + 2..];
            let cast = Cast::parse(text).ok_or_else(|| format!("invalid cast \"{}\"", text.trim()))?;
            (&rest[..i], Some(cast))
        }
        None => (rest, None),
    };
    Ok(SelectItem::Field {
        field: Field::parse(field_part)?,
        alias,
        cast,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn columns_aliases_casts_paths() {
        let items = parse_select("id,name:title,n:num::text,data->a->>b,\"odd col\"").unwrap();
        assert_eq!(items.len(), 5);
        assert!(
            matches!(&items[1], SelectItem::Field { alias: Some(a), field, cast: None } if a == "name" && field.name == "title")
        );
        assert!(matches!(&items[2], SelectItem::Field { cast: Some(c), .. } if c.sql() == "\"pg_catalog\".\"text\""));
        assert!(matches!(&items[3], SelectItem::Field { field, .. } if field.json_path.len() == 2));
        assert!(matches!(&items[4], SelectItem::Field { field, .. } if field.name == "odd col"));
    }

    #[test]
    fn embeds() {
        let items =
            parse_select("*,author:users!author_id(name),comments!inner(id,body),...genre(name:title)").unwrap();
        let SelectItem::Embed(author) = &items[1] else { panic!() };
        assert_eq!(
            (
                author.relation.as_str(),
                author.alias.as_deref(),
                author.hint.as_deref()
            ),
            ("users", Some("author"), Some("author_id"))
        );
        let SelectItem::Embed(comments) = &items[2] else {
            panic!()
        };
        assert!(comments.inner && comments.items.len() == 2);
        let SelectItem::Embed(genre) = &items[3] else { panic!() };
        assert!(genre.spread);
        assert_eq!(parse_select("").unwrap(), vec![SelectItem::Star]);
    }

    #[test]
    fn nesting_is_bounded() {
        let nested = |n: usize| format!("{}id{}", "a(".repeat(n), ")".repeat(n));
        assert!(parse_select(&nested(MAX_EMBED_DEPTH)).is_ok());
        assert!(parse_select(&nested(MAX_EMBED_DEPTH + 1)).is_err());
        assert!(parse_select(&nested(100_000)).is_err(), "no stack overflow");
        let wide = (0..=MAX_EMBEDS)
            .map(|i| format!("r{i}(id)"))
            .collect::<Vec<_>>()
            .join(",");
        assert!(parse_select(&wide).unwrap_err().contains("too many"));
    }

    #[test]
    fn errors() {
        for bad in ["id,", "a(b", "a::text;drop", "x::\"t\"", "...col", "a!(b)", "(id)"] {
            assert!(parse_select(bad).is_err(), "{bad}");
        }
        let injection = "body::text AS x FROM posts UNION SELECT session_user AS body FROM posts UNION SELECT body";
        assert!(parse_select(injection).unwrap_err().contains("invalid cast"));
        assert!(parse_select("a::timestamp with time zone,b::int4[]").is_ok());
    }
}
