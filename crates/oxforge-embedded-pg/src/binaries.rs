//! Finding the PostgreSQL server binaries (`initdb`, `postgres`).

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::Error;

fn has_server_binaries(dir: &Path) -> bool {
    dir.join("initdb").is_file() && dir.join("postgres").is_file()
}

/// Finds a directory holding `initdb` and `postgres`: the explicit choice if given, then
/// `pg_config --bindir`, then the highest version under `/usr/lib/postgresql/*/bin`, then `PATH`.
pub fn find_bin_dir(explicit: Option<&Path>) -> Result<PathBuf, Error> {
    if let Some(dir) = explicit {
        return if has_server_binaries(dir) {
            Ok(dir.to_path_buf())
        } else {
            Err(Error::BinariesNotFound)
        };
    }
    if let Ok(out) = Command::new("pg_config").arg("--bindir").output()
        && out.status.success()
    {
        let dir = PathBuf::from(String::from_utf8_lossy(&out.stdout).trim());
        if has_server_binaries(&dir) {
            return Ok(dir);
        }
    }
    if let Some(dir) = highest_debian_version(Path::new("/usr/lib/postgresql")) {
        return Ok(dir);
    }
    std::env::var_os("PATH")
        .into_iter()
        .flat_map(|paths| std::env::split_paths(&paths).collect::<Vec<_>>())
        .find(|dir| has_server_binaries(dir))
        .ok_or(Error::BinariesNotFound)
}

fn highest_debian_version(root: &Path) -> Option<PathBuf> {
    let mut versions: Vec<(u32, PathBuf)> = std::fs::read_dir(root)
        .ok()?
        .filter_map(|entry| {
            let entry = entry.ok()?;
            let version: u32 = entry.file_name().to_str()?.parse().ok()?;
            let bin = entry.path().join("bin");
            has_server_binaries(&bin).then_some((version, bin))
        })
        .collect();
    versions.sort();
    versions.pop().map(|(_, dir)| dir)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn explicit_dir_without_binaries_is_rejected() {
        let dir = tempfile::tempdir().unwrap();
        assert!(matches!(find_bin_dir(Some(dir.path())), Err(Error::BinariesNotFound)));
    }

    #[test]
    fn picks_the_highest_version() {
        let root = tempfile::tempdir().unwrap();
        for v in ["13", "15", "notaversion"] {
            let bin = root.path().join(v).join("bin");
            std::fs::create_dir_all(&bin).unwrap();
            std::fs::write(bin.join("initdb"), "").unwrap();
            std::fs::write(bin.join("postgres"), "").unwrap();
        }
        let found = highest_debian_version(root.path()).unwrap();
        assert_eq!(found, root.path().join("15").join("bin"));
    }
}
