//! The journal over real files: torn tails cut, damage refused with file
//! and offset, migration from `users.store`, compaction while changes
//! flow (and every state a crash mid-compaction leaves), history bounded
//! by retention, backup and restore.

use std::path::{Path, PathBuf};
use std::time::Duration;

use chat_core::{
    Conversation, Grant, HistoryLine, KickEntry, Millis, MsgId, Retention, RoomModes, RoomName,
    RoomRecord, StoreChange, StoreSnapshot, Topic,
};
use chat_net_mio::store::{
    KeySource, Persister, Store, StoreError, StoreOptions, KEY_FILE, LEGACY_STORE_FILE, LOG_FILE,
    PREV_LOG_FILE, SNAPSHOT_FILE,
};

mod support;

use support::{lobby, name, now_line as line, user};

const KEY: KeySource = KeySource::Raw([5; 32]);

fn log_path(dir: &Path) -> PathBuf {
    dir.join(LOG_FILE)
}

/// Three records (one user each) and where each record starts.
fn three_records(dir: &Path) -> Vec<u64> {
    let mut s = Store::open(dir, KEY).unwrap();
    let mut starts = Vec::new();
    for u in ["alice", "bob", "carol"] {
        starts.push(s.log_len().max(32));
        assert_eq!(s.commit(&[user(u)]), vec![Ok(())]);
    }
    starts
}

fn users(dir: &Path) -> Vec<String> {
    Store::open(dir, KEY)
        .unwrap()
        .snapshot()
        .users
        .iter()
        .map(|u| u.name.as_str().to_owned())
        .collect()
}

#[test]
fn a_torn_tail_is_cut_off_and_the_log_goes_on() {
    let dir = tempfile::tempdir().unwrap();
    let starts = three_records(dir.path());
    let log = log_path(dir.path());
    let full = std::fs::read(&log).unwrap();
    // Every cut inside the last record: a crash mid-append.
    for cut in [starts[2] + 1, starts[2] + 20, full.len() as u64 - 1] {
        std::fs::write(&log, &full[..cut as usize]).unwrap();
        assert_eq!(users(dir.path()), ["alice", "bob"], "cut at {cut}");
        assert_eq!(std::fs::metadata(&log).unwrap().len(), starts[2]);
        std::fs::write(&log, &full).unwrap();
    }
    // A last record that does not authenticate, and zeros after the end.
    let mut bad_tag = full.clone();
    *bad_tag.last_mut().unwrap() ^= 1;
    std::fs::write(&log, &bad_tag).unwrap();
    assert_eq!(users(dir.path()), ["alice", "bob"]);
    let mut zeros = full.clone();
    zeros.extend_from_slice(&[0; 100]);
    std::fs::write(&log, &zeros).unwrap();
    assert_eq!(users(dir.path()), ["alice", "bob", "carol"]);
    assert_eq!(std::fs::metadata(&log).unwrap().len(), full.len() as u64);
    // After a cut, new records follow on.
    std::fs::write(&log, &full[..full.len() - 3]).unwrap();
    let mut s = Store::open(dir.path(), KEY).unwrap();
    assert_eq!(s.commit(&[user("dave")]), vec![Ok(())]);
    drop(s);
    assert_eq!(users(dir.path()), ["alice", "bob", "dave"]);
}

fn refused_at(dir: &Path, offset: u64) {
    let log = log_path(dir);
    let before = std::fs::read(&log).unwrap();
    let err = Store::open(dir, KEY).unwrap_err();
    match &err {
        StoreError::Damaged {
            path, offset: at, ..
        } => {
            assert!(path.ends_with(LOG_FILE), "{err}");
            assert_eq!(*at, offset, "{err}");
        }
        other => panic!("expected Damaged, got {other}"),
    }
    assert!(err.to_string().contains(LOG_FILE) && err.to_string().contains(&offset.to_string()));
    assert_eq!(
        std::fs::read(&log).unwrap(),
        before,
        "a damaged log was written"
    );
}

