//! Incremental readers of an uploaded file, fed chunk by chunk: CSV (`csv-core`, with a header
//! row) and a JSON array of objects (a scanner that cuts the array into objects, each parsed
//! alone by `serde_json`). Neither holds more than one record; each hands rows, aligned to the
//! header, to a [`RowSink`] with the line the record starts on.

use serde_json::{Map, Value};

/// The largest record (one CSV row, one JSON object), in bytes: past it the file is refused
/// (an unbalanced quote would otherwise swallow the rest of the file).
pub const MAX_RECORD: usize = 16 * 1024 * 1024;

/// Input refused at a line of the file.
#[derive(Debug, PartialEq, Eq)]
pub struct BadInput {
    pub line: u64,
    pub message: String,
}

impl BadInput {
    pub fn at(line: u64, message: impl Into<String>) -> Self {
        Self {
            line,
            message: message.into(),
        }
    }
}

/// Where the rows go.
pub trait RowSink {
    /// The column names (the CSV header, the first object's keys), once, before any row.
    fn header(&mut self, line: u64, names: Vec<String>) -> Result<(), BadInput>;
    /// One record, aligned to the header; `None` is SQL `NULL`.
    fn row(&mut self, line: u64, values: &[Option<&str>]) -> Result<(), BadInput>;
}

/// InsForge's rule for both formats: an empty string is `NULL`.
fn value(text: &str) -> Option<&str> {
    (!text.is_empty()).then_some(text)
}

/// A CSV file with a header row (RFC 4180; a UTF-8 BOM is skipped; blank lines are skipped).
pub struct CsvRows {
    reader: csv_core::Reader,
    out: Vec<u8>,
    ends: Vec<usize>,
    /// `out`/`ends` hold the start of a record not finished yet.
    nout: usize,
    nend: usize,
    fresh: bool,
    start_line: u64,
    /// Quotes seen in the record so far: odd at the end of the file means an unclosed quote.
    quotes: usize,
    columns: Option<usize>,
    /// The first bytes, until a UTF-8 BOM can be told apart.
    head: Option<Vec<u8>>,
}

impl Default for CsvRows {
    fn default() -> Self {
        Self {
            reader: csv_core::Reader::new(),
            out: vec![0; 64 * 1024],
            ends: vec![0; 64],
            nout: 0,
            nend: 0,
            fresh: true,
            start_line: 1,
            quotes: 0,
            columns: None,
            head: Some(Vec::new()),
        }
    }
}

impl CsvRows {
    pub fn push(&mut self, input: &[u8], sink: &mut impl RowSink) -> Result<(), BadInput> {
        const BOM: &[u8] = b"\xEF\xBB\xBF";
        let Some(mut head) = self.head.take() else {
            return self.feed(input, sink);
        };
        head.extend_from_slice(input);
        if head.len() < BOM.len() && BOM.starts_with(&head) {
            self.head = Some(head);
            return Ok(());
        }
        self.feed(head.strip_prefix(BOM).unwrap_or(&head), sink)
    }

    fn feed(&mut self, mut input: &[u8], sink: &mut impl RowSink) -> Result<(), BadInput> {
        while !input.is_empty() {
            if self.fresh {
                let blank = input.iter().take_while(|b| matches!(b, b'\n' | b'\r')).count();
                let newlines = input[..blank].iter().filter(|b| **b == b'\n').count() as u64;
                self.reader.set_line(self.reader.line() + newlines);
                input = &input[blank..];
                if input.is_empty() {
                    break;
                }
                self.start_line = self.reader.line();
                self.fresh = false;
            }
            input = self.step(input, sink)?;
        }
        Ok(())
    }

    /// The end of the file.
    pub fn finish(&mut self, sink: &mut impl RowSink) -> Result<(), BadInput> {
        if let Some(head) = self.head.take() {
            self.feed(&head, sink)?;
        }
        if !self.fresh {
            self.step(&[], sink)?;
        }
        Ok(())
    }

