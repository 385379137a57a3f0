//! Password hashing and verification are expensive on purpose (argon2id: 19 MiB of memory and tens
//! of milliseconds of CPU each). They run on a few dedicated threads, one per CPU: more at once would
//! not finish sooner, every one in flight holds its memory, and the memory allocator keeps what a
//! thread used for that thread — so a burst of sign-ins spread over the runtime's blocking pool
//! (up to hundreds of threads) left the process hundreds of megabytes larger. Here it stays at
//! about one argon2 block per CPU.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::mpsc;
use std::sync::{Arc, Mutex};

use crate::AccountsError;

type Job = Box<dyn FnOnce() + Send>;

pub struct PasswordWork {
    jobs: mpsc::Sender<Job>,
    threads: usize,
}

impl PasswordWork {
    /// `threads` (≥ 1) dedicated threads; they end when this is dropped.
    pub fn new(threads: usize) -> PasswordWork {
        let (jobs, queue) = mpsc::channel::<Job>();
        let queue = Arc::new(Mutex::new(queue));
        let mut started = 0;
        for i in 0..threads.max(1) {
            let queue = Arc::clone(&queue);
            let spawned = std::thread::Builder::new()
                .name(format!("password-{i}"))
                .spawn(move || {
                    loop {
                        let job = match queue.lock() {
                            Ok(queue) => queue.recv(),
                            Err(_) => return,
                        };
                        match job {
                            // A panicking job must not take the thread with it.
                            Ok(job) => drop(catch_unwind(AssertUnwindSafe(job))),
                            Err(_) => return,
                        }
                    }
                });
            match spawned {
                Ok(_) => started += 1,
                Err(e) => tracing::error!(error = %e, "cannot start a password-hashing thread"),
            }
        }
        PasswordWork { jobs, threads: started }
    }

    /// One thread per available CPU.
    pub fn per_cpu() -> PasswordWork {
        PasswordWork::new(std::thread::available_parallelism().map_or(1, usize::from))
    }

    /// Runs `work` on a password thread (in arrival order) and waits for its result.
    pub async fn run<T: Send + 'static>(&self, work: impl FnOnce() -> T + Send + 'static) -> Result<T, AccountsError> {
        if self.threads == 0 {
            return tokio::task::spawn_blocking(work)
                .await
                .map_err(|_| AccountsError::PasswordWork("the hashing task failed"));
        }
        let (done, result) = tokio::sync::oneshot::channel();
        self.jobs
            .send(Box::new(move || {
                let _ = done.send(work());
            }))
            .map_err(|_| AccountsError::PasswordWork("no password thread is running"))?;
        result
            .await
            .map_err(|_| AccountsError::PasswordWork("the hashing job panicked"))
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};

    use super::*;

    #[tokio::test]
    async fn never_more_jobs_at_once_than_threads() {
        let work = Arc::new(PasswordWork::new(2));
        let running = Arc::new(AtomicUsize::new(0));
        let peak = Arc::new(AtomicUsize::new(0));
        let tasks: Vec<_> = (0..12)
            .map(|_| {
                let (work, running, peak) = (Arc::clone(&work), Arc::clone(&running), Arc::clone(&peak));
                tokio::spawn(async move {
                    work.run(move || {
                        let now = running.fetch_add(1, Ordering::SeqCst) + 1;
                        peak.fetch_max(now, Ordering::SeqCst);
                        std::thread::sleep(std::time::Duration::from_millis(20));
                        running.fetch_sub(1, Ordering::SeqCst);
                    })
                    .await
                })
            })
            .collect();
        for task in tasks {
            assert!(task.await.unwrap().is_ok());
        }
        assert_eq!(peak.load(Ordering::SeqCst), 2);
        // A panicking job is an error for its caller, and the threads keep working.
        assert!(work.run(|| panic!("boom")).await.is_err());
        assert_eq!(work.run(|| 7).await.unwrap(), 7);
    }
}
