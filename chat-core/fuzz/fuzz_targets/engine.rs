//! The engine driven by an arbitrary sequence of inputs from a few clients
//! on a few addresses, with the caller's work (password jobs, store writes)
//! answered late, out of order or with failures. After every input the
//! invariants of chat-core/tests/props.rs must hold, plus the caller's side
//! of the contract: nothing is sent to a closed connection, every frame is
//! whole UTF-8 lines, and no account is online twice.

#![no_main]

use std::collections::{BTreeMap, BTreeSet};
use std::net::IpAddr;
use std::sync::OnceLock;

use arbitrary::Arbitrary;
use chat_core::password::{self, HashParams, Password, PasswordError};
use chat_core::{
    CloseCause, Config, ConnId, Engine, Grant, Input, Limits, Millis, Output, PasswordAnswer,
    PasswordJob, PasswordWork, PersistFailed, PersistRequest, StoreSnapshot,
};
use libfuzzer_sys::fuzz_target;

/// One thing that happens to the engine.
#[derive(Arbitrary, Debug)]
enum Op {
    /// A connection is accepted (ignored if that id is open).
    Open { conn: u8, addr: u8 },
    /// A client sends lines and raw bytes (ignored if not open).
    Send { conn: u8, parts: Vec<Part> },
    /// The peer goes away (ignored if not open).
    Close { conn: u8, too_slow: bool },
    /// The caller answers one pending password job.
    Password { pick: u8, answer: Fake },
    /// The caller answers one pending store write.
    Persisted { pick: u8, ok: bool },
    /// A connection the engine asked about drained.
    Drained { pick: u8 },
    /// The caller catches up: every pending password job is answered
    /// `Right` and every store write succeeds, in the order asked (one op,
    /// so the fuzzer reaches logged-in states quickly).
    Settle,
    /// Time passes (in units of 256 ms, up to about 4.6 hours), then the
    /// caller feeds `Timeout`.
    Wait { ticks: u16 },
    /// The operator announces something.
    Announce { text: u8 },
    /// The operator stops the server.
    Shutdown,
}

/// Part of what a client sends in one go.
#[derive(Arbitrary, Debug)]
enum Part {
    /// A protocol line from [`LINES`], `{u}` replaced by a name of [`NAMES`].
    Line { line: u8, user: u8 },
    /// Raw bytes.
    Raw(Vec<u8>),
    /// Deliver what came before as its own chunk.
    Cut,
}

/// A fake answer to password work.
#[derive(Arbitrary, Debug)]
enum Fake {
    /// Hashed, or the password matched.
    Right,
    /// Hashed, or the password did not match.
    Wrong,
    /// The work failed.
    Error,
}

const NAMES: [&str; 5] = ["root", "alice", "Bob", "ALICE", "9bad"];

const LINES: [&str; 27] = [
    "/register {u} password-1",
    "/login {u} password-1",
    "/login {u} wrong-password",
    "hello all",
    "/msg {u} hi there",
    "/changegrant {u} 0",
    "/changegrant {u} 1",
    "/kickuser {u} spam",
    "/kickuser {u}",
    "/unkick {u}",
    "/busy",
    "/free",
    "/viewusers",
    "/viewkickusers",
    "/help",
    "/changepassword password-1 password-2",
    "/changepassword password-2 password-1",
    "/ping tok",
    "/restart",
    "/quit",
    "y",
    "n",
    "{u}",
    "password-1",
    "password-2",
    "//slash",
    "/nope",
];

const ANNOUNCEMENTS: [&str; 3] = ["maintenance at noon", "", "bell\x07 and\ttab"];

const ADDRESSES: [&str; 4] = ["127.0.0.1", "10.0.0.1", "10.0.0.2", "::1"];

const CONNS: u8 = 8;

fn limits() -> Limits {
    Limits {
        max_line_bytes: 128,
        max_held_lines: 5,
        max_queued_lines: 4,
        max_connections: 6,
        max_connections_per_address: 3,
        max_failed_attempts: 3,
        address_failures_per_window: 5,
        throttle_capacity: 8,
        login_timeout_ms: 30_000,
        idle_timeout_ms: 120_000,
        ..Limits::default()
    }
}

/// A real PHC string, made once: the engine stores it and hands it back in
/// `Verify` work, which the fuzzer answers without running argon2.
fn phc() -> &'static str {
    static PHC: OnceLock<String> = OnceLock::new();
    PHC.get_or_init(|| {
        password::hash(&HashParams::cheap(), &Password::new("password-1"), &[7; 16]).unwrap()
    })
}

