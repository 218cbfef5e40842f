//! The server's lines and the user's sends turned into what the screen
//! shows, each in its window: no terminal here, so it is tested through
//! ratatui's TestBackend.

use std::collections::VecDeque;

use chrono::{Local, TimeZone};

use chat_client::Received;
use chat_core::reply::Reply;
use chat_core::reply::{Control, Done, HistoryOf, Listing};
use chat_core::wire::MalformedLine;
use chat_core::{Command, Grant, MessageKind, LOBBY};

use super::view::{Ask, Entry, Kind, Link, View};
use super::windows::Place;
use crate::render::{empty_listing, history_end, render_reply};
use crate::secret;

/// What Enter on the input line gives.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Entered {
    /// The answer to the server's question, as typed.
    Answer(String),
    /// A line for the server.
    Line(String),
}

/// The most private messages waiting for the server's `OK sent`.
const MAX_PENDING_PMS: usize = 64;

/// The view plus what is needed to read the next lines.
#[derive(Debug, Default)]
pub(crate) struct Screen {
    pub(crate) view: View,
    /// Private messages sent and not yet confirmed: (to, text).
    pending_pms: VecDeque<(String, String)>,
    /// The `/viewusers` the client sent by itself for the status bar's
    /// count: its rows are not shown.
    pub(crate) quiet_users: bool,
    listing_rows: u64,
    /// Rooms the user asked to join: their window is shown once joined.
    joining: Vec<String>,
    /// The room of the `/names` sent last: its `USER` rows end in
    /// `END users` as `/viewusers` does.
    names_of: Option<String>,
    /// The conversation the last `HIST` line was of, for the end line.
    history_of: Option<Place>,
    /// Held lines were replayed: the count of who is online is asked for
    /// again (the client sends the quiet `/viewusers`).
    pub(crate) refresh_users: bool,
    /// The conversation of the last history shown, as `/older` takes it
    /// (`rust`, `@bob`): where `/older` alone pages back.
    pub(crate) history_target: Option<String>,
    /// A room joined again by the session after a reconnect: its replayed
    /// lines that the window shows already are not shown twice.
    rejoined: Option<Place>,
}

impl Screen {
    /// A screen for `server` (`tls`: over TLS).
    pub(crate) fn new(server: &str, tls: bool) -> Screen {
        let mut s = Screen::default();
        s.view.server = server.to_owned();
        s.view.tls = tls;
        s
    }

    /// The user sent `line` (not an answer to an ASK).
    pub(crate) fn sent(&mut self, line: &str) {
        match chat_core::wire::parse(line) {
            Ok(Command::MessageTo { to, text, .. }) => {
                if self.pending_pms.len() == MAX_PENDING_PMS {
                    self.pending_pms.pop_front();
                }
                self.pending_pms.push_back((to.to_owned(), text.to_owned()));
            }
            Ok(Command::JoinRoom { room, .. } | Command::CreateRoom { room }) => {
                self.joining.push(room.to_owned())
            }
            Ok(Command::RoomMembers { room }) => self.names_of = Some(room.to_owned()),
            Ok(Command::ViewUsers { .. }) => self.names_of = None,
            _ => {}
        }
    }

    /// One line from the server, in the local time zone.
    pub(crate) fn on_line(&mut self, line: &Received) {
        self.on_read(line.reply(), line.text(), &Local);
    }

    /// A line said (`how`: plainly, a notice or an action): in the
    /// window of `place`, unread there if it is not shown.
    #[allow(clippy::too_many_arguments)]
    fn said(
        &mut self,
        place: Place,
        kind: Kind,
        stamp: String,
        who: &str,
        how: MessageKind,
        text: &str,
        earlier: bool,
    ) {
        let v = &mut self.view;
        let mine = v
            .user
            .as_deref()
            .is_some_and(|u| u.eq_ignore_ascii_case(who));
        let important = kind == Kind::PrivateIn || (!mine && v.mentions_me(text));
        let entry = Entry {
            stamp: Some(stamp),
            kind,
            who: Some(who.to_owned()),
            text: text.to_owned(),
            earlier,
            how,
        };
        if let Place::Room(_) = place {
            v.windows.open(place.clone()).members.insert(who.to_owned());
        }
        v.windows.say(place, entry, !earlier && !mine, important);
    }

