//! The IRC state of one connection, and the two steps of reading a line.

use std::borrow::Cow;
use std::sync::Arc;

use super::caps::{Cap, Caps, RoomCaps};
use super::label::{self, Response};
use super::lines::{has_params, need, numeric, NICKSERV};
use super::listing::Listings;
use super::message::{self, Malformed, Message, MAX_BODY};
use super::nickserv::{self, Request};
use super::parse::{self, range_in, Note, Reading};
use super::policy;
use super::registration::{Ask, Registration, Via};
use super::render::{self, Batch, View};
use super::sasl::Sasl;
use crate::error::Refusal;
use crate::framing::{FrameError, Framer};
use crate::reply::{Done, Reply};
use crate::seam::{Codec, CodecOptions, Protocol, Rendering};
use crate::{client_tags, Command, MessageKind};

/// The most targets of one `PRIVMSG` or `NOTICE` (`TARGMAX` in `005`).
pub(super) const MAX_TARGETS: usize = 4;

/// What one IRC connection keeps: registration and login, capabilities,
/// a SASL exchange under way, the listings asked for, and what the last
/// line asks of the engine.
#[derive(Debug)]
pub struct IrcCodec {
    /// Lines from the connection's bytes.
    framer: Framer,
    /// The server's name, the source of its lines.
    server: Arc<str>,
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
    /// The listing being rendered, over as many renders as it takes.
    batch: Batch,
    /// User mode `+i`, as last set (the engine keeps what it means).
    invisible: bool,
    /// The labeled answer being produced, if the line answered has a
    /// label (boxed: few lines have one).
    response: Option<Box<Response>>,
    /// The last reference given to a `labeled-response` batch.
    label_batches: u64,
    /// The most bytes of a line's tags (without `@` and the space after).
    max_tags: usize,
}

impl IrcCodec {
    /// A connection opened with `options`, before registration: its lines
    /// name the server `options.server_name`, and it may chat as a guest
    /// when registration ends without a login if `options.guests`.
    pub fn new(options: &CodecOptions) -> IrcCodec {
        let mut reg = Registration::default();
        reg.guests = options.guests;
        reg.history_lines = options.history_page_lines;
        // A line's tags may be as long as a line (`@` and space
        // included), its message 512 bytes more (IRCv3 message tags).
        let max_tags = options.max_line.saturating_sub(2);
        IrcCodec {
            framer: Framer::new(options.max_line + MAX_BODY + 2),
            server: Arc::clone(&options.server_name),
            reg,
            caps: Caps::default(),
            sasl: Sasl::default(),
            listings: Listings::default(),
            note: None,
            local: Vec::new(),
            followups: Vec::new(),
            batch: Batch::default(),
            invisible: false,
            response: None,
            label_batches: 0,
            max_tags,
        }
    }

    /// The capabilities that change how room lines look to this client.
    pub fn room_caps(&self) -> RoomCaps {
        self.caps.room()
    }

    /// What a reply sent means for the connection.
    fn follow(&mut self, reply: &Reply<'_>) {
        match reply {
            Reply::Ok(Done::Login(_)) => self.reg.verified(self.caps.negotiating),
            Reply::Welcome { user, .. } => {
                self.reg.logged_in(user);
                self.caps.negotiating = false;
            }
            Reply::Refused(reason) if self.reg.login.is_some() => {
                return self.reg.login_refused(reason)
            }
            _ => {}
        }
        self.listings.follow(reply);
    }
}

impl Codec for IrcCodec {
    fn protocol(&self) -> Protocol {
        Protocol::Irc
    }

