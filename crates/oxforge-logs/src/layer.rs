//! The `tracing` layer that fills `insforge.logs`: each request line of the request log
//! (target `oxforge::request`) in InsForge's request shape, and every other INFO-or-worse event of
//! oxforge's own code as `"<level> - <message>"`. Requests to the logs API itself are left out, as
//! InsForge does.

use std::fmt::Write as _;

use serde_json::{Map, Value, json};
use tracing::field::{Field, Visit};
use tracing::{Event, Level, Subscriber};
use tracing_subscriber::layer::{Context, Layer};

use crate::store::{Entry, LogStore, Source};

/// Writes oxforge's events into a [`LogStore`] (the process's: [`LogLayer::global`]).
pub struct LogLayer {
    store: &'static LogStore,
}

impl LogLayer {
    pub fn global() -> LogLayer {
        LogLayer {
            store: LogStore::global(),
        }
    }
}

/// The fields of one event, as JSON values.
#[derive(Default)]
struct Fields(Map<String, Value>);

impl Visit for Fields {
    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        let mut text = String::new();
        let _ = write!(text, "{value:?}");
        self.0.insert(field.name().to_owned(), Value::String(text));
    }

    fn record_str(&mut self, field: &Field, value: &str) {
        self.0.insert(field.name().to_owned(), Value::String(value.to_owned()));
    }

    fn record_u64(&mut self, field: &Field, value: u64) {
        self.0.insert(field.name().to_owned(), json!(value));
    }

    fn record_i64(&mut self, field: &Field, value: i64) {
        self.0.insert(field.name().to_owned(), json!(value));
    }

    fn record_bool(&mut self, field: &Field, value: bool) {
        self.0.insert(field.name().to_owned(), json!(value));
    }
}

fn level_name(level: Level) -> &'static str {
    match level {
        Level::ERROR => "error",
        Level::WARN => "warn",
        Level::INFO => "info",
        Level::DEBUG => "debug",
        Level::TRACE => "trace",
    }
}

fn text(fields: &Map<String, Value>, name: &str) -> String {
    match fields.get(name) {
        Some(Value::String(s)) => s.clone(),
        Some(other) => other.to_string(),
        None => String::new(),
    }
}

/// A request line: `GET /api/health 200 3.10ms`, metadata as InsForge's.
fn request_entry(fields: &Map<String, Value>, id: u64, at: chrono::DateTime<chrono::Utc>) -> Entry {
    let (method, path, status) = (text(fields, "method"), text(fields, "path"), text(fields, "status"));
    let duration = format!("{}ms", text(fields, "ms"));
    let message = format!("{method} {path} {status} {duration}");
    let metadata = json!({
        "method": method,
        "path": path,
        "status": fields.get("status").cloned().unwrap_or(Value::Null),
        "duration": duration,
        "credential": text(fields, "credential"),
        "level": "info",
    });
    let body =
        json!({ "id": id.to_string(), "timestamp": at, "message": message, "level": "info", "metadata": metadata });
    Entry::new(id, at, message, body)
}

/// Any other event: `"<level> - <message>"`, its other fields as metadata.
fn event_entry(
    level: &str,
    target: &str,
    mut fields: Map<String, Value>,
    id: u64,
    at: chrono::DateTime<chrono::Utc>,
) -> Entry {
    let message = text(&fields, "message");
    fields.remove("message");
    let mut metadata = fields;
    metadata.insert("level".into(), json!(level));
    metadata.insert("target".into(), json!(target));
    let event_message = format!("{level} - {message}");
    let body =
        json!({ "id": id.to_string(), "timestamp": at, "message": message, "level": level, "metadata": metadata });
    Entry::new(id, at, event_message, body)
}

impl<S: Subscriber> Layer<S> for LogLayer {
    fn on_event(&self, event: &Event<'_>, _ctx: Context<'_, S>) {
        let meta = event.metadata();
        let target = meta.target();
        if *meta.level() > Level::INFO || !target.starts_with("oxforge") {
            return;
        }
        let mut fields = Fields::default();
        event.record(&mut fields);
        let fields = fields.0;
        if target == "oxforge::request" {
            if text(&fields, "path").contains("/logs/") {
                return;
            }
            self.store
                .push(Source::Insforge, |id, at| request_entry(&fields, id, at));
        } else {
            let level = level_name(*meta.level());
            self.store
                .push(Source::Insforge, |id, at| event_entry(level, target, fields, id, at));
        }
    }
}
