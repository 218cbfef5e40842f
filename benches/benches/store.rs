//! Criterion benches on the sealed store: seal (write) and open of 10,000
//! users.
//!
//! `cargo bench -p benches --bench store`

use chat_core::{Grant, Millis, StoreChange, UserName, UserRecord};
use chat_net_mio::store::{KeySource, Store};
use criterion::{criterion_group, criterion_main, Criterion};

const KEY: [u8; 32] = [3; 32];

fn store_of(dir: &std::path::Path, n: usize) -> Store {
    let mut store = Store::open(dir, KeySource::Raw(KEY)).expect("open");
    let changes: Vec<StoreChange> = (0..n)
        .map(|i| {
            StoreChange::AddUser(UserRecord {
                name: UserName::parse(&format!("user{i}")).expect("name"),
                phc: format!("$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHRzYWx0{i:06}$aGFzaGhhc2hoYXNoaGFzaGhhc2hoYXNoaGFzaGhhc2g"),
                grant: Grant::User,
                created: Millis(1_700_000_000_000 + i as u64),
            })
        })
        .collect();
    assert!(store.commit(&changes).iter().all(Result::is_ok));
    store
}

fn seal_and_open(c: &mut Criterion) {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut store = store_of(dir.path(), 10_000);
    let mut g = c.benchmark_group("store 10k users");
    g.sample_size(20);
    g.bench_function("seal+write (one change)", |b| {
        let name = UserName::parse("user1").expect("name");
        let mut flip = false;
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
    g.bench_function("open", |b| {
        b.iter(|| {
            let s = Store::open(dir.path(), KeySource::Raw(KEY)).expect("open");
            assert_eq!(s.snapshot().users.len(), 10_000);
        })
    });
    g.finish();
}

criterion_group!(benches, seal_and_open);
criterion_main!(benches);
