//! One server line as typed data, both ways: [`ServerLine::parse`] for
//! clients and [`ServerLine::write`] for the server's renderer, so what the
//! server writes is by construction what clients read.

use std::io::Write;

use crate::reply::{
    Control, Done, HistoryMark, HistoryOf, LeaveReason, Listing, Page, Presence, Reply,
};
use crate::wire::tags::{parse_point, point_text, split_tags};
use crate::wire::words::{ask_text, AskField, WireWord};
use crate::{ErrorCode, Grant, HistoryPoint, Millis, LOBBY};

/// A value that is one of a fixed set of words on the wire. A word this
/// side does not know (from a newer server) is kept as `Unknown`, so
/// extensions never break an older client.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Word<'a, T> {
    /// A value this side knows.
    Known(T),
    /// A word (or, for `OK`/`CTL`/`END`, the rest of the line) this side
    /// does not know.
    Unknown(&'a str),
}

impl<T> Word<'_, T> {
    /// The known value, if it is one.
    pub fn known(self) -> Option<T> {
        match self {
            Word::Known(v) => Some(v),
            Word::Unknown(_) => None,
        }
    }
}

impl<'a, T: WireWord> Word<'a, T> {
    fn parse(word: &'a str) -> Self {
        T::from_word(word).map_or(Word::Unknown(word), Word::Known)
    }

    /// The word as on the wire, known or not.
    pub fn as_str(self) -> &'a str {
        match self {
            Word::Known(v) => v.word(),
            Word::Unknown(w) => w,
        }
    }
}

