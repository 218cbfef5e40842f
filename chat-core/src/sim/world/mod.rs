//! The simulated world: the real engine, a clock, the network, the
//! password workers, the persister and the users, driven step by step from
//! one seed.

use std::collections::{HashMap, HashSet};

use crate::{
    CloseCause, Config, ConnId, Engine, Input, Millis, Output, PasswordJob, PersistFailed,
    StoreChange, StoreSnapshot,
};

mod check;
mod read;
mod users;

use super::client::{Client, Identity, Phase};
use super::config::{self, ROOT};
use super::hasher;
use super::lines::{self, ServerLine};
use super::persister::{Ack, Persister};
use super::rng::Rng;
use super::trace::Trace;
use super::SimOptions;

/// Unread bytes after which the simulated runtime drops a non-reader, as
/// the real one does when its write buffer is full.
const SLOW_READER_BYTES: usize = 16 * 1024;

/// The room (folded) a broadcast frame of a room besides the lobby is
/// for, and its first line without tags: the frames of one line for each
/// rendering in use (with tags and without) share it.
fn room_of_frame(frame: &[u8]) -> Option<(String, String)> {
    let text = std::str::from_utf8(frame).ok()?;
    let (_, first) = crate::wire::split_tags(text.lines().next()?);
    use crate::reply::Reply;
    match crate::wire::parse_reply(first).ok()? {
        Reply::RoomMsg { room, .. }
        | Reply::RoomJoin { room, .. }
        | Reply::RoomLeave { room, .. }
        | Reply::Topic { room, .. }
        | Reply::Standing { room, .. }
        | Reply::ModeChanged { room, .. }
            if room != crate::LOBBY =>
        {
            Some((room.to_ascii_lowercase(), first.to_owned()))
        }
        _ => None,
    }
}

/// Password work on a simulated worker.
struct Job {
    due: Millis,
    seq: u64,
    job: PasswordJob,
    salt: u64,
}

/// The world of one run.
pub struct World {
    opts: SimOptions,
    rng: Rng,
    config: Config,
    engine: Engine,
    pub(super) now: Millis,
    persister: Persister,
    /// What the engine was told is durable, applied in that order.
    acked: StoreSnapshot,
    jobs: Vec<Job>,
    next_job_seq: u64,
    idents: Vec<Identity>,
    clients: Vec<Client>,
    by_conn: HashMap<ConnId, usize>,
    next_conn: u64,
    next_tag: u64,
    /// Room lines (`MSG`) in the order the engine broadcast them.
    room: Vec<String>,
    room_index: HashMap<String, usize>,
    /// Each room line and whether it had tags, as broadcast.
    rendered: HashSet<(String, bool)>,
    /// A line of a room besides the lobby being broadcast (its room, its
    /// line without tags, its recipients so far), checked once every
    /// rendering's frame of it went out.
    room_broadcast: Option<(String, String, Vec<ConnId>)>,
    /// Peers the runtime dropped while draining outputs; the engine is
    /// told after the drain (outputs to them meanwhile are discarded).
    cut: Vec<(ConnId, CloseCause)>,
    /// Connections the engine asked to hear drained of; a reading peer
    /// drains some steps later, one that stopped reading never.
    drain_asked: Vec<ConnId>,
    /// Set when the engine asked to stop: `Some(restart)`.
    stop: Option<bool>,
    pub(super) trace: Trace,
    /// The first broken invariant.
    pub(super) failure: Option<String>,
    /// Accounts the model learned from the store, no client having been
    /// told of them (see `learn_account`).
    pub(super) unacked_registrations: u32,
}

impl World {
    /// The world of `opts.seed`.
    pub fn new(opts: SimOptions) -> World {
        let mut rng = Rng::new(opts.seed);
        let mut config = config::config(&mut rng);
        config::later_limits(&mut config, opts.seed);
        let pool = rng.range(3, 8) as usize;
        let mut idents = vec![Identity {
            name: ROOT.into(),
            password: "root-pass-0".into(),
            maybe: None,
            registered: true,
            changing: None,
            stray: false,
        }];
        for i in 0..pool {
            idents.push(Identity {
                name: format!("u{i}"),
                password: format!("pass-u{i}-0"),
                maybe: None,
                registered: false,
                changing: None,
                stray: false,
            });
        }
        let salt = rng.next_u64();
        let store = config::initial_store(&idents[0].password, salt, opts.real_hash);
        let engine = Engine::new(config.clone(), store.clone())
            .unwrap_or_else(|e| panic!("the sim's config is invalid: {e}"));
        let mut trace = Trace::new(opts.keep_trace);
        trace.line(format!("seed {} config {:?}", opts.seed, config));
        World {
            persister: Persister::new(opts.disk, store.clone()),
            acked: store,
            opts,
            rng,
            config,
            engine,
            now: Millis(1_700_000_000_000),
            jobs: Vec::new(),
            next_job_seq: 0,
            idents,
            clients: Vec::new(),
            by_conn: HashMap::new(),
            next_conn: 1,
            next_tag: 0,
            room: Vec::new(),
            room_index: HashMap::new(),
            rendered: HashSet::new(),
            room_broadcast: None,
            cut: Vec::new(),
            drain_asked: Vec::new(),
            stop: None,
            trace,
            failure: None,
            unacked_registrations: 0,
        }
    }

