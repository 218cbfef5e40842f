//! The client session state machine.

use std::collections::{HashMap, VecDeque};

use zeroize::Zeroizing;

use super::catch_up::{conversation_key, CatchUp, Verdict};
use super::event::{Ended, Event, Received};
use crate::framing::Framer;
use crate::reply::{AskField, Control, Done, HistoryOf, Reply, Word};
use crate::wire::{account_answer, encode_command, parse, parse_reply, EncodeError};
use crate::{Command, HistoryPoint, HistoryRange, HistoryTarget, MsgId};

/// The longest server line a session accepts by default, ending included
/// (the server's own limit is 4096; a `/help` row or a long name list may
/// come close, so leave room).
pub const DEFAULT_MAX_LINE: usize = 64 * 1024;

/// A name and password, kept for the session's life so a reconnect can log
/// in again. The password is wiped from memory when dropped.
#[derive(Clone)]
pub struct Credentials {
    name: String,
    password: Zeroizing<String>,
}

impl Credentials {
    /// A name and password.
    pub fn new(name: &str, password: &str) -> Credentials {
        Credentials {
            name: name.to_owned(),
            password: Zeroizing::new(password.to_owned()),
        }
    }

    /// The user name.
    pub fn name(&self) -> &str {
        &self.name
    }
}

impl std::fmt::Debug for Credentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never print the password.
        f.debug_struct("Credentials")
            .field("name", &self.name)
            .finish_non_exhaustive()
    }
}

/// Whether the first login creates the account.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Auth {
    /// Register a new account.
    Register,
    /// Log in to an existing account.
    Login,
}

/// How the session logs in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LoginForm {
    /// One line, `/register NAME PW` or `/login NAME PW`, sent at once.
    OneLine,
    /// Answer the server's `ASK` steps.
    Dialog,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Phase {
    /// Not connected.
    Offline,
    /// Connected; logging in (or, without credentials, the user is).
    LoggingIn,
    /// Our login was refused on this connection.
    Refused,
    /// Logged in.
    InRoom,
    /// The server ended the session.
    Ended,
}

/// A client of protocol v1, without I/O. See the [module](super) docs.
#[derive(Debug)]
pub struct Session {
    creds: Option<Credentials>,
    auth: Auth,
    form: LoginForm,
    phase: Phase,
    /// Whether the next login is a re-login (always `/login`).
    relogin: bool,
    /// Whether this connection's login is the dialog (answer the `ASK`s)
    /// rather than one line already sent.
    by_dialog: bool,
    restarting: bool,
    framer: Framer,
    max_line: usize,
    transmit: Vec<u8>,
    events: VecDeque<Event>,
    /// A `/changepassword` sent and not yet confirmed: its new password.
    pending_password: Option<Zeroizing<String>>,
    /// Without credentials: the dialog step the next line answers, so the
    /// user's answers can be remembered for a reconnect. Counted from what
    /// was sent (answers piped ahead of the `ASK`s still count); an `ASK`
    /// after an `ERR` is the server asking that step again.
    login_step: Option<AskField>,
    /// The last answer to `ASK account` was yes: a password-again follows.
    login_registers: bool,
    login_refused: bool,
    typed_name: Option<String>,
    typed_password: Option<Zeroizing<String>>,
    /// In the room, during `/changepassword` without arguments: the step
    /// the next line answers. Counted from what was sent, so answers typed
    /// ahead of the server's `ASK`s are still read right.
    change_step: Option<AskField>,
    /// An `ERR` came in the room: an `ASK new-password` now is the server
    /// asking that step again.
    change_refused: bool,
    /// The rooms joined besides the lobby, as the server names them: joined
    /// again after a re-login.
    rooms: Vec<String>,
    /// Whether to ask for message ids (`/tags on`) on every connection.
    ids: bool,
    /// The oldest message id received per conversation (a room's folded
    /// name, or `@` and a folded user name), where paging back starts.
    oldest: HashMap<String, MsgId>,
    /// The newest message id passed on per conversation (keyed as
    /// `oldest`), where catching up after a re-login starts.
    newest: HashMap<String, MsgId>,
    /// Catching up on the conversations after a re-login.
    catch_up: CatchUp,
    /// A `/login` sent while in the room (switching accounts) and not
    /// yet answered: the credentials to log in with from then on.
    switching: Option<Credentials>,
}

impl Session {
    /// A session that logs in by itself with `creds`.
    pub fn new(creds: Credentials, auth: Auth, form: LoginForm) -> Session {
        Session::build(Some(creds), auth, form)
    }

