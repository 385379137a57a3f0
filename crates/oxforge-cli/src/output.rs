//! Human output (tables, `✓` lines, colour unless `NO_COLOR`) or `--json`.

use std::io::IsTerminal;

use serde_json::Value;

use crate::CliError;

#[derive(Debug, Clone, Copy)]
pub struct Output {
    pub json: bool,
    pub yes: bool,
    color: bool,
}

impl Output {
    pub fn new(json: bool, yes: bool) -> Self {
        let color = !json && std::env::var_os("NO_COLOR").is_none() && std::io::stdout().is_terminal();
        Output { json, yes, color }
    }

    fn paint(&self, code: &str, text: &str) -> String {
        if self.color {
            format!("\x1b[{code}m{text}\x1b[0m")
        } else {
            text.to_owned()
        }
    }

    pub fn success(&self, message: &str) {
        if !self.json {
            println!("{} {message}", self.paint("32", "✓"));
        }
    }

    pub fn info(&self, message: &str) {
        if !self.json {
            println!("{message}");
        }
    }

    /// `--json`: the value, pretty-printed; otherwise nothing.
    pub fn json_value(&self, value: &Value) {
        if self.json {
            println!("{}", serde_json::to_string_pretty(value).unwrap_or_default());
        }
    }

    /// A table with a header row; `empty` is said when there are no rows.
    pub fn table(&self, headers: &[&str], rows: &[Vec<String>], empty: &str) {
        if self.json {
            return;
        }
        if rows.is_empty() {
            println!("{empty}");
            return;
        }
        let widths: Vec<usize> = headers
            .iter()
            .enumerate()
            .map(|(i, h)| {
                rows.iter()
                    .map(|r| r.get(i).map_or(0, |c| c.chars().count()))
                    .max()
                    .unwrap_or(0)
                    .max(h.chars().count())
            })
            .collect();
        let line = |cells: Vec<String>| {
            cells
                .iter()
                .enumerate()
                .map(|(i, c)| format!("{c:<w$}", w = widths[i]))
                .collect::<Vec<_>>()
                .join("  ")
        };
        println!(
            "{}",
            self.paint("36", &line(headers.iter().map(|h| (*h).to_owned()).collect()))
        );
        for row in rows {
            println!("{}", line(row.clone()).trim_end());
        }
    }

    pub fn error(&self, e: &CliError) {
        if self.json {
            let mut v = serde_json::json!({ "error": e.message, "code": e.code });
            if let Some(status) = e.status {
                v["status"] = status.into();
            }
            if let Some(next) = &e.next_actions {
                v["nextActions"] = next.clone().into();
            }
            eprintln!("{v}");
        } else {
            eprintln!("Error: {}", e.message);
            if let Some(next) = &e.next_actions {
                eprintln!("  {next}");
            }
        }
    }

    /// Asks before something destructive; `-y` answers yes. `--json` does not imply `-y`.
    pub fn confirm(&self, question: &str) -> Result<bool, CliError> {
        if self.yes {
            return Ok(true);
        }
        if self.json || !std::io::stdin().is_terminal() {
            return Err(CliError::general(format!(
                "{question} — pass -y to confirm when not interactive"
            )));
        }
        eprint!("{question} [y/N] ");
        let mut answer = String::new();
        std::io::stdin().read_line(&mut answer)?;
        Ok(matches!(answer.trim(), "y" | "Y" | "yes"))
    }

    /// A spinner on stderr while `future` runs (terminals only, never with `--json`).
    pub async fn spin<T>(&self, label: &str, future: impl std::future::Future<Output = T>) -> T {
        if self.json || !std::io::stderr().is_terminal() {
            return future.await;
        }
        let bar = indicatif::ProgressBar::new_spinner();
        bar.set_message(label.to_owned());
        bar.enable_steady_tick(std::time::Duration::from_millis(80));
        let out = future.await;
        bar.finish_and_clear();
        out
    }
}

/// A cell for a JSON value: strings bare, null empty, the rest as JSON.
pub fn cell(v: &Value) -> String {
    match v {
        Value::Null => String::new(),
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}
