//! Resource embedding through foreign keys.

use oxforge_testkit::TestServer;
use serde_json::json;

use crate::support::{Data, assert_pgrst, send_raw};

const FIXTURE: &str = r#"
CREATE TABLE public.authors (id int PRIMARY KEY, name text);
CREATE TABLE public.books (id int PRIMARY KEY, title text, author_id int REFERENCES public.authors(id), editor_id int REFERENCES public.authors(id));
CREATE TABLE public.tags (id int PRIMARY KEY, label text);
CREATE TABLE public.book_tags (book_id int REFERENCES public.books(id), tag_id int REFERENCES public.tags(id), PRIMARY KEY (book_id, tag_id));
CREATE TABLE public.countries (id int PRIMARY KEY, name text);
CREATE TABLE public.cities (id int PRIMARY KEY, name text, country_id int REFERENCES public.countries(id));
INSERT INTO public.authors VALUES (1, 'Ann'), (2, 'Ben'), (3, 'Cy');
INSERT INTO public.books VALUES (10, 'Alpha', 1, 2), (11, 'Beta', 1, NULL), (12, 'Gamma', 2, 1);
INSERT INTO public.tags VALUES (1, 'sf'), (2, 'classic');
INSERT INTO public.book_tags VALUES (10, 1), (10, 2), (12, 2);
INSERT INTO public.countries VALUES (1, 'NZ'), (2, 'FR');
INSERT INTO public.cities VALUES (1, 'Auckland', 1), (2, 'Wellington', 1), (3, 'Paris', 2);
"#;

#[tokio::test]
async fn one_to_many_many_to_one_and_many_to_many() {
    let server = TestServer::start().await;
    server.sql(FIXTURE).await;
    let data = Data::new(&server, server.api_key());

    let raw = send_raw(data.get("countries?select=name,cities(name)&cities.order=name.desc&order=id")).await;
    assert_eq!(raw.status, 200, "{}", raw.text);
    assert_eq!(
        raw.json(),
        json!([{"name":"NZ","cities":[{"name":"Wellington"},{"name":"Auckland"}]},{"name":"FR","cities":[{"name":"Paris"}]}])
    );
    let raw = send_raw(data.get("cities?select=name,country:countries(name)&id=eq.3")).await;
    assert_eq!(raw.json(), json!([{"name":"Paris","country":{"name":"FR"}}]));
    let raw = send_raw(data.get("books?select=title,tags(label)&id=eq.10&tags.order=label")).await;
    assert_eq!(
        raw.json(),
        json!([{"title":"Alpha","tags":[{"label":"classic"},{"label":"sf"}]}])
    );
    // Embedded filters and limits, and !inner.
    let raw =
        send_raw(data.get("countries?select=name,cities(name)&cities.name=like.W*&cities.limit=1&order=id")).await;
    assert_eq!(
        raw.json(),
        json!([{"name":"NZ","cities":[{"name":"Wellington"}]},{"name":"FR","cities":[]}])
    );
    let raw =
        send_raw(data.get("countries?select=name,cities(name)&cities.or=(name.eq.Paris,name.eq.Auckland)&order=id"))
            .await;
    assert_eq!(
        raw.json(),
        json!([{"name":"NZ","cities":[{"name":"Auckland"}]},{"name":"FR","cities":[{"name":"Paris"}]}])
    );
    let raw = send_raw(data.get("countries?select=name,cities!inner(name)&cities.name=eq.Paris")).await;
    assert_eq!(raw.json(), json!([{"name":"FR","cities":[{"name":"Paris"}]}]));
    // Nested two levels.
    let raw = send_raw(data.get("authors?select=name,books!author_id(title,tags(label))&id=eq.2")).await;
    assert_eq!(
        raw.json(),
        json!([{"name":"Ben","books":[{"title":"Gamma","tags":[{"label":"classic"}]}]}])
    );
    server.stop().await;
}

#[tokio::test]
async fn ambiguity_and_hints() {
    let server = TestServer::start().await;
    server.sql(FIXTURE).await;
    let data = Data::new(&server, server.api_key());
    // books → authors has two foreign keys.
    assert_pgrst(
        &send_raw(data.get("books?select=title,authors(name)")).await,
        300,
        "PGRST201",
    );
    let raw =
        send_raw(data.get("books?select=title,writer:authors!author_id(name),editor:authors!editor_id(name)&id=eq.10"))
            .await;
    assert_eq!(
        raw.json(),
        json!([{"title":"Alpha","writer":{"name":"Ann"},"editor":{"name":"Ben"}}])
    );
    // Embedding by the foreign-key column name.
    let raw = send_raw(data.get("books?select=title,author_id(name)&id=eq.11")).await;
    assert_eq!(raw.json(), json!([{"title":"Beta","author_id":{"name":"Ann"}}]));
    let raw = send_raw(data.get("books?select=title,editor_id(name)&id=eq.11")).await;
    assert_eq!(raw.json(), json!([{"title":"Beta","editor_id":null}]));
    assert_pgrst(
        &send_raw(data.get("books?select=title,nothing(*)")).await,
        400,
        "PGRST200",
    );
    assert_pgrst(
        &send_raw(data.get("countries?select=name&cities.order=name")).await,
        400,
        "PGRST108",
    );
    server.stop().await;
}

#[tokio::test]
async fn spreads_lift_to_one_columns() {
    let server = TestServer::start().await;
    server.sql(FIXTURE).await;
    let data = Data::new(&server, server.api_key());
    let raw = send_raw(data.get("cities?select=name,...countries(country:name)&order=id&limit=2")).await;
    assert_eq!(raw.status, 200, "{}", raw.text);
    assert_eq!(
        raw.json(),
        json!([{"name":"Auckland","country":"NZ"},{"name":"Wellington","country":"NZ"}])
    );
    let raw = send_raw(data.get("cities?select=...countries(*)&id=eq.3")).await;
    assert_eq!(raw.json(), json!([{"id":2,"name":"FR"}]));
    assert_pgrst(
        &send_raw(data.get("countries?select=name,...cities(name)")).await,
        400,
        "PGRST119",
    );
    server.stop().await;
}
