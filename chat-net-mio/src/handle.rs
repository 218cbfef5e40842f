//! `ServerHandle`: a cloneable way to reach a running server from any
//! thread.

use std::net::SocketAddr;
use std::sync::mpsc::{self, Receiver, Sender};
use std::sync::Arc;

use chat_core::ChatEvent;
use mio::Waker;

/// What a handle asks of the event loop.
#[derive(Debug)]
pub(crate) enum Request {
    Shutdown,
    Announce(String),
    Subscribe(Sender<ChatEvent>),
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
}

impl ServerHandle {
    pub(crate) fn new(tx: Sender<Request>, waker: Arc<Waker>, addr: SocketAddr) -> ServerHandle {
        ServerHandle { tx, waker, addr }
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

    /// Sends an announcement to everyone in the room, as `INFO` lines.
    pub fn announce(&self, text: impl Into<String>) {
        self.request(Request::Announce(text.into()));
    }

    /// Observes chat events (joins, leaves, room and private messages,
    /// announcements) from now on. The receiver ends when the server stops;
    /// dropping it unsubscribes.
    pub fn subscribe(&self) -> Receiver<ChatEvent> {
        let (tx, rx) = mpsc::channel();
        self.request(Request::Subscribe(tx));
        rx
    }
}
