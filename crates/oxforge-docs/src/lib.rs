//! Agent docs: InsForge's `/api/docs` routes, which `@insforge/mcp`'s `fetch-docs` and
//! `fetch-sdk-docs` tools read, with markdown written for oxforge (what this server really does
//! today, and plainly what it does not do yet).
//!
//! - `GET /api/docs` → `[{"type", "endpoint"}]`, every doc type;
//! - `GET /api/docs/{docType}` → `{"type", "content"}` (`instructions`, `db-sdk`, `auth-sdk`,
//!   `storage-sdk`, `functions-sdk`, `ai-integration-sdk`, `real-time`, `deployment`, and InsForge's
//!   `{feature}-sdk-typescript` / `{feature}-rest-api` names);
//! - `GET /api/docs/{feature}/{language}` → the same body for `{feature}-sdk-{language}`, or
//!   `{feature}-rest-api` when the language is `rest-api`.
//!
//! No credential, as in InsForge (the MCP server sends none). The docs are embedded in the binary
//! (`docs/*.md`); a name is looked up in a fixed table and never touches the file system, so an
//! unknown name (`..%2f..%2fetc` included) is a 404 envelope listing the known ones. Code in the
//! docs uses `http://localhost:7130`, which the MCP server replaces with the real URL.
//!
//! Every snippet must work against oxforge as it is: `tests/sdk/docs.test.mjs` runs them with the
//! real `@insforge/sdk`; a page for a module oxforge does not have says so plainly.

use axum::Router;
use axum::extract::Path;
use axum::response::Json;
use axum::routing::get;
use oxforge_edge::{ApiError, Capability, Shared};
use serde_json::{Value, json};

oxforge_edge::settings! {
    /// The docs have no settings.
    pub struct DocsSettings {}
}

/// The docs as a capability: no state, no SQL.
pub struct Docs;

impl Capability for Docs {
    const NAME: &'static str = "docs";
    type Settings = DocsSettings;

    fn router(_: &mut Shared, _: &DocsSettings) -> Result<Router, String> {
        Ok(router())
    }
}

/// The docs' routes.
pub fn router<S: Clone + Send + Sync + 'static>() -> Router<S> {
    Router::new()
        .route("/api/docs", get(list))
        .route("/api/docs/", get(list))
        .route("/api/docs/{doc_type}", get(by_type))
        .route("/api/docs/{feature}/{language}", get(by_feature))
}

/// One embedded document and every name it answers to.
struct Doc {
    names: &'static [&'static str],
    content: &'static str,
}

/// `doc!(name, aliases…)`: `docs/{name}.md`, answering to its name and its aliases.
macro_rules! doc {
    ($name:literal $(, $alias:literal)*) => {
        Doc {
            names: &[$name $(, $alias)*],
            content: include_str!(concat!("../docs/", $name, ".md")),
        }
    };
}

/// Every document. The first name is the one the MCP server's `fetch-docs` asks for; the others
/// are InsForge's per-language names (`fetch-sdk-docs`).
const DOCS: &[Doc] = &[
    doc!("instructions"),
    doc!("db-sdk", "db-sdk-typescript"),
    doc!("auth-sdk", "auth-sdk-typescript"),
    doc!("db-rest-api"),
    doc!("auth-rest-api"),
    doc!("storage-sdk", "storage-sdk-typescript", "storage-rest-api"),
    doc!("functions-sdk", "functions-sdk-typescript", "functions-rest-api"),
    doc!("ai-integration-sdk", "ai-sdk-typescript", "ai-rest-api"),
    doc!("real-time", "realtime-sdk-typescript", "realtime-rest-api"),
    doc!("deployment"),
];

/// The features and languages of `/api/docs/{feature}/{language}` (InsForge's `sdkFeatureSchema`
/// and `sdkLanguageSchema`); oxforge has docs for `typescript` and `rest-api`.
const FEATURES: &[&str] = &["db", "storage", "functions", "auth", "ai", "realtime"];
const LANGUAGES: &[&str] = &["typescript", "rest-api"];

/// The document a name stands for.
fn find(name: &str) -> Option<&'static str> {
    DOCS.iter().find(|doc| doc.names.contains(&name)).map(|doc| doc.content)
}

/// The doc type `/api/docs/{feature}/{language}` stands for, as InsForge builds it.
fn feature_type(feature: &str, language: &str) -> Option<String> {
    if !FEATURES.contains(&feature) || !LANGUAGES.contains(&language) {
        return None;
    }
    Some(if language == "rest-api" {
        format!("{feature}-rest-api")
    } else {
        format!("{feature}-sdk-{language}")
    })
}

fn not_found() -> ApiError {
    let known: Vec<&str> = DOCS.iter().flat_map(|doc| doc.names.iter().copied()).collect();
    ApiError::not_found("NOT_FOUND", "Documentation not found").with_next_actions(format!(
        "Known doc types: {}; or /api/docs/{{feature}}/{{language}} with a feature of {} and a language of {}",
        known.join(", "),
        FEATURES.join(", "),
        LANGUAGES.join(", "),
    ))
}

fn answer(doc_type: &str) -> Result<Json<Value>, ApiError> {
    let content = find(doc_type).ok_or_else(not_found)?;
    Ok(Json(json!({ "type": doc_type, "content": content })))
}

async fn list() -> Json<Value> {
    let available: Vec<Value> = DOCS
        .iter()
        .flat_map(|doc| doc.names.iter())
        .map(|name| json!({ "type": name, "endpoint": format!("/api/docs/{name}") }))
        .collect();
    Json(Value::Array(available))
}

async fn by_type(Path(doc_type): Path<String>) -> Result<Json<Value>, ApiError> {
    answer(&doc_type)
}

async fn by_feature(Path((feature, language)): Path<(String, String)>) -> Result<Json<Value>, ApiError> {
    let doc_type = feature_type(&feature, &language).ok_or_else(not_found)?;
    answer(&doc_type)
}

#[cfg(test)]
mod tests {
    use super::*;

    const PLACEHOLDER: &str = "http://localhost:7130";

    #[test]
    fn every_name_is_unique_and_every_doc_has_content() {
        let mut names: Vec<&str> = DOCS.iter().flat_map(|doc| doc.names.iter().copied()).collect();
        let count = names.len();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), count, "a doc name is listed twice");
        for doc in DOCS {
            assert!(doc.content.starts_with("# "), "{:?} has no title", doc.names);
        }
    }

    #[test]
    fn every_feature_and_language_has_a_doc() {
        for feature in FEATURES {
            for language in LANGUAGES {
                let doc_type = feature_type(feature, language);
                assert!(doc_type.as_deref().and_then(find).is_some(), "{feature}/{language}");
            }
        }
        assert_eq!(feature_type("db", "swift"), None);
        assert_eq!(feature_type("..", "typescript"), None);
    }

    #[test]
    fn docs_with_code_use_the_placeholder_url_and_no_other() {
        for doc in DOCS {
            if doc.content.contains("```") && doc.content.contains("http") {
                assert!(doc.content.contains(PLACEHOLDER), "{:?}", doc.names);
            }
            for other in ["127.0.0.1", "your-app.insforge.app"] {
                assert!(!doc.content.contains(other), "{:?} mentions {other}", doc.names);
            }
        }
    }
}
