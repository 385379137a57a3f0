//! Row Level Security exactly as the "Auth0 + InsForge" guide sets it up, and `auth.uid()` for
//! native uuid subjects. Every request runs as the caller's role with the caller's claims.

use oxforge_testkit::{TestServer, hs256, now};
use reqwest::Method;
use serde_json::{Value, json};

use crate::support::{AUTH0_GUIDE_SQL as GUIDE_SQL, Data, assert_pgrst, send_raw};

/// A token as the guide's Post-Login Action signs it.
fn action_token(secret: &str, sub: &str) -> String {
    hs256(
        secret,
        &json!({"sub": sub, "role": "authenticated", "aud": "insforge-api", "email": format!("{}@example.com", sub.replace('|', "_")), "iat": now(), "exp": now() + 3600}),
    )
}

fn titles(v: &Value) -> Vec<String> {
    let mut t: Vec<String> = v
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["title"].as_str().unwrap().to_owned())
        .collect();
    t.sort();
    t
}

#[tokio::test]
async fn auth0_guide_users_see_and_change_only_their_own_todos() {
    let server = TestServer::start().await;
    server.sql(GUIDE_SQL).await;
    let alice = Data::new(&server, &action_token(server.jwt_secret(), "auth0|alice"));
    let bob = Data::new(&server, &action_token(server.jwt_secret(), "auth0|bob"));

    for title in ["a1", "a2"] {
        let raw = send_raw(alice.post("todos", json!({"title": title}))).await;
        assert_eq!(raw.status, 201, "{}", raw.text);
    }
    let raw = send_raw(
        bob.post("todos?select=user_id,title", json!({"title":"b1"}))
            .header("Prefer", "return=representation"),
    )
    .await;
    assert_eq!(
        raw.json(),
        json!([{"user_id":"auth0|bob","title":"b1"}]),
        "user_id comes from the column default"
    );

    let raw = send_raw(alice.get("todos?order=created_at")).await;
    assert_eq!(titles(&raw.json()), ["a1", "a2"]);
    let raw = send_raw(bob.get("todos")).await;
    assert_eq!(titles(&raw.json()), ["b1"]);

    // Bob cannot touch Alice's rows: 0 rows affected.
    let alice_row = send_raw(alice.get("todos?title=eq.a1&select=id")).await.json()[0]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let raw = send_raw(
        bob.patch(&format!("todos?id=eq.{alice_row}"), json!({"title":"hacked"}))
            .header("Prefer", "return=representation"),
    )
    .await;
    assert_eq!(raw.json(), json!([]));
    let raw = send_raw(
        bob.delete(&format!("todos?id=eq.{alice_row}"))
            .header("Prefer", "return=representation"),
    )
    .await;
    assert_eq!(raw.json(), json!([]));
    // ...nor spoof the owner on insert, nor move his own row to Alice.
    let body = assert_pgrst(
        &send_raw(bob.post("todos", json!({"title":"x","user_id":"auth0|alice"}))).await,
        403,
        "42501",
    );
    assert!(
        body["message"].as_str().unwrap().contains("row-level security"),
        "{body}"
    );
    assert_pgrst(
        &send_raw(bob.patch("todos?title=eq.b1", json!({"user_id":"auth0|alice"}))).await,
        403,
        "42501",
    );

    // Alice still has her rows, unchanged; she can toggle and delete them.
    let raw = send_raw(
        alice
            .patch(&format!("todos?id=eq.{alice_row}"), json!({"is_complete": true}))
            .header("Prefer", "return=representation"),
    )
    .await;
    assert_eq!(raw.json()[0]["is_complete"], true);
    let raw = send_raw(alice.delete("todos?title=eq.a2")).await;
    assert_eq!(raw.status, 204);
    assert_eq!(titles(&send_raw(alice.get("todos")).await.json()), ["a1"]);

    // Anon sees nothing and cannot write (401 for anon, as PostgREST maps 42501).
    let anon = Data::new(&server, server.anon_key());
    assert_eq!(send_raw(anon.get("todos")).await.json(), json!([]));
    assert_pgrst(
        &send_raw(anon.post("todos", json!({"title":"x","user_id":"anon"}))).await,
        401,
        "42501",
    );

    // The admin key bypasses RLS; without a subject the default user_id is NULL → 23502.
    let admin = Data::new(&server, server.api_key());
    assert_eq!(titles(&send_raw(admin.get("todos")).await.json()), ["a1", "b1"]);
    assert_pgrst(&send_raw(admin.post("todos", json!({"title":"t"}))).await, 400, "23502");
    let raw = send_raw(admin.post("todos", json!({"title":"t","user_id":"auth0|carol"}))).await;
    assert_eq!(raw.status, 201, "{}", raw.text);
    server.stop().await;
}

