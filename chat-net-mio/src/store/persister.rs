//! The store's writer thread: group commit.
//!
//! The event loop hands changes over and goes on serving; the writer takes
//! every change that has queued up, writes them with one atomic write, and
//! acknowledges each. While one write and its fsyncs run, new changes queue
//! and go together in the next, so a burst of registrations costs a few
//! writes, not one each.
//!
//! History lines ([`StoreChange::AppendLine`]) are different: nobody waits
//! for them, and there is one per chat message. They never cross to the
//! writer one by one (waking its thread for every message): the
//! [`Persister`] holds them on the caller's side until the next awaited
//! change or backup (which they precede, in order), until
//! [`HISTORY_FLUSH`] after the first one held ([`Persister::deadline`],
//! [`Persister::on_deadline`]), or until [`HISTORY_BATCH_LINES`] or
//! [`HISTORY_BATCH_BYTES`] are held, and then go over as one job. So chat
//! traffic costs a few log records (and fsyncs) a second and a few
//! wake-ups of the writer, not one per message; a crash loses at most that
//! much history, never an acknowledged change. They are not acknowledged:
//! a failure to write them is logged.

use std::path::PathBuf;
use std::sync::mpsc::{self, Receiver, Sender};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use chat_core::StoreChange;

use super::error::StoreError;
use super::Store;

/// The longest a history line waits for its write.
pub const HISTORY_FLUSH: Duration = Duration::from_millis(500);
/// History lines held at most before they go to the writer together.
pub const HISTORY_BATCH_LINES: usize = 4096;
/// Bytes of history text held at most before they go to the writer.
pub const HISTORY_BATCH_BYTES: usize = 1024 * 1024;

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
    /// A change someone waits for, after the history lines held before
    /// it: one job, so they always share its record (two sends could
    /// wake the writer between them).
    Change {
        lines: Vec<StoreChange>,
        id: u64,
        change: StoreChange,
    },
    /// History lines, in order, acknowledged to no one.
    Lines(Vec<StoreChange>),
    Backup(PathBuf, Sender<Result<(), StoreError>>),
    /// Compact now, whether or not the log is due.
    Compact,
}

/// What the writer does in one turn: the changes that queued up (one
/// record), then a backup if one was asked for after them.
struct Batch {
    /// The id of each change, `None` for a history line.
    ids: Vec<Option<u64>>,
    changes: Vec<StoreChange>,
    backup: Option<(PathBuf, Sender<Result<(), StoreError>>)>,
    /// A compaction was asked for.
    compact: bool,
}

impl Batch {
    fn empty() -> Batch {
        Batch {
            ids: Vec::new(),
            changes: Vec::new(),
            backup: None,
            compact: false,
        }
    }

    /// Adds `first` and whatever else is queued, up to a backup: the
    /// backup then holds exactly what was acknowledged before it.
    fn gather(&mut self, first: Job, rx: &Receiver<Job>) {
        let mut job = Some(first);
        while let Some(j) = job.take() {
            match j {
                Job::Change { lines, id, change } => {
                    self.push_lines(lines);
                    self.ids.push(Some(id));
                    self.changes.push(change);
                    job = rx.try_recv().ok();
                }
                Job::Lines(lines) => {
                    self.push_lines(lines);
                    job = rx.try_recv().ok();
                }
                Job::Compact => {
                    self.compact = true;
                    job = rx.try_recv().ok();
                }
                Job::Backup(out, reply) => self.backup = Some((out, reply)),
            }
        }
    }

    /// Adds history lines, which no one is acknowledged for.
    fn push_lines(&mut self, lines: Vec<StoreChange>) {
        self.ids.extend(std::iter::repeat_n(None, lines.len()));
        self.changes.extend(lines);
    }

    /// Commits, acknowledges, backs up, and starts a compaction if the log
    /// is due.
    fn run(self, store: &mut Store, done: &Sender<Committed>, notify: &impl Fn()) {
        if !self.changes.is_empty() {
            let started = Instant::now();
            let results = store.commit(&self.changes);
            log::debug!(
                "store: {} changes in one write, {:?}",
                self.changes.len(),
                started.elapsed()
            );
            let mut acked = false;
            let mut lost_lines = None;
            for (id, result) in self.ids.into_iter().zip(results) {
                match id {
                    Some(id) => {
                        acked = true;
                        if done.send(Committed { id, result }).is_err() {
                            break;
                        }
                    }
                    None => {
                        if let Err(e) = result {
                            lost_lines.get_or_insert((e, 0)).1 += 1;
                        }
                    }
                }
            }
            if let Some((e, n)) = lost_lines {
                log::warn!("could not save {n} history line(s): {e}");
            }
            if acked {
                notify();
            }
        }
        if let Some((out, reply)) = self.backup {
            // The caller may have stopped waiting.
            let _ = reply.send(store.backup_to(&out));
        }
        store.poll_compaction();
        if store.compaction_due() || (self.compact && !store.is_compacting()) {
            // The snapshot is written beside this thread: commits go on.
            if let Err(e) = store.compact_in_background() {
                // The log keeps growing; a later batch tries again.
                log::error!("store compaction failed: {e}");
            }
        }
    }
}