    fn next_line<'b>(&mut self, bytes: &mut &'b [u8]) -> Option<Result<Cow<'b, str>, FrameError>> {
        self.framer.next_line(bytes)
    }

    fn buffered(&self) -> usize {
        self.framer.buffered()
    }

    /// Runs the IRC state machine on a line (see the module doc); the
    /// line [`parse`](Codec::parse) must read next.
    fn prepare<'b>(&mut self, line: Cow<'b, str>) -> Cow<'b, str> {
        self.reg.line_read();
        self.open_response(&line);
        let mut own = None;
        let reading = match message::parse(&line, self.max_tags) {
            Ok(msg) if msg.tags.is_empty() => self.read(&line, &msg, ""),
            Ok(msg) => {
                let client = client_tags::canonical(msg.tags);
                if client == msg.tags {
                    self.read(&line, &msg, msg.tags)
                } else if client.is_empty() {
                    self.read(&line, &msg, "")
                } else {
                    // The client tags in their one form, on a line of the
                    // codec's with the message as sent.
                    let body = range_in(&line, msg.tags).end + 1;
                    let tagged = format!("@{client} {}", line.get(body..).unwrap_or(""));
                    let reading = match message::parse(&tagged, usize::MAX) {
                        Ok(msg) => self.read(&tagged, &msg, msg.tags),
                        Err(_) => Reading::default(),
                    };
                    own = Some(tagged);
                    reading
                }
            }
            Err(Malformed::Empty) => Reading::default(),
            Err(Malformed::TooLong) => {
                let me = self.reg.me();
                numeric(
                    &mut self.local,
                    &self.server,
                    me,
                    "417",
                    ":Input line was too long",
                );
                Reading::default()
            }
        };
        self.listings.line_read(reading.listing);
        self.followups = reading.followups;
        self.note = reading.note;
        match reading.line.or(own) {
            Some(own) => Cow::Owned(own),
            None => line,
        }
    }

    /// The command noted by [`prepare`](Codec::prepare), read from the
    /// line it returned; `None` when the codec answered by itself.
    fn parse<'l>(&mut self, line: &'l str) -> Result<Option<Command<'l>>, Refusal> {
        Ok(self.note.take().map(|note| note.read(line)))
    }

    /// The lines the last one stands for beside itself, in order; a
    /// labeled answer goes on through them.
    fn take_followups(&mut self) -> Vec<String> {
        let followups = std::mem::take(&mut self.followups);
        if let Some(r) = &mut self.response {
            r.followups += followups.len();
        }
        followups
    }

    fn take_local(&mut self) -> Option<Vec<u8>> {
        (!self.local.is_empty()).then(|| std::mem::take(&mut self.local))
    }

    fn response_open(&self) -> bool {
        self.response.is_some()
    }

    /// The answer's lines through `labeled-response` (see `label`).
    fn respond(&mut self, bytes: &[u8], out: &mut Vec<u8>) {
        match &mut self.response {
            Some(r) => r.pass(&self.server, &mut self.label_batches, bytes, out),
            None => out.extend_from_slice(bytes),
        }
    }

    fn end_response(&mut self, now: bool, out: &mut Vec<u8>) {
        if self
            .response
            .as_ref()
            .is_some_and(|r| r.followups > 0 && !now)
        {
            return;
        }
        if let Some(r) = self.response.take() {
            r.end(&self.server, out);
        }
    }

    /// The line just parsed was dropped unread (over the command budget):
    /// a listing or a login it asked for will not be answered.
    fn unread(&mut self) {
        self.listings.unread();
        self.reg.unread();
    }

    /// Appends the lines of `replies` for this connection to `out`. Each
    /// is rendered from the state as it stands, then followed: what it
    /// means for the connection (logged in, a listing answered) is taken
    /// in before the next one is rendered.
    fn render(&mut self, replies: &[Reply<'_>], out: &mut Vec<u8>) {
        for reply in replies {
            let view = View {
                server: &self.server,
                reg: &self.reg,
                caps: &self.caps,
                listing: self.listings.next(),
            };
            render::reply(&view, &mut self.batch, reply, out);
            self.follow(reply);
        }
    }

    fn rendering(&self) -> Rendering {
        render::rendering(self.caps.room())
    }

    /// The rendering, if a `CAP REQ` changed the capabilities that make
    /// it.
    fn take_rendering_change(&mut self) -> Option<Rendering> {
        self.caps.take_change().map(render::rendering)
    }

    /// Once registration is complete (`NICK`, `USER`, and `CAP END` when
    /// negotiating): a SASL login is checked before `CAP END`, and the
    /// client enters when it sends it, with [`Command::Ready`].
    fn ready_to_enter(&self) -> bool {
        self.reg.registered || self.reg.complete(self.caps.negotiating)
    }

    /// `USER`'s user name and real name, once given.
    fn identity(&self) -> (Option<&str>, Option<&str>) {
        (self.reg.user_name(), self.reg.real_name.as_deref())
    }

    /// IRC clients expect pings, and answer them.
    fn wants_keepalive(&self) -> bool {
        true
    }

    /// Only with `echo-message`.
    fn echoes_own_lines(&self) -> bool {
        self.caps.has(Cap::EchoMessage)
    }

    /// Only with `echo-message`.
    fn echoes_private_messages(&self) -> bool {
        self.caps.has(Cap::EchoMessage)
    }

    /// IRC's `PART` comes back to the client with its message.
    fn sees_own_part(&self) -> bool {
        true
    }

    /// IRC's names on joining a channel.
    fn lists_room_on_join(&self) -> bool {
        true
    }
}

