//! `chat-store-bench`: makes a large store once, then times start-up on it
//! (`Store::open`, the `StoreSnapshot` for the engine, `Engine::new`).
//!
//! ```sh
//! cargo run --release -p benches --bin chat-store-bench -- gen /tmp/big 1000000 1000000
//! cargo run --release -p benches --bin chat-store-bench -- open /tmp/big
//! cargo run --release -p benches --bin chat-store-bench -- compact /tmp/big
//! ```

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

use benches::store_data::{generate, BENCH_KEY};
use chat_core::{Config, Engine};
use chat_net_mio::store::{KeySource, Store};

fn usage() -> ExitCode {
    eprintln!("usage: chat-store-bench gen DIR USERS LINES | open DIR | compact DIR");
    ExitCode::from(2)
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
