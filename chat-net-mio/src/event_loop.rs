//! The event loop: one mio `Poll` owns the engine and every socket.
//!
//! Each turn: wait for I/O, a wake-up (password work done, store change
//! durable, a handle's request) or the engine's next deadline; feed the
//! engine; route its outputs (frames to per-connection queues, password work
//! to the workers, store changes to the persister), joining the turn's
//! consecutive room broadcasts into one shared frame; then one vectored
//! write per connection that has something queued.
//!
//! A connection is judged too slow by what it leaves unsent after that
//! write, not by what one turn queued for it. Connections dropped and
//! password jobs refused while routing are collected and fed to the engine
//! once per turn, at the end, in a loop that routes and writes until the
//! engine has nothing more to say ([`EventLoop::settle`]).

use std::collections::VecDeque;
use std::io::{self, Read};
use std::net::Shutdown;
use std::sync::mpsc::Receiver;
use std::time::{Duration, Instant};

use chat_core::codec::Protocol;
use chat_core::password::PasswordError;
use chat_core::{
    CloseCause, CloseReason, ConnId, Engine, Input, JobId, Output, PersistFailed, PersistId,
};
use log::{debug, info, warn};
use mio::event::Event;
use mio::net::TcpListener;
use mio::{Events, Interest, Poll, Token};

use crate::clock::Clock;
use crate::handle::{Request, Subscribers};
use crate::net::{keepalive, BroadcastBatch, Conn, ConnTable, Flushed};
use crate::store::{Committed, Persister};
use crate::workers::{Finished, Workers};
use crate::ServerConfig;

pub(crate) const LISTENER: Token = Token(0);
pub(crate) const WAKER: Token = Token(1);
pub(crate) const SIGNALS: Token = Token(2);
/// The IRC listener, when there is one.
pub(crate) const IRC_LISTENER: Token = Token(3);
const FIRST_CONN: usize = 4;

/// How long a closed connection may take to read its last lines.
const LINGER: Duration = Duration::from_secs(5);
/// How long to wait before accepting again after running out of files.
const ACCEPT_BACKOFF: Duration = Duration::from_millis(100);
/// The most room traffic joined into one frame (see `BroadcastBatch`).
const BATCH_MAX_BYTES: usize = 64 * 1024;

/// What outlives one run of the engine: the poll, the listener, the
/// handle's channel, subscribers. A restart keeps all of these.
pub(crate) struct Shared {
    pub(crate) poll: Poll,
    pub(crate) listener: TcpListener,
    /// The listener of IRC clients, if configured.
    pub(crate) irc_listener: Option<TcpListener>,
    pub(crate) requests: Receiver<Request>,
    pub(crate) signals: Option<signal_hook_mio::v1_0::Signals>,
    pub(crate) clock: Clock,
    pub(crate) config: ServerConfig,
    pub(crate) subscribers: Subscribers,
}

/// How a run ended.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Exit {
    Stopped,
    /// With what the next engine keeps (busy users).
    Restart(chat_core::CarryOver),
}

pub(crate) struct EventLoop<'a> {
    shared: &'a mut Shared,
    engine: Engine,
    conns: ConnTable,
    workers: &'a Workers,
    finished: &'a Receiver<Finished>,
    persister: &'a Persister,
    committed: &'a Receiver<Committed>,
    read_buf: Vec<u8>,
    dirty: Vec<usize>,
    batch: BroadcastBatch,
    lingering: VecDeque<(Instant, usize)>,
    more_reads: Vec<usize>,
    /// Connections dropped this turn that the engine has not heard of yet.
    closes: Vec<(ConnId, CloseCause)>,
    /// Password jobs the workers' queue refused this turn.
    refused: Vec<(JobId, std::net::IpAddr)>,
    accept_paused_until: Option<Instant>,
    stopping: Option<(Exit, Instant)>,
}

