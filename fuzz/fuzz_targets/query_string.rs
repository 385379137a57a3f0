//! A raw query string, as the data API receives it: `QueryParams::parse` (select, filters,
//! order, limit/offset, logic trees, columns, on_conflict, embedded-resource keys, RPC
//! arguments), then, when it parses, the read plan against a fixed schema cache and the SQL
//! generated from it.
#![no_main]

use libfuzzer_sys::fuzz_target;
use oxforge_api_request::QueryParams;
use oxforge_fuzz::{schema, text};
use oxforge_plan::plan_read;
use oxforge_sql::{Shape, Total, explain_count_statement, read_statement};

fuzz_target!(|data: &[u8]| {
    let raw = text(data);
    // As for `GET /rpc/add?a=1&b=2`: `a` and `b` are function arguments, not filters.
    let _ = QueryParams::parse(&raw, |k| k == "a" || k == "b");
    let Ok(params) = QueryParams::parse(&raw, |_| false) else {
        return;
    };
    for table in ["posts", "comments"] {
        if let Ok(plan) = plan_read(schema(), "public", table, &params) {
            let _ = read_statement(&plan, Total::Exact, Shape::Array);
            let _ = read_statement(&plan, Total::UpTo(1000), Shape::Csv);
            let _ = explain_count_statement(&plan);
        }
    }
});
