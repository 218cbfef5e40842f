//! One I/O shard: a share of the connections, read and written by one
//! thread through its own mio `Poll`.
//!
//! The shard never calls the engine. What its sockets say (a connection
//! opened, bytes, a connection lost) goes to its [`Inbox`], which the
//! engine's thread reads; what the engine says comes back as frames
//! queued with [`IoShard::queue`] and [`IoShard::fan_out`], and closes
//! with [`IoShard::close`]. A connection is judged too slow by what it
//! leaves unsent after a turn's write, not by what one turn queued for it.

use std::collections::VecDeque;
use std::io::{self, Read};
use std::net::{Shutdown, SocketAddr};
use std::time::{Duration, Instant};

use chat_core::{CloseCause, CloseReason, ConnId, Frame};
use log::{debug, warn};
use mio::event::Event;
use mio::net::TcpStream;
use mio::{Interest, Registry, Token};

use super::admission::Ticket;
use super::inbox::Inbox;
use super::{keepalive, Conn, ConnTable, Flushed, QueuePool, Released, Shard};
use crate::transport::Transport;
use crate::trim::Trimmer;
use crate::{NetConfig, Protocol};

/// Tokens below this are the thread's own (listeners' are far above).
pub(crate) const FIRST_CONN: usize = 3;

/// How long a closed connection may take to read its last lines.
const LINGER: Duration = Duration::from_secs(5);

/// Bytes read from a socket at once; one buffer per shard, not per
/// connection, so an idle connection holds none.
const READ_BUF_BYTES: usize = 64 * 1024;

/// A connection accepted for a shard, not registered yet.
#[derive(Debug)]
pub(crate) struct Accepted {
    pub(crate) stream: TcpStream,
    pub(crate) peer: SocketAddr,
    pub(crate) transport: Transport,
    pub(crate) protocol: Protocol,
    /// Its places as counted at accept.
    pub(crate) ticket: Ticket,
}

/// The sockets of one shard.
#[derive(Debug)]
pub(crate) struct IoShard {
    registry: Registry,
    conns: ConnTable,
    net: NetConfig,
    /// What the engine has yet to hear.
    pub(crate) inbox: Inbox,
    read_buf: Vec<u8>,
    /// Protocol lines a transport decoded, reused between reads.
    lines: Vec<u8>,
    /// Connections with something to write, in the order they got it.
    dirty: VecDeque<ConnId>,
    /// Those written this turn (kept to reuse its allocation).
    writing: Vec<ConnId>,
    lingering: VecDeque<(Instant, ConnId)>,
    more_reads: Vec<ConnId>,
    /// Connections whose transport is not ready yet, oldest first, for the
    /// handshake timeout.
    handshakes: VecDeque<(Instant, ConnId)>,
    /// The same, for the first-byte timeout (a shorter one).
    first_bytes: VecDeque<(Instant, ConnId)>,
    /// Outbound queue storage, lent to connections while they have bytes
    /// pending.
    queues: QueuePool,
    /// A frame was queued since the last deadline check.
    queues_used: bool,
    /// When the spare queues are shrunk: a second after they were last
    /// used (on the engine's thread, never after its trim of the same
    /// quiet spell, which starts no earlier: see `trim.rs`).
    queues_quiet: Trimmer,
    /// The engine is behind on what this shard read: reads wait.
    paused: bool,
}

impl IoShard {
    pub(crate) fn new(registry: Registry, shard: Shard, net: NetConfig) -> IoShard {
        IoShard {
            registry,
            conns: ConnTable::new(shard),
            net,
            inbox: Inbox::default(),
            read_buf: vec![0; READ_BUF_BYTES],
            lines: Vec::new(),
            dirty: VecDeque::new(),
            writing: Vec::new(),
            lingering: VecDeque::new(),
            more_reads: Vec::new(),
            handshakes: VecDeque::new(),
            first_bytes: VecDeque::new(),
            queues: QueuePool::default(),
            queues_used: false,
            queues_quiet: Trimmer::default(),
            paused: false,
        }
    }

    /// Stops reading (readable connections wait in line) or starts again.
    pub(crate) fn set_paused(&mut self, paused: bool) {
        self.paused = paused;
    }

    pub(crate) fn shard(&self) -> Shard {
        self.conns.shard()
    }

