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
use crate::listener::{self, Listener};
use crate::net::{keepalive, slot_of, BroadcastBatch, Conn, ConnTable, Flushed, Released};
use crate::store::{Committed, Persister};
use crate::transport::tls::TlsAcceptor;
use crate::transport::Transport;
use crate::workers::{Finished, Workers};
use crate::{Protocol, ServerConfig};

pub(crate) const LISTENER: Token = Token(0);
pub(crate) const WAKER: Token = Token(1);
pub(crate) const SIGNALS: Token = Token(2);
const FIRST_CONN: usize = 3;

/// The poll token of a connection: its slot, past the fixed tokens.
fn token(id: ConnId) -> Token {
    Token(slot_of(id) + FIRST_CONN)
}

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
    /// TLS and WebSocket listeners (and more TCP ones).
    pub(crate) listeners: Vec<Listener>,
    /// The certificate for TLS listeners, reloaded on SIGHUP.
    pub(crate) tls: Option<TlsAcceptor>,
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
    dirty: Vec<ConnId>,
    batch: BroadcastBatch,
    lingering: VecDeque<(Instant, ConnId)>,
    more_reads: Vec<ConnId>,
    /// Connections dropped this turn that the engine has not heard of yet.
    closes: Vec<(ConnId, CloseCause)>,
    /// Password jobs the workers' queue refused this turn.
    refused: Vec<(JobId, std::net::IpAddr)>,
    accept_paused_until: Option<Instant>,
    stopping: Option<(Exit, Instant)>,
    /// Connections whose transport is not ready yet, oldest first, for the
    /// handshake timeout.
    handshakes: VecDeque<(Instant, ConnId)>,
    /// How many connections are in a handshake now.
    handshaking: usize,
    /// Protocol lines a transport decoded, reused between reads.
    lines: Vec<u8>,
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
            handshakes: VecDeque::new(),
            handshaking: 0,
            lines: Vec::new(),
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
        if let Some((t, _)) = self.handshakes.front() {
            consider(*t);
        }
        if let Some((_, t)) = &self.stopping {
            consider(*t);
        }
        // Round up so a deadline is never met a millisecond early.
        next.map(|t| t.saturating_duration_since(now) + Duration::from_millis(1))
    }

    fn on_event(&mut self, event: &Event) {
        match event.token() {
            LISTENER => self.accept_all(None),
            WAKER => {} // the channels are drained every turn
            SIGNALS => self.on_signals(),
            token if listener::index(token, self.shared.listeners.len()).is_some() => {
                self.accept_all(listener::index(token, self.shared.listeners.len()));
            }
            Token(t) => {
                // The token names a slot; its connection now is the one
                // the event is for (see `ConnTable`).
                let Some(conn) = self.conns.in_slot(t - FIRST_CONN) else {
                    return;
                };
                let id = conn.id;
                if event.is_read_closed() || event.is_error() {
                    conn.read_closed = true;
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
        let mut reload = false;
        for sig in signals.pending() {
            if sig == signal_hook::consts::SIGHUP {
                reload = true;
            } else {
                info!("signal {sig}: shutting down");
                stop = true;
            }
        }
        if reload {
            self.reload_tls();
        }
        if stop {
            self.handle(Input::Shutdown);
        }
    }

    /// Reads the certificate files again: new TLS connections get the new
    /// certificate, open ones keep theirs; on error the old one stays.
    fn reload_tls(&mut self) {
        match self.shared.tls.as_mut() {
            None => info!("SIGHUP: no TLS certificate to reload"),
            Some(tls) => match tls.reload() {
                Ok(()) => info!("TLS certificate reloaded"),
                Err(e) => warn!("TLS certificate not reloaded, keeping the old one: {e}"),
            },
        }
    }

    /// Feeds the engine one input and routes what it says.
    fn handle(&mut self, input: Input<'_>) {
        let now = self.now();
        self.engine.handle(now, input);
        self.drain_outputs();
    }

    /// Accepts on the builder's listener (`None`) or on listener `which`.
    fn accept_all(&mut self, which: Option<usize>) {
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
            let accepted = match which {
                None => self.shared.listener.accept(),
                Some(i) => self.shared.listeners[i].socket.accept(),
            };
            match accepted {
                Ok((stream, peer)) => {
                    let transport = match which {
                        None => Some(Transport::plain()),
                        Some(i) => self.shared.listeners[i]
                            .transport(self.shared.tls.as_ref(), &self.shared.config),
                    };
                    let Some(transport) = transport else {
                        continue;
                    };
                    let plain = transport.is_plain();
                    // A plain listener's lines are its protocol's from the
                    // first byte.
                    let protocol = which.map_or(Protocol::Chat1, |i| {
                        self.shared.listeners[i].config.protocol
                    });
                    if !plain && self.handshaking >= self.shared.config.net.max_handshakes {
                        warn!("{peer} refused: too many handshakes in progress");
                        continue;
                    }
                    if let Err(e) = stream.set_nodelay(true) {
                        debug!("set_nodelay for {peer}: {e}");
                    }
                    if let Err(e) = keepalive::apply(&stream, &self.shared.config.net) {
                        debug!("keepalive for {peer}: {e}");
                    }
                    let Some(id) = self.conns.insert(Conn::new(stream, peer, transport)) else {
                        warn!("no connection slot left for {peer}");
                        continue;
                    };
                    let registered = match self.conns.get_mut(id) {
                        Some(conn) => self.shared.poll.registry().register(
                            &mut conn.stream,
                            token(id),
                            Interest::READABLE,
                        ),
                        None => continue,
                    };
                    if let Err(e) = registered {
                        warn!("cannot register a connection from {peer}: {e}");
                        self.conns.remove(id);
                        continue;
                    }
                    debug!("{id} connected from {peer}");
                    if plain {
                        self.open(id, protocol);
                    } else {
                        self.handshaking += 1;
                        let timeout =
                            Duration::from_millis(self.shared.config.net.handshake_timeout_ms);
                        self.handshakes.push_back((Instant::now() + timeout, id));
                    }
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
        if !conn.transport.is_plain() {
            self.handshaking -= 1;
        }
        let peer = conn.peer;
        debug!("{id} speaks {protocol:?}");
        self.handle(Input::Opened {
            conn: id,
            peer: peer.ip(),
            protocol: match protocol {
                Protocol::Chat1 => chat_core::codec::Protocol::Chat1,
                Protocol::Irc => chat_core::codec::Protocol::Irc,
            },
        });
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
        // Not for a connection the engine closed meanwhile (refused at open).
        if !lines.is_empty()
            && self
                .conns
                .get_mut(id)
                .is_some_and(|c| c.opened && c.closing.is_none())
        {
            let now = self.shared.clock.now();
            self.engine.handle(
                now,
                Input::Received {
                    conn: id,
                    bytes: &lines,
                },
            );
            self.drain_outputs();
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
            self.closes.push((id, CloseCause::Lost));
        }
        self.lingering.push_back((deadline, id));
        self.mark_dirty(id);
    }

    fn mark_dirty(&mut self, id: ConnId) {
        if let Some(c) = self.conns.get_mut(id) {
            if !c.dirty {
                c.dirty = true;
                self.dirty.push(id);
            }
        }
    }

    fn read(&mut self, id: ConnId) {
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
                    if conn.transport.is_plain() {
                        let now = self.shared.clock.now();
                        self.engine.handle(
                            now,
                            Input::Received {
                                conn: id,
                                bytes: &self.read_buf[..n],
                            },
                        );
                        self.drain_outputs();
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
                    debug!("{id} read failed: {e}");
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
    fn lost(&mut self, id: ConnId) {
        self.gone(id, CloseCause::Lost);
    }

    /// Drops a connection now; the engine hears of it at the end of the
    /// turn (unless it closed the connection itself).
    fn gone(&mut self, id: ConnId, cause: CloseCause) {
        let Some(conn) = self.conns.get_mut(id) else {
            return;
        };
        let engine_knows = conn.closing.is_some() || !conn.opened;
        self.drop_conn(id);
        if !engine_knows {
            self.closes.push((id, cause));
        }
    }

    fn drop_conn(&mut self, id: ConnId) {
        // What is still addressed to it (the pending batch, engine output)
        // finds nothing: its id is never given to another connection.
        if let Some(mut conn) = self.conns.remove(id) {
            if !conn.opened && !conn.transport.is_plain() {
                self.handshaking -= 1;
            }
            let _ = self.shared.poll.registry().deregister(&mut conn.stream);
            debug!("{id} closed ({})", conn.peer);
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
                Request::ReloadTls => self.reload_tls(),
                Request::Backup(out, reply) => self.persister.backup(out, reply),
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
                debug!("{id} did not take its last lines in time");
                self.drop_conn(id);
            }
        }
        while let Some(&(deadline, id)) = self.handshakes.front() {
            if deadline > now {
                break;
            }
            self.handshakes.pop_front();
            let timeout = Duration::from_millis(self.shared.config.net.handshake_timeout_ms);
            if self
                .conns
                .get_mut(id)
                .is_some_and(|c| !c.opened && c.accepted + timeout <= now)
            {
                debug!("{id} did not finish its handshake in time");
                self.drop_conn(id);
            }
        }
        if self.accept_paused_until.is_some_and(|t| t <= now) {
            self.accept_all(None);
            for i in 0..self.shared.listeners.len() {
                self.accept_all(Some(i));
            }
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
                Output::Close { conn: id, reason } => {
                    if let Some(c) = self.conns.get_mut(id) {
                        match reason {
                            CloseReason::Refused => {
                                warn!("{id} ({}) refused: over a connection limit", c.peer);
                            }
                            CloseReason::RateLimited => {
                                warn!("{id} ({}) closed: over a rate limit", c.peer);
                            }
                            _ => debug!("{id} closing: {reason:?}"),
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
                    for l in &mut self.shared.listeners {
                        let _ = self.shared.poll.registry().deregister(&mut l.socket);
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
        if let Some(released) = self.batch.take() {
            self.fan_out(&released);
        }
    }

    fn fan_out(&mut self, released: &Released) {
        for &conn in released.list.shared_list() {
            if let Some(frame) = released.frame_for(conn) {
                self.queue(conn, frame.clone());
            }
        }
    }

    /// Queues a frame for a connection; the cap is enforced after the
    /// turn's write ([`settle`](EventLoop::settle)). A frame for a
    /// connection that is gone is dropped.
    fn queue(&mut self, id: ConnId, frame: chat_core::Frame) {
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
                let unsent = c.out.bytes() + c.transport.buffered();
                if unsent > cap && c.closing.is_none() {
                    warn!(
                        "{id} ({}) is too slow: {unsent} bytes unsent, over the cap of {cap}",
                        c.peer,
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
    fn flush(&mut self, id: ConnId) {
        let Some(conn) = self.conns.get_mut(id) else {
            return;
        };
        let closing = conn.closing.is_some();
        let result = conn
            .transport
            .flush(&mut conn.out, &mut conn.stream, closing);
        let blocked = matches!(result, Ok(Flushed::Blocked));
        if blocked != conn.wants_writable {
            // Ask for writable events only while a write waits on the peer.
            let interest = if blocked {
                Interest::READABLE | Interest::WRITABLE
            } else {
                Interest::READABLE
            };
            if self
                .shared
                .poll
                .registry()
                .reregister(&mut conn.stream, token(id), interest)
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
                debug!("{id} write failed: {e}");
                self.lost(id);
            }
        }
    }
}
