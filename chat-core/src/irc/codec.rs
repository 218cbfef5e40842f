//! The IRC state of one connection, and the two steps of reading a line.

use std::borrow::Cow;

use super::caps::{Caps, RoomCaps};
use super::lines::{need, numeric, HOST, NICKSERV};
use super::listing::Listings;
use super::message::{self, Malformed, Message};
use super::nickserv::{self, Request};
use super::parse::{self, range_in, Note, Reading};
use super::policy;
use super::registration::{Ask, Registration, Via};
use super::render::{self, Batch, View};
use super::sasl::Sasl;
use crate::error::Refusal;
use crate::reply::Reply;
use crate::Command;

/// What one IRC connection keeps: registration and login, capabilities,
/// a SASL exchange under way, the listings asked for, and what the last
/// line asks of the engine.
#[derive(Debug, Default)]
pub struct IrcCodec {
    reg: Registration,
    caps: Caps,
    sasl: Sasl,
    listings: Listings,
    /// The command the last line asks of the engine.
    note: Option<Note>,
    /// What the codec answered by itself, not yet handed out.
    local: Vec<u8>,
    /// Lines the last one stands for beside itself (a `JOIN` of several
    /// channels: one command each), to be read next.
    followups: Vec<String>,
}

impl IrcCodec {
    /// A connection before registration.
    pub fn new() -> IrcCodec {
        IrcCodec::default()
    }

    /// Whether the client asked to see its own room lines (`echo-message`).
    pub fn echoes_own_lines(&self) -> bool {
        self.caps.echo
    }

    /// The capabilities that change how room lines look to this client.
    pub fn room_caps(&self) -> RoomCaps {
        self.caps.room()
    }

    /// [`room_caps`](IrcCodec::room_caps), if a `CAP REQ` changed them
    /// since last asked.
    pub fn take_caps_change(&mut self) -> Option<RoomCaps> {
        self.caps.take_change()
    }

    /// Lets the connection chat as a guest when registration ends
    /// without a login.
    pub fn allow_guests(&mut self, on: bool) {
        self.reg.guests = on;
    }

