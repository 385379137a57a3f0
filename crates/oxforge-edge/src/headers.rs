//! Response headers more than one capability sends.

/// `Content-Range`'s value: `first-last/total` (or `*/total` for no rows), `*` when the total is
/// unknown.
pub fn content_range(offset: i64, rows: i64, total: Option<i64>) -> String {
    let total = total.map_or_else(|| "*".to_owned(), |t| t.to_string());
    if rows <= 0 {
        format!("*/{total}")
    } else {
        format!("{offset}-{}/{total}", offset + rows - 1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges() {
        assert_eq!(content_range(0, 10, Some(57)), "0-9/57");
        assert_eq!(content_range(5, 0, Some(0)), "*/0");
        assert_eq!(content_range(0, 3, None), "0-2/*");
    }
}