    /// How many connections it holds.
    pub(crate) fn len(&self) -> usize {
        self.conns.len()
    }

    /// Whether a write is owed somewhere (then the thread's next poll
    /// must not wait).
    pub(crate) fn has_dirty(&self) -> bool {
        !self.dirty.is_empty()
    }

    /// The poll token of a connection: its slot, past the fixed tokens.
    fn token(&self, id: ConnId) -> Token {
        Token(self.conns.shard().slot_of(id) + FIRST_CONN)
    }

    /// The earliest of its own deadlines; zero if a read is owed.
    pub(crate) fn next_deadline(&self) -> Option<Instant> {
        if !self.more_reads.is_empty() {
            // While paused, look again soon: the engine takes a backlog
            // in well under a millisecond.
            let wait = if self.paused {
                Duration::from_millis(1)
            } else {
                Duration::ZERO
            };
            return Some(Instant::now() + wait);
        }
        [&self.lingering, &self.handshakes, &self.first_bytes]
            .iter()
            .filter_map(|queue| queue.front().map(|&(t, _)| t))
            .chain(self.queues_quiet.deadline())
            .min()
    }

    /// Takes a connection in: registers it, and tells the engine of it
    /// at once if its transport is ready (plain TCP), else after its
    /// handshake.
    pub(crate) fn adopt(&mut self, accepted: Accepted) {
        let Accepted {
            stream,
            peer,
            transport,
            protocol,
            ticket,
        } = accepted;
        let plain = transport.is_plain();
        if let Err(e) = stream.set_nodelay(true) {
            debug!("set_nodelay for {peer}: {e}");
        }
        if let Err(e) = keepalive::apply(&stream, &self.net) {
            debug!("keepalive for {peer}: {e}");
        }
        let Some(id) = self
            .conns
            .insert(Conn::new(stream, peer, transport, ticket))
        else {
            warn!("no connection slot left for {peer}");
            return;
        };
        let token = self.token(id);
        let registered = match self.conns.get_mut(id) {
            Some(conn) => self
                .registry
                .register(&mut conn.stream, token, Interest::READABLE),
            None => return,
        };
        if let Err(e) = registered {
            warn!("cannot register a connection from {peer}: {e}");
            self.drop_conn(id);
            return;
        }
        debug!("{id} connected from {peer}");
        if plain {
            self.open(id, protocol);
        } else {
            let now = Instant::now();
            let timeout = Duration::from_millis(self.net.handshake_timeout_ms);
            self.handshakes.push_back((now + timeout, id));
            let first = Duration::from_millis(self.net.first_byte_timeout_ms);
            self.first_bytes.push_back((now + first, id));
        }
    }

    /// Tells the engine of a connection whose transport is ready, and
    /// which protocol it speaks.
    fn open(&mut self, id: ConnId, protocol: Protocol) {
        let Some(conn) = self.conns.get_mut(id) else {
            return;
        };
        if conn.opened {
            return;
        }
        conn.opened = true;
        conn.ticket.handshake_done();
        let peer = conn.peer.ip();
        debug!("{id} speaks {protocol:?}");
        self.inbox.opened(id, peer, protocol);
    }

    /// A readiness event for one of its connections.
    pub(crate) fn on_event(&mut self, event: &Event) {
        let Token(t) = event.token();
        // The token names a slot; its connection now is the one the event
        // is for (see `ConnTable`).
        let Some(conn) = t
            .checked_sub(FIRST_CONN)
            .and_then(|slot| self.conns.in_slot(slot))
        else {
            return;
        };
        let id = conn.id;
        if event.is_read_closed() || event.is_error() {
            conn.read_closed = true;
        }
        if event.is_readable() || event.is_read_closed() || event.is_error() {
            if self.paused {
                self.read_later(id);
            } else {
                self.read(id);
            }
        }
        if event.is_writable() {
            self.flush(id);
        }
    }

