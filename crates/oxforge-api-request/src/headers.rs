//! `Prefer`, `Accept` and `Range`.

use crate::ApiRequestError;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReturnPreference {
    Minimal,
    HeadersOnly,
    Representation,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CountPreference {
    Exact,
    Planned,
    Estimated,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Resolution {
    MergeDuplicates,
    IgnoreDuplicates,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Missing {
    Default,
    Null,
}

/// The `Prefer` header(s). Unknown or malformed preferences are ignored, as PostgREST does
/// in its default (lenient) handling.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Preferences {
    pub return_: Option<ReturnPreference>,
    pub count: Option<CountPreference>,
    pub resolution: Option<Resolution>,
    pub missing: Option<Missing>,
    pub tx_rollback: bool,
    pub handling_strict: bool,
    pub max_affected: Option<i64>,
}

impl Preferences {
    pub fn parse<'a>(values: impl IntoIterator<Item = &'a str>) -> Preferences {
        let mut p = Preferences::default();
        for item in values.into_iter().flat_map(|v| v.split(',')) {
            let Some((key, value)) = item.trim().split_once('=') else {
                continue;
            };
            match (key.trim(), value.trim()) {
                ("return", "minimal") => p.return_ = Some(ReturnPreference::Minimal),
                ("return", "headers-only") => p.return_ = Some(ReturnPreference::HeadersOnly),
                ("return", "representation") => p.return_ = Some(ReturnPreference::Representation),
                ("count", "exact") => p.count = Some(CountPreference::Exact),
                ("count", "planned") => p.count = Some(CountPreference::Planned),
                ("count", "estimated") => p.count = Some(CountPreference::Estimated),
                ("resolution", "merge-duplicates") => p.resolution = Some(Resolution::MergeDuplicates),
                ("resolution", "ignore-duplicates") => p.resolution = Some(Resolution::IgnoreDuplicates),
                ("missing", "default") => p.missing = Some(Missing::Default),
                ("missing", "null") => p.missing = Some(Missing::Null),
                ("tx", "rollback") => p.tx_rollback = true,
                ("tx", "commit") => p.tx_rollback = false,
                ("handling", "strict") => p.handling_strict = true,
                ("handling", "lenient") => p.handling_strict = false,
                ("max-affected", n) => p.max_affected = n.parse().ok(),
                _ => {}
            }
        }
        p
    }
}

/// The response representations oxforge can produce.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MediaType {
    Json,
    /// `application/vnd.pgrst.object+json`: exactly one row, as an object.
    SingleObject,
    Csv,
}

impl MediaType {
    pub fn content_type(self) -> &'static str {
        match self {
            MediaType::Json => "application/json; charset=utf-8",
            MediaType::SingleObject => "application/vnd.pgrst.object+json; charset=utf-8",
            MediaType::Csv => "text/csv; charset=utf-8",
        }
    }

    /// Chooses from an `Accept` header (first acceptable type wins; no header means JSON).
    pub fn from_accept(accept: Option<&str>) -> Result<MediaType, ApiRequestError> {
        let Some(accept) = accept.filter(|a| !a.trim().is_empty()) else {
            return Ok(MediaType::Json);
        };
        for item in accept.split(',') {
            let essence = item.split(';').next().unwrap_or("").trim().to_ascii_lowercase();
            match essence.as_str() {
                "application/json" | "*/*" | "application/*" => return Ok(MediaType::Json),
                "application/vnd.pgrst.object+json" | "application/vnd.pgrst.object" => {
                    return Ok(MediaType::SingleObject);
                }
                "text/csv" | "text/*" => return Ok(MediaType::Csv),
                _ => {}
            }
        }
        Err(ApiRequestError::new(
            406,
            "PGRST107",
            format!("None of these media types are available: {accept}"),
        ))
    }
}

/// `Range: <first>-[<last>]` (items) → (offset, optional limit). A range too wide for an `i64`
/// count (`0-9223372036854775807`) has no limit.
pub fn parse_range(value: &str) -> Option<(i64, Option<i64>)> {
    let value = value.trim();
    let value = value.strip_prefix("items=").unwrap_or(value);
    let (first, last) = value.split_once('-')?;
    let first: i64 = first.trim().parse().ok()?;
    let last = last.trim();
    if last.is_empty() {
        return Some((first, None));
    }
    let last: i64 = last.parse().ok()?;
    if last < first {
        return None;
    }
    Some((first, last.checked_sub(first).and_then(|n| n.checked_add(1))))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prefer_values_combine() {
        let p = Preferences::parse([
            "return=representation, count=exact",
            "resolution=merge-duplicates,missing=default",
            "bogus",
        ]);
        assert_eq!(p.return_, Some(ReturnPreference::Representation));
        assert_eq!(p.count, Some(CountPreference::Exact));
        assert_eq!(p.resolution, Some(Resolution::MergeDuplicates));
        assert_eq!(p.missing, Some(Missing::Default));
    }

    #[test]
    fn accept() {
        assert_eq!(MediaType::from_accept(None).unwrap(), MediaType::Json);
        assert_eq!(
            MediaType::from_accept(Some("application/vnd.pgrst.object+json")).unwrap(),
            MediaType::SingleObject
        );
        assert_eq!(MediaType::from_accept(Some("text/csv")).unwrap(), MediaType::Csv);
        assert_eq!(
            MediaType::from_accept(Some("application/json, text/plain")).unwrap(),
            MediaType::Json
        );
        let err = MediaType::from_accept(Some("image/png")).unwrap_err();
        assert_eq!((err.code.as_str(), err.status), ("PGRST107", 406));
    }

    #[test]
    fn ranges() {
        assert_eq!(parse_range("0-9"), Some((0, Some(10))));
        assert_eq!(parse_range("5-"), Some((5, None)));
        assert_eq!(parse_range("9-0"), None);
        assert_eq!(parse_range("x"), None);
    }

    #[test]
    fn widest_range_does_not_overflow() {
        // Found by the `headers` fuzz target: `last - first + 1` overflowed (a panic in debug
        // builds, a negative LIMIT in release builds).
        assert_eq!(parse_range("0-9223372036854775807"), Some((0, None)));
        assert_eq!(parse_range("1-9223372036854775807"), Some((1, Some(i64::MAX))));
        assert_eq!(
            parse_range("9223372036854775807-9223372036854775807"),
            Some((i64::MAX, Some(1)))
        );
    }
}
