//! Property test for Row Level Security: many users send random creates, reads, updates,
//! deletes, upserts, embeds and RPC calls — aimed as often at other users' rows as at their own —
//! against the "Auth0 + InsForge" guide's tables. A model of who owns what predicts every answer.
//! Invariants: no user ever reads or changes another user's row; anon never writes.

use std::collections::BTreeMap;

use oxforge_testkit::{TestServer, hs256, now};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use reqwest::Method;
use serde_json::{Value, json};

use crate::support::{AUTH0_GUIDE_SQL, Data, send_raw};

const USERS: usize = 8;
const OPERATIONS: usize = 600;

/// Tags on todos (embedding), and an RPC that counts what the caller can see.
const EXTRA_SQL: &str = "
create table public.tags (
  id serial primary key,
  todo_id uuid not null references public.todos(id) on delete cascade,
  user_id text not null default requesting_user_id(),
  label text not null
);
alter table public.tags enable row level security;
create policy own_tags on public.tags for all to authenticated
  using (user_id = requesting_user_id()) with check (user_id = requesting_user_id());
create function public.my_todo_count() returns bigint language sql stable
  as 'select count(*) from public.todos';
";

#[derive(Debug, Clone)]
struct Todo {
    owner: usize,
    title: String,
    tags: Vec<String>,
}

fn ids(v: &Value) -> Vec<String> {
    let mut ids: Vec<String> = v
        .as_array()
        .unwrap_or_else(|| panic!("not an array: {v}"))
        .iter()
        .map(|r| r["id"].as_str().unwrap().to_owned())
        .collect();
    ids.sort();
    ids
}

fn owned_by(model: &BTreeMap<String, Todo>, user: usize) -> Vec<String> {
    model
        .iter()
        .filter(|(_, t)| t.owner == user)
        .map(|(id, _)| id.clone())
        .collect()
}

