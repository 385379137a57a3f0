//! Introspection for the admin API: tables, schemas, functions, indexes, policies, triggers,
//! one table's schema and one table's metadata, each built as JSON by PostgreSQL.

use deadpool_postgres::GenericClient;

use crate::DbError;

async fn json(client: &impl GenericClient, sql: &str, schema: &str) -> Result<String, DbError> {
    let row = client.query_one(sql, &[&schema]).await?;
    Ok(row.try_get(0)?)
}

/// `["a","b"]`: base tables of a schema, by name.
pub async fn tables(client: &impl GenericClient, schema: &str) -> Result<String, DbError> {
    json(
        client,
        "SELECT coalesce(json_agg(c.relname ORDER BY c.relname), '[]'::json)::text FROM pg_class c
         JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = $1 AND c.relkind IN ('r', 'p')",
        schema,
    )
    .await
}

/// `{schemas:[{name,isProtected}]}` (the `schema` argument is unused).
pub async fn schemas(client: &impl GenericClient) -> Result<String, DbError> {
    json(
        client,
        "SELECT json_build_object('schemas', coalesce(json_agg(json_build_object('name', nspname,
           'isProtected', nspname IN ('auth', 'system', 'storage')) ORDER BY nspname), '[]'::json))::text
         FROM pg_namespace WHERE nspname NOT LIKE 'pg\\_%' AND nspname <> 'information_schema' AND $1::text IS NOT NULL",
        "",
    )
    .await
}

pub async fn functions(client: &impl GenericClient, schema: &str) -> Result<String, DbError> {
    json(
        client,
        "SELECT json_build_object('functions', coalesce(json_agg(json_build_object(
           'name', p.proname, 'schema', n.nspname, 'arguments', pg_get_function_arguments(p.oid),
           'returnType', pg_get_function_result(p.oid), 'language', l.lanname,
           'volatility', CASE p.provolatile WHEN 'i' THEN 'immutable' WHEN 's' THEN 'stable' ELSE 'volatile' END,
           'securityDefiner', p.prosecdef, 'definition', pg_get_functiondef(p.oid)) ORDER BY p.proname), '[]'::json))::text
         FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace JOIN pg_language l ON l.oid = p.prolang
         WHERE n.nspname = $1 AND p.prokind = 'f'",
        schema,
    )
    .await
}

pub async fn indexes(client: &impl GenericClient, schema: &str) -> Result<String, DbError> {
    json(
        client,
        "SELECT json_build_object('indexes', coalesce(json_agg(json_build_object(
           'tableName', t.relname, 'indexName', i.relname, 'definition', pg_get_indexdef(i.oid),
           'isUnique', x.indisunique, 'isPrimary', x.indisprimary) ORDER BY t.relname, i.relname), '[]'::json))::text
         FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid JOIN pg_class t ON t.oid = x.indrelid
         JOIN pg_namespace n ON n.oid = t.relnamespace WHERE n.nspname = $1",
        schema,
    )
    .await
}

/// `{policies:[…]}` with `pg_policies`' columns (as InsForge passes them through).
pub async fn policies(client: &impl GenericClient, schema: &str) -> Result<String, DbError> {
    json(
        client,
        "SELECT json_build_object('policies', coalesce(json_agg(json_build_object(
           'schemaname', schemaname, 'tablename', tablename, 'policyname', policyname, 'permissive', permissive,
           'roles', roles, 'cmd', cmd, 'qual', qual, 'with_check', with_check) ORDER BY tablename, policyname), '[]'::json))::text
         FROM pg_policies WHERE schemaname = $1",
        schema,
    )
    .await
}

pub async fn triggers(client: &impl GenericClient, schema: &str) -> Result<String, DbError> {
    json(
        client,
        "SELECT json_build_object('triggers', coalesce(json_agg(json_build_object(
           'tableName', c.relname, 'triggerName', t.tgname, 'definition', pg_get_triggerdef(t.oid),
           'enabled', t.tgenabled <> 'D') ORDER BY c.relname, t.tgname), '[]'::json))::text
         FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid JOIN pg_namespace n ON n.oid = c.relnamespace
         WHERE n.nspname = $1 AND NOT t.tgisinternal",
        schema,
    )
    .await
}