    /// A session whose user logs in by hand (answering the `ASK`s or typing
    /// `/login`); the session remembers the name and password it sees sent
    /// so it can log in again after a restart.
    pub fn manual() -> Session {
        Session::build(None, Auth::Login, LoginForm::Dialog)
    }

    fn build(creds: Option<Credentials>, auth: Auth, form: LoginForm) -> Session {
        Session {
            creds,
            auth,
            form,
            phase: Phase::Offline,
            relogin: false,
            by_dialog: false,
            restarting: false,
            framer: Framer::new(DEFAULT_MAX_LINE),
            max_line: DEFAULT_MAX_LINE,
            transmit: Vec::new(),
            events: VecDeque::new(),
            pending_password: None,
            switching: None,
            login_step: None,
            login_registers: false,
            login_refused: false,
            typed_name: None,
            typed_password: None,
            change_step: None,
            change_refused: false,
            rooms: Vec::new(),
            ids: false,
            oldest: HashMap::new(),
            newest: HashMap::new(),
            catch_up: CatchUp::default(),
        }
    }

    /// Asks the server for message ids (`/tags on`, PROTOCOL.md 4.2), now
    /// if connected and on every connection from now on: lines then carry
    /// their ids ([`Received::id`]) and [`older_lines`](Session::older_lines)
    /// pages history by them, never missing or repeating a line.
    ///
    /// With ids, a re-login (after `CTL restart`, or on another node of a
    /// cluster) catches up: for each room it joins again, and the lobby,
    /// where it has seen a line, the session pages `/history <room> after
    /// id=<last>` instead of passing on the join's replay of the last
    /// lines, and holds the room's live lines until the pages are
    /// through. Every line said meanwhile comes out once, in order (as far
    /// as the server still keeps them); see
    /// [`is_catching_up`](Session::is_catching_up).
    ///
    /// ```
    /// use chat_core::client::{Auth, Credentials, LoginForm, Session};
    /// use chat_core::{HistoryTarget, MsgId};
    /// let creds = Credentials::new("alice", "a-long-password");
    /// let mut s = Session::new(creds, Auth::Login, LoginForm::OneLine);
    /// s.request_ids();
    /// s.on_connected();
    /// assert_eq!(s.poll_transmit().unwrap(), b"/tags on\n/login alice a-long-password\n");
    /// s.receive(b"OK tags on\nWELCOME alice 1\n@id=41 MSG 5 bob hi\n@id=40 HIST lobby 4 ann hello\n");
    /// assert_eq!(s.oldest_id(HistoryTarget::Room("Lobby")), Some(MsgId(40)));
    /// s.older_lines(HistoryTarget::Room("lobby"), Some(20)).unwrap();
    /// assert_eq!(s.poll_transmit().unwrap(), b"/history lobby 20 before id=40\n");
    /// ```
    pub fn request_ids(&mut self) {
        if !self.ids && self.phase != Phase::Offline {
            self.transmit.extend_from_slice(b"/tags on\n");
        }
        self.ids = true;
    }

    /// The oldest message id received in a conversation (a room, or
    /// private messages with a user), if any line of it came with one.
    pub fn oldest_id(&self, of: HistoryTarget<'_>) -> Option<MsgId> {
        self.oldest.get(&conversation_key(of)).copied()
    }

    /// Asks for the lines of a conversation older than the oldest one
    /// received (`/history <of> [count] before id=<id>`), or its last
    /// lines when none came yet. `END history` says whether older ones
    /// remain; asking again pages further back. Needs
    /// [`request_ids`](Session::request_ids) to page by id.
    pub fn older_lines(
        &mut self,
        of: HistoryTarget<'_>,
        count: Option<u64>,
    ) -> Result<(), EncodeError> {
        let range = match self.oldest_id(of) {
            Some(id) => HistoryRange::Before(HistoryPoint::Id(id)),
            None => HistoryRange::Latest(None),
        };
        self.send(&Command::History { of, count, range })
    }

    /// The newest message id passed on in a conversation (a room, or
    /// private messages with a user): after a re-login the session
    /// catches up from it (see [`request_ids`](Session::request_ids)).
    pub fn newest_id(&self, of: HistoryTarget<'_>) -> Option<MsgId> {
        self.newest.get(&conversation_key(of)).copied()
    }

    /// Whether the session is still catching up on what was said while
    /// it was away (after a re-login, see
    /// [`request_ids`](Session::request_ids)).
    pub fn is_catching_up(&self) -> bool {
        self.catch_up.is_busy()
    }

