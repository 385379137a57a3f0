//! The `oxforge` CLI against a live server: the Auth0 guide's path with only oxforge commands.

use std::path::Path;

use oxforge_testkit::TestServer;
use serde_json::{Value, json};

use crate::support::AUTH0_GUIDE_SQL as GUIDE_SQL;

pub(crate) struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.stdout)
            .unwrap_or_else(|e| panic!("stdout is not JSON ({e}): {}\nstderr: {}", self.stdout, self.stderr))
    }
}

pub(crate) async fn oxforge(dir: &Path, args: &[&str]) -> Run {
    let output = tokio::process::Command::new(env!("CARGO_BIN_EXE_oxforge"))
        .args(args)
        .current_dir(dir)
        .env_remove("INSFORGE_URL")
        .env_remove("INSFORGE_API_KEY")
        .env_remove("ROOT_ADMIN_PASSWORD")
        .env("NO_COLOR", "1")
        .stdin(std::process::Stdio::null())
        .output()
        .await
        .expect("run oxforge");
    Run {
        code: output.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn auth0_guide_with_only_oxforge_commands() {
    let server = TestServer::start_with(|c| c.root_admin_password = Some("guide-pass-phrase".into())).await;
    let work = tempfile::tempdir().unwrap();
    let dir = work.path();

    // Not linked yet: exit 3, JSON error on stderr.
    let r = oxforge(dir, &["db", "tables", "--json"]).await;
    assert_eq!(r.code, 3, "{}", r.stderr);
    assert_eq!(
        serde_json::from_str::<Value>(r.stderr.trim()).unwrap()["code"],
        "NOT_LINKED"
    );
    // A wrong key is caught when linking (exit 2), and nothing is written.
    let r = oxforge(dir, &["link", "--api-base-url", &server.url, "--api-key", "ik_wrong"]).await;
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(!dir.join(".insforge/project.json").exists());

    let r = oxforge(dir, &["link", "--url", &server.url, "--api-key", server.api_key()]).await;
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(r.stdout.contains("✓ Linked to"), "{}", r.stdout);
    let file: Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join(".insforge/project.json")).unwrap()).unwrap();
    assert_eq!(
        file["project_id"], "fa4e0000-1234-5678-90ab-cd1234567890",
        "InsForge's self-hosted sentinel"
    );
    assert_eq!(
        (file["oss_host"].as_str(), file["api_key"].as_str()),
        (Some(server.url.as_str()), Some(server.api_key()))
    );
    let r = oxforge(dir, &["current", "--json"]).await;
    assert_eq!(r.json()["url"], server.url.as_str());
    assert!(!r.stdout.contains(server.api_key()), "current never prints the key");

    // The JWT secret and the app's env file.
    let r = oxforge(dir, &["secrets", "get", "JWT_SECRET", "--json"]).await;
    assert_eq!(r.json()["value"], server.jwt_secret());
    std::fs::write(
        dir.join(".env.local"),
        "NEXT_PUBLIC_INSFORGE_URL=https://keep.example\n",
    )
    .unwrap();
    let r = oxforge(dir, &["env", "pull"]).await;
    assert_eq!(r.code, 0, "{}", r.stderr);
    let env = std::fs::read_to_string(dir.join(".env.local")).unwrap();
    assert!(
        env.contains("NEXT_PUBLIC_INSFORGE_URL=https://keep.example"),
        "existing values stay: {env}"
    );
    assert!(
        env.contains(&format!("NEXT_PUBLIC_INSFORGE_ANON_KEY={}", server.anon_key())),
        "{env}"
    );
    assert!(
        env.contains(&format!("INSFORGE_JWT_SECRET={}", server.jwt_secret())),
        "{env}"
    );

    // The guide's SQL as a migration.
    let r = oxforge(dir, &["db", "migrations", "new", "create-todos", "--json"]).await;
    assert_eq!(r.code, 0, "{}", r.stderr);
    let created = r.json();
    let path = created["path"].as_str().unwrap().to_owned();
    assert!(created["filename"].as_str().unwrap().ends_with("_create-todos.sql"));
    std::fs::write(&path, GUIDE_SQL).unwrap();
    let r = oxforge(dir, &["db", "migrations", "up", "--all", "--dry-run"]).await;
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(r.stdout.contains("risk SAFE"), "{}", r.stdout);
    let r = oxforge(dir, &["db", "migrations", "up", "--all", "--json"]).await;
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(r.json()["appliedMigrations"].as_array().unwrap().len(), 1);
    let r = oxforge(dir, &["db", "migrations", "status", "--json"]).await;
    assert_eq!(r.json()["migrations"][0]["state"], "applied");
    let r = oxforge(dir, &["db", "migrations", "up", "--all"]).await;
    assert!(r.stdout.contains("Nothing to apply"), "{}", r.stdout);
    let r = oxforge(dir, &["db", "policies"]).await;
    assert!(
        r.stdout.contains("Users can manage own todos") && r.stdout.contains("todos"),
        "{}",
        r.stdout
    );
    let r = oxforge(dir, &["db", "describe", "todos"]).await;
    assert!(
        r.stdout.contains("user_id") && r.stdout.contains("Row Level Security: enabled"),
        "{}",
        r.stdout
    );

    // Test tokens like the Post-Login Action's, and RLS proven over plain HTTP.
    let mint = |sub: &'static str| {
        let dir = dir.to_owned();
        async move {
            let r = oxforge(&dir, &["token", "mint", "--sub", sub, "--email", "u@example.com"]).await;
            assert_eq!(r.code, 0, "{}", r.stderr);
            r.stdout.trim().to_owned()
        }
    };
    let (alice, bob) = (mint("auth0|alice").await, mint("auth0|bob").await);
    crate::support::assert_todos_isolated(&server, (&alice, "auth0|alice"), &bob).await;
    let r = oxforge(dir, &["db", "query", "select count(*) as n from todos", "--json"]).await;
    assert_eq!(r.json()["rows"], json!([{"n": 1}]));
    let r = oxforge(dir, &["db", "query", "select $1::int * 2 as d", "--param", "21"]).await;
    assert!(
        r.stdout.contains("42") && r.stdout.contains("1 row(s) returned."),
        "{}",
        r.stdout
    );

    // Confirmations: required without a terminal, and the server's 403 maps to exit 5.
    let r = oxforge(dir, &["secrets", "delete", "JWT_SECRET"]).await;
    assert_eq!(r.code, 1, "{}", r.stderr);
    let r = oxforge(dir, &["secrets", "delete", "JWT_SECRET", "-y", "--json"]).await;
    assert_eq!(r.code, 5, "{}", r.stderr);
    assert_eq!(
        serde_json::from_str::<Value>(r.stderr.trim()).unwrap()["code"],
        "FORBIDDEN"
    );
    let r = oxforge(dir, &["secrets", "get", "NOPE"]).await;
    assert_eq!(r.code, 4, "{}", r.stderr);

    // login with the admin password links another directory.
    let other = tempfile::tempdir().unwrap();
    let r = oxforge(
        other.path(),
        &["login", "--url", &server.url, "--password", "guide-pass-phrase"],
    )
    .await;
    assert_eq!(r.code, 0, "{}", r.stderr);
    let file: Value =
        serde_json::from_str(&std::fs::read_to_string(other.path().join(".insforge/project.json")).unwrap()).unwrap();
    assert_eq!(file["api_key"], server.api_key());
    let r = oxforge(other.path(), &["unlink"]).await;
    assert_eq!(r.code, 0);
    // Token checks: what the server would do with a token.
    let r = oxforge(dir, &["auth", "check", &alice]).await;
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(
        r.stdout.contains("JWT secret") && r.stdout.contains("Accepted as authenticated"),
        "{}",
        r.stdout
    );
    let r = oxforge(dir, &["auth", "check", "not-a-token", "--json"]).await;
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert_eq!(r.json()["valid"], false);
    let r = oxforge(dir, &["auth", "providers"]).await;
    assert!(r.stdout.contains("No third-party providers configured"), "{}", r.stdout);
    let r = oxforge(dir, &["completions", "bash"]).await;
    assert!(r.code == 0 && r.stdout.contains("oxforge"), "{}", r.stderr);
    server.stop().await;
}