#[tokio::test]
async fn no_user_reads_or_changes_another_users_rows() {
    let server = TestServer::start().await;
    server.sql(AUTH0_GUIDE_SQL).await;
    server.sql(EXTRA_SQL).await;
    let subs: Vec<String> = (0..USERS).map(|i| format!("auth0|user{i}")).collect();
    let users: Vec<Data> = subs
        .iter()
        .map(|sub| {
            let token = hs256(
                server.jwt_secret(),
                &json!({"sub": sub, "role": "authenticated", "aud": "insforge-api", "exp": now() + 3600}),
            );
            Data::new(&server, &token)
        })
        .collect();
    let anon = Data::new(&server, server.anon_key());
    let seed: u64 = std::env::var("RLS_LEAK_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| rand::rng().random());
    eprintln!("rls leak test: seed {seed} (RLS_LEAK_SEED={seed} replays it)");
    let mut rng = StdRng::seed_from_u64(seed);
    let mut model: BTreeMap<String, Todo> = BTreeMap::new();
    let mut counts = BTreeMap::<&str, usize>::new();

    for step in 0..OPERATIONS {
        let u = rng.random_range(0..USERS);
        let me = &users[u];
        // Half the targeted operations aim at any row (usually someone else's).
        let target = if model.is_empty() {
            None
        } else {
            let i = rng.random_range(0..model.len());
            model.keys().nth(i).cloned()
        };
        let op = if model.is_empty() { 0 } else { rng.random_range(0..9) };
        let ctx = format!("step {step} (seed {seed}), user {u}");
        match op {
            0 => {
                let title = format!("t{step}");
                let raw = send_raw(
                    me.post("todos?select=id,user_id", json!({"title": title}))
                        .header("Prefer", "return=representation"),
                )
                .await;
                assert_eq!(raw.status, 201, "{ctx}: create {}", raw.text);
                let row = &raw.json()[0];
                assert_eq!(row["user_id"], subs[u].as_str(), "{ctx}");
                let id = row["id"].as_str().unwrap().to_owned();
                model.insert(
                    id,
                    Todo {
                        owner: u,
                        title,
                        tags: Vec::new(),
                    },
                );
                *counts.entry("create").or_default() += 1;
            }
            1 => {
                let raw = send_raw(me.get("todos?select=id,user_id,title")).await;
                assert_eq!(raw.status, 200, "{ctx}");
                assert_eq!(
                    ids(&raw.json()),
                    owned_by(&model, u),
                    "{ctx}: read sees exactly own rows"
                );
                *counts.entry("read").or_default() += 1;
            }
            2 => {
                let id = target.unwrap();
                let title = format!("u{step}");
                let raw = send_raw(
                    me.patch(&format!("todos?id=eq.{id}&select=id"), json!({"title": title}))
                        .header("Prefer", "return=representation"),
                )
                .await;
                assert_eq!(raw.status, 200, "{ctx}: update {}", raw.text);
                let todo = model.get_mut(&id).unwrap();
                if todo.owner == u {
                    assert_eq!(ids(&raw.json()), std::slice::from_ref(&id), "{ctx}");
                    todo.title = title;
                } else {
                    assert_eq!(raw.json(), json!([]), "{ctx}: updated another user's row");
                }
                *counts.entry("update").or_default() += 1;
            }
            3 => {
                let id = target.unwrap();
                let raw = send_raw(
                    me.delete(&format!("todos?id=eq.{id}&select=id"))
                        .header("Prefer", "return=representation"),
                )
                .await;
                assert_eq!(raw.status, 200, "{ctx}: delete {}", raw.text);
                if model[&id].owner == u {
                    assert_eq!(ids(&raw.json()), std::slice::from_ref(&id), "{ctx}");
                    model.remove(&id);
                } else {
                    assert_eq!(raw.json(), json!([]), "{ctx}: deleted another user's row");
                }
                *counts.entry("delete").or_default() += 1;
            }
            4 => {
                // Upsert onto an existing id, possibly another user's, even claiming their user_id.
                let id = target.unwrap();
                let owner = model[&id].owner;
                let claimed = if rng.random_bool(0.5) { &subs[owner] } else { &subs[u] };
                let title = format!("x{step}");
                let raw = send_raw(
                    me.post("todos?select=id", json!({"id": id, "title": title, "user_id": claimed}))
                        .header("Prefer", "return=representation,resolution=merge-duplicates"),
                )
                .await;
                if owner == u && claimed == &subs[u] {
                    assert!(raw.status.is_success(), "{ctx}: own upsert {}", raw.text);
                    model.get_mut(&id).unwrap().title = title;
                } else {
                    assert!(
                        raw.status.is_client_error(),
                        "{ctx}: upsert over another user's row answered {} {}",
                        raw.status,
                        raw.text
                    );
                }
                *counts.entry("upsert").or_default() += 1;
            }
            5 => {
                let id = target.unwrap();
                let label = format!("l{step}");
                let raw = send_raw(me.post("tags", json!({"todo_id": id, "label": label}))).await;
                assert_eq!(raw.status, 201, "{ctx}: tag {}", raw.text);
                // The foreign key may point at an invisible row (PostgreSQL checks it without RLS);
                // the tag itself belongs to the tagger and stays invisible to the todo's owner.
                model.get_mut(&id).unwrap().tags.push(format!("{u}:{label}"));
                *counts.entry("tag").or_default() += 1;
            }
            6 => {
                let raw = send_raw(me.get("todos?select=id,title,tags(label,user_id)")).await;
                assert_eq!(raw.status, 200, "{ctx}: embed {}", raw.text);
                let body = raw.json();
                assert_eq!(ids(&body), owned_by(&model, u), "{ctx}");
                for row in body.as_array().unwrap() {
                    let todo = &model[row["id"].as_str().unwrap()];
                    assert_eq!(row["title"], todo.title.as_str(), "{ctx}");
                    let mut seen: Vec<String> = row["tags"]
                        .as_array()
                        .unwrap()
                        .iter()
                        .map(|t| {
                            assert_eq!(t["user_id"], subs[u].as_str(), "{ctx}: embedded another user's tag");
                            format!("{u}:{}", t["label"].as_str().unwrap())
                        })
                        .collect();
                    let mut expected: Vec<String> = todo
                        .tags
                        .iter()
                        .filter(|t| t.starts_with(&format!("{u}:")))
                        .cloned()
                        .collect();
                    seen.sort();
                    expected.sort();
                    assert_eq!(seen, expected, "{ctx}");
                }
                *counts.entry("embed").or_default() += 1;
            }
            7 => {
                let raw = send_raw(me.rpc(Method::POST, "my_todo_count").json(&json!({}))).await;
                assert_eq!(raw.status, 200, "{ctx}: rpc {}", raw.text);
                assert_eq!(raw.json(), json!(owned_by(&model, u).len()), "{ctx}");
                *counts.entry("rpc").or_default() += 1;
            }
            _ => {
                let id = target.unwrap();
                let attempts = [
                    anon.post("todos", json!({"title": "anon", "user_id": subs[u]})),
                    anon.patch(&format!("todos?id=eq.{id}"), json!({"title": "anon"})),
                    anon.delete(&format!("todos?id=eq.{id}")),
                ];
                for attempt in attempts {
                    let raw = send_raw(attempt).await;
                    // A write either is refused or touches nothing (no policy grants anon a row).
                    assert!(
                        raw.status == 401 || raw.status == 204 || raw.status == 403,
                        "{ctx}: anon write answered {} {}",
                        raw.status,
                        raw.text
                    );
                }
                assert_eq!(send_raw(anon.get("todos")).await.json(), json!([]), "{ctx}");
                *counts.entry("anon").or_default() += 1;
            }
        }
    }

    // The whole table, read with the API key, is exactly the model: nothing changed behind it.
    let admin = Data::new(&server, server.api_key());
    let all = send_raw(admin.get("todos?select=id,user_id,title")).await.json();
    assert_eq!(ids(&all), model.keys().cloned().collect::<Vec<_>>());
    for row in all.as_array().unwrap() {
        let todo = &model[row["id"].as_str().unwrap()];
        assert_eq!(row["user_id"], subs[todo.owner].as_str());
        assert_eq!(row["title"], todo.title.as_str());
    }
    eprintln!("rls leak test: {USERS} users × {OPERATIONS} operations: {counts:?}");
    server.stop().await;
}
