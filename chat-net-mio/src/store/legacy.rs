//! Reading the single-file store of earlier versions (`users.store`: the
//! sealed container at version 1 holding a RON snapshot), to migrate it;
//! its history lines get ids in the order they were kept.

use std::path::Path;

use chat_core::{Conversation, KickEntry, StoreSnapshot, UserRecord};
use ring::rand::SystemRandom;
use serde::Deserialize;

use super::error::StoreError;
use super::format::{rooms_of, Ids, LineV1, RoomRecordV1};
use super::key::KeySource;
use super::seal::{self, Kdf, SealKey, VERSION_LEGACY};
use super::snapshot::{sealed_error, sealed_header};

/// Opens `users.store`: its key (and how it was derived, kept for the new
/// snapshot so a passphrase keeps working) and its snapshot.
pub(crate) fn read(
    path: &Path,
    bytes: &[u8],
    key: &KeySource,
    rng: &SystemRandom,
) -> Result<([u8; 32], Kdf, StoreSnapshot), StoreError> {
    let header = sealed_header(path, bytes, VERSION_LEGACY)?;
    let (k, kdf) = key.resolve(path, Some(header.kdf), rng)?;
    let plain = seal::open(&SealKey::new(&k), &header, bytes)
        .map_err(|e| sealed_error(path, e, bytes.len()))?;
    let corrupt = |message: String| StoreError::Corrupt {
        path: path.display().to_string(),
        message,
    };
    let text = std::str::from_utf8(&plain).map_err(|e| corrupt(e.to_string()))?;
    let old: SnapshotV1 = ron::from_str(text).map_err(|e| corrupt(e.to_string()))?;
    let snapshot = StoreSnapshot {
        users: old.users,
        kicked: old.kicked,
        rooms: rooms_of(old.rooms),
        history: Ids::after(None).history(old.history),
    };
    Ok((k, kdf, snapshot))
}

/// The snapshot as `users.store` held it: history lines without ids.
#[derive(Deserialize)]
struct SnapshotV1 {
    users: Vec<UserRecord>,
    kicked: Vec<KickEntry>,
    #[serde(default)]
    rooms: Vec<RoomRecordV1>,
    #[serde(default)]
    history: Vec<(Conversation, Vec<LineV1>)>,
}