/// One table's schema, or `None` if there is no such table.
pub async fn table_schema(client: &impl GenericClient, schema: &str, table: &str) -> Result<Option<String>, DbError> {
    let row = client
        .query_opt(
            "SELECT json_build_object(
               'schemaName', n.nspname, 'tableName', c.relname,
               'columns', (SELECT coalesce(json_agg(json_build_object(
                   'columnName', a.attname, 'type', format_type(a.atttypid, a.atttypmod), 'isNullable', NOT a.attnotnull,
                   'isPrimaryKey', EXISTS (SELECT 1 FROM pg_index i WHERE i.indrelid = c.oid AND i.indisprimary AND a.attnum = ANY(i.indkey)),
                   'isUnique', EXISTS (SELECT 1 FROM pg_index i WHERE i.indrelid = c.oid AND i.indisunique AND i.indnatts = 1 AND i.indkey[0] = a.attnum),
                   'defaultValue', pg_get_expr(d.adbin, d.adrelid)) ORDER BY a.attnum), '[]'::json)
                 FROM pg_attribute a LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
                 WHERE a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped),
               'foreignKeys', (SELECT coalesce(json_agg(json_build_object(
                   'constraintName', con.conname, 'definition', pg_get_constraintdef(con.oid),
                   'referenceTable', con.confrelid::regclass::text)), '[]'::json)
                 FROM pg_constraint con WHERE con.conrelid = c.oid AND con.contype = 'f'),
               'rlsEnabled', c.relrowsecurity,
               'recordCount', greatest(c.reltuples, 0)::bigint
             )::text
             FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
             WHERE n.nspname = $1 AND c.relname = $2 AND c.relkind IN ('r', 'p', 'v', 'm', 'f')",
            &[&schema, &table],
        )
        .await?;
    Ok(row.map(|r| r.get(0)))
}

/// One table's metadata for `GET /api/metadata/{table}`, in the shape of InsForge's JSON export
/// of a table (`schema` as `information_schema.columns` names it, `indexes`, `foreignKeys`,
/// `rlsEnabled`, `policies`, `triggers`, `rows` always empty) plus oxforge's `primaryKey` and
/// `uniqueConstraints`; `None` if there is no such table. Names are bound, never pasted.
pub async fn table_metadata(client: &impl GenericClient, schema: &str, table: &str) -> Result<Option<String>, DbError> {
    let row = client
        .query_opt(
            "SELECT json_build_object(
               'schema', (SELECT coalesce(json_agg(json_build_object(
                   'columnName', col.column_name, 'dataType', col.data_type,
                   'characterMaximumLength', col.character_maximum_length, 'isNullable', col.is_nullable,
                   'columnDefault', col.column_default) ORDER BY col.ordinal_position), '[]'::json)
                 FROM information_schema.columns col WHERE col.table_schema = n.nspname AND col.table_name = c.relname),
               'indexes', (SELECT coalesce(json_agg(json_build_object(
                   'indexname', i.relname, 'indexdef', pg_get_indexdef(i.oid),
                   'isUnique', x.indisunique, 'isPrimary', x.indisprimary) ORDER BY i.relname), '[]'::json)
                 FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid WHERE x.indrelid = c.oid),
               'foreignKeys', (SELECT coalesce(json_agg(json_build_object(
                   'constraintName', con.conname, 'columnName', a1.attname, 'foreignTableName', cf.relname,
                   'foreignColumnName', a2.attname, 'ordinalPosition', u.pos,
                   'deleteRule', rules.delete_rule, 'updateRule', rules.update_rule) ORDER BY con.conname, u.pos), '[]'::json)
                 FROM pg_constraint con JOIN pg_class cf ON cf.oid = con.confrelid
                 CROSS JOIN LATERAL unnest(con.conkey, con.confkey) WITH ORDINALITY AS u(src, ref, pos)
                 JOIN pg_attribute a1 ON a1.attrelid = con.conrelid AND a1.attnum = u.src
                 JOIN pg_attribute a2 ON a2.attrelid = con.confrelid AND a2.attnum = u.ref
                 CROSS JOIN LATERAL (SELECT
                     CASE con.confdeltype WHEN 'r' THEN 'RESTRICT' WHEN 'c' THEN 'CASCADE' WHEN 'n' THEN 'SET NULL'
                       WHEN 'd' THEN 'SET DEFAULT' ELSE 'NO ACTION' END AS delete_rule,
                     CASE con.confupdtype WHEN 'r' THEN 'RESTRICT' WHEN 'c' THEN 'CASCADE' WHEN 'n' THEN 'SET NULL'
                       WHEN 'd' THEN 'SET DEFAULT' ELSE 'NO ACTION' END AS update_rule) rules
                 WHERE con.conrelid = c.oid AND con.contype = 'f'),
               'rlsEnabled', c.relrowsecurity,
               'policies', (SELECT coalesce(json_agg(json_build_object(
                   'policyname', p.policyname, 'cmd', p.cmd, 'roles', p.roles, 'qual', p.qual,
                   'withCheck', p.with_check) ORDER BY p.policyname), '[]'::json)
                 FROM pg_policies p WHERE p.schemaname = n.nspname AND p.tablename = c.relname),
               'triggers', (SELECT coalesce(json_agg(json_build_object(
                   'triggerName', t.trigger_name, 'actionTiming', t.action_timing,
                   'eventManipulation', t.event_manipulation, 'actionOrientation', t.action_orientation,
                   'actionCondition', t.action_condition, 'actionStatement', t.action_statement,
                   'newTable', t.action_reference_new_table, 'oldTable', t.action_reference_old_table)
                   ORDER BY t.trigger_name, t.event_manipulation), '[]'::json)
                 FROM information_schema.triggers t
                 WHERE t.event_object_schema = n.nspname AND t.event_object_table = c.relname),
               'rows', '[]'::json,
               'primaryKey', (SELECT coalesce(json_agg(a.attname ORDER BY k.pos), '[]'::json)
                 FROM pg_constraint con CROSS JOIN LATERAL unnest(con.conkey) WITH ORDINALITY AS k(attnum, pos)
                 JOIN pg_attribute a ON a.attrelid = con.conrelid AND a.attnum = k.attnum
                 WHERE con.conrelid = c.oid AND con.contype = 'p'),
               'uniqueConstraints', (SELECT coalesce(json_agg(json_build_object('constraintName', con.conname,
                   'columns', (SELECT json_agg(a.attname ORDER BY k.pos)
                     FROM unnest(con.conkey) WITH ORDINALITY AS k(attnum, pos)
                     JOIN pg_attribute a ON a.attrelid = con.conrelid AND a.attnum = k.attnum)) ORDER BY con.conname), '[]'::json)
                 FROM pg_constraint con WHERE con.conrelid = c.oid AND con.contype = 'u')
             )::text
             FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
             WHERE n.nspname = $1 AND c.relname = $2 AND c.relkind IN ('r', 'p')",
            &[&schema, &table],
        )
        .await?;
    row.map(|r| r.try_get(0)).transpose().map_err(DbError::from)
}