/// The caller's side: what it has been asked and what it knows is open.
struct Caller {
    engine: Engine,
    now: Millis,
    open: BTreeSet<ConnId>,
    /// Who each connection was welcomed as (folded name).
    sessions: BTreeMap<ConnId, String>,
    jobs: Vec<PasswordJob>,
    persists: Vec<PersistRequest>,
    /// Connections the engine asked to hear drained of.
    drains: Vec<ConnId>,
    stopped: bool,
}

impl Caller {
    fn feed(&mut self, input: Input<'_>) {
        self.engine.handle(self.now, input);
        self.drain();
        self.check();
    }

    fn answer_job(&mut self, pick: u8, fake: Fake) {
        if self.jobs.is_empty() || self.stopped {
            return;
        }
        let job = self.jobs.remove(usize::from(pick) % self.jobs.len());
        let answer = match (&job.work, fake) {
            (PasswordWork::Hash { .. }, Fake::Error) => Err(PasswordError::Hash("fuzz".into())),
            (PasswordWork::Hash { .. }, _) => Ok(PasswordAnswer::Hashed(phc().to_owned())),
            (_, Fake::Error) => Err(PasswordError::BadHash),
            (_, fake) => Ok(PasswordAnswer::Verified(matches!(fake, Fake::Right))),
        };
        self.feed(Input::PasswordDone {
            job: job.id,
            answer,
        });
    }

    fn answer_drain(&mut self, pick: u8) {
        if self.drains.is_empty() || self.stopped {
            return;
        }
        let conn = self.drains.remove(usize::from(pick) % self.drains.len());
        if self.open.contains(&conn) {
            self.feed(Input::Drained { conn });
        }
    }

    fn answer_persist(&mut self, pick: u8, ok: bool) {
        if self.persists.is_empty() || self.stopped {
            return;
        }
        let req = self
            .persists
            .remove(usize::from(pick) % self.persists.len());
        let result = if ok {
            Ok(())
        } else {
            Err(PersistFailed("disk full".into()))
        };
        self.feed(Input::Persisted { id: req.id, result });
    }

    fn drain(&mut self) {
        while let Some(out) = self.engine.poll_output() {
            match out {
                Output::Send { conn, frame } => self.deliver(conn, &frame),
                Output::Broadcast { to, frame } => {
                    for conn in to.iter() {
                        self.deliver(conn, &frame);
                    }
                }
                Output::Close { conn, .. } => {
                    assert!(self.open.remove(&conn), "close of {conn:?}, not open");
                    self.sessions.remove(&conn);
                }
                Output::Password(job) => self.jobs.push(*job),
                Output::Persist(req) => self.persists.push(*req),
                Output::WhenDrained { conn } => self.drains.push(conn),
                Output::Stop { .. } => self.stopped = true,
                _ => {}
            }
        }
    }

    fn deliver(&mut self, conn: ConnId, frame: &[u8]) {
        assert!(self.open.contains(&conn), "send to {conn:?}, not open");
        assert!(!self.stopped, "send to {conn:?} after stop");
        assert_eq!(frame.last(), Some(&b'\n'), "frame not whole lines");
        let text = std::str::from_utf8(frame).expect("frame not UTF-8");
        for line in text.lines() {
            if let Some(rest) = line.strip_prefix("WELCOME ") {
                let name = rest.split(' ').next().unwrap().to_ascii_lowercase();
                assert!(
                    self.sessions.insert(conn, name).is_none(),
                    "{conn:?} welcomed twice"
                );
            }
            // What carries other people's words reaches clients clean.
            let tag = line.split(' ').next().unwrap_or("");
            if matches!(
                tag,
                "MSG" | "PM" | "JOIN" | "LEAVE" | "USER" | "KICKED" | "INFO" | "CTL"
            ) {
                assert!(
                    !line.chars().any(|c| c.is_control() && c != '\t'),
                    "control character in {line:?}"
                );
            }
        }
    }

    /// The engine's view of an account named as the fuzzer typed it.
    fn account(&self, name: &str) -> Option<chat_core::AccountState> {
        chat_core::UserName::parse(name)
            .ok()
            .and_then(|n| self.engine.account(&n))
    }

