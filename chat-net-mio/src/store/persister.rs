//! The store's writer thread: group commit.
//!
//! The event loop hands changes over and goes on serving; the writer takes
//! every change that has queued up, writes them with one atomic write, and
//! acknowledges each. While one write and its fsyncs run, new changes queue
//! and go together in the next, so a burst of registrations costs a few
//! writes, not one each.
//!
//! History lines ([`StoreChange::AppendLine`]) are different: nobody waits
//! for them, and there is one per chat message. The writer keeps them back
//! until the next write of another change, or at most
//! [`HISTORY_FLUSH`] after the first one kept, so chat traffic costs a few
//! writes a second rather than one per batch of messages; a crash loses at
//! most that much history, never an acknowledged change.

use std::sync::mpsc::{self, Receiver, RecvTimeoutError, Sender};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use chat_core::StoreChange;

use super::error::StoreError;
use super::Store;

/// The longest a history line waits for its write.
pub const HISTORY_FLUSH: Duration = Duration::from_millis(500);

/// The writer thread's loop: takes what has queued, writes it (history
/// lines held back as the module says), acknowledges each change.
fn writer(
    store: &mut Store,
    rx: &Receiver<(u64, StoreChange)>,
    done_tx: &Sender<Committed>,
    notify: &impl Fn(),
) {
    // History lines held back, oldest first, and since when.
    let mut held: Vec<(u64, StoreChange)> = Vec::new();
    let mut held_since: Option<Instant> = None;
    loop {
        let first = match held_since {
            None => rx.recv().map_err(|_| RecvTimeoutError::Disconnected),
            Some(t) => rx.recv_timeout(HISTORY_FLUSH.saturating_sub(t.elapsed())),
        };
        let closing = matches!(first, Err(RecvTimeoutError::Disconnected));
        let mut batch: Vec<(u64, StoreChange)> = first.into_iter().collect();
        batch.extend(rx.try_iter());
        let urgent = batch
            .iter()
            .any(|(_, c)| !matches!(c, StoreChange::AppendLine { .. }));
        if held_since.is_none() && !batch.is_empty() {
            held_since = Some(Instant::now());
        }
        // Kept in arrival order: held lines came before this batch.
        held.append(&mut batch);
        let due = held_since.is_some_and(|t| t.elapsed() >= HISTORY_FLUSH);
        if !held.is_empty() && (urgent || due || closing) {
            let (ids, changes): (Vec<u64>, Vec<StoreChange>) = held.drain(..).unzip();
            held_since = None;
            let started = Instant::now();
            let results = store.commit(&changes);
            log::debug!(
                "store: {} changes in one write, {:?}",
                changes.len(),
                started.elapsed()
            );
            for (id, result) in ids.into_iter().zip(results) {
                if done_tx.send(Committed { id, result }).is_err() {
                    break;
                }
            }
            notify();
        }
        if closing {
            return;
        }
    }
}

/// The outcome of one submitted change.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Committed {
    /// The id given to [`Persister::submit`].
    pub id: u64,
    /// `Ok` once the change is durable.
    pub result: Result<(), StoreError>,
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
    tx: Option<Sender<(u64, StoreChange)>>,
    thread: Option<JoinHandle<Store>>,
}

impl Persister {
    /// Starts the writer. Each [`Committed`] is sent on the returned
    /// receiver, then `notify` is called (the runtime passes its waker).
    pub fn spawn(
        mut store: Store,
        notify: impl Fn() + Send + 'static,
    ) -> std::io::Result<(Persister, Receiver<Committed>)> {
        let (tx, rx) = mpsc::channel::<(u64, StoreChange)>();
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
            },
            done_rx,
        ))
    }

    /// Queues a change; its [`Committed`] comes once it is durable.
    pub fn submit(&self, id: u64, change: StoreChange) {
        if let Some(tx) = &self.tx {
            // Fails only if the writer is gone; shutdown() reports that.
            let _ = tx.send((id, change));
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
