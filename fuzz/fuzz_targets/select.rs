//! The `select`, `order` and logic-tree grammars and column references, each on the same text:
//! `parse_select`, `parse_order`, `LogicTree::parse` (or / not.and) and `Field::parse`.
#![no_main]

use libfuzzer_sys::fuzz_target;
use oxforge_api_request::order::parse_order;
use oxforge_api_request::select::parse_select;
use oxforge_api_request::{Field, LogicTree, SelectItem};
use oxforge_fuzz::text;

/// Whatever was accepted, a cast reaches SQL as quoted identifiers, digits and punctuation only.
fn assert_casts_are_inert(items: &[SelectItem]) {
    for item in items {
        match item {
            SelectItem::Field { cast: Some(cast), .. } => {
                let sql = cast.sql();
                assert!(
                    sql.chars()
                        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || "_\".,()[]".contains(c)),
                    "cast SQL {sql:?}"
                );
            }
            SelectItem::Embed(embed) => assert_casts_are_inert(&embed.items),
            _ => {}
        }
    }
}

fuzz_target!(|data: &[u8]| {
    let s = text(data);
    if let Ok(items) = parse_select(&s) {
        assert_casts_are_inert(&items);
    }
    let _ = parse_order(&s);
    let _ = LogicTree::parse(true, false, &s);
    let _ = LogicTree::parse(false, true, &s);
    if let Ok(field) = Field::parse(&s) {
        let _ = field.output_name();
    }
});
