//! The connection table: a slab of sockets indexed by the engine's
//! `ConnId`, reusing freed slots.

use std::net::SocketAddr;
use std::time::Instant;

use mio::net::TcpStream;

use super::outbound::Outbound;
use crate::transport::Transport;

/// One client socket and what is waiting to be written to it.
#[derive(Debug)]
pub(crate) struct Conn {
    pub(crate) stream: TcpStream,
    pub(crate) peer: SocketAddr,
    pub(crate) out: Outbound,
    /// Set once the engine has closed it: flush until this deadline, then
    /// drop.
    pub(crate) closing: Option<Instant>,
    /// Already listed for a flush this turn.
    pub(crate) dirty: bool,
    /// Hit its read budget: read more next turn even without an event.
    pub(crate) more_to_read: bool,
    /// Registered for writable events (only while a write is blocked, so
    /// the ACKs of ordinary writes do not wake the loop).
    pub(crate) wants_writable: bool,
    /// The peer's end of file (or an error) was signalled: read to the end
    /// rather than stop at a short read.
    pub(crate) read_closed: bool,
    /// TLS, WebSocket or neither, between the socket and the engine.
    pub(crate) transport: Transport,
    /// The engine was told of it (its transport is ready).
    pub(crate) opened: bool,
    /// When it was accepted (for the handshake timeout).
    pub(crate) accepted: Instant,
}

impl Conn {
    pub(crate) fn new(stream: TcpStream, peer: SocketAddr, transport: Transport) -> Conn {
        Conn {
            stream,
            peer,
            out: Outbound::default(),
            closing: None,
            dirty: false,
            more_to_read: false,
            wants_writable: false,
            read_closed: false,
            transport,
            opened: false,
            accepted: Instant::now(),
        }
    }
}

#[derive(Debug, Default)]
pub(crate) struct ConnTable {
    slots: Vec<Option<Conn>>,
    free: Vec<usize>,
    /// Slots emptied this turn: reused only after [`recycle`], once the
    /// engine has been told the old connection closed, so it never sees a
    /// new connection under an id it still knows.
    ///
    /// [`recycle`]: ConnTable::recycle
    released: Vec<usize>,
    len: usize,
}

impl ConnTable {
    pub(crate) fn insert(&mut self, conn: Conn) -> usize {
        self.len += 1;
        match self.free.pop() {
            Some(i) => {
                self.slots[i] = Some(conn);
                i
            }
            None => {
                self.slots.push(Some(conn));
                self.slots.len() - 1
            }
        }
    }

    pub(crate) fn get_mut(&mut self, i: usize) -> Option<&mut Conn> {
        self.slots.get_mut(i).and_then(Option::as_mut)
    }

    pub(crate) fn remove(&mut self, i: usize) -> Option<Conn> {
        let conn = self.slots.get_mut(i).and_then(Option::take)?;
        self.released.push(i);
        self.len -= 1;
        Some(conn)
    }

    /// Makes the slots emptied since the last call free for reuse.
    pub(crate) fn recycle(&mut self) {
        self.free.append(&mut self.released);
    }

    pub(crate) fn len(&self) -> usize {
        self.len
    }

    pub(crate) fn ids(&self) -> impl Iterator<Item = usize> + '_ {
        self.slots
            .iter()
            .enumerate()
            .filter_map(|(i, s)| s.as_ref().map(|_| i))
    }
}