/// One line from the server (without its line ending), borrowed from it.
///
/// Every line the server writes is rendered from a `ServerLine`, and
/// [`ServerLine::parse`] reads it back to the same value:
///
/// ```
/// use chat_core::wire::{ServerLine, Word};
/// use chat_core::{reply::LeaveReason, Millis};
/// let line = ServerLine::parse("LEAVE 5 bob too-slow").unwrap();
/// assert_eq!(
///     line,
///     ServerLine::Leave { at: Millis(5), user: "bob", reason: Word::Known(LeaveReason::TooSlow) }
/// );
/// let mut out = Vec::new();
/// line.write(&mut out);
/// assert_eq!(out, b"LEAVE 5 bob too-slow\n");
/// // A tag from a newer server is kept, not refused.
/// assert_eq!(ServerLine::parse("MODE x").unwrap(), ServerLine::Unknown("MODE x"));
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum ServerLine<'a> {
    /// `HELLO <protocol> <server-name>`.
    Hello {
        /// The protocol and version, `chat/1`.
        protocol: &'a str,
        /// The server's name (the rest of the line).
        server: &'a str,
    },
    /// `ASK <step> <prompt>`.
    Ask {
        /// What is asked for.
        step: Word<'a, AskField>,
        /// Text for people.
        prompt: &'a str,
    },
    /// `OK <what> [args]`.
    Ok(Word<'a, Done<'a>>),
    /// `WELCOME <user> <grant>`.
    Welcome {
        /// The user, as registered.
        user: &'a str,
        /// Their grant.
        grant: Grant,
    },
    /// `ERR <code> <text>`, or `ERR <code> <text>; retry in <n> s` for a
    /// refusal for now.
    Err {
        /// The code.
        code: Word<'a, ErrorCode>,
        /// Text for people (without the `; retry in <n> s` ending).
        text: &'a str,
        /// Seconds to wait before trying again, when the server said.
        retry: Option<u64>,
    },
    /// `MSG <ts> <from> <text>`.
    Msg {
        /// When.
        at: Millis,
        /// The sender.
        from: &'a str,
        /// The message.
        text: &'a str,
    },
    /// `PM <ts> <from> <text>`.
    Pm {
        /// When.
        at: Millis,
        /// The sender.
        from: &'a str,
        /// The message.
        text: &'a str,
    },
    /// `JOIN <ts> <user>`.
    Join {
        /// When.
        at: Millis,
        /// Who.
        user: &'a str,
    },
    /// `LEAVE <ts> <user> <reason>`.
    Leave {
        /// When.
        at: Millis,
        /// Who.
        user: &'a str,
        /// Why.
        reason: Word<'a, LeaveReason>,
    },
    /// `INFO <text>`.
    Info(&'a str),
    /// `USER <name> <grant> <free|busy>`.
    User {
        /// The user.
        name: &'a str,
        /// Their grant.
        grant: Grant,
        /// Free or busy.
        presence: Word<'a, Presence>,
    },
    /// `KICKED <name> <by> <ts> [reason]`.
    Kicked {
        /// The kicked user.
        name: &'a str,
        /// The admin.
        by: &'a str,
        /// When.
        at: Millis,
        /// Why, if given (never empty).
        reason: Option<&'a str>,
    },
    /// `END <list> [counts]`.
    End(Word<'a, Listing>),
    /// `CTL <what> [args]`.
    Ctl(Word<'a, Control<'a>>),
    /// `PONG [token]`.
    Pong(Option<&'a str>),
    /// Extension: `RMSG <room> <ts> <from> <text>`.
    RoomMsg {
        /// The room.
        room: &'a str,
        /// When.
        at: Millis,
        /// The sender.
        from: &'a str,
        /// The message.
        text: &'a str,
    },
    /// Extension: `RJOIN <room> <ts> <user>`.
    RoomJoin {
        /// The room.
        room: &'a str,
        /// When.
        at: Millis,
        /// Who.
        user: &'a str,
    },
    /// Extension: `RLEAVE <room> <ts> <user> <reason>`.
    RoomLeave {
        /// The room.
        room: &'a str,
        /// When.
        at: Millis,
        /// Who.
        user: &'a str,
        /// Why.
        reason: Word<'a, LeaveReason>,
    },
    /// Extension: `TOPIC <room> <ts> <by> [text]` (no text: no topic).
    Topic {
        /// The room.
        room: &'a str,
        /// When it was set.
        at: Millis,
        /// Who set it.
        by: &'a str,
        /// The topic (never empty).
        text: Option<&'a str>,
    },
    /// Extension: `ROOM <name> <members> <operator> [topic]` (`-`: no
    /// operator, the lobby).
    Room {
        /// The room.
        name: &'a str,
        /// Members now.
        members: u64,
        /// Its operator.
        operator: Option<&'a str>,
        /// Its topic (never empty).
        topic: Option<&'a str>,
    },
    /// Extension: `HIST <room|@user> <ts> <from> <text>`.
    Hist {
        /// Where it was said.
        of: HistoryOf<'a>,
        /// When it was said.
        at: Millis,
        /// Who said it.
        from: &'a str,
        /// What was said.
        text: &'a str,
    },
    /// A line whose tag this side does not know: the whole line.
    Unknown(&'a str),
}

/// A line with a known tag whose fields are not what the protocol says.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("malformed {tag} line")]
pub struct MalformedLine {
    /// The line's tag.
    pub tag: String,
}

/// Splits off the first space-separated word; the rest keeps its spaces.
fn split_word(s: &str) -> (&str, &str) {
    s.split_once(' ').unwrap_or((s, ""))
}

/// The first word, which must not be empty, and the rest.
fn word(s: &str) -> Option<(&str, &str)> {
    let (w, rest) = split_word(s);
    (!w.is_empty()).then_some((w, rest))
}

/// A single word filling the rest of the line.
fn last_word(s: &str) -> Option<&str> {
    (!s.is_empty() && !s.contains(' ')).then_some(s)
}

fn ts(s: &str) -> Option<Millis> {
    // `u64::from_str` takes a leading `+`; the protocol writes digits only.
    if s.starts_with('+') {
        return None;
    }
    s.parse().ok().map(Millis)
}

fn opt(s: &str) -> Option<&str> {
    (!s.is_empty()).then_some(s)
}

fn grant(s: &str) -> Option<Grant> {
    Grant::from_wire(s)
}

impl<'a> ServerLine<'a> {
    /// Parses one server line (without its ending). A tag this side does
    /// not know is [`ServerLine::Unknown`]; so is an unknown word where the
    /// protocol allows extensions ([`Word::Unknown`]). A known tag with
    /// missing or malformed fields is an error.
    /// Tags before the line (extension, `/tags on`) are passed over: read
    /// them with [`split_tags`](crate::wire::split_tags).
    pub fn parse(line: &'a str) -> Result<ServerLine<'a>, MalformedLine> {
        let (_, line) = split_tags(line);
        let (tag, rest) = split_word(line);
        match Self::parse_known(tag, rest) {
            None => Ok(ServerLine::Unknown(line)),
            Some(Some(parsed)) => Ok(parsed),
            Some(None) => Err(MalformedLine {
                tag: tag.to_owned(),
            }),
        }
    }

    /// `None` for an unknown tag, `Some(Err)` for a malformed known one.
    fn parse_known(tag: &str, rest: &'a str) -> Option<Option<ServerLine<'a>>> {
        let parsed = match tag {
            "HELLO" => word(rest).map(|(protocol, server)| ServerLine::Hello { protocol, server }),
            "ASK" => word(rest).map(|(step, prompt)| ServerLine::Ask {
                step: Word::parse(step),
                prompt,
            }),
            "OK" => Some(ServerLine::Ok(parse_done(rest))),
            "WELCOME" => word(rest).and_then(|(user, g)| {
                Some(ServerLine::Welcome {
                    user,
                    grant: grant(g)?,
                })
            }),
            "ERR" => word(rest).map(|(code, text)| {
                let (text, retry) = split_retry(text);
                ServerLine::Err {
                    code: Word::parse(code),
                    text,
                    retry,
                }
            }),
            "MSG" | "PM" => word(rest).and_then(|(at, rest)| {
                let at = ts(at)?;
                let (from, text) = word(rest)?;
                Some(if tag == "MSG" {
                    ServerLine::Msg { at, from, text }
                } else {
                    ServerLine::Pm { at, from, text }
                })
            }),
            "JOIN" => word(rest).and_then(|(at, user)| {
                Some(ServerLine::Join {
                    at: ts(at)?,
                    user: last_word(user)?,
                })
            }),
            "LEAVE" => word(rest).and_then(|(at, rest)| {
                let at = ts(at)?;
                let (user, reason) = word(rest)?;
                Some(ServerLine::Leave {
                    at,
                    user,
                    reason: Word::parse(last_word(reason)?),
                })
            }),
            "INFO" => Some(ServerLine::Info(rest)),
            "USER" => word(rest).and_then(|(name, rest)| {
                let (g, presence) = word(rest)?;
                Some(ServerLine::User {
                    name,
                    grant: grant(g)?,
                    presence: Word::parse(last_word(presence)?),
                })
            }),
            "KICKED" => word(rest).and_then(|(name, rest)| {
                let (by, rest) = word(rest)?;
                let (at, reason) = word(rest)?;
                Some(ServerLine::Kicked {
                    name,
                    by,
                    at: ts(at)?,
                    reason: opt(reason),
                })
            }),
            "END" => (!rest.is_empty()).then(|| ServerLine::End(parse_listing(rest))),
            "CTL" => (!rest.is_empty()).then(|| ServerLine::Ctl(parse_control(rest))),
            "PONG" => Some(ServerLine::Pong(opt(rest))),
            "RMSG" | "HIST" => word(rest).and_then(|(place, rest)| {
                let (at, rest) = word(rest)?;
                let at = ts(at)?;
                let (from, text) = word(rest)?;
                Some(if tag == "RMSG" {
                    ServerLine::RoomMsg {
                        room: place,
                        at,
                        from,
                        text,
                    }
                } else {
                    let of = match place.strip_prefix('@') {
                        Some(user) => HistoryOf::Private(opt(user)?),
                        None => HistoryOf::Room(place),
                    };
                    ServerLine::Hist { of, at, from, text }
                })
            }),
            "RJOIN" => word(rest).and_then(|(room, rest)| {
                let (at, user) = word(rest)?;
                Some(ServerLine::RoomJoin {
                    room,
                    at: ts(at)?,
                    user: last_word(user)?,
                })
            }),
            "RLEAVE" => word(rest).and_then(|(room, rest)| {
                let (at, rest) = word(rest)?;
                let (user, reason) = word(rest)?;
                Some(ServerLine::RoomLeave {
                    room,
                    at: ts(at)?,
                    user,
                    reason: Word::parse(last_word(reason)?),
                })
            }),
            "TOPIC" => word(rest).and_then(|(room, rest)| {
                let (at, rest) = word(rest)?;
                let (by, text) = word(rest)?;
                Some(ServerLine::Topic {
                    room,
                    at: ts(at)?,
                    by,
                    text: opt(text),
                })
            }),
            "ROOM" => word(rest).and_then(|(name, rest)| {
                let (members, rest) = word(rest)?;
                let (operator, topic) = word(rest)?;
                Some(ServerLine::Room {
                    name,
                    members: ts(members)?.0,
                    operator: (operator != "-").then_some(operator),
                    topic: opt(topic),
                })
            }),
            _ => return None,
        };
        Some(parsed)
    }

    /// Appends the line, ending in `\n`, to `out`.
    pub fn write(&self, out: &mut Vec<u8>) {
        // Writing to a Vec cannot fail.
        let _ = self.write_io(out);
    }

    fn write_io(&self, out: &mut Vec<u8>) -> std::io::Result<()> {
        match *self {
            ServerLine::Hello { protocol, server } => writeln!(out, "HELLO {protocol} {server}"),
            ServerLine::Ask { step, prompt } => writeln!(out, "ASK {} {prompt}", step.as_str()),
            ServerLine::Ok(Word::Known(done)) => match done {
                Done::Registered(u) => writeln!(out, "OK registered {u}"),
                Done::Login(u) => writeln!(out, "OK login {u}"),
                Done::Sent { to, .. } => writeln!(out, "OK sent {to}"),
                Done::Tags(on) => writeln!(out, "OK tags {}", if on { "on" } else { "off" }),
                Done::Grant(u, g) => writeln!(out, "OK grant {u} {g}"),
                Done::Kicked(u) => writeln!(out, "OK kicked {u}"),
                Done::Unkicked(u) => writeln!(out, "OK unkicked {u}"),
                Done::PasswordChanged => writeln!(out, "OK password-changed"),
                Done::Created(r) => writeln!(out, "OK created {r}"),
                Done::Joined(r) => writeln!(out, "OK joined {r}"),
                Done::Parted(r) => writeln!(out, "OK parted {r}"),
                Done::TopicSet(r) => writeln!(out, "OK topic {r}"),
                Done::Removed(r, u) => writeln!(out, "OK removed {r} {u}"),
                Done::Closed(r) => writeln!(out, "OK closed {r}"),
            },
            ServerLine::Ok(Word::Unknown(rest)) => writeln!(out, "OK {rest}"),
            ServerLine::Welcome { user, grant } => writeln!(out, "WELCOME {user} {grant}"),
            ServerLine::Err {
                code,
                text,
                retry: None,
            } => writeln!(out, "ERR {} {text}", code.as_str()),
            ServerLine::Err {
                code,
                text,
                retry: Some(secs),
            } => writeln!(out, "ERR {} {text}{RETRY_IN}{secs} s", code.as_str()),
            ServerLine::Msg { at, from, text } => writeln!(out, "MSG {at} {from} {text}"),
            ServerLine::Pm { at, from, text } => writeln!(out, "PM {at} {from} {text}"),
            ServerLine::Join { at, user } => writeln!(out, "JOIN {at} {user}"),
            ServerLine::Leave { at, user, reason } => {
                writeln!(out, "LEAVE {at} {user} {}", reason.as_str())
            }
            ServerLine::Info(text) => writeln!(out, "INFO {text}"),
            ServerLine::User {
                name,
                grant,
                presence,
            } => writeln!(out, "USER {name} {grant} {}", presence.as_str()),
            ServerLine::Kicked {
                name,
                by,
                at,
                reason,
            } => match reason {
                Some(r) => writeln!(out, "KICKED {name} {by} {at} {r}"),
                None => writeln!(out, "KICKED {name} {by} {at}"),
            },
            ServerLine::End(Word::Known(list)) => match list {
                Listing::Users => writeln!(out, "END users"),
                Listing::Kicked => writeln!(out, "END kicked"),
                Listing::Help => writeln!(out, "END help"),
                Listing::UsersPage(page) => write_page(out, "users", page),
                Listing::KickedPage(page) => write_page(out, "kicked", page),
                Listing::Held { replayed, dropped } => {
                    writeln!(out, "END held {replayed} {dropped}")
                }
                Listing::RoomsPage(page) => write_page(out, "rooms", page),
                Listing::History { shown, next } => match next.and_then(mark_point) {
                    Some(point) => writeln!(out, "END history {shown} {}", point_text(point)),
                    None => writeln!(out, "END history {shown}"),
                },
            },
            ServerLine::End(Word::Unknown(rest)) => writeln!(out, "END {rest}"),
            ServerLine::Ctl(Word::Known(ctl)) => match ctl {
                Control::Busy => writeln!(out, "CTL busy"),
                Control::Free => writeln!(out, "CTL free"),
                Control::Grant(g) => writeln!(out, "CTL grant {g}"),
                Control::Kick { by, reason: None } => writeln!(out, "CTL kick {by}"),
                Control::Kick {
                    by,
                    reason: Some(r),
                } => writeln!(out, "CTL kick {by} {r}"),
                Control::Disconnect => writeln!(out, "CTL disconnect"),
                Control::Shutdown => writeln!(out, "CTL shutdown"),
                Control::Restart => writeln!(out, "CTL restart"),
                Control::Takeover => writeln!(out, "CTL takeover"),
                Control::Removed {
                    room,
                    by,
                    reason: None,
                } => writeln!(out, "CTL removed {room} {by}"),
                Control::Removed {
                    room,
                    by,
                    reason: Some(r),
                } => writeln!(out, "CTL removed {room} {by} {r}"),
            },
            ServerLine::Ctl(Word::Unknown(rest)) => writeln!(out, "CTL {rest}"),
            ServerLine::RoomMsg {
                room,
                at,
                from,
                text,
            } => writeln!(out, "RMSG {room} {at} {from} {text}"),
            ServerLine::RoomJoin { room, at, user } => writeln!(out, "RJOIN {room} {at} {user}"),
            ServerLine::RoomLeave {
                room,
                at,
                user,
                reason,
            } => writeln!(out, "RLEAVE {room} {at} {user} {}", reason.as_str()),
            ServerLine::Topic {
                room,
                at,
                by,
                text: Some(text),
            } => writeln!(out, "TOPIC {room} {at} {by} {text}"),
            ServerLine::Topic {
                room,
                at,
                by,
                text: None,
            } => writeln!(out, "TOPIC {room} {at} {by}"),
            ServerLine::Room {
                name,
                members,
                operator,
                topic,
            } => {
                let operator = operator.unwrap_or("-");
                match topic {
                    Some(t) => writeln!(out, "ROOM {name} {members} {operator} {t}"),
                    None => writeln!(out, "ROOM {name} {members} {operator}"),
                }
            }
            ServerLine::Hist {
                of: HistoryOf::Room(room),
                at,
                from,
                text,
            } => writeln!(out, "HIST {room} {at} {from} {text}"),
            ServerLine::Hist {
                of: HistoryOf::Private(user),
                at,
                from,
                text,
            } => writeln!(out, "HIST @{user} {at} {from} {text}"),
            ServerLine::Pong(None) => writeln!(out, "PONG"),
            ServerLine::Pong(Some(token)) => writeln!(out, "PONG {token}"),
            ServerLine::Unknown(line) => writeln!(out, "{line}"),
        }
    }

    /// The line a single-line [`Reply`] is written as; `None` for
    /// [`Reply::Help`], which is several `INFO` lines and an `END help`,
    /// and for [`Reply::Refused`] and [`Reply::Notice`], whose text is
    /// made while rendering.
    pub fn from_reply(reply: &Reply<'a>) -> Option<ServerLine<'a>> {
        Some(match *reply {
            Reply::Hello { server } => ServerLine::Hello {
                protocol: super::PROTOCOL,
                server,
            },
            Reply::Ask(step) => {
                let (field, prompt) = ask_text(step);
                ServerLine::Ask {
                    step: Word::Known(field),
                    prompt,
                }
            }
            Reply::Ok(done) => ServerLine::Ok(Word::Known(done)),
            Reply::Welcome { user, grant } => ServerLine::Welcome { user, grant },
            Reply::Err { code, text } => ServerLine::Err {
                code: Word::Known(code),
                text,
                retry: None,
            },
            Reply::Retry { code, text, secs } => ServerLine::Err {
                code: Word::Known(code),
                text,
                retry: Some(secs),
            },
            Reply::Pm { at, from, text, .. } => ServerLine::Pm { at, from, text },
            // The lobby's lines are chat/1's first ones, without a room.
            Reply::RoomMsg {
                room: LOBBY,
                at,
                from,
                text,
                ..
            } => ServerLine::Msg { at, from, text },
            Reply::RoomJoin {
                room: LOBBY,
                at,
                user,
            } => ServerLine::Join { at, user },
            Reply::RoomLeave {
                room: LOBBY,
                at,
                user,
                reason,
            } => ServerLine::Leave {
                at,
                user,
                reason: Word::Known(reason),
            },
            // chat/1 names no actor: a kick is the plain `LEAVE ... kicked`.
            Reply::KickedOut { at, user, .. } => ServerLine::Leave {
                at,
                user,
                reason: Word::Known(LeaveReason::Kicked),
            },
            Reply::Info(text) => ServerLine::Info(text),
            // Help and refusals are written by the renderer; grant changes,
            // away notices and pings have no chat/1 line (nothing is sent).
            Reply::Help { .. }
            | Reply::Refused(_)
            | Reply::Notice(_)
            | Reply::GrantChanged { .. }
            | Reply::Away { .. }
            | Reply::Ping { .. } => return None,
            Reply::User {
                name,
                grant,
                presence,
            } => ServerLine::User {
                name,
                grant,
                presence: Word::Known(presence),
            },
            // An open-set presence word: older clients show "unknown".
            Reply::GuestUser { name, presence } => ServerLine::User {
                name,
                grant: Grant::User,
                presence: Word::Unknown(match presence {
                    Presence::Free => "guest",
                    Presence::Busy => "guest-busy",
                }),
            },
            Reply::Kicked {
                name,
                by,
                at,
                reason,
            } => ServerLine::Kicked {
                name,
                by,
                at,
                reason,
            },
            Reply::End(list) => ServerLine::End(Word::Known(list)),
            Reply::Ctl(ctl) => ServerLine::Ctl(Word::Known(ctl)),
            Reply::Pong(token) => ServerLine::Pong(token),
            Reply::RoomMsg {
                room,
                at,
                from,
                text,
                ..
            } => ServerLine::RoomMsg {
                room,
                at,
                from,
                text,
            },
            Reply::RoomJoin { room, at, user } => ServerLine::RoomJoin { room, at, user },
            Reply::RoomLeave {
                room,
                at,
                user,
                reason,
            } => ServerLine::RoomLeave {
                room,
                at,
                user,
                reason: Word::Known(reason),
            },
            Reply::Topic { room, at, by, text } => ServerLine::Topic {
                room,
                at,
                by,
                text: text.filter(|t| !t.is_empty()),
            },
            Reply::Room {
                name,
                members,
                operator,
                topic,
            } => ServerLine::Room {
                name,
                members,
                operator,
                topic: topic.filter(|t| !t.is_empty()),
            },
            Reply::Hist {
                of, at, from, text, ..
            } => ServerLine::Hist { of, at, from, text },
        })
    }
}

fn parse_done(rest: &str) -> Word<'_, Done<'_>> {
    let (what, args) = split_word(rest);
    let done = match what {
        "registered" => last_word(args).map(Done::Registered),
        "login" => last_word(args).map(Done::Login),
        "sent" => last_word(args).map(|to| Done::Sent { to, id: None }),
        "tags" => match args {
            "on" => Some(Done::Tags(true)),
            "off" => Some(Done::Tags(false)),
            _ => None,
        },
        "grant" => word(args).and_then(|(u, g)| Some(Done::Grant(u, grant(g)?))),
        "kicked" => last_word(args).map(Done::Kicked),
        "unkicked" => last_word(args).map(Done::Unkicked),
        "password-changed" => args.is_empty().then_some(Done::PasswordChanged),
        "created" => last_word(args).map(Done::Created),
        "joined" => last_word(args).map(Done::Joined),
        "parted" => last_word(args).map(Done::Parted),
        "topic" => last_word(args).map(Done::TopicSet),
        "removed" => word(args).and_then(|(r, u)| Some(Done::Removed(r, last_word(u)?))),
        "closed" => last_word(args).map(Done::Closed),
        _ => None,
    };
    done.map_or(Word::Unknown(rest), Word::Known)
}

fn parse_listing(rest: &str) -> Word<'_, Listing> {
    let (what, args) = split_word(rest);
    let list = match what {
        "users" if args.is_empty() => Some(Listing::Users),
        "kicked" if args.is_empty() => Some(Listing::Kicked),
        "users" => parse_page(args).map(Listing::UsersPage),
        "kicked" => parse_page(args).map(Listing::KickedPage),
        "help" => args.is_empty().then_some(Listing::Help),
        "rooms" => parse_page(args).map(Listing::RoomsPage),
        "history" => parse_history_end(args),
        "held" => word(args).and_then(|(r, d)| {
            Some(Listing::Held {
                replayed: ts(r)?.0,
                dropped: ts(last_word(d)?)?.0,
            })
        }),
        _ => None,
    };
    list.map_or(Word::Unknown(rest), Word::Known)
}

/// `<shown> [next]` of `END history`.
fn parse_history_end(args: &str) -> Option<Listing> {
    let (shown, next) = split_word(args);
    Some(Listing::History {
        shown: ts(shown)?.0,
        next: match next {
            "" => None,
            n => Some(match parse_point(last_word(n)?)? {
                HistoryPoint::Id(id) => HistoryMark {
                    id: Some(id),
                    at: None,
                },
                HistoryPoint::Time(at) => HistoryMark {
                    id: None,
                    at: Some(at),
                },
            }),
        },
    })
}

/// The point `END history` writes for a mark: its id if it has one (the
/// renderer leaves the id out for a client without tags), else its time.
fn mark_point(mark: HistoryMark) -> Option<HistoryPoint> {
    mark.id
        .map(HistoryPoint::Id)
        .or(mark.at.map(HistoryPoint::Time))
}

/// `<shown> <total> [next-page]` of a paged `END users` or `END kicked`.
fn parse_page(args: &str) -> Option<Page> {
    let (shown, rest) = word(args)?;
    let (total, next) = split_word(rest);
    Some(Page {
        shown: ts(shown)?.0,
        total: ts(total)?.0,
        next: match next {
            "" => None,
            n => Some(ts(last_word(n)?)?.0),
        },
    })
}

fn write_page(out: &mut Vec<u8>, list: &str, page: Page) -> std::io::Result<()> {
    let Page { shown, total, next } = page;
    match next {
        Some(next) => writeln!(out, "END {list} {shown} {total} {next}"),
        None => writeln!(out, "END {list} {shown} {total}"),
    }
}

/// How a refusal for now ends: `ERR <code> <text>; retry in <n> s`.
const RETRY_IN: &str = "; retry in ";

/// Splits `<text>; retry in <n> s` into the text and `n`.
fn split_retry(text: &str) -> (&str, Option<u64>) {
    let parsed = text.rsplit_once(RETRY_IN).and_then(|(head, tail)| {
        let secs = tail.strip_suffix(" s")?;
        let secs = (!secs.is_empty() && secs.bytes().all(|b| b.is_ascii_digit()))
            .then(|| secs.parse().ok())??;
        Some((head, secs))
    });
    match parsed {
        Some((head, secs)) => (head, Some(secs)),
        None => (text, None),
    }
}

fn parse_control(rest: &str) -> Word<'_, Control<'_>> {
    let (what, args) = split_word(rest);
    let ctl = match what {
        "busy" => args.is_empty().then_some(Control::Busy),
        "free" => args.is_empty().then_some(Control::Free),
        "grant" => grant(args).map(Control::Grant),
        "kick" => word(args).map(|(by, reason)| Control::Kick {
            by,
            reason: opt(reason),
        }),
        "disconnect" => args.is_empty().then_some(Control::Disconnect),
        "shutdown" => args.is_empty().then_some(Control::Shutdown),
        "restart" => args.is_empty().then_some(Control::Restart),
        "takeover" => args.is_empty().then_some(Control::Takeover),
        "removed" => word(args).and_then(|(room, rest)| {
            let (by, reason) = word(rest)?;
            Some(Control::Removed {
                room,
                by,
                reason: opt(reason),
            })
        }),
        _ => None,
    };
    ctl.map_or(Word::Unknown(rest), Word::Known)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(line: &str) -> ServerLine<'_> {
        ServerLine::parse(line).unwrap()
    }

    #[test]
    fn known_tags() {
        assert_eq!(
            parse("HELLO chat/1 my server"),
            ServerLine::Hello {
                protocol: "chat/1",
                server: "my server"
            }
        );
        assert_eq!(
            parse("ASK password (2/3) Write your password:"),
            ServerLine::Ask {
                step: Word::Known(AskField::Password),
                prompt: "(2/3) Write your password:"
            }
        );
        assert_eq!(
            parse("OK grant bob 0"),
            ServerLine::Ok(Word::Known(Done::Grant("bob", Grant::Admin)))
        );
        assert_eq!(
            parse("ERR bad-name a name starts with a letter"),
            ServerLine::Err {
                code: Word::Known(ErrorCode::BadName),
                text: "a name starts with a letter",
                retry: None
            }
        );
        assert_eq!(
            parse("MSG 5 al hi  there"),
            ServerLine::Msg {
                at: Millis(5),
                from: "al",
                text: "hi  there"
            }
        );
        assert_eq!(
            parse("END held 2 1"),
            ServerLine::End(Word::Known(Listing::Held {
                replayed: 2,
                dropped: 1
            }))
        );
        assert_eq!(
            parse("CTL kick al go away"),
            ServerLine::Ctl(Word::Known(Control::Kick {
                by: "al",
                reason: Some("go away")
            }))
        );
        assert_eq!(parse("PONG"), ServerLine::Pong(None));
        assert_eq!(
            parse("ERR rate-limited too many logins; retry in 12 s"),
            ServerLine::Err {
                code: Word::Known(ErrorCode::RateLimited),
                text: "too many logins",
                retry: Some(12)
            }
        );
        assert_eq!(
            parse("END users 2 7 1"),
            ServerLine::End(Word::Known(Listing::UsersPage(Page {
                shown: 2,
                total: 7,
                next: Some(1)
            })))
        );
        assert_eq!(
            parse("END kicked 0 0"),
            ServerLine::End(Word::Known(Listing::KickedPage(Page {
                shown: 0,
                total: 0,
                next: None
            })))
        );
        assert_eq!(
            parse("CTL takeover"),
            ServerLine::Ctl(Word::Known(Control::Takeover))
        );
    }

    #[test]
    fn extensions_are_kept_as_unknown() {
        assert_eq!(parse("MODE new"), ServerLine::Unknown("MODE new"));
        assert_eq!(parse(""), ServerLine::Unknown(""));
        assert_eq!(
            parse("ERR slow-down wait"),
            ServerLine::Err {
                code: Word::Unknown("slow-down"),
                text: "wait",
                retry: None
            }
        );
        assert_eq!(
            parse("LEAVE 1 al banned"),
            ServerLine::Leave {
                at: Millis(1),
                user: "al",
                reason: Word::Unknown("banned")
            }
        );
        assert_eq!(
            parse("CTL mute 30"),
            ServerLine::Ctl(Word::Unknown("mute 30"))
        );
        assert_eq!(
            parse("END rooms 3"),
            ServerLine::End(Word::Unknown("rooms 3"))
        );
        assert_eq!(
            parse("OK muted x"),
            ServerLine::Ok(Word::Unknown("muted x"))
        );
        assert_eq!(
            parse("ASK email Your email:"),
            ServerLine::Ask {
                step: Word::Unknown("email"),
                prompt: "Your email:"
            }
        );
    }

    #[test]
    fn malformed_known_tags_are_errors() {
        for line in [
            "MSG notanumber al hi",
            "MSG 5",
            "WELCOME al 7",
            "WELCOME",
            "JOIN 1",
            "JOIN 1 a b",
            "LEAVE 1 al",
            "USER al 2 free",
            "KICKED a b",
            "END",
            "CTL",
            "HELLO",
            "MSG +5 al hi",
            "RMSG rust 5",
            "RJOIN rust 5",
            "RLEAVE rust 5 al",
            "TOPIC rust x al",
            "ROOM rust many al",
            "HIST @ 5 al hi",
        ] {
            let err = ServerLine::parse(line).unwrap_err();
            assert_eq!(err.tag, line.split(' ').next().unwrap(), "{line}");
        }
    }
}
