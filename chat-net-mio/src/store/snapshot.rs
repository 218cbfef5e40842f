//! The journal's snapshot file, `store.snapshot` (and a backup, which has
//! the same format): the sealed container of `seal.rs` at version 5,
//! whose plaintext is
//!
//! ```text
//! generation  8  u64 LE: one more at each compaction
//! next_seq    8  u64 LE: the sequence number of the first record after it
//! users_len   8  u64 LE: the length of the next part
//! users       *  postcard: the accounts
//! others      *  postcard: the kick list, the rooms, the history
//! ```
//!
//! postcard is not self-describing: the records' shapes (the fields of
//! `UserRecord`, `KickEntry`, `RoomRecord`, `Topic`, `HistoryLine`, the
//! variants of `StoreChange`, `Conversation` and `Grant`, in their order)
//! are the disk format. A new variant at the end of an enum is compatible;
//! any other change to those types needs a new version here and in the
//! log, and a migration.
//!
//! The accounts and the rest are apart so that start-up decodes and
//! indexes them on two threads. postcard rather than RON: it is several
//! times faster to encode and decode and about half the size, and start-up
//! with a million accounts reads the whole snapshot.

use std::path::Path;

use chat_core::{StoreSnapshot, UserRecord};
use ring::rand::SystemRandom;

use super::error::StoreError;
use super::format::{rooms_of, Ids, OthersV1, OthersV3, OthersV4};
use super::seal::{
    self, Kdf, SealError, SealKey, VERSION_SNAPSHOT, VERSION_SNAPSHOT_V2, VERSION_SNAPSHOT_V3,
    VERSION_SNAPSHOT_V4,
};
use super::state::{Others, OthersRef};

/// The snapshot's place in the journal.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Position {
    /// Incremented by each compaction: a log of an older generation is
    /// already in this snapshot.
    pub(crate) generation: u64,
    /// The sequence number of the first record after the snapshot.
    pub(crate) next_seq: u64,
}

const PREFIX: usize = 24;

/// Encodes and seals a snapshot.
pub(crate) fn seal_snapshot(
    path: &Path,
    key: &SealKey,
    kdf: &Kdf,
    position: Position,
    snapshot: &StoreSnapshot,
    rng: &SystemRandom,
) -> Result<Vec<u8>, StoreError> {
    let corrupt = |e: postcard::Error| StoreError::Corrupt {
        path: path.display().to_string(),
        message: e.to_string(),
    };
    let mut plain = Vec::with_capacity(PREFIX);
    plain.extend_from_slice(&position.generation.to_le_bytes());
    plain.extend_from_slice(&position.next_seq.to_le_bytes());
    plain.extend_from_slice(&[0; 8]);
    let plain = postcard::to_extend(&snapshot.users, plain).map_err(corrupt)?;
    let users_len = (plain.len() - PREFIX) as u64;
    let mut plain = postcard::to_extend(&OthersRef::of(snapshot), plain).map_err(corrupt)?;
    plain[16..PREFIX].copy_from_slice(&users_len.to_le_bytes());
    seal::seal(VERSION_SNAPSHOT, key, kdf, &plain, rng).map_err(|_| StoreError::Io {
        path: path.display().to_string(),
        action: "seal",
        message: "the AEAD failed".into(),
    })
}

/// Turns a sealing error into one naming `path`.
pub(crate) fn sealed_error(path: &Path, e: SealError, len: usize) -> StoreError {
    let path = path.display().to_string();
    match e {
        SealError::BadMagic => StoreError::BadMagic { path },
        SealError::Unsupported {
            version,
            algorithm,
            kdf,
        } => StoreError::Unsupported {
            path,
            version,
            algorithm,
            kdf,
        },
        SealError::Truncated => StoreError::Truncated { path, len },
        SealError::Unseal => StoreError::Unseal { path },
    }
}