    fn step<'i>(&mut self, input: &'i [u8], sink: &mut impl RowSink) -> Result<&'i [u8], BadInput> {
        use csv_core::ReadRecordResult as R;
        let (result, nin, nout, nend) =
            self.reader
                .read_record(input, &mut self.out[self.nout..], &mut self.ends[self.nend..]);
        self.quotes += input[..nin].iter().filter(|b| **b == b'"').count();
        // `ends` count from the record's start (csv-core keeps its position across calls).
        self.nout += nout;
        self.nend += nend;
        match result {
            R::InputEmpty | R::End => {}
            R::OutputFull => self.grow_out()?,
            R::OutputEndsFull => {
                if self.ends.len() >= 1664 {
                    return Err(BadInput::at(self.start_line, "too many fields (at most 1664)"));
                }
                self.ends.resize(self.ends.len() * 2, 0);
            }
            R::Record => {
                if input.is_empty() && self.quotes % 2 == 1 {
                    return Err(BadInput::at(self.start_line, "unterminated quoted field"));
                }
                self.record(sink)?;
                self.nout = 0;
                self.nend = 0;
                self.quotes = 0;
                self.fresh = true;
            }
        }
        Ok(&input[nin..])
    }

    fn grow_out(&mut self) -> Result<(), BadInput> {
        if self.out.len() >= MAX_RECORD {
            return Err(BadInput::at(
                self.start_line,
                format!("record longer than {MAX_RECORD} bytes (an unbalanced quote?)"),
            ));
        }
        self.out.resize(self.out.len() * 2, 0);
        Ok(())
    }

    fn record(&mut self, sink: &mut impl RowSink) -> Result<(), BadInput> {
        let line = self.start_line;
        let mut fields = Vec::with_capacity(self.nend);
        let mut start = 0;
        for &end in &self.ends[..self.nend] {
            let text = std::str::from_utf8(&self.out[start..end])
                .map_err(|_| BadInput::at(line, "the file is not valid UTF-8"))?;
            fields.push(text);
            start = end;
        }
        match self.columns {
            None => {
                self.columns = Some(fields.len());
                sink.header(line, fields.iter().map(|f| f.trim().to_owned()).collect())
            }
            Some(n) if fields.len() != n => Err(BadInput::at(
                line,
                format!(
                    "wrong number of fields: {} (the header has {n}; an unbalanced quote?)",
                    fields.len()
                ),
            )),
            Some(_) => {
                let values: Vec<Option<&str>> = fields.into_iter().map(value).collect();
                sink.row(line, &values)
            }
        }
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Json {
    /// Before the opening `[` (or a lone top-level object).
    Start,
    /// In the array, before an object, a `,` or the `]`.
    Between,
    /// In an object: its nesting depth, inside a string, after a backslash.
    Object { depth: u32, string: bool, escape: bool },
    /// After the closing `]` (or the lone object).
    Done,
}

/// A JSON array of objects (or a single object, as InsForge accepts). The first object's keys
/// are the columns; a later object may omit some (`NULL`) but not add others.
pub struct JsonRows {
    state: Json,
    lone: bool,
    line: u64,
    start_line: u64,
    buf: Vec<u8>,
    columns: Option<Vec<String>>,
}

impl Default for JsonRows {
    fn default() -> Self {
        Self {
            state: Json::Start,
            lone: false,
            line: 1,
            start_line: 1,
            buf: Vec::new(),
            columns: None,
        }
    }
}

impl JsonRows {
    pub fn push(&mut self, input: &[u8], sink: &mut impl RowSink) -> Result<(), BadInput> {
        let mut from = 0;
        for (i, &b) in input.iter().enumerate() {
            match self.state {
                Json::Object {
                    mut depth,
                    mut string,
                    mut escape,
                } => {
                    if escape {
                        escape = false;
                    } else if string {
                        match b {
                            b'\\' => escape = true,
                            b'"' => string = false,
                            _ => {}
                        }
                    } else {
                        match b {
                            b'"' => string = true,
                            b'{' | b'[' => depth += 1,
                            b'}' | b']' => depth -= 1,
                            _ => {}
                        }
                    }
                    if depth == 0 {
                        self.buf.extend_from_slice(&input[from..=i]);
                        self.object(sink)?;
                        self.state = if self.lone { Json::Done } else { Json::Between };
                    } else {
                        self.state = Json::Object { depth, string, escape };
                    }
                }
                _ if b.is_ascii_whitespace() => {}
                Json::Start if b == b'[' => self.state = Json::Between,
                Json::Start | Json::Between if b == b'{' => {
                    self.lone = self.state == Json::Start;
                    self.start_line = self.line;
                    self.state = Json::Object {
                        depth: 1,
                        string: false,
                        escape: false,
                    };
                    from = i;
                    self.buf.clear();
                }
                Json::Between if b == b',' => {}
                Json::Between if b == b']' => self.state = Json::Done,
                Json::Start => return Err(BadInput::at(self.line, "expected a JSON array of objects")),
                Json::Between => return Err(BadInput::at(self.line, "expected an object, `,` or `]`")),
                Json::Done => return Err(BadInput::at(self.line, "unexpected content after the JSON value")),
            }
            if b == b'\n' {
                self.line += 1;
            }
        }
        if let Json::Object { .. } = self.state {
            if self.buf.len() + input.len() - from > MAX_RECORD {
                return Err(BadInput::at(
                    self.start_line,
                    format!("object longer than {MAX_RECORD} bytes"),
                ));
            }
            self.buf.extend_from_slice(&input[from..]);
        }
        Ok(())
    }

    pub fn finish(&mut self) -> Result<(), BadInput> {
        match self.state {
            Json::Done => Ok(()),
            Json::Start => Ok(()),
            Json::Object { .. } => Err(BadInput::at(self.start_line, "unterminated JSON object")),
            Json::Between => Err(BadInput::at(self.line, "unterminated JSON array")),
        }
    }

    fn object(&mut self, sink: &mut impl RowSink) -> Result<(), BadInput> {
        let line = self.start_line;
        let object: Map<String, Value> =
            serde_json::from_slice(&self.buf).map_err(|e| BadInput::at(line + e.line() as u64 - 1, e.to_string()))?;
        self.buf.clear();
        let columns = match &self.columns {
            Some(columns) => columns,
            None => {
                let names: Vec<String> = object.keys().cloned().collect();
                sink.header(line, names.clone())?;
                self.columns.insert(names)
            }
        };
        if let Some(extra) = object.keys().find(|k| !columns.contains(k)) {
            return Err(BadInput::at(
                line,
                format!("key '{extra}' is not among the first object's keys"),
            ));
        }
        let texts: Vec<Option<String>> = columns
            .iter()
            .map(|c| match object.get(c) {
                None | Some(Value::Null) => None,
                Some(Value::String(s)) => Some(s.clone()),
                Some(other) => Some(other.to_string()),
            })
            .collect();
        let values: Vec<Option<&str>> = texts.iter().map(|t| t.as_deref().and_then(value)).collect();
        sink.row(line, &values)
    }
}

#[cfg(test)]
#[path = "parse_tests.rs"]
mod tests;
