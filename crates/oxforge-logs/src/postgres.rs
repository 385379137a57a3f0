//! `postgres.logs`: the embedded PostgreSQL's own log file (`<data dir>/postgres.log`, lines
//! `2026-12-05 19:17:34.152 UTC [11497] LOG:  message`), read from its end on each request. With
//! an external database there is none: the source is empty.

use std::fs::File;
use std::io::{Read, Seek, SeekFrom};
use std::path::Path;

use chrono::{DateTime, NaiveDateTime, Utc};
use serde_json::json;

use crate::store::Entry;

/// At most this much of the file's end is read.
const TAIL_BYTES: u64 = 4 * 1024 * 1024;

/// The file's entries in order (continuation lines joined to their entry), from its last
/// [`TAIL_BYTES`].
pub fn read(path: &Path) -> Vec<Entry> {
    let Ok(mut file) = File::open(path) else {
        return Vec::new();
    };
    let len = file.metadata().map_or(0, |m| m.len());
    let start = len.saturating_sub(TAIL_BYTES);
    if file.seek(SeekFrom::Start(start)).is_err() {
        return Vec::new();
    }
    let mut bytes = Vec::new();
    if file.read_to_end(&mut bytes).is_err() {
        return Vec::new();
    }
    let text = String::from_utf8_lossy(&bytes);
    let mut lines = text.lines();
    if start > 0 {
        lines.next();
    }
    parse(lines)
}

fn parse<'a>(lines: impl Iterator<Item = &'a str>) -> Vec<Entry> {
    let mut entries: Vec<Entry> = Vec::new();
    for line in lines {
        match parse_line(line) {
            Some((at, pid, level)) => {
                let id = entries.len() as u64 + 1;
                let body = json!({
                    "event_message": line,
                    "metadata": { "level": level, "parsed": { "pid": pid } },
                    "timestamp": at,
                });
                entries.push(Entry::new(id, at, line.to_owned(), body));
            }
            None => {
                // A continuation (DETAIL, a statement on several lines): part of the entry before.
                if let Some(last) = entries.last_mut() {
                    last.event_message.push('\n');
                    last.event_message.push_str(line);
                    last.body["event_message"] = json!(last.event_message);
                }
            }
        }
    }
    entries
}

/// `2026-12-05 19:17:34.152 UTC [11497] LOG:  message` → (time, pid, level).
fn parse_line(line: &str) -> Option<(DateTime<Utc>, u32, &str)> {
    let (stamp, rest) = line.split_once(" UTC [")?;
    let at = NaiveDateTime::parse_from_str(stamp, "%Y-%m-%d %H:%M:%S%.3f")
        .ok()?
        .and_utc();
    let (pid, rest) = rest.split_once("] ")?;
    let pid = pid.parse().ok()?;
    let (level, _message) = rest.split_once(":  ")?;
    Some((at, pid, level))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_and_continuations() {
        let entries = parse(
            [
                "2026-12-05 19:17:34.152 UTC [11497] LOG:  starting PostgreSQL 15.18",
                "2026-12-05 19:17:34.566 UTC [11545] ERROR:  permission denied for table t",
                "2026-12-05 19:17:34.566 UTC [11545] STATEMENT:  SELECT 1",
                "\tFROM t",
                "not a log line at the start",
            ]
            .into_iter(),
        );
        assert_eq!(entries.len(), 3);
        assert_eq!(entries[1].body["metadata"]["level"], "ERROR");
        assert_eq!(entries[1].body["metadata"]["parsed"]["pid"], 11545);
        assert!(
            entries[2]
                .event_message
                .ends_with("SELECT 1\n\tFROM t\nnot a log line at the start")
        );
        assert_eq!(entries[0].timestamp, "2026-12-05T19:17:34.152Z");
    }
}
