//! Bootstrap steps owned by components: order, tracking, upgrades from the single-list table,
//! steps that moved between components, failures and invalid lists.

use oxforge_db::{CORE, Component, ComponentError, DbError, Pool, SecretCipher, Step, migrate};
use oxforge_testkit::cluster;

const fn step(version: i32, name: &'static str, sql: &'static str) -> Step {
    Step {
        version,
        name,
        sql,
        formerly: None,
    }
}

/// Applied first although it sorts last: list order, not name order, decides.
const ZETA: Component = Component {
    name: "zeta",
    steps: &[
        step(
            1,
            "trace_table",
            "CREATE TABLE public.trace (n serial PRIMARY KEY, step text NOT NULL);
             INSERT INTO public.trace (step) VALUES ('zeta 1');",
        ),
        step(2, "second", "INSERT INTO public.trace (step) VALUES ('zeta 2')"),
    ],
};

const ALPHA: Component = Component {
    name: "alpha",
    steps: &[
        step(1, "first", "INSERT INTO public.trace (step) VALUES ('alpha 1')"),
        step(5, "fifth", "INSERT INTO public.trace (step) VALUES ('alpha 5')"),
    ],
};

/// Its first step's SQL used to be core's step 2; running it leaves a table behind.
const MOVED: Component = Component {
    name: "moved",
    steps: &[
        Step {
            version: 1,
            name: "moved_first",
            sql: "CREATE TABLE public.moved_sql_ran ()",
            formerly: Some(("core", 2)),
        },
        step(2, "after_move", "CREATE TABLE public.after_move ()"),
    ],
};

const BROKEN: Component = Component {
    name: "broken",
    steps: &[
        step(1, "fine", "CREATE TABLE public.broken_fine ()"),
        step(2, "divides_by_zero", "SELECT 1/0"),
    ],
};

fn pool(database: &str) -> Pool {
    oxforge_db::connect(&cluster().connection_string(database), &Default::default()).unwrap()
}

/// The tracking rows as (component, version, name), sorted.
async fn tracked(db: &tokio_postgres::Client) -> Vec<(String, i32, String)> {
    db.query(
        "SELECT component, version, name FROM system.oxforge_bootstrap ORDER BY component, version",
        &[],
    )
    .await
    .unwrap()
    .iter()
    .map(|row| (row.get(0), row.get(1), row.get(2)))
    .collect()
}

fn rows(expected: &[(&str, i32, &str)]) -> Vec<(String, i32, String)> {
    let mut rows: Vec<_> = expected
        .iter()
        .map(|(c, v, n)| ((*c).to_owned(), *v, (*n).to_owned()))
        .collect();
    rows.sort();
    rows
}

/// The rows of every component this build lists (what the template database has).
fn build_rows() -> Vec<(&'static str, i32, &'static str)> {
    oxforge_server::sql_components()
        .iter()
        .flat_map(|c| c.steps.iter().map(|s| (c.name, s.version, s.name)))
        .collect()
}

/// The steps of `ZETA` and `ALPHA` that ran, in the order they ran.
async fn trace(db: &tokio_postgres::Client) -> Vec<String> {
    db.query("SELECT step FROM public.trace ORDER BY n", &[])
        .await
        .unwrap()
        .iter()
        .map(|row| row.get(0))
        .collect()
}

async fn exists(db: &tokio_postgres::Client, relation: &str) -> bool {
    db.query_one("SELECT to_regclass($1) IS NOT NULL", &[&relation])
        .await
        .unwrap()
        .get(0)
}

