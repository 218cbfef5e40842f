//! The password worker pool: argon2 runs here, never on the event loop, so
//! a burst of logins does not stall chat traffic.

use std::sync::mpsc::{self, Receiver, Sender};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;

use chat_core::password::{HashParams, PasswordError, SALT_LEN};
use chat_core::{JobId, PasswordAnswer, PasswordJob};
use ring::rand::{SecureRandom, SystemRandom};

/// A finished job, on its way back to the loop.
pub(crate) type Finished = (JobId, Result<PasswordAnswer, PasswordError>);

pub(crate) struct Workers {
    jobs: Option<Sender<Box<PasswordJob>>>,
    threads: Vec<JoinHandle<()>>,
}

impl Workers {
    /// Starts `n` threads; each finished job is sent to `done`, then
    /// `notify` wakes the loop.
    pub(crate) fn start(
        n: usize,
        params: HashParams,
        done: Sender<Finished>,
        notify: Arc<dyn Fn() + Send + Sync>,
    ) -> std::io::Result<Workers> {
        let (tx, rx) = mpsc::channel::<Box<PasswordJob>>();
        let rx = Arc::new(Mutex::new(rx));
        let mut threads = Vec::with_capacity(n);
        for i in 0..n.max(1) {
            let rx = Arc::clone(&rx);
            let done = done.clone();
            let notify = Arc::clone(&notify);
            threads.push(
                std::thread::Builder::new()
                    .name(format!("chat-pw-{i}"))
                    .spawn(move || work(&rx, &params, &done, &*notify))?,
            );
        }
        Ok(Workers {
            jobs: Some(tx),
            threads,
        })
    }

    pub(crate) fn submit(&self, job: Box<PasswordJob>) {
        if let Some(tx) = &self.jobs {
            // A send fails only once every worker is gone (shutdown).
            let _ = tx.send(job);
        }
    }

    /// Lets the workers finish what they hold, then joins them.
    pub(crate) fn stop(mut self) {
        self.jobs = None;
        for t in self.threads.drain(..) {
            let _ = t.join();
        }
    }
}

fn work(
    jobs: &Mutex<Receiver<Box<PasswordJob>>>,
    params: &HashParams,
    done: &Sender<Finished>,
    notify: &(dyn Fn() + Send + Sync),
) {
    let rng = SystemRandom::new();
    loop {
        // Hold the lock only to take a job, not while hashing.
        let job = match jobs.lock() {
            Ok(rx) => rx.recv(),
            Err(_) => return,
        };
        let Ok(job) = job else {
            return;
        };
        let mut salt = [0u8; SALT_LEN];
        let answer = match rng.fill(&mut salt) {
            Ok(()) => job.run(params, &salt),
            Err(_) => Err(PasswordError::Hash("no randomness for a salt".into())),
        };
        if done.send((job.id, answer)).is_err() {
            return;
        }
        notify();
    }
}
