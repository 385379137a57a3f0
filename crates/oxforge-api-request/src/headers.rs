//! `Prefer`, `Accept` and `Range`.

use crate::ApiRequestError;

/// A preference with a fixed set of values, each spelled once (PostgREST's `toHeaderValue`): the
/// same text is looked for in `Prefer` and written in `Preference-Applied`.
pub trait Token: Copy + 'static {
    /// The preference's name in `key=value`.
    const KEY: &'static str;
    /// Every value, for parsing.
    const ALL: &'static [Self];
    /// The value's spelling in `key=value`.
    fn value(self) -> &'static str;

    /// The value spelled `value`, if there is one.
    fn from_value(value: &str) -> Option<Self> {
        Self::ALL.iter().copied().find(|t| t.value() == value)
    }

    /// Appends `key=value` to a `Preference-Applied` list.
    fn render(self, out: &mut String) {
        if !out.is_empty() {
            out.push_str(", ");
        }
        out.push_str(Self::KEY);
        out.push('=');
        out.push_str(self.value());
    }
}

/// Declares a preference's values and their one spelling.
macro_rules! token {
    ($(#[$doc:meta])* $name:ident, $key:literal { $($variant:ident => $value:literal),+ $(,)? }) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq)]
        pub enum $name {
            $($variant),+
        }

        impl Token for $name {
            const KEY: &'static str = $key;
            const ALL: &'static [Self] = &[$($name::$variant),+];

            fn value(self) -> &'static str {
                match self {
                    $($name::$variant => $value),+
                }
            }
        }
    };
}

token!(
    /// `return=`: what a write answers with.
    ReturnPreference, "return" {
        Minimal => "minimal",
        HeadersOnly => "headers-only",
        Representation => "representation",
    }
);

token!(
    /// `count=`: how the total in `Content-Range` is found.
    CountPreference, "count" {
        Exact => "exact",
        Planned => "planned",
        Estimated => "estimated",
    }
);

token!(
    /// `resolution=`: what an insert does with rows whose key exists (an upsert).
    Resolution, "resolution" {
        MergeDuplicates => "merge-duplicates",
        IgnoreDuplicates => "ignore-duplicates",
    }
);

token!(
    /// `missing=`: what an insert puts in the columns a row leaves out.
    Missing, "missing" {
        Default => "default",
        Null => "null",
    }
);

token!(
    /// `tx=`: whether the transaction ends with a commit or a rollback.
    Transaction, "tx" {
        Commit => "commit",
        Rollback => "rollback",
    }
);

token!(
    /// `handling=`: whether unknown preferences are errors.
    Handling, "handling" {
        Strict => "strict",
        Lenient => "lenient",
    }
);

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

/// Sets `slot` when `key=value` is one of `T`'s tokens (an unknown value leaves it as it was).
fn parse_token<T: Token>(key: &str, value: &str, slot: &mut Option<T>) {
    if key == T::KEY
        && let Some(token) = T::from_value(value)
    {
        *slot = Some(token);
    }
}

impl Preferences {
    pub fn parse<'a>(values: impl IntoIterator<Item = &'a str>) -> Preferences {
        let mut p = Preferences::default();
        for item in values.into_iter().flat_map(|v| v.split(',')) {
            let Some((key, value)) = item.trim().split_once('=') else {
                continue;
            };
            let (key, value) = (key.trim(), value.trim());
            let (mut tx, mut handling): (Option<Transaction>, Option<Handling>) = (None, None);
            parse_token(key, value, &mut p.return_);
            parse_token(key, value, &mut p.count);
            parse_token(key, value, &mut p.resolution);
            parse_token(key, value, &mut p.missing);
            parse_token(key, value, &mut tx);
            parse_token(key, value, &mut handling);
            if let Some(tx) = tx {
                p.tx_rollback = tx == Transaction::Rollback;
            }
            if let Some(handling) = handling {
                p.handling_strict = handling == Handling::Strict;
            }
            if key == "max-affected" {
                p.max_affected = value.parse().ok();
            }
        }
        p
    }

    /// `Preference-Applied`, in PostgREST's order: `return`, `count`, `tx=rollback`, then the
    /// `resolution` and `missing` the endpoint honoured (`None` when nothing was).
    pub fn applied(&self, resolution: Option<Resolution>, missing: Option<Missing>) -> Option<String> {
        let mut out = String::new();
        if let Some(r) = self.return_ {
            r.render(&mut out);
        }
        if let Some(c) = self.count {
            c.render(&mut out);
        }
        if self.tx_rollback {
            Transaction::Rollback.render(&mut out);
        }
        if let Some(r) = resolution {
            r.render(&mut out);
        }
        if let Some(m) = missing {
            m.render(&mut out);
        }
        (!out.is_empty()).then_some(out)
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
    fn prefer_keeps_the_last_known_value() {
        let p = Preferences::parse(["tx=rollback, return=minimal, return=bogus", "tx=commit, max-affected=5"]);
        assert_eq!(
            p.return_,
            Some(ReturnPreference::Minimal),
            "an unknown value is ignored"
        );
        assert!(!p.tx_rollback, "tx=commit after tx=rollback");
        assert_eq!(p.max_affected, Some(5));
        let p = Preferences::parse(["handling = strict , tx = rollback", "max-affected=x"]);
        assert!(p.handling_strict && p.tx_rollback);
        assert_eq!(p.max_affected, None);
    }

    #[test]
    fn applied_spells_each_token_as_prefer_does() {
        let all = "return=representation, count=exact, tx=rollback, resolution=merge-duplicates, missing=default";
        let p = Preferences::parse([all]);
        assert_eq!(p.applied(p.resolution, p.missing).as_deref(), Some(all));
        assert_eq!(
            p.applied(None, None).as_deref(),
            Some("return=representation, count=exact, tx=rollback")
        );
        assert_eq!(Preferences::default().applied(None, None), None);
        assert_eq!(
            Preferences::default()
                .applied(Some(Resolution::IgnoreDuplicates), None)
                .as_deref(),
            Some("resolution=ignore-duplicates")
        );
        for (token, value) in [
            (ReturnPreference::Minimal.value(), "minimal"),
            (ReturnPreference::HeadersOnly.value(), "headers-only"),
            (CountPreference::Planned.value(), "planned"),
            (CountPreference::Estimated.value(), "estimated"),
            (Missing::Null.value(), "null"),
        ] {
            assert_eq!(token, value);
        }
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
