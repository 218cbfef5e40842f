//! An in-memory harness: the engine, a simulated clock, and named
//! simulated clients with transcripts. Password work runs inline with cheap
//! parameters; store changes are acknowledged, held or failed on demand.

#![allow(dead_code)]

use std::collections::HashMap;
use std::net::IpAddr;
use std::time::Duration;

use chat_core::codec::Protocol;
use chat_core::password::HashParams;
use chat_core::{
    ChatEvent, CloseCause, CloseReason, Config, ConnId, Engine, Frame, Grant, Input, Millis,
    Output, PasswordJob, PersistFailed, PersistRequest, Recipients, StoreChange, StoreSnapshot,
    UserName, UserRecord,
};

pub const PW: &str = "password-1";

/// What happens to store changes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Persist {
    Ack,
    Hold,
    Fail,
}

pub struct Client {
    pub conn: ConnId,
    lines: Vec<String>,
    partial: Vec<u8>,
    pub frames: Vec<Frame>,
    pub closed: Option<CloseReason>,
}

pub struct Harness {
    pub engine: Engine,
    pub now: Millis,
    clients: HashMap<String, Client>,
    by_conn: HashMap<ConnId, String>,
    next_conn: u64,
    pub hold_password: bool,
    pub persist: Persist,
    pub held_jobs: Vec<PasswordJob>,
    pub held_persists: Vec<PersistRequest>,
    pub persisted: Vec<StoreChange>,
    pub events: Vec<ChatEvent>,
    pub stops: Vec<bool>,
    /// Connections that read nothing: the engine never hears they drained
    /// until [`Harness::drained`].
    pub stalled: Vec<ConnId>,
    /// Drains the engine asked to hear of for stalled connections.
    undrained: Vec<ConnId>,
}

/// The default configuration without flood control or the command budget,
/// and with loopback exempt from the per-address limits, so tests can send
/// many lines at one instant from one address (each limit has its own
/// tests).
pub fn unlimited() -> Config {
    let mut config = Config::default();
    config.limits.messages_per_second = 0;
    config.limits.command_units_per_second = 0;
    config.limits.exempt_loopback = true;
    config
}

/// A snapshot in which the configured `admins` exist with password [`PW`]
/// (as the operator would set it: the network cannot register them).
pub fn admin_snapshot(admins: &[&str]) -> StoreSnapshot {
    let phc = chat_core::password::hash(
        &HashParams::cheap(),
        &chat_core::password::Password::new(PW),
        &[3; 16],
    )
    .unwrap();
    StoreSnapshot {
        users: admins
            .iter()
            .map(|a| UserRecord {
                name: UserName::parse(a).unwrap(),
                grant: Grant::Admin,
                phc: phc.clone(),
                created: Millis(1),
            })
            .collect(),
        ..StoreSnapshot::default()
    }
}

pub fn loopback() -> IpAddr {
    "127.0.0.1".parse().unwrap()
}

impl Harness {
    /// The default configuration but without flood control, so tests can
    /// send many lines at one instant (flood control has its own test).
    pub fn new() -> Harness {
        Harness::with(unlimited(), StoreSnapshot::default())
    }

    /// Configured admins that exist with password [`PW`].
    pub fn with_admins(admins: &[&str]) -> Harness {
        let config = Config {
            admins: admins.iter().map(|a| a.to_string()).collect(),
            ..unlimited()
        };
        Harness::with(config, admin_snapshot(admins))
    }

    pub fn with(config: Config, snapshot: StoreSnapshot) -> Harness {
        Harness {
            engine: Engine::new(config, snapshot).unwrap(),
            now: Millis(1_000_000),
            clients: HashMap::new(),
            by_conn: HashMap::new(),
            next_conn: 1,
            hold_password: false,
            persist: Persist::Ack,
            held_jobs: Vec::new(),
            held_persists: Vec::new(),
            persisted: Vec::new(),
            events: Vec::new(),
            stops: Vec::new(),
            stalled: Vec::new(),
            undrained: Vec::new(),
        }
    }

    pub fn input(&mut self, input: Input<'_>) {
        self.engine.handle(self.now, input);
        self.pump();
    }