#[test]
fn damage_in_the_middle_is_refused_with_file_and_offset() {
    let dir = tempfile::tempdir().unwrap();
    let starts = three_records(dir.path());
    let log = log_path(dir.path());
    let good = std::fs::read(&log).unwrap();
    // A flipped bit in the body, the nonce, the sequence number, the
    // length of the first or second record.
    for (record, within) in [(0, 40), (1, 30), (0, 20), (1, 9), (0, 1), (1, 4)] {
        let mut bad = good.clone();
        bad[(starts[record] + within) as usize] ^= 0x04;
        std::fs::write(&log, &bad).unwrap();
        refused_at(dir.path(), starts[record]);
    }
    // The header is in every record's associated data.
    let mut bad = good.clone();
    bad[20] ^= 1; // its generation
    std::fs::write(&log, &bad).unwrap();
    assert!(matches!(
        Store::open(dir.path(), KEY).unwrap_err(),
        StoreError::Damaged { offset: 0, .. }
    ));
    // A record replayed at the end is out of sequence, not a torn tail.
    let mut replayed = good.clone();
    replayed.extend_from_slice(&good[starts[1] as usize..starts[2] as usize]);
    std::fs::write(&log, &replayed).unwrap();
    refused_at(dir.path(), good.len() as u64);
    std::fs::write(&log, &good).unwrap();
    assert_eq!(users(dir.path()), ["alice", "bob", "carol"]);
}

#[test]
fn a_log_without_its_snapshot_or_a_damaged_snapshot_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    three_records(dir.path());
    let snap = dir.path().join(SNAPSHOT_FILE);
    let good = std::fs::read(&snap).unwrap();
    let mut bad = good.clone();
    let mid = bad.len() / 2;
    bad[mid] ^= 1;
    std::fs::write(&snap, &bad).unwrap();
    let err = Store::open(dir.path(), KEY).unwrap_err();
    assert!(err.to_string().contains(SNAPSHOT_FILE), "{err}");
    std::fs::remove_file(&snap).unwrap();
    let err = Store::open(dir.path(), KEY).unwrap_err();
    assert!(
        matches!(err, StoreError::Damaged { offset: 0, .. }),
        "{err}"
    );
    assert!(!snap.exists(), "a new snapshot was made beside a log");
}

#[test]
fn the_old_single_file_store_is_migrated_once() {
    let dir = tempfile::tempdir().unwrap();
    let fixture = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/legacy-store");
    for f in [LEGACY_STORE_FILE, KEY_FILE] {
        std::fs::copy(fixture.join(f), dir.path().join(f)).unwrap();
    }
    let key = || KeySource::KeyFile(dir.path().join(KEY_FILE));
    let wrong = Store::open(dir.path(), KeySource::Raw([1; 32])).unwrap_err();
    assert!(wrong.to_string().contains(LEGACY_STORE_FILE), "{wrong}");
    assert!(
        dir.path().join(LEGACY_STORE_FILE).exists(),
        "removed after a failed open"
    );
    let mut s = Store::open(dir.path(), key()).unwrap();
    let snap = s.snapshot();
    let names: Vec<&str> = snap.users.iter().map(|u| u.name.as_str()).collect();
    assert_eq!(names, ["alice", "Bob", "carol"]);
    assert_eq!(snap.users[1].grant, Grant::Admin);
    assert_eq!(snap.kicked.len(), 1);
    assert_eq!(snap.kicked[0].reason.as_deref(), Some("spam"));
    assert!(!dir.path().join(LEGACY_STORE_FILE).exists());
    assert_eq!(s.commit(&[user("dave")]), vec![Ok(())]);
    drop(s);
    // A crash after the snapshot, before the old file went: the snapshot
    // (with what came after) wins, the old file is retired.
    std::fs::copy(
        fixture.join(LEGACY_STORE_FILE),
        dir.path().join(LEGACY_STORE_FILE),
    )
    .unwrap();
    assert_eq!(
        Store::open(dir.path(), key())
            .unwrap()
            .snapshot()
            .users
            .len(),
        4
    );
    assert!(!dir.path().join(LEGACY_STORE_FILE).exists());
}