    pub(super) fn fail(&mut self, what: String) {
        if self.failure.is_none() {
            self.trace.line(format!("INVARIANT BROKEN: {what}"));
            self.failure = Some(what);
        }
    }

    fn tag(&mut self) -> u64 {
        self.next_tag += 1;
        self.next_tag
    }

    // ---- one step -------------------------------------------------------

    /// One step: time passes, due work is answered, bytes move, someone
    /// acts; then every invariant is checked.
    pub fn step(&mut self) {
        let dt = match self.rng.below(100) {
            0..=69 => self.rng.range(0, 20),
            70..=97 => self.rng.range(20, 2_000),
            _ => self.rng.range(2_000, 40_000),
        };
        self.now = Millis(self.now.0 + dt);
        self.answer_due_work();
        if self.engine.poll_timeout().is_some_and(|t| t <= self.now) {
            self.input_timeout();
        }
        self.move_bytes();
        self.drain_readers();
        self.act();
        if let Some(restart) = self.stop.take() {
            self.restart(restart);
        }
        self.check();
    }

    fn answer_due_work(&mut self) {
        let (acks, refused) = self.persister.advance(self.now);
        if let Some(r) = refused {
            self.fail(r);
        }
        for ack in acks {
            match ack {
                Ack::Done(id, change) => {
                    if let Err(e) = self.acked.apply(&change) {
                        self.fail(format!("an acknowledged change does not apply: {e}"));
                    }
                    self.trace.line(format!("persisted {id:?} ok {change:?}"));
                    if let StoreChange::AddUser(record) = &change {
                        self.learn_account(record.name.as_str());
                    }
                    self.handle(Input::Persisted { id, result: Ok(()) });
                }
                Ack::Failed(id) => {
                    self.trace.line(format!("persisted {id:?} failed"));
                    let result = Err(PersistFailed("simulated disk error".into()));
                    self.handle(Input::Persisted { id, result });
                }
            }
        }
        self.jobs.sort_by_key(|j| (j.due, j.seq));
        while self.jobs.first().is_some_and(|j| j.due <= self.now) {
            let j = self.jobs.remove(0);
            let answer = hasher::answer(&j.job, j.salt, self.opts.real_hash);
            self.trace
                .line(format!("password {:?} -> {answer:?}", j.job.id));
            self.handle(Input::PasswordDone {
                job: j.job.id,
                answer,
            });
        }
    }

    fn input_timeout(&mut self) {
        self.trace.line("timeout".into());
        self.handle(Input::Timeout);
    }

    /// Each client's written bytes reach the engine in pieces cut at random
    /// points.
    fn move_bytes(&mut self) {
        for i in 0..self.clients.len() {
            let c = &self.clients[i];
            if c.phase == Phase::Closed || c.outbox.is_empty() || self.rng.chance(300) {
                continue;
            }
            let len = c.outbox.len();
            let n = if self.rng.chance(400) {
                len
            } else {
                1 + self.rng.below(len)
            };
            let bytes: Vec<u8> = self.clients[i].outbox.drain(..n).collect();
            let conn = self.clients[i].conn;
            self.trace.line(format!(
                "{conn} sends {:?}",
                String::from_utf8_lossy(&bytes)
            ));
            self.handle(Input::Received {
                conn,
                bytes: &bytes,
            });
        }
    }

    /// Peers that read what they were sent drain: the engine hears so for
    /// those it asked about, each some steps after it asked.
    fn drain_readers(&mut self) {
        for conn in std::mem::take(&mut self.drain_asked) {
            let Some(&i) = self.by_conn.get(&conn) else {
                continue;
            };
            let c = &self.clients[i];
            if c.phase == Phase::Closed || self.is_cut(conn) {
                continue;
            }
            if !c.reading || self.rng.chance(300) {
                self.drain_asked.push(conn);
                continue;
            }
            self.trace.line(format!("{conn} drained"));
            self.handle(Input::Drained { conn });
        }
    }

    // ---- the engine's side ----------------------------------------------

    /// Feeds one input and carries out everything the engine asks for.
    fn handle(&mut self, input: Input<'_>) {
        self.engine.handle(self.now, input);
        self.drain();
        // Peers cut while draining are told one by one; the others stay
        // cut (their outputs discarded) until their turn.
        while let Some(&(conn, cause)) = self.cut.first() {
            self.engine.handle(self.now, Input::Closed { conn, cause });
            self.cut.remove(0);
            self.drain();
        }
    }