    /// Notes the id of a line of a conversation passed on; `newest` only
    /// when `mark` (a line of no page of the catch-up may be ahead of it).
    fn saw_id(&mut self, of: HistoryTarget<'_>, id: MsgId, mark: bool) {
        let key = conversation_key(of);
        if mark {
            let newest = self.newest.entry(key.clone()).or_insert(id);
            *newest = (*newest).max(id);
        }
        let oldest = self.oldest.entry(key).or_insert(id);
        *oldest = (*oldest).min(id);
    }

    /// Sets the longest server line accepted, ending included.
    pub fn set_max_line(&mut self, max_line: usize) {
        self.max_line = max_line;
        self.framer = Framer::new(max_line);
    }

    /// Whether the server has welcomed us on this connection.
    pub fn is_logged_in(&self) -> bool {
        self.phase == Phase::InRoom
    }

    /// Whether the connection should be opened again once it closes: the
    /// server announced a restart and the session can log in again.
    pub fn wants_reconnect(&self) -> bool {
        self.restarting && self.creds.is_some()
    }

    /// The rooms joined besides the lobby (`OK joined` minus parted,
    /// removed and closed ones); after a re-login the session joins them
    /// again by itself.
    pub fn rooms(&self) -> &[String] {
        &self.rooms
    }

    /// The name the session logs in with, once known.
    pub fn user(&self) -> Option<&str> {
        self.creds.as_ref().map(Credentials::name)
    }

    /// A connection (the first or a new one) is open: starts the login.
    pub fn on_connected(&mut self) {
        self.framer = Framer::new(self.max_line);
        self.transmit.clear();
        self.catch_up.reset();
        self.phase = Phase::LoggingIn;
        self.restarting = false;
        self.login_step = (self.creds.is_none()).then_some(AskField::Account);
        self.login_refused = false;
        if self.ids {
            // Before the login, so even the first lines carry their ids.
            self.transmit.extend_from_slice(b"/tags on\n");
        }
        // A re-login is always one line: the account exists by then.
        self.by_dialog = self.form == LoginForm::Dialog && !self.relogin;
        let Some(creds) = &self.creds else { return };
        if !self.by_dialog {
            let (name, password) = (creds.name.as_str(), creds.password.as_str());
            let cmd = if self.auth == Auth::Register && !self.relogin {
                Command::Register { name, password }
            } else {
                Command::Login { name, password }
            };
            if let Err(e) = encode_command(&cmd, &mut self.transmit) {
                // A name with a space can never log in: do not send it.
                self.phase = Phase::Refused;
                self.events.push_back(Event::CannotLogIn(e));
            }
        }
    }

    /// Bytes from the server, in any chunks.
    pub fn receive(&mut self, mut bytes: &[u8]) {
        while let Some(line) = self.framer.next_line(&mut bytes) {
            match line {
                Ok(line) => {
                    let line = line.into_owned();
                    self.receive_line(&line);
                }
                Err(e) => self.events.push_back(Event::Unreadable(e)),
            }
        }
    }

    /// One line from the server, without its ending.
    pub fn receive_line(&mut self, text: &str) {
        let Ok(line) = parse_reply(text) else {
            self.events.push_back(Event::Line(Received::new(text)));
            return;
        };
        let mark = match self.catch_up.sort(&line, &self.newest, &mut self.transmit) {
            Verdict::Pass { mark } => mark,
            Verdict::Hold(key) => {
                self.catch_up.hold(&key, Event::Line(Received::new(text)));
                return;
            }
            Verdict::Drop => {
                self.pass_released();
                return;
            }
        };
        self.events.push_back(Event::Line(Received::new(text)));
        self.note_id(&line, mark);
        match line {
            Reply::Ask { step, .. } => {
                if self.phase == Phase::InRoom
                    && step == Word::Known(AskField::NewPassword)
                    && std::mem::take(&mut self.change_refused)
                {
                    self.change_step = Some(AskField::NewPassword);
                }
                self.on_ask(step)
            }
            Reply::Welcome { user, grant } => {
                self.phase = Phase::InRoom;
                if std::mem::replace(&mut self.relogin, true) {
                    let rooms = std::mem::take(&mut self.rooms);
                    self.catch_up.start(rooms, &self.newest, &mut self.transmit);
                }
                if self.creds.is_none() {
                    if let Some(password) = self.typed_password.take() {
                        self.creds = Some(Credentials {
                            name: self.typed_name.take().unwrap_or_else(|| user.to_owned()),
                            password,
                        });
                    }
                }
                self.events.push_back(Event::LoggedIn {
                    user: user.to_owned(),
                    grant,
                });
            }
            Reply::Err { .. } if self.phase == Phase::InRoom => self.change_refused = true,
            Reply::Err { .. } if self.phase == Phase::LoggingIn && self.creds.is_none() => {
                self.login_refused = true;
            }
            Reply::Err { .. } if self.phase == Phase::LoggingIn && self.creds.is_some() => {
                self.phase = Phase::Refused;
                self.events
                    .push_back(Event::LoginRefused(Received::new(text)));
            }
            Reply::Ok(Done::Login(user)) if self.phase == Phase::InRoom => {
                // Logged in again (`/login` while in): as another account,
                // the old one's rooms and conversations are not caught up.
                let same = self.user().is_some_and(|u| u.eq_ignore_ascii_case(user));
                let switching = self.switching.take();
                if !same {
                    self.creds = switching.filter(|c| c.name.eq_ignore_ascii_case(user));
                    self.rooms.clear();
                    self.oldest.clear();
                    self.newest.clear();
                    self.relogin = false;
                }
            }
            Reply::Ok(Done::PasswordChanged) => {
                self.change_step = None;
                if let (Some(new), Some(creds)) = (self.pending_password.take(), &mut self.creds) {
                    creds.password = new;
                }
                self.events.push_back(Event::PasswordChanged);
            }
            Reply::Ok(Done::Joined(room)) if !self.rooms.iter().any(|r| r == room) => {
                self.rooms.push(room.to_owned());
            }
            Reply::Ok(Done::Parted(room) | Done::Closed(room)) => {
                self.forget_room(room);
            }
            Reply::RoomLeave { room, user, .. } if Some(user) == self.user() => {
                self.forget_room(room);
            }
            Reply::Ctl(ctl) => self.on_ctl(ctl),
            _ => {}
        }
        self.pass_released();
    }