impl<'a> EventLoop<'a> {
    pub(crate) fn new(
        shared: &'a mut Shared,
        engine: Engine,
        workers: &'a Workers,
        finished: &'a Receiver<Finished>,
        persister: &'a Persister,
        committed: &'a Receiver<Committed>,
    ) -> Self {
        EventLoop {
            shared,
            engine,
            conns: ConnTable::default(),
            workers,
            finished,
            persister,
            committed,
            read_buf: vec![0; 64 * 1024],
            dirty: Vec::new(),
            batch: BroadcastBatch::new(BATCH_MAX_BYTES),
            lingering: VecDeque::new(),
            more_reads: Vec::new(),
            closes: Vec::new(),
            refused: Vec::new(),
            accept_paused_until: None,
            stopping: None,
        }
    }

    /// Runs until the engine stops and every connection is closed (or the
    /// shutdown grace period ends).
    pub(crate) fn run(mut self) -> io::Result<Exit> {
        if !self.shared.subscribers.is_empty() {
            self.engine.set_emit_events(true);
        }
        let mut events = Events::with_capacity(1024);
        loop {
            let timeout = self.poll_timeout();
            if let Err(e) = self.shared.poll.poll(&mut events, timeout) {
                if e.kind() == io::ErrorKind::Interrupted {
                    continue;
                }
                return Err(e);
            }
            for event in events.iter() {
                self.on_event(event);
            }
            self.on_wakeups();
            self.read_leftovers();
            self.on_deadlines();
            self.settle();
            if let Some((_, deadline)) = &self.stopping {
                if self.conns.len() == 0 || Instant::now() >= *deadline {
                    break;
                }
            }
        }
        let leftover = self.conns.len();
        if leftover > 0 {
            debug!("closing {leftover} connections that did not finish in the grace period");
        }
        for id in self.conns.ids().collect::<Vec<_>>() {
            self.drop_conn(id);
        }
        Ok(self.stopping.map_or(Exit::Stopped, |(exit, _)| exit))
    }

    fn now(&self) -> chat_core::Millis {
        self.shared.clock.now()
    }

    fn poll_timeout(&self) -> Option<Duration> {
        if !self.more_reads.is_empty() {
            return Some(Duration::ZERO);
        }
        let now = Instant::now();
        let mut next: Option<Instant> = None;
        let mut consider = |t: Instant| next = Some(next.map_or(t, |n| n.min(t)));
        if let Some(at) = self.engine.poll_timeout() {
            consider(self.shared.clock.instant_of(at));
        }
        if let Some((t, _)) = self.lingering.front() {
            consider(*t);
        }
        if let Some(t) = self.accept_paused_until {
            consider(t);
        }
        if let Some((_, t)) = &self.stopping {
            consider(*t);
        }
        // Round up so a deadline is never met a millisecond early.
        next.map(|t| t.saturating_duration_since(now) + Duration::from_millis(1))
    }

    fn on_event(&mut self, event: &Event) {
        match event.token() {
            LISTENER => self.accept_on(Protocol::Chat1),
            IRC_LISTENER => self.accept_on(Protocol::Irc),
            WAKER => {} // the channels are drained every turn
            SIGNALS => self.on_signals(),
            Token(t) => {
                let id = t - FIRST_CONN;
                if event.is_read_closed() || event.is_error() {
                    if let Some(conn) = self.conns.get_mut(id) {
                        conn.read_closed = true;
                    }
                }
                if event.is_readable() || event.is_read_closed() || event.is_error() {
                    self.read(id);
                }
                if event.is_writable() {
                    self.flush(id);
                }
            }
        }
    }

    fn on_signals(&mut self) {
        let Some(signals) = self.shared.signals.as_mut() else {
            return;
        };
        let mut stop = false;
        for sig in signals.pending() {
            info!("signal {sig}: shutting down");
            stop = true;
        }
        if stop {
            self.handle(Input::Shutdown);
        }
    }

    /// Feeds the engine one input and routes what it says.
    fn handle(&mut self, input: Input<'_>) {
        let now = self.now();
        self.engine.handle(now, input);
        self.drain_outputs();
    }

    /// Accepts on every listener (after an accept pause).
    fn accept_all(&mut self) {
        self.accept_on(Protocol::Chat1);
        if self.shared.irc_listener.is_some() {
            self.accept_on(Protocol::Irc);
        }
    }