    fn drain(&mut self) {
        while let Some(out) = self.engine.poll_output() {
            self.output(out);
        }
        self.check_room_broadcast();
    }

    /// The recipients of the last room line, over the frames of every
    /// rendering.
    fn check_room_broadcast(&mut self) {
        if let Some((room, line, to)) = self.room_broadcast.take() {
            // A joiner's own `RJOIN` comes to it after the room's history,
            // not with the room's.
            let joiner = line
                .strip_prefix("RJOIN ")
                .and_then(|l| l.split(' ').nth(2))
                .map(str::to_owned);
            self.check_room_recipients(&room, &to, joiner.as_deref());
        }
    }

    fn is_cut(&self, conn: ConnId) -> bool {
        self.cut.iter().any(|(c, _)| *c == conn)
    }

    fn output(&mut self, out: Output) {
        match out {
            Output::Send { conn, frame } => {
                // A room line's recipients are checked against the
                // members as they were when it went out, before a reply
                // (an `OK joined`) changes who is in the room.
                self.check_room_broadcast();
                self.trace.mix(&conn.0.to_le_bytes());
                self.trace.mix(&frame);
                self.deliver(conn, &frame);
            }
            Output::Broadcast { to, frame } => {
                self.trace.mix(&frame);
                // Note the room lines in broadcast order before anyone
                // reads them; a line goes out once per rendering (with
                // tags and without).
                for line in String::from_utf8_lossy(&frame).lines() {
                    if let ServerLine::Msg { line, id } = lines::parse(line) {
                        if !self.rendered.insert((line.clone(), id.is_some())) {
                            self.fail(format!("room line broadcast twice: {line}"));
                        } else if !self.room_index.contains_key(&line) {
                            self.room_index.insert(line.clone(), self.room.len());
                            self.room.push(line);
                        }
                    }
                }
                if let Some((room, line)) = room_of_frame(&frame) {
                    match &mut self.room_broadcast {
                        Some((r, l, all)) if *r == room && *l == line => all.extend(to.iter()),
                        _ => {
                            self.check_room_broadcast();
                            self.room_broadcast = Some((room, line, to.iter().collect()));
                        }
                    }
                }
                for conn in to.iter() {
                    self.trace.mix(&conn.0.to_le_bytes());
                    self.deliver(conn, &frame);
                }
            }
            Output::Close { conn, reason } => {
                self.trace
                    .line(format!("{conn} closed by engine: {reason:?}"));
                match self.by_conn.get(&conn) {
                    _ if self.is_cut(conn) => {}
                    Some(&i) if self.clients[i].phase != Phase::Closed => self.closed(i),
                    _ => self.fail(format!("close of {conn}, which is not open")),
                }
            }
            Output::Password(job) => {
                let delay = match self.rng.below(10) {
                    0..=6 => self.rng.range(0, 50),
                    7..=8 => self.rng.range(50, 500),
                    _ => self.rng.range(500, 5_000),
                };
                self.trace
                    .line(format!("password job {:?} due in {delay} ms", job.id));
                self.next_job_seq += 1;
                self.jobs.push(Job {
                    due: Millis(self.now.0 + delay),
                    seq: self.next_job_seq,
                    job: *job,
                    salt: self.rng.next_u64(),
                });
            }
            Output::Persist(req) => {
                let delay = self.rng.range(0, 400);
                let lag = self.rng.range(0, 200);
                let fails = self.rng.chance(20);
                self.trace.line(format!(
                    "persist {:?} {:?} in {delay}+{lag} ms{}",
                    req.id,
                    req.change,
                    if fails { ", will fail" } else { "" }
                ));
                self.persister
                    .submit(self.now, req.id, req.change, delay, lag, fails);
            }
            Output::WhenDrained { conn } => {
                self.trace.line(format!("{conn} to be told when drained"));
                if !self.drain_asked.contains(&conn) {
                    self.drain_asked.push(conn);
                }
            }
            Output::Event(_) => {}
            Output::Stop { restart } => {
                self.trace.line(format!("engine stops, restart: {restart}"));
                self.stop = Some(restart);
            }
            // Outputs a later engine may add are traced, not dropped silently.
            #[allow(unreachable_patterns)]
            other => self.trace.line(format!("unhandled output {other:?}")),
        }
    }

