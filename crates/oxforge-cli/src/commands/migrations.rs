//! `db migrations new|up|list|fetch|status`, with InsForge's file rules:
//! `migrations/<1–64 digits>_<kebab-name>.sql`, versions compared as numbers.

use std::cmp::Ordering;
use std::path::{Path, PathBuf};

use clap::Subcommand;
use serde_json::{Value, json};

use super::client;
use crate::client::Client;
use crate::output::cell;
use crate::{CliError, Output};

#[derive(Subcommand)]
pub enum MigrationsCommand {
    /// Create an empty migration file, versioned after every known one.
    New {
        /// A kebab-case name, e.g. create-todos
        name: String,
    },
    /// Apply pending migrations: the next one (<target>), up to --to, or --all. Not atomic across files.
    Up {
        /// Apply this migration (its version or file name), which must be the next pending one
        target: Option<String>,
        /// Apply pending migrations up to this version or file name
        #[arg(long)]
        to: Option<String>,
        /// Apply every pending migration
        #[arg(long)]
        all: bool,
        /// Check each pending file on the server (then roll back) and show its risk level.
        #[arg(long)]
        dry_run: bool,
    },
    /// Migrations applied on the server.
    List,
    /// Write applied migrations missing locally as files.
    Fetch,
    /// Local files against the server: applied, pending, unknown locally.
    Status,
}

#[derive(Debug, Clone)]
struct LocalMigration {
    version: String,
    name: String,
    path: PathBuf,
}

fn dir_of(root: &Path) -> PathBuf {
    root.join("migrations")
}

/// `0001` and `1` are the same version.
fn canonical(version: &str) -> &str {
    let trimmed = version.trim_start_matches('0');
    if trimmed.is_empty() { "0" } else { trimmed }
}

fn compare(a: &str, b: &str) -> Ordering {
    let (a, b) = (canonical(a), canonical(b));
    a.len().cmp(&b.len()).then_with(|| a.cmp(b))
}

fn parse_file_name(name: &str) -> Option<(String, String)> {
    let stem = name.strip_suffix(".sql")?;
    let (version, rest) = stem.split_once('_')?;
    let ok_version = !version.is_empty() && version.len() <= 64 && version.bytes().all(|b| b.is_ascii_digit());
    let ok_name = !rest.is_empty()
        && rest
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
    (ok_version && ok_name).then(|| (version.to_owned(), rest.to_owned()))
}

fn local(root: &Path) -> Result<Vec<LocalMigration>, CliError> {
    let dir = dir_of(root);
    let mut found = Vec::new();
    let entries = match std::fs::read_dir(&dir) {
        Ok(e) => e,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(found),
        Err(e) => return Err(e.into()),
    };
    for entry in entries {
        let entry = entry?;
        let file_name = entry.file_name().to_string_lossy().into_owned();
        if !file_name.ends_with(".sql") {
            continue;
        }
        let (version, name) = parse_file_name(&file_name)
            .ok_or_else(|| CliError::general(format!("migrations/{file_name}: expected <digits>_<kebab-name>.sql")))?;
        if found
            .iter()
            .any(|m: &LocalMigration| compare(&m.version, &version) == Ordering::Equal)
        {
            return Err(CliError::general(format!(
                "two local migrations have version {version}"
            )));
        }
        found.push(LocalMigration {
            version,
            name,
            path: entry.path(),
        });
    }
    found.sort_by(|a, b| compare(&a.version, &b.version));
    Ok(found)
}

async fn remote(api: &Client) -> Result<Vec<Value>, CliError> {
    Ok(api.get("/api/database/migrations").await?["migrations"]
        .as_array()
        .cloned()
        .unwrap_or_default())
}

fn latest_remote(remote: &[Value]) -> Option<String> {
    remote
        .iter()
        .filter_map(|m| m["version"].as_str())
        .max_by(|a, b| compare(a, b))
        .map(str::to_owned)
}

/// A new version: now (UTC `YYYYMMDDHHmmss`), or one past the latest known version if later.
fn next_version(known_latest: Option<&str>) -> String {
    let now = chrono::Utc::now().format("%Y%m%d%H%M%S").to_string();
    match known_latest {
        Some(latest) if compare(latest, &now) != Ordering::Less => increment(canonical(latest)),
        _ => now,
    }
}