    fn read(&mut self, id: ConnId) {
        let budget = self.net.read_budget_bytes.max(1);
        let mut total = 0;
        loop {
            let Some(conn) = self.conns.get_mut(id) else {
                return;
            };
            let read_closed = conn.read_closed;
            match conn.stream.read(&mut self.read_buf) {
                Ok(0) => return self.gone(id, CloseCause::Lost),
                Ok(n) => {
                    conn.heard = true;
                    if conn.closing.is_some() {
                        // Closed by the engine: drain and discard until EOF.
                        continue;
                    }
                    if conn.transport.is_plain() {
                        self.inbox.received(id, &self.read_buf[..n]);
                    } else {
                        self.receive(id, n);
                    }
                    total += n;
                    // A short read took all the socket had: with
                    // edge-triggered polling, new bytes raise a new event,
                    // so the read that would only say EAGAIN is skipped.
                    // Not so once the peer closed: its end of file came in
                    // the same event and raises no new one.
                    if n < self.read_buf.len() && !read_closed {
                        return;
                    }
                    if total >= budget {
                        // Let the others have their turn; come back next turn.
                        return self.read_later(id);
                    }
                }
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => return,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => {
                    debug!("{id} read failed: {e}");
                    return self.gone(id, CloseCause::Lost);
                }
            }
        }
    }

    /// Lists a connection to be read next turn, even without an event.
    fn read_later(&mut self, id: ConnId) {
        if let Some(conn) = self.conns.get_mut(id) {
            if !conn.more_to_read {
                conn.more_to_read = true;
                self.more_reads.push(id);
            }
        }
    }

    /// Reads the connections that hit their read budget last turn (or
    /// waited while reads were paused).
    pub(crate) fn read_leftovers(&mut self) {
        if self.paused {
            return;
        }
        for id in std::mem::take(&mut self.more_reads) {
            if let Some(conn) = self.conns.get_mut(id) {
                conn.more_to_read = false;
                self.read(id);
            }
        }
    }

    /// Bytes from a TLS or WebSocket connection: through its transport,
    /// then to the engine.
    fn receive(&mut self, id: ConnId, n: usize) {
        let Some(conn) = self.conns.get_mut(id) else {
            return;
        };
        let mut lines = std::mem::take(&mut self.lines);
        lines.clear();
        let step = conn.transport.receive(&self.read_buf[..n], &mut lines);
        let wants_write = conn.transport.wants_write();
        if let Some(protocol) = step.opened {
            self.open(id, protocol);
        }
        if !lines.is_empty()
            && self
                .conns
                .get_mut(id)
                .is_some_and(|c| c.opened && c.closing.is_none())
        {
            self.inbox.received(id, &lines);
        }
        self.lines = lines;
        if step.ending {
            self.end(id);
        } else if wants_write {
            self.mark_dirty(id);
        }
    }

    /// The transport ends the connection (an HTTP answer, a WebSocket
    /// close, a TLS alert): write what it queued, then close.
    fn end(&mut self, id: ConnId) {
        let Some(c) = self.conns.get_mut(id) else {
            return;
        };
        if c.closing.is_some() {
            return;
        }
        let deadline = Instant::now() + LINGER;
        c.closing = Some(deadline);
        if c.opened {
            self.inbox.closed(id, CloseCause::Lost);
        }
        self.lingering.push_back((deadline, id));
        self.mark_dirty(id);
    }

    /// The engine closed a connection: it gets what is queued, then a FIN,
    /// and a bounded time to read it.
    pub(crate) fn close(&mut self, id: ConnId, reason: CloseReason) {
        let Some(c) = self.conns.get_mut(id) else {
            return;
        };
        match reason {
            CloseReason::Refused => warn!("{id} ({}) refused: over a connection limit", c.peer),
            CloseReason::RateLimited => warn!("{id} ({}) closed: over a rate limit", c.peer),
            _ => debug!("{id} closing: {reason:?}"),
        }
        let deadline = Instant::now() + LINGER;
        c.closing = Some(deadline);
        self.lingering.push_back((deadline, id));
        self.mark_dirty(id);
    }

    fn mark_dirty(&mut self, id: ConnId) {
        if let Some(c) = self.conns.get_mut(id) {
            if !c.dirty {
                c.dirty = true;
                self.dirty.push_back(id);
            }
        }
    }

    /// Queues a frame for a connection; the cap is enforced after the
    /// turn's write ([`write_dirty`](IoShard::write_dirty)). A frame for a
    /// connection that is gone is dropped.
    pub(crate) fn queue(&mut self, id: ConnId, frame: Frame) {
        let Some(c) = self.conns.get_mut(id) else {
            return;
        };
        c.out.push_pooled(frame, &mut self.queues);
        self.queues_used = true;
        if !c.dirty {
            c.dirty = true;
            self.dirty.push_back(id);
        }
    }

