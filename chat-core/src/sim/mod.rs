//! Deterministic simulation of the engine (behind the `sim` feature).
//!
//! One seed drives a whole run: the real [`Engine`](crate::Engine) on a
//! simulated clock, with simulated users, network, password workers and
//! store, and faults (crashes, restarts, shutdowns, failed writes, peers
//! that vanish or stop reading). Invariants are checked after every step;
//! a failure is replayed exactly from its seed.
//!
//! ```
//! use chat_core::sim::{run, SimOptions};
//! let report = run(&SimOptions { steps: 200, ..SimOptions::new(7) });
//! assert!(report.failure.is_none(), "{report}");
//! assert_eq!(report.hash, run(&SimOptions { steps: 200, ..SimOptions::new(7) }).hash);
//! ```
//!
//! Like the engine, this module owns no threads, files, sockets or clock:
//! its randomness is a [`rng::Rng`] seeded by the run.

mod client;
pub mod cluster;
mod config;
mod hasher;
pub mod lines;
mod persister;
pub mod rng;
mod trace;
mod world;

use std::fmt;
use std::panic::{catch_unwind, AssertUnwindSafe};

pub use persister::DiskMode;

/// What to run.
#[derive(Clone, Debug)]
pub struct SimOptions {
    /// The seed: the same seed is the same run.
    pub seed: u64,
    /// Steps to run.
    pub steps: u32,
    /// The simulated disk; [`DiskMode::Lying`] is the planted bug.
    pub disk: DiskMode,
    /// Answer password work with argon2 (cheap parameters) instead of the
    /// fast stand-in.
    pub real_hash: bool,
    /// Keep the whole trace (for a replay) instead of its tail.
    pub keep_trace: bool,
}

impl SimOptions {
    /// The default run of `seed`: 2000 steps, an honest disk.
    pub fn new(seed: u64) -> SimOptions {
        SimOptions {
            seed,
            steps: 2_000,
            disk: DiskMode::Honest,
            real_hash: false,
            keep_trace: false,
        }
    }
}

/// The outcome of one run.
#[derive(Clone, Debug)]
pub struct Report {
    /// The seed.
    pub seed: u64,
    /// Steps run (fewer than asked after a failure).
    pub steps: u32,
    /// The hash of the whole trace: the same for every run of one seed.
    pub hash: u64,
    /// The first broken invariant, or the panic.
    pub failure: Option<String>,
    /// The trace: whole with `keep_trace`, else its last lines.
    pub trace: Vec<String>,
    /// Accounts the store made durable that no client was told of (a
    /// garbage client that vanished before `OK registered`): the model
    /// learned them from the store. Counted so a long run shows that the
    /// case happens and passes.
    pub unacked_registrations: u32,
}

impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.failure {
            None => write!(
                f,
                "seed {}: ok, {} steps, hash {:016x}",
                self.seed, self.steps, self.hash
            ),
            Some(why) => {
                writeln!(
                    f,
                    "seed {}: FAILED at step {}: {why}",
                    self.seed, self.steps
                )?;
                for line in &self.trace {
                    writeln!(f, "  {line}")?;
                }
                Ok(())
            }
        }
    }
}

/// Runs one seed; a panic (of the engine or the simulation) is a failure.
pub fn run(opts: &SimOptions) -> Report {
    let mut world = world::World::new(opts.clone());
    let mut steps = 0;
    let outcome = catch_unwind(AssertUnwindSafe(|| {
        while steps < opts.steps && world.failure.is_none() {
            world.step();
            steps += 1;
        }
        if world.failure.is_none() {
            world.finish();
        }
    }));
    if let Err(panic) = outcome {
        let text = panic
            .downcast_ref::<String>()
            .cloned()
            .or_else(|| panic.downcast_ref::<&str>().map(|s| (*s).to_owned()))
            .unwrap_or_else(|| "a panic".into());
        world.fail(format!("panic: {text}"));
    }
    Report {
        seed: opts.seed,
        steps,
        hash: world.trace.hash(),
        failure: world.failure,
        trace: world.trace.into_lines(),
        unacked_registrations: world.unacked_registrations,
    }
}
