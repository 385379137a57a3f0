//! One query that describes every exposed schema as a JSON document.

use serde::Deserialize;

use crate::model::{ForeignKey, Routine, SchemaCache, Table};

/// Schemas never exposed through the data API.
const HIDDEN: &str = "n.nspname NOT IN ('information_schema', 'system') AND n.nspname NOT LIKE 'pg\\_%'";

fn introspection_sql() -> String {
    format!(
        r#"
WITH tables AS (
  SELECT json_build_object(
    'schema', n.nspname, 'name', c.relname, 'kind', c.relkind::text,
    'columns', coalesce((
      SELECT json_agg(json_build_object(
        'name', a.attname,
        'data_type', format_type(a.atttypid, a.atttypmod),
        'nullable', NOT a.attnotnull,
        'has_default', a.atthasdef OR a.attidentity <> '' OR a.attgenerated <> '',
        'default_expr', (SELECT pg_get_expr(d.adbin, d.adrelid) FROM pg_attrdef d
                         WHERE d.adrelid = a.attrelid AND d.adnum = a.attnum AND a.attgenerated = '')
      ) ORDER BY a.attnum)
      FROM pg_attribute a WHERE a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped), '[]'::json),
    'primary_key', coalesce((
      SELECT json_agg(a.attname ORDER BY k.ord)
      FROM pg_index i
      CROSS JOIN LATERAL unnest(i.indkey) WITH ORDINALITY AS k(attnum, ord)
      JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.attnum
      WHERE i.indrelid = c.oid AND i.indisprimary), '[]'::json)
  ) AS t
  FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
  WHERE c.relkind IN ('r', 'p', 'v', 'm', 'f') AND {HIDDEN}
),
fks AS (
  SELECT json_build_object(
    'name', con.conname,
    'schema', n.nspname, 'table', c.relname,
    'columns', (SELECT json_agg(a.attname ORDER BY k.ord) FROM unnest(con.conkey) WITH ORDINALITY k(attnum, ord)
                JOIN pg_attribute a ON a.attrelid = con.conrelid AND a.attnum = k.attnum),
    'ref_schema', rn.nspname, 'ref_table', rc.relname,
    'ref_columns', (SELECT json_agg(a.attname ORDER BY k.ord) FROM unnest(con.confkey) WITH ORDINALITY k(attnum, ord)
                JOIN pg_attribute a ON a.attrelid = con.confrelid AND a.attnum = k.attnum)
  ) AS f
  FROM pg_constraint con
  JOIN pg_class c ON c.oid = con.conrelid JOIN pg_namespace n ON n.oid = c.relnamespace
  JOIN pg_class rc ON rc.oid = con.confrelid JOIN pg_namespace rn ON rn.oid = rc.relnamespace
  WHERE con.contype = 'f' AND {HIDDEN}
),
routines AS (
  SELECT json_build_object(
    'schema', n.nspname, 'name', p.proname,
    'params', coalesce((
      SELECT json_agg(json_build_object(
        'name', coalesce(p.proargnames[a.ord], ''),
        'data_type', format_type(a.typ, NULL),
        'has_default', a.ord > p.pronargs - p.pronargdefaults
      ) ORDER BY a.ord)
      FROM unnest(p.proargtypes::oid[]) WITH ORDINALITY a(typ, ord)), '[]'::json),
    'return_type', format_type(p.prorettype, NULL),
    'returns_set', p.proretset,
    'returns_composite', t.typtype = 'c' OR (t.oid = 'record'::regtype AND p.proargmodes IS NOT NULL),
    'volatile', p.provolatile = 'v'
  ) AS r
  FROM pg_proc p
  JOIN pg_namespace n ON n.oid = p.pronamespace
  JOIN pg_type t ON t.oid = p.prorettype
  WHERE p.prokind = 'f' AND {HIDDEN}
    AND t.typname NOT IN ('trigger', 'event_trigger')
)
SELECT json_build_object(
  'schemas', (SELECT coalesce(json_agg(n.nspname), '[]'::json) FROM pg_namespace n WHERE {HIDDEN}),
  'tables', coalesce((SELECT json_agg(t) FROM tables), '[]'::json),
  'foreign_keys', coalesce((SELECT json_agg(f) FROM fks), '[]'::json),
  'routines', coalesce((SELECT json_agg(r) FROM routines), '[]'::json)
)::text
"#
    )
}

#[derive(Deserialize)]
struct Document {
    schemas: Vec<String>,
    tables: Vec<Table>,
    foreign_keys: Vec<ForeignKey>,
    routines: Vec<Routine>,
}

#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    #[error("{0}")]
    Db(#[from] oxforge_db::DbError),
    #[error("introspection query failed: {0}")]
    Query(#[from] tokio_postgres::Error),
    #[error("unexpected introspection result: {0}")]
    Decode(#[from] serde_json::Error),
}

/// Reads the whole schema cache from the database.
pub async fn load(pool: &oxforge_db::Pool) -> Result<SchemaCache, LoadError> {
    let client = pool.get().await.map_err(oxforge_db::DbError::from)?;
    let row = client.query_one(&introspection_sql(), &[]).await?;
    let text: String = row.get(0);
    let doc: Document = serde_json::from_str(&text)?;
    let fingerprint = {
        use std::hash::{Hash, Hasher};
        let mut hasher = std::collections::hash_map::DefaultHasher::new();
        text.hash(&mut hasher);
        hasher.finish()
    };
    Ok(SchemaCache::new(doc.tables, doc.foreign_keys, doc.routines)
        .with_schemas(doc.schemas)
        .with_fingerprint(fingerprint))
}
