//! Server-rendered HTML: no JavaScript, every action is a form post.

use crate::session::Session;
use crate::todos::Todo;

/// Escapes text for HTML element content and double-quoted attributes.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

fn layout(title: &str, body: &str) -> String {
    format!(
        r#"<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title}</title>
<style>
body {{ font-family: system-ui, sans-serif; max-width: 42rem; margin: 2rem auto; padding: 0 1rem; color: #1f2328; }}
header {{ display: flex; justify-content: space-between; align-items: center; border-bottom: 1px solid #d0d7de; }}
ul {{ list-style: none; padding: 0; }} li.todo {{ display: flex; gap: .5rem; align-items: center; padding: .4rem 0; border-bottom: 1px solid #eee; }}
li.todo .title {{ flex: 1; }} li.todo.done .title {{ text-decoration: line-through; color: #777; }}
form {{ display: inline; margin: 0; }} input[name=title] {{ padding: .25rem; }}
.error {{ border: 1px solid #cf222e; background: #ffebe9; padding: 1rem; border-radius: 6px; }}
</style></head>
<body>{body}</body></html>"#,
        title = escape(title)
    )
}

pub fn landing() -> String {
    layout(
        "Todos",
        r#"<h1>Todos</h1>
<p>Your own todo list: sign in with Auth0, and only you can see your todos (Row Level Security in oxforge).</p>
<p><a id="login" href="/auth/login">Log in</a></p>"#,
    )
}

pub fn error(title: &str, message: &str, sign_in_again: bool) -> String {
    let next = if sign_in_again {
        r#"<a id="login" href="/auth/login">Log in again</a>"#
    } else {
        r#"<a href="/todos">Back to your todos</a>"#
    };
    layout(
        title,
        &format!(
            r#"<h1>{}</h1><div class="error" role="alert"><p id="error-message">{}</p></div><p>{next}</p>"#,
            escape(title),
            escape(message)
        ),
    )
}

fn todo_item(todo: &Todo, csrf: &str) -> String {
    let id = escape(&todo.id);
    let title = escape(&todo.title);
    let (class, toggle_to, toggle_label) = if todo.is_complete {
        ("todo done", "false", "Undo")
    } else {
        ("todo", "true", "Complete")
    };
    format!(
        r#"<li class="{class}" data-id="{id}">
  <form method="post" action="/todos/{id}/toggle"><input type="hidden" name="csrf" value="{csrf}"><input type="hidden" name="is_complete" value="{toggle_to}"><button class="toggle">{toggle_label}</button></form>
  <span class="title">{title}</span>
  <form method="post" action="/todos/{id}/rename"><input type="hidden" name="csrf" value="{csrf}"><input name="title" value="{title}" aria-label="New title for {title}" required maxlength="200"><button class="rename">Rename</button></form>
  <form method="post" action="/todos/{id}/delete"><input type="hidden" name="csrf" value="{csrf}"><button class="delete">Delete</button></form>
</li>"#
    )
}

pub fn todos(session: &Session, todos: &[Todo]) -> String {
    let who = session
        .email
        .as_deref()
        .or(session.name.as_deref())
        .unwrap_or(&session.sub);
    let csrf = escape(&session.csrf);
    let items: String = todos.iter().map(|t| todo_item(t, &csrf)).collect();
    let list = if todos.is_empty() {
        r#"<p id="empty">Nothing to do yet.</p>"#.to_owned()
    } else {
        format!(r#"<ul id="todos">{items}</ul>"#)
    };
    let open = todos.iter().filter(|t| !t.is_complete).count();
    layout(
        "Your todos",
        &format!(
            r#"<header><h1>Your todos</h1><p>Signed in as <strong id="who">{who}</strong> · <a id="logout" href="/auth/logout">Log out</a></p></header>
<form id="add" method="post" action="/todos"><input type="hidden" name="csrf" value="{csrf}"><input name="title" placeholder="What needs doing?" aria-label="New todo" required maxlength="200"> <button>Add</button></form>
{list}
<p id="summary">{open} open, {done} done</p>"#,
            who = escape(who),
            done = todos.len() - open
        ),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_markup_and_quotes() {
        assert_eq!(escape(r#"<b a="1">&'"#), "&lt;b a=&quot;1&quot;&gt;&amp;&#39;");
    }
}