fn migration_file(dir: &Path, created: &Run) -> std::path::PathBuf {
    assert_eq!(created.code, 0, "{}", created.stderr);
    dir.join(created.json()["path"].as_str().unwrap())
}

/// The newcomer's mistakes, each named with its fix, and the exit codes that go with them.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn newcomer_mistakes_are_named() {
    let server = TestServer::start().await;
    let work = tempfile::tempdir().unwrap();
    let dir = work.path();

    // A wrong command line is a usage error (64), never 2 (auth).
    let r = oxforge(dir, &["db", "nosuch"]).await;
    assert_eq!(r.code, 64, "{}", r.stderr);
    let r = oxforge(dir, &["--help"]).await;
    assert_eq!(r.code, 0, "{}", r.stderr);

    // link: a URL without scheme, the anon key, a JWT, a server that does not answer.
    let r = oxforge(dir, &["link", "--url", "127.0.0.1:7130", "--api-key", server.api_key()]).await;
    assert_eq!(r.code, 64, "{}", r.stderr);
    assert!(r.stderr.contains("write http://127.0.0.1:7130"), "{}", r.stderr);
    let r = oxforge(dir, &["link", "--url", &server.url, "--api-key", server.anon_key()]).await;
    assert_eq!(r.code, 64, "{}", r.stderr);
    assert!(r.stderr.contains("this is the anon key"), "{}", r.stderr);
    let r = oxforge(dir, &["link", "--url", &server.url, "--api-key", "eyJhbGciOi.x.y"]).await;
    assert!(r.code == 64 && r.stderr.contains("this is a JWT"), "{}", r.stderr);
    let r = oxforge(dir, &["link", "--url", "http://127.0.0.1:1", "--api-key", "ik_x"]).await;
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert!(
        r.stderr.contains("nothing answers at http://127.0.0.1:1"),
        "{}",
        r.stderr
    );
    assert!(!dir.join(".insforge/project.json").exists());
    // login without a terminal (stdin is /dev/null here) and without a password.
    let r = oxforge(dir, &["login", "--url", &server.url]).await;
    assert_eq!(r.code, 64, "{}", r.stderr);
    assert!(
        r.stderr.contains("--password") && r.stderr.contains("ROOT_ADMIN_PASSWORD"),
        "{}",
        r.stderr
    );

    let r = oxforge(dir, &["login", "--url", "127.0.0.1:7130"]).await;
    assert!(
        r.code == 64 && r.stderr.contains("has no scheme"),
        "the URL is checked first: {}",
        r.stderr
    );

    let r = oxforge(dir, &["link", "--url", &server.url, "--api-key", server.api_key()]).await;
    assert_eq!(r.code, 0, "{}", r.stderr);

    // secrets get --raw: the bare value.
    let r = oxforge(dir, &["secrets", "get", "JWT_SECRET", "--raw"]).await;
    assert_eq!(r.stdout, format!("{}\n", server.jwt_secret()));

    // token mint refuses what the server would refuse.
    for args in [
        &["--sub", "a", "--ttl", "0"][..],
        &["--sub", "a", "--ttl=-5m"],
        &["--sub", " "],
    ] {
        let r = oxforge(dir, &[&["token", "mint"][..], args].concat()).await;
        assert_eq!(r.code, 64, "{args:?}: {}", r.stderr);
    }
    let r = oxforge(dir, &["token", "mint", "--sub", "a", "--role", "project_admin"]).await;
    assert_eq!(r.code, 64, "{}", r.stderr);

    // auth check says why.
    let expired = jsonwebtoken::encode(
        &jsonwebtoken::Header::default(),
        &json!({"sub": "a", "role": "authenticated", "exp": 1_000_000_000}),
        &jsonwebtoken::EncodingKey::from_secret(server.jwt_secret().as_bytes()),
    )
    .unwrap();
    let r = oxforge(dir, &["auth", "check", &expired]).await;
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(
        r.stdout.contains("Why: expired at 2001-09-09T01:46:40+00:00"),
        "{}",
        r.stdout
    );
    let r = oxforge(dir, &["auth", "check", "abc"]).await;
    assert!(r.stdout.contains("Why: not a JWT"), "{}", r.stdout);

    // env pull: a differing value is shown and kept; --force replaces it.
    std::fs::write(dir.join(".env.local"), "NEXT_PUBLIC_INSFORGE_URL=http://old.example\n").unwrap();
    let r = oxforge(dir, &["env", "pull"]).await;
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(
        r.stdout.contains("NEXT_PUBLIC_INSFORGE_URL differs in .env.local") && r.stdout.contains("--force"),
        "{}",
        r.stdout
    );
    let env = std::fs::read_to_string(dir.join(".env.local")).unwrap();
    assert!(
        env.starts_with("NEXT_PUBLIC_INSFORGE_URL=http://old.example\n"),
        "{env}"
    );
    let r = oxforge(dir, &["env", "pull", "--force"]).await;
    assert!(r.stdout.contains("NEXT_PUBLIC_INSFORGE_URL updated"), "{}", r.stdout);
    let env = std::fs::read_to_string(dir.join(".env.local")).unwrap();
    assert!(
        env.starts_with(&format!("NEXT_PUBLIC_INSFORGE_URL={}\n", server.url)),
        "{env}"
    );
    assert_eq!(env.matches("NEXT_PUBLIC_INSFORGE_URL=").count(), 1, "{env}");

    // migrations new writes a commented template, which is refused until it has SQL.
    let first = migration_file(
        dir,
        &oxforge(dir, &["db", "migrations", "new", "create-t", "--json"]).await,
    );
    let template = std::fs::read_to_string(&first).unwrap();
    assert!(
        template.starts_with("-- Migration ") && template.contains("--dry-run"),
        "{template}"
    );
    let r = oxforge(dir, &["db", "migrations", "up", "--all"]).await;
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert!(r.stderr.contains("has no SQL yet"), "{}", r.stderr);
    let r = oxforge(dir, &["db", "migrations", "up"]).await;
    assert_eq!(r.code, 64, "{}", r.stderr);

    // A failing file: --dry-run exits 1 and gives no risk level.
    std::fs::write(
        &first,
        "create table t (id int primary key);\ninsert into nosuch values (1);\n",
    )
    .unwrap();
    let r = oxforge(dir, &["db", "migrations", "up", "--all", "--dry-run"]).await;
    assert_eq!(r.code, 1, "{}\n{}", r.stdout, r.stderr);
    assert!(r.stdout.contains("✗") && r.stdout.contains("fails — "), "{}", r.stdout);
    assert!(!r.stdout.contains("SAFE"), "{}", r.stdout);
    std::fs::write(&first, "create table t (id int primary key);\n").unwrap();
    let r = oxforge(dir, &["db", "migrations", "up", "--all"]).await;
    assert_eq!(r.code, 0, "{}", r.stderr);

    // A DANGER file asks first; without a terminal and without -y nothing is applied.
    let second = migration_file(
        dir,
        &oxforge(dir, &["db", "migrations", "new", "drop-t", "--json"]).await,
    );
    std::fs::write(&second, "drop table t;\n").unwrap();
    let r = oxforge(dir, &["db", "migrations", "up", "--all"]).await;
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert!(
        r.stdout.contains("rated DANGER") && r.stdout.contains("drops a table"),
        "{}",
        r.stdout
    );
    assert!(r.stderr.contains("pass -y"), "{}", r.stderr);
    let r = oxforge(dir, &["db", "query", "select count(*) as n from t", "--json"]).await;
    assert_eq!(r.json()["rows"], json!([{"n": 0}]), "t is still there");
    let r = oxforge(dir, &["db", "migrations", "up", "--all", "-y"]).await;
    assert_eq!(r.code, 0, "{}", r.stderr);

    // db query asks before removing data; a table anon can read with RLS off is warned about.
    let r = oxforge(
        dir,
        &["db", "query", "create table u (id int); insert into u values (1)"],
    )
    .await;
    assert!(
        r.stderr.contains("warning: Row Level Security is off on public.u"),
        "{}",
        r.stderr
    );
    for sql in ["delete from u", "update u set id = 2", "truncate u", "drop table u"] {
        let r = oxforge(dir, &["db", "query", sql]).await;
        assert_eq!(r.code, 1, "{sql}: {}", r.stderr);
        assert!(r.stderr.contains("pass -y"), "{sql}: {}", r.stderr);
    }
    let r = oxforge(dir, &["db", "query", "select id from u", "--json"]).await;
    assert_eq!(r.json()["rows"], json!([{"id": 1}]), "nothing was removed");
    let r = oxforge(dir, &["db", "query", "delete from u where id = 1"]).await;
    assert_eq!(r.code, 0, "a DELETE with WHERE runs: {}", r.stderr);
    let r = oxforge(dir, &["db", "query", "drop table u", "-y"]).await;
    assert_eq!(r.code, 0, "{}", r.stderr);
    server.stop().await;
}

