//! The simulated world: the real engine, a clock, the network, the
//! password workers, the persister and the users, driven step by step from
//! one seed.

use std::collections::HashMap;
use std::net::{IpAddr, Ipv4Addr};

use crate::{
    CloseCause, Config, ConnId, Engine, Grant, Input, Millis, Output, PasswordJob, PersistFailed,
    StoreSnapshot,
};

use super::client::{garbage, Attempt, Client, Identity, Kind, Phase};
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
    /// Peers the runtime dropped while draining outputs; the engine is
    /// told after the drain (outputs to them meanwhile are discarded).
    cut: Vec<(ConnId, CloseCause)>,
    /// Set when the engine asked to stop: `Some(restart)`.
    stop: Option<bool>,
    pub(super) trace: Trace,
    /// The first broken invariant.
    pub(super) failure: Option<String>,
}

impl World {
    /// The world of `opts.seed`.
    pub fn new(opts: SimOptions) -> World {
        let mut rng = Rng::new(opts.seed);
        let config = config::config(&mut rng);
        let pool = rng.range(3, 8) as usize;
        let mut idents = vec![Identity {
            name: ROOT.into(),
            password: "root-pass-0".into(),
            maybe: None,
            registered: true,
            changing: None,
        }];
        for i in 0..pool {
            idents.push(Identity {
                name: format!("u{i}"),
                password: format!("pass-u{i}-0"),
                maybe: None,
                registered: false,
                changing: None,
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
            cut: Vec::new(),
            stop: None,
            trace,
            failure: None,
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

    /// Someone does something: a new connection, a user's action, or a
    /// fault.
    fn act(&mut self) {
        let r = self.rng.below(1000);
        let open = self
            .clients
            .iter()
            .filter(|c| c.phase != Phase::Closed)
            .count();
        if r < 3 {
            self.crash();
        } else if r < 4 {
            self.trace.line("operator: shutdown".into());
            self.handle(Input::Shutdown);
        } else if r < 14 {
            let text = format!("notice #{}", self.tag());
            self.trace.line(format!("operator: announce {text}"));
            self.handle(Input::Announce { text: &text });
        } else if r < 120 || open < 2 {
            self.connect();
        } else {
            let live: Vec<usize> = (0..self.clients.len())
                .filter(|&i| self.clients[i].phase != Phase::Closed)
                .collect();
            if !live.is_empty() {
                let i = live[self.rng.below(live.len())];
                self.client_acts(i);
            }
        }
    }

    fn connect(&mut self) {
        let kind = match self.rng.below(100) {
            0..=54 => Kind::Regular,
            55..=74 => Kind::Admin,
            75..=82 => Kind::Garbage,
            83..=90 => Kind::Flooder,
            _ => Kind::Guesser,
        };
        let ident = if kind == Kind::Admin && self.rng.chance(600) {
            0
        } else {
            1 + self.rng.below(self.idents.len() - 1)
        };
        let conn = ConnId(self.next_conn);
        self.next_conn += 1;
        let peer = if self.rng.chance(200) {
            IpAddr::V4(Ipv4Addr::LOCALHOST)
        } else {
            IpAddr::V4(Ipv4Addr::new(10, 0, 0, 1 + self.rng.below(4) as u8))
        };
        self.by_conn.insert(conn, self.clients.len());
        self.clients.push(Client::new(conn, ident, kind));
        self.trace.line(format!(
            "{conn} opens from {peer} as {kind:?} {}",
            self.idents[ident].name
        ));
        self.handle(Input::Opened { conn, peer });
    }

    fn client_acts(&mut self, i: usize) {
        let r = self.rng.below(1000);
        let conn = self.clients[i].conn;
        if r < 15 {
            self.trace.line(format!("{conn} vanishes"));
            self.peer_closed(i, CloseCause::Lost);
            return;
        }
        if r < 25 && self.clients[i].reading {
            self.trace.line(format!("{conn} stops reading"));
            self.clients[i].reading = false;
            return;
        }
        if self.clients[i].awaiting_password.is_some() || !self.clients[i].outbox.is_empty() {
            // Waits for its answer or for its bytes to go out.
            return;
        }
        match (self.clients[i].phase, self.clients[i].kind) {
            (Phase::Dialog, Kind::Garbage) => {
                let tag = self.tag();
                let bytes = garbage(&mut self.rng, self.config.limits.max_line_bytes, tag);
                self.clients[i].outbox.extend_from_slice(&bytes);
            }
            (Phase::Dialog, Kind::Guesser) => {
                let target = self.rng.below(self.idents.len());
                let name = self.idents[target].name.clone();
                let tag = self.tag();
                self.clients[i].write(&format!("/login {name} guess-{tag}"));
            }
            (Phase::Dialog, _) => self.log_in(i),
            (Phase::Online, _) => self.online_action(i),
            (Phase::Closed, _) => {}
        }
    }

    fn log_in(&mut self, i: usize) {
        if self.clients[i].attempt != Attempt::None {
            return;
        }
        let id = &self.idents[self.clients[i].ident];
        let (name, password, registered) = (id.name.clone(), id.password.clone(), id.registered);
        let dialog = self.rng.chance(300);
        if !registered && self.rng.chance(700) {
            self.clients[i].attempt = Attempt::Register;
            if dialog {
                self.clients[i].write(&format!("y\n{name}\n{password}\n{password}"));
            } else {
                self.clients[i].write(&format!("/register {name} {password}"));
            }
            return;
        }
        let right = self.rng.chance(900);
        let password = if right {
            password
        } else {
            format!("wrong-{}", self.tag())
        };
        let right = right && registered;
        if dialog {
            self.clients[i].write(&format!("n\n{name}\n{password}"));
        } else {
            self.clients[i].write(&format!("/login {name} {password}"));
        }
        self.clients[i].attempt = Attempt::Login { password, right };
    }

    fn other_name(&mut self) -> String {
        let j = self.rng.below(self.idents.len());
        self.idents[j].name.clone()
    }

    fn online_action(&mut self, i: usize) {
        let tag = self.tag();
        let kind = self.clients[i].kind;
        if kind == Kind::Flooder {
            let n = 5 + self.rng.below(30);
            for k in 0..n {
                self.clients[i].write(&format!("flood {k} #{tag}"));
            }
            return;
        }
        let admin = self.clients[i].admin && kind == Kind::Admin;
        let r = self.rng.below(100);
        let line = match r {
            0..=39 => format!("hello #{tag}"),
            40..=49 => format!("/msg {} psst #{tag}", self.other_name()),
            50..=57 => "/busy".into(),
            58..=65 => "/free".into(),
            66..=68 => "/users".into(),
            69..=70 => "/viewkickusers".into(),
            71..=72 => format!("/ping t{tag}"),
            73..=74 => "/quit".into(),
            75..=77 => return self.change_password(i, tag),
            78..=85 if admin || self.rng.chance(100) => {
                let g = if self.rng.chance(500) { 0 } else { 1 };
                format!("/changegrant {} {g}", self.other_name())
            }
            86..=92 if admin || self.rng.chance(100) => {
                if self.rng.chance(500) {
                    format!("/kickuser {} out #{tag}", self.other_name())
                } else {
                    format!("/kickuser {}", self.other_name())
                }
            }
            93..=97 if admin => format!("/unkick {}", self.other_name()),
            98..=99 if admin && self.rng.chance(100) => "/restart".into(),
            _ => format!("//slash #{tag}"),
        };
        self.clients[i].write(&line);
    }

    fn change_password(&mut self, i: usize, tag: u64) {
        let ident = self.clients[i].ident;
        let id = &self.idents[ident];
        if id.changing.is_some() || id.maybe.is_some() {
            return;
        }
        let right = self.rng.chance(800);
        let old = if right {
            id.password.clone()
        } else {
            format!("not-it-{tag}")
        };
        let new = format!("pass-{}-{tag}", id.name);
        let token = format!("cp{tag}");
        self.clients[i].write(&format!("/changepassword {old} {new}\n/ping {token}"));
        self.clients[i].awaiting_password = Some(token);
        self.idents[ident].changing = Some(new);
    }

    // ---- the engine's side ----------------------------------------------

    /// Feeds one input and carries out everything the engine asks for.
    fn handle(&mut self, input: Input<'_>) {
        self.engine.handle(self.now, input);
        while let Some(out) = self.engine.poll_output() {
            self.output(out);
        }
        for (conn, cause) in std::mem::take(&mut self.cut) {
            self.handle(Input::Closed { conn, cause });
        }
    }

    fn is_cut(&self, conn: ConnId) -> bool {
        self.cut.iter().any(|(c, _)| *c == conn)
    }

    fn output(&mut self, out: Output) {
        match out {
            Output::Send { conn, frame } => {
                self.trace.mix(&conn.0.to_le_bytes());
                self.trace.mix(&frame);
                self.deliver(conn, &frame);
            }
            Output::Broadcast { to, frame } => {
                self.trace.mix(&frame);
                // Note the room lines in broadcast order before anyone reads them.
                for line in String::from_utf8_lossy(&frame).lines() {
                    if let ServerLine::Msg { line } = lines::parse(line) {
                        if self.room_index.contains_key(&line) {
                            self.fail(format!("room line broadcast twice: {line}"));
                        } else {
                            self.room_index.insert(line.clone(), self.room.len());
                            self.room.push(line);
                        }
                    }
                }
                for &conn in to.as_slice() {
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

    /// A client reads one line.
    fn read_line(&mut self, i: usize, line: &str) {
        let parsed = lines::parse(line);
        let conn = self.clients[i].conn;
        let ident = self.clients[i].ident;
        match parsed {
            ServerLine::Unknown(l) => self.fail(format!("{conn} got a line outside chat/1: {l}")),
            ServerLine::Welcome { user } => self.welcomed(i, &user, line),
            ServerLine::Ok { what, arg } => match what.as_str() {
                "registered" => {
                    self.clients[i].attempt = Attempt::None;
                    self.idents[ident].registered = true;
                    if arg.as_deref() != Some(self.idents[ident].name.as_str()) {
                        self.fail(format!("{conn} registered as someone else: {line}"));
                    }
                }
                "password-changed" => {
                    let id = &mut self.idents[ident];
                    match id.changing.take() {
                        Some(new) => id.password = new,
                        None => self.fail(format!("{conn}: {line} without a change asked")),
                    }
                }
                _ => {}
            },
            ServerLine::Err { code } => self.refused(i, &code),
            ServerLine::Msg { line } => self.room_line(i, &line),
            ServerLine::Ctl { what } => match what.as_str() {
                "busy" => {
                    self.clients[i].busy = true;
                    self.clients[i].ever_busy = true;
                }
                "free" => self.clients[i].busy = false,
                "grant" => self.clients[i].admin = line.ends_with(" 0"),
                _ => {}
            },
            ServerLine::EndHeld { replayed, dropped } => {
                let cap = self.config.limits.max_held_lines as u64;
                if replayed > cap {
                    self.fail(format!("{conn} got {replayed} held lines, more than {cap}"));
                }
                self.clients[i].dropped += dropped;
            }
            ServerLine::Pong { token } => {
                if token.is_some() && token == self.clients[i].awaiting_password {
                    // Answered in order: no `OK password-changed` came
                    // before the PONG, so the change failed.
                    self.clients[i].awaiting_password = None;
                    self.idents[ident].changing = None;
                }
            }
            ServerLine::Ask | ServerLine::Other => {}
        }
    }

    fn welcomed(&mut self, i: usize, user: &str, line: &str) {
        let conn = self.clients[i].conn;
        let ident = self.clients[i].ident;
        if self.engine.is_kicked(user)
            || self
                .acked
                .kicked
                .iter()
                .any(|k| k.name.key() == crate::NameKey::of(user))
        {
            self.fail(format!("{conn}: kicked user {user} welcomed"));
        }
        if !user.eq_ignore_ascii_case(&self.idents[ident].name) {
            self.fail(format!("{conn} welcomed as {user}, not as itself"));
        }
        if self.clients[i].phase != Phase::Dialog {
            self.fail(format!("{conn} welcomed twice"));
        }
        let c = &mut self.clients[i];
        c.phase = Phase::Online;
        c.admin = line.ends_with(" 0");
        c.start = self.room.len();
        c.attempt = Attempt::None;
        // A login that worked does not say which password is current now:
        // a change may have landed while its check ran.
        self.idents[ident].registered = true;
    }

    fn refused(&mut self, i: usize, code: &str) {
        let c = &mut self.clients[i];
        let conn = c.conn;
        if c.phase != Phase::Dialog {
            return;
        }
        let attempt = std::mem::replace(&mut c.attempt, Attempt::None);
        if code != "bad-credentials" {
            return;
        }
        let Attempt::Login {
            password,
            right: true,
        } = attempt
        else {
            return;
        };
        let id = &mut self.idents[c.ident];
        if password != id.password {
            return;
        }
        if let Some(other) = id.maybe.take() {
            // A crash left it unknown which password is current: try the other.
            id.password = other;
            return;
        }
        if id.changing.is_none() {
            let name = id.name.clone();
            self.fail(format!(
                "{conn}: login of {name} with its acknowledged password refused \
                 (an acknowledged registration or password change was lost)"
            ));
        }
    }

    /// A client received a room line.
    fn room_line(&mut self, i: usize, line: &str) {
        let c = &mut self.clients[i];
        let conn = c.conn;
        if c.phase != Phase::Online {
            return self.fail(format!("{conn} got a room line before its welcome: {line}"));
        }
        if !c.reading {
            return;
        }
        if c.busy {
            return self.fail(format!("{conn} is busy but got a room line: {line}"));
        }
        let Some(&at) = self.room_index.get(line) else {
            // Held while nobody was free, so never broadcast: nothing to
            // compare its position with.
            return;
        };
        if at < c.start {
            return self.fail(format!(
                "{conn} got a room line from before its join: {line}"
            ));
        }
        if !c.seen.insert(at) {
            return self.fail(format!("{conn} got a room line twice: {line}"));
        }
        if c.last_seen.is_some_and(|l| l > at) {
            return self.fail(format!("{conn} got a room line out of order: {line}"));
        }
        c.last_seen = Some(at);
        c.received += 1;
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
        self.acked = durable;
    }

    /// Every change the engine was told is durable is in the new engine.
    fn check_acked_survived(&mut self, in_flight: &[String]) {
        let acked = self.acked.clone();
        for u in &acked.users {
            let name = u.name.as_str();
            match self.engine.grant_of(name) {
                None => {
                    return self.fail(format!(
                        "acknowledged registration of {name} lost in a restart"
                    ))
                }
                Some(g) if !in_flight.iter().any(|n| n == name) => {
                    let want = if self.config.admins.iter().any(|a| a == name) {
                        Grant::Admin
                    } else {
                        u.grant
                    };
                    if g != want {
                        return self.fail(format!(
                            "acknowledged grant {want} of {name} lost in a restart (now {g})"
                        ));
                    }
                    let kicked = acked.kicked.iter().any(|k| k.name == u.name);
                    if self.engine.is_kicked(name) != kicked {
                        return self.fail(format!(
                            "acknowledged kick state ({kicked}) of {name} lost in a restart"
                        ));
                    }
                }
                Some(_) => {}
            }
        }
    }

    // ---- invariants -----------------------------------------------------

    fn check(&mut self) {
        let s = self.engine.stats();
        let l = &self.config.limits;
        let open = self
            .clients
            .iter()
            .filter(|c| c.phase != Phase::Closed)
            .count();
        let online: Vec<usize> = (0..self.clients.len())
            .filter(|&i| self.clients[i].phase == Phase::Online)
            .collect();
        let mut problems = Vec::new();
        if s.connections != open {
            problems.push(format!(
                "engine has {} connections, peers {open}",
                s.connections
            ));
        }
        if s.connections > l.max_connections {
            problems.push(format!(
                "{} connections > {}",
                s.connections, l.max_connections
            ));
        }
        if s.online != online.len() || s.in_room != s.online {
            problems.push(format!(
                "engine has {} online, {} in the room; peers see {}",
                s.online,
                s.in_room,
                online.len()
            ));
        }
        if s.users > self.idents.len() || s.kicked > s.users {
            problems.push(format!("{} users, {} kicked", s.users, s.kicked));
        }
        if s.throttle_entries > 2 * l.throttle_capacity {
            problems.push(format!("throttle holds {} entries", s.throttle_entries));
        }
        let waiting = self.jobs.len() + self.persister.in_flight();
        if s.work_in_flight != waiting {
            problems.push(format!(
                "engine waits for {} answers, {waiting} are on their way",
                s.work_in_flight
            ));
        }
        if s.outputs_queued != 0 {
            problems.push(format!("{} outputs left after draining", s.outputs_queued));
        }
        if s.timers > 3 * s.connections + 1100 {
            problems.push(format!(
                "{} timers for {} connections",
                s.timers, s.connections
            ));
        }
        let line_cap = l.max_line_bytes * (l.max_queued_lines + 1);
        for c in self.clients.iter().filter(|c| c.phase != Phase::Closed) {
            let (queued, held) = self.engine.queued_lines(c.conn);
            let bytes = self.engine.buffered_bytes(c.conn);
            if queued > l.max_queued_lines || held > l.max_held_lines || bytes > line_cap {
                problems.push(format!(
                    "{}: {queued} queued, {held} held, {bytes} bytes buffered",
                    c.conn
                ));
            }
        }
        // No account online twice.
        let mut names: Vec<&str> = online
            .iter()
            .map(|&i| self.idents[self.clients[i].ident].name.as_str())
            .collect();
        names.sort_unstable();
        if let Some(w) = names.windows(2).find(|w| w[0] == w[1]) {
            problems.push(format!("{} is online twice", w[0]));
        }
        // The last admin stays.
        let able = self.idents.iter().any(|id| {
            self.engine.grant_of(&id.name) == Some(Grant::Admin) && !self.engine.is_kicked(&id.name)
        });
        if !able {
            problems.push("no admin left who may log in".into());
        }
        // Every free reader got every room line since it joined, but for
        // the ones dropped while it was busy.
        for &i in &online {
            let c = &self.clients[i];
            if !c.reading || c.busy {
                continue;
            }
            let missing = (self.room.len() - c.start) as u64 - c.received as u64;
            if missing > c.dropped {
                problems.push(format!(
                    "{} missed {missing} room lines ({} dropped while busy)",
                    c.conn, c.dropped
                ));
            }
        }
        // The engine agrees with what it was told is durable.
        let in_flight = self.persister.unanswered_subjects();
        for u in &self.acked.users {
            let name = u.name.as_str();
            if in_flight.iter().any(|n| n == name) {
                continue;
            }
            let kicked = self.acked.kicked.iter().any(|k| k.name == u.name);
            if self.engine.grant_of(name).is_none() || self.engine.is_kicked(name) != kicked {
                problems.push(format!("engine disagrees with the store about {name}"));
            }
        }
        if s.users != self.acked.users.len() {
            problems.push(format!(
                "engine has {} users, the store acknowledged {}",
                s.users,
                self.acked.users.len()
            ));
        }
        if let Some(p) = problems.into_iter().next() {
            self.fail(p);
        }
    }

    /// Closes every connection at the end of a run, checking the engine
    /// forgets them all.
    pub fn finish(&mut self) {
        for i in 0..self.clients.len() {
            if self.clients[i].phase != Phase::Closed {
                self.peer_closed(i, CloseCause::Lost);
            }
        }
        if self.engine.connection_count() != 0 || self.engine.online_count() != 0 {
            self.fail("connections left after every peer closed".into());
        }
    }
}
