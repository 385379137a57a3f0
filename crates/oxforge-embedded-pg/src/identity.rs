//! Which operating-system user runs PostgreSQL, and making the cluster's directories theirs.

use std::os::unix::fs::MetadataExt;
use std::path::Path;

use nix::unistd::{Gid, Uid, User, chown};

use crate::Error;

/// The user PostgreSQL processes run as: ourselves, or `postgres` when we are root.
#[derive(Debug, Clone)]
pub(crate) enum RunAs {
    Current,
    User { uid: Uid, gid: Gid },
}

impl RunAs {
    pub(crate) fn resolve() -> Result<Self, Error> {
        if !Uid::effective().is_root() {
            return Ok(RunAs::Current);
        }
        let user = User::from_name("postgres")?.ok_or(Error::NoPostgresUser)?;
        Ok(RunAs::User {
            uid: user.uid,
            gid: user.gid,
        })
    }

    /// Hands a directory we created to the PostgreSQL user.
    pub(crate) fn give(&self, path: &Path) -> Result<(), Error> {
        if let RunAs::User { uid, gid } = self {
            chown(path, Some(*uid), Some(*gid)).map_err(|e| Error::Io {
                action: "cannot hand to the postgres user",
                path: path.to_path_buf(),
                source: e.into(),
            })?;
        }
        Ok(())
    }

    /// When PostgreSQL runs as another user, every ancestor of `dir` must be searchable by it.
    pub(crate) fn check_reachable(&self, dir: &Path) -> Result<(), Error> {
        let RunAs::User { uid, .. } = self else {
            return Ok(());
        };
        for ancestor in dir.ancestors().skip(1) {
            let meta = std::fs::metadata(ancestor).map_err(Error::io("cannot inspect", ancestor))?;
            let searchable_by_others = meta.mode() & 0o001 != 0;
            if !searchable_by_others && meta.uid() != uid.as_raw() {
                return Err(Error::DataDirUnreachable {
                    dir: dir.to_path_buf(),
                    ancestor: ancestor.to_path_buf(),
                });
            }
        }
        Ok(())
    }

    pub(crate) fn apply(&self, command: &mut std::process::Command) {
        use std::os::unix::process::CommandExt;
        if let RunAs::User { uid, gid } = self {
            command.uid(uid.as_raw()).gid(gid.as_raw());
        }
    }
}
