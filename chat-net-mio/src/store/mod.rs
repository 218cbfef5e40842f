//! The store: accounts, the kick list, rooms and their topics, and
//! history, sealed and durable, on one append-only journal.
//!
//! The data folder holds `store.snapshot`, everything as of one moment
//! (sealed with ChaCha20-Poly1305, the versioned header authenticated),
//! and `store.log`, one sealed record per group commit after it, appended
//! and fsynced before the commit is acknowledged (the framing is described in
//! `journal.rs`). Start-up reads the snapshot and replays the log. When the log
//! grows past a multiple of the snapshot
//! ([`StoreOptions::compact_factor`]), the writer hands it over
//! (`store.log.prev`) and starts a new log, and a thread of its own writes
//! the new snapshot (temporary file, fsync, rename, fsync of the folder)
//! from the files, or for a small store from the writer's copy of the
//! state, while commits go on (`compaction.rs`); a crash at any
//! step leaves a store that opens with every acknowledged change.
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
mod compaction;
mod error;
mod file;
pub(crate) mod format;
mod journal;
mod key;
mod legacy;
mod lock;
mod persister;
pub(crate) mod seal;
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
pub use persister::{
    Committed, Persister, HISTORY_BATCH_BYTES, HISTORY_BATCH_LINES, HISTORY_FLUSH,
};

use journal::{LogHeader, LogWriter};
use seal::{Kdf, SealKey};
use snapshot::Position;
use state::StoreState;

/// The snapshot's file name in the data folder.
pub const SNAPSHOT_FILE: &str = "store.snapshot";
/// The log's file name in the data folder.
pub const LOG_FILE: &str = "store.log";
/// The log handed over to a compaction, until the new snapshot holds it.
pub const PREV_LOG_FILE: &str = "store.log.prev";
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
    /// A store whose last snapshot is at most this large (bytes) is
    /// compacted from the writer's own copy of its state, taken at the
    /// hand-over, rather than by reading the snapshot and replaying the
    /// handed-over log from the files: a busy small store compacts
    /// several times a second, and the replay cost more than the copy by
    /// far. Larger stores are read back from the files, so the writer
    /// never stops long to copy. 0 always reads the files.
    pub compact_from_memory_max_bytes: u64,
}

impl Default for StoreOptions {
    fn default() -> StoreOptions {
        StoreOptions {
            retention: Retention::default(),
            compact_factor: 4,
            compact_min_bytes: 1024 * 1024,
            compact_from_memory_max_bytes: 4 * 1024 * 1024,
        }
    }
}

/// The files of a data folder.
#[derive(Debug, Clone)]
struct Paths {
    dir: PathBuf,
    snapshot: PathBuf,
    log: PathBuf,
    prev_log: PathBuf,
    legacy: PathBuf,
}