    /// The engine asks to hear (through the inbox) once what is queued
    /// for a connection now is written: at once if nothing is, else after
    /// the write that empties its queue.
    pub(crate) fn when_drained(&mut self, id: ConnId) {
        let Some(c) = self.conns.get_mut(id) else {
            return;
        };
        if c.closing.is_some() {
            return;
        }
        if !c.dirty && c.out.bytes() == 0 && !c.transport.wants_write() {
            self.inbox.drained(id);
        } else {
            c.drain_asked = true;
        }
    }

    /// Queues a released batch's shared frames for the recipients that are
    /// this shard's; the others are other shards' to serve.
    pub(crate) fn fan_out(&mut self, released: &Released) {
        let shard = self.conns.shard();
        for &conn in released.list.shared_list() {
            if shard.count > 1 && !shard.holds(conn) {
                continue;
            }
            if let Some(frame) = released.frame_for(conn) {
                self.queue(conn, frame.clone());
            }
        }
    }

    /// Drops a connection now; the engine hears of it through the inbox
    /// (unless it closed the connection itself or never heard of it).
    pub(crate) fn gone(&mut self, id: ConnId, cause: CloseCause) {
        let Some(conn) = self.conns.get_mut(id) else {
            return;
        };
        let engine_knows = conn.closing.is_some() || !conn.opened;
        self.drop_conn(id);
        if !engine_knows {
            self.inbox.closed(id, cause);
        }
    }

    fn drop_conn(&mut self, id: ConnId) {
        // What is still addressed to it (engine output on its way) finds
        // nothing: its id is never given to another connection.
        if let Some(mut conn) = self.conns.remove(id) {
            let _ = self.registry.deregister(&mut conn.stream);
            conn.out.discard(&mut self.queues);
            debug!("{id} closed ({})", conn.peer);
        }
    }

    /// Drops every connection (a stop's grace period is over).
    pub(crate) fn drop_all(&mut self) {
        let ids: Vec<ConnId> = self.conns.ids().collect();
        if !ids.is_empty() {
            debug!(
                "closing {} connections that did not finish in the grace period",
                ids.len()
            );
        }
        for id in ids {
            self.drop_conn(id);
        }
        self.conns.recycle();
    }

    /// Drops the connections that overstayed their linger or handshake, or
    /// sent nothing in their first moments.
    pub(crate) fn on_deadlines(&mut self, now: Instant) {
        if std::mem::take(&mut self.queues_used) {
            self.queues_quiet.busy(now);
        }
        if self.queues_quiet.on_deadline(now) {
            self.queues.shrink();
        }
        while let Some(id) = pop_due(&mut self.lingering, now) {
            if self
                .conns
                .get_mut(id)
                .is_some_and(|c| c.closing.is_some_and(|t| t <= now))
            {
                debug!("{id} did not take its last lines in time");
                self.drop_conn(id);
            }
        }
        let timeout = Duration::from_millis(self.net.handshake_timeout_ms);
        while let Some(id) = pop_due(&mut self.handshakes, now) {
            if self
                .conns
                .get_mut(id)
                .is_some_and(|c| !c.opened && c.accepted + timeout <= now)
            {
                debug!("{id} did not finish its handshake in time");
                self.drop_conn(id);
            }
        }
        while let Some(id) = pop_due(&mut self.first_bytes, now) {
            if self
                .conns
                .get_mut(id)
                .is_some_and(|c| !c.opened && !c.heard)
            {
                debug!("{id} sent nothing in time");
                self.drop_conn(id);
            }
        }
    }

