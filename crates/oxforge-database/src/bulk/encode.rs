//! Rows → PostgreSQL's `COPY … FROM STDIN` text format, and which line of the file each copied
//! row came from (to name it when PostgreSQL refuses a value).

use bytes::BytesMut;

use super::parse::{BadInput, RowSink};

/// Which file line each copied row (1-based, as `COPY` counts them) starts on, kept as runs of a
/// constant stride: a CSV without multi-line values or a uniformly pretty-printed JSON array
/// needs one entry, whatever its length.
#[derive(Default)]
pub struct LineMap {
    /// `(row, line, stride)`: from `row` on, row `r` starts on `line + (r - row) * stride`.
    runs: Vec<(u64, u64, u64)>,
    last_line: u64,
}

impl LineMap {
    fn predict(&self, row: u64) -> Option<u64> {
        let &(from, line, stride) = self.runs.last()?;
        Some(line + (row - from) * stride)
    }

    pub fn record(&mut self, row: u64, line: u64) {
        if self.predict(row) != Some(line) {
            let stride = line.saturating_sub(self.last_line).max(1);
            self.runs.push((row, line, stride));
        }
        self.last_line = line;
    }

    pub fn line(&self, row: u64) -> Option<u64> {
        let index = self.runs.partition_point(|&(from, _, _)| from <= row);
        let &(from, line, stride) = self.runs.get(index.checked_sub(1)?)?;
        Some(line + (row - from) * stride)
    }
}

/// Collects the header and encodes rows into `buf`, which the caller drains into `COPY`.
#[derive(Default)]
pub struct Encoder {
    pub header: Option<(u64, Vec<String>)>,
    pub buf: BytesMut,
    pub rows: u64,
    pub lines: LineMap,
}

impl RowSink for Encoder {
    fn header(&mut self, line: u64, names: Vec<String>) -> Result<(), BadInput> {
        self.header = Some((line, names));
        Ok(())
    }

    fn row(&mut self, line: u64, values: &[Option<&str>]) -> Result<(), BadInput> {
        self.rows += 1;
        self.lines.record(self.rows, line);
        for (i, value) in values.iter().enumerate() {
            if i > 0 {
                self.buf.extend_from_slice(b"\t");
            }
            match value {
                None => self.buf.extend_from_slice(b"\\N"),
                Some(text) => escape(&mut self.buf, text).map_err(|()| {
                    BadInput::at(
                        line,
                        "a value contains a NUL character, which PostgreSQL text cannot hold",
                    )
                })?,
            }
        }
        self.buf.extend_from_slice(b"\n");
        Ok(())
    }
}

fn escape(buf: &mut BytesMut, text: &str) -> Result<(), ()> {
    let bytes = text.as_bytes();
    let mut from = 0;
    for (i, &b) in bytes.iter().enumerate() {
        let replacement: &[u8] = match b {
            b'\\' => b"\\\\",
            b'\t' => b"\\t",
            b'\n' => b"\\n",
            b'\r' => b"\\r",
            0 => return Err(()),
            _ => continue,
        };
        buf.extend_from_slice(&bytes[from..i]);
        buf.extend_from_slice(replacement);
        from = i + 1;
    }
    buf.extend_from_slice(&bytes[from..]);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn copy_text_escapes_and_nulls() {
        let mut e = Encoder::default();
        e.row(2, &[Some("a\tb\\c\nd\re"), None]).unwrap();
        assert_eq!(&e.buf[..], b"a\\tb\\\\c\\nd\\re\t\\N\n");
        assert!(e.row(3, &[Some("x\0")]).is_err());
    }

    #[test]
    fn line_map_keeps_runs_only() {
        let mut m = LineMap::default();
        for (row, line) in [(1, 2), (2, 3), (3, 4), (4, 7), (5, 8), (6, 20), (7, 24), (8, 28)] {
            m.record(row, line);
        }
        for (row, line) in [(1, 2), (2, 3), (3, 4), (4, 7), (5, 8), (6, 20), (7, 24), (8, 28)] {
            assert_eq!(m.line(row), Some(line), "row {row}");
        }
        assert_eq!(m.line(0), None);
        let mut uniform = LineMap::default();
        for row in 1..=1000 {
            uniform.record(row, 2 + (row - 1) * 3);
        }
        assert_eq!(uniform.runs.len(), 2, "the first row, then one stride");
        assert_eq!(uniform.line(1000), Some(2 + 999 * 3));
    }
}
