//! The store: accounts, the kick list, rooms and their topics, and
//! history, sealed and durable, on one append-only journal.
//!
//! The data folder holds `store.snapshot`, everything as of one moment
//! (sealed with ChaCha20-Poly1305, the versioned header authenticated),
//! and `store.log`, one sealed record per group commit after it, appended
//! and fsynced before the commit is acknowledged (the framing is described in
//! `journal.rs`). Start-up reads the snapshot and replays the log. When the log
//! grows past a multiple of the snapshot
//! ([`StoreOptions::compact_factor`]), the writer thread writes a new
//! snapshot (temporary file, fsync, rename, fsync of the folder) and starts
//! a new log; a crash at any step leaves a store that opens with every
//! acknowledged change.
//!
//! The store keeps its own indexed copy of what it holds, so a change
//! costs the same at ten thousand accounts or a million; history is kept
//! per conversation, bounded by [`Retention`].
//!
//! Opening cuts off a torn tail (what a crash mid-append leaves) with a
//! warning, and refuses, naming the file and the offset, anything else it
//! cannot authenticate: a wrong key, a flipped bit, a damaged snapshot.
//! Nothing is written after a failed open. A store of the older
//! single-file format (`users.store`) is migrated on first open.
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
//! drop(store);
//! let again = Store::open(dir.path(), KeySource::Raw([7; 32])).unwrap();
//! assert_eq!(again.snapshot().users[0].name.as_str(), "bob");
//! drop(again);
//! assert!(Store::open(dir.path(), KeySource::Raw([8; 32])).is_err());
//! ```

mod backup;
mod error;
mod file;
mod format;
mod journal;
mod key;
mod legacy;
mod lock;
mod persister;
mod seal;
mod snapshot;
mod state;

use std::fmt;
use std::fs::File;
use std::io::{BufReader, Read};
use std::os::unix::fs::DirBuilderExt;
use std::path::{Path, PathBuf};
use std::time::{Instant, SystemTime, UNIX_EPOCH};

use chat_core::{Millis, Retention, StoreChange, StoreSnapshot, UserName};
use ring::rand::SystemRandom;
use serde::{Deserialize, Serialize};

pub use error::StoreError;
pub use key::{KeySource, KEY_ENV, KEY_FILE};
pub use lock::DirLock;
pub use persister::{Committed, Persister, HISTORY_FLUSH};

use journal::{LogHeader, LogWriter};
use seal::{Kdf, SealKey};
use snapshot::Position;
use state::StoreState;

/// The snapshot's file name in the data folder.
pub const SNAPSHOT_FILE: &str = "store.snapshot";
/// The log's file name in the data folder.
pub const LOG_FILE: &str = "store.log";
/// The single-file store of earlier versions, migrated on first open.
pub const LEGACY_STORE_FILE: &str = "users.store";

/// How the store keeps history and when it compacts.
///
/// ```
/// use chat_net_mio::store::StoreOptions;
/// let o: StoreOptions = ron::from_str("(compact_factor: 8)").unwrap();
/// assert_eq!(o.compact_factor, 8);
/// assert_eq!(o.retention.room_lines, 1_000); // defaults fill the rest
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct StoreOptions {
    /// How much history is kept (per room, per pair, by age).
    pub retention: Retention,
    /// Compact when the log is larger than this many times the snapshot
    /// (at least 1).
    pub compact_factor: u32,
    /// ... and larger than this (bytes), so a small store does not
    /// compact on every change.
    pub compact_min_bytes: u64,
}

impl Default for StoreOptions {
    fn default() -> StoreOptions {
        StoreOptions {
            retention: Retention::default(),
            compact_factor: 4,
            compact_min_bytes: 1024 * 1024,
        }
    }
}

/// The files of a data folder.
#[derive(Debug, Clone)]
struct Paths {
    dir: PathBuf,
    snapshot: PathBuf,
    log: PathBuf,
    legacy: PathBuf,
}

impl Paths {
    fn new(dir: &Path) -> Paths {
        Paths {
            dir: dir.to_owned(),
            snapshot: dir.join(SNAPSHOT_FILE),
            log: dir.join(LOG_FILE),
            legacy: dir.join(LEGACY_STORE_FILE),
        }
    }
}