#[tokio::test]
async fn database_sees_exactly_the_documented_claims() {
    let server = TestServer::start().await;
    server
        .sql("CREATE FUNCTION public.claims() RETURNS jsonb LANGUAGE sql STABLE AS 'SELECT jsonb_build_object(''jwt'', auth.jwt(), ''role'', auth.role(), ''email'', auth.email(), ''current_role'', current_user)'")
        .await;
    let exp = now() + 600;
    let token = hs256(
        server.jwt_secret(),
        &json!({"sub":"user_2abc","role":"authenticated","email":"c@x.io","iat":exp - 600,"exp":exp,"org_id":"o1","iss":"https://x.clerk.accounts.dev"}),
    );
    let raw = send_raw(Data::new(&server, &token).rpc(Method::POST, "claims").json(&json!({}))).await;
    assert_eq!(
        raw.json(),
        json!({"jwt":{"sub":"user_2abc","email":"c@x.io","role":"authenticated","iat":exp - 600,"exp":exp},"role":"authenticated","email":"c@x.io","current_role":"authenticated"})
    );
    let raw = send_raw(
        Data::new(&server, server.anon_key())
            .rpc(Method::POST, "claims")
            .json(&json!({})),
    )
    .await;
    assert_eq!(
        raw.json(),
        json!({"jwt":{"role":"anon"},"role":"anon","email":null,"current_role":"anon"})
    );
    let raw = send_raw(
        Data::new(&server, server.api_key())
            .rpc(Method::POST, "claims")
            .json(&json!({})),
    )
    .await;
    assert_eq!(raw.json()["current_role"], "project_admin");
    server.stop().await;
}

#[tokio::test]
async fn auth_uid_tables_work_for_uuid_subjects_and_fail_loudly_for_others() {
    let server = TestServer::start().await;
    server
        .sql(
            "CREATE TABLE public.notes (id serial PRIMARY KEY, user_id uuid NOT NULL DEFAULT auth.uid(), body text);
             ALTER TABLE public.notes ENABLE ROW LEVEL SECURITY;
             CREATE POLICY own ON public.notes FOR ALL TO authenticated USING (user_id = auth.uid()) WITH CHECK (user_id = auth.uid());",
        )
        .await;
    let uid = "8d0c6e6e-6f4c-4a59-9d7a-2f1f4f0b3a11";
    let user = Data::new(
        &server,
        &hs256(
            server.jwt_secret(),
            &json!({"sub": uid, "role": "authenticated", "exp": now() + 60}),
        ),
    );
    let raw = send_raw(
        user.post("notes?select=user_id,body", json!({"body":"mine"}))
            .header("Prefer", "return=representation"),
    )
    .await;
    assert_eq!(raw.json(), json!([{"user_id": uid, "body": "mine"}]));
    let other = Data::new(&server, &action_token(server.jwt_secret(), "auth0|123"));
    assert_pgrst(&send_raw(other.get("notes")).await, 400, "22P02");
    server.stop().await;
}
