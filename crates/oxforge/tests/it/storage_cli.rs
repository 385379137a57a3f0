//! `oxforge storage …` against a live server: each command's output, `--json` and exit code;
//! a 5 MiB file up and down byte for byte; errors that name the fix.

use oxforge_testkit::TestServer;
use serde_json::Value;

use crate::cli::oxforge;
use crate::storage_client::pattern;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cli_storage_commands() {
    let server = TestServer::start().await;
    let work = tempfile::tempdir().unwrap();
    let dir = work.path();

    let r = oxforge(dir, &["storage", "buckets", "--json"]).await;
    assert_eq!(r.code, 3, "not linked: {}", r.stderr);
    let r = oxforge(dir, &["link", "--url", &server.url, "--api-key", server.api_key()]).await;
    assert_eq!(r.code, 0, "{}", r.stderr);

    // Buckets.
    let r = oxforge(dir, &["storage", "buckets"]).await;
    assert_eq!((r.code, r.stdout.trim()), (0, "No buckets yet."), "{}", r.stderr);
    let r = oxforge(dir, &["storage", "create-bucket", "docs", "--private"]).await;
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(r.stdout.trim(), "✓ Bucket docs created (private)");
    let r = oxforge(dir, &["storage", "create-bucket", "pics", "--json"]).await;
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(r.json(), serde_json::json!({"bucketName": "pics", "isPublic": true}));
    let r = oxforge(dir, &["storage", "create-bucket", "docs"]).await;
    assert_eq!(r.code, 1);
    assert!(r.stderr.contains("bucket docs already exists"), "{}", r.stderr);
    let r = oxforge(dir, &["storage", "create-bucket", "bad name", "--json"]).await;
    assert_eq!(r.code, 1);
    let err: Value = serde_json::from_str(r.stderr.trim()).unwrap();
    assert_eq!(
        (err["code"].as_str(), err["status"].as_u64()),
        (Some("STORAGE_INVALID_PARAMETER"), Some(400))
    );
    let r = oxforge(dir, &["storage", "create-bucket", "x", "--public", "--private"]).await;
    assert_eq!(r.code, 64, "conflicting flags are a usage error");
    let r = oxforge(dir, &["storage", "buckets"]).await;
    assert!(r.stdout.starts_with("Name  Visibility  Created"), "{}", r.stdout);
    assert!(
        r.stdout.contains("docs  private") && r.stdout.contains("pics  public"),
        "{}",
        r.stdout
    );
    let r = oxforge(dir, &["storage", "buckets", "--json"]).await;
    let listed = r.json();
    let names: Vec<&str> = listed
        .as_array()
        .unwrap()
        .iter()
        .map(|b| b["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["docs", "pics"]);

    // 5 MiB up and down, byte for byte.
    let big = pattern(5 * 1024 * 1024);
    std::fs::write(dir.join("five.bin"), &big).unwrap();
    let r = oxforge(
        dir,
        &[
            "storage",
            "upload",
            "five.bin",
            "--bucket",
            "docs",
            "--key",
            "big/five mb.bin",
            "--json",
        ],
    )
    .await;
    assert_eq!(r.code, 0, "{}", r.stderr);
    let stored = r.json();
    assert_eq!(
        (stored["key"].as_str(), stored["size"].as_u64()),
        (Some("big/five mb.bin"), Some(big.len() as u64))
    );
    let r = oxforge(
        dir,
        &[
            "storage",
            "download",
            "big/five mb.bin",
            "--bucket",
            "docs",
            "--output",
            "back.bin",
        ],
    )
    .await;
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(
        r.stdout.contains("✓ Downloaded docs/big/five mb.bin to") && r.stdout.contains("(5.00 MiB)"),
        "{}",
        r.stdout
    );
    assert!(std::fs::read(dir.join("back.bin")).unwrap() == big, "byte-identical");
    assert!(!dir.join(".back.bin.part").exists());
    // Default name: the key's last segment; --json.
    let r = oxforge(
        dir,
        &["storage", "download", "big/five mb.bin", "--bucket", "docs", "--json"],
    )
    .await;
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(r.json()["size"].as_u64(), Some(big.len() as u64));
    assert!(std::fs::read(dir.join("five mb.bin")).unwrap() == big);

    // Small files, plain lines, key from the file name, a declared type.
    std::fs::write(dir.join("note.txt"), "hello").unwrap();
    let r = oxforge(dir, &["storage", "upload", "note.txt", "--bucket", "docs"]).await;
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(r.stdout.trim(), "✓ Uploaded note.txt to docs/note.txt (5 B)");
    let r = oxforge(
        dir,
        &[
            "storage",
            "upload",
            "note.txt",
            "--bucket",
            "docs",
            "--key",
            "ünï/c d.txt",
            "--content-type",
            "text/plain",
        ],
    )
    .await;
    assert_eq!(r.code, 0, "{}", r.stderr);
    let r = oxforge(
        dir,
        &["storage", "download", "ünï/c d.txt", "--bucket", "docs", "-o", "-"],
    )
    .await;
    assert_eq!((r.code, r.stdout.as_str()), (0, "hello"), "{}", r.stderr);

    // Lists: table, paging hint, prefix, search, the `ls` alias, --json.
    let r = oxforge(dir, &["storage", "list-objects", "docs"]).await;
    assert_eq!(r.code, 0, "{}", r.stderr);
    let lines: Vec<&str> = r.stdout.lines().collect();
    assert!(lines[0].starts_with("Key"), "{}", r.stdout);
    assert!(
        lines[1].starts_with("big/five mb.bin") && lines[1].contains("5.00 MiB"),
        "{}",
        r.stdout
    );
    assert!(
        lines[2].starts_with("note.txt") && lines[2].contains("5 B"),
        "{}",
        r.stdout
    );
    assert_eq!(lines.last().copied(), Some("1–3 of 3"));
    let r = oxforge(dir, &["storage", "ls", "docs", "--limit", "1", "--offset", "1"]).await;
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(r.stdout.contains("note.txt"), "{}", r.stdout);
    assert!(r.stdout.contains("2–2 of 3; next: --offset 2"), "{}", r.stdout);
    let r = oxforge(dir, &["storage", "ls", "docs", "--prefix", "big/", "--json"]).await;
    let page = r.json();
    assert_eq!(page["pagination"]["total"], 1);
    assert_eq!(page["data"][0]["key"], "big/five mb.bin");
    let r = oxforge(dir, &["storage", "ls", "docs", "--search", "c d", "--json"]).await;
    assert_eq!(r.json()["data"][0]["key"], "ünï/c d.txt");
    // --sort orders the page: largest first, then smallest first.
    let keys = |r: &crate::cli::Run| -> Vec<String> {
        r.json()["data"]
            .as_array()
            .unwrap()
            .iter()
            .map(|o| o["key"].as_str().unwrap().to_owned())
            .collect()
    };
    let r = oxforge(dir, &["storage", "ls", "docs", "--sort", "-size", "--json"]).await;
    assert_eq!(r.code, 0, "{}", r.stderr);
    let largest_first = keys(&r);
    assert_eq!(largest_first[0], "big/five mb.bin", "{largest_first:?}");
    let r = oxforge(dir, &["storage", "ls", "docs", "--sort", "size", "--json"]).await;
    let mut smallest_first = keys(&r);
    smallest_first.reverse();
    assert_eq!(smallest_first, largest_first);
    let r = oxforge(dir, &["storage", "ls", "docs", "--sort", "colour"]).await;
    assert_eq!(r.code, 64, "an unknown order is a usage error");
    let r = oxforge(dir, &["storage", "ls", "pics"]).await;
    assert_eq!((r.code, r.stdout.trim()), (0, "No objects."));

    // Errors that say what to do, with the not-found exit code.
    // A large file too: a server refusing a body midway closes the connection, so the missing
    // bucket must be found before the bytes go out.
    for file in ["note.txt", "five.bin"] {
        let r = oxforge(dir, &["storage", "upload", file, "--bucket", "nope"]).await;
        assert_eq!(r.code, 4, "{file}: {}", r.stderr);
        assert!(
            r.stderr.contains("bucket nope does not exist")
                && r.stderr.contains("Create it with `oxforge storage create-bucket nope`"),
            "{file}: {}",
            r.stderr
        );
    }
    let r = oxforge(dir, &["storage", "ls", "nope", "--json"]).await;
    assert_eq!(r.code, 4, "{}", r.stderr);
    let err: Value = serde_json::from_str(r.stderr.trim()).unwrap();
    assert_eq!(err["code"], "STORAGE_NOT_FOUND");
    assert!(
        err["nextActions"]
            .as_str()
            .unwrap()
            .contains("oxforge storage create-bucket nope"),
        "{err}"
    );
    let r = oxforge(dir, &["storage", "download", "k", "--bucket", "nope"]).await;
    assert_eq!(r.code, 4);
    assert!(r.stderr.contains("bucket nope does not exist"), "{}", r.stderr);
    let r = oxforge(dir, &["storage", "download", "missing.txt", "--bucket", "docs"]).await;
    assert_eq!(r.code, 4);
    assert!(
        r.stderr.contains("no object \"missing.txt\" in bucket docs") && r.stderr.contains("oxforge storage ls docs"),
        "{}",
        r.stderr
    );
    assert!(!dir.join("missing.txt").exists());
    let r = oxforge(dir, &["storage", "upload", "absent.bin", "--bucket", "docs"]).await;
    assert_eq!(r.code, 1);
    assert!(r.stderr.contains("absent.bin"), "{}", r.stderr);

    // Over the server's upload cap: said before sending, with the fix.
    let (status, _) = crate::support::send(
        oxforge_testkit::http()
            .put(server.at("/api/storage/config"))
            .bearer_auth(server.api_key())
            .json(&serde_json::json!({"maxFileSizeMb": 1})),
    )
    .await;
    assert_eq!(status, 200);
    let r = oxforge(
        dir,
        &[
            "storage", "upload", "five.bin", "--bucket", "docs", "--key", "k", "--json",
        ],
    )
    .await;
    assert_eq!(r.code, 1, "{}", r.stderr);
    let err: Value = serde_json::from_str(r.stderr.trim()).unwrap();
    assert_eq!(err["code"], "FILE_TOO_LARGE");
    assert!(
        err["error"]
            .as_str()
            .unwrap()
            .contains("five.bin is 5.00 MiB, over the server's upload limit of 1 MB"),
        "{err}"
    );
    assert!(err["nextActions"].as_str().unwrap().contains("maxFileSizeMb"), "{err}");

    // Remove: many, with one missing (exit 4, the rest removed), then --json.
    let r = oxforge(dir, &["storage", "rm", "note.txt", "gone.txt", "--bucket", "docs"]).await;
    assert_eq!(r.code, 4, "{}", r.stderr);
    assert_eq!(r.stdout.trim(), "✓ Removed docs/note.txt");
    assert!(r.stderr.contains("not found in bucket docs: gone.txt"), "{}", r.stderr);
    let r = oxforge(dir, &["storage", "rm", "ünï/c d.txt", "--bucket", "docs", "--json"]).await;
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(r.json()["results"][0]["status"], "deleted");
    let r = oxforge(dir, &["storage", "ls", "docs", "--json"]).await;
    assert_eq!(r.json()["pagination"]["total"], 1);

    // Delete a bucket: asks first (no terminal: refused), -y deletes.
    let r = oxforge(dir, &["storage", "delete-bucket", "docs"]).await;
    assert_eq!(r.code, 1);
    assert!(r.stderr.contains("pass -y"), "{}", r.stderr);
    let r = oxforge(dir, &["storage", "delete-bucket", "docs", "-y"]).await;
    assert_eq!((r.code, r.stdout.trim()), (0, "✓ Bucket docs deleted"), "{}", r.stderr);
    let r = oxforge(dir, &["storage", "delete-bucket", "docs", "-y"]).await;
    assert_eq!(r.code, 4, "{}", r.stderr);
    assert!(r.stderr.contains("bucket docs does not exist"), "{}", r.stderr);
}

/// `storage s3-keys`: a key created, its printed settings used by the AWS CLI as they are, then
/// deleted.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cli_storage_s3_keys() {
    let server = TestServer::start().await;
    let work = tempfile::tempdir().unwrap();
    let dir = work.path();
    let r = oxforge(dir, &["link", "--url", &server.url, "--api-key", server.api_key()]).await;
    assert_eq!(r.code, 0, "{}", r.stderr);
    let r = oxforge(dir, &["storage", "s3-keys", "list"]).await;
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(r.stdout.contains("No S3 access keys yet"), "{}", r.stdout);

    let r = oxforge(dir, &["storage", "s3-keys", "create", "--description", "backups"]).await;
    assert_eq!(r.code, 0, "{}", r.stderr);
    let printed = |name: &str| {
        r.stdout
            .lines()
            .find_map(|l| l.trim().strip_prefix(&format!("{name}=")).map(str::to_owned))
            .unwrap_or_else(|| panic!("{name} not printed: {}", r.stdout))
    };
    let (id, secret, region) = (
        printed("AWS_ACCESS_KEY_ID"),
        printed("AWS_SECRET_ACCESS_KEY"),
        printed("AWS_REGION"),
    );
    assert!(id.starts_with("INSF") && secret.len() == 40, "{}", r.stdout);
    let endpoint = format!("{}/storage/v1/s3", server.url);
    let command = format!("aws --endpoint-url {endpoint} --region {region} s3 ls");
    assert!(r.stdout.contains(&command), "{}", r.stdout);

    // What was printed works as it is (the AWS CLI v1 reads no AWS_REGION: the command names it).
    let mut args: Vec<&str> = command.split(' ').skip(1).collect();
    args.pop();
    args.extend(["mb", "s3://made-by-aws"]);
    let aws = tokio::process::Command::new("aws")
        .args(&args)
        .env("AWS_ACCESS_KEY_ID", &id)
        .env("AWS_SECRET_ACCESS_KEY", &secret)
        .env_remove("AWS_REGION")
        .env_remove("AWS_DEFAULT_REGION")
        .env("AWS_CONFIG_FILE", dir.join("none"))
        .env("AWS_SHARED_CREDENTIALS_FILE", dir.join("none"))
        .output()
        .await
        .expect("the AWS CLI (aws) runs");
    assert!(aws.status.success(), "{}", String::from_utf8_lossy(&aws.stderr));
    let r = oxforge(dir, &["storage", "buckets"]).await;
    assert!(r.stdout.contains("made-by-aws  private"), "{}", r.stdout);

    let r = oxforge(dir, &["storage", "s3-keys", "list", "--json"]).await;
    let listed = r.json();
    assert_eq!(listed[0]["accessKeyId"], id.as_str());
    assert_eq!(listed[0]["description"], "backups");
    assert!(listed[0].get("secretAccessKey").is_none());
    let r = oxforge(dir, &["storage", "s3-keys", "delete", &id, "-y"]).await;
    assert_eq!(r.code, 0, "{}", r.stderr);
    let r = oxforge(dir, &["storage", "s3-keys", "delete", &id, "-y"]).await;
    assert_ne!(r.code, 0);
    assert!(r.stderr.contains("not found"), "{}", r.stderr);
    server.stop().await;
}