impl IrcCodec {
    // ---- lines from the client -------------------------------------------

    /// A line read: one its labeled predecessor stood for goes on with
    /// that answer; any other opens an answer of its own if it has a label
    /// honoured (with `labeled-response` and `batch`). The engine ends
    /// each answer before the next line it did not stand for.
    fn open_response(&mut self, line: &str) {
        if let Some(r) = &mut self.response {
            if r.followups > 0 {
                r.followups -= 1;
                return;
            }
            log::debug!("a labeled answer was left open; the next line replaces it");
        }
        self.response = label::label_of(line)
            .filter(|_| self.caps.labels())
            .map(|l| Box::new(Response::new(l)));
    }

    /// One message: registration, capabilities, SASL and NickServ here;
    /// the commands of a logged-in client in [`parse`]. `client` is the
    /// message's client-only tags in their one form, a slice of `line`
    /// (empty: none).
    fn read(&mut self, line: &str, msg: &Message<'_>, client: &str) -> Reading {
        crate::ascii_case::with_ascii_case(msg.command, true, |cmd| {
            self.read_command(cmd, line, msg, client)
        })
    }

    /// [`read`](Self::read) of a command in upper case.
    fn read_command(&mut self, cmd: &str, line: &str, msg: &Message<'_>, client: &str) -> Reading {
        let server = Arc::clone(&self.server);
        let server = &*server;
        match cmd {
            "CAP" => {
                let me = self.reg.me();
                let registered = self.reg.registered;
                if self
                    .caps
                    .on_cap(server, me, registered, &msg.params, &mut self.local)
                {
                    // The login the registration waited for reads a line
                    // of the codec's.
                    return self.registration_step(server, None);
                }
            }
            "PING" => match msg.params.first() {
                None => {
                    let _ = need(&mut self.local, server, self.reg.me(), msg, 1);
                }
                // The engine answers, after what it sent before.
                Some(token) if self.reg.logged_in => {
                    return Reading::noted(Note::Ping(range_in(line, token)));
                }
                Some(token) => {
                    let pong = format!(":{server} PONG {server} :{token}\r\n");
                    self.local.extend_from_slice(pong.as_bytes());
                }
            },
            // Any line shows the client is alive (the engine counts it).
            "PONG" => {}
            "QUIT" => {
                let reason = msg.params.first().map(|r| range_in(line, r));
                return Reading::noted(Note::Quit(reason));
            }
            "NICK" => {
                let ask = self.reg.on_nick(server, msg, &mut self.local);
                return self.registration_step(server, ask);
            }
            "USER" => {
                self.reg.on_user(server, msg, &mut self.local);
                return self.registration_step(server, None);
            }
            "PASS" => self.reg.on_pass(server, msg, &mut self.local),
            "AUTHENTICATE" => return self.authenticate(server, msg),
            "NICKSERV" | "NS" if self.reg.registered => {
                return self.nickserv(&msg.params.join(" "));
            }
            "NICKSERV" | "NS" => numeric(
                &mut self.local,
                server,
                self.reg.me(),
                "451",
                ":You have not registered",
            ),
            "PRIVMSG" | "NOTICE" if self.reg.registered => {
                let kind = match cmd {
                    "NOTICE" => MessageKind::Notice,
                    _ => MessageKind::Said,
                };
                return self.message(server, line, msg, kind, client);
            }
            "TAGMSG" if self.reg.registered => return self.tagmsg(server, line, msg, client),
            "MODE"
                if self.reg.logged_in
                    && msg
                        .params
                        .first()
                        .is_some_and(|t| t.eq_ignore_ascii_case(self.reg.me())) =>
            {
                return self.user_mode(server, msg.params.get(1).copied());
            }
            _ if !self.reg.logged_in => {
                let me = self.reg.me();
                let registered = self.reg.registered;
                policy::before_login(server, cmd, registered, me, &mut self.local);
            }
            _ => {
                let me = self.reg.me();
                return parse::command(server, cmd, line, msg, me, &mut self.local);
            }
        }
        Reading::default()
    }