#[test]
fn history_is_bounded_by_retention_across_reopens() {
    let dir = tempfile::tempdir().unwrap();
    let options = StoreOptions {
        retention: Retention {
            room_lines: 10,
            private_lines: 2,
            max_age_ms: 3_600_000,
        },
        ..StoreOptions::default()
    };
    let mut s = Store::open_with(dir.path(), KEY, options).unwrap();
    let old = StoreChange::AppendLine {
        conversation: lobby(),
        line: HistoryLine {
            id: MsgId(1),
            at: Millis(1),
            from: name("alice"),
            text: "ancient".into(),
            kind: chat_core::MessageKind::Said,
        },
    };
    assert_eq!(s.commit(&[old]), vec![Ok(())]);
    for i in 0..50 {
        assert_eq!(s.commit(&[line(&i.to_string())]), vec![Ok(())]);
    }
    let check = |snap: StoreSnapshot| {
        assert_eq!(snap.history.len(), 1);
        let texts: Vec<String> = snap.history[0].1.iter().map(|l| l.text.clone()).collect();
        let want: Vec<String> = (40..50).map(|i: i32| i.to_string()).collect();
        assert_eq!(texts, want);
    };
    check(s.snapshot());
    drop(s);
    let mut s = Store::open_with(dir.path(), KEY, options).unwrap();
    check(s.snapshot());
    s.compact().unwrap();
    drop(s);
    check(
        Store::open_with(dir.path(), KEY, options)
            .unwrap()
            .snapshot(),
    );
}

/// Every kind of change, then the same through `StoreSnapshot::apply`: the
/// store means what the shared interface means.
#[test]
fn the_store_agrees_with_the_snapshot_meaning_of_changes() {
    let dir = tempfile::tempdir().unwrap();
    let room = RoomName::parse("Rust").unwrap();
    let changes = vec![
        user("alice"),
        user("bob"),
        StoreChange::CreateRoom(RoomRecord {
            name: room.clone(),
            operator: name("alice"),
            created: Millis(5),
            topic: None,
            modes: Default::default(),
        }),
        StoreChange::SetTopic {
            room: room.clone(),
            topic: Some(Topic {
                text: "borrowck".into(),
                by: name("alice"),
                at: Millis(6),
            }),
        },
        StoreChange::Kick(KickEntry {
            name: name("bob"),
            by: name("alice"),
            at: Millis(7),
            reason: None,
        }),
        line("hello"),
        StoreChange::AppendLine {
            conversation: Conversation::Room(room.key()),
            line: HistoryLine {
                id: MsgId(2),
                at: Millis(u64::MAX / 2),
                from: name("bob"),
                text: "in rust".into(),
                kind: chat_core::MessageKind::Said,
            },
        },
        StoreChange::AppendLine {
            conversation: Conversation::private(&name("bob"), &name("alice")),
            line: HistoryLine {
                id: MsgId(3),
                at: Millis(u64::MAX / 2),
                from: name("bob"),
                text: "psst".into(),
                kind: chat_core::MessageKind::Said,
            },
        },
        StoreChange::SetGrant {
            name: name("bob"),
            grant: Grant::Admin,
        },
        StoreChange::Unkick { name: name("bob") },
        StoreChange::CreateRoom(RoomRecord {
            name: RoomName::parse("rust").unwrap(),
            operator: name("bob"),
            created: Millis(8),
            topic: None,
            modes: Default::default(),
        }),
        StoreChange::RemoveRoom { room },
        user("ALICE"),
    ];
    let mut s = Store::open(dir.path(), KEY).unwrap();
    let mut reference = StoreSnapshot::default();
    for (i, change) in changes.iter().enumerate() {
        let got = s.commit(std::slice::from_ref(change));
        let want = reference.apply(change);
        assert_eq!(
            got[0].is_ok(),
            want.is_ok(),
            "change {i}: {got:?} vs {want:?}"
        );
    }
    drop(s);
    let mut reopened = Store::open(dir.path(), KEY).unwrap().snapshot();
    reopened.history.sort_by(|a, b| a.0.cmp(&b.0));
    reference.history.sort_by(|a, b| a.0.cmp(&b.0));
    assert_eq!(reopened, reference);
}

