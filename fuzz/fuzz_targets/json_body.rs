//! A data-API request body: the first line of the input is the query string, the rest the body
//! bytes. The body is parsed as the data routes do (all-whitespace is PGRST102, then
//! `serde_json`), then shaped by the planner exactly as for `POST /table` (insert, with and
//! without upsert and `missing=default`), `PATCH /table` (update) and `POST /rpc/fn` (the
//! object's keys choose the function overload), against a fixed schema cache; every plan is then
//! turned into SQL.
#![no_main]

use libfuzzer_sys::fuzz_target;
use oxforge_api_request::{QueryParams, Resolution};
use oxforge_fuzz::{schema, split_line, text};
use oxforge_plan::{plan_call, plan_insert, plan_update};
use oxforge_sql::{Shape, call_statement, mutate_statement};
use serde_json::Value;

fuzz_target!(|data: &[u8]| {
    let (query, body) = split_line(data);
    let params = QueryParams::parse(&text(query), |_| false).unwrap_or_default();
    if body.iter().all(u8::is_ascii_whitespace) {
        return;
    }
    let Ok(body) = serde_json::from_slice::<Value>(body) else {
        return;
    };
    let cache = schema();
    for table in ["posts", "post_tags"] {
        for (resolution, missing_default) in [
            (None, false),
            (Some(Resolution::MergeDuplicates), true),
            (Some(Resolution::IgnoreDuplicates), false),
        ] {
            if let Ok(plan) = plan_insert(cache, "public", table, &params, &body, resolution, missing_default) {
                let _ = mutate_statement(&plan, Shape::Array);
            }
        }
        if let Ok(plan) = plan_update(cache, "public", table, &params, &body) {
            let _ = mutate_statement(&plan, Shape::Csv);
            let _ = mutate_statement(&plan, Shape::None);
        }
    }
    if let Value::Object(args) = body {
        for function in ["add", "search_posts", "nothing", "pick"] {
            if let Ok(plan) = plan_call(cache, "public", function, args.clone(), &params) {
                let _ = call_statement(&plan, true);
                let _ = call_statement(&plan, false);
            }
        }
    }
});
