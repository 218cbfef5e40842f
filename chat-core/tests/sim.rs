//! The CI seed set of the deterministic simulation (see `chat_core::sim`):
//! a few seeds of the whole engine with faults, checked after every step.
//! The long run is `chat-sim` (README, "Testing").

use chat_core::sim::{run, DiskMode, Report, SimOptions};

/// The CI seeds: `0..CI_SEEDS`, each `CI_STEPS` steps.
const CI_SEEDS: u64 = 48;
const CI_STEPS: u32 = 1_500;

fn ci_options(seed: u64, disk: DiskMode) -> SimOptions {
    SimOptions {
        steps: CI_STEPS,
        disk,
        ..SimOptions::new(seed)
    }
}

/// Runs the CI seeds on two threads, in seed order in the result.
fn run_set(disk: DiskMode) -> Vec<Report> {
    let seeds: Vec<u64> = (0..CI_SEEDS).collect();
    let (a, b) = seeds.split_at(seeds.len() / 2);
    std::thread::scope(|s| {
        let first = s.spawn(|| {
            a.iter()
                .map(|&x| run(&ci_options(x, disk)))
                .collect::<Vec<_>>()
        });
        let second: Vec<Report> = b.iter().map(|&x| run(&ci_options(x, disk))).collect();
        let mut all = first.join().expect("a simulation thread panicked");
        all.extend(second);
        all
    })
}

#[test]
fn ci_seeds_keep_every_invariant() {
    for report in run_set(DiskMode::Honest) {
        assert!(
            report.failure.is_none(),
            "{report}\nreplay: cargo run --release -p examples --bin chat-sim -- --replay {} --steps {CI_STEPS}",
            report.seed
        );
    }
}

#[test]
fn the_planted_lying_disk_is_caught() {
    // A disk that acknowledges writes before they are durable: a crash
    // loses acknowledged registrations, and the CI seeds must notice.
    let failures: Vec<Report> = run_set(DiskMode::Lying)
        .into_iter()
        .filter(|r| r.failure.is_some())
        .collect();
    let registrations = failures
        .iter()
        .filter(|r| {
            r.failure
                .as_deref()
                .is_some_and(|f| f.contains("acknowledged registration"))
        })
        .count();
    assert!(
        registrations > 0,
        "no CI seed caught a lost registration; failures: {:?}",
        failures.iter().map(|r| &r.failure).collect::<Vec<_>>()
    );
}

#[test]
fn a_seed_replays_byte_for_byte() {
    let once = run(&ci_options(3, DiskMode::Honest));
    let again = run(&ci_options(3, DiskMode::Honest));
    let other = run(&ci_options(4, DiskMode::Honest));
    assert_eq!(once.hash, again.hash);
    assert_eq!(once.trace, again.trace);
    assert_ne!(once.hash, other.hash);
}

#[test]
fn real_argon2_agrees_with_the_stand_in() {
    // The same run with real (cheap) argon2 hashing: the engine must treat
    // both PHC strings alike, so every invariant still holds.
    let report = run(&SimOptions {
        steps: 300,
        real_hash: true,
        ..SimOptions::new(11)
    });
    assert!(report.failure.is_none(), "{report}");
}