#[test]
fn compaction_while_changes_flow_keeps_every_acknowledged_one() {
    // From the files, and from the writer's copy of its state.
    for compact_from_memory_max_bytes in [0, u64::MAX] {
        compaction_while_changes_flow(StoreOptions {
            compact_factor: 1,
            compact_min_bytes: 4096,
            compact_from_memory_max_bytes,
            ..StoreOptions::default()
        });
    }
}

fn compaction_while_changes_flow(options: StoreOptions) {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open_with(dir.path(), KEY, options).unwrap();
    let (mut persister, committed) = Persister::spawn(store, || {}).unwrap();
    let n = 3_000u64;
    let mut backups = Vec::new();
    for i in 0..n {
        persister.submit(2 * i, user(&format!("u{i}")));
        persister.submit(2 * i + 1, line(&format!("line {i}")));
        if i % 1000 == 500 {
            let (tx, rx) = std::sync::mpsc::channel();
            let out = dir.path().join(format!("backup-{i}"));
            persister.backup(out.clone(), tx);
            backups.push((i, out, rx));
        }
    }
    // History lines are not acknowledged: one answer per user.
    for _ in 0..n {
        let c = committed.recv_timeout(Duration::from_secs(60)).unwrap();
        assert_eq!(c.result, Ok(()), "{c:?}");
    }
    for (_, _, rx) in &backups {
        rx.recv_timeout(Duration::from_secs(60)).unwrap().unwrap();
    }
    let store = persister.shutdown().unwrap();
    // At least one compaction beside the writer while changes came (how
    // many depends on how fast the machine writes snapshots: one runs at
    // a time).
    assert!(store.generation() > 1, "never compacted");
    drop(store);
    let snap = Store::open_with(dir.path(), KEY, options)
        .unwrap()
        .snapshot();
    assert_eq!(snap.users.len(), n as usize);
    assert_eq!(snap.history[0].1.len(), 1_000, "the default room retention");
    assert_eq!(
        snap.history[0].1.last().unwrap().text,
        format!("line {}", n - 1)
    );
    // Each backup holds at least what was submitted before it, whole.
    for (i, out, _) in &backups {
        let restored = tempfile::tempdir().unwrap();
        Store::restore(restored.path(), out, KEY).unwrap();
        let users = Store::open(restored.path(), KEY).unwrap().snapshot().users;
        assert!(users.len() as u64 > *i, "backup at {i} has {}", users.len());
        for (k, u) in users.iter().enumerate() {
            assert_eq!(u.name.as_str(), format!("u{k}"));
        }
    }
}

