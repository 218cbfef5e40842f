//! The engine's loop: one mio `Poll` owns the engine, the listeners and
//! the first I/O shard's sockets; the other shards
//! ([`Remotes`](crate::net::remote::Remotes)) run on their own threads.
//!
//! Each turn: wait for I/O, a wake-up (password work done, store change
//! durable, a handle's request, a shard's report) or the engine's next
//! deadline; feed the engine what the sockets said; route its outputs
//! (frames to the connections' shards, password work to the workers,
//! store changes to the persister), joining the turn's consecutive room
//! broadcasts into one shared frame; then one vectored write per own
//! connection that has something queued, and one message per other shard.
//!
//! Connections dropped while writing are fed to the engine at the end of
//! the turn, in a loop that routes and writes until the engine has nothing
//! more to say ([`EventLoop::settle`]).

use std::io;
use std::sync::mpsc::Receiver;
use std::time::{Duration, Instant};

use chat_core::password::PasswordError;
use chat_core::{ConnId, Engine, Input, JobId, Output, PersistFailed, PersistId};
use log::{info, warn};
use mio::event::Event;
use mio::net::TcpListener;
use mio::{Events, Poll, Token};

use crate::clock::Clock;
use crate::handle::{Request, Subscribers};
use crate::listener::{self, Listener};
use crate::net::admission::Admission;
use crate::net::inbox::Inbox;
use crate::net::refusal::{refuse_at_accept, RefusalLog};
use crate::net::remote::{Command, Remotes, Report};
use crate::net::shard::{Accepted, IoShard};
use crate::net::{BroadcastBatch, Shard};
use crate::store::{Committed, Persister};
use crate::transport::tls::TlsAcceptor;
use crate::transport::Transport;
use crate::trim::Trimmer;
use crate::workers::{Finished, Workers};
use crate::{Protocol, ServerConfig, TransportKind};

/// What outlives one run of the engine: the poll, the listeners, the
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

pub(crate) const LISTENER: Token = Token(0);
pub(crate) const WAKER: Token = Token(1);
pub(crate) const SIGNALS: Token = Token(2);

/// How long to wait before accepting again after running out of files.
const ACCEPT_BACKOFF: Duration = Duration::from_millis(100);
/// The most room traffic joined into one frame (see `BroadcastBatch`).
const BATCH_MAX_BYTES: usize = 64 * 1024;

/// How a run ended.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Exit {
    Stopped,
    /// With what the next engine keeps (busy users).
    Restart(chat_core::CarryOver),
}

/// Where the engine's helpers are: password workers and the persister,
/// with the channels their answers come back on.
pub(crate) struct Helpers<'a> {
    pub(crate) workers: &'a Workers,
    pub(crate) finished: &'a Receiver<Finished>,
    pub(crate) persister: &'a mut Persister,
    pub(crate) committed: &'a Receiver<Committed>,
    /// A node's link to its cluster: store changes go to its buckets, and
    /// what the broker says comes back as inputs.
    #[cfg(feature = "cluster")]
    pub(crate) node: Option<&'a mut crate::cluster::Node>,
}

pub(crate) struct EventLoop<'a> {
    shared: &'a mut Shared,
    engine: Engine,
    helpers: Helpers<'a>,
    /// Shard 0: the sockets this thread serves itself.
    io: IoShard,
    /// The other shards.
    remotes: Remotes,
    /// Connections and handshakes counted from accept.
    admission: Admission,
    /// Refusals at accept, for the log.
    refusals: RefusalLog,
    /// The shard the next accepted connection goes to (round robin).
    next_shard: usize,
    /// The first shard that takes connections: 0, or 1 when the engine's
    /// thread serves no sockets.
    first_shard: usize,
    batch: BroadcastBatch,
    /// Password jobs the workers' queue refused this turn.
    refused: Vec<(JobId, std::net::IpAddr)>,
    accept_paused_until: Option<Instant>,
    stopping: Option<(Exit, Instant)>,
    trimmer: Trimmer,
    /// Answers of the cluster link not yet fed to the engine.
    #[cfg(feature = "cluster")]
    cluster_fed: Vec<crate::cluster::Fed>,
}