    /// A room line goes to exactly the room's free members, as the
    /// members' own lines tell them (a busy member holds it instead).
    fn check_room_recipients(&mut self, room: &str, to: &[ConnId], joiner: Option<&str>) {
        for &conn in to {
            let Some(&i) = self.by_conn.get(&conn) else {
                continue;
            };
            let c = &self.clients[i];
            if !self.is_cut(conn) && c.phase != Phase::Closed && !c.rooms.contains(room) {
                return self.fail(format!("a line of {room} went to {conn}, not a member"));
            }
        }
        for c in &self.clients {
            let member = c.phase == Phase::Online && c.rooms.contains(room);
            let joining = joiner.is_some_and(|j| self.idents[c.ident].name.eq_ignore_ascii_case(j));
            if member && !joining && !c.busy && !self.is_cut(c.conn) && !to.contains(&c.conn) {
                let conn = c.conn;
                return self.fail(format!("a line of {room} missed {conn}, a free member"));
            }
        }
    }

    fn deliver(&mut self, conn: ConnId, bytes: &[u8]) {
        let Some(&i) = self.by_conn.get(&conn) else {
            return self.fail(format!("output to {conn}, which was never opened"));
        };
        if self.is_cut(conn) {
            return;
        }
        let c = &mut self.clients[i];
        if c.phase == Phase::Closed {
            return self.fail(format!("output to {conn} after it closed"));
        }
        c.partial.extend_from_slice(bytes);
        // A peer that stopped reading is still followed (the sim must know
        // whether it is logged in), but left out of the delivery checks.
        if !c.reading {
            c.unread += bytes.len();
        }
        while let Some(n) = self.clients[i].partial.iter().position(|&b| b == b'\n') {
            let raw: Vec<u8> = self.clients[i].partial.drain(..=n).collect();
            match std::str::from_utf8(&raw[..n]) {
                Ok(line) => {
                    let line = line.to_owned();
                    self.trace.line(format!("{conn} <- {line}"));
                    self.read_line(i, &line);
                }
                Err(_) => self.fail(format!("{conn} got a line that is not UTF-8: {raw:?}")),
            }
        }
        let c = &self.clients[i];
        if c.unread > SLOW_READER_BYTES && c.phase != Phase::Closed {
            // The runtime gives up on a peer that does not read.
            self.trace.line(format!("{conn} too slow"));
            self.closed(i);
            self.cut.push((conn, CloseCause::TooSlow));
        }
    }

    /// The peer side closes: the runtime tells the engine.
    fn peer_closed(&mut self, i: usize, cause: CloseCause) {
        let conn = self.clients[i].conn;
        self.closed(i);
        self.handle(Input::Closed { conn, cause });
    }

    /// A connection is gone: what was in flight for its user is now
    /// uncertain.
    fn closed(&mut self, i: usize) {
        let c = &mut self.clients[i];
        c.phase = Phase::Closed;
        if c.awaiting_password.take().is_some() {
            let id = &mut self.idents[c.ident];
            // The change may still reach the store.
            id.maybe = id.changing.take();
        }
    }
    // ---- faults ---------------------------------------------------------

    /// A crash: the engine, the password work and every write not yet
    /// durable are lost; a new engine starts from what is durable.
    fn crash(&mut self) {
        self.trace.line("CRASH".into());
        let in_flight = self.persister.unanswered_subjects();
        self.persister.crash();
        self.reboot(in_flight);
    }

    /// The engine stopped (shutdown or `/restart`): the store finishes its
    /// writes, then a new engine starts on the same data.
    fn restart(&mut self, restart: bool) {
        self.trace
            .line(format!("restart after stop (restart: {restart})"));
        let in_flight = self.persister.unanswered_subjects();
        if let Some(r) = self.persister.flush() {
            self.fail(r);
        }
        self.reboot(in_flight);
    }

    fn reboot(&mut self, in_flight: Vec<String>) {
        self.jobs.clear();
        self.drain_asked.clear();
        for i in 0..self.clients.len() {
            if self.clients[i].phase != Phase::Closed {
                self.closed(i);
            }
        }
        for id in &mut self.idents {
            if id.changing.is_some() {
                id.maybe = id.changing.take();
            }
        }
        let durable = self.persister.durable().clone();
        self.engine = Engine::new(self.config.clone(), durable.clone())
            .unwrap_or_else(|e| panic!("restart refused the config: {e}"));
        self.check_acked_survived(&in_flight);
        // What reached the disk before the crash is there now, acknowledged
        // or not.
        for user in &durable.users {
            self.learn_account(user.name.as_str());
        }
        self.acked = durable;
    }

    /// Closes every connection at the end of a run, checking the engine
    /// forgets them all.
    pub fn finish(&mut self) {
        for i in 0..self.clients.len() {
            if self.clients[i].phase != Phase::Closed {
                self.peer_closed(i, CloseCause::Lost);
            }
        }
        if self.engine.stats().connections != 0 || self.engine.stats().online != 0 {
            self.fail("connections left after every peer closed".into());
        }
    }
}