    fn presence(&mut self, place: Place, stamp: String, text: String) {
        let entry = Entry {
            stamp: Some(stamp),
            kind: Kind::Presence,
            who: None,
            text,
            earlier: false,
            how: MessageKind::Said,
        };
        self.view.windows.say(place, entry, false, false);
    }

    /// One line from the server as the session read it (`raw` as sent,
    /// shown when it does not read), with times in `tz`.
    pub(crate) fn on_read<Tz: TimeZone>(
        &mut self,
        line: Result<Reply<'_>, MalformedLine>,
        raw: &str,
        tz: &Tz,
    ) where
        Tz::Offset: std::fmt::Display,
    {
        let Ok(line) = line else {
            return self.view.notice(Kind::Notice, raw);
        };
        // Tags alone (`TAGMSG`: typing, a reaction) have nothing to show.
        if line.is_tags_only() {
            return;
        }
        let clock = self.view.clock;
        let at = |ms: chat_core::Millis| clock.at(ms.0, tz);
        let shown = |line: &Reply<'_>| render_reply(line, tz, clock);
        match line {
            Reply::Hello { server } => self.view.notice_in(
                Place::Lobby,
                Kind::Notice,
                format!("Connected to {server}."),
            ),
            Reply::Ask { step, prompt } => {
                self.view.ask = Some(Ask {
                    prompt: prompt.to_owned(),
                    secret: step.known().is_some_and(|s| s.is_password()),
                });
            }
            Reply::Welcome { user, grant } => {
                let v = &mut self.view;
                v.ask = None;
                v.user = Some(user.to_owned());
                v.grant = Some(grant);
                v.link = Link::Connected;
                v.busy = false;
                let text = shown(&line).unwrap_or_default();
                v.notice_in(Place::Lobby, Kind::Notice, text);
            }
            Reply::Err { .. } => {
                // In the room an error ends a /changepassword dialog; while
                // logging in the question stands until the server asks again.
                if self.view.user.is_some() {
                    self.view.ask = None;
                }
                let text = shown(&line).unwrap_or_default();
                self.view.notice(Kind::Error, text);
            }
            Reply::Ok(done) => self.on_done(done, tz),
            Reply::RoomMsg {
                room: LOBBY,
                at: t,
                from,
                kind,
                text,
                ..
            } => self.said(Place::Lobby, Kind::Room, at(t), from, kind, text, false),
            Reply::Pm {
                at: t,
                from,
                kind,
                text,
                ..
            } => self.said(
                Place::Private(from.to_owned()),
                Kind::PrivateIn,
                at(t),
                from,
                kind,
                text,
                false,
            ),
            // A room's lines in its window, as the lobby's are in its.
            Reply::RoomMsg {
                room,
                at: t,
                from,
                kind: how,
                text,
                ..
            } => self.said(Place::room(room), Kind::Room, at(t), from, how, text, false),
            Reply::Hist {
                of,
                at: t,
                from,
                kind: how,
                text,
                ..
            } => {
                let (place, kind) = match of {
                    HistoryOf::Room(room) => (Place::room(room), Kind::Room),
                    HistoryOf::Private(with) => {
                        let mine = self
                            .view
                            .user
                            .as_deref()
                            .is_some_and(|u| u.eq_ignore_ascii_case(from));
                        let kind = if mine {
                            Kind::PrivateOut
                        } else {
                            Kind::PrivateIn
                        };
                        (Place::Private(with.to_owned()), kind)
                    }
                };
                self.history_of = Some(place.clone());
                if self.rejoined.as_ref() == Some(&place) && self.shown_already(&place, at(t), text)
                {
                    return;
                }
                let who = if kind == Kind::PrivateOut {
                    match &place {
                        Place::Private(with) => with.clone(),
                        _ => from.to_owned(),
                    }
                } else {
                    from.to_owned()
                };
                self.said(place, kind, at(t), &who, how, text, true);
            }
            Reply::RoomJoin {
                room: LOBBY,
                at: t,
                user,
                ..
            } => {
                let v = &mut self.view;
                v.online.insert(user.to_owned());
                v.online_total = None;
                self.presence(Place::Lobby, at(t), format!("{user} joined"));
            }
            Reply::RoomLeave {
                room: LOBBY,
                at: t,
                user,
                reason,
                ..
            } => {
                let v = &mut self.view;
                v.online.remove(user);
                v.online_total = None;
                self.presence(
                    Place::Lobby,
                    at(t),
                    format!("{user} left ({})", reason.as_str()),
                );
            }
            Reply::RoomJoin {
                room, at: t, user, ..
            } => {
                let place = Place::room(room);
                self.view
                    .windows
                    .open(place.clone())
                    .members
                    .insert(user.to_owned());
                self.presence(place, at(t), format!("{user} joined"));
            }
            Reply::RoomLeave {
                room,
                at: t,
                user,
                reason,
                ..
            } => {
                let place = Place::room(room);
                let me = self
                    .view
                    .user
                    .as_deref()
                    .is_some_and(|u| u.eq_ignore_ascii_case(user));
                if self.view.windows.find(&place).is_none() {
                    return;
                }
                let w = self.view.windows.open(place.clone());
                w.members.remove(user);
                if me {
                    w.joined = false;
                }
                self.presence(place, at(t), format!("{user} left ({})", reason.as_str()));
            }
            Reply::Topic {
                room,
                at: t,
                by,
                text,
            } => {
                let said = match text {
                    Some(text) => format!("topic: {text} (set by {by})"),
                    None => "no topic".to_owned(),
                };
                self.presence(Place::room(room), at(t), said);
            }
            Reply::User {
                name,
                grant,
                presence,
                ..
            } => {
                let v = &mut self.view;
                v.online.insert(name.to_owned());
                self.listing_rows += 1;
                if !self.quiet_users {
                    let role = if grant == Grant::Admin {
                        "admin"
                    } else {
                        "user"
                    };
                    self.listing(format!("{name:<20} {role:<6} {}", presence.as_str()));
                }
            }
            Reply::Kicked {
                name,
                by,
                at: t,
                reason,
            } => {
                self.listing_rows += 1;
                let when = at(t);
                self.listing(format!(
                    "{name:<20} by {by:<20} at {when}  {}",
                    reason.unwrap_or("")
                ));
            }
            Reply::Room { .. } | Reply::Info(_) => {
                if let Reply::Room { name, .. } = line {
                    if !self.view.known_rooms.iter().any(|r| r == name) {
                        self.view.known_rooms.push(name.to_owned());
                    }
                }
                if let Some(text) = shown(&line) {
                    let text = text.trim_start_matches("-- ").trim_start().to_owned();
                    let kind = if matches!(line, Reply::Room { .. }) {
                        Kind::Listing
                    } else {
                        Kind::Notice
                    };
                    self.view.notice(kind, text);
                }
            }
            Reply::End(list) => self.on_end(list, tz),
            Reply::Ctl(ctl) => {
                let v = &mut self.view;
                match ctl {
                    Control::Busy => v.busy = true,
                    Control::Free => v.busy = false,
                    Control::Grant(g) => v.grant = Some(g),
                    Control::Removed { room, .. } => {
                        let place = Place::room(room);
                        if v.windows.find(&place).is_some() {
                            v.windows.open(place.clone()).joined = false;
                        }
                        let text = shown(&line).unwrap_or_default();
                        return v.notice_in(place, Kind::Error, text);
                    }
                    _ => {}
                }
                v.notice(Kind::Notice, shown(&line).unwrap_or_default());
            }
            _ => {
                if let Some(text) = shown(&line) {
                    self.view
                        .notice(Kind::Notice, text.trim_start_matches("-- "));
                }
            }
        }
    }