    /// Accepts what waits on the listener of `protocol`.
    fn accept_on(&mut self, protocol: Protocol) {
        if self.stopping.is_some() {
            return;
        }
        if let Some(t) = self.accept_paused_until {
            if Instant::now() < t {
                return;
            }
            self.accept_paused_until = None;
        }
        loop {
            let listener = match protocol {
                Protocol::Irc => self.shared.irc_listener.as_ref(),
                _ => Some(&self.shared.listener),
            };
            let Some(listener) = listener else {
                return;
            };
            match listener.accept() {
                Ok((stream, peer)) => {
                    if let Err(e) = stream.set_nodelay(true) {
                        debug!("set_nodelay for {peer}: {e}");
                    }
                    if let Err(e) = keepalive::apply(&stream, &self.shared.config.net) {
                        debug!("keepalive for {peer}: {e}");
                    }
                    let id = self.conns.insert(Conn::new(stream, peer));
                    let registered = match self.conns.get_mut(id) {
                        Some(conn) => self.shared.poll.registry().register(
                            &mut conn.stream,
                            Token(id + FIRST_CONN),
                            Interest::READABLE,
                        ),
                        None => continue,
                    };
                    if let Err(e) = registered {
                        warn!("cannot register a connection from {peer}: {e}");
                        self.conns.remove(id);
                        continue;
                    }
                    debug!("c{id} connected from {peer}");
                    self.handle(Input::Opened {
                        conn: ConnId(id as u64),
                        peer: peer.ip(),
                        protocol,
                    });
                }
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => return,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) if e.kind() == io::ErrorKind::ConnectionAborted => {}
                Err(e) => {
                    // Out of file descriptors, most likely: try again soon
                    // rather than spin on an edge that will not fire again.
                    warn!("accept failed: {e}; pausing accepts briefly");
                    self.accept_paused_until = Some(Instant::now() + ACCEPT_BACKOFF);
                    return;
                }
            }
        }
    }

    fn read(&mut self, id: usize) {
        let budget = self.shared.config.net.read_budget_bytes.max(1);
        let mut total = 0;
        loop {
            let Some(conn) = self.conns.get_mut(id) else {
                return;
            };
            let read_closed = conn.read_closed;
            match conn.stream.read(&mut self.read_buf) {
                Ok(0) => {
                    return self.lost(id);
                }
                Ok(n) => {
                    if conn.closing.is_some() {
                        // Closed by the engine: drain and discard until EOF.
                        continue;
                    }
                    let now = self.shared.clock.now();
                    self.engine.handle(
                        now,
                        Input::Received {
                            conn: ConnId(id as u64),
                            bytes: &self.read_buf[..n],
                        },
                    );
                    self.drain_outputs();
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
                        if let Some(conn) = self.conns.get_mut(id) {
                            if !conn.more_to_read {
                                conn.more_to_read = true;
                                self.more_reads.push(id);
                            }
                        }
                        return;
                    }
                }
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => return,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => {
                    debug!("c{id} read failed: {e}");
                    return self.lost(id);
                }
            }
        }
    }

    fn read_leftovers(&mut self) {
        for id in std::mem::take(&mut self.more_reads) {
            if let Some(conn) = self.conns.get_mut(id) {
                conn.more_to_read = false;
                self.read(id);
            }
        }
    }

    /// The peer went away (or its socket failed).
    fn lost(&mut self, id: usize) {
        self.gone(id, CloseCause::Lost);
    }

    /// Drops a connection now; the engine hears of it at the end of the
    /// turn (unless it closed the connection itself).
    fn gone(&mut self, id: usize, cause: CloseCause) {
        let Some(conn) = self.conns.get_mut(id) else {
            return;
        };
        let engine_knows = conn.closing.is_some();
        self.drop_conn(id);
        if !engine_knows {
            self.closes.push((ConnId(id as u64), cause));
        }
    }

    fn drop_conn(&mut self, id: usize) {
        // The pending batch may list this connection; fan it out while the
        // slot is still this connection's, so a newcomer who gets the slot
        // later in the turn never receives it.
        self.release_batch();
        if let Some(mut conn) = self.conns.remove(id) {
            let _ = self.shared.poll.registry().deregister(&mut conn.stream);
            debug!("c{id} closed ({})", conn.peer);
        }
    }

    fn on_wakeups(&mut self) {
        while let Ok(request) = self.shared.requests.try_recv() {
            match request {
                Request::Shutdown => {
                    info!("shutdown requested");
                    self.handle(Input::Shutdown);
                }
                Request::Announce(text) => self.handle(Input::Announce { text: &text }),
                Request::Subscribe(tx) => {
                    self.shared.subscribers.add(tx);
                    self.engine.set_emit_events(true);
                }
            }
        }
        while let Ok((job, answer)) = self.finished.try_recv() {
            self.handle(Input::PasswordDone { job, answer });
        }
        while let Ok(Committed { id, result }) = self.committed.try_recv() {
            // The detail names files on the server's disk: the log gets
            // it, the client a generic text.
            let result = result.map_err(|e| {
                warn!("store change {id} failed: {e}");
                PersistFailed("the change could not be saved".into())
            });
            self.handle(Input::Persisted {
                id: PersistId(id),
                result,
            });
        }
    }

    fn on_deadlines(&mut self) {
        let now = Instant::now();
        if self
            .engine
            .poll_timeout()
            .is_some_and(|at| self.shared.clock.instant_of(at) <= now)
        {
            self.handle(Input::Timeout);
        }
        while let Some(&(deadline, id)) = self.lingering.front() {
            if deadline > now {
                break;
            }
            self.lingering.pop_front();
            if self
                .conns
                .get_mut(id)
                .is_some_and(|c| c.closing.is_some_and(|t| t <= now))
            {
                debug!("c{id} did not take its last lines in time");
                self.drop_conn(id);
            }
        }
        if self.accept_paused_until.is_some_and(|t| t <= now) {
            self.accept_all();
        }
    }

    /// Routes the engine's outputs until it has nothing more to say.
    /// Broadcasts wait in the batch; whatever else goes to a connection
    /// releases the batch first, so each connection's lines keep their order.
    fn drain_outputs(&mut self) {
        while let Some(output) = self.engine.poll_output() {
            if !matches!(
                output,
                Output::Broadcast { .. }
                    | Output::Password(_)
                    | Output::Persist(_)
                    | Output::Event(_)
            ) {
                self.release_batch();
            }
            match output {
                Output::Send { conn, frame } => self.queue(conn, frame),
                Output::Broadcast { to, frame } => self.broadcast(to, frame),
                Output::Close { conn, reason } => {
                    let id = conn.0 as usize;
                    if let Some(c) = self.conns.get_mut(id) {
                        match reason {
                            CloseReason::Refused => {
                                warn!("c{id} ({}) refused: over a connection limit", c.peer);
                            }
                            CloseReason::RateLimited => {
                                warn!("c{id} ({}) closed: over a rate limit", c.peer);
                            }
                            _ => debug!("c{id} closing: {reason:?}"),
                        }
                        let deadline = Instant::now() + LINGER;
                        c.closing = Some(deadline);
                        self.lingering.push_back((deadline, id));
                        if !c.dirty {
                            c.dirty = true;
                            self.dirty.push(id);
                        }
                    }
                }
                Output::Password(job) => {
                    if let Err(job) = self.workers.submit(job) {
                        self.refused.push((job.id, job.peer));
                    }
                }
                Output::Persist(req) => self.persister.submit(req.id.0, req.change),
                Output::Event(event) => self.shared.subscribers.send(&event),
                Output::Stop { restart } => {
                    let grace = Duration::from_millis(self.shared.config.net.shutdown_grace_ms);
                    let exit = if restart {
                        Exit::Restart(self.engine.carry_over())
                    } else {
                        Exit::Stopped
                    };
                    info!("{}", if restart { "restarting" } else { "stopping" });
                    let _ = self
                        .shared
                        .poll
                        .registry()
                        .deregister(&mut self.shared.listener);
                    if let Some(irc) = self.shared.irc_listener.as_mut() {
                        let _ = self.shared.poll.registry().deregister(irc);
                    }
                    self.stopping = Some((exit, Instant::now() + grace));
                }
                _ => {}
            }
        }
    }

    /// Joins a broadcast to the pending batch, or fans that batch out and
    /// starts a new one.
    fn broadcast(&mut self, to: chat_core::Recipients, frame: chat_core::Frame) {
        if !self.batch.join(&to, &frame) {
            self.release_batch();
            self.batch.start(to, frame);
        }
    }

    /// Fans the pending broadcasts out to their recipients' queues.
    fn release_batch(&mut self) {
        if let Some((to, frame)) = self.batch.take() {
            self.fan_out(&to, &frame);
        }
    }

    fn fan_out(&mut self, to: &chat_core::Recipients, frame: &chat_core::Frame) {
        for &conn in to.as_slice() {
            self.queue(conn, frame.clone());
        }
    }

    /// Queues a frame for a connection; the cap is enforced after the
    /// turn's write ([`settle`](EventLoop::settle)).
    fn queue(&mut self, conn: ConnId, frame: chat_core::Frame) {
        let id = conn.0 as usize;
        let Some(c) = self.conns.get_mut(id) else {
            return;
        };
        c.out.push(frame);
        if !c.dirty {
            c.dirty = true;
            self.dirty.push(id);
        }
    }

    /// Ends a turn: tells the engine of the connections dropped and the
    /// password jobs refused while routing, fans out the batch, writes to
    /// every connection with something queued, and drops those that leave
    /// more than their cap unsent; again until nothing is left, so what the
    /// engine says about a drop (a LEAVE) goes out in the same turn.
    fn settle(&mut self) {
        loop {
            for (conn, cause) in std::mem::take(&mut self.closes) {
                self.handle(Input::Closed { conn, cause });
            }
            let refused = std::mem::take(&mut self.refused);
            if let Some((_, peer)) = refused.first() {
                warn!(
                    "password work queue full: refused {} job(s), the first from {peer}",
                    refused.len()
                );
            }
            for (job, _) in refused {
                self.handle(Input::PasswordDone {
                    job,
                    answer: Err(PasswordError::Busy),
                });
            }
            self.release_batch();
            if self.dirty.is_empty() {
                if self.closes.is_empty() && self.refused.is_empty() {
                    break;
                }
                continue;
            }
            let cap = self.shared.config.net.max_outbound_bytes;
            for id in std::mem::take(&mut self.dirty) {
                if let Some(c) = self.conns.get_mut(id) {
                    c.dirty = false;
                }
                self.flush(id);
                let Some(c) = self.conns.get_mut(id) else {
                    continue;
                };
                if c.out.bytes() > cap && c.closing.is_none() {
                    warn!(
                        "c{id} ({}) is too slow: {} bytes unsent, over the cap of {cap}",
                        c.peer,
                        c.out.bytes()
                    );
                    self.gone(id, CloseCause::TooSlow);
                }
            }
        }
        // The engine knows of every drop now: their slots may be reused.
        self.conns.recycle();
    }

    /// Writes what is queued; a closed connection whose queue is empty
    /// sends its FIN and waits (bounded) for the peer's.
    fn flush(&mut self, id: usize) {
        let Some(conn) = self.conns.get_mut(id) else {
            return;
        };
        let result = conn.out.flush(&mut conn.stream);
        let blocked = matches!(result, Ok(Flushed::Blocked));
        if blocked != conn.wants_writable {
            // Ask for writable events only while a write waits on the peer.
            let interest = if blocked {
                Interest::READABLE | Interest::WRITABLE
            } else {
                Interest::READABLE
            };
            let token = Token(id + FIRST_CONN);
            if self
                .shared
                .poll
                .registry()
                .reregister(&mut conn.stream, token, interest)
                .is_err()
            {
                return self.lost(id);
            }
            conn.wants_writable = blocked;
        }
        match result {
            Ok(Flushed::All) => {
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
                debug!("c{id} write failed: {e}");
                self.lost(id);
            }
        }
    }
}