/// The writer thread's loop: one turn per batch of jobs, until the
/// channel closes.
fn writer(store: &mut Store, rx: &Receiver<Job>, done: &Sender<Committed>, notify: &impl Fn()) {
    while let Ok(job) = rx.recv() {
        let mut batch = Batch::empty();
        batch.gather(job, rx);
        batch.run(store, done, notify);
    }
}

/// History lines held on the caller's side (see the module).
#[derive(Debug, Default)]
struct Held {
    lines: Vec<StoreChange>,
    bytes: usize,
    /// When the first of them came.
    since: Option<Instant>,
}

impl Held {
    fn push(&mut self, line: StoreChange) {
        if let StoreChange::AppendLine { line, .. } = &line {
            self.bytes += line.text.len();
        }
        self.since.get_or_insert_with(Instant::now);
        self.lines.push(line);
    }

    fn full(&self) -> bool {
        self.lines.len() >= HISTORY_BATCH_LINES || self.bytes >= HISTORY_BATCH_BYTES
    }

    fn take(&mut self) -> Option<Vec<StoreChange>> {
        self.since = None;
        self.bytes = 0;
        (!self.lines.is_empty()).then(|| std::mem::take(&mut self.lines))
    }
}

/// A running writer thread that owns the [`Store`], and the history
/// lines held for it (see the module).
///
/// ```
/// use chat_core::{Grant, Millis, StoreChange, UserName, UserRecord};
/// use chat_net_mio::store::{KeySource, Persister, Store};
/// let dir = tempfile::tempdir().unwrap();
/// let store = Store::open(dir.path(), KeySource::Raw([1; 32])).unwrap();
/// let (mut persister, committed) = Persister::spawn(store, || {}).unwrap();
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
    held: Held,
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
                writer(&mut store, &rx, &done_tx, &notify);
                store
            });
        Ok((
            Persister {
                tx: Some(tx),
                thread: Some(thread?),
                held: Held::default(),
            },
            done_rx,
        ))
    }

    /// Queues a change; its [`Committed`] comes once it is durable. A
    /// history line ([`StoreChange::AppendLine`]) is held instead and
    /// never acknowledged (see the module): the history lines held go to
    /// the writer before any other change, in order.
    pub fn submit(&mut self, id: u64, change: StoreChange) {
        if matches!(change, StoreChange::AppendLine { .. }) {
            self.held.push(change);
            if self.held.full() {
                self.send_held();
            }
            return;
        }
        let lines = self.held.take().unwrap_or_default();
        self.send(Job::Change { lines, id, change });
    }

    /// When the held history lines must go to the writer, if any are held.
    pub fn deadline(&self) -> Option<Instant> {
        self.held.since.map(|t| t + HISTORY_FLUSH)
    }

    /// Sends the held history lines to the writer if their deadline has
    /// come.
    pub fn on_deadline(&mut self, now: Instant) {
        if self.deadline().is_some_and(|t| t <= now) {
            self.send_held();
        }
    }

    fn send_held(&mut self) {
        if let Some(lines) = self.held.take() {
            self.send(Job::Lines(lines));
        }
    }

    fn send(&self, job: Job) {
        if let Some(tx) = &self.tx {
            // Fails only if the writer is gone; shutdown() reports that.
            let _ = tx.send(job);
        }
    }

    /// Asks for a backup to `out` after the changes submitted before it
    /// (held history lines included); its outcome comes on `reply`.
    pub fn backup(&mut self, out: PathBuf, reply: Sender<Result<(), StoreError>>) {
        self.send_held();
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

    /// Asks for a compaction after the changes submitted before it (held
    /// history lines included), whether or not the log is due; the
    /// snapshot is written beside the writer, which goes on committing.
    /// Nothing happens if one is running.
    pub fn compact(&mut self) {
        self.send_held();
        self.send(Job::Compact);
    }

    /// Writes whatever is queued or held, stops the writer and returns
    /// the store.
    pub fn shutdown(mut self) -> Result<Store, StoreError> {
        self.send_held();
        self.tx = None;
        self.thread
            .take()
            .and_then(|t| t.join().ok())
            .ok_or(StoreError::WriterGone)
    }
}

impl Drop for Persister {
    /// A persister dropped without [`shutdown`](Persister::shutdown)
    /// still hands its held lines to the writer, which writes them before
    /// it sees its channel closed.
    fn drop(&mut self) {
        self.send_held();
    }
}
