//! Running PostgreSQL programs: one-shot commands (initdb) and the supervised server.

use std::process::{Command, ExitStatus, Stdio};
use std::sync::{Mutex, mpsc};
use std::time::Duration;

use nix::sys::signal::{Signal, kill};
use nix::unistd::Pid;

use crate::Error;

/// Runs a command to completion and fails with its combined output if it fails.
pub(crate) fn run(mut command: Command) -> Result<(), Error> {
    let shown = format!("{command:?}");
    let out = command.output().map_err(|source| Error::Io {
        action: "cannot run",
        path: command.get_program().into(),
        source,
    })?;
    if out.status.success() {
        return Ok(());
    }
    let mut output = String::from_utf8_lossy(&out.stdout).into_owned();
    output.push_str(&String::from_utf8_lossy(&out.stderr));
    Err(Error::CommandFailed {
        command: shown,
        status: out.status.to_string(),
        output,
    })
}

/// A server process owned by a dedicated supervisor thread.
///
/// The thread spawns the child and waits for it. Because the child asks the kernel for
/// `SIGINT` when that thread dies (`PR_SET_PDEATHSIG`), the server cannot outlive this process.
pub(crate) struct Supervised {
    pid: Pid,
    // In a Mutex only so that the handle is `Sync`; every use has `&mut self`.
    exited: Mutex<mpsc::Receiver<ExitStatus>>,
    status: Option<ExitStatus>,
}

impl Supervised {
    pub(crate) fn spawn(mut command: Command) -> Result<Self, Error> {
        command.stdin(Stdio::null());
        set_parent_death_signal(&mut command);
        let (started_tx, started_rx) = mpsc::channel();
        let (exit_tx, exit_rx) = mpsc::channel();
        let program = command.get_program().to_owned();
        std::thread::Builder::new()
            .name("postgres-supervisor".into())
            .spawn(move || match command.spawn() {
                Ok(mut child) => {
                    let _ = started_tx.send(Ok(child.id()));
                    if let Ok(status) = child.wait() {
                        let _ = exit_tx.send(status);
                    }
                }
                Err(e) => {
                    let _ = started_tx.send(Err(e));
                }
            })
            .map_err(Error::io("cannot start a supervisor thread for", &program))?;
        let pid = started_rx
            .recv()
            .map_err(|_| Error::Io {
                action: "supervisor thread vanished while starting",
                path: program.clone().into(),
                source: std::io::Error::other("channel closed"),
            })?
            .map_err(Error::io("cannot start", &program))?;
        let pid = i32::try_from(pid).map_err(|_| Error::Sys(nix::Error::EINVAL))?;
        Ok(Supervised {
            pid: Pid::from_raw(pid),
            exited: Mutex::new(exit_rx),
            status: None,
        })
    }

    pub(crate) fn pid(&self) -> u32 {
        self.pid.as_raw().unsigned_abs()
    }

    fn exited(&mut self) -> &mpsc::Receiver<ExitStatus> {
        self.exited.get_mut().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// The exit status if the process has already ended.
    pub(crate) fn try_status(&mut self) -> Option<ExitStatus> {
        if self.status.is_none() {
            self.status = self.exited().try_recv().ok();
        }
        self.status
    }

    /// Asks the server to stop with `signal`, escalating to `SIGQUIT` then `SIGKILL`
    /// if it has not exited after `grace` each time.
    pub(crate) fn stop(&mut self, signal: Signal, grace: Duration) -> Option<ExitStatus> {
        for sig in [signal, Signal::SIGQUIT, Signal::SIGKILL] {
            if let Some(status) = self.try_status() {
                return Some(status);
            }
            if kill(self.pid, sig).is_err() {
                // Already gone; collect the status if the thread reports it.
                self.status = self.exited().recv_timeout(grace).ok();
                return self.status;
            }
            if let Ok(status) = self.exited().recv_timeout(grace) {
                self.status = Some(status);
                return self.status;
            }
            tracing::warn!(
                pid = self.pid.as_raw(),
                ?sig,
                "postgres did not stop in time; escalating"
            );
        }
        None
    }
}

#[cfg(target_os = "linux")]
#[allow(unsafe_code)]
fn set_parent_death_signal(command: &mut Command) {
    use std::os::unix::process::CommandExt;
    // SAFETY: the closure runs in the forked child before exec and only calls prctl(2),
    // which is async-signal-safe; it allocates nothing and touches no locks.
    unsafe {
        command.pre_exec(|| nix::sys::prctl::set_pdeathsig(Some(Signal::SIGINT)).map_err(std::io::Error::from));
    }
}

#[cfg(not(target_os = "linux"))]
fn set_parent_death_signal(_command: &mut Command) {}
