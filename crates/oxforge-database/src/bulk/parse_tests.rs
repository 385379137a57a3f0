use super::*;

#[derive(Default)]
struct Collect {
    header: Vec<String>,
    rows: Vec<(u64, Vec<Option<String>>)>,
}

impl RowSink for Collect {
    fn header(&mut self, _: u64, names: Vec<String>) -> Result<(), BadInput> {
        self.header = names;
        Ok(())
    }
    fn row(&mut self, line: u64, values: &[Option<&str>]) -> Result<(), BadInput> {
        self.rows
            .push((line, values.iter().map(|v| v.map(str::to_owned)).collect()));
        Ok(())
    }
}

fn csv(text: &str, chunk: usize) -> Result<Collect, BadInput> {
    let mut rows = CsvRows::default();
    let mut sink = Collect::default();
    for piece in text.as_bytes().chunks(chunk) {
        rows.push(piece, &mut sink)?;
    }
    rows.finish(&mut sink)?;
    Ok(sink)
}

fn json(text: &str, chunk: usize) -> Result<Collect, BadInput> {
    let mut rows = JsonRows::default();
    let mut sink = Collect::default();
    for piece in text.as_bytes().chunks(chunk) {
        rows.push(piece, &mut sink)?;
    }
    rows.finish()?;
    Ok(sink)
}

#[test]
fn csv_in_any_chunks_gives_the_same_rows_and_lines() {
    let text = "\u{feff}id,name\n1,\"a\nb\"\n\n2,\n3,\"x,\"\"y\"\"\"";
    for chunk in [1, 2, 3, 7, 1000] {
        let got = csv(text, chunk).unwrap();
        assert_eq!(got.header, ["id", "name"]);
        assert_eq!(
            got.rows,
            [
                (2, vec![Some("1".into()), Some("a\nb".into())]),
                (5, vec![Some("2".into()), None]),
                (6, vec![Some("3".into()), Some("x,\"y\"".into())]),
            ],
            "chunk {chunk}"
        );
    }
}

#[test]
fn bad_csv_names_its_line() {
    assert_eq!(csv("a,b\n1,2\n3\n", 4).err().map(|e| e.line), Some(3));
    assert_eq!(csv("a,b\n1,2\n3,\"x\n", 4).err().map(|e| e.line), Some(3));
}

#[test]
fn json_arrays_and_lone_objects() {
    let text = "[\n {\"id\": 1, \"tags\": {\"a\": [1, \"]\"]}},\n {\"id\": \"\", \"tags\": null}\n]\n";
    for chunk in [1, 5, 1000] {
        let got = json(text, chunk).unwrap();
        assert_eq!(got.header, ["id", "tags"]);
        assert_eq!(
            got.rows,
            [
                (2, vec![Some("1".into()), Some("{\"a\":[1,\"]\"]}".into())]),
                (3, vec![None, None]),
            ]
        );
    }
    assert_eq!(json("{\"a\":1}", 3).unwrap().rows.len(), 1);
}

#[test]
fn bad_json_names_its_line() {
    assert_eq!(json("[{\"a\":1},\n{\"b\":2}]", 4).err().map(|e| e.line), Some(2));
    assert_eq!(json("[{\"a\":1},\n{\"a\":2}", 4).err().map(|e| e.line), Some(2));
    assert_eq!(json("[{\"a\":1},\n 5]", 4).err().map(|e| e.line), Some(2));
    assert_eq!(json("[{\"a\":1},\n{\"a\":tru}]", 4).err().map(|e| e.line), Some(2));
}
