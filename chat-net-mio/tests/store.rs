//! The sealed store over real files: round trips, group commit, refusals
//! that never overwrite, keys. (The journal's own cases: journal.rs.)

use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::time::Duration;

use chat_core::password::HashParams;
use chat_core::{Grant, KickEntry, Millis, StoreChange};
use chat_net_mio::store::{
    KeySource, Persister, Store, StoreError, HISTORY_BATCH_BYTES, HISTORY_BATCH_LINES,
    HISTORY_FLUSH, KEY_FILE, LOG_FILE, SNAPSHOT_FILE,
};

mod support;

use support::{name, now_line, user};

const KEY: KeySource = KeySource::Raw([5; 32]);

/// A store whose snapshot holds alice (compacted), and its snapshot's bytes.
fn store_with_alice(dir: &Path, key: KeySource) -> Vec<u8> {
    let mut s = Store::open(dir, key).unwrap();
    assert_eq!(s.commit(&[user("alice")]), vec![Ok(())]);
    s.compact().unwrap();
    std::fs::read(dir.join(SNAPSHOT_FILE)).unwrap()
}

#[test]
fn every_change_kind_round_trips_through_a_reopen() {
    let dir = tempfile::tempdir().unwrap();
    let mut s = Store::open(dir.path(), KEY).unwrap();
    assert!(s.snapshot().users.is_empty());
    let kick = StoreChange::Kick(KickEntry {
        name: name("bob"),
        by: name("alice"),
        at: Millis(7),
        reason: Some("spam".into()),
    });
    let results = s.commit(&[
        user("alice"),
        user("bob"),
        StoreChange::SetGrant {
            name: name("alice"),
            grant: Grant::Admin,
        },
        StoreChange::SetPassword {
            name: name("bob"),
            phc: "new".into(),
        },
        kick,
    ]);
    assert!(results.iter().all(Result::is_ok), "{results:?}");
    assert_eq!(s.writes(), 1, "one batch, one write");
    assert_eq!(
        s.commit(&[StoreChange::Unkick {
            name: name("carol")
        }]),
        vec![Ok(())]
    );
    drop(s);
    let s = Store::open(dir.path(), KEY).unwrap();
    let snap = s.snapshot();
    assert_eq!(snap.users.len(), 2);
    assert_eq!(snap.users[0].grant, Grant::Admin);
    assert_eq!(snap.users[1].phc, "new");
    assert_eq!(snap.kicked[0].reason.as_deref(), Some("spam"));
    let mut s = s;
    assert_eq!(
        s.commit(&[StoreChange::Unkick { name: name("bob") }]),
        vec![Ok(())]
    );
    assert!(Store::open(dir.path(), KEY)
        .unwrap()
        .snapshot()
        .kicked
        .is_empty());
}

#[test]
fn a_change_that_cannot_apply_fails_alone() {
    let dir = tempfile::tempdir().unwrap();
    let mut s = Store::open(dir.path(), KEY).unwrap();
    let results = s.commit(&[
        user("alice"),
        user("ALICE"),
        StoreChange::SetGrant {
            name: name("nobody"),
            grant: Grant::Admin,
        },
        user("bob"),
    ]);
    assert!(results[0].is_ok() && results[3].is_ok());
    assert!(matches!(results[1], Err(StoreError::Change(_))));
    assert!(matches!(results[2], Err(StoreError::Change(_))));
    assert_eq!(
        Store::open(dir.path(), KEY).unwrap().snapshot().users.len(),
        2
    );
}

#[test]
fn a_failed_write_fails_the_batch_and_keeps_the_snapshot() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let mut s = Store::open(&data, KEY).unwrap();
    // Make the write fail: the new log's temporary file's place is a folder.
    let blocker = data.join(format!("{LOG_FILE}.tmp"));
    std::fs::create_dir(&blocker).unwrap();
    let results = s.commit(&[user("bob"), user("carol")]);
    assert!(
        results
            .iter()
            .all(|r| matches!(r, Err(StoreError::Io { .. }))),
        "{results:?}"
    );
    assert!(s.snapshot().users.is_empty());
    // Once the way is clear, the same changes go through.
    std::fs::remove_dir(&blocker).unwrap();
    assert_eq!(s.commit(&[user("bob")]), vec![Ok(())]);
    assert_eq!(s.snapshot().users.len(), 1);
}

#[test]
fn wrong_key_is_refused_and_the_file_is_untouched() {
    let dir = tempfile::tempdir().unwrap();
    let before = store_with_alice(dir.path(), KEY);
    let err = Store::open(dir.path(), KeySource::Raw([6; 32])).unwrap_err();
    assert!(matches!(err, StoreError::Unseal { .. }), "{err}");
    assert!(err.to_string().contains(SNAPSHOT_FILE));
    assert_eq!(
        std::fs::read(dir.path().join(SNAPSHOT_FILE)).unwrap(),
        before
    );
}

