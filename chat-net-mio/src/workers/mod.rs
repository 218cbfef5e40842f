//! The password worker pool: argon2 runs here, never on the event loop, so
//! a burst of logins does not stall chat traffic. The queue is fair across
//! addresses and bounded ([`fair`]); each worker keeps one argon2 memory
//! block and reuses it for every job.

mod fair;

use std::sync::mpsc::Sender;
use std::sync::{Arc, Condvar, Mutex};
use std::thread::JoinHandle;

use chat_core::password::{self, HashParams, PasswordError, Scratch, SALT_LEN};
use chat_core::{JobId, PasswordAnswer, PasswordJob, PasswordWork};
use ring::rand::{SecureRandom, SystemRandom};

use fair::FairQueue;

/// A finished job, on its way back to the loop.
pub(crate) type Finished = (JobId, Result<PasswordAnswer, PasswordError>);

/// How a pool is sized and bounded.
#[derive(Clone, Copy, Debug)]
pub(crate) struct PoolLimits {
    pub(crate) threads: usize,
    pub(crate) queue_per_address: usize,
    pub(crate) queue_total: usize,
}

/// The queue the loop fills and the workers take from.
struct Queue {
    jobs: Mutex<(FairQueue, bool)>,
    ready: Condvar,
}

pub(crate) struct Workers {
    queue: Arc<Queue>,
    threads: Vec<JoinHandle<()>>,
}

impl Workers {
    /// Starts the threads; each finished job is sent to `done`, then
    /// `notify` wakes the loop.
    pub(crate) fn start(
        limits: PoolLimits,
        params: HashParams,
        done: Sender<Finished>,
        notify: Arc<dyn Fn() + Send + Sync>,
    ) -> std::io::Result<Workers> {
        let queue = Arc::new(Queue {
            jobs: Mutex::new((
                FairQueue::new(limits.queue_per_address, limits.queue_total),
                false,
            )),
            ready: Condvar::new(),
        });
        let n = limits.threads.max(1);
        let mut threads = Vec::with_capacity(n);
        for i in 0..n {
            let queue = Arc::clone(&queue);
            let done = done.clone();
            let notify = Arc::clone(&notify);
            threads.push(
                std::thread::Builder::new()
                    .name(format!("chat-pw-{i}"))
                    .spawn(move || work(&queue, &params, &done, &*notify))?,
            );
        }
        Ok(Workers { queue, threads })
    }

    /// Queues a job; a full queue (for its address or in all) hands it
    /// back at once, never blocking the loop.
    pub(crate) fn submit(&self, job: Box<PasswordJob>) -> Result<(), Box<PasswordJob>> {
        let Ok(mut guard) = self.queue.jobs.lock() else {
            return Err(job);
        };
        guard.0.push(job)?;
        drop(guard);
        self.queue.ready.notify_one();
        Ok(())
    }

    /// Lets the workers finish what is queued, then joins them.
    pub(crate) fn stop(mut self) {
        if let Ok(mut guard) = self.queue.jobs.lock() {
            guard.1 = true;
        }
        self.queue.ready.notify_all();
        for t in self.threads.drain(..) {
            let _ = t.join();
        }
    }
}

fn work(
    queue: &Queue,
    params: &HashParams,
    done: &Sender<Finished>,
    notify: &(dyn Fn() + Send + Sync),
) {
    let rng = SystemRandom::new();
    let mut scratch = Scratch::default();
    loop {
        // Hold the lock only to take a job, not while hashing.
        let job = {
            let Ok(mut guard) = queue.jobs.lock() else {
                return;
            };
            loop {
                if let Some(job) = guard.0.pop() {
                    break job;
                }
                if guard.1 {
                    return;
                }
                guard = match queue.ready.wait(guard) {
                    Ok(g) => g,
                    Err(_) => return,
                };
            }
        };
        let answer = run(&job, params, &mut scratch, &rng);
        if done.send((job.id, answer)).is_err() {
            return;
        }
        notify();
    }
}

/// Runs one job in the worker's own argon2 memory.
fn run(
    job: &PasswordJob,
    params: &HashParams,
    scratch: &mut Scratch,
    rng: &SystemRandom,
) -> Result<PasswordAnswer, PasswordError> {
    match &job.work {
        PasswordWork::Hash { password } => {
            let mut salt = [0u8; SALT_LEN];
            rng.fill(&mut salt)
                .map_err(|_| PasswordError::Hash("no randomness for a salt".into()))?;
            password::hash_with(scratch, params, password, &salt).map(PasswordAnswer::Hashed)
        }
        PasswordWork::Verify { password, phc } => {
            password::verify_with(scratch, params, password, phc.as_deref())
                .map(PasswordAnswer::Verified)
        }
        _ => {
            let mut salt = [0u8; SALT_LEN];
            rng.fill(&mut salt)
                .map_err(|_| PasswordError::Hash("no randomness for a salt".into()))?;
            job.run(params, &salt)
        }
    }
}