    /// After a line that may complete registration: a SASL exchange left
    /// half way is aborted (`906`) and registration goes on without it;
    /// then what registration asks of the engine.
    fn registration_step(&mut self, server: &str, ask: Option<Ask>) -> Reading {
        let negotiating = self.caps.negotiating;
        if !self.reg.registered && self.reg.complete(negotiating) && self.sasl.in_progress() {
            let me = self.reg.me();
            self.sasl.abort(server, me, &mut self.local);
        }
        let ask = ask.or_else(|| self.reg.try_register(server, negotiating, &mut self.local));
        self.ask(ask)
    }

    /// `AUTHENTICATE`: a SASL exchange, before registration or after it
    /// by a client not logged in.
    fn authenticate(&mut self, server: &str, msg: &Message<'_>) -> Reading {
        let me = self.reg.me();
        let out = &mut self.local;
        if !need(out, server, me, msg, 1) {
            return Reading::default();
        }
        // Checked before registration is complete: that login stands
        // until the client enters. Once in to an account, a new exchange
        // may start (reauthentication): the session switches once it
        // succeeds. A guest has no account to authenticate again: it
        // logs in when it connects (its nick would become the account's,
        // which a client mid-session does not expect of SASL).
        if self.reg.verified {
            numeric(
                out,
                server,
                me,
                "907",
                ":You have already authenticated using SASL",
            );
            return Reading::default();
        }
        if self.reg.logged_in && self.reg.guest {
            numeric(out, server, me, "462", ":You may not reregister");
            return Reading::default();
        }
        let sasl = self.sasl.on_authenticate(server, me, msg.params[0], out);
        match sasl {
            Some((name, password)) if self.reg.login.is_none() => {
                self.reg.start_login(Via::Sasl);
                Reading::credentials(&name, &password, Note::Login)
            }
            _ => Reading::default(),
        }
    }

    /// `PRIVMSG` or `NOTICE` (`kind`) with its client tags: to NickServ,
    /// a channel or a nick. A notice is never answered with an error.
    fn message(
        &mut self,
        server: &str,
        line: &str,
        msg: &Message<'_>,
        kind: MessageKind,
        client: &str,
    ) -> Reading {
        let me = self.reg.me();
        let quiet = kind.is_notice();
        let out = &mut self.local;
        if !has_params(msg, 1) {
            if !quiet {
                let rest = format!(":No recipient given ({})", msg.command.to_ascii_uppercase());
                numeric(out, server, me, "411", &rest);
            }
            return Reading::default();
        }
        let Some(text) = msg.params.get(1).filter(|t| !t.is_empty()) else {
            if !quiet {
                numeric(out, server, me, "412", ":No text to send");
            }
            return Reading::default();
        };
        // `PRIVMSG a,b :text`: one message a target, the first here, the
        // others as lines of their own read next.
        let mut targets = msg.params[0].split(',').filter(|t| !t.is_empty());
        let Some(target) = targets.next() else {
            if !quiet {
                let rest = format!(":No recipient given ({})", msg.command.to_ascii_uppercase());
                numeric(out, server, me, "411", &rest);
            }
            return Reading::default();
        };
        let others: Vec<&str> = targets.collect();
        if others.len() >= MAX_TARGETS {
            if !quiet {
                let rest = format!("{} :Too many targets", msg.params[0]);
                numeric(out, server, me, "407", &rest);
            }
            return Reading::default();
        }
        let command = if quiet { "NOTICE" } else { "PRIVMSG" };
        let tags = if client.is_empty() {
            String::new()
        } else {
            format!("@{client} ")
        };
        let followups = others
            .iter()
            .map(|t| format!("{tags}{command} {t} :{text}"))
            .collect();
        let mut reading = self.message_to_one(server, line, target, text, kind, client);
        reading.followups = followups;
        reading
    }

