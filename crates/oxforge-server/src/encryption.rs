//! Where the key that seals `system.secrets` comes from: `ENCRYPTION_KEY` (InsForge's name) when
//! set; otherwise, for the embedded cluster, a key file beside it (`<data dir>/encryption.key`,
//! mode 0600, created on first start and readable only by the user oxforge runs as — not by the
//! `postgres` user); otherwise (an external PostgreSQL and no key) plain text, with a warning.

use std::io::Write;
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};

use oxforge_db::SecretCipher;

use crate::{Config, StartError};

pub const KEY_FILE: &str = "encryption.key";

/// How the secrets are protected, for the start-up summary.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeySource {
    /// `ENCRYPTION_KEY` from the environment or `encryption_key` in `oxforge.toml`.
    Configured,
    /// The embedded cluster's key file.
    File(PathBuf),
    /// No key: secrets are stored in plain text.
    None,
}

fn io_error(path: &Path, action: &str, e: std::io::Error) -> StartError {
    StartError::Config(format!(
        "cannot {action} the encryption key file {}: {e}",
        path.display()
    ))
}

/// Reads the key file, or creates it (0600) with 32 random bytes in hex.
fn key_file(data_dir: &Path) -> Result<(String, PathBuf), StartError> {
    let path = data_dir.join(KEY_FILE);
    match std::fs::read_to_string(&path) {
        Ok(text) => {
            let mode = std::fs::metadata(&path)
                .map(|m| m.permissions().mode() & 0o777)
                .unwrap_or(0);
            if mode & 0o077 != 0 {
                std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600))
                    .map_err(|e| io_error(&path, "restrict", e))?;
                tracing::warn!(path = %path.display(), "the encryption key file was readable by others; it is 0600 now");
            }
            Ok((text.trim().to_owned(), path))
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            let key = oxforge_auth::keys::generate_jwt_secret();
            let mut file = std::fs::OpenOptions::new()
                .write(true)
                .create_new(true)
                .mode(0o600)
                .open(&path)
                .map_err(|e| io_error(&path, "create", e))?;
            file.write_all(format!("{key}\n").as_bytes())
                .and_then(|()| file.sync_all())
                .map_err(|e| io_error(&path, "write", e))?;
            Ok((key, path))
        }
        Err(e) => Err(io_error(&path, "read", e)),
    }
}

/// The cipher for this start, and where its key came from.
pub fn secret_cipher(config: &Config, embedded: bool) -> Result<(SecretCipher, KeySource), StartError> {
    if let Some(material) = &config.encryption_key {
        return Ok((SecretCipher::from_material(material)?, KeySource::Configured));
    }
    if embedded {
        let (material, path) = key_file(&config.data_dir)?;
        return Ok((SecretCipher::from_material(&material)?, KeySource::File(path)));
    }
    tracing::warn!(
        "no ENCRYPTION_KEY: the project's secrets are stored in the database in plain text; \
         set ENCRYPTION_KEY (the same on every oxforge process) to encrypt them"
    );
    Ok((SecretCipher::plaintext(), KeySource::None))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_key_file_is_created_private_and_reused() {
        let dir = tempfile::tempdir().unwrap();
        let (first, path) = key_file(dir.path()).unwrap();
        assert_eq!(first.len(), 64);
        assert_eq!(std::fs::metadata(&path).unwrap().permissions().mode() & 0o777, 0o600);
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
        let (again, _) = key_file(dir.path()).unwrap();
        assert_eq!(first, again);
        assert_eq!(std::fs::metadata(&path).unwrap().permissions().mode() & 0o777, 0o600);
    }
}
