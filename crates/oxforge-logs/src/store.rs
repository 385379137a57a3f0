//! The log store: one bounded ring of entries per source, each entry also appended to
//! `<dir>/<source>.jsonl` (rotated at [`ROTATE_AT`] bytes, one older file kept) once a directory
//! is set, and the newest entries of that file read back then. One store per process
//! ([`LogStore::global`]): a process shows its own logs.

use std::collections::VecDeque;
use std::fs::{self, File, OpenOptions};
use std::io::{BufRead, BufReader, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard, OnceLock};

use chrono::{DateTime, SecondsFormat, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// Entries kept in memory per source.
pub const CAPACITY: usize = 10_000;

/// A log file is rotated past this size (InsForge: 20 MB, two files).
pub const ROTATE_AT: u64 = 20 * 1024 * 1024;

/// A source oxforge writes itself.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    Insforge,
    Function,
}

impl Source {
    fn index(self) -> usize {
        match self {
            Source::Insforge => 0,
            Source::Function => 1,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Source::Insforge => "insforge.logs",
            Source::Function => "function.logs",
        }
    }

    pub fn from_name(name: &str) -> Option<Source> {
        [Source::Insforge, Source::Function]
            .into_iter()
            .find(|s| s.name() == name)
    }
}

/// InsForge's `Log`: `{id, eventMessage, timestamp, body}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Entry {
    pub id: String,
    pub event_message: String,
    pub timestamp: String,
    pub body: Value,
}

impl Entry {
    pub fn new(id: u64, at: DateTime<Utc>, event_message: String, body: Value) -> Entry {
        Entry {
            id: id.to_string(),
            event_message,
            timestamp: at.to_rfc3339_opts(SecondsFormat::Millis, true),
            body,
        }
    }

    /// When it was written (entries with an unreadable timestamp sort first).
    pub fn at(&self) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(&self.timestamp).map_or(DateTime::<Utc>::MIN_UTC, |t| t.with_timezone(&Utc))
    }
}

#[derive(Default)]
struct Ring {
    entries: VecDeque<Entry>,
    file: Option<LogFile>,
    last_activity: Option<DateTime<Utc>>,
}

/// A source's open log file and its size: one `write` per entry, no `open` or `stat`.
struct LogFile {
    path: PathBuf,
    file: File,
    len: u64,
}

impl LogFile {
    fn open(path: PathBuf) -> std::io::Result<LogFile> {
        let file = OpenOptions::new().create(true).append(true).open(&path)?;
        let len = file.metadata()?.len();
        Ok(LogFile { path, file, len })
    }

    /// Appends one line; past [`ROTATE_AT`] the file becomes `<name>.1` and a new one starts.
    fn append(&mut self, entry: &Entry) -> std::io::Result<()> {
        if self.len >= ROTATE_AT {
            fs::rename(&self.path, self.path.with_extension("jsonl.1"))?;
            *self = LogFile::open(self.path.clone())?;
        }
        let mut line = serde_json::to_vec(entry).map_err(std::io::Error::other)?;
        line.push(b'\n');
        self.file.write_all(&line)?;
        self.len += line.len() as u64;
        Ok(())
    }
}

#[derive(Default)]
struct Inner {
    rings: [Ring; 2],
    next_id: u64,
}

/// The process's logs.
#[derive(Default)]
pub struct LogStore {
    inner: Mutex<Inner>,
}