    /// `PRIVMSG` or `NOTICE` (`kind`) of `text` to one target.
    fn message_to_one(
        &mut self,
        server: &str,
        line: &str,
        target: &str,
        text: &str,
        kind: MessageKind,
        client: &str,
    ) -> Reading {
        let me = self.reg.me();
        let quiet = kind.is_notice();
        let out = &mut self.local;
        if target.eq_ignore_ascii_case(NICKSERV) {
            return if quiet {
                Reading::default()
            } else {
                self.nickserv(text)
            };
        }
        if !self.reg.logged_in {
            if !quiet {
                policy::log_in_first(server, me, out);
            }
            return Reading::default();
        }
        parse::message(line, target, text, kind, client)
            .map(Reading::noted)
            .unwrap_or_default()
    }

    /// `TAGMSG <target>`: client tags alone, to a channel or a nick. One
    /// without client tags carries nothing, and is passed over; NickServ
    /// reads none.
    fn tagmsg(&mut self, server: &str, line: &str, msg: &Message<'_>, client: &str) -> Reading {
        let me = self.reg.me();
        if !need(&mut self.local, server, me, msg, 1) {
            return Reading::default();
        }
        let target = msg.params[0];
        if !self.reg.logged_in || client.is_empty() || target.eq_ignore_ascii_case(NICKSERV) {
            return Reading::default();
        }
        let none = line.get(line.len()..).unwrap_or_default();
        parse::message(line, target, none, MessageKind::TagsOnly, client)
            .map(Reading::noted)
            .unwrap_or_default()
    }

    /// `MODE <me> [modes]`: user modes, of which `i` (invisible: left out
    /// of `WHO` by mask) is kept; a change is told back as `MODE`.
    fn user_mode(&mut self, server: &str, modes: Option<&str>) -> Reading {
        let me = self.reg.me().to_owned();
        let Some(modes) = modes else {
            let shown = if self.invisible { "+i" } else { "+" };
            numeric(&mut self.local, server, &me, "221", shown);
            return Reading::default();
        };
        let mut on = true;
        let mut invisible = None;
        for c in modes.chars() {
            match c {
                '+' | '-' => on = c == '+',
                'i' => invisible = Some(on),
                _ => numeric(&mut self.local, server, &me, "501", ":Unknown MODE flag"),
            }
        }
        match invisible {
            Some(on) if on != self.invisible => {
                self.invisible = on;
                let sign = if on { '+' } else { '-' };
                let line = format!(":{me} MODE {me} :{sign}i\r\n");
                self.local.extend_from_slice(line.as_bytes());
                Reading::noted(Note::Invisible(on))
            }
            _ => Reading::default(),
        }
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
            Some(Ask::Ready) => Reading::noted(Note::Ready),
        }
    }

    /// A line to NickServ.
    fn nickserv(&mut self, text: &str) -> Reading {
        let me = self.reg.me().to_owned();
        let idle = self.reg.idle();
        let request = nickserv::read(
            &self.server,
            text,
            &me,
            self.reg.logged_in,
            idle,
            &mut self.local,
        );
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