fn increment(digits: &str) -> String {
    let mut bytes: Vec<u8> = digits.bytes().collect();
    for b in bytes.iter_mut().rev() {
        if *b == b'9' {
            *b = b'0';
        } else {
            *b += 1;
            return String::from_utf8(bytes).unwrap_or_default();
        }
    }
    format!("1{}", String::from_utf8(bytes).unwrap_or_default())
}

/// What `migrations new` writes: comments only, so an untouched file is refused, not applied.
fn template(version: &str, name: &str) -> String {
    format!(
        "-- Migration {version}_{name}\n\
         -- Write SQL statements below, each ending with `;`. `oxforge db migrations up` applies the\n\
         -- file in one transaction, as project_admin. Not allowed (as in InsForge): BEGIN/COMMIT,\n\
         -- SET ROLE, search_path changes, CREATE/DROP DATABASE.\n\
         -- Check it first: `oxforge db migrations up --all --dry-run` (risk level; nothing is kept).\n\
         --\n\
         -- For example:\n\
         --   create table public.notes (\n\
         --     id bigint generated always as identity primary key,\n\
         --     user_id uuid not null default auth.uid(),\n\
         --     body text not null\n\
         --   );\n\
         --   alter table public.notes enable row level security;\n\
         --   create policy \"Users manage own notes\" on public.notes for all to authenticated\n\
         --     using (user_id = auth.uid()) with check (user_id = auth.uid());\n\n"
    )
}

/// Only blank lines and `--` comments: nothing to run.
fn has_no_sql(sql: &str) -> bool {
    sql.lines().all(|l| {
        let l = l.trim();
        l.is_empty() || l.starts_with("--")
    })
}

