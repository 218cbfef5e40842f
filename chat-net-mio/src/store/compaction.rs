//! Compaction beside the live writer.
//!
//! Writing a snapshot of a large store takes seconds (a million accounts:
//! about two), and the writer must not hold acknowledgements back that
//! long. So the writer only hands its log over: it renames `store.log` to
//! `store.log.prev` ([`PREV_LOG_FILE`](super::PREV_LOG_FILE)) and starts a
//! new `store.log` of the next generation, beginning at the next record,
//! and goes on appending to it. A thread of its own then reads the
//! snapshot and the handed-over log from the files (never the writer's
//! state, which keeps changing; a small store's writer hands over a copy
//! of its state instead, taken at the hand-over: see
//! [`StoreOptions::compact_from_memory_max_bytes`](super::StoreOptions::compact_from_memory_max_bytes)),
//! writes the new snapshot (temporary file,
//! fsync, rename, fsync of the folder) of that next generation, up to
//! where the handed-over log ended, and removes the handed-over log.
//!
//! Every step leaves files that open with every acknowledged change:
//!
//! | on disk | opens as |
//! |---|---|
//! | snapshot g, `store.log.prev` g | the snapshot, then the handed-over log (the new log not created yet) |
//! | snapshot g, `store.log.prev` g, `store.log` g+1 | the snapshot, then both logs in turn |
//! | snapshot g+1, `store.log.prev` g, `store.log` g+1 | the new snapshot, then the new log; the handed-over one is older and ignored |
//!
//! A store that opens with a handed-over log still there (the process
//! stopped mid-compaction) finishes the job at once, in memory, before it
//! serves anything ([`Store::compact`](super::Store::compact)).

use std::path::Path;
use std::thread::JoinHandle;
use std::time::Instant;

use chat_core::{Retention, StoreSnapshot};
use ring::rand::SystemRandom;

use super::error::StoreError;
use super::seal::{Kdf, SealKey};
use super::snapshot::{self, Position};
use super::{file, load_with_key, remove_if_present, Logs, Paths};

/// A compaction running on its own thread.
#[derive(Debug)]
pub(crate) struct Running {
    thread: JoinHandle<Result<Done, StoreError>>,
    /// Where the new snapshot ends.
    pub(crate) target: Position,
}

/// A finished compaction: the new snapshot's size.
#[derive(Debug)]
pub(crate) struct Done {
    pub(crate) snapshot_len: u64,
    pub(crate) handed_over_bytes: u64,
}

/// What the compaction's thread needs: the files, the key, and how much
/// history to keep.
pub(crate) struct Job {
    pub(crate) paths: Paths,
    pub(crate) key: SealKey,
    pub(crate) kdf: Kdf,
    pub(crate) retention: Retention,
    pub(crate) target: Position,
    pub(crate) handed_over_bytes: u64,
    /// The writer's copy of everything up to `target`, for a small store;
    /// `None`: read the snapshot and the handed-over log from the files.
    pub(crate) from_memory: Option<StoreSnapshot>,
}

impl Running {
    /// Starts writing the snapshot of `job.target` on a thread of its own.
    pub(crate) fn start(job: Job) -> Result<Running, StoreError> {
        let target = job.target;
        let dir = job.paths.dir.clone();
        let thread = std::thread::Builder::new()
            .name("chat-compact".into())
            .spawn(move || job.run())
            .map_err(|e| StoreError::io(&dir, "start the compaction thread", &e))?;
        Ok(Running { thread, target })
    }

    /// Whether it has ended (well or not).
    pub(crate) fn is_finished(&self) -> bool {
        self.thread.is_finished()
    }

    /// Waits for it to end.
    pub(crate) fn join(self) -> Result<Done, StoreError> {
        self.thread
            .join()
            .unwrap_or_else(|p| std::panic::resume_unwind(p))
    }
}

/// The new snapshot is written and synced this much at a time (see
/// [`file::write_atomic_in`]).
const WRITE_CHUNK: usize = 4 * 1024 * 1024;

/// A compaction is background work: under contention its thread (and the
/// threads it starts, which inherit this) yields the cores to the event
/// loop and the writer, whose work is what people wait for. Nice 10
/// weighs about a tenth of a normal thread, so it still finishes on a
/// busy machine.
#[cfg(target_os = "linux")]
#[allow(unsafe_code)]
fn yield_to_the_server() {
    // SAFETY: setpriority takes no pointer; on Linux, PRIO_PROCESS with
    // 0 sets the calling thread's nice value only.
    let rc = unsafe { libc::setpriority(libc::PRIO_PROCESS, 0, 10) };
    if rc != 0 {
        log::debug!(
            "compaction: priority not lowered: {}",
            std::io::Error::last_os_error()
        );
    }
}

#[cfg(not(target_os = "linux"))]
fn yield_to_the_server() {}

impl Job {
    fn run(mut self) -> Result<Done, StoreError> {
        yield_to_the_server();
        let started = Instant::now();
        let everything = match self.from_memory.take() {
            Some(everything) => everything,
            None => self.read_back()?,
        };
        let read = started.elapsed();
        let paths = &self.paths;
        let sealed = snapshot::seal_snapshot(
            &paths.snapshot,
            &self.key,
            &self.kdf,
            self.target,
            &everything,
            &SystemRandom::new(),
        )?;
        drop(everything);
        let encoded = started.elapsed();
        log::debug!("compaction: new snapshot sealed at {encoded:?}");
        file::write_atomic_in(&paths.snapshot, &sealed, WRITE_CHUNK)?;
        finish(&paths.prev_log, &paths.dir)?;
        log::info!(
            "store compacted beside the writer: {} bytes of log into a snapshot of {} bytes \
             (generation {}), {:?} (read by {read:?}, sealed by {encoded:?})",
            self.handed_over_bytes,
            sealed.len(),
            self.target.generation,
            started.elapsed(),
        );
        Ok(Done {
            snapshot_len: sealed.len() as u64,
            handed_over_bytes: self.handed_over_bytes,
        })
    }

    /// Everything up to the target, read from the snapshot and the
    /// handed-over log.
    fn read_back(&self) -> Result<StoreSnapshot, StoreError> {
        let started = Instant::now();
        let paths = &self.paths;
        let bytes = std::fs::read(&paths.snapshot)
            .map_err(|e| StoreError::io(&paths.snapshot, "read", &e))?;
        let loaded = load_with_key(
            paths,
            bytes,
            self.key.clone(),
            self.kdf,
            self.retention,
            Logs::HandedOver,
        )?;
        if !loaded.handed_over || loaded.position != self.target {
            return Err(StoreError::damaged(
                &paths.prev_log,
                0,
                format!(
                    "the snapshot and the handed-over log end at {:?}, not at {:?}",
                    loaded.position, self.target
                ),
            ));
        }
        log::debug!(
            "compaction: snapshot and handed-over log read in {:?}",
            started.elapsed()
        );
        Ok(loaded.state.into_snapshot())
    }
}

/// Removes the handed-over log once a snapshot holds it, durably.
pub(crate) fn finish(prev_log: &Path, dir: &Path) -> Result<(), StoreError> {
    if remove_if_present(prev_log)? {
        file::sync_dir(dir)?;
    }
    Ok(())
}