/// Replaces the tracking table by the one builds before components made: no `component`, the
/// primary key on `version` alone, their seven steps (with a recognisable `applied_at`; 3 and 7
/// are accounts' now).
async fn make_tracking_table_old(db: &tokio_postgres::Client) {
    db.batch_execute(
        "DROP TABLE system.oxforge_bootstrap;
         CREATE TABLE system.oxforge_bootstrap (
           version integer PRIMARY KEY,
           name text NOT NULL,
           applied_at timestamptz NOT NULL DEFAULT now()
         );
         INSERT INTO system.oxforge_bootstrap (version, name, applied_at) VALUES
           (1, 'foundation', '2020-01-01T00:00:00Z'), (2, 'schema_reload', '2020-01-01T00:00:00Z'),
           (3, 'accounts', '2020-01-01T00:00:00Z'), (4, 'custom_migrations', '2020-01-01T00:00:00Z'),
           (5, 'table_helpers', '2020-01-01T00:00:00Z'), (6, 'request_roles', '2020-01-01T00:00:00Z'),
           (7, 'session_hardening', '2020-01-01T00:00:00Z');",
    )
    .await
    .unwrap();
}

#[tokio::test]
async fn bootstrap_applies_each_component_once_in_list_order() {
    let database = cluster().empty_database().await;
    let pool = pool(&database);
    let applied = migrate(&pool, &[ZETA, ALPHA]).await.unwrap();
    assert_eq!(applied, [("zeta", 1), ("zeta", 2), ("alpha", 1), ("alpha", 5)]);

    let db = cluster().connect(&database).await.unwrap();
    let ran = ["zeta 1", "zeta 2", "alpha 1", "alpha 5"];
    assert_eq!(trace(&db).await, ran);
    assert_eq!(
        tracked(&db).await,
        rows(&[
            ("zeta", 1, "trace_table"),
            ("zeta", 2, "second"),
            ("alpha", 1, "first"),
            ("alpha", 5, "fifth"),
        ])
    );

    assert_eq!(migrate(&pool, &[ZETA, ALPHA]).await.unwrap(), []);
    assert_eq!(trace(&db).await, ran, "nothing ran twice");
    pool.close();
}

#[tokio::test]
async fn bootstrap_upgrades_the_old_tracking_table_without_rerunning_steps() {
    let database = cluster().database_from_template().await;
    let db = cluster().connect(&database).await.unwrap();
    make_tracking_table_old(&db).await;

    // Two starts at once: one upgrades the table, the other finds it done. Accounts' steps 1
    // and 2 were core's 3 and 7 (re-labelled, not run); only its new, idempotent steps 3 and 4
    // run, storage's schema and its S3 gateway tables, and the logs' audit table.
    let pool = pool(&database);
    let components = oxforge_server::sql_components();
    let (first, second) = tokio::join!(migrate(&pool, &components), migrate(&pool, &components));
    let mut ran = first.unwrap();
    ran.extend(second.unwrap());
    assert_eq!(
        ran,
        [
            ("accounts", 3),
            ("accounts", 4),
            ("storage", 1),
            ("storage", 2),
            ("logs", 1)
        ],
        "no step ran again, the new ones once"
    );
    assert_eq!(migrate(&pool, &components).await.unwrap(), []);

    assert_eq!(tracked(&db).await, rows(&build_rows()));
    let kept: i64 = db
        .query_one(
            "SELECT count(*) FROM system.oxforge_bootstrap WHERE applied_at = '2020-01-01T00:00:00Z'",
            &[],
        )
        .await
        .unwrap()
        .get(0);
    assert_eq!(kept, 7, "the old rows were kept, not written again");
    let key: Vec<String> = db
        .query_one(
            "SELECT array_agg(a.attname::text ORDER BY k.ord)
             FROM pg_constraint c
             CROSS JOIN LATERAL unnest(c.conkey) WITH ORDINALITY AS k (attnum, ord)
             JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = k.attnum
             WHERE c.conrelid = 'system.oxforge_bootstrap'::regclass AND c.contype = 'p'",
            &[],
        )
        .await
        .unwrap()
        .get(0);
    assert_eq!(key, ["component", "version"]);
    pool.close();
}