    /// Writes to the connections with something queued, a turn's share
    /// of them (`net.write_turns`' fraction, at least
    /// `net.writes_per_turn`), oldest first, and drops those that
    /// leave more than their cap unsent (the engine hears of them through
    /// the inbox). The rest are written in the next turns: in between,
    /// the thread reads what came meanwhile, and a line for a connection
    /// still waiting for its write joins what is queued for it, one
    /// `writev` for both. Lines wait for that only while the thread is
    /// busy writing others, as they would anyway.
    pub(crate) fn write_dirty(&mut self) {
        let cap = self.net.max_outbound_bytes;
        let now = turn_share(
            self.dirty.len(),
            self.net.writes_per_turn,
            self.net.write_turns,
        );
        let mut turn = std::mem::take(&mut self.writing);
        turn.extend(self.dirty.drain(..now));
        for &id in &turn {
            if let Some(c) = self.conns.get_mut(id) {
                c.dirty = false;
            }
            self.flush(id);
            let Some(c) = self.conns.get_mut(id) else {
                continue;
            };
            let unsent = c.out.bytes() + c.transport.buffered();
            if unsent > cap && c.closing.is_none() {
                warn!(
                    "{id} ({}) is too slow: {unsent} bytes unsent, over the cap of {cap}",
                    c.peer,
                );
                self.gone(id, CloseCause::TooSlow);
            }
        }
        turn.clear();
        self.writing = turn;
    }

    /// Ends a turn: the slots emptied in it may be reused (under a new
    /// generation, so nothing addressed to the old connection reaches the
    /// new one).
    pub(crate) fn recycle(&mut self) {
        self.conns.recycle();
    }

    /// Writes what is queued; a closed connection whose queue is empty
    /// sends its FIN and waits (bounded) for the peer's.
    fn flush(&mut self, id: ConnId) {
        let token = self.token(id);
        let Some(conn) = self.conns.get_mut(id) else {
            return;
        };
        let closing = conn.closing.is_some();
        let result = conn
            .transport
            .flush(&mut conn.out, &mut conn.stream, closing);
        conn.out.release(&mut self.queues);
        let blocked = matches!(result, Ok(Flushed::Blocked));
        if blocked != conn.wants_writable {
            // Ask for writable events only while a write waits on the peer.
            let interest = if blocked {
                Interest::READABLE | Interest::WRITABLE
            } else {
                Interest::READABLE
            };
            if self
                .registry
                .reregister(&mut conn.stream, token, interest)
                .is_err()
            {
                return self.gone(id, CloseCause::Lost);
            }
            conn.wants_writable = blocked;
        }
        match result {
            Ok(Flushed::All) => {
                if std::mem::take(&mut conn.drain_asked) && conn.closing.is_none() {
                    self.inbox.drained(id);
                }
                if conn.closing.is_some() {
                    // Half-close so the peer reads everything before EOF;
                    // closing outright with unread input would send a RST.
                    if conn.stream.shutdown(Shutdown::Write).is_err() {
                        self.drop_conn(id);
                    }
                }
            }
            Ok(Flushed::Blocked) => {}
            Err(e) => {
                debug!("{id} write failed: {e}");
                self.gone(id, CloseCause::Lost);
            }
        }
    }
}

/// The connection of the oldest entry of `queue` if its deadline passed.
fn pop_due(queue: &mut VecDeque<(Instant, ConnId)>, now: Instant) -> Option<ConnId> {
    match queue.front() {
        Some(&(deadline, id)) if deadline <= now => {
            queue.pop_front();
            Some(id)
        }
        _ => None,
    }
}

/// How many of the `waiting` connections a turn writes: the
/// `write_turns`' fraction of them, at least `writes_per_turn`, at most
/// all. Each then waits about `write_turns` turns under load, gathering
/// the lines of those turns into one write, whether there are a hundred
/// or ten thousand.
fn turn_share(waiting: usize, writes_per_turn: usize, write_turns: usize) -> usize {
    let share = (waiting / write_turns.max(1)).max(writes_per_turn.max(1));
    waiting.min(share)
}

#[cfg(test)]
mod tests {
    use super::turn_share;

    #[test]
    fn a_turn_writes_a_fraction_of_those_waiting_and_at_least_the_minimum() {
        assert_eq!(turn_share(0, 16, 8), 0);
        assert_eq!(turn_share(10, 16, 8), 10);
        assert_eq!(turn_share(100, 16, 8), 16);
        assert_eq!(turn_share(1000, 16, 8), 125);
        assert_eq!(turn_share(10_000, 16, 8), 1250);
        // Zeros mean one a turn and all in one turn, never a stall.
        assert_eq!(turn_share(5, 0, 8), 1);
        assert_eq!(turn_share(5, 1, 0), 5);
    }
}
