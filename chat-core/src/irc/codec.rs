//! The IRC state of one connection.

use std::borrow::Cow;
use std::collections::VecDeque;
use std::io::Write;
use std::ops::Range;

use super::message::{self, Malformed, Message};
use super::render::{as_notices, shared, RoomCaps, CHANNEL, HOST};
use super::sasl;
use crate::command::TopicChange;
use crate::error::Refusal;
use crate::reply::{Control, Done, HistoryOf, Listing, Notice, Presence, Reason, Reply, RoomLimit};
use crate::wire::FrameError;
use crate::{Command, Grant, UserName};
use zeroize::Zeroizing;

/// The capabilities offered (`CAP LS`), `sasl` first (its value is
/// added for `CAP LS 302`).
const CAPS: [&str; 7] = [
    "sasl",
    "multi-prefix",
    "echo-message",
    "cap-notify",
    "server-time",
    "message-tags",
    "away-notify",
];

/// The name of the services nick.
const NICKSERV: &str = "NickServ";

/// How a login under way was asked for: its failure is told that way.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Via {
    Sasl,
    Pass,
    NickServ,
    /// Registered without a login, on a server that takes guests.
    Guest,
}

/// A command for the engine, as ranges into the prepared line.
#[derive(Clone, Debug)]
enum Note {
    Say(Range<usize>),
    MessageTo(Range<usize>, Range<usize>),
    Login(Range<usize>, Range<usize>),
    Guest(Range<usize>),
    Register(Range<usize>, Range<usize>),
    ChangePassword(Range<usize>, Range<usize>),
    Grant(Range<usize>, Grant),
    Kick(Range<usize>, Option<Range<usize>>),
    Unkick(Range<usize>),
    Ping(Option<Range<usize>>),
    Users,
    Kicked,
    Busy,
    Free,
    Help,
    Restart,
    Quit,
    /// `JOIN #room`: the room's name, without `#`.
    Enter(Range<usize>),
    Part(Range<usize>),
    RoomMembers(Range<usize>),
    ListRooms,
    /// `TOPIC #room [text]`: no text shows it, an empty one clears it.
    Topic(Range<usize>, Option<Range<usize>>),
    SayIn(Range<usize>, Range<usize>),
    Remove(Range<usize>, Range<usize>, Option<Range<usize>>),
}

/// What a listing of the engine is for.
#[derive(Clone, Debug, PartialEq, Eq)]
enum ListKind {
    /// Names on joining: topic, names, end.
    JoinNames,
    /// `NAMES`.
    Names,
    /// `WHO`, of everyone or of one nick.
    Who(Option<String>),
    /// The ban list (`MODE #lobby b`).
    Bans,
    /// Names of a room (on joining it, or `NAMES #room`), as the channel
    /// the client named.
    RoomNames(String),
}

/// What one IRC connection keeps: framing, registration, capabilities,
/// the nick, and the listings asked for and not yet answered.
#[derive(Debug)]
pub struct IrcCodec {
    nick: Option<String>,
    user_seen: bool,
    /// Inside `CAP LS`/`REQ` ... `CAP END`: registration waits.
    negotiating: bool,
    echo: bool,
    multi_prefix: bool,
    /// `server-time`, `message-tags`, `away-notify`.
    server_time: bool,
    message_tags: bool,
    away_notify: bool,
    /// A `CAP REQ` changed [`RoomCaps`] since last asked.
    caps_changed: bool,
    /// Whether registering without a login makes a guest.
    guests: bool,
    caps_302: bool,
    /// `PASS` given before registration: (name, password).
    /// Wiped when dropped, like the SASL payload.
    pass: Option<(Option<String>, Zeroizing<String>)>,
    /// `AUTHENTICATE PLAIN` seen; the payload gathered so far.
    sasl: Option<Zeroizing<String>>,
    /// 001 sent.
    registered: bool,
    logged_in: bool,
    login: Option<Via>,
    note: Option<Note>,
    local: Vec<u8>,
    listings: VecDeque<ListKind>,
    /// Names of a NAMES listing gathered until its end.
    names: Vec<String>,
    /// Whether the last line pushed a listing (for [`IrcCodec::unread`]).
    pushed_listing: bool,
    /// `login` before the last line.
    login_before: Option<Via>,
    /// Lines the last one stands for beside itself (a `JOIN` of several
    /// channels: one command each), to be read next.
    followups: Vec<String>,
    /// 321 went out for the `LIST` being answered.
    list_started: bool,
}

impl Default for IrcCodec {
    fn default() -> IrcCodec {
        IrcCodec::new()
    }
}

impl IrcCodec {
    /// A connection before registration.
    pub fn new() -> IrcCodec {
        IrcCodec {
            nick: None,
            user_seen: false,
            negotiating: false,
            echo: false,
            multi_prefix: false,
            server_time: false,
            message_tags: false,
            away_notify: false,
            caps_changed: false,
            guests: false,
            caps_302: false,
            pass: None,
            sasl: None,
            registered: false,
            logged_in: false,
            login: None,
            note: None,
            local: Vec::new(),
            listings: VecDeque::new(),
            names: Vec::new(),
            pushed_listing: false,
            login_before: None,
            followups: Vec::new(),
            list_started: false,
        }
    }

    /// Whether the client asked to see its own room lines (`echo-message`).
    pub fn echoes_own_lines(&self) -> bool {
        self.echo
    }

    /// The capabilities that change how room lines look to this client.
    pub fn room_caps(&self) -> RoomCaps {
        RoomCaps::new(self.server_time, self.away_notify)
    }

    /// [`room_caps`](IrcCodec::room_caps), if a `CAP REQ` changed them
    /// since last asked.
    pub fn take_caps_change(&mut self) -> Option<RoomCaps> {
        std::mem::take(&mut self.caps_changed).then(|| self.room_caps())
    }

    /// Lets the connection chat as a guest when registration ends
    /// without a login.
    pub fn allow_guests(&mut self, on: bool) {
        self.guests = on;
    }