#[tokio::test]
async fn bootstrap_relabels_a_step_that_moved_to_another_component() {
    let database = cluster().database_from_template().await;
    let db = cluster().connect(&database).await.unwrap();
    let applied_at = "SELECT applied_at::text FROM system.oxforge_bootstrap WHERE component = $1 AND version = $2";
    let before: String = db.query_one(applied_at, &[&"core", &2]).await.unwrap().get(0);

    // Core without its step 2, which the `moved` component now owns.
    let core_steps: Vec<Step> = CORE.steps.iter().filter(|s| s.version != 2).copied().collect();
    let core = Component {
        name: "core",
        steps: core_steps.leak(),
    };
    let pool = pool(&database);
    let accounts = oxforge_server::sql_components()
        .into_iter()
        .find(|c| c.name == "accounts")
        .expect("accounts is a component");
    let applied = migrate(&pool, &[core, accounts, MOVED]).await.unwrap();
    assert_eq!(applied, [("moved", 2)]);
    assert!(
        !exists(&db, "public.moved_sql_ran").await,
        "the moved step's SQL did not run"
    );
    assert!(exists(&db, "public.after_move").await);

    let mut expected = build_rows();
    expected.retain(|(component, version, _)| (*component, *version) != ("core", 2));
    expected.extend([("moved", 1, "moved_first"), ("moved", 2, "after_move")]);
    assert_eq!(tracked(&db).await, rows(&expected));
    let after: String = db.query_one(applied_at, &[&"moved", &1]).await.unwrap().get(0);
    assert_eq!(after, before, "the row was re-labelled, not written again");
    assert_eq!(migrate(&pool, &[core, accounts, MOVED]).await.unwrap(), []);
    pool.close();

    // Without the former row (a new database), the step runs.
    let fresh = cluster().empty_database().await;
    let pool = self::pool(&fresh);
    assert_eq!(migrate(&pool, &[MOVED]).await.unwrap(), [("moved", 1), ("moved", 2)]);
    let db = cluster().connect(&fresh).await.unwrap();
    assert!(exists(&db, "public.moved_sql_ran").await);
    pool.close();
}

#[tokio::test]
async fn bootstrap_failure_rolls_back_the_whole_run_and_names_the_step() {
    let database = cluster().empty_database().await;
    let pool = pool(&database);
    let err = migrate(&pool, &[ZETA, BROKEN]).await.unwrap_err();
    assert!(
        matches!(
            err,
            DbError::Bootstrap {
                component: "broken",
                version: 2,
                name: "divides_by_zero",
                ..
            }
        ),
        "{err:?}"
    );
    assert_eq!(err.sqlstate(), Some("22012"));
    let message = err.to_string();
    assert!(message.contains("broken 2 (divides_by_zero)"), "{message}");

    let db = cluster().connect(&database).await.unwrap();
    for relation in ["system.oxforge_bootstrap", "public.trace", "public.broken_fine"] {
        assert!(!exists(&db, relation).await, "{relation} was left behind");
    }
    pool.close();
}

#[tokio::test]
async fn bootstrap_refuses_invalid_component_lists() {
    let database = cluster().empty_database().await;
    let pool = pool(&database);
    let err = migrate(&pool, &[ZETA, ALPHA, ZETA]).await.unwrap_err();
    assert!(
        matches!(err, DbError::Components(ComponentError::Duplicate("zeta"))),
        "{err:?}"
    );
    const BACKWARDS: Component = Component {
        name: "backwards",
        steps: &[step(2, "two", "SELECT 1"), step(1, "one", "SELECT 1")],
    };
    let err = migrate(&pool, &[BACKWARDS]).await.unwrap_err();
    assert!(
        matches!(err, DbError::Components(ComponentError::Unordered { .. })),
        "{err:?}"
    );
    // `moved` claims core's step 2, which this list still has.
    let err = oxforge_db::bootstrap(&pool, &[CORE, MOVED], &SecretCipher::plaintext(), &[], |_| {
        Ok(Vec::new())
    })
    .await
    .unwrap_err();
    assert!(
        matches!(err, DbError::Components(ComponentError::Formerly { .. })),
        "{err:?}"
    );

    let db = cluster().connect(&database).await.unwrap();
    assert!(!exists(&db, "system.oxforge_bootstrap").await, "nothing was applied");
    pool.close();
}
