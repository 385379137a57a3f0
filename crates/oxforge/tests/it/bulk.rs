//! Bulk import (`POST /api/database/advance/bulk-upsert`) and table export
//! (`GET /api/database/tables/{t}/export`).

use std::time::Instant;

use oxforge_testkit::{TestServer, hs256, http, now};
use serde_json::{Value, json};

use crate::support::{send, send_raw};

/// A multipart body built by hand: the fields in the order given (the file's place matters).
enum Part<'a> {
    Text(&'a str, &'a str),
    File(&'a str, &'a [u8]),
}

const BOUNDARY: &str = "oxforge-test-boundary-7d1f";

fn multipart(parts: &[Part<'_>]) -> Vec<u8> {
    let mut body = Vec::new();
    for part in parts {
        body.extend_from_slice(format!("--{BOUNDARY}\r\n").as_bytes());
        match part {
            Part::Text(name, value) => {
                body.extend_from_slice(format!("Content-Disposition: form-data; name=\"{name}\"\r\n\r\n").as_bytes());
                body.extend_from_slice(value.as_bytes());
            }
            Part::File(filename, data) => {
                body.extend_from_slice(
                    format!("Content-Disposition: form-data; name=\"file\"; filename=\"{filename}\"\r\n\r\n")
                        .as_bytes(),
                );
                body.extend_from_slice(data);
            }
        }
        body.extend_from_slice(b"\r\n");
    }
    body.extend_from_slice(format!("--{BOUNDARY}--\r\n").as_bytes());
    body
}

async fn upload_as(server: &TestServer, token: &str, parts: &[Part<'_>]) -> (reqwest::StatusCode, Value) {
    send(
        http()
            .post(server.at("/api/database/advance/bulk-upsert"))
            .bearer_auth(token)
            .header("content-type", format!("multipart/form-data; boundary={BOUNDARY}"))
            .body(multipart(parts)),
    )
    .await
}

async fn upload(server: &TestServer, parts: &[Part<'_>]) -> (reqwest::StatusCode, Value) {
    upload_as(server, server.api_key(), parts).await
}

async fn import(server: &TestServer, table: &str, filename: &str, data: &str) -> (reqwest::StatusCode, Value) {
    upload(
        server,
        &[Part::Text("table", table), Part::File(filename, data.as_bytes())],
    )
    .await
}

async fn rows(server: &TestServer, query: &str) -> Value {
    let (status, body) = crate::security::rawsql(server, query).await;
    assert_eq!(status, 200, "{body}");
    body["rows"].clone()
}

fn assert_written(status: reqwest::StatusCode, body: &Value, rows: u64) {
    assert_eq!((status.as_u16(), &body["rowsAffected"]), (200, &json!(rows)), "{body}");
}

/// `table=people`, the file, then `upsertKey` (after the file: it is read last).
async fn upsert_people(server: &TestServer, data: &[u8], key: &str) -> (reqwest::StatusCode, Value) {
    upload(
        server,
        &[
            Part::Text("table", "people"),
            Part::File("u.csv", data),
            Part::Text("upsertKey", key),
        ],
    )
    .await
}

const SCHEMA: &str = "CREATE TABLE public.people (id int PRIMARY KEY, name text NOT NULL, age int, \
                      born date, tags jsonb, email text UNIQUE, note text)";

#[tokio::test]
async fn csv_and_json_import_and_upsert() {
    let server = TestServer::start().await;
    server.sql(SCHEMA).await;
    let csv = "id,name,age,born,tags\n1,Ada,36,1815-12-10,\"{\"\"a\"\": 1}\"\n2,\"Grace, H.\",,1906-12-09,\n";
    let (status, body) = import(&server, "people", "people.csv", csv).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        body,
        json!({"success": true, "message": "Successfully inserted 2 rows into people", "table": "people",
               "rowsAffected": 2, "totalRecords": 2, "filename": "people.csv"})
    );
    let json_file = r#"[{"id": 3, "name": "Linus", "tags": {"k": [1, 2]}, "age": 54},
                        {"id": 4, "name": "Bjarne", "age": null}]"#;
    let (status, body) = import(&server, "people", "more.JSON", json_file).await;
    assert_written(status, &body, 2);
    assert_eq!(
        rows(
            &server,
            "SELECT id, name, age, born::text, tags FROM people ORDER BY id"
        )
        .await,
        json!([
            {"id": 1, "name": "Ada", "age": 36, "born": "1815-12-10", "tags": {"a": 1}},
            {"id": 2, "name": "Grace, H.", "age": null, "born": "1906-12-09", "tags": null},
            {"id": 3, "name": "Linus", "age": 54, "born": null, "tags": {"k": [1, 2]}},
            {"id": 4, "name": "Bjarne", "age": null, "born": null, "tags": null},
        ])
    );

    // Upsert: existing keys updated, new ones inserted; the key may come after the file.
    let (status, body) = upsert_people(&server, b"id,name,age\n1,Ada L.,37\n5,Ken,\n", "id").await;
    assert_written(status, &body, 2);
    assert_eq!(
        rows(
            &server,
            "SELECT id, name, age FROM people WHERE id IN (1, 5) ORDER BY id"
        )
        .await,
        json!([{"id": 1, "name": "Ada L.", "age": 37}, {"id": 5, "name": "Ken", "age": null}])
    );
    // Without the key the same file is a duplicate: nothing written, the violation named.
    let (status, body) = import(&server, "people", "u.csv", "id,name\n6,New\n1,Dup\n").await;
    assert_eq!(status, 409, "{body}");
    assert!(
        body["message"]
            .as_str()
            .unwrap()
            .contains("Key (id)=(1) already exists"),
        "{body}"
    );
    assert_eq!(
        rows(&server, "SELECT count(*)::int AS n FROM people").await,
        json!([{"n": 5}])
    );

    // The file first (spooled), then the table.
    let (status, body) = upload(
        &server,
        &[
            Part::File("late.csv", b"id,name\n7,Late\n"),
            Part::Text("table", "people"),
        ],
    )
    .await;
    assert_written(status, &body, 1);
}

#[tokio::test]
async fn bad_input_writes_nothing() {
    let server = TestServer::start().await;
    server.sql(SCHEMA).await;
    server.sql("INSERT INTO people (id, name) VALUES (100, 'kept')").await;
    let cases: &[(&str, &str, u16, &str)] = &[
        (
            "bad.csv",
            "id,name\n1,a\n2,\"b\n",
            400,
            "line 3: unterminated quoted field",
        ),
        (
            "bad.csv",
            "id,name\n1,a\n2\n3,c\n",
            400,
            "line 3: wrong number of fields",
        ),
        (
            "bad.csv",
            "id,name,age\n1,a,1\n2,b,x\n",
            400,
            "line 3 (column age): invalid input syntax for type integer",
        ),
        (
            "bad.csv",
            "id,name,born\n1,a,\n\n2,\"multi\nline\",2020-02-31\n",
            400,
            "line 4 (column born): date/time field value out of range",
        ),
        ("bad.csv", "id,name,nope\n1,a,1\n", 400, "Column 'nope' does not exist"),
        ("bad.csv", "id,name\n1,a\n2,\n", 400, "null value in column \"name\""),
        (
            "bad.json",
            "[{\"id\": 1, \"name\": \"a\"},\n {\"id\": \"x\", \"name\": \"b\"}]",
            400,
            "line 2 (column id)",
        ),
        (
            "bad.json",
            "[{\"id\": 1, \"name\": \"a\"},\n {\"id\": 2, \"name\": \"b\", \"extra\": 1}]",
            400,
            "line 2: key 'extra'",
        ),
        (
            "bad.json",
            "[{\"id\": 1, \"name\": \"a\"},\n {\"id\": 2, ",
            400,
            "line 2: unterminated JSON object",
        ),
        ("bad.csv", "", 400, "No records found in file"),
        ("bad.csv", "id,name\n", 400, "No records found in file"),
        ("bad.txt", "id,name\n1,a\n", 400, "Unsupported file type"),
    ];
    for (filename, data, status, message) in cases {
        let (got, body) = import(&server, "people", filename, data).await;
        assert_eq!(got.as_u16(), *status, "{data:?}: {body}");
        assert!(
            body["message"].as_str().unwrap_or_default().contains(message),
            "{data:?}: {body}"
        );
    }
    let (status, body) = import(&server, "nope", "a.csv", "id\n1\n").await;
    assert_eq!(
        (status.as_u16(), body["error"].clone()),
        (404, json!("TABLE_NOT_FOUND")),
        "{body}"
    );
    let (status, body) = upload(&server, &[Part::Text("table", "people")]).await;
    assert_eq!(
        (status.as_u16(), body["message"].clone()),
        (400, json!("File is required"))
    );
    let (status, _) = upload(&server, &[Part::File("a.csv", b"id,name\n1,a\n")]).await;
    assert_eq!(status, 400);
    assert_eq!(
        rows(&server, "SELECT id, name FROM people").await,
        json!([{"id": 100, "name": "kept"}]),
        "nothing written"
    );
}

#[tokio::test]
async fn admin_only_and_injection() {
    let server = TestServer::start().await;
    server.sql(SCHEMA).await;
    let user = hs256(
        server.jwt_secret(),
        &json!({"sub":"u","role":"authenticated","exp":now()+60}),
    );
    for token in [server.anon_key().to_owned(), user] {
        let parts = [Part::Text("table", "people"), Part::File("a.csv", b"id,name\n1,a\n")];
        let (status, body) = upload_as(&server, &token, &parts).await;
        assert!(matches!(status.as_u16(), 401 | 403), "{status} {body}");
        let export = send_raw(
            http()
                .get(server.at("/api/database/tables/people/export"))
                .bearer_auth(&token),
        )
        .await;
        assert!(matches!(export.status.as_u16(), 401 | 403), "{}", export.text);
    }
    let evil_table = "people\"; DROP TABLE people; --";
    let (status, _) = import(&server, evil_table, "a.csv", "id,name\n1,a\n").await;
    assert_eq!(status, 404);
    let (status, body) = import(
        &server,
        "people",
        "a.csv",
        "\"id\"\"); DROP TABLE people; --\",name\n1,a\n",
    )
    .await;
    assert_eq!(status, 400, "{body}");
    let (status, body) = upsert_people(&server, b"id,name\n1,a\n", "id) DO NOTHING; DROP TABLE people; --").await;
    assert_eq!(status, 400, "{body}");
    let (status, body) = import(&server, "people", "a.csv", "id,name\n1,\"'); DROP TABLE people; --\"\n").await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        rows(&server, "SELECT name FROM people").await,
        json!([{"name": "'); DROP TABLE people; --"}]),
        "a value is data"
    );
    let export = send_raw(
        http()
            .get(server.at("/api/database/tables/people%22%3B%20DROP%20TABLE%20people/export"))
            .bearer_auth(server.api_key()),
    )
    .await;
    assert_eq!(export.status, 404);
}