    fn check(&self) {
        let l = &self.engine.config().limits;
        let stats = self.engine.stats();
        assert_eq!(stats.outputs_queued, 0);
        assert_eq!(
            stats.connections,
            self.open.len(),
            "engine and caller disagree on open connections"
        );
        assert!(stats.connections <= l.max_connections);
        // A user is online at most once: one session per account, every
        // session in the room once, and as the clients were told.
        assert_eq!(stats.online, stats.in_room);
        assert!(stats.online <= stats.users);
        assert_eq!(stats.online, self.sessions.len(), "{:?}", self.sessions);
        let accounts: BTreeSet<&String> = self.sessions.values().collect();
        assert_eq!(
            accounts.len(),
            self.sessions.len(),
            "an account online twice: {:?}",
            self.sessions
        );
        // Online implies registered: `account` knows registered names only.
        for name in accounts {
            assert!(self.account(name).is_some_and(|a| a.online));
        }
        assert!(stats.timers <= 2 * stats.connections + 1024);
        assert!(stats.throttle_entries <= 2 * l.throttle_capacity);
        // The engine waits only for work it asked for and was not answered.
        assert!(stats.work_in_flight <= self.jobs.len() + self.persists.len());
        let bound = l.max_line_bytes * (l.max_queued_lines + 1);
        for &conn in &self.open {
            let s = self.engine.conn_stats(conn).unwrap_or_default();
            assert!(s.buffered_bytes <= bound);
            let (queued, held) = (s.queued_lines, s.held_lines);
            assert!(queued <= l.max_queued_lines && held <= l.max_held_lines);
        }
        // The configured admin stays admin and is never kicked.
        if let Some(root) = self.account("root") {
            assert_eq!(root.grant, Grant::Admin);
            assert!(!root.kicked);
        }
        for name in NAMES {
            if self.account(name).is_some_and(|a| a.kicked) {
                assert!(
                    !self.account(name).is_some_and(|a| a.online),
                    "{name} kicked but online"
                );
            }
        }
    }
}

fn bytes_of(parts: &[Part], mut chunk: impl FnMut(&[u8])) {
    let mut buf = Vec::new();
    for part in parts {
        match part {
            Part::Line { line, user } => {
                let name = NAMES[usize::from(*user) % NAMES.len()];
                let line = LINES[usize::from(*line) % LINES.len()].replace("{u}", name);
                buf.extend_from_slice(line.as_bytes());
                buf.push(b'\n');
            }
            Part::Raw(raw) => buf.extend_from_slice(raw),
            Part::Cut => chunk(&std::mem::take(&mut buf)),
        }
    }
    if !buf.is_empty() {
        chunk(&buf);
    }
}

fuzz_target!(|ops: Vec<Op>| {
    let config = Config {
        admins: vec!["root".into()],
        emit_events: true,
        limits: limits(),
        ..Config::default()
    };
    let mut c = Caller {
        engine: Engine::new(config, StoreSnapshot::default()).unwrap(),
        now: Millis(1_700_000_000_000),
        open: BTreeSet::new(),
        sessions: BTreeMap::new(),
        jobs: Vec::new(),
        persists: Vec::new(),
        drains: Vec::new(),
        stopped: false,
    };
    for op in ops {
        if c.stopped {
            break;
        }
        match op {
            Op::Open { conn, addr } => {
                let conn = ConnId(u64::from(conn % CONNS));
                if c.open.insert(conn) {
                    let peer: IpAddr = ADDRESSES[usize::from(addr) % ADDRESSES.len()]
                        .parse()
                        .unwrap();
                    c.feed(Input::Opened {
                        conn,
                        peer,
                        protocol: chat_core::codec::Protocol::Chat1,
                    });
                }
            }
            Op::Send { conn, parts } => {
                let conn = ConnId(u64::from(conn % CONNS));
                bytes_of(&parts, |bytes| {
                    if c.open.contains(&conn) && !c.stopped {
                        c.feed(Input::Received { conn, bytes });
                    }
                });
            }
            Op::Close { conn, too_slow } => {
                let conn = ConnId(u64::from(conn % CONNS));
                if c.open.remove(&conn) {
                    c.sessions.remove(&conn);
                    let cause = if too_slow {
                        CloseCause::TooSlow
                    } else {
                        CloseCause::Lost
                    };
                    c.feed(Input::Closed { conn, cause });
                }
            }
            Op::Password { pick, answer } => c.answer_job(pick, answer),
            Op::Persisted { pick, ok } => c.answer_persist(pick, ok),
            Op::Settle => {
                while !c.stopped
                    && !(c.jobs.is_empty() && c.persists.is_empty() && c.drains.is_empty())
                {
                    c.answer_job(0, Fake::Right);
                    c.answer_persist(0, true);
                    c.answer_drain(0);
                }
            }
            Op::Drained { pick } => c.answer_drain(pick),
            Op::Wait { ticks } => {
                c.now.0 += u64::from(ticks) * 256;
                c.feed(Input::Timeout);
                // Every deadline that passed has fired.
                if let Some(next) = c.engine.poll_timeout() {
                    assert!(next > c.now, "deadline {next:?} left behind at {:?}", c.now);
                }
            }
            Op::Announce { text } => {
                let text = ANNOUNCEMENTS[usize::from(text) % ANNOUNCEMENTS.len()];
                c.feed(Input::Announce { text });
            }
            Op::Shutdown => c.feed(Input::Shutdown),
        }
    }
});