    /// Notes the id a line passed on carries, in its conversation.
    fn note_id(&mut self, line: &Reply<'_>, mark: bool) {
        let Some(id) = line.id() else { return };
        let of = match *line {
            Reply::RoomMsg { room, .. } => HistoryTarget::Room(room),
            Reply::Pm { from, .. } => HistoryTarget::Private(from),
            Reply::Ok(Done::Sent { to, .. }) => HistoryTarget::Private(to),
            Reply::Hist { of, .. } => match of {
                HistoryOf::Room(room) => HistoryTarget::Room(room),
                HistoryOf::Private(user) => HistoryTarget::Private(user),
            },
            _ => return,
        };
        self.saw_id(of, id, mark);
    }

    /// Passes on the held lines of conversations that caught up, but for
    /// those a page of the catch-up brought already.
    fn pass_released(&mut self) {
        for event in self.catch_up.take_released() {
            if let Event::Line(received) = &event {
                if let Ok(line) = received.reply() {
                    let seen = match (&line, line.id()) {
                        (Reply::RoomMsg { room, .. }, Some(id)) => self
                            .newest_id(HistoryTarget::Room(room))
                            .is_some_and(|last| id <= last),
                        _ => false,
                    };
                    if seen {
                        continue;
                    }
                    self.note_id(&line, true);
                }
            }
            self.events.push_back(event);
        }
    }

    fn forget_room(&mut self, room: &str) {
        self.rooms.retain(|r| !r.eq_ignore_ascii_case(room));
    }

    fn on_ask(&mut self, step: Word<'_, AskField>) {
        if self.phase == Phase::LoggingIn
            && self.creds.is_none()
            && (std::mem::take(&mut self.login_refused) || self.login_step.is_none())
        {
            self.login_step = step.known();
        }
        if self.phase != Phase::LoggingIn || !self.by_dialog {
            return;
        }
        let Some(creds) = &self.creds else { return };
        let answer = match step {
            Word::Known(AskField::Account) => account_answer(self.auth == Auth::Register),
            Word::Known(AskField::Username) => creds.name.as_str(),
            Word::Known(AskField::Password | AskField::PasswordAgain) => creds.password.as_str(),
            // A step this client does not know: leave it to the user.
            _ => return,
        };
        // Dialog answers are taken verbatim by the server.
        if !answer.contains(['\n', '\r']) {
            self.transmit.extend_from_slice(answer.as_bytes());
            self.transmit.push(b'\n');
        }
    }

    fn on_ctl(&mut self, ctl: Control<'_>) {
        let ended = match ctl {
            Control::Restart => {
                self.restarting = true;
                self.events.push_back(Event::Restarting);
                return;
            }
            Control::Kick { by, reason } => Ended::Kicked {
                by: by.to_owned(),
                reason: reason.map(str::to_owned),
            },
            Control::Shutdown => Ended::Shutdown,
            Control::Disconnect => Ended::Disconnected,
            Control::Takeover => Ended::Takeover,
            Control::Removed { room, by, reason } => {
                self.forget_room(room);
                self.events.push_back(Event::RemovedFromRoom {
                    room: room.to_owned(),
                    by: by.to_owned(),
                    reason: reason.map(str::to_owned),
                });
                return;
            }
            _ => return,
        };
        self.phase = Phase::Ended;
        self.events.push_back(Event::Ended(ended));
    }