impl LogStore {
    /// The store of this process, which the tracing layer writes and the routes read.
    pub fn global() -> &'static LogStore {
        static STORE: OnceLock<LogStore> = OnceLock::new();
        STORE.get_or_init(LogStore::default)
    }

    fn lock(&self) -> MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Persists to `dir` from now on (created if missing), after reading back the newest entries
    /// already there. Only the first call has an effect: one process, one directory.
    pub fn persist_to(&self, dir: &Path) -> std::io::Result<()> {
        let mut inner = self.lock();
        if inner.rings.iter().any(|r| r.file.is_some()) {
            return Ok(());
        }
        fs::create_dir_all(dir)?;
        for source in [Source::Insforge, Source::Function] {
            let path = dir.join(format!("{}.jsonl", source.name()));
            let mut old = read_tail(&path).unwrap_or_default();
            let file = LogFile::open(path)?;
            let ring = &mut inner.rings[source.index()];
            old.extend(ring.entries.drain(..));
            let skip = old.len().saturating_sub(CAPACITY);
            ring.entries = old.into_iter().skip(skip).collect();
            ring.last_activity = ring.entries.back().map(Entry::at);
            ring.file = Some(file);
        }
        let max_id = inner
            .rings
            .iter()
            .flat_map(|r| r.entries.iter())
            .filter_map(|e| e.id.parse::<u64>().ok())
            .max()
            .unwrap_or(0);
        inner.next_id = inner.next_id.max(max_id);
        Ok(())
    }

    /// Adds an entry built by `make` from its id and time.
    pub fn push(&self, source: Source, make: impl FnOnce(u64, DateTime<Utc>) -> Entry) {
        let mut inner = self.lock();
        inner.next_id += 1;
        let now = Utc::now();
        let entry = make(inner.next_id, now);
        let ring = &mut inner.rings[source.index()];
        if let Some(file) = &mut ring.file {
            // A log that cannot be written is not worth failing a request for.
            let _ = file.append(&entry);
        }
        if ring.entries.len() == CAPACITY {
            ring.entries.pop_front();
        }
        ring.entries.push_back(entry);
        ring.last_activity = Some(now);
    }

    /// The newest `limit` entries strictly before `before`, oldest first.
    pub fn before(&self, source: Source, before: DateTime<Utc>, limit: usize) -> Vec<Entry> {
        let inner = self.lock();
        let ring = &inner.rings[source.index()];
        let mut newest: Vec<Entry> = ring
            .entries
            .iter()
            .rev()
            .filter(|e| e.at() < before)
            .take(limit)
            .cloned()
            .collect();
        newest.reverse();
        newest
    }

    /// Every entry of `source`, oldest first, that `keep` accepts.
    pub fn matching(&self, source: Source, keep: impl Fn(&Entry) -> bool) -> Vec<Entry> {
        let inner = self.lock();
        inner.rings[source.index()]
            .entries
            .iter()
            .filter(|e| keep(e))
            .cloned()
            .collect()
    }

    /// How many entries a source holds, and when it was last written.
    pub fn stats(&self, source: Source) -> (usize, Option<DateTime<Utc>>) {
        let inner = self.lock();
        let ring = &inner.rings[source.index()];
        (ring.entries.len(), ring.last_activity)
    }
}

/// The last [`CAPACITY`] readable entries of a log file (at most its last `ROTATE_AT` bytes).
fn read_tail(path: &Path) -> std::io::Result<Vec<Entry>> {
    let mut file = File::open(path)?;
    let len = file.metadata()?.len();
    let start = len.saturating_sub(ROTATE_AT);
    file.seek(SeekFrom::Start(start))?;
    let mut lines = BufReader::new(file).lines();
    if start > 0 {
        // The first line may be cut.
        lines.next();
    }
    let entries: Vec<Entry> = lines
        .map_while(Result::ok)
        .filter_map(|line| serde_json::from_str(&line).ok())
        .collect();
    let skip = entries.len().saturating_sub(CAPACITY);
    Ok(entries.into_iter().skip(skip).collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn entry(id: u64, at: DateTime<Utc>) -> Entry {
        Entry::new(id, at, format!("line {id}"), json!({}))
    }

    #[test]
    fn newest_before_a_time_come_back_oldest_first_and_persist() {
        let dir = std::env::temp_dir().join(format!("oxforge-logs-{}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        let store = LogStore::default();
        store.push(Source::Insforge, entry);
        store.persist_to(&dir).unwrap();
        for _ in 0..4 {
            store.push(Source::Insforge, entry);
        }
        let all = store.before(Source::Insforge, Utc::now() + chrono::Duration::seconds(1), 3);
        let ids: Vec<&str> = all.iter().map(|e| e.id.as_str()).collect();
        assert_eq!(ids, ["3", "4", "5"]);
        assert_eq!(store.stats(Source::Insforge).0, 5);
        assert!(store.before(Source::Function, Utc::now(), 10).is_empty());

        // A new process reads the file back and goes on numbering after it.
        let again = LogStore::default();
        again.persist_to(&dir).unwrap();
        assert_eq!(
            again.stats(Source::Insforge).0,
            4,
            "the entries written after persist_to"
        );
        again.push(Source::Insforge, entry);
        let last = again.before(Source::Insforge, Utc::now() + chrono::Duration::seconds(1), 1);
        assert_eq!(last[0].id, "6");
        let _ = fs::remove_dir_all(&dir);
    }

    #[test]
    fn the_ring_is_bounded() {
        let store = LogStore::default();
        for _ in 0..CAPACITY + 5 {
            store.push(Source::Function, entry);
        }
        assert_eq!(store.stats(Source::Function).0, CAPACITY);
        let oldest = store.matching(Source::Function, |_| true)[0].id.clone();
        assert_eq!(oldest, "6");
    }
}
