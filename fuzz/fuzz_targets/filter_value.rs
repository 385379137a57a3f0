//! One filter, `<field>=<value>`: the input is split at its first `=` (no `=`: the whole input
//! is the value of a filter on column `c`). `Field::parse` on the field, then
//! `parse_condition(field, value)`: operators, `not.`, `(any)`/`(all)` modifiers, `in.(…)` and
//! `{…}` lists with quoting, `is.` values, full-text configs, `*` wildcards.
#![no_main]

use libfuzzer_sys::fuzz_target;
use oxforge_api_request::filter::parse_condition;
use oxforge_api_request::{Field, Operator};
use oxforge_fuzz::text;

fuzz_target!(|data: &[u8]| {
    let s = text(data);
    let (field, value) = match s.split_once('=') {
        Some((field, value)) => (Field::parse(field), value),
        None => (Ok(Field::column("c")), s.as_ref()),
    };
    let _ = Operator::from_name(value.split('.').next().unwrap_or(""));
    if let Ok(field) = field {
        let _ = parse_condition(field, value);
    }
});
