//! Stores of a chosen size for the store's benches and `chat-store-bench`:
//! accounts, and rooms with their history, written through the real store
//! (in batches, then compacted, so everything is in the snapshot).

use std::path::Path;

use chat_core::{
    Conversation, Grant, HistoryLine, Millis, MsgId, RoomName, RoomRecord, StoreChange, UserName,
    UserRecord,
};
use chat_net_mio::store::{KeySource, Store, StoreError, StoreOptions};

/// The key the bench stores are sealed with.
pub const BENCH_KEY: [u8; 32] = [3; 32];

/// A typical argon2id PHC string (97 bytes), different per user.
pub fn phc(i: usize) -> String {
    format!("$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHRzYWx0{i:08}$aGFzaGhhc2hoYXNoaGFzaGhhc2hoYXNoaGFzaGhhc2g")
}

/// The name of the `i`th bench user.
pub fn user_name(i: usize) -> UserName {
    UserName::parse(&format!("user{i}")).expect("a valid name")
}

fn now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as u64)
}

/// Writes a store of `users` accounts and `lines` history lines spread
/// over rooms of `lines_per_room` (each room created by a user) into `dir`.
pub fn generate(
    dir: &Path,
    users: usize,
    lines: usize,
    lines_per_room: usize,
) -> Result<Store, StoreError> {
    let options = StoreOptions {
        // Compaction only at the end, by hand.
        compact_min_bytes: u64::MAX,
        ..StoreOptions::default()
    };
    let mut store = Store::open_with(dir, KeySource::Raw(BENCH_KEY), options)?;
    let created = now();
    let batch = 50_000;
    let mut changes = Vec::with_capacity(batch);
    let flush = |changes: &mut Vec<StoreChange>, store: &mut Store| {
        let results = store.commit(changes);
        changes.clear();
        results.into_iter().collect::<Result<Vec<()>, StoreError>>()
    };
    for i in 0..users {
        changes.push(StoreChange::AddUser(UserRecord {
            name: user_name(i),
            phc: phc(i),
            grant: Grant::User,
            created: Millis(created),
        }));
        if changes.len() == batch {
            flush(&mut changes, &mut store)?;
        }
    }
    let rooms = lines.div_ceil(lines_per_room.max(1));
    for r in 0..rooms {
        let name = RoomName::parse(&format!("room{r}")).expect("a valid room");
        changes.push(StoreChange::CreateRoom(RoomRecord {
            name: name.clone(),
            operator: user_name(r % users.max(1)),
            created: Millis(created),
            topic: None,
            modes: Default::default(),
        }));
        let here = lines_per_room.min(lines - r * lines_per_room);
        for l in 0..here {
            changes.push(StoreChange::AppendLine {
                conversation: Conversation::Room(name.key()),
                line: HistoryLine {
                    id: MsgId((r * lines_per_room + l) as u64 + 1),
                    at: Millis(created + l as u64),
                    from: user_name((r + l) % users.max(1)),
                    text: format!("line {l} of room {r}: a message of typical length, some words"),
                    kind: chat_core::MessageKind::Said,
                },
            });
        }
        if changes.len() >= batch {
            flush(&mut changes, &mut store)?;
        }
    }
    flush(&mut changes, &mut store)?;
    store.compact()?;
    Ok(store)
}
