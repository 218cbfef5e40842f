//! `chat-store-bench`: makes a large store once, then times start-up on it
//! (`Store::open`, the `StoreSnapshot` for the engine, `Engine::new`), a
//! compaction on the writer's thread, and how long durable changes wait
//! while a compaction runs beside the writer.
//!
//! ```sh
//! cargo run --release -p benches --bin chat-store-bench -- gen /tmp/big 1000000 1000000
//! cargo run --release -p benches --bin chat-store-bench -- open /tmp/big
//! cargo run --release -p benches --bin chat-store-bench -- compact /tmp/big
//! cargo run --release -p benches --bin chat-store-bench -- stall /tmp/big
//! ```

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::{Duration, Instant};

use benches::stats::Latency;
use benches::store_data::{generate, BENCH_KEY};
use chat_core::{Config, Engine, Grant, Millis, StoreChange, UserName, UserRecord};
use chat_net_mio::store::{KeySource, Persister, Store, StoreError, PREV_LOG_FILE};

fn usage() -> ExitCode {
    eprintln!("usage: chat-store-bench gen DIR USERS LINES | open DIR | compact DIR | stall DIR");
    ExitCode::from(2)
}

/// Durable changes submitted per second by `stall`.
const STALL_RATE: u32 = 100;
/// How long `stall` measures before it asks for the compaction.
const STALL_BEFORE: Duration = Duration::from_secs(2);
/// How long it measures after the compaction ended.
const STALL_AFTER: Duration = Duration::from_secs(2);
/// The longest it waits for the compaction.
const STALL_MAX: Duration = Duration::from_secs(120);

/// Peak resident memory of this process so far, in KiB.
fn peak_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find_map(|l| l.strip_prefix("VmHWM:"))
                .and_then(|v| v.split_whitespace().next())
                .and_then(|n| n.parse().ok())
        })
        .unwrap_or(0)
}

/// A new account for the `i`th durable change of `stall` run `run`.
fn stall_user(run: u64, i: u64) -> StoreChange {
    StoreChange::AddUser(UserRecord {
        name: UserName::parse(&format!("s{run}x{i}")).expect("a valid name"),
        phc: benches::store_data::phc(i as usize),
        grant: Grant::User,
        created: Millis(0),
    })
}

/// Submits a durable change (a new account) every 10 ms through the
/// store's writer, asks for a compaction after two seconds, and reports
/// how long the changes waited for their acknowledgement before, during
/// and after it.
fn stall(dir: &Path) -> Result<(), StoreError> {
    let store = Store::open(dir, KeySource::Raw(BENCH_KEY))?;
    let (mut persister, committed) = Persister::spawn(store, || {}).expect("start the writer");
    let prev = dir.join(PREV_LOG_FILE);
    // New names on every run over the same folder.
    let run = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() % 1_000_000);
    let period = Duration::from_secs(1) / STALL_RATE;
    let started = Instant::now();
    let cpu0 = cpu_ms();
    let peak0 = peak_kib();
    let mut submitted: Vec<Instant> = Vec::new();
    let mut outcomes: Vec<Option<(Instant, bool)>> = Vec::new();
    let mut asked: Option<Instant> = None;
    let mut ended: Option<Instant> = None;
    let mut next = started;
    loop {
        let now = Instant::now();
        if now >= next {
            let i = submitted.len() as u64;
            persister.submit(i, stall_user(run, i));
            submitted.push(now);
            outcomes.push(None);
            next += period;
        }
        if asked.is_none() && now >= started + STALL_BEFORE {
            persister.compact();
            asked = Some(now);
        }
        if let (Some(a), None) = (asked, ended) {
            // Give the writer a moment to hand the log over.
            if now >= a + Duration::from_millis(100) && !prev.exists() {
                ended = Some(now);
            }
            if now >= a + STALL_MAX {
                eprintln!("chat-store-bench: the compaction did not end in {STALL_MAX:?}");
                ended = Some(now);
            }
        }
        if ended.is_some_and(|e| now >= e + STALL_AFTER) {
            break;
        }
        let wait = next.saturating_duration_since(Instant::now());
        if let Ok(c) = committed.recv_timeout(wait) {
            outcomes[c.id as usize] = Some((Instant::now(), c.result.is_ok()));
            while let Ok(c) = committed.try_recv() {
                outcomes[c.id as usize] = Some((Instant::now(), c.result.is_ok()));
            }
        }
    }
    let peak = peak_kib();
    let cpu = cpu_ms() - cpu0;
    let store = persister.shutdown()?;
    while let Ok(c) = committed.try_recv() {
        outcomes[c.id as usize] = Some((Instant::now(), c.result.is_ok()));
    }
    let (asked, ended) = (asked.unwrap_or(started), ended.unwrap_or(started));
    let (mut before, mut during, mut after) =
        (Latency::default(), Latency::default(), Latency::default());
    let mut failed = 0;
    let mut unanswered = 0;
    for (at, outcome) in submitted.iter().zip(&outcomes) {
        let Some((done, ok)) = outcome else {
            unanswered += 1;
            continue;
        };
        failed += u32::from(!ok);
        let ns = done.duration_since(*at).as_nanos() as u64;
        if ns > 20_000_000 {
            log::info!(
                "slow: a change submitted {:+.3} s from the compaction's ask waited {:.1} ms",
                at.duration_since(started).as_secs_f64()
                    - asked.duration_since(started).as_secs_f64(),
                ns as f64 / 1e6
            );
        }
        // A change waits on the compaction if it was not answered before
        // the compaction was asked for.
        if *done < asked {
            before.record_ns(ns);
        } else if *at <= ended {
            during.record_ns(ns);
        } else {
            after.record_ns(ns);
        }
    }
    let show = |name: &str, l: &Latency| {
        let s = l.summary();
        println!(
            "{name:>7}: {:5} changes, p50 {:.1} ms, p99 {:.1} ms, max {:.1} ms",
            s.count,
            s.p50 as f64 / 1000.0,
            s.p99 as f64 / 1000.0,
            s.max as f64 / 1000.0
        );
    };
    println!(
        "{:?}: a durable change every {period:?}; compaction asked at {:.2?}, its snapshot \
         in place {:.2?} later; {} ms of CPU in all; peak resident {} MiB (before: {} MiB); \
         {failed} failed, {unanswered} unanswered",
        store,
        asked.duration_since(started),
        ended.duration_since(asked),
        cpu,
        peak / 1024,
        peak0 / 1024
    );
    show("before", &before);
    show("during", &during);
    show("after", &after);
    Ok(())
}

