//! `ServerHandle`: a cloneable way to reach a running server from any
//! thread.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{self, Receiver, Sender, SyncSender, TrySendError};
use std::sync::Arc;

use chat_core::ChatEvent;
use mio::Waker;

use crate::store::StoreError;

/// What a handle asks of the event loop.
#[derive(Debug)]
pub(crate) enum Request {
    Shutdown,
    Announce(String),
    Subscribe(SyncSender<ChatEvent>),
    ReloadTls,
    Backup(PathBuf, Sender<Result<(), StoreError>>),
}

/// The event loop's side of the subscriptions: bounded channels, and a
/// count of the events a full one missed.
#[derive(Debug)]
pub(crate) struct Subscribers {
    senders: Vec<SyncSender<ChatEvent>>,
    dropped: Arc<AtomicU64>,
}

impl Subscribers {
    pub(crate) fn new(dropped: Arc<AtomicU64>) -> Subscribers {
        Subscribers {
            senders: Vec::new(),
            dropped,
        }
    }

    pub(crate) fn add(&mut self, tx: SyncSender<ChatEvent>) {
        self.senders.push(tx);
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.senders.is_empty()
    }

    pub(crate) fn clear(&mut self) {
        self.senders.clear();
    }

    /// Sends to every subscriber without waiting: a full channel misses
    /// the event (counted), a dropped receiver is forgotten.
    pub(crate) fn send(&mut self, event: &ChatEvent) {
        let dropped = &self.dropped;
        self.senders.retain(|s| match s.try_send(event.clone()) {
            Ok(()) => true,
            Err(TrySendError::Full(_)) => {
                dropped.fetch_add(1, Ordering::Relaxed);
                true
            }
            Err(TrySendError::Disconnected(_)) => false,
        });
    }
}

/// A handle on a [`Server`](crate::Server), usable from any thread, before
/// or while it runs. Cloning is cheap. Once the server has stopped, the
/// calls do nothing.
///
/// ```no_run
/// # fn main() -> Result<(), chat_net_mio::ServerError> {
/// let server = chat_net_mio::Server::builder().data_dir("/tmp/chat-doc").build()?;
/// let handle = server.handle();
/// let events = handle.subscribe();
/// std::thread::spawn(move || {
///     for event in events {
///         println!("{event:?}");
///     }
/// });
/// let stopper = handle.clone();
/// std::thread::spawn(move || {
///     stopper.announce("maintenance in 5 minutes");
///     stopper.shutdown();
/// });
/// server.run()?;
/// # Ok(()) }
/// ```
#[derive(Clone, Debug)]
pub struct ServerHandle {
    tx: Sender<Request>,
    waker: Arc<Waker>,
    addr: SocketAddr,
    subscriber_queue: usize,
    dropped: Arc<AtomicU64>,
}

impl ServerHandle {
    pub(crate) fn new(
        tx: Sender<Request>,
        waker: Arc<Waker>,
        addr: SocketAddr,
        subscriber_queue: usize,
        dropped: Arc<AtomicU64>,
    ) -> ServerHandle {
        ServerHandle {
            tx,
            waker,
            addr,
            subscriber_queue,
            dropped,
        }
    }

    fn request(&self, r: Request) {
        if self.tx.send(r).is_ok() {
            // A failed wake means the loop is gone: nothing to do.
            let _ = self.waker.wake();
        }
    }

    /// The address the server listens on.
    pub fn local_addr(&self) -> SocketAddr {
        self.addr
    }

    /// Shuts the server down gracefully: every client gets `CTL shutdown`,
    /// the store is flushed, [`Server::run`](crate::Server::run) returns.
    pub fn shutdown(&self) {
        self.request(Request::Shutdown);
    }

    /// Reads the TLS certificate and key files again, as SIGHUP does: new
    /// connections get the new certificate, open ones keep theirs; if the
    /// files cannot be used, the old certificate stays (and a warning is
    /// logged).
    pub fn reload_tls(&self) {
        self.request(Request::ReloadTls);
    }

    /// Writes a consistent backup of the store to `out` and waits for it:
    /// everything acknowledged before the call, taken by the store's
    /// writer between two commits while traffic goes on. The backup is
    /// sealed with the store's key; restore it, with the server stopped,
    /// with [`Store::restore`](crate::store::Store::restore) (or
    /// `chat-server restore --from FILE`). Do not call it from the thread
    /// that runs the server.
    ///
    /// ```no_run
    /// # fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// let server = chat_net_mio::Server::builder().data_dir("/tmp/chat-doc").build()?;
    /// let handle = server.handle();
    /// std::thread::spawn(move || server.run());
    /// handle.backup("/tmp/chat-backup.snapshot")?;
    /// # Ok(()) }
    /// ```
    pub fn backup(&self, out: impl Into<PathBuf>) -> Result<(), StoreError> {
        let (tx, rx) = mpsc::channel();
        self.request(Request::Backup(out.into(), tx));
        rx.recv().unwrap_or(Err(StoreError::WriterGone))
    }

    /// Sends an announcement to everyone in the room, as `INFO` lines.
    pub fn announce(&self, text: impl Into<String>) {
        self.request(Request::Announce(text.into()));
    }

    /// Observes chat events (joins, leaves, room and private messages,
    /// announcements) from now on. The receiver ends when the server stops;
    /// dropping it unsubscribes.
    ///
    /// The channel holds at most
    /// [`NetConfig::subscriber_queue`](crate::NetConfig::subscriber_queue)
    /// unread events: the server never waits for a subscriber, so one that
    /// falls that far behind misses events, counted by
    /// [`dropped_events`](ServerHandle::dropped_events).
    pub fn subscribe(&self) -> Receiver<ChatEvent> {
        let (tx, rx) = mpsc::sync_channel(self.subscriber_queue.max(1));
        self.request(Request::Subscribe(tx));
        rx
    }

    /// Events that subscribers missed because their channel was full, over
    /// all subscribers since the server was built.
    pub fn dropped_events(&self) -> u64 {
        self.dropped.load(Ordering::Relaxed)
    }
}
