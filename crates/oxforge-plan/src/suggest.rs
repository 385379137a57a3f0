//! "Did you mean …?" for a misspelt name, from the names the schema cache already holds.

/// The known name closest to `wanted`: same letters in another case, or within a small edit
/// distance (one edit for short names, two from eight characters on); ties go to the first
/// name in alphabetical order, so the answer is stable.
pub fn closest<'a>(wanted: &str, known: impl Iterator<Item = &'a str>) -> Option<&'a str> {
    let wanted_lower = wanted.to_lowercase();
    let limit = if wanted.chars().count() >= 8 { 2 } else { 1 };
    let mut best: Option<(usize, &str)> = None;
    for name in known {
        let distance = if name.to_lowercase() == wanted_lower {
            0
        } else {
            edit_distance(&wanted_lower, &name.to_lowercase())
        };
        if distance <= limit && best.is_none_or(|(d, n)| (distance, name) < (d, n)) {
            best = Some((distance, name));
        }
    }
    best.map(|(_, name)| name)
}

/// Levenshtein distance over characters.
fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut previous: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut current = vec![i + 1];
        for (j, cb) in b.iter().enumerate() {
            let substitute = previous[j] + usize::from(ca != *cb);
            current.push(substitute.min(previous[j + 1] + 1).min(current[j] + 1));
        }
        previous = current;
    }
    previous[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn close_names_are_suggested() {
        let known = ["todos", "profiles", "notes"];
        assert_eq!(closest("todo", known.into_iter()), Some("todos"));
        assert_eq!(closest("Todos", known.into_iter()), Some("todos"));
        assert_eq!(closest("note", known.into_iter()), Some("notes"));
        assert_eq!(closest("profile", known.into_iter()), Some("profiles"));
        assert_eq!(closest("profilez_", known.into_iter()), Some("profiles"));
        assert_eq!(closest("users", known.into_iter()), None);
        assert_eq!(closest("tdo", known.into_iter()), None);
        assert_eq!(edit_distance("kitten", "sitting"), 3);
    }
}