/// `{tables:[{tableName, recordCount}], totalSizeInGB}` for `GET /api/metadata`.
pub async fn database_summary(client: &impl GenericClient, schema: &str) -> Result<String, DbError> {
    json(
        client,
        "SELECT json_build_object(
           'tables', (SELECT coalesce(json_agg(json_build_object('tableName', c.relname, 'recordCount', greatest(c.reltuples, 0)::bigint)
                        ORDER BY c.relname), '[]'::json)
                      FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
                      WHERE n.nspname = $1 AND c.relkind IN ('r', 'p')),
           'totalSizeInGB', round(pg_database_size(current_database()) / 1073741824.0, 6))::text",
        schema,
    )
    .await
}

/// Tables outside oxforge's own schemas that `anon` can read while Row Level Security is off:
/// anyone with the anon key reads and changes every row (InsForge and Supabase allow it; the SQL
/// editor says so). At most `limit`, as `schema.table`.
pub async fn tables_open_to_anon(client: &impl GenericClient, limit: i64) -> Result<Vec<String>, DbError> {
    let rows = client
        .query(
            "SELECT format('%I.%I', n.nspname, c.relname) FROM pg_class c
               JOIN pg_namespace n ON n.oid = c.relnamespace
              WHERE c.relkind IN ('r', 'p') AND NOT c.relrowsecurity
                AND n.nspname NOT IN ('auth', 'system', 'storage', 'information_schema')
                AND n.nspname NOT LIKE 'pg\\_%'
                AND has_schema_privilege('anon', n.oid, 'USAGE')
                AND has_table_privilege('anon', c.oid, 'SELECT')
              ORDER BY 1 LIMIT $1",
            &[&limit],
        )
        .await?;
    rows.iter().map(|r| Ok(r.try_get(0)?)).collect()
}