pub async fn run(cmd: MigrationsCommand, out: Output, root: &Path) -> Result<(), CliError> {
    let api = client(root)?;
    match cmd {
        MigrationsCommand::New { name } => {
            if name.is_empty()
                || !name
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
            {
                return Err(CliError::usage("the name must be kebab-case (a-z, 0-9, -)"));
            }
            let files = local(root)?;
            let remote = remote(&api).await?;
            let latest = files
                .iter()
                .map(|m| m.version.clone())
                .chain(latest_remote(&remote))
                .max_by(|a, b| compare(a, b));
            let version = next_version(latest.as_deref());
            std::fs::create_dir_all(dir_of(root))?;
            let path = dir_of(root).join(format!("{version}_{name}.sql"));
            let mut file = std::fs::OpenOptions::new().write(true).create_new(true).open(&path)?;
            std::io::Write::write_all(&mut file, template(&version, &name).as_bytes())?;
            out.success(&format!("Created migrations/{version}_{name}.sql"));
            out.json_value(&json!({ "filename": format!("{version}_{name}.sql"), "path": path, "version": version }));
        }
        MigrationsCommand::List => {
            let remote = remote(&api).await?;
            let rows: Vec<Vec<String>> = remote
                .iter()
                .map(|m| vec![cell(&m["version"]), cell(&m["name"]), cell(&m["createdAt"])])
                .collect();
            out.table(&["Version", "Name", "Created At"], &rows, "No migrations applied.");
            out.json_value(&json!({ "migrations": remote }));
        }
        MigrationsCommand::Fetch => {
            let remote = remote(&api).await?;
            let files = local(root)?;
            std::fs::create_dir_all(dir_of(root))?;
            let (mut created, mut skipped) = (Vec::new(), Vec::new());
            for m in &remote {
                let (version, name) = (cell(&m["version"]), cell(&m["name"]));
                let file_name = format!("{version}_{name}.sql");
                if files.iter().any(|f| compare(&f.version, &version) == Ordering::Equal) {
                    skipped.push(file_name);
                    continue;
                }
                let statements: Vec<String> = m["statements"]
                    .as_array()
                    .map(|s| s.iter().map(cell).collect())
                    .unwrap_or_default();
                std::fs::write(
                    dir_of(root).join(&file_name),
                    format!("{};\n", statements.join(";\n\n")),
                )?;
                out.success(&format!("Wrote migrations/{file_name}"));
                created.push(file_name);
            }
            out.json_value(&json!({ "directory": dir_of(root), "totalRemoteMigrations": remote.len(), "createdFiles": created, "skippedFiles": skipped }));
        }
        MigrationsCommand::Status => {
            let remote = remote(&api).await?;
            let head = latest_remote(&remote);
            let files = local(root)?;
            let mut rows = Vec::new();
            let mut report = Vec::new();
            for f in &files {
                let applied = remote.iter().any(|m| {
                    m["version"]
                        .as_str()
                        .is_some_and(|v| compare(v, &f.version) == Ordering::Equal)
                });
                let state = if applied {
                    "applied"
                } else if head
                    .as_deref()
                    .is_some_and(|h| compare(&f.version, h) != Ordering::Greater)
                {
                    "older-than-head"
                } else {
                    "pending"
                };
                rows.push(vec![f.version.clone(), f.name.clone(), state.to_owned()]);
                report.push(json!({ "version": f.version, "name": f.name, "state": state }));
            }
            for m in &remote {
                let version = cell(&m["version"]);
                if !files.iter().any(|f| compare(&f.version, &version) == Ordering::Equal) {
                    rows.push(vec![version.clone(), cell(&m["name"]), "missing-locally".into()]);
                    report.push(json!({ "version": version, "name": m["name"], "state": "missing-locally" }));
                }
            }
            out.table(&["Version", "Name", "State"], &rows, "No migrations, local or remote.");
            out.json_value(&json!({ "migrations": report }));
        }
        MigrationsCommand::Up {
            target,
            to,
            all,
            dry_run,
        } => {
            if [target.is_some(), to.is_some(), all].iter().filter(|x| **x).count() != 1 {
                return Err(CliError::usage("give exactly one of <target>, --to <version> or --all"));
            }
            let remote = remote(&api).await?;
            let head = latest_remote(&remote);
            let files = local(root)?;
            let newer = |v: &str| head.as_deref().is_none_or(|h| compare(v, h) == Ordering::Greater);
            // A file written before someone else's newer migration reached the server: `up`
            // would skip it for ever without a word.
            for f in files.iter().filter(|f| !newer(&f.version)) {
                let on_server = remote.iter().any(|m| {
                    m["version"]
                        .as_str()
                        .is_some_and(|v| compare(v, &f.version) == Ordering::Equal)
                });
                if !on_server {
                    eprintln!(
                        "warning: {} is older than the server's latest migration {} and was never applied; \
                         it will not be. Move its SQL into a new file (oxforge db migrations new <name>) to apply it",
                        f.path.display(),
                        head.as_deref().unwrap_or_default()
                    );
                }
            }
            let pending: Vec<&LocalMigration> = files.iter().filter(|f| newer(&f.version)).collect();
            let matches = |f: &LocalMigration, t: &str| {
                let t = t.trim_start_matches("migrations/");
                compare(&f.version, t) == Ordering::Equal
                    || f.path.file_name().is_some_and(|n| n.to_string_lossy() == t)
            };
            let chosen: Vec<&LocalMigration> = if all {
                pending
            } else if let Some(to) = &to {
                let end = files
                    .iter()
                    .find(|f| matches(f, to))
                    .ok_or_else(|| CliError::general(format!("no local migration {to}")))?;
                pending
                    .into_iter()
                    .filter(|f| compare(&f.version, &end.version) != Ordering::Greater)
                    .collect()
            } else {
                let t = target.unwrap_or_default();
                let file = files
                    .iter()
                    .find(|f| matches(f, &t))
                    .ok_or_else(|| CliError::general(format!("no local migration {t}")))?;
                if !newer(&file.version) {
                    return Err(CliError::general(format!(
                        "{} is not newer than the server's latest migration {}: rename it with a newer timestamp, or delete it locally",
                        file.version,
                        head.unwrap_or_default()
                    )));
                }
                if pending.first().is_some_and(|p| p.version != file.version) {
                    return Err(CliError::general(format!(
                        "{} is not the next pending migration",
                        file.version
                    )));
                }
                vec![file]
            };
            let mut applied = Vec::new();
            let mut failed = 0;
            for m in chosen {
                let sql = std::fs::read_to_string(&m.path)?;
                if has_no_sql(&sql) {
                    return Err(CliError::general(format!(
                        "{} has no SQL yet (only comments): write the migration's statements into it",
                        m.path.display()
                    )));
                }
                let check = api
                    .post("/api/database/migrations/dry-run", &json!({ "sql": sql }))
                    .await?;
                let valid = check["valid"] == true;
                if dry_run {
                    // A file that fails has no risk level worth showing: it would not apply at all.
                    if valid {
                        out.info(&format!(
                            "✓ {}_{}: risk {}",
                            m.version,
                            m.name,
                            cell(&check["riskLevel"])
                        ));
                        print_risk_factors(out, &check);
                    } else {
                        failed += 1;
                        out.info(&format!(
                            "✗ {}_{}: fails — {}",
                            m.version,
                            m.name,
                            cell(&check["error"])
                        ));
                    }
                    applied.push(json!({ "version": m.version, "name": m.name, "valid": valid, "riskLevel": if valid { check["riskLevel"].clone() } else { Value::Null }, "error": check["error"] }));
                    continue;
                }
                if valid && check["riskLevel"] == "DANGER" {
                    out.info(&format!("! {}_{} is rated DANGER:", m.version, m.name));
                    print_risk_factors(out, &check);
                    if !out.confirm(&format!("Apply {}_{}?", m.version, m.name))? {
                        return Err(CliError::general(format!("{}_{} not applied", m.version, m.name)));
                    }
                }
                let body = out
                    .spin(
                        &format!("Applying {}_{}", m.version, m.name),
                        api.post(
                            "/api/database/migrations",
                            &json!({ "version": m.version, "name": m.name, "sql": sql }),
                        ),
                    )
                    .await?;
                if body["version"]
                    .as_str()
                    .is_none_or(|v| compare(v, &m.version) != Ordering::Equal)
                {
                    return Err(CliError::general(format!(
                        "the server applied {} instead of {}",
                        cell(&body["version"]),
                        m.version
                    )));
                }
                out.success(&format!("Applied {}_{}", m.version, m.name));
                applied.push(json!({ "version": m.version, "name": m.name }));
            }
            if applied.is_empty() {
                out.info("Nothing to apply.");
            }
            let key = if dry_run {
                "checkedMigrations"
            } else {
                "appliedMigrations"
            };
            out.json_value(&json!({ key: applied }));
            if failed > 0 {
                return Err(CliError::general(format!(
                    "{failed} of {} migration(s) would fail (each is checked alone, against the server as it is now)",
                    applied.len()
                ))
                .with_code("DRY_RUN_FAILED", crate::error::exit::GENERAL));
            }
        }
    }
    Ok(())
}