/// Every state of the files a compaction beside the writer passes
/// through opens with every change committed before it, and the live log
/// without the handed-over one is refused.
#[test]
fn every_step_of_a_compaction_beside_the_writer_opens_whole() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let mut s = Store::open(d, KEY).unwrap();
    let room = RoomName::parse("den").unwrap();
    let every_kind = [
        user("a1"),
        user("a2"),
        StoreChange::Kick(KickEntry {
            name: name("a2"),
            by: name("a1"),
            at: Millis(7),
            reason: Some("loud".into()),
        }),
        StoreChange::CreateRoom(RoomRecord {
            name: room.clone(),
            operator: name("a1"),
            created: Millis(5),
            topic: None,
            modes: Default::default(),
        }),
        line("in the lobby"),
    ];
    assert!(s.commit(&every_kind).iter().all(Result::is_ok));
    let old_snapshot = std::fs::read(d.join(SNAPSHOT_FILE)).unwrap();
    let old_log = std::fs::read(d.join(LOG_FILE)).unwrap();
    let generation = s.generation();
    s.compact_in_background().unwrap();
    // The writer goes on at once, on the new log.
    assert_eq!(s.commit(&[user("b1")]), vec![Ok(())]);
    assert_eq!(s.generation(), generation + 1);
    s.wait_for_compaction();
    assert!(!s.is_compacting());
    assert!(
        !d.join(PREV_LOG_FILE).exists(),
        "removed once in the snapshot"
    );
    assert_eq!(s.commit(&[user("b2")]), vec![Ok(())]);
    let held = s.snapshot();
    drop(s);
    // The snapshot written from the files, and the log after it, hold
    // what the writer held: accounts, kicks, rooms and history alike.
    assert_eq!(Store::open(d, KEY).unwrap().snapshot(), held);
    let new_snapshot = std::fs::read(d.join(SNAPSHOT_FILE)).unwrap();
    let new_log = std::fs::read(d.join(LOG_FILE)).unwrap();
    assert_ne!(new_snapshot, old_snapshot);
    assert_eq!(users(d), ["a1", "a2", "b1", "b2"]);

    // (snapshot, handed-over log, live log) as a crash can leave them,
    // and the accounts each holds.
    type Files<'a> = (&'a [u8], Option<&'a [u8]>, Option<&'a [u8]>);
    let states: [(Files, &[&str]); 3] = [
        // Handed over, the new log not created yet.
        ((&old_snapshot, Some(&old_log), None), &["a1", "a2"]),
        // Handed over, the writer appending to the new log.
        (
            (&old_snapshot, Some(&old_log), Some(&new_log)),
            &["a1", "a2", "b1", "b2"],
        ),
        // The new snapshot in place, the handed-over log not removed yet.
        (
            (&new_snapshot, Some(&old_log), Some(&new_log)),
            &["a1", "a2", "b1", "b2"],
        ),
    ];
    for (i, ((snapshot, prev, log), want)) in states.into_iter().enumerate() {
        let crashed = tempfile::tempdir().unwrap();
        let c = crashed.path();
        std::fs::write(c.join(SNAPSHOT_FILE), snapshot).unwrap();
        if let Some(prev) = prev {
            std::fs::write(c.join(PREV_LOG_FILE), prev).unwrap();
        }
        if let Some(log) = log {
            std::fs::write(c.join(LOG_FILE), log).unwrap();
        }
        let mut s = Store::open(c, KEY).unwrap();
        assert!(
            !c.join(PREV_LOG_FILE).exists(),
            "state {i}: finished at open"
        );
        assert_eq!(s.commit(&[user("z")]), vec![Ok(())], "state {i}");
        drop(s);
        let mut expected: Vec<&str> = want.to_vec();
        expected.push("z");
        assert_eq!(users(c), expected, "state {i}");
    }

    // The live log of the next generation without the log handed over
    // before it: records are missing, refused.
    let lost = tempfile::tempdir().unwrap();
    std::fs::write(lost.path().join(SNAPSHOT_FILE), &old_snapshot).unwrap();
    std::fs::write(lost.path().join(LOG_FILE), &new_log).unwrap();
    let err = Store::open(lost.path(), KEY).unwrap_err();
    assert!(matches!(err, StoreError::Damaged { .. }), "{err}");
    // A handed-over log that does not follow the snapshot: refused.
    std::fs::write(lost.path().join(PREV_LOG_FILE), &new_log).unwrap();
    let err = Store::open(lost.path(), KEY).unwrap_err();
    assert!(
        matches!(err, StoreError::Damaged { .. }) && err.to_string().contains(PREV_LOG_FILE),
        "{err}"
    );
}