    /// Drains outputs, running work per the modes, until the engine is quiet.
    pub fn pump(&mut self) {
        loop {
            let mut feed = Vec::new();
            while let Some(out) = self.engine.poll_output() {
                match out {
                    Output::Send { conn, frame } => self.deliver(conn, frame),
                    Output::Broadcast { to, frame } => {
                        for conn in to.iter() {
                            self.deliver(conn, frame.clone());
                        }
                    }
                    Output::Close { conn, reason } => {
                        if let Some(c) = self
                            .by_conn
                            .get(&conn)
                            .and_then(|l| self.clients.get_mut(l))
                        {
                            c.closed = Some(reason);
                        }
                    }
                    Output::Password(job) => {
                        if self.hold_password {
                            self.held_jobs.push(*job);
                        } else {
                            let answer = job.run(&HashParams::cheap(), &[9; 16]);
                            feed.push(Input::PasswordDone {
                                job: job.id,
                                answer,
                            });
                        }
                    }
                    Output::Persist(req) => match self.persist {
                        Persist::Ack => {
                            self.persisted.push(req.change.clone());
                            feed.push(Input::Persisted {
                                id: req.id,
                                result: Ok(()),
                            });
                        }
                        Persist::Fail => feed.push(Input::Persisted {
                            id: req.id,
                            result: Err(PersistFailed("disk full".into())),
                        }),
                        Persist::Hold => self.held_persists.push(*req),
                    },
                    Output::WhenDrained { conn } => {
                        if self.stalled.contains(&conn) {
                            self.undrained.push(conn);
                        } else {
                            // A client that is not stalled reads all it
                            // is sent at once.
                            feed.push(Input::Drained { conn });
                        }
                    }
                    Output::Event(e) => self.events.push(*e),
                    Output::Stop { restart } => self.stops.push(restart),
                    _ => {}
                }
            }
            if feed.is_empty() {
                return;
            }
            for input in feed {
                self.engine.handle(self.now, input);
            }
        }
    }

    fn deliver(&mut self, conn: ConnId, frame: Frame) {
        if let Some(c) = self
            .by_conn
            .get(&conn)
            .and_then(|l| self.clients.get_mut(l))
        {
            assert!(c.closed.is_none(), "send after close to {conn}");
            c.partial.extend_from_slice(&frame);
            c.frames.push(frame);
            while let Some(i) = c.partial.iter().position(|&b| b == b'\n') {
                let line: Vec<u8> = c.partial.drain(..=i).collect();
                // IRC ends its lines in `\r\n`; chat/1 never sends `\r`.
                let end = if i > 0 && line[i - 1] == b'\r' {
                    i - 1
                } else {
                    i
                };
                c.lines
                    .push(String::from_utf8(line[..end].to_vec()).unwrap());
            }
        }
    }

    /// A stalled connection read what it was sent: the engine hears it
    /// drained, if it asked; it stays stalled for what comes next.
    pub fn drained(&mut self, label: &str) {
        let conn = self.conn(label);
        if let Some(at) = self.undrained.iter().position(|&c| c == conn) {
            self.undrained.remove(at);
            self.input(Input::Drained { conn });
        }
    }

    /// Answers the held password jobs (in order).
    pub fn release_jobs(&mut self) {
        for job in std::mem::take(&mut self.held_jobs) {
            let answer = job.run(&HashParams::cheap(), &[9; 16]);
            self.engine.handle(
                self.now,
                Input::PasswordDone {
                    job: job.id,
                    answer,
                },
            );
        }
        self.pump();
    }

    /// Answers the held store changes, all with `ok`.
    pub fn release_persists(&mut self, ok: bool) {
        for req in std::mem::take(&mut self.held_persists) {
            let result = if ok {
                self.persisted.push(req.change.clone());
                Ok(())
            } else {
                Err(PersistFailed("disk full".into()))
            };
            self.engine
                .handle(self.now, Input::Persisted { id: req.id, result });
        }
        self.pump();
    }

    pub fn connect(&mut self, label: &str) -> ConnId {
        self.connect_from(label, loopback())
    }

    pub fn connect_from(&mut self, label: &str, peer: IpAddr) -> ConnId {
        let conn = ConnId(self.next_conn);
        self.next_conn += 1;
        self.attach(label, conn);
        self.input(Input::Opened {
            conn,
            peer,
            protocol: Protocol::Chat1,
        });
        conn
    }