#[test]
fn a_flipped_bit_in_every_region_is_refused_untouched() {
    let dir = tempfile::tempdir().unwrap();
    let good = store_with_alice(dir.path(), KEY);
    let path = dir.path().join(SNAPSHOT_FILE);
    // magic, version, reserved, nonce, body, tag
    for at in [0, 8, 11, 14, good.len() / 2, good.len() - 1] {
        let mut bad = good.clone();
        bad[at] ^= 0x10;
        std::fs::write(&path, &bad).unwrap();
        let err = Store::open(dir.path(), KEY).unwrap_err();
        assert!(err.to_string().contains(SNAPSHOT_FILE), "{err}");
        assert_eq!(
            std::fs::read(&path).unwrap(),
            bad,
            "rewritten after a flip at {at}"
        );
    }
}

#[test]
fn a_truncated_file_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let good = store_with_alice(dir.path(), KEY);
    let path = dir.path().join(SNAPSHOT_FILE);
    for len in [0, 5, 20, good.len() - 1] {
        std::fs::write(&path, &good[..len]).unwrap();
        assert!(
            Store::open(dir.path(), KEY).is_err(),
            "opened at {len} bytes"
        );
        assert_eq!(std::fs::read(&path).unwrap().len(), len);
    }
}

#[test]
fn key_file_is_created_private_and_required_afterwards() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let from_env = || KeySource::from_env_value(&data, None);
    let before = store_with_alice(&data, from_env());
    let key = data.join(KEY_FILE);
    assert_eq!(
        std::fs::metadata(&key).unwrap().permissions().mode() & 0o777,
        0o600
    );
    assert_eq!(
        std::fs::metadata(&data).unwrap().permissions().mode() & 0o777,
        0o700
    );
    assert_eq!(
        Store::open(&data, from_env())
            .unwrap()
            .snapshot()
            .users
            .len(),
        1
    );
    std::fs::remove_file(&key).unwrap();
    let err = Store::open(&data, from_env()).unwrap_err();
    assert!(matches!(err, StoreError::KeyMissing { .. }), "{err}");
    assert!(!key.exists(), "a new key was made for an existing store");
    assert_eq!(std::fs::read(data.join(SNAPSHOT_FILE)).unwrap(), before);
}

#[test]
fn leftover_temporary_file_is_removed() {
    let dir = tempfile::tempdir().unwrap();
    store_with_alice(dir.path(), KEY);
    let tmp = dir.path().join(format!("{SNAPSHOT_FILE}.tmp"));
    std::fs::write(&tmp, b"half a write").unwrap();
    Store::open(dir.path(), KEY).unwrap();
    assert!(!tmp.exists());
}

#[test]
fn passphrase_round_trip_and_wrong_passphrase() {
    let dir = tempfile::tempdir().unwrap();
    let pass = |p: &str| KeySource::Passphrase {
        passphrase: p.into(),
        params: HashParams::cheap(),
    };
    let before = store_with_alice(dir.path(), pass("correct horse"));
    assert_eq!(
        Store::open(dir.path(), pass("correct horse"))
            .unwrap()
            .snapshot()
            .users
            .len(),
        1
    );
    assert!(matches!(
        Store::open(dir.path(), pass("wrong horse")).unwrap_err(),
        StoreError::Unseal { .. }
    ));
    assert!(matches!(
        Store::open(dir.path(), KEY).unwrap_err(),
        StoreError::KeyKind { .. }
    ));
    assert_eq!(
        std::fs::read(dir.path().join(SNAPSHOT_FILE)).unwrap(),
        before
    );
    // CHAT_STORE_KEY: hex is a raw key, other text a passphrase.
    let raw = KeySource::from_env_value(dir.path(), Some("0f".repeat(32)));
    assert!(matches!(raw, KeySource::Raw(k) if k == [0x0f; 32]));
    assert!(format!("{raw:?}").contains("redacted"));
}

#[test]
fn persister_acknowledges_each_change_once_and_durably() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path(), KEY).unwrap();
    let (mut persister, committed) = Persister::spawn(store, || {}).unwrap();
    for i in 0..200u64 {
        persister.submit(i, user(&format!("u{i}")));
    }
    persister.submit(200, user("u0"));
    let mut acked = vec![0u32; 201];
    for _ in 0..201 {
        let c = committed.recv_timeout(Duration::from_secs(20)).unwrap();
        acked[c.id as usize] += 1;
        assert_eq!(c.result.is_ok(), c.id != 200, "{c:?}");
    }
    assert!(acked.iter().all(|&n| n == 1));
    let store = persister.shutdown().unwrap();
    assert!(
        store.writes() < 200,
        "no group commit: {} writes",
        store.writes()
    );
    assert_eq!(
        Store::open(dir.path(), KEY).unwrap().snapshot().users.len(),
        200
    );
}