#[test]
fn backup_from_the_files_and_restore_over_a_store() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("backup.snapshot");
    let data = dir.path().join("data");
    let mut s = Store::open(&data, KEY).unwrap();
    assert_eq!(s.commit(&[user("alice"), line("hi")]), vec![Ok(()), Ok(())]);
    s.compact().unwrap();
    assert_eq!(s.commit(&[user("bob")]), vec![Ok(())]);
    // While the store is open (as a running server holds it).
    Store::backup_files(&data, KEY, &out).unwrap();
    assert_eq!(s.commit(&[user("carol")]), vec![Ok(())]);
    drop(s);
    assert!(matches!(
        Store::restore(&data, &out, KeySource::Raw([9; 32])),
        Err(StoreError::Unseal { .. })
    ));
    assert_eq!(
        users(&data),
        ["alice", "bob", "carol"],
        "a failed restore changed the store"
    );
    Store::restore(&data, &out, KEY).unwrap();
    let snap = Store::open(&data, KEY).unwrap().snapshot();
    let names: Vec<&str> = snap.users.iter().map(|u| u.name.as_str()).collect();
    assert_eq!(names, ["alice", "bob"]);
    assert_eq!(snap.history[0].1[0].text, "hi");
    // The restored store takes changes and keeps them.
    let mut s = Store::open(&data, KEY).unwrap();
    assert_eq!(s.commit(&[user("dave")]), vec![Ok(())]);
    drop(s);
    assert_eq!(users(&data), ["alice", "bob", "dave"]);
}

#[test]
fn restore_refuses_a_folder_in_use() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let out = dir.path().join("b");
    Store::open(&data, KEY).unwrap();
    Store::backup_files(&data, KEY, &out).unwrap();
    let _held = chat_net_mio::store::DirLock::acquire(&data).unwrap();
    assert!(matches!(
        Store::restore(&data, &out, KEY),
        Err(StoreError::Locked { .. })
    ));
}

/// A copy of a data folder an earlier version wrote
/// (`tests/fixtures/<name>`), to open and migrate.
fn fixture_copy(name: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let fixture = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name);
    for f in [SNAPSHOT_FILE, LOG_FILE] {
        std::fs::copy(fixture.join(f), dir.path().join(f)).unwrap();
    }
    dir
}

/// The key the fixtures were sealed with.
fn fixture_key() -> KeySource {
    KeySource::Raw([7; 32])
}

/// Options that keep the fixtures' old lines however old they are.
fn keep_every_line() -> StoreOptions {
    StoreOptions {
        retention: Retention {
            max_age_ms: u64::MAX,
            ..Retention::default()
        },
        ..StoreOptions::default()
    }
}

/// The format versions of a data folder's snapshot and log.
fn file_versions(dir: &Path) -> (u8, u8) {
    let version = |file: &str| std::fs::read(dir.join(file)).unwrap()[8];
    (version(SNAPSHOT_FILE), version(LOG_FILE))
}