/// A local migration older than the server's head (another developer's newer one landed first)
/// is never applied by `up`; it says so instead of skipping it silently.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn migrations_up_names_a_local_file_older_than_the_server_head() {
    let server = TestServer::start().await;
    let work = tempfile::tempdir().unwrap();
    let dir = work.path();
    let r = oxforge(dir, &["link", "--url", &server.url, "--api-key", server.api_key()]).await;
    assert_eq!(r.code, 0, "{}", r.stderr);
    std::fs::create_dir_all(dir.join("migrations")).unwrap();
    std::fs::write(
        dir.join("migrations/20260102000000_theirs.sql"),
        "create table public.theirs (id int);",
    )
    .unwrap();
    let r = oxforge(dir, &["db", "migrations", "up", "--all", "-y"]).await;
    assert_eq!(r.code, 0, "{}", r.stderr);
    // Mine was written earlier, but reaches the server after theirs.
    std::fs::write(
        dir.join("migrations/20260101000000_mine.sql"),
        "create table public.mine (id int);",
    )
    .unwrap();
    let r = oxforge(dir, &["db", "migrations", "up", "--all", "-y"]).await;
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(
        r.stderr
            .contains("20260101000000_mine.sql is older than the server's latest migration 20260102000000")
            && r.stderr.contains("never applied"),
        "{}",
        r.stderr
    );
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn logs_prints_a_source_and_names_the_sources() {
    let server = TestServer::start().await;
    let work = tempfile::tempdir().unwrap();
    let dir = work.path();
    let r = oxforge(dir, &["link", "--url", &server.url, "--api-key", server.api_key()]).await;
    assert_eq!(r.code, 0, "{}", r.stderr);

    // The test server runs on an external database: its PostgreSQL log is not oxforge's to read.
    let r = oxforge(dir, &["logs", "postgres.logs", "--json"]).await;
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(r.json(), json!({"logs": [], "total": 0}));
    let r = oxforge(dir, &["logs", "postgres.logs"]).await;
    assert_eq!(
        (r.code, r.stdout.trim()),
        (0, "No entries in postgres.logs."),
        "{}",
        r.stderr
    );

    let r = oxforge(dir, &["logs", "nginx.logs"]).await;
    assert_eq!(r.code, 64, "{}", r.stderr);
    assert!(r.stderr.contains("insforge.logs, postgres.logs"), "{}", r.stderr);
    server.stop().await;
}
