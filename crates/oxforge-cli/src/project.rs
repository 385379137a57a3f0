//! `.insforge/project.json`, shared with InsForge's CLI (same sentinel ids for self-hosted links),
//! and the `INSFORGE_URL` / `INSFORGE_API_KEY` overrides.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::CliError;

pub const SELF_HOSTED_PROJECT_ID: &str = "fa4e0000-1234-5678-90ab-cd1234567890";
pub const SELF_HOSTED_ORG_ID: &str = "fa4e0001-1234-5678-90ab-cd1234567890";

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct ProjectConfig {
    pub project_id: String,
    pub project_name: String,
    pub org_id: String,
    pub appkey: String,
    pub region: String,
    pub api_key: String,
    pub oss_host: String,
}

impl ProjectConfig {
    pub fn self_hosted(url: &str, api_key: &str) -> Self {
        ProjectConfig {
            project_id: SELF_HOSTED_PROJECT_ID.into(),
            project_name: "oss-project".into(),
            org_id: SELF_HOSTED_ORG_ID.into(),
            appkey: "ossfkey".into(),
            region: "us-test".into(),
            api_key: api_key.into(),
            oss_host: url.trim_end_matches('/').into(),
        }
    }
}

pub fn path(dir: &Path) -> PathBuf {
    dir.join(".insforge").join("project.json")
}

pub fn read(dir: &Path) -> Result<Option<ProjectConfig>, CliError> {
    match std::fs::read_to_string(path(dir)) {
        Ok(text) => serde_json::from_str(&text)
            .map(Some)
            .map_err(|e| CliError::general(format!("{} is not a valid project file: {e}", path(dir).display()))),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(e.into()),
    }
}

pub fn write(dir: &Path, config: &ProjectConfig) -> Result<(), CliError> {
    let file = path(dir);
    if let Some(parent) = file.parent() {
        std::fs::create_dir_all(parent)?;
    }
    let text = serde_json::to_string_pretty(config).map_err(|e| CliError::general(e.to_string()))?;
    write_private(&file, &(text + "\n"))
}

pub fn write_private(file: &Path, text: &str) -> Result<(), CliError> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let mut f = std::fs::OpenOptions::new()
        .create(true)
        .write(true)
        .truncate(true)
        .mode(0o600)
        .open(file)?;
    f.write_all(text.as_bytes())?;
    Ok(())
}

/// Where to send requests: the environment wins over the project file.
pub fn target(dir: &Path) -> Result<(String, String), CliError> {
    let file = read(dir)?;
    let url = std::env::var("INSFORGE_URL")
        .ok()
        .filter(|v| !v.is_empty())
        .or_else(|| file.as_ref().map(|f| f.oss_host.clone()));
    let key = std::env::var("INSFORGE_API_KEY")
        .ok()
        .filter(|v| !v.is_empty())
        .or_else(|| file.as_ref().map(|f| f.api_key.clone()));
    match (url, key) {
        (Some(url), Some(key)) => Ok((url.trim_end_matches('/').to_owned(), key)),
        _ => Err(CliError::not_linked()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_with_private_permissions() {
        let dir = tempfile::tempdir().unwrap();
        assert_eq!(read(dir.path()).unwrap(), None);
        let config = ProjectConfig::self_hosted("http://127.0.0.1:7130/", "ik_x");
        write(dir.path(), &config).unwrap();
        let back = read(dir.path()).unwrap().unwrap();
        assert_eq!(back.oss_host, "http://127.0.0.1:7130");
        assert_eq!(back.project_id, SELF_HOSTED_PROJECT_ID);
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(path(dir.path())).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
    }
}