/// A data folder written by the version before message ids (a snapshot
/// with history, then log records after it): it opens with every line
/// given an id in the order it was kept, is rewritten in the current
/// format at once, and keeps those ids from then on.
#[test]
fn a_store_from_before_message_ids_opens_with_ids_in_order() {
    let dir = fixture_copy("journal-v1");
    let (key, options) = (fixture_key, keep_every_line());
    assert_eq!(file_versions(dir.path()), (2, 1));
    let s = Store::open_with(dir.path(), key(), options).unwrap();
    assert_eq!(
        file_versions(dir.path()),
        (5, 4),
        "rewritten in the current format on opening"
    );
    let snap = s.snapshot();
    let names: Vec<&str> = snap.users.iter().map(|u| u.name.as_str()).collect();
    assert_eq!(names, ["alice", "bob"]);
    let den = Conversation::Room(RoomName::parse("den").unwrap().key());
    let pair = Conversation::private(&name("alice"), &name("bob"));
    let lines = |snap: &StoreSnapshot, c: &Conversation| -> Vec<(u64, String)> {
        snap.history
            .iter()
            .find(|(k, _)| k == c)
            .map(|(_, l)| l.iter().map(|l| (l.id.0, l.text.clone())).collect())
            .unwrap_or_default()
    };
    let expect = |what: &str| -> Vec<String> {
        (1..=12)
            .map(|i| format!("snap {what} {i}"))
            .chain((1..=5).map(|i| format!("log {what} {i}")))
            .collect()
    };
    for (c, what) in [(lobby(), "lobby"), (den.clone(), "den")] {
        let got = lines(&snap, &c);
        let texts: Vec<String> = got.iter().map(|(_, t)| t.clone()).collect();
        assert_eq!(texts, expect(what), "every line, in order");
        assert!(got.windows(2).all(|w| w[0].0 < w[1].0), "{got:?}");
    }
    let psst = lines(&snap, &pair);
    assert_eq!(psst.len(), 2);
    assert!(psst[0].0 < psst[1].0);
    // The snapshot's lines come before the log's, in every conversation.
    let last_of_snapshot = lines(&snap, &lobby())[11].0.max(lines(&snap, &den)[11].0);
    assert!(last_of_snapshot < lines(&snap, &lobby())[12].0.min(psst[1].0));
    drop(s);
    let mut s = Store::open_with(dir.path(), key(), options).unwrap();
    assert_eq!(s.snapshot(), snap, "the ids are kept once given");
    let next = snap.last_msg_id().unwrap().next();
    let new = StoreChange::AppendLine {
        conversation: lobby(),
        line: HistoryLine {
            id: next,
            at: Millis(3_000),
            from: name("bob"),
            text: "after the migration".into(),
            kind: chat_core::MessageKind::Said,
        },
    };
    assert_eq!(s.commit(&[new]), vec![Ok(())]);
    drop(s);
    let s = Store::open_with(dir.path(), key(), options).unwrap();
    let lobby_lines = lines(&s.snapshot(), &lobby());
    assert_eq!(
        lobby_lines.last().unwrap(),
        &(next.0, "after the migration".into())
    );
}

/// A data folder written by the version before room modes (a snapshot
/// holding the room `den`, then a log creating `attic`): both rooms open
/// with the default modes and their topics, the store is rewritten in
/// the current format at once, and a change of modes is kept from then
/// on.
#[test]
fn a_store_from_before_room_modes_opens_with_default_modes() {
    let dir = fixture_copy("journal-v2");
    let (key, options) = (fixture_key, keep_every_line());
    assert_eq!(file_versions(dir.path()), (3, 2));
    let mut s = Store::open_with(dir.path(), key(), options).unwrap();
    assert_eq!(
        file_versions(dir.path()),
        (5, 4),
        "rewritten in the current format on opening"
    );
    let snap = s.snapshot();
    let rooms: Vec<(&str, Option<&str>, &RoomModes)> = snap
        .rooms
        .iter()
        .map(|r| {
            let topic = r.topic.as_ref().map(|t| t.text.as_str());
            (r.name.as_str(), topic, &r.modes)
        })
        .collect();
    let plain = RoomModes::default();
    assert_eq!(
        rooms,
        [
            ("den", Some("kept topic"), &plain),
            ("attic", Some("topic in the log"), &plain)
        ]
    );
    let attic = Conversation::Room(RoomName::parse("attic").unwrap().key());
    let said = snap.history.iter().find(|(c, _)| *c == attic).unwrap();
    assert_eq!(said.1[0].text, "said in the attic");
    let secret = RoomModes {
        secret: true,
        key: Some("sesame".into()),
        ..RoomModes::default()
    };
    let change = StoreChange::SetModes {
        room: RoomName::parse("den").unwrap(),
        modes: secret.clone(),
    };
    assert_eq!(s.commit(&[change]), vec![Ok(())]);
    drop(s);
    let s = Store::open_with(dir.path(), key(), options).unwrap();
    assert_eq!(s.snapshot().rooms[0].modes, secret);
}

