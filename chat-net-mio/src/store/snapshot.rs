//! The journal's snapshot file, `store.snapshot` (and a backup, which has
//! the same format): the sealed container of [`seal`](super::seal) at
//! version 2, holding with postcard the snapshot's generation, the
//! sequence number of the first record after it, and the
//! [`StoreSnapshot`].
//!
//! postcard rather than RON: it is several times faster to encode and
//! decode and about half the size, and start-up with a million accounts
//! reads the whole snapshot.

use std::path::Path;

use chat_core::StoreSnapshot;
use ring::rand::SystemRandom;
use serde::{Deserialize, Serialize};

use super::error::StoreError;
use super::seal::{self, Kdf, SealError, SealKey, VERSION_SNAPSHOT};

/// The snapshot's place in the journal.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct Position {
    /// Incremented by each compaction: a log of an older generation is
    /// already in this snapshot.
    pub(crate) generation: u64,
    /// The sequence number of the first record after the snapshot.
    pub(crate) next_seq: u64,
}

#[derive(Serialize)]
struct BodyRef<'a> {
    position: Position,
    snapshot: &'a StoreSnapshot,
}

#[derive(Deserialize)]
struct Body {
    position: Position,
    snapshot: StoreSnapshot,
}

/// Encodes and seals a snapshot.
pub(crate) fn seal_snapshot(
    path: &Path,
    key: &SealKey,
    kdf: &Kdf,
    position: Position,
    snapshot: &StoreSnapshot,
    rng: &SystemRandom,
) -> Result<Vec<u8>, StoreError> {
    let plain =
        postcard::to_stdvec(&BodyRef { position, snapshot }).map_err(|e| StoreError::Corrupt {
            path: path.display().to_string(),
            message: e.to_string(),
        })?;
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
pub(crate) fn header(path: &Path, bytes: &[u8]) -> Result<seal::Header, StoreError> {
    let header = seal::read_header(bytes).map_err(|e| sealed_error(path, e, bytes.len()))?;
    if header.version != VERSION_SNAPSHOT {
        return Err(StoreError::Unsupported {
            path: path.display().to_string(),
            version: header.version,
            algorithm: seal::ALG_CHACHA20_POLY1305,
            kdf: u8::from(header.kdf != Kdf::Raw),
        });
    }
    Ok(header)
}

/// Opens (in place) and decodes a snapshot whose header was read.
pub(crate) fn open_snapshot(
    path: &Path,
    key: &SealKey,
    header: &seal::Header,
    bytes: &mut [u8],
) -> Result<(Position, StoreSnapshot), StoreError> {
    let len = bytes.len();
    let plain = seal::open_in_place(key, header, bytes).map_err(|e| sealed_error(path, e, len))?;
    let body: Body = postcard::from_bytes(&bytes[plain.clone()]).map_err(|e| {
        StoreError::damaged(path, plain.start as u64, format!("not a snapshot: {e}"))
    })?;
    Ok((body.position, body.snapshot))
}
