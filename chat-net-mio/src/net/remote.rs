//! The I/O shards beyond the first, each on its own thread with its own
//! mio `Poll`, and the channels between them and the engine's thread.
//!
//! The engine's thread (which serves shard 0's sockets itself) sends each
//! shard, once per turn, the [`Command`]s of that turn in the order the
//! engine gave them, so each connection's lines keep their order. A
//! broadcast goes to every shard as the one shared frame and the one
//! shared recipient list: each shard serves the recipients that are its
//! own, and nothing is copied per shard. Each shard sends back, once per
//! turn, its [`Inbox`].

use std::io;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc::{self, Receiver, Sender};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use chat_core::{CloseReason, ConnId, Frame};
use log::{debug, warn};
use mio::{Events, Poll, Token, Waker};

use super::inbox::Inbox;
use super::shard::{Accepted, IoShard};
use super::{Released, Shard};
use crate::NetConfig;

const WAKER: Token = Token(1);

/// What the engine's thread asks of a shard.
#[derive(Debug)]
pub(crate) enum Command {
    /// A connection the acceptor gave this shard.
    Adopt(Accepted),
    Send(ConnId, Frame),
    /// The shard serves the recipients that are its own.
    Broadcast(Released),
    Close(ConnId, CloseReason),
    /// Report the connection once what is queued for it is written.
    WhenDrained(ConnId),
    /// The engine stopped: finish the connections by this deadline, then
    /// end the thread.
    Stop(Instant),
}

/// What a shard tells the engine's thread.
#[derive(Debug)]
pub(crate) enum Report {
    /// What shard `shard`'s sockets said.
    Arrived { shard: usize, inbox: Inbox },
    /// The shard's thread ended.
    Stopped,
}

/// The engine's thread's side of the shards beyond the first: their
/// commands, gathered per turn, and where their reports come in.
#[derive(Debug)]
pub(crate) struct Remotes {
    shards: Vec<RemoteLink>,
    pub(crate) reports: Receiver<Report>,
    /// Shards whose thread has not reported `Stopped` yet.
    pub(crate) running: usize,
}

#[derive(Debug)]
struct RemoteLink {
    commands: Sender<Vec<Command>>,
    waker: Arc<Waker>,
    /// Bytes the shard reported that the engine has not taken yet.
    backlog: Arc<AtomicUsize>,
    /// This turn's commands, sent at its end.
    pending: Vec<Command>,
}

impl Remotes {
    /// Starts shards `1..count` (none for one I/O thread): each reports to
    /// the engine's thread and wakes it with `engine_waker`.
    pub(crate) fn spawn(
        count: usize,
        net: &NetConfig,
        engine_waker: &Arc<Waker>,
    ) -> io::Result<(Remotes, Vec<JoinHandle<()>>)> {
        let (report_tx, reports) = mpsc::channel();
        let mut shards = Vec::new();
        let mut threads = Vec::new();
        for index in 1..count {
            let poll = Poll::new()?;
            let waker = Arc::new(Waker::new(poll.registry(), WAKER)?);
            let (commands, rx) = mpsc::channel();
            let backlog = Arc::new(AtomicUsize::new(0));
            let io = IoShard::new(
                poll.registry().try_clone()?,
                Shard::new(index, count),
                net.clone(),
            );
            let remote = RemoteShard {
                poll,
                io,
                commands: rx,
                reports: report_tx.clone(),
                engine_waker: Arc::clone(engine_waker),
                stopping: None,
                backlog: Arc::clone(&backlog),
                max_backlog: net.io_backlog_bytes.max(1),
            };
            let thread = std::thread::Builder::new()
                .name(format!("chat-io-{index}"))
                .spawn(move || remote.run())?;
            shards.push(RemoteLink {
                commands,
                waker,
                backlog,
                pending: Vec::new(),
            });
            threads.push(thread);
        }
        let running = shards.len();
        Ok((
            Remotes {
                shards,
                reports,
                running,
            },
            threads,
        ))
    }

    /// How many I/O shards there are in all, the engine's own included.
    pub(crate) fn count(&self) -> usize {
        self.shards.len() + 1
    }

    /// The engine took what shard `index` reported: it may read that much
    /// more.
    pub(crate) fn taken(&self, index: usize, inbox: &Inbox) {
        let link = &self.shards[index - 1];
        link.backlog.fetch_sub(inbox.byte_len(), Ordering::Relaxed);
    }

    /// Queues a command for shard `index` (1 or more).
    pub(crate) fn push(&mut self, index: usize, command: Command) {
        self.shards[index - 1].pending.push(command);
    }