/// A data folder written by the version before line kinds (a snapshot of
/// version 4 with lines in the lobby, `den` and a private pair, then log
/// records of version 3 with more): every line opens as said, the rooms
/// keep their modes, the store is rewritten in the current format at
/// once, and a notice and an action committed then come back as such
/// after a restart (and after a compaction).
#[test]
fn a_store_from_before_line_kinds_opens_with_every_line_said() {
    use chat_core::MessageKind;
    let dir = fixture_copy("journal-v3");
    let (key, options) = (fixture_key, keep_every_line());
    assert_eq!(file_versions(dir.path()), (4, 3));
    let mut s = Store::open_with(dir.path(), key(), options).unwrap();
    assert_eq!(
        file_versions(dir.path()),
        (5, 4),
        "rewritten in the current format on opening"
    );
    let snap = s.snapshot();
    let den = Conversation::Room(RoomName::parse("den").unwrap().key());
    let pair = Conversation::private(&name("alice"), &name("bob"));
    let lines = |snap: &StoreSnapshot, c: &Conversation| -> Vec<(u64, String, MessageKind)> {
        snap.history
            .iter()
            .find(|(k, _)| k == c)
            .map(|(_, l)| l.iter().map(|l| (l.id.0, l.text.clone(), l.kind)).collect())
            .unwrap_or_default()
    };
    let said = |id: u64, text: &str| (id, text.to_owned(), MessageKind::Said);
    assert_eq!(
        lines(&snap, &lobby()),
        [
            said(1, "snap lobby 1"),
            said(2, "snap lobby 2"),
            said(5, "log lobby 1")
        ]
    );
    assert_eq!(
        lines(&snap, &den),
        [said(3, "snap den 1"), said(6, "log den 1")]
    );
    assert_eq!(
        lines(&snap, &pair),
        [said(4, "snap psst"), said(7, "log psst")]
    );
    assert!(snap.rooms[0].modes.secret, "the room's modes are kept");
    let line = |conversation: &Conversation, id: u64, text: &str, kind| StoreChange::AppendLine {
        conversation: conversation.clone(),
        line: HistoryLine {
            id: MsgId(id),
            at: Millis(2_000),
            from: name("bob"),
            text: text.into(),
            kind,
        },
    };
    let new = [
        line(&den, 8, "heads up", MessageKind::Notice),
        line(&den, 9, "waves", MessageKind::Action),
        line(&pair, 10, "psst", MessageKind::Notice),
    ];
    assert_eq!(s.commit(&new), vec![Ok(()), Ok(()), Ok(())]);
    drop(s);
    let expected = |snap: &StoreSnapshot| {
        let den_lines = lines(snap, &den);
        assert_eq!(
            den_lines[2..],
            [
                (8, "heads up".into(), MessageKind::Notice),
                (9, "waves".into(), MessageKind::Action)
            ]
        );
        assert_eq!(
            lines(snap, &pair).last().unwrap(),
            &(10, "psst".into(), MessageKind::Notice)
        );
    };
    // From the log, then from a snapshot.
    let mut s = Store::open_with(dir.path(), key(), options).unwrap();
    expected(&s.snapshot());
    s.compact().unwrap();
    drop(s);
    let s = Store::open_with(dir.path(), key(), options).unwrap();
    expected(&s.snapshot());
    assert_eq!(lines(&s.snapshot(), &lobby()), lines(&snap, &lobby()));
}