    /// The lines the last one stands for beside itself, in order (see
    /// `followups`).
    pub fn take_followups(&mut self) -> Vec<String> {
        std::mem::take(&mut self.followups)
    }

    /// What the codec answered by itself since last asked.
    pub fn take_local(&mut self) -> Option<Vec<u8>> {
        (!self.local.is_empty()).then(|| std::mem::take(&mut self.local))
    }

    /// Runs the IRC state machine on a line (see the module doc); the
    /// line [`parse`](IrcCodec::parse) must read next.
    pub fn prepare<'b>(&mut self, line: Cow<'b, str>) -> Cow<'b, str> {
        self.note = None;
        let owned = match message::parse(&line) {
            Ok(msg) => self.on_message(&line, &msg),
            Err(Malformed::Empty) => None,
            Err(Malformed::TooLong) => {
                self.numeric("417", ":Input line was too long");
                None
            }
        };
        match owned {
            Some(own) => Cow::Owned(own),
            None => line,
        }
    }

    /// The command noted by [`prepare`](IrcCodec::prepare), read from the
    /// line it returned; `None` when the codec answered by itself.
    pub fn parse<'l>(&mut self, line: &'l str) -> Result<Option<Command<'l>>, Refusal> {
        let s = |r: &Range<usize>| line.get(r.clone()).unwrap_or("");
        let Some(note) = self.note.take() else {
            return Ok(None);
        };
        Ok(Some(match &note {
            Note::Say(t) => Command::Say(s(t)),
            Note::MessageTo(to, t) => Command::MessageTo {
                to: s(to),
                text: s(t),
            },
            Note::Login(n, p) => Command::Login {
                name: s(n),
                password: s(p),
            },
            Note::Guest(n) => Command::Guest { name: s(n) },
            Note::Register(n, p) => Command::Register {
                name: s(n),
                password: s(p),
            },
            Note::ChangePassword(o, n) => Command::ChangePassword {
                old: s(o),
                new: s(n),
            },
            Note::Grant(u, g) => Command::ChangeGrant {
                user: s(u),
                grant: *g,
            },
            Note::Kick(u, r) => Command::Kick {
                user: s(u),
                reason: r.as_ref().map(s).filter(|r| !r.is_empty()),
            },
            Note::Unkick(u) => Command::Unkick { user: s(u) },
            Note::Ping(t) => Command::Ping {
                token: t.as_ref().map(s),
            },
            Note::Users => Command::ViewUsers { page: 1 },
            Note::Kicked => Command::ViewKicked { page: 1 },
            Note::Busy => Command::Busy,
            Note::Free => Command::Free,
            Note::Help => Command::Help,
            Note::Restart => Command::Restart,
            Note::Quit => Command::Quit,
            Note::Enter(room) => Command::EnterRoom { room: s(room) },
            Note::Part(room) => Command::PartRoom { room: s(room) },
            Note::RoomMembers(room) => Command::RoomMembers { room: s(room) },
            Note::ListRooms => Command::ListRooms { page: 1 },
            Note::Topic(room, text) => Command::Topic {
                room: s(room),
                change: match text {
                    None => TopicChange::Show,
                    Some(t) if t.is_empty() => TopicChange::Clear,
                    Some(t) => TopicChange::Set(s(t)),
                },
            },
            Note::SayIn(room, text) => Command::SayIn {
                room: s(room),
                text: s(text),
            },
            Note::Remove(room, user, reason) => Command::RemoveFromRoom {
                room: s(room),
                user: s(user),
                reason: reason.as_ref().map(s).filter(|r| !r.is_empty()),
            },
        }))
    }

    /// The line just parsed was dropped unread (over the command budget):
    /// a listing or a login it asked for will not be answered.
    pub fn unread(&mut self) {
        if self.pushed_listing {
            self.listings.pop_back();
            self.pushed_listing = false;
        }
        self.login = self.login_before;
    }

    // ---- lines from the client -------------------------------------------

    /// The nick, or `*` before `NICK`.
    fn me(&self) -> &str {
        self.nick.as_deref().unwrap_or("*")
    }

    /// `:chat <code> <me> <rest>`.
    fn numeric(&mut self, code: &str, rest: &str) {
        let me = self.nick.as_deref().unwrap_or("*");
        let _ = write!(self.local, ":{HOST} {code} {me} {rest}\r\n");
    }

    fn nickserv_says(&mut self, text: &str) {
        let me = self.nick.as_deref().unwrap_or("*");
        let _ = write!(
            self.local,
            ":{NICKSERV}!{NICKSERV}@{HOST} NOTICE {me} :{text}\r\n"
        );
    }

    fn need(&mut self, msg: &Message<'_>, n: usize) -> bool {
        if msg.params.len() < n || msg.params[..n].iter().any(|p| p.is_empty()) {
            let rest = format!(
                "{} :Not enough parameters",
                msg.command.to_ascii_uppercase()
            );
            self.numeric("461", &rest);
            return false;
        }
        true
    }

    fn push_listing(&mut self, kind: ListKind) {
        self.listings.push_back(kind);
        self.pushed_listing = true;
    }

    /// One message; `Some(line)` when the noted command reads from a line
    /// of the codec's.
    fn on_message(&mut self, line: &str, msg: &Message<'_>) -> Option<String> {
        self.pushed_listing = false;
        self.login_before = self.login;
        let cmd = msg.command.to_ascii_uppercase();
        let r = |part: &str| range_in(line, part);
        match cmd.as_str() {
            "CAP" => return self.cap(msg),
            "PING" => {
                if self.logged_in {
                    self.note = Some(Note::Ping(msg.params.first().map(|p| r(p))));
                } else {
                    let token = msg.params.first().copied().unwrap_or(HOST);
                    let _ = write!(self.local, ":{HOST} PONG {HOST} :{token}\r\n");
                }
            }
            // Any line shows the client is alive (the engine counts it).
            "PONG" => {}
            "QUIT" => self.note = Some(Note::Quit),
            "NICK" => return self.nick_cmd(msg),
            "USER" => {
                // After a SASL login the greeting may have gone out before
                // the client's first USER: that one is still welcome.
                if self.user_seen {
                    self.numeric("462", ":You may not reregister");
                } else if self.need(msg, 4) {
                    self.user_seen = true;
                    return self.try_register();
                }
            }
            "PASS" => {
                if self.registered {
                    self.numeric("462", ":You may not reregister");
                } else if self.need(msg, 1) {
                    let p = msg.params[0];
                    self.pass = Some(match p.split_once(':') {
                        Some((name, pw)) if UserName::parse(name).is_ok() && !pw.is_empty() => {
                            (Some(name.to_owned()), Zeroizing::new(pw.to_owned()))
                        }
                        _ => (None, Zeroizing::new(p.to_owned())),
                    });
                }
            }
            "AUTHENTICATE" => return self.authenticate(msg),
            "NICKSERV" | "NS" => {
                if self.registered {
                    let text = msg.params.join(" ");
                    return self.nickserv(&text);
                }
                self.numeric("451", ":You have not registered");
            }
            "PRIVMSG" | "NOTICE" if self.registered => {
                if !self.need(msg, 2) {
                    return None;
                }
                let (target, text) = (msg.params[0], msg.params[1]);
                if target.eq_ignore_ascii_case(NICKSERV) {
                    return self.nickserv(text);
                }
                if !self.logged_in {
                    self.nickserv_says(
                        "Log in first: /msg NickServ IDENTIFY <password>, or REGISTER <password>",
                    );
                    return None;
                }
                let text = match text.strip_prefix('\u{1}') {
                    // CTCP: an ACTION is said as its text, the rest unanswered.
                    Some(ctcp) => match ctcp.strip_prefix("ACTION ") {
                        Some(action) => action.trim_end_matches('\u{1}'),
                        None => return None,
                    },
                    None => text,
                };
                if target.eq_ignore_ascii_case(CHANNEL) {
                    self.note = Some(Note::Say(r(text)));
                } else if let Some(room) = target.strip_prefix('#') {
                    self.note = Some(Note::SayIn(r(room), r(text)));
                } else {
                    self.note = Some(Note::MessageTo(r(target), r(text)));
                }
            }
            _ if !self.logged_in => {
                if self.registered {
                    // Clients join on 001; the room comes with the login.
                    if cmd != "JOIN" && cmd != "MODE" {
                        self.numeric("451", ":You have not registered");
                        self.nickserv_says("Log in first: /msg NickServ IDENTIFY <password>, or REGISTER <password>");
                    }
                } else if cmd != "JOIN" || self.nick.is_some() {
                    self.numeric("451", ":You have not registered");
                } else {
                    // irssi's `JOIN :` probe before CAP.
                    self.numeric("451", ":You have not registered");
                }
            }
            _ => self.online_command(&cmd, line, msg),
        }
        None
    }

    fn online_command(&mut self, cmd: &str, line: &str, msg: &Message<'_>) {
        let r = |part: &str| range_in(line, part);
        let lobby = |p: Option<&&str>| p.is_some_and(|c| c.eq_ignore_ascii_case(CHANNEL));
        match cmd {
            "JOIN" => {
                if self.need(msg, 1) {
                    self.each_channel("JOIN", msg.params[0], |codec, chan| match room_of(chan) {
                        Some(room) => codec.note = Some(Note::Enter(r(room))),
                        None => codec.no_such_channel(chan),
                    });
                }
            }
            "PART" => {
                if self.need(msg, 1) {
                    self.each_channel("PART", msg.params[0], |codec, chan| match room_of(chan) {
                        Some(room) => codec.note = Some(Note::Part(r(room))),
                        None => codec.no_such_channel(chan),
                    });
                }
            }
            "LIST" => self.note = Some(Note::ListRooms),
            "NAMES" => match msg.params.first().and_then(|c| c.split(',').next()) {
                Some(chan) if !lobby(Some(&chan)) => match room_of(chan) {
                    Some(room) => {
                        self.push_listing(ListKind::RoomNames(chan.to_owned()));
                        self.note = Some(Note::RoomMembers(r(room)));
                    }
                    None => {
                        let end = format!("{chan} :End of /NAMES list");
                        self.numeric("366", &end);
                    }
                },
                _ => {
                    self.push_listing(ListKind::Names);
                    self.note = Some(Note::Users);
                }
            },
            "WHO" => {
                let mask = msg.params.first().copied().unwrap_or("*");
                let who = (!mask.starts_with('#') && mask != "*").then(|| mask.to_owned());
                self.push_listing(ListKind::Who(who));
                self.note = Some(Note::Users);
            }
            "TOPIC" => {
                if !self.need(msg, 1) {
                    return;
                }
                if lobby(msg.params.first()) {
                    return self.numeric("331", &format!("{CHANNEL} :No topic is set"));
                }
                match room_of(msg.params[0]) {
                    Some(room) => {
                        let text = msg.params.get(1).map(|t| r(t));
                        self.note = Some(Note::Topic(r(room), text));
                    }
                    None => self.no_such_channel(msg.params[0]),
                }
            }
            "MODE" => self.mode(line, msg),
            "KICK" => {
                if self.need(msg, 2) {
                    let reason = msg.params.get(2).map(|p| r(p));
                    let nick = r(msg.params[1]);
                    if lobby(msg.params.first()) {
                        self.note = Some(Note::Kick(nick, reason));
                        return;
                    }
                    match room_of(msg.params[0]) {
                        Some(room) => self.note = Some(Note::Remove(r(room), nick, reason)),
                        None => self.no_such_channel(msg.params[0]),
                    }
                }
            }
            "AWAY" => {
                let busy = msg.params.first().is_some_and(|p| !p.is_empty());
                self.note = Some(if busy { Note::Busy } else { Note::Free });
            }
            "USERHOST" => {
                if self.need(msg, 1) {
                    let hosts: Vec<String> = msg
                        .params
                        .iter()
                        .take(5)
                        .map(|n| format!("{n}=+{n}@{HOST}"))
                        .collect();
                    self.numeric("302", &format!(":{}", hosts.join(" ")));
                }
            }
            "WHOIS" => {
                if self.need(msg, 1) {
                    let nick = msg.params[msg.params.len() - 1];
                    self.numeric("318", &format!("{nick} :End of /WHOIS list"));
                }
            }
            "MOTD" => self.numeric("422", ":MOTD File is missing"),
            // Tags only (message-tags): nothing here reads client tags.
            "TAGMSG" => {}
            "HELP" => self.note = Some(Note::Help),
            "RESTART" => self.note = Some(Note::Restart),
            _ => self.numeric("421", &format!("{cmd} :Unknown command")),
        }
    }

    fn mode(&mut self, line: &str, msg: &Message<'_>) {
        let r = |part: &str| range_in(line, part);
        if !self.need(msg, 1) {
            return;
        }
        let target = msg.params[0];
        if !target.starts_with('#') {
            if target.eq_ignore_ascii_case(self.me()) {
                self.numeric("221", "+");
            } else {
                self.numeric("502", ":Can't change mode for other users");
            }
            return;
        }
        if !target.eq_ignore_ascii_case(CHANNEL) {
            return self.room_mode(target, msg.params.get(1).copied());
        }
        let Some(modes) = msg.params.get(1) else {
            self.numeric("324", &format!("{CHANNEL} +nt"));
            return;
        };
        let arg = msg.params.get(2).map(|a| a.split('!').next().unwrap_or(a));
        match (*modes, arg) {
            ("b" | "+b", None) => {
                self.push_listing(ListKind::Bans);
                self.note = Some(Note::Kicked);
            }
            ("+o", Some(nick)) => self.note = Some(Note::Grant(r(nick), Grant::Admin)),
            ("-o", Some(nick)) => self.note = Some(Note::Grant(r(nick), Grant::User)),
            ("+b", Some(nick)) => self.note = Some(Note::Kick(r(nick), None)),
            ("-b", Some(nick)) => self.note = Some(Note::Unkick(r(nick))),
            ("+o" | "-o" | "-b", None) => {
                let _ = self.need(msg, 3);
            }
            _ => self.numeric("472", &format!("{modes} :is unknown mode char to me")),
        }
    }

    /// `MODE` of a room: its operator is its creator and bans are the
    /// server's, so there is nothing to change here.
    fn room_mode(&mut self, chan: &str, modes: Option<&str>) {
        match modes {
            None => self.numeric("324", &format!("{chan} +nt")),
            Some("b" | "+b") => self.numeric("368", &format!("{chan} :End of channel ban list")),
            Some(_) => self.numeric(
                "482",
                &format!("{chan} :Room modes cannot be changed (its operator is its creator)"),
            ),
        }
    }

    /// `JOIN` or `PART` of a comma-separated list: `#lobby` (where
    /// everyone is) and `0` are passed over, the first other channel is
    /// handled here by `one`, the rest become lines of their own read
    /// next (one command a line).
    fn each_channel(&mut self, cmd: &str, list: &str, one: impl FnOnce(&mut IrcCodec, &str)) {
        let mut rest = list
            .split(',')
            .filter(|c| !c.is_empty() && *c != "0" && !c.eq_ignore_ascii_case(CHANNEL));
        let Some(first) = rest.next() else {
            if cmd == "PART" {
                let why = format!("{CHANNEL} :Everyone is in {CHANNEL}; QUIT to leave");
                self.numeric("442", &why);
            }
            return;
        };
        one(self, first);
        self.followups.extend(rest.map(|c| format!("{cmd} {c}")));
    }

    fn no_such_channel(&mut self, chan: &str) {
        self.numeric("403", &format!("{chan} :No such channel"));
    }

    fn cap(&mut self, msg: &Message<'_>) -> Option<String> {
        let sub = msg.params.first().map(|s| s.to_ascii_uppercase());
        let me = self.me().to_owned();
        match sub.as_deref() {
            Some("LS") => {
                if !self.registered {
                    self.negotiating = true;
                }
                self.caps_302 |= msg.params.get(1).is_some_and(|v| *v >= "302");
                let sasl = if self.caps_302 { "sasl=PLAIN" } else { "sasl" };
                let rest = CAPS[1..].join(" ");
                let _ = write!(self.local, ":{HOST} CAP {me} LS :{sasl} {rest}\r\n");
            }
            Some("LIST") => {
                let mut on = vec!["sasl", "cap-notify"];
                if self.echo {
                    on.push("echo-message");
                }
                for (cap, set) in [
                    ("multi-prefix", self.multi_prefix),
                    ("server-time", self.server_time),
                    ("message-tags", self.message_tags),
                    ("away-notify", self.away_notify),
                ] {
                    if set {
                        on.push(cap);
                    }
                }
                let _ = write!(self.local, ":{HOST} CAP {me} LIST :{}\r\n", on.join(" "));
            }
            Some("REQ") => {
                if !self.registered {
                    self.negotiating = true;
                }
                let asked = msg.params.get(1).copied().unwrap_or("");
                let known = asked
                    .split_whitespace()
                    .all(|c| CAPS.contains(&c.trim_start_matches('-')));
                if known {
                    let before = self.room_caps();
                    for c in asked.split_whitespace() {
                        let on = !c.starts_with('-');
                        match c.trim_start_matches('-') {
                            "echo-message" => self.echo = on,
                            "multi-prefix" => self.multi_prefix = on,
                            "server-time" => self.server_time = on,
                            "message-tags" => self.message_tags = on,
                            "away-notify" => self.away_notify = on,
                            _ => {}
                        }
                    }
                    self.caps_changed |= self.room_caps() != before;
                }
                let verdict = if known { "ACK" } else { "NAK" };
                let _ = write!(self.local, ":{HOST} CAP {me} {verdict} :{asked}\r\n");
            }
            Some("END") => {
                self.negotiating = false;
                // The login the registration waited for reads a line of
                // the codec's.
                return self.try_register();
            }
            _ => {
                let sub = msg.params.first().copied().unwrap_or("");
                self.numeric("410", &format!("{sub} :Invalid CAP command"));
            }
        }
        None
    }

    fn nick_cmd(&mut self, msg: &Message<'_>) -> Option<String> {
        let Some(nick) = msg.params.first().filter(|n| !n.is_empty()) else {
            self.numeric("431", ":No nickname given");
            return None;
        };
        if UserName::parse(nick).is_err() {
            self.numeric("432", &format!("{nick} :Erroneous nickname"));
            return None;
        }
        if self.logged_in {
            if !nick.eq_ignore_ascii_case(self.me()) {
                self.numeric("447", ":Cannot change nickname: the nick is the account");
            }
            return None;
        }
        if self.registered {
            let old = self.me().to_owned();
            let _ = write!(self.local, ":{old}!{old}@{HOST} NICK :{nick}\r\n");
            self.nick = Some((*nick).to_owned());
            // A guest refused its nick tries again with the new one.
            return self.try_guest();
        }
        self.nick = Some((*nick).to_owned());
        self.try_register()
    }

    /// Registration is complete once NICK, USER and CAP END are in: log in
    /// with `PASS`, or greet the user and let NickServ say how to.
    fn try_register(&mut self) -> Option<String> {
        if self.registered || self.logged_in || self.login.is_some() {
            return None;
        }
        if self.negotiating || !self.user_seen {
            return None;
        }
        let nick = self.nick.clone()?;
        if let Some((name, password)) = self.pass.take() {
            self.login = Some(Via::Pass);
            return Some(self.note_credentials(name.as_deref().unwrap_or(&nick), &password, true));
        }
        if self.guests {
            return self.try_guest();
        }
        self.greet(&nick);
        self.nickserv_says(&format!(
            "Your nick is your account: /msg NickServ IDENTIFY <password> to log in as {nick}, or REGISTER <password> to create it"
        ));
        None
    }

    /// Asks the engine to let the nick in as a guest (the server takes
    /// guests, nothing else is under way); greeted on the answer.
    fn try_guest(&mut self) -> Option<String> {
        if !self.guests || self.logged_in || self.login.is_some() {
            return None;
        }
        let nick = self.nick.clone()?;
        self.login = Some(Via::Guest);
        self.note = Some(Note::Guest(0..nick.len()));
        Some(nick)
    }

    /// A line of the codec's holding a name and a password, and the note
    /// to read them as a login (or a registration).
    fn note_credentials(&mut self, name: &str, password: &str, login: bool) -> String {
        let own = format!("{name} {password}");
        let (n, p) = (0..name.len(), name.len() + 1..own.len());
        self.note = Some(if login {
            Note::Login(n, p)
        } else {
            Note::Register(n, p)
        });
        own
    }

    fn authenticate(&mut self, msg: &Message<'_>) -> Option<String> {
        if !self.need(msg, 1) {
            return None;
        }
        let arg = msg.params[0];
        if self.logged_in {
            self.numeric("907", ":You have already authenticated using SASL");
            return None;
        }
        if arg == "*" {
            self.sasl = None;
            self.numeric("906", ":SASL authentication aborted");
            return None;
        }
        let Some(gathered) = self.sasl.as_mut() else {
            if arg.eq_ignore_ascii_case("PLAIN") {
                self.sasl = Some(Zeroizing::new(String::new()));
                self.local.extend_from_slice(b"AUTHENTICATE +\r\n");
            } else {
                self.numeric("908", "PLAIN :are available SASL mechanisms");
                self.numeric("904", ":SASL authentication failed");
            }
            return None;
        };
        if arg != "+" {
            gathered.push_str(arg);
        }
        if gathered.len() > sasl::MAX_PAYLOAD {
            self.sasl = None;
            self.numeric("905", ":SASL message too long");
            return None;
        }
        if arg.len() == 400 {
            return None; // more chunks follow
        }
        let payload = self.sasl.take().unwrap_or_default();
        match sasl::decode_plain(&payload) {
            Some((name, password)) if self.login.is_none() => {
                self.login = Some(Via::Sasl);
                Some(self.note_credentials(&name, &password, true))
            }
            Some(_) => None,
            None => {
                self.numeric("904", ":SASL authentication failed");
                None
            }
        }
    }

    /// A line to NickServ: `IDENTIFY [name] <password>`, `REGISTER
    /// <password> [email]`, `SET PASSWORD <old> <new>`, `HELP`.
    fn nickserv(&mut self, text: &str) -> Option<String> {
        let words: Vec<&str> = text.split_whitespace().collect();
        let nick = self.me().to_owned();
        match words.first().map(|w| w.to_ascii_uppercase()).as_deref() {
            Some("IDENTIFY" | "LOGIN") if !self.logged_in && self.login.is_none() => {
                let (name, password) = match words[1..] {
                    [password] => (nick.as_str(), password),
                    [name, password, ..] => (name, password),
                    _ => {
                        self.nickserv_says("Usage: IDENTIFY [account] <password>");
                        return None;
                    }
                };
                self.login = Some(Via::NickServ);
                Some(self.note_credentials(name, password, true))
            }
            Some("REGISTER") if !self.logged_in && self.login.is_none() => {
                let Some(password) = words.get(1) else {
                    self.nickserv_says("Usage: REGISTER <password>");
                    return None;
                };
                self.login = Some(Via::NickServ);
                Some(self.note_credentials(&nick, password, false))
            }
            Some("IDENTIFY" | "LOGIN" | "REGISTER") => {
                self.nickserv_says("You are already logged in (or a login is under way)");
                None
            }
            Some("SET") if self.logged_in => match words[1..] {
                [w, old, new] if w.eq_ignore_ascii_case("PASSWORD") => {
                    let own = format!("{old} {new}");
                    self.note = Some(Note::ChangePassword(0..old.len(), old.len() + 1..own.len()));
                    Some(own)
                }
                _ => {
                    self.nickserv_says("Usage: SET PASSWORD <old> <new>");
                    None
                }
            },
            _ => {
                self.nickserv_says(
                    "Commands: IDENTIFY [account] <password>, REGISTER <password>, SET PASSWORD <old> <new>",
                );
                None
            }
        }
    }

    /// 001-005 and 422: the client is registered.
    fn greet(&mut self, nick: &str) {
        self.registered = true;
        let lines = [
            format!("001 {nick} :Welcome to the chat network, {nick}"),
            format!("002 {nick} :Your host is {HOST}, running chat-irc"),
            format!("003 {nick} :This server was created at start"),
            format!("004 {nick} {HOST} chat-irc i bnot"),
            format!(
                "005 {nick} CASEMAPPING=ascii CHANTYPES=# NICKLEN={} PREFIX=(o)@ CHANMODES=b,,,nt NETWORK=chat :are supported by this server",
                crate::name::MAX_NAME_LEN
            ),
            format!("422 {nick} :MOTD File is missing"),
        ];
        for l in lines {
            let _ = write!(self.local, ":{HOST} {l}\r\n");
        }
    }

    // ---- replies to the client --------------------------------------------

    /// Appends the line(s) of `reply` for this connection to `out`.
    pub fn render(&mut self, reply: &Reply<'_>, out: &mut Vec<u8>) {
        let me = self.me().to_owned();
        // A topic sent to one client answers it (on joining, or `TOPIC`);
        // the room's `TOPIC` line is the shared one.
        if let Reply::Topic { room, at, by, text } = reply {
            return topic_numerics(&me, room, *at, by, *text, out);
        }
        if shared(reply, self.room_caps(), out) {
            return;
        }
        match reply {
            Reply::Hello { .. } | Reply::Ask(_) => {}
            Reply::Welcome { user, .. } => self.welcome(user, out),
            Reply::Ok(done) => self.done(&me, done, out),
            Reply::Pm { at, from, text, .. } => {
                self.room_caps().stamp(*at, out);
                let _ = write!(out, ":{from}!{from}@{HOST} PRIVMSG {me} :{text}\r\n");
            }
            Reply::Ping { token } => {
                let _ = write!(out, "PING :{token}\r\n");
            }
            Reply::Info(text) => {
                let _ = write!(out, ":{HOST} NOTICE {me} :{text}\r\n");
            }
            Reply::Help { admin } => {
                let mut text = String::from(
                    "Commands: PRIVMSG #lobby|#<room>|<nick> :<text>, JOIN #<room> (creates it), PART #<room>, LIST, TOPIC #<room> [:text], NAMES [#<room>], WHO #lobby, AWAY [:reason], MODE #lobby b, QUIT, PING",
                );
                if *admin {
                    text.push_str("; operators: KICK #lobby <nick> [:reason], MODE #lobby +o|-o <nick>, MODE #lobby -b <nick>, RESTART; a room's operator (its creator) or an admin: KICK #<room> <nick> [:reason], TOPIC #<room> :text");
                }
                let _ = write!(out, ":{HOST} NOTICE {me} :{text}\r\n");
            }
            Reply::User {
                name,
                grant,
                presence,
            } => self.user_row(&me, name, *grant, *presence, out),
            Reply::GuestUser { name, presence } => {
                self.user_row(&me, name, Grant::User, *presence, out)
            }
            Reply::Kicked { name, by, at, .. } => {
                let secs = at.as_u64() / 1000;
                let _ = write!(out, ":{HOST} 367 {me} {CHANNEL} {name}!*@* {by} {secs}\r\n");
            }
            Reply::End(listing) => self.end(&me, listing, out),
            Reply::Ctl(ctl) => self.control(&me, ctl, out),
            Reply::Pong(token) => {
                let token = token.unwrap_or(HOST);
                let _ = write!(out, ":{HOST} PONG {HOST} :{token}\r\n");
            }
            Reply::Refused(reason) => self.refused(&me, reason, reply, out),
            Reply::Notice(Notice::RecipientBusy { name }) => {
                let _ = write!(out, ":{HOST} 301 {me} {name} :is away (busy)\r\n");
            }
            Reply::Hist {
                of, at, from, text, ..
            } => {
                // Replayed as said, at its own time when the client reads
                // `server-time`.
                self.room_caps().stamp(*at, out);
                let _ = match of {
                    HistoryOf::Room(room) => {
                        write!(out, ":{from}!{from}@{HOST} PRIVMSG #{room} :{text}\r\n")
                    }
                    HistoryOf::Private(with) => {
                        let to: &str = if from.eq_ignore_ascii_case(&me) {
                            with
                        } else {
                            &me
                        };
                        write!(out, ":{from}!{from}@{HOST} PRIVMSG {to} :{text}\r\n")
                    }
                };
            }
            Reply::Room {
                name,
                members,
                topic,
                ..
            } => {
                self.start_list(&me, out);
                let topic = topic.unwrap_or("");
                let _ = write!(out, ":{HOST} 322 {me} #{name} {members} :{topic}\r\n");
            }
            _ => as_notices(&me, reply, out),
        }
    }

    /// Logged in: SASL's numerics, the greeting if not sent yet (or the
    /// nick made the account's), then the room's names follow.
    fn welcome(&mut self, user: &str, out: &mut Vec<u8>) {
        let via = self.login.take();
        let me = self.me().to_owned();
        if self.registered && me != user {
            let _ = write!(out, ":{me}!{me}@{HOST} NICK :{user}\r\n");
        }
        if via != Some(Via::Guest) {
            let _ = write!(
                out,
                ":{HOST} 900 {user} {user}!{user}@{HOST} {user} :You are now logged in as {user}\r\n"
            );
        }
        if via == Some(Via::Sasl) {
            let _ = write!(
                out,
                ":{HOST} 903 {user} :SASL authentication successful\r\n"
            );
        }
        self.nick = Some(user.to_owned());
        self.logged_in = true;
        self.negotiating = false;
        if !self.registered {
            self.greet(user);
            out.append(&mut self.local);
        }
        self.listings.push_back(ListKind::JoinNames);
    }

    fn done(&mut self, me: &str, done: &Done<'_>, out: &mut Vec<u8>) {
        match done {
            Done::Registered(name) => {
                let _ = write!(
                    out,
                    ":{NICKSERV}!{NICKSERV}@{HOST} NOTICE {me} :Account {name} registered\r\n"
                );
            }
            Done::Unkicked(name) => {
                let _ = write!(out, ":{me}!{me}@{HOST} MODE {CHANNEL} -b {name}!*@*\r\n");
            }
            Done::Joined(room) => {
                let _ = write!(out, ":{me}!{me}@{HOST} JOIN #{room}\r\n");
                // The engine lists the members next.
                self.listings
                    .push_back(ListKind::RoomNames(format!("#{room}")));
            }
            Done::Parted(room) => {
                let _ = write!(out, ":{me}!{me}@{HOST} PART #{room}\r\n");
            }
            Done::PasswordChanged => {
                let _ = write!(
                    out,
                    ":{NICKSERV}!{NICKSERV}@{HOST} NOTICE {me} :Password changed\r\n"
                );
            }
            // The KICK and the MODE of a grant reach the admin with the
            // room; a login or a private message needs no word.
            _ => {}
        }
    }

    fn user_row(
        &mut self,
        me: &str,
        name: &str,
        grant: Grant,
        presence: Presence,
        out: &mut Vec<u8>,
    ) {
        let op = if grant.is_admin() { "@" } else { "" };
        match self.listings.front() {
            Some(ListKind::Who(filter)) => {
                if filter
                    .as_ref()
                    .is_some_and(|f| !f.eq_ignore_ascii_case(name))
                {
                    return;
                }
                let away = if presence == Presence::Busy { 'G' } else { 'H' };
                let _ = write!(
                    out,
                    ":{HOST} 352 {me} {CHANNEL} {name} {HOST} {HOST} {name} {away}{op} :0 {name}\r\n"
                );
            }
            _ => self.names.push(format!("{op}{name}")),
        }
    }

    fn end(&mut self, me: &str, listing: &Listing, out: &mut Vec<u8>) {
        match listing {
            Listing::Users | Listing::UsersPage(_) => match self.listings.pop_front() {
                Some(ListKind::Who(filter)) => {
                    let mask = filter.as_deref().unwrap_or(CHANNEL);
                    let _ = write!(out, ":{HOST} 315 {me} {mask} :End of WHO list\r\n");
                }
                Some(ListKind::RoomNames(chan)) => self.write_names(me, &chan, out),
                kind => {
                    if kind == Some(ListKind::JoinNames) {
                        let _ = write!(out, ":{HOST} 331 {me} {CHANNEL} :No topic is set\r\n");
                    }
                    self.write_names(me, CHANNEL, out);
                }
            },
            Listing::RoomsPage(_) => {
                self.start_list(me, out);
                self.list_started = false;
                let _ = write!(out, ":{HOST} 323 {me} :End of /LIST\r\n");
            }
            Listing::Kicked | Listing::KickedPage(_) => {
                self.listings.pop_front();
                let _ = write!(
                    out,
                    ":{HOST} 368 {me} {CHANNEL} :End of channel ban list\r\n"
                );
            }
            // 305 came with the free; help is one notice.
            _ => {}
        }
    }

    /// 321, once before the rows of a `LIST`.
    fn start_list(&mut self, me: &str, out: &mut Vec<u8>) {
        if !std::mem::replace(&mut self.list_started, true) {
            let _ = write!(out, ":{HOST} 321 {me} Channel :Users  Name\r\n");
        }
    }

    /// 353 lines of at most ~400 bytes of names, then 366.
    fn write_names(&mut self, me: &str, chan: &str, out: &mut Vec<u8>) {
        let names = std::mem::take(&mut self.names);
        let mut line = String::new();
        for name in names {
            if !line.is_empty() && line.len() + name.len() > 400 {
                let _ = write!(out, ":{HOST} 353 {me} = {chan} :{line}\r\n");
                line.clear();
            }
            if !line.is_empty() {
                line.push(' ');
            }
            line.push_str(&name);
        }
        if !line.is_empty() {
            let _ = write!(out, ":{HOST} 353 {me} = {chan} :{line}\r\n");
        }
        let _ = write!(out, ":{HOST} 366 {me} {chan} :End of /NAMES list\r\n");
    }

    fn control(&mut self, me: &str, ctl: &Control<'_>, out: &mut Vec<u8>) {
        let _ = match ctl {
            Control::Busy => write!(
                out,
                ":{HOST} 306 {me} :You have been marked as being away\r\n"
            ),
            Control::Free => write!(
                out,
                ":{HOST} 305 {me} :You are no longer marked as being away\r\n"
            ),
            // The room's MODE line, with the admin who did it, tells it.
            Control::Grant(_) => Ok(()),
            Control::Kick { by, reason } => {
                let reason = reason.unwrap_or("kicked");
                write!(
                    out,
                    ":{by}!{by}@{HOST} KICK {CHANNEL} {me} :{reason}\r\nERROR :Closing link: kicked by {by} ({reason})\r\n"
                )
            }
            Control::Removed { room, by, reason } => {
                let reason = reason.unwrap_or("removed");
                write!(out, ":{by}!{by}@{HOST} KICK #{room} {me} :{reason}\r\n")
            }
            Control::Disconnect => write!(out, "ERROR :Closing link: quit\r\n"),
            Control::Takeover => write!(out, "ERROR :Closing link: logged in elsewhere\r\n"),
            _ => write!(out, "ERROR :Closing link\r\n"),
        };
    }

    fn refused(&mut self, me: &str, reason: &Reason<'_>, reply: &Reply<'_>, out: &mut Vec<u8>) {
        if self.login == Some(Via::Guest) {
            return self.guest_refused(me, reason, reply, out);
        }
        if let Some(via) = self.login.take() {
            // A login or registration failed: told the way it was asked.
            let mut text = Vec::new();
            crate::wire::render(reply, &mut text);
            let text = String::from_utf8_lossy(&text);
            let text = text.trim_end().splitn(3, ' ').nth(2).unwrap_or("failed");
            let _ = match via {
                Via::Sasl => write!(
                    out,
                    ":{HOST} 904 {me} :SASL authentication failed: {text}\r\n"
                ),
                Via::Pass => write!(out, ":{HOST} 464 {me} :Password incorrect: {text}\r\n"),
                Via::NickServ | Via::Guest => {
                    write!(out, ":{NICKSERV}!{NICKSERV}@{HOST} NOTICE {me} :{text}\r\n")
                }
            };
            if via == Via::Pass && !self.registered {
                self.greet(me);
                self.nickserv_says(
                    "Log in with /msg NickServ IDENTIFY <password>, or REGISTER <password>",
                );
                out.append(&mut self.local);
            }
            return;
        }
        let _ = match reason {
            Reason::NotOnline { name } | Reason::NoSuchUser { name } => {
                write!(out, ":{HOST} 401 {me} {name} :No such nick/channel\r\n")
            }
            Reason::AdminOnly | Reason::ConfigAdmin { .. } | Reason::LastAdmin { .. } => write!(
                out,
                ":{HOST} 482 {me} {CHANNEL} :You're not channel operator\r\n"
            ),
            Reason::NotBusy => write!(
                out,
                ":{HOST} 305 {me} :You are no longer marked as being away\r\n"
            ),
            Reason::NoSuchRoom { room } => {
                self.drop_room_names();
                write!(out, ":{HOST} 403 {me} #{room} :No such channel\r\n")
            }
            Reason::BadRoomName(_) => {
                self.drop_room_names();
                write!(out, ":{HOST} 479 {me} * :Illegal channel name\r\n")
            }
            Reason::NotInRoom { room, user: None } => {
                write!(
                    out,
                    ":{HOST} 442 {me} #{room} :You're not on that channel\r\n"
                )
            }
            Reason::NotInRoom {
                room,
                user: Some(user),
            } => write!(
                out,
                ":{HOST} 441 {me} {user} #{room} :They aren't on that channel\r\n"
            ),
            Reason::NotRoomOperator { room } => write!(
                out,
                ":{HOST} 482 {me} #{room} :You're not channel operator\r\n"
            ),
            // A JOIN of a channel the client is in is not an error.
            Reason::AlreadyInRoom { .. } => Ok(()),
            Reason::RoomLimit(RoomLimit::PerUser { .. }) => write!(
                out,
                ":{HOST} 405 {me} * :You have joined too many channels\r\n"
            ),
            Reason::RoomLimit(RoomLimit::Members { .. }) => write!(
                out,
                ":{HOST} 471 {me} * :Cannot join channel (it is full)\r\n"
            ),
            Reason::PingTimeout => {
                write!(out, "ERROR :Closing Link: {me} (Ping timeout)\r\n")
            }
            Reason::Line(FrameError::TooLong { .. }) => {
                write!(out, ":{HOST} 417 {me} :Input line was too long\r\n")
            }
            _ => {
                as_notices(me, reply, out);
                Ok(())
            }
        };
    }
}

