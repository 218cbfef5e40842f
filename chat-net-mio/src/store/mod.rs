//! The user store: the directory of users and the kick list, sealed and
//! durable.
//!
//! One file, `users.store`, holds a [`StoreSnapshot`] serialized with RON
//! and sealed with ChaCha20-Poly1305 (a fresh random nonce per write, the
//! versioned header authenticated as associated data). Writes are atomic
//! (temporary file, fsync, rename, fsync of the folder) and batched by the
//! [`Persister`] (group commit). Opening refuses, with an error naming the
//! file, anything it cannot authenticate: a wrong key, a flipped bit, a
//! truncated file. Nothing is written after a failed open.
//!
//! ```
//! use chat_core::{Grant, Millis, StoreChange, UserName, UserRecord};
//! use chat_net_mio::store::{KeySource, Store};
//! let dir = tempfile::tempdir().unwrap();
//! let mut store = Store::open(dir.path(), KeySource::Raw([7; 32])).unwrap();
//! let bob = UserRecord {
//!     name: UserName::parse("bob").unwrap(),
//!     phc: "$argon2id$v=19$...".into(),
//!     grant: Grant::User,
//!     created: Millis(1),
//! };
//! assert_eq!(store.commit(&[StoreChange::AddUser(bob)]), vec![Ok(())]);
//! let again = Store::open(dir.path(), KeySource::Raw([7; 32])).unwrap();
//! assert_eq!(again.snapshot().users[0].name.as_str(), "bob");
//! assert!(Store::open(dir.path(), KeySource::Raw([8; 32])).is_err());
//! ```

mod error;
mod file;
mod key;
mod lock;
mod persister;
mod seal;

use std::fmt;
use std::os::unix::fs::DirBuilderExt;
use std::path::{Path, PathBuf};

use chat_core::{Retention, StoreChange, StoreSnapshot};
use ring::rand::SystemRandom;

pub use error::StoreError;
pub use key::{KeySource, KEY_ENV, KEY_FILE};
pub use lock::DirLock;
pub use persister::{Committed, Persister};

use seal::{Kdf, SealError, SealKey};

/// The store file's name in the data folder.
pub const STORE_FILE: &str = "users.store";

/// The open store: its file, its key and what it holds.
pub struct Store {
    path: PathBuf,
    key: SealKey,
    kdf: Kdf,
    snapshot: StoreSnapshot,
    rng: SystemRandom,
    writes: u64,
    /// What history to keep; without it, every line is kept.
    retention: Option<Retention>,
}

impl fmt::Debug for Store {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Store")
            .field("path", &self.path)
            .field("users", &self.snapshot.users.len())
            .field("kicked", &self.snapshot.kicked.len())
            .field("writes", &self.writes)
            .finish_non_exhaustive()
    }
}

impl Store {
    /// Creates the data folder if it is missing (private to the user).
    pub fn create_dir(dir: &Path) -> Result<(), StoreError> {
        if dir.exists() && !dir.is_dir() {
            return Err(StoreError::NotAFolder {
                path: dir.display().to_string(),
            });
        }
        std::fs::DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(dir)
            .map_err(|e| StoreError::io(dir, "create the data folder", &e))
    }

