//! Micro-benchmarks of the pure stages of a data-API request: parsing the query string, planning
//! against a schema-cache snapshot, and generating SQL. `cargo bench -p oxforge-sql`.

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use oxforge_api_request::QueryParams;
use oxforge_plan::plan_read;
use oxforge_schema::{ForeignKey, SchemaCache, Table};
use oxforge_sql::{Shape, Total, read_statement};

const GET_BY_ID: &str = "select=*&id=eq.707";
const LIST: &str = "select=id,title,price,author:authors(name),tags(label)&category=eq.1&price=gte.10&or=(title.ilike.*a*,title.ilike.*e*)&order=created_at.desc.nullslast,id&limit=50&offset=100";

fn cache() -> SchemaCache {
    SchemaCache::new(
        vec![
            Table::with_text_columns(
                "public",
                "bench_items",
                &["id", "title", "price", "category", "created_at", "author_id"],
            ),
            Table::with_text_columns("public", "authors", &["id", "name"]),
            Table::with_text_columns("public", "tags", &["id", "label", "item_id"]),
        ],
        vec![
            ForeignKey::to_id("items_author", "public", "bench_items", "author_id", "authors"),
            ForeignKey::to_id("tags_item", "public", "tags", "item_id", "bench_items"),
        ],
        vec![],
    )
}

fn pipeline(c: &mut Criterion) {
    let cache = cache();
    for (name, query) in [("get_by_id", GET_BY_ID), ("list_with_embeds", LIST)] {
        c.bench_function(&format!("parse/{name}"), |b| {
            b.iter(|| QueryParams::parse(black_box(query), |_| false))
        });
        let params = match QueryParams::parse(query, |_| false) {
            Ok(p) => p,
            Err(e) => panic!("{e}"),
        };
        c.bench_function(&format!("plan/{name}"), |b| {
            b.iter(|| plan_read(black_box(&cache), "public", "bench_items", black_box(&params)))
        });
        let plan = match plan_read(&cache, "public", "bench_items", &params) {
            Ok(p) => p,
            Err(e) => panic!("{e}"),
        };
        c.bench_function(&format!("sql/{name}"), |b| {
            b.iter(|| read_statement(black_box(&plan), Total::None, Shape::Array))
        });
    }
}

criterion_group!(benches, pipeline);
criterion_main!(benches);
