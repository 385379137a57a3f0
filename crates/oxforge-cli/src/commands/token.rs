//! `token mint`: a test token signed with the project's JWT secret, shaped like the one the
//! Auth0 guide's Post-Login Action signs — so RLS can be tried from curl.

use std::path::Path;

use clap::Subcommand;
use jsonwebtoken::{Algorithm, EncodingKey, Header, encode};
use serde_json::json;

use super::client;
use crate::{CliError, Output};

#[derive(Subcommand)]
pub enum TokenCommand {
    /// Sign `{sub, role, aud:"insforge-api", email?, iat, exp}` with HS256.
    Mint {
        /// The user id the token names (`sub`), e.g. auth0|alice; requesting_user_id() returns it
        #[arg(long)]
        sub: String,
        /// `anon` or `authenticated` (the JWT secret never makes an admin: use the API key)
        #[arg(long, default_value = "authenticated", value_parser = ["anon", "authenticated"])]
        role: String,
        /// An `email` claim, as the Auth0 Action adds
        #[arg(long)]
        email: Option<String>,
        /// Lifetime: 3600, 90s, 30m, 1h, 7d
        #[arg(long, default_value = "1h")]
        ttl: String,
    },
}

fn seconds(ttl: &str) -> Result<i64, CliError> {
    let ttl = ttl.trim();
    let (number, unit) = ttl.split_at(ttl.find(|c: char| !c.is_ascii_digit()).unwrap_or(ttl.len()));
    let n: i64 = number
        .parse()
        .map_err(|_| CliError::usage(format!("invalid --ttl {ttl}: a positive number of s, m, h or d")))?;
    if n <= 0 {
        return Err(CliError::usage(format!("--ttl must be positive, not {ttl}")));
    }
    let scale = match unit {
        "" | "s" => 1,
        "m" => 60,
        "h" => 3600,
        "d" => 86400,
        _ => return Err(CliError::usage(format!("invalid --ttl unit in {ttl} (s, m, h or d)"))),
    };
    n.checked_mul(scale)
        .ok_or_else(|| CliError::usage(format!("--ttl {ttl} is too long")))
}

pub async fn run(cmd: TokenCommand, out: Output, dir: &Path) -> Result<(), CliError> {
    let TokenCommand::Mint { sub, role, email, ttl } = cmd;
    let ttl = seconds(&ttl)?;
    if sub.trim().is_empty() {
        return Err(CliError::usage(
            "--sub must not be empty: the server refuses tokens without a subject",
        ));
    }
    let secret = client(dir)?.get("/api/secrets/JWT_SECRET").await?;
    let secret = secret["value"]
        .as_str()
        .ok_or_else(|| CliError::general("the server returned no JWT secret"))?;
    let now = chrono::Utc::now().timestamp();
    let mut claims = json!({ "sub": sub, "role": role, "aud": "insforge-api", "iat": now, "exp": now + ttl });
    if let Some(email) = email {
        claims["email"] = email.into();
    }
    let token = encode(
        &Header::new(Algorithm::HS256),
        &claims,
        &EncodingKey::from_secret(secret.as_bytes()),
    )
    .map_err(|e| CliError::general(e.to_string()))?;
    if out.json {
        out.json_value(&json!({ "token": token, "claims": claims }));
    } else {
        println!("{token}");
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::seconds;

    #[test]
    fn ttl_units() {
        assert_eq!(seconds("3600").unwrap(), 3600);
        assert_eq!(seconds("90s").unwrap(), 90);
        assert_eq!(seconds("30m").unwrap(), 1800);
        assert_eq!(seconds("1h").unwrap(), 3600);
        assert_eq!(seconds("7d").unwrap(), 604800);
        assert!(seconds("1w").is_err() && seconds("h").is_err());
        for bad in ["0", "0s", "-5", "-1h", "99999999999999999d"] {
            assert_eq!(
                seconds(bad).map_err(|e| e.exit),
                Err(crate::error::exit::USAGE),
                "{bad}"
            );
        }
    }
}