impl Paths {
    fn new(dir: &Path) -> Paths {
        Paths {
            dir: dir.to_owned(),
            snapshot: dir.join(SNAPSHOT_FILE),
            log: dir.join(LOG_FILE),
            prev_log: dir.join(PREV_LOG_FILE),
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
    /// The compaction running beside the writer.
    compacting: Option<compaction::Running>,
    /// A log handed over whose snapshot is not written yet: where that
    /// snapshot ends (a failed compaction is tried again for it).
    handed_over: Option<Position>,
}

impl Drop for Store {
    /// A compaction beside the writer finishes before the store is gone
    /// (the next open of the folder must not race its rename).
    fn drop(&mut self) {
        self.wait_for_compaction();
    }
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
    /// A log handed over to a compaction that did not finish was
    /// replayed (see [`PREV_LOG_FILE`]).
    handed_over: bool,
    /// Read from an older format (before message ids, room modes or
    /// line kinds): to be rewritten.
    old_format: bool,
}

/// Which logs [`load`] replays after the snapshot.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Logs {
    /// Both: everything acknowledged.
    All,
    /// Only the log handed over to a compaction: the state it writes.
    HandedOver,
}

/// Decodes and indexes an opened snapshot: the accounts on a second
/// thread, the rest on this one.
fn decode_state(
    path: &Path,
    bytes: &[u8],
    parts: &snapshot::Parts,
    retention: Retention,
) -> Result<StoreState, StoreError> {
    let damaged = |e: chat_core::ChangeError| StoreError::damaged(path, 0, e.to_string());
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

/// Reads the snapshot and replays the logs, writing nothing.
fn load(
    paths: &Paths,
    key: &KeySource,
    retention: Retention,
    rng: &SystemRandom,
) -> Result<Loaded, StoreError> {
    let bytes =
        std::fs::read(&paths.snapshot).map_err(|e| StoreError::io(&paths.snapshot, "read", &e))?;
    let header = snapshot::header(&paths.snapshot, &bytes)?;
    let (k, kdf) = key.resolve(&paths.snapshot, Some(header.kdf), rng)?;
    load_with_key(paths, bytes, SealKey::new(&k), kdf, retention, Logs::All)
}

/// [`load`] once the key is known, from the snapshot's `bytes`.
fn load_with_key(
    paths: &Paths,
    mut bytes: Vec<u8>,
    sealing: SealKey,
    kdf: Kdf,
    retention: Retention,
    logs: Logs,
) -> Result<Loaded, StoreError> {
    let snapshot_len = bytes.len() as u64;
    let header = snapshot::header(&paths.snapshot, &bytes)?;
    let parts = snapshot::open_snapshot(&paths.snapshot, &sealing, &header, &mut bytes)?;
    let mut position = parts.position;
    let mut old_format = parts.version != seal::VERSION_SNAPSHOT;
    let mut state = decode_state(&paths.snapshot, &bytes, &parts, retention)?;
    drop(bytes);
    let state_last_id = state.last_msg_id();
    // A log of the format before message ids: its lines get ids after
    // the snapshot's (and the handed-over log's, in the live log).
    let mut replay = Replay {
        state: &mut state,
        position: &mut position,
        old_ids: format::Ids::after(state_last_id),
        old_format: &mut old_format,
    };
    let handed_over = replay.handed_over(&paths.prev_log, &sealing)?;
    let log = match logs {
        Logs::HandedOver => LogState::Missing,
        Logs::All => replay.log(&paths.log, &sealing, handed_over)?,
    };
    state.drop_older_than(now());
    Ok(Loaded {
        key: sealing,
        kdf,
        state,
        position,
        snapshot_len,
        log,
        handed_over,
        old_format,
    })
}

/// Replaying logs onto a snapshot's state, in order.
struct Replay<'a> {
    state: &'a mut StoreState,
    position: &'a mut Position,
    /// Ids for history lines of the format before message ids.
    old_ids: format::Ids,
    /// Set when a log of an older format is read.
    old_format: &'a mut bool,
}

impl Replay<'_> {
    /// Applies every change of one record of a log with `header`.
    fn record(
        &mut self,
        path: &Path,
        header: LogHeader,
        at: u64,
        plain: &[u8],
    ) -> Result<(), StoreError> {
        let undecodable = |e: postcard::Error| {
            StoreError::damaged(path, at, format!("a record that does not decode: {e}"))
        };
        let changes: Vec<StoreChange> = if header.version == journal::VERSION_V1 {
            postcard::from_bytes::<Vec<format::ChangeV1>>(plain)
                .map_err(undecodable)?
                .into_iter()
                .map(|c| self.old_ids.change(c))
                .collect()
        } else if header.version == journal::VERSION_V2 {
            postcard::from_bytes::<Vec<format::ChangeV2>>(plain)
                .map_err(undecodable)?
                .into_iter()
                .map(StoreChange::from)
                .collect()
        } else if header.version == journal::VERSION_V3 {
            postcard::from_bytes::<Vec<format::ChangeV3>>(plain)
                .map_err(undecodable)?
                .into_iter()
                .map(StoreChange::from)
                .collect()
        } else {
            postcard::from_bytes(plain).map_err(undecodable)?
        };
        for change in &changes {
            self.state.apply(change).map_err(|e| {
                StoreError::damaged(path, at, format!("a change that cannot apply: {e}"))
            })?;
        }
        // A replayed record is never taken back.
        self.state.end_batch();
        Ok(())
    }

    /// Replays the log handed over to a compaction that has not replaced
    /// the snapshot yet, if there is one: it follows the snapshot, and the
    /// live log then belongs to the next generation. Whether it was
    /// replayed.
    fn handed_over(&mut self, path: &Path, sealing: &SealKey) -> Result<bool, StoreError> {
        let Some((header, reader, total)) = open_log(path)? else {
            return Ok(false);
        };
        let position = *self.position;
        if header.generation < position.generation {
            // The compaction wrote its snapshot and stopped before removing
            // it.
            return Ok(false);
        }
        if header.generation > position.generation || header.first_seq != position.next_seq {
            return Err(StoreError::damaged(
                path,
                0,
                format!(
                    "a handed-over log of generation {} from record {}, but {} is of generation {} up to record {}",
                    header.generation, header.first_seq, SNAPSHOT_FILE, position.generation, position.next_seq
                ),
            ));
        }
        let scanned = journal::scan(path, reader, total, sealing, header, |at, plain| {
            self.record(path, header, at, plain)
        })?;
        if let Some(what) = scanned.torn {
            // It was complete and durable when it was handed over.
            return Err(StoreError::damaged(path, scanned.end, what));
        }
        *self.old_format |= header.version != journal::VERSION;
        self.position.next_seq = scanned.next_seq;
        self.position.generation += 1;
        Ok(true)
    }

