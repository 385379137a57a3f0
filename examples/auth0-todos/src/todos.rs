//! The todo pages: list, add, complete/undo, rename, delete — each a call to oxforge as the user.

use axum::Form;
use axum::extract::rejection::FormRejection;
use axum::extract::{Path, State};
use axum::response::{Html, Redirect};
use oxforge_client::Order;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use crate::AppState;
use crate::error::AppError;
use crate::pages;
use crate::session::Session;

#[derive(Debug, Deserialize)]
pub struct Todo {
    pub id: String,
    pub title: String,
    pub is_complete: bool,
}

/// Forms accept exactly their fields: a forged `user_id` (or anything else) is refused, never
/// passed on. The owner is always `requesting_user_id()`, decided by the database.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TitleForm {
    csrf: String,
    title: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ToggleForm {
    csrf: String,
    is_complete: bool,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CsrfForm {
    csrf: String,
}

#[derive(Serialize)]
struct NewTodo<'a> {
    title: &'a str,
}

const MAX_TITLE: usize = 200;

fn accept<T>(
    session: &Session,
    form: Result<Form<T>, FormRejection>,
    csrf: impl Fn(&T) -> &str,
) -> Result<T, AppError> {
    let Form(form) = form.map_err(|rejection| AppError::bad_request(rejection.body_text()))?;
    if csrf(&form) != session.csrf {
        return Err(AppError::bad_request(
            "This form is out of date or did not come from this app.".into(),
        ));
    }
    Ok(form)
}

fn title(raw: &str) -> Result<&str, AppError> {
    let title = raw.trim();
    if title.is_empty() || title.chars().count() > MAX_TITLE {
        return Err(AppError::bad_request(format!(
            "A title needs 1 to {MAX_TITLE} characters."
        )));
    }
    Ok(title)
}

/// One affected row, or the todo is not the user's (RLS hides it) or does not exist.
fn exactly_one(rows: Vec<Value>) -> Result<(), AppError> {
    if rows.is_empty() {
        return Err(AppError::not_found("No such todo in your list.".into()));
    }
    Ok(())
}

pub async fn list(State(app): State<AppState>, session: Session) -> Result<Html<String>, AppError> {
    let todos: Vec<Todo> = app
        .oxforge
        .as_user(&session.token)
        .from("todos")
        .select("id,title,is_complete")
        .order("created_at", Order::Ascending)
        .order("id", Order::Ascending)
        .execute()
        .await
        .map_err(AppError::backend)?;
    Ok(Html(pages::todos(&session, &todos)))
}

pub async fn create(
    State(app): State<AppState>,
    session: Session,
    form: Result<Form<TitleForm>, FormRejection>,
) -> Result<Redirect, AppError> {
    let form = accept(&session, form, |f| &f.csrf)?;
    let title = title(&form.title)?;
    app.oxforge
        .as_user(&session.token)
        .from("todos")
        .insert(&NewTodo { title })
        .run()
        .await
        .map_err(AppError::backend)?;
    Ok(Redirect::to("/todos"))
}

/// Changes (or, with `None`, deletes) the user's todo `id`. Another user's todo matches nothing
/// under RLS, so it is "not found" exactly like one that does not exist.
async fn change_own(app: &AppState, session: &Session, id: &str, change: Option<Value>) -> Result<Redirect, AppError> {
    let todos = app.oxforge.as_user(&session.token).from("todos");
    let query = match &change {
        Some(change) => todos.update(change),
        None => todos.delete(),
    };
    let rows = query
        .eq("id", id)
        .select("id")
        .execute()
        .await
        .map_err(AppError::backend)?;
    exactly_one(rows)?;
    Ok(Redirect::to("/todos"))
}

pub async fn toggle(
    State(app): State<AppState>,
    session: Session,
    Path(id): Path<String>,
    form: Result<Form<ToggleForm>, FormRejection>,
) -> Result<Redirect, AppError> {
    let form = accept(&session, form, |f| &f.csrf)?;
    change_own(&app, &session, &id, Some(json!({ "is_complete": form.is_complete }))).await
}

pub async fn rename(
    State(app): State<AppState>,
    session: Session,
    Path(id): Path<String>,
    form: Result<Form<TitleForm>, FormRejection>,
) -> Result<Redirect, AppError> {
    let form = accept(&session, form, |f| &f.csrf)?;
    let title = title(&form.title)?;
    change_own(&app, &session, &id, Some(json!({ "title": title }))).await
}

pub async fn delete(
    State(app): State<AppState>,
    session: Session,
    Path(id): Path<String>,
    form: Result<Form<CsrfForm>, FormRejection>,
) -> Result<Redirect, AppError> {
    accept(&session, form, |f| &f.csrf)?;
    change_own(&app, &session, &id, None).await
}
