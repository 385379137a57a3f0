//! Micro-benchmarks of the pure stages of a data-API request: parsing the query string, planning
//! against a schema-cache snapshot, and generating SQL. `cargo bench -p oxforge-sql`.

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use oxforge_api_request::QueryParams;
use oxforge_plan::plan_read;
use oxforge_schema::{Column, ForeignKey, SchemaCache, Table};
use oxforge_sql::{Shape, Total, read_statement};

const GET_BY_ID: &str = "select=*&id=eq.707";
const LIST: &str = "select=id,title,price,author:authors(name),tags(label)&category=eq.1&price=gte.10&or=(title.ilike.*a*,title.ilike.*e*)&order=created_at.desc.nullslast,id&limit=50&offset=100";

fn cache() -> SchemaCache {
    let column = |name: &str| Column {
        name: name.into(),
        data_type: "text".into(),
        nullable: true,
        has_default: false,
        default_expr: None,
    };
    let table = |name: &str, cols: &[&str]| Table {
        schema: "public".into(),
        name: name.into(),
        kind: "r".into(),
        columns: cols.iter().map(|c| column(c)).collect(),
        primary_key: vec!["id".into()],
    };
    let fk = |name: &str, table: &str, column: &str, target: &str| ForeignKey {
        name: name.into(),
        schema: "public".into(),
        table: table.into(),
        columns: vec![column.into()],
        ref_schema: "public".into(),
        ref_table: target.into(),
        ref_columns: vec!["id".into()],
    };
    SchemaCache::new(
        vec![
            table(
                "bench_items",
                &["id", "title", "price", "category", "created_at", "author_id"],
            ),
            table("authors", &["id", "name"]),
            table("tags", &["id", "label", "item_id"]),
        ],
        vec![
            fk("items_author", "bench_items", "author_id", "authors"),
            fk("tags_item", "tags", "item_id", "bench_items"),
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
