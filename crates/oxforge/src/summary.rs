//! The start-up summary: what a person needs to use the server that just started.

use std::io::{IsTerminal, Write};

use oxforge_server::{DatabaseInfo, KeySource, StartupInfo};

/// Secrets (the API key, the admin password, PostgreSQL's password) are shown when they were
/// just created, or to a person at a terminal; a restart writing into a log file shows how to
/// get them instead, so logs do not collect them start after start.
pub fn print(info: &StartupInfo) {
    let reveal = info.secrets.first_start || std::io::stdout().is_terminal();
    let s = &info.secrets;
    let mut out = String::new();
    out.push_str(&format!("\noxforge {} is ready\n\n", env!("CARGO_PKG_VERSION")));
    out.push_str(&format!("  API URL      {}\n", info.api_url));
    if let Some(url) = &info.dashboard_url {
        out.push_str(&format!(
            "  Dashboard    {url}   (sign in with the admin credentials)\n"
        ));
    }
    out.push_str(&format!("  Anon key     {}\n", s.anon_key));
    if reveal {
        out.push_str(&format!("  API key      {}   (admin: keep it private)\n", s.api_key));
        out.push_str(&format!("  Admin        {} / {}\n", s.admin_username, s.admin_password));
        out.push_str(&format!(
            "  JWT secret   curl -H \"Authorization: Bearer {}\" {}/api/secrets/JWT_SECRET\n",
            s.api_key, info.api_url
        ));
    } else {
        out.push_str(&format!(
            "  Keys         the API key and admin password are shown only at the first start or on a terminal;\n               \
             `oxforge login --url {} --username {}` links a directory with the API key \
             (admin password lost? set ROOT_ADMIN_PASSWORD and restart)\n",
            info.api_url, s.admin_username
        ));
    }
    match &info.database {
        DatabaseInfo::Embedded {
            data_dir,
            socket_dir,
            created,
            tcp_url,
            ..
        } => {
            let fresh = if *created { " (created now)" } else { "" };
            out.push_str(&format!("  Data         {}{fresh}\n", data_dir.display()));
            out.push_str(&format!(
                "  PostgreSQL   embedded, socket in {}{}\n",
                socket_dir.display(),
                tcp_url
                    .as_deref()
                    .map(|u| format!(", TCP {}", if reveal { u.to_owned() } else { hide_password(u) }))
                    .unwrap_or_default()
            ));
        }
        DatabaseInfo::External => out.push_str("  Data         the PostgreSQL at DATABASE_URL\n"),
    }
    out.push_str(&match &info.encryption {
        KeySource::Configured => "  Secrets      encrypted in the database (ENCRYPTION_KEY)\n".to_owned(),
        KeySource::File(path) => format!(
            "  Secrets      encrypted in the database, key in {} (back it up)\n",
            path.display()
        ),
        KeySource::None => "  Secrets      PLAIN TEXT in the database: set ENCRYPTION_KEY to encrypt them\n".to_owned(),
    });
    out.push('\n');
    let mut stdout = std::io::stdout().lock();
    let _ = stdout.write_all(out.as_bytes());
    let _ = stdout.flush();
}

/// `postgres://user:secret@host/db` → `postgres://user:…@host/db`.
fn hide_password(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme), Some(at)) if at > scheme => {
            let credentials = &url[scheme + 3..at];
            match credentials.find(':') {
                Some(colon) => format!("{}:…{}", &url[..scheme + 3 + colon], &url[at..]),
                None => url.to_owned(),
            }
        }
        _ => url.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn hides_the_password_only() {
        assert_eq!(
            super::hide_password("postgresql://postgres:s3cr%40t@127.0.0.1:5433/postgres"),
            "postgresql://postgres:…@127.0.0.1:5433/postgres"
        );
        assert_eq!(super::hide_password("postgres://u@h/d"), "postgres://u@h/d");
    }
}