    /// Replays the live log, the one that follows the snapshot (and the
    /// handed-over log, if `after_handed_over`).
    fn log(
        &mut self,
        path: &Path,
        sealing: &SealKey,
        after_handed_over: bool,
    ) -> Result<LogState, StoreError> {
        let Some((header, reader, total)) = open_log(path)? else {
            return Ok(LogState::Missing);
        };
        let position = *self.position;
        if header.generation < position.generation && !after_handed_over {
            return Ok(LogState::Obsolete);
        }
        if header.generation != position.generation {
            return Err(StoreError::damaged(
                path,
                0,
                format!(
                    "a log of generation {} but {} is of generation {}{}",
                    header.generation,
                    SNAPSHOT_FILE,
                    position.generation - u64::from(after_handed_over),
                    if after_handed_over {
                        format!(", followed by {PREV_LOG_FILE}")
                    } else {
                        String::new()
                    }
                ),
            ));
        }
        if header.first_seq != position.next_seq {
            return Err(StoreError::damaged(
                path,
                0,
                format!(
                    "the log starts at record {} but the snapshot ends before record {}",
                    header.first_seq, position.next_seq
                ),
            ));
        }
        // One open file throughout: a reader without the lock (a backup)
        // racing a compaction keeps reading the log it opened, which goes
        // with the snapshot it read before.
        let scanned = journal::scan(path, reader, total, sealing, header, |at, plain| {
            self.record(path, header, at, plain)
        })?;
        *self.old_format |= header.version != journal::VERSION;
        self.position.next_seq = scanned.next_seq;
        Ok(LogState::Current {
            header,
            end: scanned.end,
            torn: scanned.torn,
        })
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
        if !loaded.handed_over && remove_if_present(&paths.prev_log)? {
            log::info!(
                "removed {}: a compaction wrote its snapshot and stopped before removing it",
                paths.prev_log.display()
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
            compacting: None,
            handed_over: None,
        };
        if old_format || loaded.handed_over {
            // Never append to the old format, nor after a log handed over
            // to a compaction that did not finish: rewrite it all now (the
            // old files stay until the new snapshot is in place).
            store.compact()?;
            if old_format {
                log::info!(
                    "{} migrated to the current format (message ids, room modes, line kinds)",
                    store.paths.dir.display()
                );
            } else {
                log::info!(
                    "{}: a compaction that was interrupted is finished",
                    store.paths.dir.display()
                );
            }
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

    /// Bounds the history the store keeps in memory by bytes of names and
    /// text per room and per pair of users, as the engine's
    /// `limits.history_bytes_per_room` and `history_bytes_per_pair` do,
    /// beside `retention`'s line counts and age: the oldest lines beyond
    /// go now, and from every conversation as lines are added.
    pub fn bound_history_bytes(&mut self, per_room: usize, per_pair: usize) {
        self.state.bound_history_bytes(per_room, per_pair);
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
            // Nothing applied, so nothing was trimmed.
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
        self.state.end_batch();
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

    /// Whether the log has outgrown the snapshot (and no compaction is
    /// running).
    pub fn compaction_due(&self) -> bool {
        let log = self.log_len();
        let min = self.options.compact_min_bytes;
        let retry_from = self
            .compact_failed_at
            .map_or(0, |at| at.saturating_add(min));
        self.compacting.is_none()
            && !self.broken
            && log >= min.max(retry_from)
            && log > u64::from(self.options.compact_factor.max(1)).saturating_mul(self.snapshot_len)
    }

    /// Whether a compaction runs beside the writer.
    pub fn is_compacting(&self) -> bool {
        self.compacting.is_some()
    }

    /// Hands the log over and writes the new snapshot on a thread of its
    /// own (see `compaction.rs`): the store goes on committing to a new
    /// log meanwhile, at the cost of an fsync of the folder or two.
    /// [`poll_compaction`](Store::poll_compaction) learns how it ended.
    pub fn compact_in_background(&mut self) -> Result<(), StoreError> {
        if self.broken {
            return Err(StoreError::Broken {
                path: self.paths.log.display().to_string(),
            });
        }
        if self.compacting.is_some() || (self.log.is_none() && self.handed_over.is_none()) {
            // Running already, or nothing since the snapshot.
            return Ok(());
        }
        let started = Instant::now();
        let (target, handed_over_bytes, from_memory) = match self.handed_over {
            // Handed over by an earlier try: the state has moved on since.
            Some(target) => (target, 0, None),
            None => {
                let bytes = self.log_len();
                let target = self.hand_over()?;
                // Between commits the writer's state is exactly what the
                // snapshot and the handed-over log hold.
                let small = self.snapshot_len <= self.options.compact_from_memory_max_bytes;
                (target, bytes, small.then(|| self.state.snapshot()))
            }
        };
        log::debug!(
            "store: log handed over for compaction in {:?}",
            started.elapsed()
        );
        let job = compaction::Job {
            paths: self.paths.clone(),
            key: self.key.clone(),
            kdf: self.kdf,
            retention: self.options.retention,
            target,
            handed_over_bytes,
            from_memory,
        };
        match compaction::Running::start(job) {
            Ok(running) => {
                self.compacting = Some(running);
                Ok(())
            }
            Err(e) => {
                self.compact_failed_at = Some(self.log_len());
                Err(e)
            }
        }
    }

    /// Renames the log to [`PREV_LOG_FILE`] and starts a new one of the
    /// next generation; where the new snapshot will end.
    fn hand_over(&mut self) -> Result<Position, StoreError> {
        let fail = |store: &mut Store, e: StoreError| {
            store.compact_failed_at = Some(store.log_len());
            e
        };
        let (log, prev) = (&self.paths.log, &self.paths.prev_log);
        // The open log keeps writing to the renamed file until replaced.
        if let Err(e) = std::fs::rename(log, prev) {
            return Err(fail(self, StoreError::io(log, "hand over", &e)));
        }
        let target = Position {
            generation: self.position.generation + 1,
            next_seq: self.position.next_seq,
        };
        let header = LogHeader::new(target.generation, target.next_seq);
        // Creating it fsyncs the folder: the rename is durable too.
        match LogWriter::create(log, header) {
            Ok(new) => {
                self.log = Some(new);
                self.position.generation = target.generation;
                self.handed_over = Some(target);
                Ok(target)
            }
            Err(e) => {
                // Back as it was; if even that fails the log is nowhere
                // the next open looks for it after later records.
                if std::fs::rename(prev, log).is_err() {
                    self.broken = true;
                    return Err(StoreError::Broken {
                        path: log.display().to_string(),
                    });
                }
                Err(fail(self, e))
            }
        }
    }

    /// Learns whether the compaction beside the writer has ended, and
    /// takes its outcome in.
    pub fn poll_compaction(&mut self) {
        if self.compacting.as_ref().is_some_and(|c| c.is_finished()) {
            self.end_compaction();
        }
    }

    /// Waits for the compaction beside the writer, if one runs.
    pub fn wait_for_compaction(&mut self) {
        if self.compacting.is_some() {
            self.end_compaction();
        }
    }

    fn end_compaction(&mut self) {
        let Some(running) = self.compacting.take() else {
            return;
        };
        let target = running.target;
        match running.join() {
            Ok(done) => {
                self.snapshot_len = done.snapshot_len;
                if self.handed_over == Some(target) {
                    self.handed_over = None;
                }
                self.compact_failed_at = None;
                log::debug!("store: compaction of {} bytes done", done.handed_over_bytes);
            }
            Err(e) => {
                // The handed-over log stays; a later batch tries again.
                log::error!("store compaction failed: {e}");
                self.compact_failed_at = Some(self.log_len());
            }
        }
    }

    /// Writes a new snapshot of everything, on this thread, and starts a
    /// new log (a compaction running beside the writer is waited for
    /// first; a handed-over log is then in the snapshot and removed). A
    /// crash at any point leaves a store that opens with everything
    /// acknowledged: until the rename, the old snapshot and logs; after
    /// it, the new snapshot, and the old logs, of older generations, are
    /// ignored.
    pub fn compact(&mut self) -> Result<(), StoreError> {
        self.wait_for_compaction();
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
        self.handed_over = None;
        if let Err(e) = compaction::finish(&self.paths.prev_log, &self.paths.dir) {
            log::warn!("removing the handed-over log after compaction: {e}");
        }
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