#[tokio::test]
async fn export_round_trip() {
    let server = TestServer::start().await;
    server.sql(SCHEMA).await;
    let csv =
        "id,name,age,tags,note\n1,Ada,36,\"{\"\"a\"\": 1}\",\"line1\nline2, \"\"quoted\"\"\"\n2,Bob,,,tab\there\n";
    let (status, body) = import(&server, "people", "p.csv", csv).await;
    assert_eq!(status, 200, "{body}");
    let get = |format: &str| {
        http()
            .get(server.at(&format!("/api/database/tables/people/export?format={format}")))
            .bearer_auth(server.api_key())
    };
    let exported = send_raw(get("csv")).await;
    assert_eq!(exported.status, 200, "{}", exported.text);
    assert_eq!(exported.header("content-type"), Some("text/csv; charset=utf-8"));
    assert!(
        exported.text.starts_with("id,name,age,born,tags,email,note\n"),
        "{}",
        exported.text
    );
    let (_, json_export) = send(get("json")).await;
    assert_eq!(json_export.as_array().map(Vec::len), Some(2), "{json_export}");
    assert_eq!(json_export[0]["note"], "line1\nline2, \"quoted\"");

    // Round trip: delete, re-import both exports, same rows.
    let before = rows(&server, "SELECT * FROM people ORDER BY id").await;
    server.sql("DELETE FROM people").await;
    let (status, body) = import(&server, "people", "people.csv", &exported.text).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(rows(&server, "SELECT * FROM people ORDER BY id").await, before);
    server.sql("DELETE FROM people").await;
    let (status, body) = import(&server, "people", "people.json", &json_export.to_string()).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(rows(&server, "SELECT * FROM people ORDER BY id").await, before);

    let (_, capped) = send(get("json&limit=1")).await;
    assert_eq!(capped.as_array().map(Vec::len), Some(1));
    let missing = send_raw(
        http()
            .get(server.at("/api/database/tables/nope/export"))
            .bearer_auth(server.api_key()),
    )
    .await;
    assert_eq!(missing.status, 404);
}