fn resident_kib() -> u64 {
    benches::procfs::rss_kib(std::process::id()).unwrap_or(0)
}

/// CPU time of the process so far (all threads), in milliseconds: the
/// machine is shared, so wall time alone says little.
fn cpu_ms() -> u64 {
    let secs = benches::procfs::cpu_seconds(std::process::id()).unwrap_or(0.0);
    (secs * 1000.0) as u64
}

fn main() -> ExitCode {
    // The store's own account of what it did (RUST_LOG=debug for more).
    env_logger::Builder::from_env(env_logger::Env::default().default_filter_or("info"))
        .format_timestamp_millis()
        .init();
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = match args.iter().map(String::as_str).collect::<Vec<_>>()[..] {
        ["gen", dir, users, lines] => {
            let (Ok(users), Ok(lines)) = (users.parse(), lines.parse()) else {
                return usage();
            };
            let started = Instant::now();
            generate(&PathBuf::from(dir), users, lines, 1_000).map(|store| {
                println!("{store:?} written in {:?}", started.elapsed());
            })
        }
        ["open", dir] => {
            let started = Instant::now();
            let cpu0 = cpu_ms();
            Store::open(&PathBuf::from(dir), KeySource::Raw(BENCH_KEY)).map(|store| {
                let (opened, cpu_open) = (started.elapsed(), cpu_ms() - cpu0);
                let open_kib = resident_kib();
                let snap_at = Instant::now();
                let cpu1 = cpu_ms();
                let snapshot = store.snapshot();
                let (snap, cpu_snap) = (snap_at.elapsed(), cpu_ms() - cpu1);
                let store_kib = resident_kib();
                let engine_at = Instant::now();
                let cpu2 = cpu_ms();
                let engine = Engine::new(Config::default(), snapshot).expect("engine");
                let (engine_t, cpu_engine) = (engine_at.elapsed(), cpu_ms() - cpu2);
                println!(
                    "wall: Store::open {opened:.2?}, StoreSnapshot {snap:.2?}, Engine::new {engine_t:.2?}, \
                     total {:.2?}; cpu: {cpu_open} / {cpu_snap} / {cpu_engine} ms; {} users; \
                     resident {} MiB after Store::open, {} MiB with the snapshot, {} MiB with the engine",
                    started.elapsed(),
                    engine.stats().users,
                    open_kib / 1024,
                    store_kib / 1024,
                    resident_kib() / 1024
                );
            })
        }
        ["compact", dir] => {
            Store::open(&PathBuf::from(dir), KeySource::Raw(BENCH_KEY)).and_then(|mut store| {
                // What a compaction holds commits up for, on the writer thread.
                let started = Instant::now();
                let cpu0 = cpu_ms();
                store.compact()?;
                println!(
                    "compaction: wall {:.2?}, cpu {} ms",
                    started.elapsed(),
                    cpu_ms() - cpu0
                );
                Ok(())
            })
        }
        ["stall", dir] => stall(&PathBuf::from(dir)),
        _ => return usage(),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("chat-store-bench: {e}");
            ExitCode::FAILURE
        }
    }
}
