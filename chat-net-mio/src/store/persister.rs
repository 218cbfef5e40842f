//! The store's writer thread: group commit.
//!
//! The event loop hands changes over and goes on serving; the writer takes
//! every change that has queued up, writes them with one atomic write, and
//! acknowledges each. While one write and its fsyncs run, new changes queue
//! and go together in the next, so a burst of registrations costs a few
//! writes, not one each.

use std::path::PathBuf;
use std::sync::mpsc::{self, Receiver, Sender};
use std::thread::JoinHandle;
use std::time::Instant;

use chat_core::StoreChange;

use super::error::StoreError;
use super::Store;

/// The outcome of one submitted change.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Committed {
    /// The id given to [`Persister::submit`].
    pub id: u64,
    /// `Ok` once the change is durable.
    pub result: Result<(), StoreError>,
}

/// What the writer is asked to do.
#[derive(Debug)]
enum Job {
    Change(u64, StoreChange),
    Backup(PathBuf, Sender<Result<(), StoreError>>),
}

/// What the writer does in one turn: the changes that queued up (one
/// record), then a backup if one was asked for after them.
struct Batch {
    ids: Vec<u64>,
    changes: Vec<StoreChange>,
    backup: Option<(PathBuf, Sender<Result<(), StoreError>>)>,
}

impl Batch {
    /// Takes `first` and whatever else is queued, up to a backup: the
    /// backup then holds exactly what was acknowledged before it.
    fn gather(first: Job, rx: &Receiver<Job>) -> Batch {
        let mut batch = Batch {
            ids: Vec::new(),
            changes: Vec::new(),
            backup: None,
        };
        let mut job = Some(first);
        while let Some(j) = job.take() {
            match j {
                Job::Change(id, change) => {
                    batch.ids.push(id);
                    batch.changes.push(change);
                    job = rx.try_recv().ok();
                }
                Job::Backup(out, reply) => batch.backup = Some((out, reply)),
            }
        }
        batch
    }

    /// Commits, acknowledges, backs up, and compacts if the log is due.
    fn run(self, store: &mut Store, done: &Sender<Committed>, notify: &impl Fn()) {
        if !self.changes.is_empty() {
            let started = Instant::now();
            let results = store.commit(&self.changes);
            log::debug!(
                "store: {} changes in one write, {:?}",
                self.changes.len(),
                started.elapsed()
            );
            for (id, result) in self.ids.into_iter().zip(results) {
                if done.send(Committed { id, result }).is_err() {
                    break;
                }
            }
            notify();
        }
        if let Some((out, reply)) = self.backup {
            // The caller may have stopped waiting.
            let _ = reply.send(store.backup_to(&out));
        }
        if store.compaction_due() {
            if let Err(e) = store.compact() {
                // The log keeps growing; a later batch tries again.
                log::error!("store compaction failed: {e}");
            }
        }
    }
}

/// A running writer thread that owns the [`Store`].
///
/// ```
/// use chat_core::{Grant, Millis, StoreChange, UserName, UserRecord};
/// use chat_net_mio::store::{KeySource, Persister, Store};
/// let dir = tempfile::tempdir().unwrap();
/// let store = Store::open(dir.path(), KeySource::Raw([1; 32])).unwrap();
/// let (persister, committed) = Persister::spawn(store, || {}).unwrap();
/// let alice = UserRecord {
///     name: UserName::parse("alice").unwrap(),
///     phc: "$argon2id$v=19$...".into(),
///     grant: Grant::User,
///     created: Millis(0),
/// };
/// persister.submit(1, StoreChange::AddUser(alice));
/// let done = committed.recv().unwrap();
/// assert_eq!((done.id, done.result), (1, Ok(())));
/// let store = persister.shutdown().unwrap();
/// assert_eq!(store.snapshot().users.len(), 1);
/// ```
#[derive(Debug)]
pub struct Persister {
    tx: Option<Sender<Job>>,
    thread: Option<JoinHandle<Store>>,
}

impl Persister {
    /// Starts the writer. Each [`Committed`] is sent on the returned
    /// receiver, then `notify` is called (the runtime passes its waker).
    pub fn spawn(
        mut store: Store,
        notify: impl Fn() + Send + 'static,
    ) -> std::io::Result<(Persister, Receiver<Committed>)> {
        let (tx, rx) = mpsc::channel::<Job>();
        let (done_tx, done_rx) = mpsc::channel();
        let thread = std::thread::Builder::new()
            .name("chat-store".into())
            .spawn(move || {
                while let Ok(first) = rx.recv() {
                    let batch = Batch::gather(first, &rx);
                    batch.run(&mut store, &done_tx, &notify);
                }
                store
            });
        Ok((
            Persister {
                tx: Some(tx),
                thread: Some(thread?),
            },
            done_rx,
        ))
    }

    /// Queues a change; its [`Committed`] comes once it is durable.
    pub fn submit(&self, id: u64, change: StoreChange) {
        if let Some(tx) = &self.tx {
            // Fails only if the writer is gone; shutdown() reports that.
            let _ = tx.send(Job::Change(id, change));
        }
    }

    /// Asks for a backup to `out` after the changes submitted before it;
    /// its outcome comes on `reply`.
    pub fn backup(&self, out: PathBuf, reply: Sender<Result<(), StoreError>>) {
        match &self.tx {
            Some(tx) => {
                if let Err(mpsc::SendError(Job::Backup(_, reply))) =
                    tx.send(Job::Backup(out, reply))
                {
                    let _ = reply.send(Err(StoreError::WriterGone));
                }
            }
            None => {
                let _ = reply.send(Err(StoreError::WriterGone));
            }
        }
    }

    /// Writes whatever is queued, stops the writer and returns the store.
    pub fn shutdown(mut self) -> Result<Store, StoreError> {
        self.tx = None;
        self.thread
            .take()
            .and_then(|t| t.join().ok())
            .ok_or(StoreError::WriterGone)
    }
}