#[test]
fn history_lines_wait_for_the_next_awaited_change_and_go_in_its_record() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path(), KEY).unwrap();
    let before = store.writes();
    let (mut persister, committed) = Persister::spawn(store, || {}).unwrap();
    for id in 1..=3 {
        persister.submit(id, now_line(&format!("line {id}")));
    }
    assert!(persister.deadline().is_some(), "the lines are held");
    persister.submit(4, user("bob"));
    assert_eq!(persister.deadline(), None, "they went with bob");
    let done = committed.recv_timeout(Duration::from_secs(10)).unwrap();
    assert_eq!((done.id, done.result), (4, Ok(())));
    // History lines are never acknowledged.
    assert!(committed.recv_timeout(Duration::from_millis(100)).is_err());
    let store = persister.shutdown().unwrap();
    assert_eq!(
        store.writes() - before,
        1,
        "one record for the lines and bob"
    );
    assert_eq!(store.snapshot().history[0].1.len(), 3);
}

#[test]
fn history_lines_alone_are_written_once_their_deadline_comes() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path(), KEY).unwrap();
    let before = store.writes();
    let (mut persister, _committed) = Persister::spawn(store, || {}).unwrap();
    let now = std::time::Instant::now();
    persister.submit(1, now_line("hello"));
    persister.submit(2, now_line("again"));
    let due = persister.deadline().expect("held");
    assert!(due >= now + HISTORY_FLUSH && due <= now + HISTORY_FLUSH + Duration::from_secs(5));
    persister.on_deadline(due - Duration::from_millis(1));
    assert_eq!(persister.deadline(), Some(due), "not yet");
    persister.on_deadline(due);
    assert_eq!(persister.deadline(), None, "handed to the writer");
    let store = persister.shutdown().unwrap();
    assert_eq!(store.writes() - before, 1, "both lines in one record");
    drop(store);
    let store = Store::open(dir.path(), KEY).unwrap();
    assert_eq!(store.snapshot().history[0].1.len(), 2);
}

#[test]
fn held_history_lines_go_to_the_writer_in_batches_of_a_bounded_size() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path(), KEY).unwrap();
    let before = store.writes();
    let (mut persister, _committed) = Persister::spawn(store, || {}).unwrap();
    for i in 0..HISTORY_BATCH_LINES {
        persister.submit(i as u64, now_line("x"));
    }
    assert_eq!(persister.deadline(), None, "a full batch goes at once");
    persister.submit(0, now_line("y"));
    assert!(persister.deadline().is_some());
    // Long lines fill a batch by their bytes.
    let mut long = now_line("z");
    if let StoreChange::AppendLine { line, .. } = &mut long {
        line.text = "z".repeat(4000);
    }
    for _ in 0..HISTORY_BATCH_BYTES.div_ceil(4000) {
        persister.submit(0, long.clone());
    }
    assert_eq!(persister.deadline(), None);
    // Shutting down writes what is held; a dropped persister would too.
    let store = persister.shutdown().unwrap();
    // The writer takes what queued up while it wrote: one or two records.
    assert!((1..=2).contains(&(store.writes() - before)));
}

/// The store's copy of a conversation's history is bounded by bytes as
/// the engine's is, not by its line count alone (1,000 lines of 4,000
/// bytes would be 4 MB a room), also across a reopen.
#[test]
fn history_is_bounded_by_bytes_like_the_engines() {
    let dir = tempfile::tempdir().unwrap();
    let text = "w".repeat(4_000);
    let mut s = Store::open(dir.path(), KEY).unwrap();
    let lines: Vec<StoreChange> = (0..100).map(|_| now_line(&text)).collect();
    assert!(s.commit(&lines).iter().all(Result::is_ok));
    assert_eq!(s.snapshot().history[0].1.len(), 100, "no byte bound yet");
    let bytes = |s: &Store| -> usize {
        s.snapshot().history[0]
            .1
            .iter()
            .map(|l| l.from.as_str().len() + l.text.len())
            .sum()
    };
    s.bound_history_bytes(64 * 1024, 1024);
    assert!(bytes(&s) <= 64 * 1024, "{}", bytes(&s));
    assert!(s.commit(&[now_line(&text)]).iter().all(Result::is_ok));
    assert!(bytes(&s) <= 64 * 1024);
    assert_eq!(s.snapshot().history[0].1.len(), 64 * 1024 / 4_005);
    drop(s);
    let mut s = Store::open(dir.path(), KEY).unwrap();
    s.bound_history_bytes(64 * 1024, 1024);
    assert!(bytes(&s) <= 64 * 1024);
}
