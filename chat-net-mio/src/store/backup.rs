//! Backups: a backup is a snapshot file (the same format as
//! `store.snapshot`, sealed with the store's key) of everything committed
//! at one commit boundary.
//!
//! A running server takes one on its writer thread
//! ([`ServerHandle::backup`](crate::ServerHandle::backup)). From outside,
//! [`Store::backup_files`] reads the files without the folder's lock: the
//! log only grows by whole records and the snapshot is only replaced by a
//! rename, so the snapshot plus the log's complete records are always a
//! state the server acknowledged; a record being appended is a torn tail
//! and is left out.

use std::path::Path;

use chat_core::Retention;
use ring::rand::SystemRandom;

use super::error::StoreError;
use super::key::KeySource;
use super::lock::DirLock;
use super::{file, load, remove_if_present, snapshot, Paths, Store, StoreOptions};

/// Reads that race with a compaction are tried again this many times.
const ATTEMPTS: usize = 5;

impl Store {
    /// Writes a backup of the store in `dir` to `out`, whether or not a
    /// server runs on it (nothing in `dir` is written).
    pub fn backup_files(dir: &Path, key: KeySource, out: &Path) -> Result<(), StoreError> {
        let paths = Paths::new(dir);
        let rng = SystemRandom::new();
        // Keep every line: the backup is what is on disk, not a trim of it.
        let everything = Retention {
            room_lines: usize::MAX,
            private_lines: usize::MAX,
            max_age_ms: u64::MAX,
        };
        let mut attempt = 0;
        let loaded = loop {
            attempt += 1;
            match load(&paths, &key, everything, &rng) {
                // A compaction replaced the snapshot between our reads.
                Err(StoreError::Damaged { .. }) if attempt < ATTEMPTS => continue,
                other => break other?,
            }
        };
        let sealed = snapshot::seal_snapshot(
            out,
            &loaded.key,
            &loaded.kdf,
            loaded.position,
            &loaded.state.snapshot(),
            &rng,
        )?;
        file::write_atomic(out, &sealed)
    }

    /// Replaces the store in `dir` with the backup `from`. The folder must
    /// not be in use (its lock is taken, so a running server makes this
    /// fail with [`StoreError::Locked`]); the backup must open with `key`.
    ///
    /// The logs are removed first, then the backup renamed into place as
    /// the snapshot: a crash in between leaves the old snapshot alone,
    /// and restoring again finishes the job.
    pub fn restore(dir: &Path, from: &Path, key: KeySource) -> Result<(), StoreError> {
        Store::create_dir(dir)?;
        let _lock = DirLock::acquire(dir)?;
        let paths = Paths::new(dir);
        let mut bytes = std::fs::read(from).map_err(|e| StoreError::io(from, "read", &e))?;
        let sealed = bytes.clone();
        let header = snapshot::header(from, &bytes)?;
        let (k, _) = key.resolve(from, Some(header.kdf), &SystemRandom::new())?;
        let parts = snapshot::open_snapshot(from, &super::SealKey::new(&k), &header, &mut bytes)?;
        super::decode_state(from, &bytes, &parts, StoreOptions::default().retention)?;
        remove_if_present(&paths.log)?;
        remove_if_present(&paths.prev_log)?;
        file::sync_dir(dir)?;
        file::write_atomic(&paths.snapshot, &sealed)?;
        if remove_if_present(&paths.legacy)? {
            file::sync_dir(dir)?;
        }
        log::info!("{} restored from {}", dir.display(), from.display());
        Ok(())
    }
}