impl IrcCodec {
    /// A `NAMES #room` refused (no such room) is answered: its listing
    /// ends here.
    fn drop_room_names(&mut self) {
        if matches!(self.listings.front(), Some(ListKind::RoomNames(_))) {
            self.listings.pop_front();
        }
    }

    /// The nick was refused as a guest's: the client is greeted (so it
    /// keeps the nick and can log in to it), told why with the nick
    /// numeric, and how to log in; a `NICK` tries again.
    fn guest_refused(
        &mut self,
        me: &str,
        reason: &Reason<'_>,
        reply: &Reply<'_>,
        out: &mut Vec<u8>,
    ) {
        self.login = None;
        if !self.registered {
            self.greet(me);
            out.append(&mut self.local);
        }
        let _ = match reason {
            Reason::NameTaken { .. } => write!(
                out,
                ":{HOST} 433 {me} {me} :Nickname is already in use (an account or someone online)\r\n"
            ),
            Reason::NameReserved { .. } | Reason::BadName(_) => {
                write!(out, ":{HOST} 432 {me} {me} :Erroneous nickname (reserved)\r\n")
            }
            _ => {
                as_notices(me, reply, out);
                Ok(())
            }
        };
        self.nickserv_says("Log in with /msg NickServ IDENTIFY <password>, or pick another nick to chat as a guest");
        out.append(&mut self.local);
    }
}

/// 332 and 333 for a topic, 331 for none.
fn topic_numerics(
    me: &str,
    room: &str,
    at: crate::Millis,
    by: &str,
    text: Option<&str>,
    out: &mut Vec<u8>,
) {
    let _ = match text {
        Some(text) => write!(
            out,
            ":{HOST} 332 {me} #{room} :{text}\r\n:{HOST} 333 {me} #{room} {by} {}\r\n",
            at.as_u64() / 1000
        ),
        None => write!(out, ":{HOST} 331 {me} #{room} :No topic is set\r\n"),
    };
}

/// The room a channel names (`#rust`: `rust`), if it is a channel.
fn room_of(chan: &str) -> Option<&str> {
    chan.strip_prefix('#').filter(|r| !r.is_empty())
}

/// The byte range of `part` (a slice of `line`) within `line`.
fn range_in(line: &str, part: &str) -> Range<usize> {
    let start = (part.as_ptr() as usize).saturating_sub(line.as_ptr() as usize);
    start..start + part.len()
}