    /// The connection closed. Returns whether to reconnect (see
    /// [`wants_reconnect`](Session::wants_reconnect)).
    pub fn on_closed(&mut self) -> bool {
        if self.phase != Phase::Ended {
            self.phase = Phase::Offline;
        }
        self.wants_reconnect()
    }

    /// Sends a command.
    pub fn send(&mut self, cmd: &Command<'_>) -> Result<(), EncodeError> {
        encode_command(cmd, &mut self.transmit)?;
        self.track(cmd);
        Ok(())
    }

    /// Sends a line as the user typed it (a room message, a `/command`, or
    /// an answer to an `ASK`), without its ending.
    pub fn send_line(&mut self, line: &str) -> Result<(), EncodeError> {
        if line.contains(['\n', '\r']) {
            return Err(EncodeError::LineBreak("line"));
        }
        let cmd = if line.starts_with('/') {
            parse(line).ok()
        } else {
            None
        };
        let answering = self.phase == Phase::LoggingIn && self.creds.is_none();
        if self.phase == Phase::InRoom {
            // During a `/changepassword` dialog the line answers its step
            // whatever it starts with, and the new password is the one a
            // reconnect uses once the server confirms.
            match self.change_step.take() {
                Some(AskField::OldPassword) => self.change_step = Some(AskField::NewPassword),
                Some(AskField::NewPassword) => {
                    self.pending_password = Some(Zeroizing::new(line.to_owned()));
                    self.change_step = Some(AskField::NewPasswordAgain);
                }
                Some(_) => {}
                None => {
                    if let Some(cmd) = &cmd {
                        self.track(cmd);
                    }
                }
            }
            self.transmit.extend_from_slice(line.as_bytes());
            self.transmit.push(b'\n');
            return Ok(());
        }
        match cmd {
            Some(
                cmd @ (Command::Register { .. } | Command::Login { .. } | Command::Quit { .. }),
            ) => self.track(&cmd),
            // As the server does: while it asks for a password, a line
            // starting with '/' is the password.
            _ if answering && self.login_step.is_some_and(AskField::is_password) => {
                if self.login_step == Some(AskField::Password) {
                    self.typed_password = Some(Zeroizing::new(line.to_owned()));
                    self.login_step = self.login_registers.then_some(AskField::PasswordAgain);
                } else {
                    self.login_step = None;
                }
            }
            Some(cmd) => self.track(&cmd),
            None if answering && self.login_step == Some(AskField::Account) => {
                // As the server reads it.
                self.login_registers =
                    matches!(line.trim().to_ascii_lowercase().as_str(), "y" | "yes");
                self.login_step = Some(AskField::Username);
            }
            None if answering && self.login_step == Some(AskField::Username) => {
                self.typed_name = Some(line.to_owned());
                self.login_step = Some(AskField::Password);
            }
            None => {}
        }
        self.transmit.extend_from_slice(line.as_bytes());
        self.transmit.push(b'\n');
        Ok(())
    }

    /// Remembers what a command means for a later re-login.
    fn track(&mut self, cmd: &Command<'_>) {
        match *cmd {
            Command::ChangePassword { new, .. } => {
                self.pending_password = Some(Zeroizing::new(new.to_owned()));
            }
            Command::ChangePasswordDialog => {
                self.change_refused = false;
                self.change_step = Some(AskField::OldPassword);
            }
            Command::Login { name, password } if self.phase == Phase::InRoom => {
                self.switching = Some(Credentials {
                    name: name.to_owned(),
                    password: Zeroizing::new(password.to_owned()),
                });
            }
            Command::Register { name, password } | Command::Login { name, password }
                if self.creds.is_none() =>
            {
                self.typed_name = Some(name.to_owned());
                self.typed_password = Some(Zeroizing::new(password.to_owned()));
            }
            _ => {}
        }
    }

    /// The bytes to send now, if any.
    pub fn poll_transmit(&mut self) -> Option<Vec<u8>> {
        (!self.transmit.is_empty()).then(|| std::mem::take(&mut self.transmit))
    }

    /// The next event, if any.
    pub fn poll_event(&mut self) -> Option<Event> {
        self.events.pop_front()
    }
}
