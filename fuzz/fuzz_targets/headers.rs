//! Header values: the whole input as an `Accept` and a `Range` value, and its lines as the
//! values of several `Prefer` headers (`Preferences::parse`, `MediaType::from_accept`,
//! `parse_range`).
#![no_main]

use libfuzzer_sys::fuzz_target;
use oxforge_api_request::headers::parse_range;
use oxforge_api_request::{MediaType, Preferences};
use oxforge_fuzz::text;

fuzz_target!(|data: &[u8]| {
    let s = text(data);
    let _ = Preferences::parse(s.split('\n'));
    if let Ok(media) = MediaType::from_accept(Some(&s)) {
        let _ = media.content_type();
    }
    if let Some((offset, limit)) = parse_range(&s) {
        assert!(offset >= 0 && limit.is_none_or(|l| l > 0), "{offset} {limit:?}");
    }
});