impl<'a> EventLoop<'a> {
    pub(crate) fn new(
        shared: &'a mut Shared,
        engine: Engine,
        helpers: Helpers<'a>,
        remotes: Remotes,
        admission: Admission,
        engine_serves_sockets: bool,
    ) -> io::Result<Self> {
        // With no other shard, the engine's thread serves them all.
        let first_shard = usize::from(!engine_serves_sockets && remotes.count() > 1);
        let registry = shared.poll.registry().try_clone()?;
        let shard = Shard::new(0, remotes.count());
        let io = IoShard::new(registry, shard, shared.config.net.clone());
        Ok(EventLoop {
            shared,
            engine,
            helpers,
            io,
            remotes,
            admission,
            refusals: RefusalLog::default(),
            next_shard: first_shard,
            first_shard,
            batch: BroadcastBatch::new(BATCH_MAX_BYTES),
            refused: Vec::new(),
            accept_paused_until: None,
            stopping: None,
            trimmer: Trimmer::default(),
            #[cfg(feature = "cluster")]
            cluster_fed: Vec::new(),
        })
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
            if !events.is_empty() {
                self.trimmer.busy(Instant::now());
            }
            for event in events.iter() {
                self.on_event(event);
            }
            self.on_wakeups();
            self.io.read_leftovers();
            self.on_deadlines();
            self.settle();
            if let Some((_, deadline)) = &self.stopping {
                let done = self.io.len() == 0 && self.remotes.running == 0;
                if done || Instant::now() >= *deadline {
                    break;
                }
            }
        }
        self.io.drop_all();
        Ok(self.stopping.map_or(Exit::Stopped, |(exit, _)| exit))
    }

    fn poll_timeout(&self) -> Option<Duration> {
        // Writes left for the next turn: look for input, never wait.
        if self.io.has_dirty() {
            return Some(Duration::ZERO);
        }
        let now = Instant::now();
        let mut next: Option<Instant> = self.io.next_deadline();
        let mut consider = |t: Instant| next = Some(next.map_or(t, |n| n.min(t)));
        if let Some(at) = self.engine.poll_timeout() {
            consider(self.shared.clock.instant_of(at));
        }
        if let Some(t) = self.accept_paused_until {
            consider(t);
        }
        if let Some(t) = self.trimmer.deadline() {
            consider(t);
        }
        if let Some(t) = self.helpers.persister.deadline() {
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
            LISTENER => self.accept_all(None),
            WAKER => {} // the channels are drained every turn
            SIGNALS => self.on_signals(),
            token if listener::index(token, self.shared.listeners.len()).is_some() => {
                self.accept_all(listener::index(token, self.shared.listeners.len()));
            }
            _ => self.io.on_event(event),
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
        let now = self.shared.clock.now();
        self.engine.handle(now, input);
        self.drain_outputs();
    }

    /// Feeds the engine what shard 0's sockets said this turn.
    fn feed_own_inbox(&mut self) {
        if self.io.inbox.is_empty() {
            return;
        }
        let mut inbox = std::mem::take(&mut self.io.inbox);
        self.feed(&inbox);
        if self.io.inbox.is_empty() {
            // Keep its buffers for the next turn.
            inbox.clear();
            self.io.inbox = inbox;
        }
    }

    fn feed(&mut self, inbox: &Inbox) {
        for input in inbox.inputs() {
            self.handle(input);
        }
    }

    /// Accepts on the builder's listener (`None`) or on listener `which`,
    /// and hands each connection to a shard, round robin.
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
                    // A plain listener's lines are its protocol's from the
                    // first byte.
                    let (protocol, kind) =
                        which.map_or((Protocol::Chat1, TransportKind::Tcp), |i| {
                            let c = &self.shared.listeners[i].config;
                            (c.protocol, c.transport)
                        });
                    let handshake = kind.is_tls() || kind.is_websocket();
                    // Counted before anything is spent on the connection
                    // (a TLS session, a buffer).
                    let ticket = match self.admission.admit(peer.ip(), handshake) {
                        Ok(ticket) => ticket,
                        Err((refused, first)) => {
                            self.refusals.refused(peer, refused, first);
                            refuse_at_accept(stream, protocol, handshake, refused, self.shared);
                            continue;
                        }
                    };
                    let transport = match which {
                        None => Some(Transport::plain()),
                        Some(i) => self.shared.listeners[i]
                            .transport(self.shared.tls.as_ref(), &self.shared.config),
                    };
                    let Some(transport) = transport else {
                        continue;
                    };
                    let accepted = Accepted {
                        stream,
                        peer,
                        transport,
                        protocol,
                        ticket,
                    };
                    let shard = self.next_shard;
                    self.next_shard = if shard + 1 < self.remotes.count() {
                        shard + 1
                    } else {
                        self.first_shard
                    };
                    if shard == 0 {
                        self.io.adopt(accepted);
                    } else {
                        self.remotes.push(shard, Command::Adopt(accepted));
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

    /// What the cluster's broker said, fed to the engine.
    #[cfg(feature = "cluster")]
    fn feed_cluster(&mut self) {
        use crate::cluster::Fed;
        let mut fed = std::mem::take(&mut self.cluster_fed);
        if let Some(node) = self.helpers.node.as_deref_mut() {
            fed.extend(node.drain());
        }
        for input in fed {
            match input {
                Fed::Cluster(c) => self.handle(Input::Cluster(c)),
                Fed::Persisted(id, result) => self.handle(Input::Persisted { id, result }),
            }
        }
    }

    fn on_wakeups(&mut self) {
        #[cfg(feature = "cluster")]
        self.feed_cluster();
        while let Ok(request) = self.shared.requests.try_recv() {
            match request {
                Request::Shutdown => {
                    info!("shutdown requested");
                    self.handle(Input::Shutdown);
                }
                Request::Announce(text) => self.handle(Input::Announce { text: &text }),
                Request::ReloadTls => self.reload_tls(),
                Request::Backup(out, reply) => self.helpers.persister.backup(out, reply),
                Request::Subscribe(tx) => {
                    self.shared.subscribers.add(tx);
                    self.engine.set_emit_events(true);
                }
            }
        }
        while let Ok((job, answer)) = self.helpers.finished.try_recv() {
            self.handle(Input::PasswordDone { job, answer });
        }
        while let Ok(Committed { id, result }) = self.helpers.committed.try_recv() {
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
        while let Ok(report) = self.remotes.reports.try_recv() {
            match report {
                Report::Arrived { shard, inbox } => {
                    self.feed(&inbox);
                    self.remotes.taken(shard, &inbox);
                }
                Report::Stopped => self.remotes.running -= 1,
            }
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
        self.io.on_deadlines(now);
        self.helpers.persister.on_deadline(now);
        // The shard's spare queues were shrunk above (`io.on_deadlines`):
        // their quiet second began no later than this one.
        if self.trimmer.on_deadline(now) {
            crate::trim::release_free_memory();
            log::debug!("quiet: free memory returned to the system");
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
                Output::Send { conn, frame } => match self.shard_of(conn) {
                    0 => self.io.queue(conn, frame),
                    s => self.remotes.push(s, Command::Send(conn, frame)),
                },
                Output::Broadcast { to, frame } => self.broadcast(to, frame),
                Output::Close { conn, reason } => match self.shard_of(conn) {
                    0 => self.io.close(conn, reason),
                    s => self.remotes.push(s, Command::Close(conn, reason)),
                },
                Output::WhenDrained { conn } => match self.shard_of(conn) {
                    0 => self.io.when_drained(conn),
                    s => self.remotes.push(s, Command::WhenDrained(conn)),
                },
                Output::Password(job) => {
                    if let Err(job) = self.helpers.workers.submit(job) {
                        self.refused.push((job.id, job.peer));
                    }
                }
                #[cfg(feature = "cluster")]
                Output::Persist(req) if self.helpers.node.is_some() => {
                    if let Some(node) = self.helpers.node.as_deref_mut() {
                        self.cluster_fed.extend(node.persist(*req));
                    }
                }
                Output::Persist(req) => self.helpers.persister.submit(req.id.0, req.change),
                #[cfg(feature = "cluster")]
                Output::Cluster(out) => {
                    if let Some(node) = self.helpers.node.as_deref_mut() {
                        node.submit(*out);
                    }
                }
                Output::Event(event) => self.shared.subscribers.send(&event),
                Output::Stop { restart } => self.stop(restart),
                _ => {}
            }
        }
    }

    fn shard_of(&self, conn: ConnId) -> usize {
        self.io.shard().shard_of(conn)
    }

    /// The engine stopped: no more accepts, and every shard finishes its
    /// connections within the grace period.
    fn stop(&mut self, restart: bool) {
        let grace = Duration::from_millis(self.shared.config.net.shutdown_grace_ms);
        let exit = if restart {
            Exit::Restart(self.engine.carry_over())
        } else {
            Exit::Stopped
        };
        info!("{}", if restart { "restarting" } else { "stopping" });
        let registry = self.shared.poll.registry();
        let _ = registry.deregister(&mut self.shared.listener);
        for l in &mut self.shared.listeners {
            let _ = registry.deregister(&mut l.socket);
        }
        let deadline = Instant::now() + grace;
        self.remotes.stop(deadline);
        self.stopping = Some((exit, deadline));
    }

    /// Joins a broadcast to the pending batch, or fans that batch out and
    /// starts a new one.
    fn broadcast(&mut self, to: chat_core::Recipients, frame: chat_core::Frame) {
        if !self.batch.join(&to, &frame) {
            self.release_batch();
            self.batch.start(to, frame);
        }
    }

    /// Fans the pending broadcasts out: shard 0's recipients to their
    /// queues, the one frame and list to every other shard.
    fn release_batch(&mut self) {
        if let Some(released) = self.batch.take() {
            self.io.fan_out(&released);
            self.remotes.broadcast(&released);
        }
    }

    /// Ends a turn: tells the engine of the connections dropped and the
    /// password jobs refused, fans out the batch, sends the other shards
    /// their commands, writes to the own connections with something
    /// queued (a turn's share of them: see [`IoShard::write_dirty`]), and
    /// drops those that leave more than their cap unsent; again while the
    /// engine has something to hear, so what it says about a drop (a
    /// LEAVE) is queued in the same turn.
    fn settle(&mut self) {
        loop {
            #[cfg(feature = "cluster")]
            if !self.cluster_fed.is_empty() {
                self.feed_cluster();
            }
            self.feed_own_inbox();
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
            self.remotes.send();
            if self.io.has_dirty() {
                self.io.write_dirty();
            }
            if self.io.inbox.is_empty() && self.refused.is_empty() {
                break;
            }
        }
        self.io.recycle();
    }
}