fn peak_rss_kib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

#[tokio::test]
async fn a_hundred_thousand_rows() {
    let server = TestServer::start().await;
    server.sql(SCHEMA).await;
    let mut csv = String::from("id,name,age,born,email,note\n");
    for i in 0..100_000 {
        csv.push_str(&format!(
            "{i},name {i},{},2000-01-{:02},user{i}@example.com,\"a note, with a comma\"\n",
            i % 90,
            i % 28 + 1
        ));
    }
    let size = csv.len();
    let rss_before = peak_rss_kib();
    let started = Instant::now();
    let (status, body) = import(&server, "people", "big.csv", &csv).await;
    let elapsed = started.elapsed();
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        (body["rowsAffected"].clone(), body["totalRecords"].clone()),
        (json!(100_000), json!(100_000))
    );
    eprintln!(
        "bulk import: 100,000 rows ({size} bytes) in {elapsed:?}; test process peak RSS {rss_before:?} KiB before, {:?} KiB after",
        peak_rss_kib()
    );
    assert_eq!(
        rows(&server, "SELECT count(*)::int AS n FROM people").await,
        json!([{"n": 100_000}])
    );
    // The same file again as an upsert: every row updated.
    let parts = [
        Part::Text("table", "people"),
        Part::Text("upsertKey", "id"),
        Part::File("big.csv", csv.as_bytes()),
    ];
    let started = Instant::now();
    let (status, body) = upload(&server, &parts).await;
    assert_written(status, &body, 100_000);
    eprintln!("bulk upsert: 100,000 rows updated in {:?}", started.elapsed());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cli_import_and_export() {
    use crate::cli::oxforge;
    let server = TestServer::start().await;
    server.sql(SCHEMA).await;
    let work = tempfile::tempdir().unwrap();
    let dir = work.path();
    let r = oxforge(dir, &["link", "--url", &server.url, "--api-key", server.api_key()]).await;
    assert_eq!(r.code, 0, "{}", r.stderr);
    std::fs::write(dir.join("people.csv"), "id,name,age\n1,Ada,36\n2,Bob,\n").unwrap();
    let r = oxforge(dir, &["db", "import", "people.csv", "--table", "people", "--json"]).await;
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(r.json()["rowsAffected"], 2);
    std::fs::write(dir.join("fix.json"), r#"[{"id": 2, "name": "Bob", "age": 41}]"#).unwrap();
    let r = oxforge(
        dir,
        &["db", "import", "fix.json", "--table", "people", "--upsert-key", "id"],
    )
    .await;
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(r.stdout.contains("1 of 1 record(s) written to people"), "{}", r.stdout);
    // A bad file: the server's message, exit code of a 400, nothing written.
    std::fs::write(dir.join("bad.csv"), "id,name,age\n3,C,x\n").unwrap();
    let r = oxforge(dir, &["db", "import", "bad.csv", "--table", "people"]).await;
    assert_ne!(r.code, 0);
    assert!(r.stderr.contains("line 2 (column age)"), "{}", r.stderr);

    let r = oxforge(dir, &["db", "export", "people", "--format", "csv"]).await;
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(
        r.stdout,
        "id,name,age,born,tags,email,note\n1,Ada,36,,,,\n2,Bob,41,,,,\n"
    );
    let r = oxforge(dir, &["db", "export", "people", "--format", "json", "-o", "out.json"]).await;
    assert_eq!(r.code, 0, "{}", r.stderr);
    let exported: Value = serde_json::from_str(&std::fs::read_to_string(dir.join("out.json")).unwrap()).unwrap();
    assert_eq!(exported[1]["age"], 41);
    let r = oxforge(dir, &["db", "export", "nope"]).await;
    assert_ne!(r.code, 0);
}

#[tokio::test]
async fn the_bulk_limit_is_its_own() {
    // Above the server's `body_limit` (streamed), below its own `bulk_body_limit`: accepted;
    // above `bulk_body_limit`: 413 and nothing written.
    let server = TestServer::start_with(|c| {
        c.http.body_limit = 64 * 1024;
        c.capabilities.database.bulk_body_limit = 512 * 1024;
    })
    .await;
    server.sql(SCHEMA).await;
    let mut csv = String::from("id,name\n");
    let mut i = 0;
    while csv.len() < 200 * 1024 {
        csv.push_str(&format!("{i},a name long enough to fill the file quickly {i}\n"));
        i += 1;
    }
    let (status, body) = import(&server, "people", "a.csv", &csv).await;
    assert_eq!(
        (status.as_u16(), body["totalRecords"].clone()),
        (200, json!(i)),
        "{body}"
    );
    server.sql("DELETE FROM people").await;
    let big = csv.repeat(3);
    let (status, body) = import(&server, "people", "b.csv", &big).await;
    assert_eq!(
        (status.as_u16(), body["error"].clone()),
        (413, json!("PAYLOAD_TOO_LARGE")),
        "{body}"
    );
    assert_eq!(
        rows(&server, "SELECT count(*)::int AS n FROM people").await,
        json!([{"n": 0}])
    );
}