    /// Opens (or creates) the store in `dir`.
    pub fn open(dir: &Path, key: KeySource) -> Result<Store, StoreError> {
        Store::create_dir(dir)?;
        let path = dir.join(STORE_FILE);
        let rng = SystemRandom::new();
        let existing = match std::fs::read(&path) {
            Ok(bytes) => Some(bytes),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
            Err(e) => return Err(StoreError::io(&path, "read", &e)),
        };
        let shown = || path.display().to_string();
        let sealed_err = |e: SealError, len: usize| match e {
            SealError::BadMagic => StoreError::BadMagic { path: shown() },
            SealError::Unsupported {
                version,
                algorithm,
                kdf,
            } => StoreError::Unsupported {
                path: shown(),
                version,
                algorithm,
                kdf,
            },
            SealError::Truncated => StoreError::Truncated { path: shown(), len },
            SealError::Unseal => StoreError::Unseal { path: shown() },
        };
        let (store_key, kdf, snapshot) = match existing {
            Some(bytes) => {
                let header = seal::read_header(&bytes).map_err(|e| sealed_err(e, bytes.len()))?;
                let (k, kdf) = key.resolve(&path, Some(header.kdf), &rng)?;
                let sealing = SealKey::new(&k);
                let plain = seal::open(&sealing, &header, &bytes)
                    .map_err(|e| sealed_err(e, bytes.len()))?;
                let text = std::str::from_utf8(&plain).map_err(|e| StoreError::Corrupt {
                    path: shown(),
                    message: e.to_string(),
                })?;
                let snapshot: StoreSnapshot =
                    ron::from_str(text).map_err(|e| StoreError::Corrupt {
                        path: shown(),
                        message: e.to_string(),
                    })?;
                (sealing, kdf, snapshot)
            }
            None => {
                let (k, kdf) = key.resolve(&path, None, &rng)?;
                (SealKey::new(&k), kdf, StoreSnapshot::default())
            }
        };
        // A temporary file left by a crash was never acknowledged.
        let tmp = file::temp_path(&path);
        if tmp.exists() {
            log::info!("removing {} left by an interrupted write", tmp.display());
            std::fs::remove_file(&tmp).map_err(|e| StoreError::io(&tmp, "remove", &e))?;
        }
        log::debug!(
            "store {} open: {} users, {} kicked",
            path.display(),
            snapshot.users.len(),
            snapshot.kicked.len()
        );
        Ok(Store {
            path,
            key: store_key,
            kdf,
            snapshot,
            rng,
            writes: 0,
            retention: None,
        })
    }

    /// What the store holds (what is durable).
    pub fn snapshot(&self) -> &StoreSnapshot {
        &self.snapshot
    }

    /// The store file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Keeps only the history `retention` keeps: each write trims the
    /// history to it (by age as of the newest line written), so the file
    /// stays bounded however long the server runs.
    pub fn set_retention(&mut self, retention: Retention) {
        self.retention = Some(retention);
    }

    /// Writes made since it was opened.
    pub fn writes(&self) -> u64 {
        self.writes
    }

    /// Applies `changes` in order and writes them with one atomic write.
    ///
    /// A change that cannot apply fails alone; if the write fails, every
    /// change fails and the snapshot stays as it was. An `Ok` means durable.
    pub fn commit(&mut self, changes: &[StoreChange]) -> Vec<Result<(), StoreError>> {
        let mut next = self.snapshot.clone();
        let mut results: Vec<Result<(), StoreError>> = changes
            .iter()
            .map(|c| next.apply(c).map_err(|e| StoreError::Change(e.to_string())))
            .collect();
        let newest_line = changes
            .iter()
            .filter_map(|c| match c {
                StoreChange::AppendLine { line, .. } => Some(line.at),
                _ => None,
            })
            .max();
        if let (Some(retention), Some(now)) = (&self.retention, newest_line) {
            next.trim(retention, now);
        }
        if results.iter().any(Result::is_ok) {
            match self.write(&next) {
                Ok(()) => self.snapshot = next,
                Err(e) => {
                    for r in results.iter_mut().filter(|r| r.is_ok()) {
                        *r = Err(e.clone());
                    }
                }
            }
        }
        results
    }

    /// Seals and writes `snapshot` atomically.
    fn write(&mut self, snapshot: &StoreSnapshot) -> Result<(), StoreError> {
        let text = ron::to_string(snapshot).map_err(|e| StoreError::Corrupt {
            path: self.path.display().to_string(),
            message: e.to_string(),
        })?;
        let sealed =
            seal::seal(&self.key, &self.kdf, text.as_bytes(), &self.rng).map_err(|_| {
                StoreError::Io {
                    path: self.path.display().to_string(),
                    action: "seal",
                    message: "the AEAD failed".into(),
                }
            })?;
        file::write_atomic(&self.path, &sealed)?;
        self.writes += 1;
        Ok(())
    }
}
