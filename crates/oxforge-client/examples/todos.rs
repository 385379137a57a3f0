//! The Auth0 guide's todo list from Rust.
//!
//! ```sh
//! OXFORGE_URL=http://127.0.0.1:7130 OXFORGE_ANON_KEY=anon_… OXFORGE_TOKEN=$(oxforge token mint --sub 'auth0|me') \
//!   cargo run -p oxforge-client --example todos -- "buy milk"
//! ```
//!
//! The names `oxforge env pull` writes work too: `NEXT_PUBLIC_INSFORGE_URL` (or `INSFORGE_URL`) and
//! `NEXT_PUBLIC_INSFORGE_ANON_KEY` (or `INSFORGE_ANON_KEY`).

use oxforge_client::{Client, Order};
use serde::{Deserialize, Serialize};

#[derive(Debug, Deserialize)]
struct Todo {
    id: String,
    title: String,
    is_complete: Option<bool>,
}

#[derive(Serialize)]
struct NewTodo {
    title: String,
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    // oxforge's names first, then InsForge's (as `oxforge env pull` writes them).
    let var = |names: &[&str]| {
        names
            .iter()
            .find_map(|name| std::env::var(name).ok())
            .ok_or_else(|| format!("set {}", names.join(" or ")))
    };
    let url = var(&["OXFORGE_URL", "INSFORGE_URL", "NEXT_PUBLIC_INSFORGE_URL"])?;
    let anon_key = var(&["OXFORGE_ANON_KEY", "INSFORGE_ANON_KEY", "NEXT_PUBLIC_INSFORGE_ANON_KEY"])?;
    let mut client = Client::new(&url, &anon_key)?;
    if let Ok(token) = std::env::var("OXFORGE_TOKEN") {
        client = client.with_access_token(token);
    }
    if let Some(title) = std::env::args().nth(1) {
        let created: Todo = client
            .from("todos")
            .insert(&NewTodo { title })
            .select("*")
            .single()
            .await?;
        println!("added {}", created.id);
    }
    let todos: Vec<Todo> = client
        .from("todos")
        .select("id,title,is_complete")
        .order("created_at", Order::Ascending)
        .execute()
        .await?;
    for todo in todos {
        println!(
            "[{}] {}",
            if todo.is_complete == Some(true) { "x" } else { " " },
            todo.title
        );
    }
    Ok(())
}
