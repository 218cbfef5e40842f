//! The simulation runner: many seeds in parallel, or one seed replayed.
//!
//! ```text
//! cargo run --release -p examples --bin chat-sim -- --seeds 10000 --start 1
//! cargo run --release -p examples --bin chat-sim -- --replay 1234
//! ```
//!
//! Options: `--seeds N` (default 100), `--start S` (default 0), `--steps K`
//! (default 2000), `--threads T` (default: the cores), `--lying-disk` (the
//! planted bug), `--argon2` (real password hashing, cheap parameters),
//! `--replay SEED` (run one seed and print its whole trace).

use std::process::ExitCode;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::Instant;

use chat_core::sim::{run, DiskMode, Report, SimOptions};

struct Args {
    seeds: u64,
    start: u64,
    steps: u32,
    threads: usize,
    disk: DiskMode,
    real_hash: bool,
    replay: Option<u64>,
}

fn parse_args() -> Result<Args, String> {
    let mut a = Args {
        seeds: 100,
        start: 0,
        steps: SimOptions::new(0).steps,
        threads: std::thread::available_parallelism().map_or(1, |n| n.get()),
        disk: DiskMode::Honest,
        real_hash: false,
        replay: None,
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let mut value = || {
            it.next()
                .and_then(|v| v.parse::<u64>().ok())
                .ok_or_else(|| format!("{flag} needs a number"))
        };
        match flag.as_str() {
            "--seeds" => a.seeds = value()?,
            "--start" => a.start = value()?,
            "--steps" => a.steps = u32::try_from(value()?).map_err(|e| e.to_string())?,
            "--threads" => {
                a.threads = usize::try_from(value()?.max(1)).map_err(|e| e.to_string())?
            }
            "--replay" => a.replay = Some(value()?),
            "--lying-disk" => a.disk = DiskMode::Lying,
            "--argon2" => a.real_hash = true,
            "--help" | "-h" => return Err(String::new()),
            other => return Err(format!("unknown option {other}")),
        }
    }
    Ok(a)
}

/// The command that replays `seed` with the same options.
fn replay_command(a: &Args, seed: u64) -> String {
    let mut cmd = format!(
        "cargo run --release -p examples --bin chat-sim -- --replay {seed} --steps {}",
        a.steps
    );
    if a.disk == DiskMode::Lying {
        cmd.push_str(" --lying-disk");
    }
    if a.real_hash {
        cmd.push_str(" --argon2");
    }
    cmd
}

fn options(a: &Args, seed: u64, keep_trace: bool) -> SimOptions {
    SimOptions {
        steps: a.steps,
        disk: a.disk,
        real_hash: a.real_hash,
        keep_trace,
        ..SimOptions::new(seed)
    }
}

fn main() -> ExitCode {
    let a = match parse_args() {
        Ok(a) => a,
        Err(e) => {
            eprintln!("{e}\nusage: chat-sim [--seeds N] [--start S] [--steps K] [--threads T] [--lying-disk] [--argon2] [--replay SEED]");
            return ExitCode::from(2);
        }
    };
    if let Some(seed) = a.replay {
        let report = run(&options(&a, seed, true));
        for line in &report.trace {
            println!("{line}");
        }
        println!(
            "{}",
            Report {
                trace: Vec::new(),
                ..report.clone()
            }
        );
        return if report.failure.is_some() {
            ExitCode::FAILURE
        } else {
            ExitCode::SUCCESS
        };
    }
    let started = Instant::now();
    let next = AtomicU64::new(a.start);
    let end = a.start.saturating_add(a.seeds);
    let done = AtomicU64::new(0);
    // Seeds where a durable registration went unacknowledged (the model
    // learned the account from the store): the case must happen, and pass.
    let unacked = AtomicU64::new(0);
    // The lowest failing seed, so the report does not depend on scheduling.
    let first_failure: Mutex<Option<Report>> = Mutex::new(None);
    std::thread::scope(|s| {
        for _ in 0..a.threads {
            s.spawn(|| loop {
                let seed = next.fetch_add(1, Ordering::Relaxed);
                if seed >= end {
                    return;
                }
                if first_failure
                    .lock()
                    .map(|f| f.as_ref().is_some_and(|r| r.seed < seed))
                    .unwrap_or(true)
                {
                    return;
                }
                let report = run(&options(&a, seed, false));
                let n = done.fetch_add(1, Ordering::Relaxed) + 1;
                if report.unacked_registrations > 0 {
                    unacked.fetch_add(1, Ordering::Relaxed);
                }
                if n % 1000 == 0 {
                    eprintln!("{n} seeds, {:.0?}", started.elapsed());
                }
                if report.failure.is_some() {
                    if let Ok(mut f) = first_failure.lock() {
                        if f.as_ref().is_none_or(|r| r.seed > seed) {
                            *f = Some(report);
                        }
                    }
                }
            });
        }
    });
    let elapsed = started.elapsed();
    let n = done.load(Ordering::Relaxed);
    match first_failure.into_inner().ok().flatten() {
        Some(report) => {
            print!("{report}");
            println!("replay: {}", replay_command(&a, report.seed));
            println!("{n} seeds run in {elapsed:.1?}");
            ExitCode::FAILURE
        }
        None => {
            println!(
                "{n} seeds from {} ({} steps each) passed in {elapsed:.1?}; {} of them saw a durable registration go unacknowledged",
                a.start,
                a.steps,
                unacked.load(Ordering::Relaxed)
            );
            ExitCode::SUCCESS
        }
    }
}