/// Reads a snapshot's header: its key derivation, to resolve the key.
/// Snapshots of the formats before message ids, before room modes and
/// before line kinds are read too (to migrate).
pub(crate) fn header(path: &Path, bytes: &[u8]) -> Result<seal::Header, StoreError> {
    sealed_header(path, bytes, VERSION_SNAPSHOT_V2)
        .or_else(|_| sealed_header(path, bytes, VERSION_SNAPSHOT_V3))
        .or_else(|_| sealed_header(path, bytes, VERSION_SNAPSHOT_V4))
        .or_else(|_| sealed_header(path, bytes, VERSION_SNAPSHOT))
}

/// Reads the header of a sealed file that must be of `version`.
pub(crate) fn sealed_header(
    path: &Path,
    bytes: &[u8],
    version: u8,
) -> Result<seal::Header, StoreError> {
    let header = seal::read_header(bytes).map_err(|e| sealed_error(path, e, bytes.len()))?;
    if header.version != version {
        return Err(StoreError::Unsupported {
            path: path.display().to_string(),
            version: header.version,
            algorithm: seal::ALG_CHACHA20_POLY1305,
            kdf: u8::from(header.kdf != Kdf::Raw),
        });
    }
    Ok(header)
}

/// Where the parts of an opened snapshot lie.
#[derive(Debug)]
pub(crate) struct Parts {
    /// The snapshot's format.
    pub(crate) version: u8,
    pub(crate) position: Position,
    pub(crate) users: std::ops::Range<usize>,
    pub(crate) others: std::ops::Range<usize>,
}

/// Opens (in place) a snapshot whose header was read.
pub(crate) fn open_snapshot(
    path: &Path,
    key: &SealKey,
    header: &seal::Header,
    bytes: &mut [u8],
) -> Result<Parts, StoreError> {
    let len = bytes.len();
    let plain = seal::open_in_place(key, header, bytes).map_err(|e| sealed_error(path, e, len))?;
    let at = plain.start;
    let short = || StoreError::damaged(path, at as u64, "a snapshot shorter than its prefix");
    let prefix = bytes.get(at..at + PREFIX).ok_or_else(short)?;
    let u64_at = |i: usize| {
        let mut x = [0u8; 8];
        x.copy_from_slice(&prefix[i..i + 8]);
        u64::from_le_bytes(x)
    };
    let position = Position {
        generation: u64_at(0),
        next_seq: u64_at(8),
    };
    let users_end = usize::try_from(u64_at(16))
        .ok()
        .and_then(|n| (at + PREFIX).checked_add(n))
        .filter(|&end| end <= plain.end)
        .ok_or_else(short)?;
    Ok(Parts {
        version: header.version,
        position,
        users: at + PREFIX..users_end,
        others: users_end..plain.end,
    })
}

/// Decodes the accounts part found at `at` in `path`.
pub(crate) fn decode_users(
    path: &Path,
    bytes: &[u8],
    at: usize,
) -> Result<Vec<UserRecord>, StoreError> {
    postcard::from_bytes(bytes).map_err(|e| {
        StoreError::damaged(path, at as u64, format!("accounts that do not decode: {e}"))
    })
}

/// Decodes the other part found at `at` in `path`, a snapshot of
/// `version` (one before message ids gets its lines' ids here, one
/// before room modes its rooms' default modes, one before line kinds
/// its lines as said).
pub(crate) fn decode_others(
    path: &Path,
    bytes: &[u8],
    at: usize,
    version: u8,
) -> Result<Others, StoreError> {
    let damaged = |e: postcard::Error| {
        StoreError::damaged(
            path,
            at as u64,
            format!("rooms or history that do not decode: {e}"),
        )
    };
    if version == VERSION_SNAPSHOT_V2 {
        let old: OthersV1 = postcard::from_bytes(bytes).map_err(damaged)?;
        let history = Ids::after(None).history(old.history);
        return Ok(Others::new(old.kicked, rooms_of(old.rooms), history));
    }
    if version == VERSION_SNAPSHOT_V3 {
        let old: OthersV3 = postcard::from_bytes(bytes).map_err(damaged)?;
        return Ok(old.into());
    }
    if version == VERSION_SNAPSHOT_V4 {
        let old: OthersV4 = postcard::from_bytes(bytes).map_err(damaged)?;
        return Ok(old.into());
    }
    postcard::from_bytes(bytes).map_err(damaged)
}
