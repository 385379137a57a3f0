use std::path::PathBuf;

/// Why the embedded cluster could not be prepared, started or stopped.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error(
        "PostgreSQL server binaries not found (looked at `pg_config --bindir`, /usr/lib/postgresql/*/bin and PATH). \
         Install them (Debian/Ubuntu: `apt-get install postgresql-15`) or set DATABASE_URL to use an existing server"
    )]
    BinariesNotFound,

    #[error(
        "running as root, but there is no `postgres` system user to run PostgreSQL as (PostgreSQL refuses to run as root). \
         Create one (`useradd --system postgres`, or install the postgresql package), run oxforge as a normal user, \
         or set DATABASE_URL"
    )]
    NoPostgresUser,

    #[error(
        "PostgreSQL runs as the `postgres` user and cannot reach {dir}: {ancestor} is not searchable by others. \
         Choose a --data-dir that `postgres` can reach (for example /var/lib/oxforge) or run `chmod o+x {ancestor}`"
    )]
    DataDirUnreachable { dir: PathBuf, ancestor: PathBuf },

    #[error("{action} {path}: {source}")]
    Io {
        action: &'static str,
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },

    #[error("`{command}` failed ({status}); output:\n{output}")]
    CommandFailed {
        command: String,
        status: String,
        output: String,
    },

    #[error("PostgreSQL did not become ready within {seconds} s; the end of its log ({log}):\n{tail}")]
    NotReady { seconds: u64, log: PathBuf, tail: String },

    #[error("PostgreSQL exited during start-up ({status}); the end of its log ({log}):\n{tail}")]
    ExitedEarly { status: String, log: PathBuf, tail: String },

    #[error("system call failed: {0}")]
    Sys(#[from] nix::Error),
}

impl Error {
    pub(crate) fn io(action: &'static str, path: impl Into<PathBuf>) -> impl FnOnce(std::io::Error) -> Self {
        let path = path.into();
        move |source| Error::Io { action, path, source }
    }
}