/// The open store: its files, its key and its indexed state.
pub struct Store {
    paths: Paths,
    key: SealKey,
    kdf: Kdf,
    rng: SystemRandom,
    state: StoreState,
    position: Position,
    log: Option<LogWriter>,
    snapshot_len: u64,
    options: StoreOptions,
    writes: u64,
    broken: bool,
    /// The log's length when a compaction last failed: the next try waits
    /// for the log to grow by `compact_min_bytes` (a full disk must not
    /// cost a whole snapshot per commit).
    compact_failed_at: Option<u64>,
}

impl fmt::Debug for Store {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (users, kicked, rooms, lines) = self.state.counts();
        f.debug_struct("Store")
            .field("dir", &self.paths.dir)
            .field("users", &users)
            .field("kicked", &kicked)
            .field("rooms", &rooms)
            .field("history_lines", &lines)
            .field("generation", &self.position.generation)
            .field("writes", &self.writes)
            .finish_non_exhaustive()
    }
}

/// The wall clock, for trimming history by age.
fn now() -> Millis {
    Millis(
        SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX)),
    )
}

fn read_optional(path: &Path) -> Result<Option<Vec<u8>>, StoreError> {
    match std::fs::read(path) {
        Ok(bytes) => Ok(Some(bytes)),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(StoreError::io(path, "read", &e)),
    }
}

fn remove_if_present(path: &Path) -> Result<bool, StoreError> {
    match std::fs::remove_file(path) {
        Ok(()) => Ok(true),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(false),
        Err(e) => Err(StoreError::io(path, "remove", &e)),
    }
}

/// The log, open and read up to its header, with its length (an
/// obsolete log is not read further).
fn open_log(path: &Path) -> Result<Option<(LogHeader, BufReader<File>, u64)>, StoreError> {
    let file = match File::open(path) {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(StoreError::io(path, "open", &e)),
    };
    let total = file
        .metadata()
        .map_err(|e| StoreError::io(path, "read the size of", &e))?
        .len();
    let mut reader = BufReader::with_capacity(1 << 20, file);
    let mut head = Vec::with_capacity(journal::HEADER_LEN);
    (&mut reader)
        .take(journal::HEADER_LEN as u64)
        .read_to_end(&mut head)
        .map_err(|e| StoreError::io(path, "read", &e))?;
    let header = LogHeader::parse(&head).map_err(|what| StoreError::damaged(path, 0, what))?;
    Ok(Some((header, reader, total)))
}

/// What the log on disk is, next to the snapshot.
#[derive(Debug)]
enum LogState {
    /// No log yet: the first commit creates it.
    Missing,
    /// A log of an older generation, already in the snapshot (a crash
    /// between a compaction's snapshot and its new log).
    Obsolete,
    /// The snapshot's log, good up to `end`.
    Current {
        header: LogHeader,
        end: u64,
        torn: Option<&'static str>,
    },
}

/// A store read from its files.
struct Loaded {
    key: SealKey,
    kdf: Kdf,
    state: StoreState,
    position: Position,
    snapshot_len: u64,
    log: LogState,
    /// Read from the formats before message ids: to be rewritten.
    old_format: bool,
}

/// Decodes and indexes an opened snapshot: the accounts on a second
/// thread, the rest on this one.
fn decode_state(
    path: &Path,
    bytes: &[u8],
    parts: &snapshot::Parts,
    retention: Retention,
) -> Result<StoreState, StoreError> {
    let damaged = |e: state::ApplyError| StoreError::damaged(path, 0, e.to_string());
    let (users, others) = std::thread::scope(|s| {
        let users = s.spawn(|| {
            let list =
                snapshot::decode_users(path, &bytes[parts.users.clone()], parts.users.start)?;
            state::Users::index(list).map_err(damaged)
        });
        let others = snapshot::decode_others(
            path,
            &bytes[parts.others.clone()],
            parts.others.start,
            parts.version,
        )
        .map(|mut others| {
            let history = state::history_of(others.take_history(), &retention);
            (others, history)
        });
        let users = users
            .join()
            .unwrap_or_else(|p| std::panic::resume_unwind(p));
        (users, others)
    });
    let (others, history) = others?;
    StoreState::from_parts(users?, others, history, retention, now()).map_err(damaged)
}

