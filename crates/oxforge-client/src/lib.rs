//! A Rust client for oxforge (and InsForge): the counterpart of `@insforge/sdk`.
//!
//! ```no_run
//! use oxforge_client::{Client, Order};
//! use serde::{Deserialize, Serialize};
//!
//! #[derive(Debug, Deserialize)]
//! struct Todo { id: String, title: String, is_complete: bool }
//!
//! #[derive(Serialize)]
//! struct NewTodo<'a> { title: &'a str }
//!
//! # async fn demo() -> Result<(), oxforge_client::Error> {
//! // A user's token (e.g. the one an Auth0 Action signs), or `Client::new(url, anon_key)`.
//! let client = Client::new("http://127.0.0.1:7130", "anon_…")?.with_access_token("eyJ…");
//! let created: Todo = client.from("todos").insert(&NewTodo { title: "buy milk" }).select("*").single().await?;
//! let open: Vec<Todo> = client
//!     .from("todos")
//!     .select("id,title,is_complete")
//!     .eq("is_complete", false)
//!     .order("created_at", Order::Ascending)
//!     .execute()
//!     .await?;
//! client.from("todos").update(&serde_json::json!({ "is_complete": true })).eq("id", &created.id).run().await?;
//! client.from("todos").delete().eq("id", &created.id).run().await?;
//! # let _ = open; Ok(()) }
//! ```
//!
//! Every request carries `Authorization: Bearer <token>`: the user's access token when set,
//! otherwise the anon key — exactly as the JS SDK does.
//!
//! Storage: [`Client::storage`] (buckets, and objects streamed in and out; see [`Storage`]).

mod auth;
mod client;
mod error;
mod query;
mod storage;

pub use auth::{Auth, Session};
pub use client::Client;
pub use error::Error;
pub use query::{Count, Order, Page, QueryBuilder};
pub use storage::{
    Bucket, Download, ListOptions, ObjectInfo, ObjectList, Pagination, RemoveStatus, Removed, SignedUrl, Storage,
    StorageBucket, StorageError, StorageErrorKind, StoredObject, Upload, encode_uri_component,
};