    /// Whether the window of `place` shows a line said at `stamp` with
    /// this text.
    fn shown_already(&self, place: &Place, stamp: String, text: &str) -> bool {
        let Some(i) = self.view.windows.find(place) else {
            return false;
        };
        self.view.windows.all()[i]
            .entries
            .iter()
            .any(|e| e.stamp.as_deref() == Some(stamp.as_str()) && e.text == text)
    }

    fn listing(&mut self, text: String) {
        let entry = Entry {
            stamp: None,
            kind: Kind::Listing,
            who: None,
            text,
            earlier: false,
            how: MessageKind::Said,
        };
        self.view.windows.current_mut().push(entry);
    }

    fn on_done<Tz: TimeZone>(&mut self, done: Done<'_>, tz: &Tz)
    where
        Tz::Offset: std::fmt::Display,
    {
        let clock = self.view.clock;
        let shown = || render_reply(&Reply::Ok(done), tz, clock).unwrap_or_default();
        let v = &mut self.view;
        match done {
            Done::Sent { to, .. } => {
                let found = self
                    .pending_pms
                    .iter()
                    .position(|(t, _)| t.eq_ignore_ascii_case(to));
                match found.and_then(|i| self.pending_pms.remove(i)) {
                    Some((_, text)) => {
                        let entry = Entry {
                            stamp: Some(clock.now()),
                            kind: Kind::PrivateOut,
                            who: Some(to.to_owned()),
                            text,
                            earlier: false,
                            how: MessageKind::Said,
                        };
                        v.windows
                            .say(Place::Private(to.to_owned()), entry, false, false);
                    }
                    None => v.notice(Kind::Notice, format!("(sent to {to})")),
                }
            }
            Done::Joined(room) => {
                let place = Place::room(room);
                let asked = self
                    .joining
                    .iter()
                    .position(|r| r.eq_ignore_ascii_case(room));
                let w = v.windows.open(place.clone());
                w.joined = true;
                if let Some(me) = &v.user {
                    w.members.insert(me.clone());
                }
                // Shown when the user asked for it, not on a rejoin after
                // a reconnect.
                if let Some(i) = asked {
                    self.joining.remove(i);
                    v.windows.show_place(place.clone());
                } else {
                    self.rejoined = Some(place.clone());
                }
                v.notice_in(place, Kind::Notice, format!("You joined #{room}."));
            }
            Done::Parted(room) | Done::Closed(room) => {
                let place = Place::room(room);
                v.windows.close(&place);
                let text = shown();
                v.notice_in(Place::Lobby, Kind::Notice, text);
            }
            // Asked for by the client itself on every connection.
            Done::Tags(_) => {}
            Done::Created(room) => {
                let text = shown();
                v.notice_in(Place::room(room), Kind::Notice, text);
            }
            _ => {
                let text = shown();
                v.notice(Kind::Notice, text);
            }
        }
    }

    fn on_end<Tz: TimeZone>(&mut self, list: Listing<'_>, tz: &Tz)
    where
        Tz::Offset: std::fmt::Display,
    {
        let rows = std::mem::take(&mut self.listing_rows);
        let clock = self.view.clock;
        let shown = || render_reply(&Reply::End(list), tz, clock);
        let v = &mut self.view;
        let users = matches!(list, Listing::Users | Listing::UsersPage(_));
        if users {
            v.online_total = match list {
                Listing::UsersPage(p) if p.total as usize > v.online.len() => Some(p.total),
                _ => None,
            };
            if std::mem::take(&mut self.quiet_users) {
                return;
            }
            if let Some(room) = self.names_of.take() {
                let what = format!("in #{}", room.trim_start_matches('#'));
                let text = match list {
                    Listing::UsersPage(p) => page_text(p, &what),
                    _ => format!("{rows} {what}"),
                };
                return v.notice(Kind::Notice, text);
            }
        }
        if let Listing::History { shown, next } = list {
            self.rejoined = None;
            // Said in the window the lines went to.
            let place = self
                .history_of
                .take()
                .unwrap_or_else(|| v.windows.current().place.clone());
            self.history_target = Some(place_target(&place));
            let text = history_end(&place_target(&place), shown, next);
            return v.notice_in(place, Kind::Notice, text);
        }
        if let Some(text) = empty_listing(list, rows) {
            return v.notice(Kind::Notice, text.trim_start_matches("-- "));
        }
        match list {
            Listing::Users => v.notice(Kind::Notice, format!("{rows} online")),
            Listing::UsersPage(p) => v.notice(Kind::Notice, page_text(p, "online")),
            Listing::Kicked => v.notice(Kind::Notice, format!("{rows} on the kick list")),
            Listing::KickedPage(p) => v.notice(Kind::Notice, page_text(p, "on the kick list")),
            Listing::Held { .. } => {
                if let Some(text) = shown() {
                    v.notice(Kind::Notice, text.trim_start_matches("-- "));
                }
                // Joins and leaves held (or dropped) meanwhile: the count
                // is asked for again.
                self.refresh_users = true;
            }
            _ => {
                if let Some(text) = shown() {
                    v.notice(Kind::Notice, text.trim_start_matches("-- "));
                }
            }
        }
    }
}

impl Screen {
    /// Enter: the line typed, as the server is to get it (or `None` when
    /// the client did it itself, or it was empty). A password is never
    /// shown nor remembered.
    pub(crate) fn enter_line(&mut self) -> Option<Entered> {
        let view = &mut self.view;
        if let Some(ask) = view.ask.take() {
            let answer = view.editor.take(false);
            let shown = if ask.secret {
                "*".repeat(answer.chars().count().min(8))
            } else {
                secret::masked(&answer)
            };
            view.notice(Kind::Notice, format!("{} {shown}", ask.prompt));
            return Some(Entered::Answer(answer));
        }
        let remember = !secret::carries_password(&view.editor.text());
        let line = view.editor.take(remember);
        if line.trim().is_empty() {
            return None;
        }
        view.windows.current_mut().scroll = 0;
        self.typed(&line).map(Entered::Line)
    }

    /// A typed line as the server takes it, in the window shown: a plain
    /// line is said there, commands about a room may leave it out, and
    /// the client's own commands (`/window`, `/query`) are done here.
    pub(crate) fn typed(&mut self, line: &str) -> Option<String> {
        let v = &mut self.view;
        let place = v.windows.current().place.clone();
        if !line.starts_with('/') || line.starts_with("//") {
            return Some(match &place {
                Place::Lobby => line.to_owned(),
                // A doubled slash starts a line with one.
                Place::Room(room) => format!("/say {room} {}", undouble(line)),
                Place::Private(user) => format!("/msg {user} {}", undouble(line)),
            });
        }
        let (command, rest) = line.split_once(' ').unwrap_or((line, ""));
        let rest = rest.trim();
        let command = command.to_lowercase();
        let here = match &place {
            Place::Room(room) => Some(room.clone()),
            _ => None,
        };
        match command.as_str() {
            "/window" | "/win" => {
                match rest.parse::<usize>() {
                    Ok(n) if n >= 1 && v.windows.show(n - 1) => {}
                    _ => v.notice(
                        Kind::Error,
                        format!(
                            "no window {rest:?}: /window N, N from 1 to {}",
                            v.windows.all().len()
                        ),
                    ),
                }
                None
            }
            "/query" if !rest.is_empty() && !rest.contains(' ') => {
                v.windows.show_place(Place::Private(rest.to_owned()));
                None
            }
            "/join" if !rest.is_empty() => {
                // A room we are in: shown, not joined again.
                let room = rest.trim_start_matches('#');
                match v.windows.find(&Place::room(room)) {
                    Some(i) if v.windows.all()[i].joined => {
                        v.windows.show(i);
                        None
                    }
                    _ => Some(format!("/join {room}")),
                }
            }
            "/part" | "/close" if rest.is_empty() => match &place {
                Place::Room(room) if v.windows.current().joined => Some(format!("/part {room}")),
                Place::Lobby => {
                    v.notice(
                        Kind::Error,
                        "the lobby cannot be left (/quit leaves the chat)",
                    );
                    None
                }
                _ => {
                    v.windows.close(&place);
                    None
                }
            },
            "/topic" | "/cleartopic" | "/closeroom" if rest.is_empty() => match here {
                Some(room) => Some(format!("{command} {room}")),
                None => Some(line.to_owned()),
            },
            "/older" if rest.is_empty() || rest.parse::<u64>().is_ok() => {
                let target = match &place {
                    Place::Lobby => None,
                    _ => Some(place_target(&place)),
                };
                let target = target
                    .or_else(|| self.history_target.clone())
                    .unwrap_or_else(|| chat_core::LOBBY.to_owned());
                Some(format!("/older {target} {rest}").trim_end().to_owned())
            }
            "/history" if rest.is_empty() || rest.parse::<u64>().is_ok() => {
                let target = place_target(&place);
                Some(format!("/history {target} {rest}").trim_end().to_owned())
            }
            _ => Some(line.to_owned()),
        }
    }
}

/// `//x` as said: `/x`.
fn undouble(line: &str) -> &str {
    line.strip_prefix('/')
        .filter(|rest| rest.starts_with('/'))
        .unwrap_or(line)
}

/// How `/history` names a place: `rust`, `lobby`, `@bob`.
pub(crate) fn place_target(place: &Place) -> String {
    match place {
        Place::Lobby => chat_core::LOBBY.to_owned(),
        Place::Room(r) => r.clone(),
        Place::Private(u) => format!("@{u}"),
    }
}

fn page_text(p: chat_core::reply::Page, what: &str) -> String {
    match p.next {
        Some(next) => format!("{} of {} {what}; page {next} has more", p.shown, p.total),
        None => format!("{} {what}", p.total),
    }
}
