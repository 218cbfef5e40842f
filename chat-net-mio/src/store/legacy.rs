//! Reading the single-file store of earlier versions (`users.store`: the
//! sealed container at version 1 holding a RON snapshot), to migrate it.

use std::path::Path;

use chat_core::StoreSnapshot;
use ring::rand::SystemRandom;

use super::error::StoreError;
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
    let snapshot: StoreSnapshot = ron::from_str(text).map_err(|e| corrupt(e.to_string()))?;
    Ok((k, kdf, snapshot))
}