    /// Queues a broadcast for every shard beyond the first.
    pub(crate) fn broadcast(&mut self, released: &Released) {
        for link in &mut self.shards {
            link.pending.push(Command::Broadcast(released.clone()));
        }
    }

    /// Tells every shard to finish by `deadline`.
    pub(crate) fn stop(&mut self, deadline: Instant) {
        for link in &mut self.shards {
            link.pending.push(Command::Stop(deadline));
        }
    }

    /// Sends each shard its commands of this turn, and wakes it.
    pub(crate) fn send(&mut self) {
        for link in &mut self.shards {
            if link.pending.is_empty() {
                continue;
            }
            let batch = std::mem::take(&mut link.pending);
            // A shard that ended has dropped its receiver: its connections
            // are gone with it.
            if link.commands.send(batch).is_ok() {
                let _ = link.waker.wake();
            }
        }
    }
}

impl Drop for Remotes {
    /// Closes each shard's channel and wakes it, so its thread sees the
    /// engine's side is gone and ends.
    fn drop(&mut self) {
        for link in self.shards.drain(..) {
            let RemoteLink {
                commands, waker, ..
            } = link;
            drop(commands);
            let _ = waker.wake();
        }
    }
}

/// A shard's thread: its poll, its sockets, its channels.
struct RemoteShard {
    poll: Poll,
    io: IoShard,
    commands: Receiver<Vec<Command>>,
    reports: Sender<Report>,
    engine_waker: Arc<Waker>,
    stopping: Option<Instant>,
    /// Bytes reported that the engine has not taken yet, and the most
    /// allowed before reads pause.
    backlog: Arc<AtomicUsize>,
    max_backlog: usize,
}

impl RemoteShard {
    fn run(mut self) {
        let index = self.io.shard().index;
        if let Err(e) = self.turns() {
            warn!("I/O shard {index} failed: {e}");
        }
        self.io.drop_all();
        self.send_inbox();
        self.report(Report::Stopped);
        debug!("I/O shard {index} stopped");
    }

    fn turns(&mut self) -> io::Result<()> {
        let mut events = Events::with_capacity(1024);
        loop {
            // Writes left for the next turn: look for input, never wait.
            let timeout = if self.io.has_dirty() {
                Some(Duration::ZERO)
            } else {
                [self.io.next_deadline(), self.stopping]
                    .into_iter()
                    .flatten()
                    .min()
                    .map(|t| t.saturating_duration_since(Instant::now()) + Duration::from_millis(1))
            };
            if let Err(e) = self.poll.poll(&mut events, timeout) {
                if e.kind() == io::ErrorKind::Interrupted {
                    continue;
                }
                return Err(e);
            }
            let behind = self.backlog.load(Ordering::Relaxed) >= self.max_backlog;
            self.io.set_paused(behind);
            for event in events.iter() {
                if event.token() != WAKER {
                    self.io.on_event(event);
                }
            }
            let ended = !self.apply_commands();
            self.io.read_leftovers();
            let now = Instant::now();
            self.io.on_deadlines(now);
            self.io.write_dirty();
            self.send_inbox();
            self.io.recycle();
            // The engine's thread is gone (its channel closed) or done.
            if ended {
                return Ok(());
            }
            if let Some(deadline) = self.stopping {
                if self.io.len() == 0 || now >= deadline {
                    return Ok(());
                }
            }
        }
    }

    /// Applies what the engine said; `false` once the engine's thread is
    /// gone.
    fn apply_commands(&mut self) -> bool {
        loop {
            match self.commands.try_recv() {
                Ok(batch) => {
                    for command in batch {
                        self.apply(command);
                    }
                }
                Err(mpsc::TryRecvError::Empty) => return true,
                Err(mpsc::TryRecvError::Disconnected) => return false,
            }
        }
    }

    fn apply(&mut self, command: Command) {
        match command {
            Command::Adopt(accepted) => self.io.adopt(accepted),
            Command::Send(id, frame) => self.io.queue(id, frame),
            Command::Broadcast(released) => self.io.fan_out(&released),
            Command::Close(id, reason) => self.io.close(id, reason),
            Command::WhenDrained(id) => self.io.when_drained(id),
            Command::Stop(deadline) => self.stopping = Some(deadline),
        }
    }

    /// Hands the turn's arrivals to the engine's thread.
    fn send_inbox(&mut self) {
        if self.io.inbox.is_empty() {
            return;
        }
        let inbox = std::mem::take(&mut self.io.inbox);
        self.backlog.fetch_add(inbox.byte_len(), Ordering::Relaxed);
        let shard = self.io.shard().index;
        self.report(Report::Arrived { shard, inbox });
    }

    fn report(&self, report: Report) {
        if self.reports.send(report).is_ok() {
            let _ = self.engine_waker.wake();
        }
    }
}