    /// Opens a connection speaking IRC.
    #[allow(dead_code)]
    pub fn connect_irc(&mut self, label: &str) -> ConnId {
        let conn = ConnId(self.next_conn);
        self.next_conn += 1;
        self.attach(label, conn);
        self.input(Input::Opened {
            conn,
            peer: loopback(),
            protocol: Protocol::Irc,
        });
        conn
    }

    /// Opens a connection with a chosen id (to test id reuse).
    pub fn connect_as(&mut self, label: &str, conn: ConnId) {
        self.attach(label, conn);
        self.input(Input::Opened {
            conn,
            peer: loopback(),
            protocol: Protocol::Chat1,
        });
    }

    fn attach(&mut self, label: &str, conn: ConnId) {
        self.by_conn.insert(conn, label.to_owned());
        self.clients.insert(
            label.to_owned(),
            Client {
                conn,
                lines: Vec::new(),
                partial: Vec::new(),
                frames: Vec::new(),
                closed: None,
            },
        );
    }

    pub fn conn(&self, label: &str) -> ConnId {
        self.clients[label].conn
    }

    pub fn client(&self, label: &str) -> &Client {
        &self.clients[label]
    }

    pub fn send(&mut self, label: &str, line: &str) {
        self.send_bytes(label, format!("{line}\n").as_bytes());
    }

    pub fn send_bytes(&mut self, label: &str, bytes: &[u8]) {
        let conn = self.conn(label);
        self.input(Input::Received { conn, bytes });
    }

    /// Sends one line from `label` and returns the room broadcast's
    /// recipients, draining the engine by hand to see the outputs
    /// themselves (nothing is delivered).
    pub fn broadcast_list(&mut self, label: &str, line: &str) -> Recipients {
        let conn = self.conn(label);
        let bytes = format!("{line}\n");
        let now = self.now;
        self.engine.handle(
            now,
            Input::Received {
                conn,
                bytes: bytes.as_bytes(),
            },
        );
        let mut list = None;
        while let Some(out) = self.engine.poll_output() {
            if let Output::Broadcast { to, .. } = out {
                assert!(list.replace(to).is_none(), "one broadcast per message");
            }
        }
        list.expect("a broadcast")
    }

    /// Lines received since the last take.
    pub fn take(&mut self, label: &str) -> Vec<String> {
        std::mem::take(&mut self.clients.get_mut(label).unwrap().lines)
    }

    /// The last line received (and forgets all).
    pub fn last(&mut self, label: &str) -> String {
        self.take(label).pop().unwrap_or_default()
    }

    pub fn closed(&self, label: &str) -> Option<CloseReason> {
        self.clients[label].closed
    }

    /// The peer goes away.
    pub fn drop_conn(&mut self, label: &str, cause: CloseCause) {
        let conn = self.conn(label);
        self.input(Input::Closed { conn, cause });
    }

    /// Connects and registers with the one-line form (or, for a
    /// configured admin, logs in); asserts WELCOME.
    pub fn register(&mut self, label: &str, name: &str) {
        self.connect(label);
        let admin = self.engine.config().admins.iter().any(|a| a == name);
        let verb = if admin { "login" } else { "register" };
        self.send(label, &format!("/{verb} {name} {PW}"));
        let lines = self.take(label);
        assert!(
            lines.iter().any(|l| l.starts_with("WELCOME ")),
            "{name} did not get in: {lines:?}"
        );
    }

    /// Connects and logs in with the one-line form; returns the lines.
    pub fn login(&mut self, label: &str, name: &str, password: &str) -> Vec<String> {
        self.connect(label);
        self.send(label, &format!("/login {name} {password}"));
        self.take(label)
    }

    /// Moves the clock and fires due deadlines.
    pub fn advance(&mut self, by: Duration) {
        self.now = self.now + by;
        if self.engine.poll_timeout().is_some_and(|t| t <= self.now) {
            self.input(Input::Timeout);
        }
    }
}

/// Whether some line starts with `prefix`.
pub fn has(lines: &[String], prefix: &str) -> bool {
    lines.iter().any(|l| l.starts_with(prefix))
}

/// A checked user name, for [`chat_core::Engine::account`].
#[allow(dead_code)]
pub fn user(name: &str) -> chat_core::UserName {
    chat_core::UserName::parse(name).unwrap()
}
