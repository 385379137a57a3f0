//! The Rust client (`oxforge-client`) against a live server: accounts, typed rows, filters,
//! counts, single rows, mutations, RPC, errors, and the Auth0 guide's RLS.

use oxforge_client::{Client, Count, Order};
use oxforge_testkit::{TestServer, hs256, now};
use serde::{Deserialize, Serialize};
use serde_json::json;

#[derive(Debug, Deserialize, PartialEq)]
struct Item {
    id: i32,
    name: String,
    qty: Option<i32>,
}

#[derive(Serialize)]
struct NewItem<'a> {
    name: &'a str,
    qty: Option<i32>,
}

const FIXTURE: &str = "CREATE TABLE public.items (id serial PRIMARY KEY, name text UNIQUE NOT NULL, qty int);
  INSERT INTO public.items (name, qty) VALUES ('apple', 5), ('banana', 12), ('carrot', NULL);
  CREATE FUNCTION public.total() RETURNS bigint LANGUAGE sql AS 'SELECT sum(qty) FROM public.items';";

#[tokio::test]
async fn typed_queries_and_mutations() {
    let server = TestServer::start().await;
    server.sql(FIXTURE).await;
    let client = Client::new(&server.url, server.api_key()).unwrap();

    let items: Vec<Item> = client
        .from("items")
        .select("*")
        .gte("qty", 5)
        .order("qty", Order::Descending)
        .execute()
        .await
        .unwrap();
    assert_eq!(
        items.iter().map(|i| i.name.as_str()).collect::<Vec<_>>(),
        ["banana", "apple"]
    );
    let page = client
        .from("items")
        .select("name")
        .order("id", Order::Ascending)
        .range(1, 1)
        .count(Count::Exact)
        .execute_with_count::<serde_json::Value>()
        .await
        .unwrap();
    assert_eq!((page.rows, page.count), (vec![json!({"name": "banana"})], Some(3)));
    let carrot: Item = client.from("items").select("*").is_null("qty").single().await.unwrap();
    assert_eq!(carrot.name, "carrot");
    let none: Option<Item> = client
        .from("items")
        .select("*")
        .eq("name", "nope")
        .maybe_single()
        .await
        .unwrap();
    assert_eq!(none, None);
    let some: Vec<Item> = client
        .from("items")
        .select("*")
        .in_list("name", ["apple", "a,b"])
        .execute()
        .await
        .unwrap();
    assert_eq!(some.len(), 1);

    let created: Item = client
        .from("items")
        .insert(&NewItem {
            name: "dates",
            qty: Some(30),
        })
        .select("*")
        .single()
        .await
        .unwrap();
    assert_eq!((created.name.as_str(), created.qty), ("dates", Some(30)));
    let many: Vec<Item> = client
        .from("items")
        .upsert(&vec![
            json!({"name": "dates", "qty": 31}),
            json!({"name": "egg", "qty": 1}),
        ])
        .on_conflict("name")
        .select("*")
        .execute()
        .await
        .unwrap();
    assert_eq!(
        many.iter().map(|i| (i.name.as_str(), i.qty)).collect::<Vec<_>>(),
        [("dates", Some(31)), ("egg", Some(1))]
    );
    client
        .from("items")
        .update(&json!({"qty": 2}))
        .eq("name", "egg")
        .run()
        .await
        .unwrap();
    client.from("items").delete().eq("name", "apple").run().await.unwrap();
    let names: Vec<serde_json::Value> = client
        .from("items")
        .select("name")
        .order("name", Order::Ascending)
        .execute()
        .await
        .unwrap();
    assert_eq!(
        names,
        [
            json!({"name":"banana"}),
            json!({"name":"carrot"}),
            json!({"name":"dates"}),
            json!({"name":"egg"})
        ]
    );

    let total = client.rpc("total", &json!({})).value().await.unwrap();
    assert_eq!(total, json!(45));

    let err = client
        .from("items")
        .insert(&NewItem { name: "egg", qty: None })
        .run()
        .await
        .unwrap_err();
    assert_eq!((err.status(), err.code()), (Some(409), Some("23505")));
    let err = client.from("items").select("*").single::<Item>().await.unwrap_err();
    assert_eq!(err.code(), Some("PGRST116"));
    let err = client.from("missing").select("*").execute::<Item>().await.unwrap_err();
    assert_eq!((err.status(), err.code()), (Some(404), Some("42P01")));
    server.stop().await;
}

#[tokio::test]
async fn accounts_and_the_auth0_guide() {
    let server = TestServer::start().await;
    server.sql(crate::support::AUTH0_GUIDE_SQL).await;

    // oxforge's own accounts.
    let client = Client::new(&server.url, server.anon_key()).unwrap();
    let session = client
        .auth()
        .sign_up("rusty@example.com", "secret123", Some("Rusty"))
        .await
        .unwrap();
    assert_eq!(session.user["email"], "rusty@example.com");
    assert_eq!(client.auth().current_user().await.unwrap()["profile"]["name"], "Rusty");
    let refresh = session.refresh_token.clone().unwrap();
    let next = client.auth().refresh(&refresh).await.unwrap();
    assert!(
        client.auth().refresh(&refresh).await.is_err(),
        "refresh tokens work once"
    );
    client.auth().sign_out(next.refresh_token.as_deref()).await.unwrap();
    assert_eq!(client.access_token(), None);
    let err = client.auth().sign_in("rusty@example.com", "wrong").await.unwrap_err();
    assert_eq!((err.status(), err.code()), (Some(401), Some("AUTH_UNAUTHORIZED")));

    // Tokens as the Auth0 Action signs them.
    let token = |sub: &str| {
        hs256(
            server.jwt_secret(),
            &json!({"sub": sub, "role": "authenticated", "aud": "insforge-api", "exp": now() + 3600}),
        )
    };
    let alice = Client::new(&server.url, server.anon_key())
        .unwrap()
        .with_access_token(token("auth0|alice"));
    let bob = Client::new(&server.url, server.anon_key())
        .unwrap()
        .with_access_token(token("auth0|bob"));
    let todo: serde_json::Value = alice
        .from("todos")
        .insert(&json!({"title": "alice's"}))
        .select("*")
        .single()
        .await
        .unwrap();
    assert_eq!(todo["user_id"], "auth0|alice");
    assert!(
        bob.from("todos")
            .select("*")
            .execute::<serde_json::Value>()
            .await
            .unwrap()
            .is_empty()
    );
    bob.from("todos")
        .update(&json!({"title": "hacked"}))
        .eq("id", todo["id"].as_str().unwrap())
        .run()
        .await
        .unwrap();
    let still: serde_json::Value = alice.from("todos").select("title").single().await.unwrap();
    assert_eq!(still["title"], "alice's");
    server.stop().await;
}
