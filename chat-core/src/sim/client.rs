//! Simulated users: who they are, what they believe, and what they do next.

use std::collections::{HashMap, HashSet, VecDeque};

use crate::ConnId;

use super::rng::Rng;

/// An account the simulated users share: its name and what the users
/// believe about it.
#[derive(Clone, Debug)]
pub struct Identity {
    /// The account name.
    pub name: String,
    /// The password the users believe is current.
    pub password: String,
    /// After a crash during a password change: the other password that may
    /// be current.
    pub maybe: Option<String>,
    /// Whether a registration was acknowledged (or a login succeeded).
    pub registered: bool,
    /// A new password on its way (`/changepassword` sent, not answered).
    pub changing: Option<String>,
    /// An account a garbage client's bytes happened to register: nobody
    /// knows its password, so no check may expect a login to it to work.
    pub stray: bool,
}

/// How a simulated user behaves, drawn from the seed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// Registers or logs in, talks, sends PMs, goes busy and free.
    Regular,
    /// Like a regular user, and uses admin commands when it may.
    Admin,
    /// Sends random bytes: bad UTF-8, control characters, long lines.
    Garbage,
    /// Logs in, then sends many lines at once.
    Flooder,
    /// Guesses passwords of other accounts.
    Guesser,
}

/// Where a simulated connection is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Phase {
    /// Connected, not logged in.
    Dialog,
    /// Logged in (got `WELCOME`).
    Online,
    /// Gone (closed by the engine or the peer).
    Closed,
}

/// What the last login attempt was.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Attempt {
    /// None in flight.
    None,
    /// `/register` with the identity's password.
    Register,
    /// `/login` with `password`; `right` when it is the believed one.
    Login {
        /// The password tried.
        password: String,
        /// Whether it is the one the users believe.
        right: bool,
    },
}

/// One simulated connection.
#[derive(Debug)]
pub struct Client {
    /// The engine's id for it.
    pub conn: ConnId,
    /// Index into the identities.
    pub ident: usize,
    /// Behaviour.
    pub kind: Kind,
    /// Where it is.
    pub phase: Phase,
    /// Whether it still reads what it is sent; a non-reader is left out
    /// of the delivery checks.
    pub reading: bool,
    /// Bytes written by the client, not yet through the network.
    pub outbox: Vec<u8>,
    /// Bytes received and not yet a whole line.
    pub partial: Vec<u8>,
    /// Bytes received while not reading.
    pub unread: usize,
    /// Whether it got `CTL busy` and not `CTL free` since.
    pub busy: bool,
    /// Whether it has ever been busy.
    pub ever_busy: bool,
    /// Room lines dropped for it, as `END held` said.
    pub dropped: u64,
    /// The room log's length when it was welcomed.
    pub start: usize,
    /// The room log positions it received, in order.
    pub last_seen: Option<usize>,
    /// How many room-log lines it received.
    pub received: usize,
    /// Room lines it received, to catch a duplicate.
    pub seen: HashSet<usize>,
    /// Its grant says admin.
    pub admin: bool,
    /// The login attempt in flight.
    pub attempt: Attempt,
    /// A `/changepassword` in flight, followed by `/ping <token>`: it sends
    /// nothing else until the `PONG` shows the change was answered.
    pub awaiting_password: Option<String>,
    /// The server dropped one of its dialog lines (over the command budget
    /// or the queue): what it answers next may belong to another step than
    /// the client thinks, so its refusals say nothing about the store.
    pub lost_lines: bool,
    /// The step of the last `ASK` it got.
    pub asked: Option<String>,
    /// The dialog answers still to give, each for the step it answers: a
    /// client answers an `ASK` when it comes, as a person would, so a step
    /// asked again after a typo is never answered with the next step's
    /// answer.
    pub answers: VecDeque<(&'static str, String)>,
    /// The rooms besides the lobby it is in, folded, as its own lines
    /// say (`OK joined`, `OK parted`, `CTL removed`, `RLEAVE ... closed`).
    pub rooms: HashSet<String>,
    /// Whether it turned tags on (`/tags on`): its lines carry ids.
    pub tags: bool,
    /// The id of the last live line it got, per room (folded; `lobby`).
    pub last_ids: HashMap<String, u64>,
    /// A walk back through a room's history in flight: it sends nothing
    /// else until the walk ends.
    pub walk: Option<Walk>,
    /// Rooms joined whose history (sent as the connection drains, ended
    /// by `END history`) has not ended yet: their lines are not a walk's.
    pub replays: u32,
}

/// A walk back through a room's history, page by page by id.
#[derive(Clone, Debug, Default)]
pub struct Walk {
    /// The room, folded.
    pub room: String,
    /// Lines a page.
    pub count: usize,
    /// The ids of the pages so far, oldest first.
    pub ids: Vec<u64>,
    /// The ids of the page being read.
    pub page: Vec<u64>,
    /// The token of the `PING` sent just before the walk's first request,
    /// until its `PONG` comes: what comes before it answers lines sent
    /// earlier (a kick waiting to be durable, then refused), not the walk.
    pub fence: Option<String>,
}

impl Client {
    /// A new connection.
    pub fn new(conn: ConnId, ident: usize, kind: Kind) -> Client {
        Client {
            conn,
            ident,
            kind,
            phase: Phase::Dialog,
            reading: true,
            outbox: Vec::new(),
            partial: Vec::new(),
            unread: 0,
            busy: false,
            ever_busy: false,
            dropped: 0,
            start: 0,
            last_seen: None,
            received: 0,
            seen: HashSet::new(),
            admin: false,
            attempt: Attempt::None,
            awaiting_password: None,
            lost_lines: false,
            asked: None,
            answers: VecDeque::new(),
            rooms: HashSet::new(),
            tags: false,
            last_ids: HashMap::new(),
            walk: None,
            replays: 0,
        }
    }

    /// Queues a line to send.
    pub fn write(&mut self, line: &str) {
        self.outbox.extend_from_slice(line.as_bytes());
        self.outbox.push(b'\n');
    }
}

/// Random bytes for a garbage client: bad UTF-8, control characters,
/// over-long lines, commands with wrong arguments.
pub fn garbage(rng: &mut Rng, max_line: usize, tag: u64) -> Vec<u8> {
    match rng.below(6) {
        0 => vec![0xff, 0xfe, b'x', b'\n'],
        1 => {
            let mut v = vec![b'a'; max_line + rng.below(64)];
            v.push(b'\n');
            v
        }
        2 => format!("/changegrant\n/msg\n/kickuser\n/bogus {tag}\n").into_bytes(),
        3 => format!("bell \x07 #{tag}\r\n").into_bytes(),
        4 => {
            let n = rng.below(40);
            let mut v: Vec<u8> = (0..n).map(|_| (rng.next_u64() & 0xff) as u8).collect();
            v.push(b'\n');
            v
        }
        _ => format!("y\n\n-bad name-\nn\nnobody\n{tag}\n").into_bytes(),
    }
}