/// Reads the snapshot and replays the log, writing nothing.
fn load(
    paths: &Paths,
    key: &KeySource,
    retention: Retention,
    rng: &SystemRandom,
) -> Result<Loaded, StoreError> {
    let mut bytes =
        std::fs::read(&paths.snapshot).map_err(|e| StoreError::io(&paths.snapshot, "read", &e))?;
    let snapshot_len = bytes.len() as u64;
    let header = snapshot::header(&paths.snapshot, &bytes)?;
    let (k, kdf) = key.resolve(&paths.snapshot, Some(header.kdf), rng)?;
    let sealing = SealKey::new(&k);
    let parts = snapshot::open_snapshot(&paths.snapshot, &sealing, &header, &mut bytes)?;
    let mut position = parts.position;
    let mut old_format = parts.version != seal::VERSION_SNAPSHOT;
    let mut state = decode_state(&paths.snapshot, &bytes, &parts, retention)?;
    drop(bytes);
    let path = &paths.log;
    let log = match open_log(path)? {
        None => LogState::Missing,
        Some((header, reader, total)) => {
            if header.generation < position.generation {
                LogState::Obsolete
            } else if header.generation > position.generation {
                return Err(StoreError::damaged(
                    path,
                    0,
                    format!(
                        "a log of generation {} but {} is of generation {}",
                        header.generation, SNAPSHOT_FILE, position.generation
                    ),
                ));
            } else if header.first_seq != position.next_seq {
                return Err(StoreError::damaged(
                    path,
                    0,
                    format!(
                        "the log starts at record {} but the snapshot ends before record {}",
                        header.first_seq, position.next_seq
                    ),
                ));
            } else {
                // One open file throughout: a reader without the lock (a
                // backup) racing a compaction keeps reading the log it
                // opened, which goes with the snapshot it read before.
                // A log of the format before message ids: its lines get
                // ids after the snapshot's.
                let mut old_ids = format::Ids::after(state.last_msg_id());
                let scanned = journal::scan(path, reader, total, &sealing, header, |at, plain| {
                    let undecodable = |e: postcard::Error| {
                        StoreError::damaged(path, at, format!("a record that does not decode: {e}"))
                    };
                    let changes: Vec<StoreChange> = if header.version == journal::VERSION_V1 {
                        postcard::from_bytes::<Vec<format::ChangeV1>>(plain)
                            .map_err(undecodable)?
                            .into_iter()
                            .map(|c| old_ids.change(c))
                            .collect()
                    } else {
                        postcard::from_bytes(plain).map_err(undecodable)?
                    };
                    for change in &changes {
                        state.apply(change).map_err(|e| {
                            StoreError::damaged(
                                path,
                                at,
                                format!("a change that cannot apply: {e}"),
                            )
                        })?;
                    }
                    Ok(())
                })?;
                position.next_seq = scanned.next_seq;
                old_format |= header.version != journal::VERSION;
                LogState::Current {
                    header,
                    end: scanned.end,
                    torn: scanned.torn,
                }
            }
        }
    };
    state.drop_older_than(now());
    Ok(Loaded {
        key: sealing,
        kdf,
        state,
        position,
        snapshot_len,
        log,
        old_format,
    })
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

    /// Opens (or creates) the store in `dir` with the default
    /// [`StoreOptions`].
    pub fn open(dir: &Path, key: KeySource) -> Result<Store, StoreError> {
        Store::open_with(dir, key, StoreOptions::default())
    }

    /// Opens (or creates, or migrates from `users.store`) the store in
    /// `dir`.
    pub fn open_with(
        dir: &Path,
        key: KeySource,
        options: StoreOptions,
    ) -> Result<Store, StoreError> {
        let started = Instant::now();
        Store::create_dir(dir)?;
        let paths = Paths::new(dir);
        let rng = SystemRandom::new();
        if !paths.snapshot.exists() {
            Store::create_snapshot(&paths, &key, &rng)?;
        }
        let loaded = load(&paths, &key, options.retention, &rng)?;
        // Reading succeeded: only now may anything be written or removed.
        if remove_if_present(&paths.legacy)? {
            log::info!(
                "{} removed: it was migrated to {}",
                paths.legacy.display(),
                SNAPSHOT_FILE
            );
        }
        for target in [&paths.snapshot, &paths.log] {
            let tmp = file::temp_path(target);
            if remove_if_present(&tmp)? {
                log::info!("removed {} left by an interrupted write", tmp.display());
            }
        }
        let log = match loaded.log {
            LogState::Missing | LogState::Obsolete => None,
            LogState::Current { header, end, torn } => {
                if let Some(what) = torn {
                    log::warn!(
                        "{}: cutting off a torn tail at byte {end} ({what}), left by a crash mid-write",
                        paths.log.display()
                    );
                }
                Some(LogWriter::open(&paths.log, header, end)?)
            }
        };
        let old_format = loaded.old_format;
        let mut store = Store {
            paths,
            key: loaded.key,
            kdf: loaded.kdf,
            rng,
            state: loaded.state,
            position: loaded.position,
            log,
            snapshot_len: loaded.snapshot_len,
            options,
            writes: 0,
            broken: false,
            compact_failed_at: None,
        };
        if old_format {
            // Never append to the old format: rewrite it all now (the
            // old files stay until the new snapshot is in place).
            store.compact()?;
            log::info!(
                "{} migrated to the format with message ids",
                store.paths.dir.display()
            );
        }
        log::info!("{store:?} open in {:?}", started.elapsed());
        Ok(store)
    }

    /// Writes the first snapshot of a new store, or of one migrated from
    /// `users.store` (which is removed only once the snapshot is durable).
    fn create_snapshot(
        paths: &Paths,
        key: &KeySource,
        rng: &SystemRandom,
    ) -> Result<(), StoreError> {
        if paths.log.exists() {
            return Err(StoreError::damaged(
                &paths.log,
                0,
                format!("a log without its snapshot {SNAPSHOT_FILE}"),
            ));
        }
        let (k, kdf, snapshot) = match read_optional(&paths.legacy)? {
            Some(bytes) => legacy::read(&paths.legacy, &bytes, key, rng)?,
            None => {
                let (k, kdf) = key.resolve(&paths.snapshot, None, rng)?;
                (k, kdf, StoreSnapshot::default())
            }
        };
        let position = Position {
            generation: 1,
            next_seq: 0,
        };
        let sealed = snapshot::seal_snapshot(
            &paths.snapshot,
            &SealKey::new(&k),
            &kdf,
            position,
            &snapshot,
            rng,
        )?;
        file::write_atomic(&paths.snapshot, &sealed)?;
        if paths.legacy.exists() {
            log::info!(
                "migrated {} ({} users) to {}",
                paths.legacy.display(),
                snapshot.users.len(),
                SNAPSHOT_FILE
            );
        }
        Ok(())
    }

    /// Everything the store holds, as the engine takes it (history
    /// ordered by conversation).
    pub fn snapshot(&self) -> StoreSnapshot {
        self.state.snapshot()
    }

    /// Whether an account of that name (in any case) exists.
    pub fn has_user(&self, name: &UserName) -> bool {
        self.state.has_user(&name.key())
    }

    /// Whether any account is an admin (grant 0): without one, nobody can
    /// change grants, kick or restart.
    pub fn has_admin(&self) -> bool {
        self.state.has_admin()
    }

    /// The data folder.
    pub fn dir(&self) -> &Path {
        &self.paths.dir
    }

    /// Records appended since it was opened.
    pub fn writes(&self) -> u64 {
        self.writes
    }

    /// The snapshot's generation (one more after each compaction).
    pub fn generation(&self) -> u64 {
        self.position.generation
    }

    /// The log's length in bytes (0 before its first record).
    pub fn log_len(&self) -> u64 {
        self.log.as_ref().map_or(0, LogWriter::len)
    }

    /// Applies `changes` in order and appends them to the log as one
    /// record, fsynced.
    ///
    /// A change that cannot apply fails alone; if the write fails, every
    /// change fails and the store stays as it was. An `Ok` means durable.
    pub fn commit(&mut self, changes: &[StoreChange]) -> Vec<Result<(), StoreError>> {
        if self.broken {
            let broken = StoreError::Broken {
                path: self.paths.log.display().to_string(),
            };
            return changes.iter().map(|_| Err(broken.clone())).collect();
        }
        let mut undos = Vec::with_capacity(changes.len());
        let mut applied = Vec::with_capacity(changes.len());
        let mut results: Vec<Result<(), StoreError>> = changes
            .iter()
            .map(|c| match self.state.apply(c) {
                Ok(undo) => {
                    undos.push(undo);
                    applied.push(c);
                    Ok(())
                }
                Err(e) => Err(StoreError::Change(e.to_string())),
            })
            .collect();
        if applied.is_empty() {
            return results;
        }
        if let Err(e) = self.append(&applied) {
            for undo in undos.into_iter().rev() {
                self.state.undo(undo);
            }
            if matches!(e, StoreError::Broken { .. }) {
                log::error!("{e}");
                self.broken = true;
            }
            for r in results.iter_mut().filter(|r| r.is_ok()) {
                *r = Err(e.clone());
            }
        }
        results
    }

    fn append(&mut self, changes: &[&StoreChange]) -> Result<(), StoreError> {
        let plain = postcard::to_stdvec(changes).map_err(|e| StoreError::Corrupt {
            path: self.paths.log.display().to_string(),
            message: e.to_string(),
        })?;
        let log = match &mut self.log {
            Some(log) => log,
            None => self.log.insert(LogWriter::create(
                &self.paths.log,
                LogHeader::new(self.position.generation, self.position.next_seq),
            )?),
        };
        log.append(&self.key, self.position.next_seq, &plain, &self.rng)?;
        self.position.next_seq += 1;
        self.writes += 1;
        Ok(())
    }

    /// Whether the log has outgrown the snapshot.
    pub fn compaction_due(&self) -> bool {
        let log = self.log_len();
        let min = self.options.compact_min_bytes;
        let retry_from = self
            .compact_failed_at
            .map_or(0, |at| at.saturating_add(min));
        log >= min.max(retry_from)
            && log > u64::from(self.options.compact_factor.max(1)).saturating_mul(self.snapshot_len)
    }

    /// Writes a new snapshot of everything and starts a new log. A crash at any point leaves a store that opens
    /// with everything acknowledged: until the rename, the old snapshot
    /// and log; after it, the new snapshot, and the old log, of an older
    /// generation, is ignored.
    pub fn compact(&mut self) -> Result<(), StoreError> {
        let started = Instant::now();
        let next = Position {
            generation: self.position.generation + 1,
            next_seq: self.position.next_seq,
        };
        let written = self
            .sealed_snapshot(next)
            .and_then(|sealed| file::write_atomic(&self.paths.snapshot, &sealed).map(|()| sealed));
        let sealed = match written {
            Ok(sealed) => sealed,
            Err(e) => {
                self.compact_failed_at = Some(self.log_len());
                return Err(e);
            }
        };
        self.compact_failed_at = None;
        log::info!(
            "store compacted: {} bytes of log into a snapshot of {} bytes (generation {}), {:?}",
            self.log_len(),
            sealed.len(),
            next.generation,
            started.elapsed()
        );
        self.position = next;
        self.snapshot_len = sealed.len() as u64;
        // The old log is in the snapshot now: replace it at once (to free
        // its space); if that fails, the next commit tries again.
        let header = LogHeader::new(next.generation, next.next_seq);
        self.log = match LogWriter::create(&self.paths.log, header) {
            Ok(log) => Some(log),
            Err(e) => {
                log::warn!("a new log after compaction: {e}");
                None
            }
        };
        Ok(())
    }

    fn sealed_snapshot(&self, position: Position) -> Result<Vec<u8>, StoreError> {
        snapshot::seal_snapshot(
            &self.paths.snapshot,
            &self.key,
            &self.kdf,
            position,
            &self.state.snapshot(),
            &self.rng,
        )
    }

    /// Writes a backup of everything committed so far to `out` (sealed
    /// with the store's key; see [`Store::restore`]).
    pub fn backup_to(&self, out: &Path) -> Result<(), StoreError> {
        let sealed = self.sealed_snapshot(self.position)?;
        file::write_atomic(out, &sealed)
    }
}