    /// The lines the last one stands for beside itself, in order.
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
        self.reg.line_read();
        let reading = match message::parse(&line) {
            Ok(msg) => self.read(&line, &msg),
            Err(Malformed::Empty) => Reading::default(),
            Err(Malformed::TooLong) => {
                numeric(
                    &mut self.local,
                    self.reg.me(),
                    "417",
                    ":Input line was too long",
                );
                Reading::default()
            }
        };
        self.listings.line_read(reading.listing);
        self.followups = reading.followups;
        self.note = reading.note;
        match reading.line {
            Some(own) => Cow::Owned(own),
            None => line,
        }
    }

    /// The command noted by [`prepare`](IrcCodec::prepare), read from the
    /// line it returned; `None` when the codec answered by itself.
    pub fn parse<'l>(&mut self, line: &'l str) -> Result<Option<Command<'l>>, Refusal> {
        Ok(self.note.take().map(|note| note.read(line)))
    }

    /// The line just parsed was dropped unread (over the command budget):
    /// a listing or a login it asked for will not be answered.
    pub fn unread(&mut self) {
        self.listings.unread();
        self.reg.unread();
    }

    /// Appends the lines of `replies` for this connection to `out`. Each
    /// is rendered from the state as it stands, then followed: what it
    /// means for the connection (logged in, a listing answered) is taken
    /// in before the next one is rendered.
    pub fn render(&mut self, replies: &[Reply<'_>], out: &mut Vec<u8>) {
        let mut batch = Batch::default();
        for reply in replies {
            let view = View {
                reg: &self.reg,
                caps: self.caps.room(),
                listing: self.listings.next(),
            };
            render::reply(&view, &mut batch, reply, out);
            self.follow(reply);
        }
    }

    /// What a reply sent means for the connection.
    fn follow(&mut self, reply: &Reply<'_>) {
        match reply {
            Reply::Welcome { user, .. } => {
                self.reg.logged_in(user);
                self.caps.negotiating = false;
            }
            Reply::Refused(_) if self.reg.login.is_some() => return self.reg.login_refused(),
            _ => {}
        }
        self.listings.follow(reply);
    }

    // ---- lines from the client -------------------------------------------

    /// One message: registration, capabilities, SASL and NickServ here;
    /// the commands of a logged-in client in [`parse`].
    fn read(&mut self, line: &str, msg: &Message<'_>) -> Reading {
        let cmd = msg.command.to_ascii_uppercase();
        let out = &mut self.local;
        let negotiating = self.caps.negotiating;
        match cmd.as_str() {
            "CAP" => {
                let me = self.reg.me();
                if self.caps.on_cap(me, self.reg.registered, &msg.params, out) {
                    // The login the registration waited for reads a line
                    // of the codec's.
                    let ask = self.reg.try_register(false, out);
                    return self.ask(ask);
                }
            }
            "PING" if self.reg.logged_in => {
                let token = msg.params.first().map(|p| range_in(line, p));
                return Reading::noted(Note::Ping(token));
            }
            "PING" => {
                let token = msg.params.first().copied().unwrap_or(HOST);
                out.extend_from_slice(format!(":{HOST} PONG {HOST} :{token}\r\n").as_bytes());
            }
            // Any line shows the client is alive (the engine counts it).
            "PONG" => {}
            "QUIT" => return Reading::noted(Note::Quit),
            "NICK" => {
                let ask = self.reg.on_nick(msg, negotiating, out);
                return self.ask(ask);
            }
            "USER" => {
                let ask = self.reg.on_user(msg, negotiating, out);
                return self.ask(ask);
            }
            "PASS" => self.reg.on_pass(msg, out),
            "AUTHENTICATE" => {
                if !need(out, self.reg.me(), msg, 1) {
                    return Reading::default();
                }
                let me = self.reg.me();
                let sasl = self
                    .sasl
                    .on_authenticate(me, self.reg.logged_in, msg.params[0], out);
                if let Some((name, password)) = sasl {
                    if self.reg.login.is_none() {
                        self.reg.start_login(Via::Sasl);
                        return Reading::credentials(&name, &password, Note::Login);
                    }
                }
            }
            "NICKSERV" | "NS" if self.reg.registered => {
                return self.nickserv(&msg.params.join(" "));
            }
            "NICKSERV" | "NS" => numeric(out, self.reg.me(), "451", ":You have not registered"),
            "PRIVMSG" | "NOTICE" if self.reg.registered => {
                if !need(out, self.reg.me(), msg, 2) {
                    return Reading::default();
                }
                let (target, text) = (msg.params[0], msg.params[1]);
                if target.eq_ignore_ascii_case(NICKSERV) {
                    return self.nickserv(text);
                }
                if !self.reg.logged_in {
                    policy::log_in_first(self.reg.me(), out);
                    return Reading::default();
                }
                if let Some(note) = parse::message(line, target, text) {
                    return Reading::noted(note);
                }
            }
            _ if !self.reg.logged_in => {
                policy::before_login(&cmd, self.reg.registered, self.reg.me(), out);
            }
            _ => return parse::command(&cmd, line, msg, self.reg.me(), out),
        }
        Reading::default()
    }

    /// What registration asks of the engine, on a line of the codec's.
    fn ask(&mut self, ask: Option<Ask>) -> Reading {
        match ask {
            None => Reading::default(),
            Some(Ask::Credentials {
                name,
                password,
                register,
            }) => {
                let note = if register {
                    Note::Register
                } else {
                    Note::Login
                };
                Reading::credentials(&name, &password, note)
            }
            Some(Ask::Guest(nick)) => Reading {
                note: Some(Note::Guest(0..nick.len())),
                line: Some(nick),
                ..Reading::default()
            },
        }
    }

    /// A line to NickServ.
    fn nickserv(&mut self, text: &str) -> Reading {
        let me = self.reg.me().to_owned();
        let idle = self.reg.idle();
        let request = nickserv::read(text, &me, self.reg.logged_in, idle, &mut self.local);
        match request {
            None => Reading::default(),
            Some(Request::Identify { name, password }) => {
                self.reg.start_login(Via::NickServ);
                Reading::credentials(name, password, Note::Login)
            }
            Some(Request::Register { password }) => {
                self.reg.start_login(Via::NickServ);
                Reading::credentials(&me, password, Note::Register)
            }
            Some(Request::SetPassword { old, new }) => {
                Reading::credentials(old, new, Note::ChangePassword)
            }
        }
    }
}
