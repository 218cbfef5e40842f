//! Criterion benches on the store (the journal): a durable change (one
//! record appended and fsynced) at 10,000, 100,000 and 1,000,000 accounts,
//! and opening a store of 10,000 and 100,000 accounts.
//!
//! `cargo bench -p benches --bench store`
//!
//! Start-up with a million accounts and a million history lines is timed
//! by `chat-store-bench` (see BENCHMARKS.md): generating that store takes
//! longer than a bench should.

use benches::store_data::{generate, user_name, BENCH_KEY};
use chat_core::{
    Conversation, Grant, HistoryLine, KickEntry, Millis, MsgId, RoomName, StoreChange,
};
use chat_net_mio::store::{KeySource, Store};
use criterion::measurement::WallTime;
use criterion::{criterion_group, criterion_main, BenchmarkGroup, BenchmarkId, Criterion};

/// The changes benched on a store of `users` accounts.
fn changes(g: &mut BenchmarkGroup<'_, WallTime>, store: &mut Store, users: usize) {
    let name = user_name(users / 2);
    let mut flip = false;
    g.bench_with_input(BenchmarkId::new("grant", users), &users, |b, _| {
        b.iter(|| {
            flip = !flip;
            let grant = if flip { Grant::Admin } else { Grant::User };
            let r = store.commit(&[StoreChange::SetGrant {
                name: name.clone(),
                grant,
            }]);
            assert!(r[0].is_ok());
        })
    });
    g.bench_with_input(BenchmarkId::new("kick+unkick", users), &users, |b, _| {
        b.iter(|| {
            let r = store.commit(&[
                StoreChange::Kick(KickEntry {
                    name: name.clone(),
                    by: user_name(0),
                    at: Millis(1),
                    reason: None,
                }),
                StoreChange::Unkick { name: name.clone() },
            ]);
            assert!(r.iter().all(Result::is_ok));
        })
    });
    let lobby = Conversation::Room(RoomName::parse("lobby").expect("room").key());
    let mut n = 0u64;
    g.bench_with_input(BenchmarkId::new("history line", users), &users, |b, _| {
        b.iter(|| {
            n += 1;
            let r = store.commit(&[StoreChange::AppendLine {
                conversation: lobby.clone(),
                line: HistoryLine {
                    id: MsgId(n),
                    at: Millis(1_800_000_000_000 + n),
                    from: name.clone(),
                    text: "a line of typical length, said in the lobby".into(),
                    kind: chat_core::MessageKind::Said,
                },
            }]);
            assert!(r[0].is_ok());
        })
    });
}

/// A generated store with `users` accounts and 1,000 lobby lines, bounded
/// as a server bounds it (history bytes per room and per pair).
fn server_store(dir: &std::path::Path, users: usize) -> Store {
    let mut store = generate(dir, users, 0, 1_000).expect("store");
    let limits = chat_core::Limits::default();
    store.bound_history_bytes(limits.history_bytes_per_room, limits.history_bytes_per_pair);
    store
}

const SIZES: [usize; 3] = [10_000, 100_000, 1_000_000];

/// On the disk: what a client waits for, mostly the fsync.
fn durable_change(c: &mut Criterion) {
    let mut g = c.benchmark_group("store durable change");
    g.sample_size(30);
    for users in SIZES {
        let dir = tempfile::tempdir().expect("tempdir");
        let mut store = server_store(dir.path(), users);
        changes(&mut g, &mut store, users);
    }
    g.finish();
}

/// On tmpfs, where an fsync costs next to nothing: the store's own work
/// (apply to the index, encode, seal, write), which must not grow with
/// the number of accounts.
fn change_without_disk(c: &mut Criterion) {
    let shm = std::path::Path::new("/dev/shm");
    if !shm.is_dir() {
        return;
    }
    let mut g = c.benchmark_group("store change on tmpfs");
    for users in SIZES {
        let dir = tempfile::tempdir_in(shm).expect("tempdir");
        let mut store = server_store(dir.path(), users);
        changes(&mut g, &mut store, users);
    }
    g.finish();
}

fn open(c: &mut Criterion) {
    let mut g = c.benchmark_group("store open");
    g.sample_size(10);
    for users in [10_000usize, 100_000] {
        let dir = tempfile::tempdir().expect("tempdir");
        drop(generate(dir.path(), users, users, 1_000).expect("store"));
        g.bench_with_input(BenchmarkId::new("accounts+lines", users), &users, |b, _| {
            b.iter(|| {
                let s = Store::open(dir.path(), KeySource::Raw(BENCH_KEY)).expect("open");
                assert_eq!(s.snapshot().users.len(), users);
            })
        });
    }
    g.finish();
}

criterion_group!(benches, durable_change, change_without_disk, open);
criterion_main!(benches);
