//! The `select`, `order` and logic-tree grammars and column references, each on the same text:
//! `parse_select`, `parse_order`, `LogicTree::parse` (or / not.and) and `Field::parse`.
#![no_main]

use libfuzzer_sys::fuzz_target;
use oxforge_api_request::order::parse_order;
use oxforge_api_request::select::parse_select;
use oxforge_api_request::{Field, LogicTree};
use oxforge_fuzz::text;

fuzz_target!(|data: &[u8]| {
    let s = text(data);
    let _ = parse_select(&s);
    let _ = parse_order(&s);
    let _ = LogicTree::parse(true, false, &s);
    let _ = LogicTree::parse(false, true, &s);
    if let Ok(field) = Field::parse(&s) {
        let _ = field.output_name();
    }
});
