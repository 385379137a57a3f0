//! A column reference with an optional JSON path: `data->a->>b`, `"my col"`, `arr->0`.

use crate::split::unquote;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum JsonKey {
    Key(String),
    Index(i64),
}

/// One `->` (JSON) or `->>` (text) step.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JsonStep {
    pub as_text: bool,
    pub key: JsonKey,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Field {
    pub name: String,
    pub json_path: Vec<JsonStep>,
}

impl Field {
    pub fn column(name: impl Into<String>) -> Self {
        Field {
            name: name.into(),
            json_path: Vec::new(),
        }
    }

    /// The name PostgREST gives the result: the last JSON key, else the column.
    pub fn output_name(&self) -> String {
        match self.json_path.last() {
            Some(JsonStep {
                key: JsonKey::Key(k), ..
            }) => k.clone(),
            Some(JsonStep {
                key: JsonKey::Index(i), ..
            }) => i.to_string(),
            None => self.name.clone(),
        }
    }

    /// Parses `name` or `name->k->>k2`; `Err` carries the reason.
    pub fn parse(input: &str) -> Result<Field, String> {
        let input = input.trim();
        let (name_part, mut rest) = match input.find("->") {
            Some(i) => (&input[..i], &input[i..]),
            None => (input, ""),
        };
        let name = unquote(name_part.trim());
        if name.is_empty() {
            return Err("empty column name".into());
        }
        let mut json_path = Vec::new();
        while !rest.is_empty() {
            let (as_text, after) = if let Some(r) = rest.strip_prefix("->>") {
                (true, r)
            } else if let Some(r) = rest.strip_prefix("->") {
                (false, r)
            } else {
                return Err(format!("unexpected \"{rest}\""));
            };
            let end = after.find("->").unwrap_or(after.len());
            let raw = after[..end].trim();
            if raw.is_empty() {
                return Err("empty JSON key".into());
            }
            let key = match raw.parse::<i64>() {
                Ok(i) => JsonKey::Index(i),
                Err(_) => JsonKey::Key(unquote(raw)),
            };
            json_path.push(JsonStep { as_text, key });
            rest = &after[end..];
        }
        Ok(Field { name, json_path })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths() {
        let f = Field::parse("data->a->>b").unwrap();
        assert_eq!(f.name, "data");
        assert_eq!(
            f.json_path,
            [
                JsonStep {
                    as_text: false,
                    key: JsonKey::Key("a".into())
                },
                JsonStep {
                    as_text: true,
                    key: JsonKey::Key("b".into())
                }
            ]
        );
        assert_eq!(f.output_name(), "b");
        assert_eq!(Field::parse("arr->0").unwrap().json_path[0].key, JsonKey::Index(0));
        assert_eq!(Field::parse("\"my col\"").unwrap().name, "my col");
        assert!(Field::parse("").is_err());
        assert!(Field::parse("a->").is_err());
    }
}
