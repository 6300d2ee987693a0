//! Password hashing off the async workers.
//!
//! Argon2 is slow on purpose (tens of milliseconds of CPU and 19 MiB per
//! verification). Run on an async worker, every login stalls every other request
//! scheduled on that worker: 32 concurrent wrong-password logins pushed `/health`
//! from 1 ms to 500–750 ms. [`PasswordWorkers::run`] moves the work to Tokio's
//! blocking pool, at most one job per core at a time, so the async workers keep
//! answering and a flood queues instead of taking every core and 19 MiB each.

use std::sync::Arc;

use tokio::sync::Semaphore;

use crate::db::DbError;

/// A bounded share of Tokio's blocking pool for password hashing.
#[derive(Debug, Clone)]
pub struct PasswordWorkers {
    permits: Arc<Semaphore>,
}

impl PasswordWorkers {
    /// At most `threads` (at least one) hashes at a time.
    pub fn new(threads: usize) -> Self {
        PasswordWorkers {
            permits: Arc::new(Semaphore::new(threads.max(1))),
        }
    }

    /// One hash at a time per core (`std::thread::available_parallelism`).
    pub fn per_core() -> Self {
        PasswordWorkers::new(std::thread::available_parallelism().map_or(1, usize::from))
    }

    /// Runs `job` on a blocking thread once a slot is free, and waits for it.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), examples::db::DbError> {
    /// let workers = examples::password_workers::PasswordWorkers::new(2);
    /// let here = std::thread::current().id();
    /// let there = workers.run(|| std::thread::current().id()).await?;
    /// assert_ne!(here, there); // not on the async worker
    /// # Ok(())
    /// # }
    /// ```
    ///
    /// # Errors
    /// [`DbError::PasswordHash`] when `job` panicked.
    pub async fn run<T: Send + 'static>(
        &self,
        job: impl FnOnce() -> T + Send + 'static,
    ) -> Result<T, DbError> {
        let permit = Arc::clone(&self.permits)
            .acquire_owned()
            .await
            .map_err(|_| DbError::PasswordHash)?;
        tokio::task::spawn_blocking(move || {
            let result = job();
            drop(permit);
            result
        })
        .await
        .map_err(|_| DbError::PasswordHash)
    }

    /// Free slots: jobs that would start at once.
    pub fn available(&self) -> usize {
        self.permits.available_permits()
    }
}

#[cfg(test)]
#[allow(clippy::expect_used)]
mod tests {
    use super::PasswordWorkers;

    #[tokio::test(flavor = "current_thread")]
    async fn jobs_run_off_the_async_worker_and_at_most_n_at_once() {
        let workers = PasswordWorkers::new(2);
        let running = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let most = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let here = std::thread::current().id();
        let jobs = (0..8).map(|_| {
            let (workers, running, most) = (workers.clone(), running.clone(), most.clone());
            tokio::spawn(async move {
                workers
                    .run(move || {
                        use std::sync::atomic::Ordering::SeqCst;
                        let now = running.fetch_add(1, SeqCst) + 1;
                        most.fetch_max(now, SeqCst);
                        std::thread::sleep(std::time::Duration::from_millis(20));
                        running.fetch_sub(1, SeqCst);
                        std::thread::current().id()
                    })
                    .await
            })
        });
        let mut threads = Vec::new();
        for job in jobs.collect::<Vec<_>>() {
            threads.push(job.await.expect("no panic").expect("the job ran"));
        }
        assert!(threads.iter().all(|thread| *thread != here));
        assert!(most.load(std::sync::atomic::Ordering::SeqCst) <= 2);
    }
}
