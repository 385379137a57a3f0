//! The start-up summary: what a person needs to use the server that just started.

use std::io::Write;

use oxforge_server::{DatabaseInfo, KeySource, StartupInfo};

pub fn print(info: &StartupInfo) {
    let s = &info.secrets;
    let mut out = String::new();
    out.push_str(&format!("\noxforge {} is ready\n\n", env!("CARGO_PKG_VERSION")));
    out.push_str(&format!("  API URL      {}\n", info.api_url));
    out.push_str(&format!("  Anon key     {}\n", s.anon_key));
    out.push_str(&format!("  API key      {}   (admin: keep it private)\n", s.api_key));
    out.push_str(&format!("  Admin        {} / {}\n", s.admin_username, s.admin_password));
    out.push_str(&format!(
        "  JWT secret   curl -H \"Authorization: Bearer {}\" {}/api/secrets/JWT_SECRET\n",
        s.api_key, info.api_url
    ));
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
                tcp_url.as_deref().map(|u| format!(", TCP {u}")).unwrap_or_default()
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