fn print_risk_factors(out: Output, check: &Value) {
    for factor in check["riskFactors"].as_array().into_iter().flatten() {
        out.info(&format!("    {}: {}", cell(&factor["level"]), cell(&factor["reason"])));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_compare_as_numbers() {
        assert_eq!(compare("0001", "1"), Ordering::Equal);
        assert_eq!(compare("9", "10"), Ordering::Less);
        assert_eq!(compare("20260101000000", "20251231235959"), Ordering::Greater);
        assert_eq!(increment("199"), "200");
        assert_eq!(increment("99"), "100");
        assert_eq!(next_version(Some("99999999999999")), "100000000000000");
        assert_eq!(next_version(None).len(), 14);
    }

    #[test]
    fn the_template_is_only_comments() {
        let t = template("1", "create-notes");
        assert!(t.starts_with("-- Migration 1_create-notes"));
        assert!(has_no_sql(&t) && has_no_sql("") && !has_no_sql("-- x\nselect 1;"));
    }

    #[test]
    fn file_names() {
        assert_eq!(
            parse_file_name("20260101000000_create-todos.sql"),
            Some(("20260101000000".into(), "create-todos".into()))
        );
        assert_eq!(parse_file_name("0001_init.sql"), Some(("0001".into(), "init".into())));
        for bad in ["init.sql", "x1_init.sql", "1_Init.sql", "1_.sql", "1_a_b.sql"] {
            assert_eq!(parse_file_name(bad), None, "{bad}");
        }
    }
}
