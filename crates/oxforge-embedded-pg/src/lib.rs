//! A supervisor for a private PostgreSQL cluster.
//!
//! `oxforge serve` without `DATABASE_URL` runs its own PostgreSQL: this crate finds the
//! server binaries, creates a cluster on first start (`initdb`), runs `postgres` as a child
//! process listening on a unix socket inside the data directory (and on TCP only when asked),
//! and stops it on shutdown. PostgreSQL refuses to run as root, so when we are root every
//! PostgreSQL process runs as the `postgres` system user.
//!
//! The child is tied to a supervisor thread with `PR_SET_PDEATHSIG`, so if oxforge dies
//! (even by `SIGKILL`) the postmaster receives `SIGINT` and performs a fast shutdown instead
//! of outliving us.

mod binaries;
mod cluster;
mod error;
mod identity;
mod process;

pub use binaries::find_bin_dir;
pub use cluster::{EmbeddedPostgres, Options};
pub use error::Error;
