//! chat/1's server lines, each declared once: its tag (and, for `OK`,
//! `CTL` and `END`, each kind's word), its fields as `PROTOCOL.md` writes
//! them, how it is read into a [`Reply`] and how a [`Reply`] is written as
//! it. The server's renderer and the clients' reader both go through
//! [`server_lines`], so what the server writes is what clients read, and a
//! test holds `PROTOCOL.md`'s tables to it.
//!
//! Adding a line is one entry here (and, for a new [`Reply`] variant,
//! its rendering by the other codecs).

use std::borrow::Cow;
use std::io::Write;

use super::tags::{mark_point, point_text};
use super::words::WireWord;
use super::PROTOCOL;
use crate::command::parse_point;
use crate::reply::{
    Control, Done, HistoryMark, HistoryOf, Identity, LeaveReason, Listing, MemberStatus, Notice,
    Page, Presence, Profile, Reply, WhoIs, Word,
};
use crate::{
    ClientTags, Grant, HistoryPoint, MessageKind, Millis, ModeEdit, Modes, Standing, LOBBY,
};

/// A server line's tag, its fields, and both directions.
pub struct LineSpec {
    /// The tag (`RMSG`).
    pub tag: &'static str,
    /// The fields after the tag, as `PROTOCOL.md`'s table writes them
    /// (`<room>`, `<ts>`, `<from>`, `<text>`; `[reason]` when it may be
    /// left out).
    pub fields: &'static [&'static str],
    /// For `OK`, `CTL` and `END`: their kinds, each with its own word and
    /// fields (the line's own fields are then `<what> [args]`).
    pub kinds: &'static [KindSpec],
    read: Read,
    write: Write_,
}

/// One kind of an `OK`, `CTL` or `END` line (`OK sent <user>`).
pub struct KindSpec {
    /// The word after the tag (`sent`).
    pub word: &'static str,
    /// The fields after the word (`<user>`).
    pub fields: &'static [&'static str],
    read: Read,
    write: Write_,
}

/// Reads the fields after the tag (or kind word) as a reply.
type Read = for<'a> fn(&mut Fields<'a>) -> Option<Reply<'a>>;
/// Writes a reply as this line (fields after the tag), `false` when it
/// is not one of this line's.
type Write_ = fn(&Reply<'_>, &mut Out<'_>) -> bool;

impl std::fmt::Debug for LineSpec {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LineSpec")
            .field("tag", &self.tag)
            .field("fields", &self.fields)
            .field("kinds", &self.kinds)
            .finish_non_exhaustive()
    }
}

impl std::fmt::Debug for KindSpec {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KindSpec")
            .field("word", &self.word)
            .field("fields", &self.fields)
            .finish_non_exhaustive()
    }
}

/// The fields of a line after its tag, read left to right.
pub(crate) struct Fields<'a> {
    rest: &'a str,
}

impl<'a> Fields<'a> {
    /// The next word (up to a space), not empty.
    fn word(&mut self) -> Option<&'a str> {
        let (word, rest) = self.rest.split_once(' ').unwrap_or((self.rest, ""));
        self.rest = rest;
        (!word.is_empty()).then_some(word)
    }

    /// The rest of the line as one word: not empty, no space.
    fn last_word(&mut self) -> Option<&'a str> {
        let rest = std::mem::take(&mut self.rest);
        (!rest.is_empty() && !rest.contains(' ')).then_some(rest)
    }

    /// The rest of the line as it is (perhaps empty).
    fn rest(&mut self) -> &'a str {
        std::mem::take(&mut self.rest)
    }

    /// The rest of the line, `None` when empty.
    fn opt(&mut self) -> Option<&'a str> {
        let rest = self.rest();
        (!rest.is_empty()).then_some(rest)
    }

    /// A number of the next word: digits only.
    fn num(&mut self) -> Option<u64> {
        digits(self.word()?)
    }

    /// A time stamp (Unix milliseconds) of the next word.
    fn ts(&mut self) -> Option<Millis> {
        self.num().map(Millis)
    }

    /// A grant (`0` or `1`) of the next word.
    fn grant(&mut self) -> Option<Grant> {
        Grant::from_wire(self.word()?)
    }

    /// The last word, one of an open set.
    fn open<T: WireWord>(&mut self) -> Option<Word<'a, T>> {
        let word = self.last_word()?;
        Some(T::from_word(word).map_or(Word::Unknown(word), Word::Known))
    }

    /// Whether the line is read whole.
    fn done(&self) -> bool {
        self.rest.is_empty()
    }
}

/// Decimal digits only (`u64::from_str` would take a leading `+`).
fn digits(s: &str) -> Option<u64> {
    if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    s.parse().ok()
}

/// A line being written: its head (the tag, and a kind's word), then
/// each field after a space. Nothing is written until the line's write
/// knows the reply is one of its own.
pub(crate) struct Out<'o> {
    out: &'o mut Vec<u8>,
    tag: &'static str,
    kind: Option<&'static str>,
    started: bool,
}

impl<'o> Out<'o> {
    fn new(out: &'o mut Vec<u8>, tag: &'static str, kind: Option<&'static str>) -> Out<'o> {
        Out {
            out,
            tag,
            kind,
            started: false,
        }
    }

    /// Writes the head, once.
    fn start(&mut self) -> &mut Vec<u8> {
        if !std::mem::replace(&mut self.started, true) {
            self.out.extend_from_slice(self.tag.as_bytes());
            if let Some(kind) = self.kind {
                self.out.push(b' ');
                self.out.extend_from_slice(kind.as_bytes());
            }
        }
        self.out
    }

    /// Ends the line.
    fn finish(mut self) {
        self.start().push(b'\n');
    }

    /// A field.
    fn put(&mut self, field: impl Field) -> &mut Self {
        let out = self.start();
        out.push(b' ');
        field.write_field(out);
        self
    }

    /// A field that may be left out.
    fn opt(&mut self, field: Option<impl Field>) -> &mut Self {
        if let Some(field) = field {
            self.put(field);
        }
        self
    }

    /// A word of an open set.
    fn open<T: WireWord>(&mut self, word: Word<'_, T>) -> &mut Self {
        match word {
            Word::Known(v) => self.put(v.word()),
            Word::Unknown(w) => self.put(w),
        }
    }
}

/// What a line's field is written from. Text and numbers are copied and
/// printed directly: a room line is a few of them, and going through
/// `fmt` for each cost most of a line's rendering.
pub(crate) trait Field {
    /// Appends the field's text.
    fn write_field(&self, out: &mut Vec<u8>);
}

impl<T: Field + ?Sized> Field for &T {
    fn write_field(&self, out: &mut Vec<u8>) {
        (**self).write_field(out);
    }
}

impl Field for str {
    fn write_field(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(self.as_bytes());
    }
}

impl Field for String {
    fn write_field(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(self.as_bytes());
    }
}

impl Field for u64 {
    fn write_field(&self, out: &mut Vec<u8>) {
        let mut digits = [0u8; 20];
        let mut at = digits.len();
        let mut n = *self;
        loop {
            at -= 1;
            digits[at] = b'0' + (n % 10) as u8;
            n /= 10;
            if n == 0 {
                break;
            }
        }
        out.extend_from_slice(&digits[at..]);
    }
}

impl Field for Millis {
    fn write_field(&self, out: &mut Vec<u8>) {
        self.0.write_field(out);
    }
}

impl Field for usize {
    fn write_field(&self, out: &mut Vec<u8>) {
        (*self as u64).write_field(out);
    }
}

impl Field for u32 {
    fn write_field(&self, out: &mut Vec<u8>) {
        u64::from(*self).write_field(out);
    }
}

impl Field for Cow<'_, str> {
    fn write_field(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(self.as_bytes());
    }
}

/// Fields written through their `Display` (the rarer lines' words).
macro_rules! display_fields {
    ($($t:ty),* $(,)?) => {$(
        impl Field for $t {
            fn write_field(&self, out: &mut Vec<u8>) {
                let _ = write!(out, "{self}");
            }
        }
    )*};
}

display_fields!(
    std::fmt::Arguments<'_>,
    Notice<'_>,
    Grant,
    ModeEdit<'_>,
    Modes<'_>,
);

/// Every server line chat/1 writes, in the order rendering tries them
/// (room lines first: they are what the server writes most).
///
/// ```
/// let rmsg = chat_core::wire::server_lines().iter().find(|l| l.tag == "RMSG").unwrap();
/// assert_eq!(rmsg.fields, ["<room>", "<ts>", "<from>", "<text>"]);
/// let ok = chat_core::wire::server_lines().iter().find(|l| l.tag == "OK").unwrap();
/// assert!(ok.kinds.iter().any(|k| k.word == "sent" && k.fields == ["<user>"]));
/// ```
pub fn server_lines() -> &'static [LineSpec] {
    LINES
}

// The writer tries these in order (`write_line`), so the lines written
// most come first: a room line, a line of history (fifty to every
// `/join`), a private message, an arrival or a departure, then `OK`, whose
// kinds are tried one by one.
static LINES: &[LineSpec] = &[
    LineSpec {
        tag: "MSG",
        fields: &["<ts>", "<from>", "<text>"],
        kinds: &[],
        read: |f| {
            Some(Reply::RoomMsg {
                room: LOBBY,
                id: None,
                at: f.ts()?,
                from: f.word()?,
                who: Identity::default(),
                kind: MessageKind::Said,
                text: f.rest(),
                tags: ClientTags::NONE,
            })
        },
        write: |r, o| {
            let Reply::RoomMsg {
                room: LOBBY,
                at,
                from,
                text,
                kind,
                ..
            } = r
            else {
                return false;
            };
            if kind.is_tags_only() {
                return false;
            }
            o.put(at).put(from).put(text);
            true
        },
    },
    LineSpec {
        tag: "HIST",
        fields: &["<room|@user>", "<ts>", "<from>", "<text>"],
        kinds: &[],
        read: |f| {
            let of = history_of(f.word()?)?;
            Some(Reply::Hist {
                of,
                id: None,
                at: f.ts()?,
                from: f.word()?,
                kind: MessageKind::Said,
                text: f.rest(),
            })
        },
        write: |r, o| {
            let Reply::Hist {
                of, at, from, text, ..
            } = r
            else {
                return false;
            };
            put_history_of(o, *of);
            o.put(at).put(from).put(text);
            true
        },
    },
    LineSpec {
        tag: "RMSG",
        fields: &["<room>", "<ts>", "<from>", "<text>"],
        kinds: &[],
        read: |f| {
            Some(Reply::RoomMsg {
                room: f.word()?,
                id: None,
                at: f.ts()?,
                from: f.word()?,
                who: Identity::default(),
                kind: MessageKind::Said,
                text: f.rest(),
                tags: ClientTags::NONE,
            })
        },
        write: |r, o| {
            let Reply::RoomMsg {
                room,
                at,
                from,
                text,
                kind,
                ..
            } = r
            else {
                return false;
            };
            if kind.is_tags_only() {
                return false;
            }
            o.put(room).put(at).put(from).put(text);
            true
        },
    },
    LineSpec {
        tag: "PM",
        fields: &["<ts>", "<from>", "<text>"],
        kinds: &[],
        read: |f| {
            Some(Reply::Pm {
                id: None,
                at: f.ts()?,
                from: f.word()?,
                who: Identity::default(),
                to: None,
                kind: MessageKind::Said,
                text: f.rest(),
                tags: ClientTags::NONE,
            })
        },
        write: |r, o| {
            let Reply::Pm {
                at,
                from,
                text,
                kind,
                ..
            } = r
            else {
                return false;
            };
            if kind.is_tags_only() {
                return false;
            }
            o.put(at).put(from).put(text);
            true
        },
    },
    LineSpec {
        tag: "JOIN",
        fields: &["<ts>", "<user>"],
        kinds: &[],
        read: |f| {
            Some(Reply::RoomJoin {
                room: LOBBY,
                at: f.ts()?,
                user: f.last_word()?,
                who: Identity::default(),
            })
        },
        write: |r, o| {
            let Reply::RoomJoin {
                room: LOBBY,
                at,
                user,
                ..
            } = r
            else {
                return false;
            };
            o.put(at).put(user);
            true
        },
    },
    LineSpec {
        tag: "RJOIN",
        fields: &["<room>", "<ts>", "<user>"],
        kinds: &[],
        read: |f| {
            Some(Reply::RoomJoin {
                room: f.word()?,
                at: f.ts()?,
                user: f.last_word()?,
                who: Identity::default(),
            })
        },
        write: |r, o| {
            let Reply::RoomJoin { room, at, user, .. } = r else {
                return false;
            };
            o.put(room).put(at).put(user);
            true
        },
    },
    LineSpec {
        tag: "LEAVE",
        fields: &["<ts>", "<user>", "<reason>"],
        kinds: &[],
        read: |f| {
            Some(Reply::RoomLeave {
                room: LOBBY,
                at: f.ts()?,
                user: f.word()?,
                reason: f.open()?,
                who: Identity::default(),
                by: None,
                text: None,
            })
        },
        write: |r, o| {
            match *r {
                Reply::RoomLeave {
                    room: LOBBY,
                    at,
                    user,
                    reason,
                    ..
                } => o.put(at).put(user).open(reason),
                // chat/1 names no actor: a kick is the plain `LEAVE ... kicked`.
                Reply::KickedOut { at, user, .. } => {
                    o.put(at).put(user).open(Word::Known(LeaveReason::Kicked))
                }
                _ => return false,
            };
            true
        },
    },
    LineSpec {
        tag: "RLEAVE",
        fields: &["<room>", "<ts>", "<user>", "<reason>"],
        kinds: &[],
        read: |f| {
            Some(Reply::RoomLeave {
                room: f.word()?,
                at: f.ts()?,
                user: f.word()?,
                reason: f.open()?,
                who: Identity::default(),
                by: None,
                text: None,
            })
        },
        write: |r, o| {
            let Reply::RoomLeave {
                room,
                at,
                user,
                reason,
                ..
            } = *r
            else {
                return false;
            };
            o.put(room).put(at).put(user).open(reason);
            true
        },
    },
    LineSpec {
        tag: "OK",
        fields: &["<what>", "[args]"],
        kinds: OK_KINDS,
        read: |f| Some(Reply::Ok(Done::Other(f.rest()))),
        write: |r, o| {
            let Reply::Ok(Done::Other(rest)) = r else {
                return false;
            };
            o.put(rest);
            true
        },
    },
    // Tags alone (which MSG, RMSG and PM leave to it), written only for a
    // client with tags on: the renderer writes nothing of them for one
    // without.
    LineSpec {
        tag: "TAGMSG",
        fields: &["<room|@user>", "<ts>", "<from>"],
        kinds: &[],
        read: |f| {
            let (target, at, from) = (f.word()?, f.ts()?, f.last_word()?);
            let (kind, text, tags, who) = (
                MessageKind::TagsOnly,
                "",
                ClientTags::NONE,
                Identity::default(),
            );
            Some(match target.strip_prefix('@') {
                Some(with) => Reply::Pm {
                    id: None,
                    at,
                    from,
                    who,
                    to: (!with.eq_ignore_ascii_case(from)).then_some(with),
                    kind,
                    text,
                    tags,
                },
                None => Reply::RoomMsg {
                    room: target,
                    id: None,
                    at,
                    from,
                    who,
                    kind,
                    text,
                    tags,
                },
            })
        },
        write: |r, o| {
            match r {
                Reply::RoomMsg {
                    room,
                    at,
                    from,
                    kind: MessageKind::TagsOnly,
                    ..
                } => o.put(room).put(at).put(from),
                Reply::Pm {
                    at,
                    from,
                    to,
                    kind: MessageKind::TagsOnly,
                    ..
                } => o
                    .put(format_args!("@{}", to.unwrap_or(from)))
                    .put(at)
                    .put(from),
                _ => return false,
            };
            true
        },
    },
    LineSpec {
        tag: "CONV",
        fields: &["<room|@user>", "<ts>"],
        kinds: &[],
        read: |f| {
            let of = history_of(f.word()?)?;
            Some(Reply::Conversation {
                of,
                id: None,
                at: f.ts()?,
            })
        },
        write: |r, o| {
            let Reply::Conversation { of, at, .. } = r else {
                return false;
            };
            put_history_of(o, *of);
            o.put(at);
            true
        },
    },
    LineSpec {
        tag: "INFO",
        fields: &["<text>"],
        kinds: &[],
        read: |f| Some(Reply::Info(f.rest())),
        write: |r, o| {
            match r {
                Reply::Info(text) => o.put(text),
                Reply::Notice(notice) => o.put(notice),
                _ => return false,
            };
            true
        },
    },
    LineSpec {
        tag: "ERR",
        fields: &["<code>", "<text>"],
        kinds: &[],
        read: |f| {
            let code = f.word()?;
            let (text, retry) = split_retry(f.rest());
            Some(Reply::Err {
                code: crate::ErrorCode::from_word(code).map_or(Word::Unknown(code), Word::Known),
                text,
                retry,
            })
        },
        write: |r, o| {
            let (code, text, retry) = match r {
                Reply::Err { code, text, retry } => (*code, Cow::Borrowed(*text), *retry),
                Reply::Refused(reason) => (
                    Word::Known(reason.code()),
                    Cow::Owned(reason.to_string()),
                    reason.retry_secs(),
                ),
                _ => return false,
            };
            o.open(code).put(text);
            if let Some(secs) = retry {
                let _ = write!(o.start(), "{RETRY_IN}{secs} s");
            }
            true
        },
    },
    LineSpec {
        tag: "HELLO",
        fields: &["<protocol>", "<server-name>"],
        kinds: &[],
        read: |f| {
            f.word()?;
            Some(Reply::Hello { server: f.rest() })
        },
        write: |r, o| {
            let Reply::Hello { server } = r else {
                return false;
            };
            o.put(PROTOCOL).put(server);
            true
        },
    },
    LineSpec {
        tag: "ASK",
        fields: &["<step>", "<prompt>"],
        kinds: &[],
        read: |f| {
            let step = f.word()?;
            Some(Reply::Ask {
                step: crate::reply::AskField::from_word(step)
                    .map_or(Word::Unknown(step), Word::Known),
                prompt: f.rest(),
            })
        },
        write: |r, o| {
            let Reply::Ask { step, prompt } = *r else {
                return false;
            };
            o.open(step).put(prompt);
            true
        },
    },
    LineSpec {
        tag: "WELCOME",
        fields: &["<user>", "<grant>"],
        kinds: &[],
        read: |f| {
            Some(Reply::Welcome {
                user: f.word()?,
                grant: Grant::from_wire(f.last_word()?)?,
            })
        },
        write: |r, o| {
            let Reply::Welcome { user, grant } = r else {
                return false;
            };
            o.put(user).put(grant);
            true
        },
    },
    LineSpec {
        tag: "USER",
        fields: &["<name>", "<grant>", "<presence>"],
        kinds: &[],
        read: |f| {
            let (name, grant) = (f.word()?, f.grant()?);
            Some(match f.open::<Presence>()? {
                // An open-set presence word: older clients show "unknown".
                Word::Unknown(GUEST) => Reply::GuestUser {
                    name,
                    grant,
                    presence: Presence::Free,
                    profile: Profile::default(),
                },
                Word::Unknown(GUEST_BUSY) => Reply::GuestUser {
                    name,
                    grant,
                    presence: Presence::Busy,
                    profile: Profile::default(),
                },
                presence => Reply::User {
                    name,
                    grant,
                    presence,
                    profile: Profile::default(),
                },
            })
        },
        write: |r, o| {
            match *r {
                Reply::User {
                    name,
                    grant,
                    presence,
                    ..
                } => o.put(name).put(grant).open(presence),
                Reply::GuestUser {
                    name,
                    grant,
                    presence,
                    ..
                } => o.put(name).put(grant).put(match presence {
                    Presence::Free => GUEST,
                    Presence::Busy => GUEST_BUSY,
                }),
                _ => return false,
            };
            true
        },
    },
    LineSpec {
        tag: "WHOIS",
        fields: &[
            "<name>",
            "<grant>",
            "<presence>",
            "<since>",
            "<idle>",
            "<rooms>",
            "[away]",
        ],
        kinds: &[],
        read: |f| {
            let (name, grant) = (f.word()?, f.grant()?);
            let (presence, account) = match f.word()? {
                GUEST => (Presence::Free, false),
                GUEST_BUSY => (Presence::Busy, false),
                word => (Presence::from_word(word)?, true),
            };
            // `-`: not known (a user of another node of a cluster).
            let since = f.ts()?;
            let idle_secs = match f.word()? {
                UNKNOWN_IDLE => None,
                secs => Some(digits(secs)?),
            };
            let rooms = match f.word()? {
                NO_ROOMS => Vec::new(),
                rooms => rooms
                    .split(',')
                    .map(read_member_of)
                    .collect::<Option<Vec<_>>>()?,
            };
            let profile = Profile {
                identity: Identity {
                    account,
                    ..Identity::default()
                },
                away: f.opt(),
                status: MemberStatus::default(),
                idle_secs,
            };
            Some(Reply::WhoIs(Box::new(WhoIs {
                name,
                grant,
                presence,
                profile,
                rooms,
                since,
                idle_secs,
            })))
        },
        write: |r, o| {
            let Reply::WhoIs(w) = r else {
                return false;
            };
            o.put(w.name).put(w.grant);
            o.put(match (w.profile.identity.account, w.presence) {
                (true, presence) => presence.word(),
                (false, Presence::Free) => GUEST,
                (false, Presence::Busy) => GUEST_BUSY,
            });
            o.put(w.since);
            match w.idle_secs {
                Some(secs) => o.put(secs),
                None => o.put(UNKNOWN_IDLE),
            };
            if w.rooms.is_empty() {
                o.put(NO_ROOMS);
            } else {
                let out = o.start();
                for (i, (room, status)) in w.rooms.iter().enumerate() {
                    out.push(if i == 0 { b' ' } else { b',' });
                    write_member_of(room, *status, out);
                }
            }
            o.opt(w.profile.away.filter(|a| !a.is_empty()));
            true
        },
    },
    LineSpec {
        tag: "KICKED",
        fields: &["<name>", "<by>", "<ts>", "[reason]"],
        kinds: &[],
        read: |f| {
            Some(Reply::Kicked {
                name: f.word()?,
                by: f.word()?,
                at: f.ts()?,
                reason: f.opt(),
            })
        },
        write: |r, o| {
            let Reply::Kicked {
                name,
                by,
                at,
                reason,
            } = r
            else {
                return false;
            };
            o.put(name).put(by).put(at).opt(*reason);
            true
        },
    },
    LineSpec {
        tag: "END",
        fields: &["<list>", "[counts]"],
        kinds: END_KINDS,
        read: |f| Some(Reply::End(Listing::Other(f.rest()))),
        write: |r, o| {
            let Reply::End(Listing::Other(rest)) = r else {
                return false;
            };
            o.put(rest);
            true
        },
    },
    LineSpec {
        tag: "CTL",
        fields: &["<what>", "[args]"],
        kinds: CTL_KINDS,
        read: |f| Some(Reply::Ctl(Control::Other(f.rest()))),
        write: |r, o| {
            let Reply::Ctl(Control::Other(rest)) = r else {
                return false;
            };
            o.put(rest);
            true
        },
    },
    LineSpec {
        tag: "PONG",
        fields: &["[token]"],
        kinds: &[],
        read: |f| Some(Reply::Pong(f.opt())),
        write: |r, o| {
            let Reply::Pong(token) = r else {
                return false;
            };
            o.opt(*token);
            true
        },
    },
    LineSpec {
        tag: "TOPIC",
        fields: &["<room>", "<ts>", "<by>", "[text]"],
        kinds: &[],
        read: |f| {
            Some(Reply::Topic {
                room: f.word()?,
                at: f.ts()?,
                by: f.word()?,
                text: f.opt(),
            })
        },
        write: |r, o| {
            let Reply::Topic { room, at, by, text } = r else {
                return false;
            };
            o.put(room)
                .put(at)
                .put(by)
                .opt(text.filter(|t| !t.is_empty()));
            true
        },
    },
    LineSpec {
        tag: "STANDING",
        fields: &["<room>", "<ts>", "<by>", "<user>", "<change>"],
        kinds: &[],
        read: |f| {
            let (room, at, by, user) = (f.word()?, f.ts()?, f.word()?, f.word()?);
            let (standing, on) = match f.word()? {
                "op" => (Standing::Operator, true),
                "deop" => (Standing::Operator, false),
                "voice" => (Standing::Voice, true),
                "devoice" => (Standing::Voice, false),
                _ => return None,
            };
            Some(Reply::Standing {
                room,
                at,
                by,
                user,
                standing,
                on,
            })
        },
        write: |r, o| {
            let Reply::Standing {
                room,
                at,
                by,
                user,
                standing,
                on,
            } = *r
            else {
                return false;
            };
            let change = match (standing, on) {
                (Standing::Operator, true) => "op",
                (Standing::Operator, false) => "deop",
                (Standing::Voice, true) => "voice",
                (Standing::Voice, false) => "devoice",
            };
            o.put(room).put(at).put(by).put(user).put(change);
            true
        },
    },
    LineSpec {
        tag: "MODE",
        fields: &["<room>", "<ts>", "<by>", "<change>"],
        kinds: &[],
        read: |f| {
            Some(Reply::ModeChanged {
                room: f.word()?,
                at: f.ts()?,
                by: f.word()?,
                change: ModeEdit::parse(f.rest()).ok().filter(|c| !c.is_empty())?,
            })
        },
        write: |r, o| {
            let Reply::ModeChanged {
                room,
                at,
                by,
                change,
            } = r
            else {
                return false;
            };
            o.put(room).put(at).put(by).put(change);
            true
        },
    },
    LineSpec {
        tag: "MODES",
        fields: &["<room>", "<modes>"],
        kinds: &[],
        read: |f| {
            let room = f.word()?;
            let mut words = f.rest().split(' ');
            let letters = words.next()?;
            let modes = Modes::parse(letters, &mut words)?;
            words
                .next()
                .is_none()
                .then_some(Reply::RoomModes { room, modes })
        },
        write: |r, o| {
            let Reply::RoomModes { room, modes } = r else {
                return false;
            };
            o.put(room).put(modes);
            true
        },
    },
    LineSpec {
        tag: "ROOM",
        fields: &["<name>", "<members>", "<operator>", "[topic]"],
        kinds: &[],
        read: |f| {
            let (name, members, operator) = (f.word()?, f.num()?, f.word()?);
            Some(Reply::Room {
                name,
                members,
                operator: (operator != NO_OPERATOR).then_some(operator),
                topic: f.opt(),
            })
        },
        write: |r, o| {
            let Reply::Room {
                name,
                members,
                operator,
                topic,
            } = r
            else {
                return false;
            };
            o.put(name)
                .put(members)
                .put(operator.unwrap_or(NO_OPERATOR))
                .opt(topic.filter(|t| !t.is_empty()));
            true
        },
    },
];

/// `USER`'s presence word for a guest (an IRC user without an account).
const GUEST: &str = "guest";
/// ... and for a busy one.
const GUEST_BUSY: &str = "guest-busy";
/// `ROOM`'s operator for the lobby, which has none.
const NO_OPERATOR: &str = "-";
/// `WHOIS`'s rooms for a user in none besides the lobby.
const NO_ROOMS: &str = "-";
/// `WHOIS`'s idle time when it is not known (a user of another node of a
/// cluster: nodes do not share idle times).
const UNKNOWN_IDLE: &str = "-";

/// A room of `WHOIS`: its name after `@` for an operator of it, then `+`
/// when voiced (room names hold neither, nor a comma).
fn write_member_of(room: &str, status: MemberStatus, out: &mut Vec<u8>) {
    if status.operator {
        out.push(b'@');
    }
    if status.voice {
        out.push(b'+');
    }
    out.extend_from_slice(room.as_bytes());
}

/// A room of `WHOIS` read back.
fn read_member_of(field: &str) -> Option<(&str, MemberStatus)> {
    let (operator, rest) = match field.strip_prefix('@') {
        Some(rest) => (true, rest),
        None => (false, field),
    };
    let (voice, room) = match rest.strip_prefix('+') {
        Some(room) => (true, room),
        None => (false, rest),
    };
    (!room.is_empty()).then_some((room, MemberStatus { operator, voice }))
}

/// How a refusal for now ends: `ERR <code> <text>; retry in <n> s`.
const RETRY_IN: &str = "; retry in ";

/// Splits `<text>; retry in <n> s` into the text and `n`.
fn split_retry(text: &str) -> (&str, Option<u64>) {
    let parsed = text.rsplit_once(RETRY_IN).and_then(|(head, tail)| {
        let secs = digits(tail.strip_suffix(" s")?)?;
        Some((head, secs))
    });
    match parsed {
        Some((head, secs)) => (head, Some(secs)),
        None => (text, None),
    }
}

/// A kind whose line is its word alone.
macro_rules! bare {
    ($word:literal, $reply:expr) => {
        KindSpec {
            word: $word,
            fields: &[],
            read: |_| Some($reply),
            write: |r, _| *r == $reply,
        }
    };
}

/// An `OK` kind whose one field is a name (`OK joined <room>`).
macro_rules! ok_one {
    ($word:literal, $field:literal, $done:path) => {
        KindSpec {
            word: $word,
            fields: &[$field],
            read: |f| Some(Reply::Ok($done(f.last_word()?))),
            write: |r, o| {
                let Reply::Ok($done(name)) = r else {
                    return false;
                };
                o.put(name);
                true
            },
        }
    };
}

static OK_KINDS: &[KindSpec] = &[
    KindSpec {
        word: "sent",
        fields: &["<user>"],
        read: |f| {
            Some(Reply::Ok(Done::Sent {
                to: f.last_word()?,
                id: None,
            }))
        },
        write: |r, o| {
            let Reply::Ok(Done::Sent { to, .. }) = r else {
                return false;
            };
            o.put(to);
            true
        },
    },
    ok_one!("registered", "<user>", Done::Registered),
    ok_one!("login", "<user>", Done::Login),
    KindSpec {
        word: "grant",
        fields: &["<user>", "<grant>"],
        read: |f| {
            let user = f.word()?;
            Some(Reply::Ok(Done::Grant(
                user,
                Grant::from_wire(f.last_word()?)?,
            )))
        },
        write: |r, o| {
            let Reply::Ok(Done::Grant(user, grant)) = r else {
                return false;
            };
            o.put(user).put(grant);
            true
        },
    },
    ok_one!("kicked", "<user>", Done::Kicked),
    ok_one!("unkicked", "<user>", Done::Unkicked),
    bare!("password-changed", Reply::Ok(Done::PasswordChanged)),
    ok_one!("created", "<room>", Done::Created),
    ok_one!("joined", "<room>", Done::Joined),
    ok_one!("parted", "<room>", Done::Parted),
    ok_one!("topic", "<room>", Done::TopicSet),
    KindSpec {
        word: "removed",
        fields: &["<room>", "<user>"],
        read: |f| {
            let room = f.word()?;
            Some(Reply::Ok(Done::Removed(room, f.last_word()?)))
        },
        write: |r, o| {
            let Reply::Ok(Done::Removed(room, user)) = r else {
                return false;
            };
            o.put(room).put(user);
            true
        },
    },
    ok_one!("closed", "<room>", Done::Closed),
    KindSpec {
        word: "invited",
        fields: &["<room>", "<user>"],
        read: |f| {
            let room = f.word()?;
            Some(Reply::Ok(Done::Invited(room, f.last_word()?)))
        },
        write: |r, o| {
            let Reply::Ok(Done::Invited(room, user)) = r else {
                return false;
            };
            o.put(room).put(user);
            true
        },
    },
    KindSpec {
        word: "tags",
        fields: &["<on|off>"],
        read: |f| match f.last_word()? {
            "on" => Some(Reply::Ok(Done::Tags(true))),
            "off" => Some(Reply::Ok(Done::Tags(false))),
            _ => None,
        },
        write: |r, o| {
            let Reply::Ok(Done::Tags(on)) = r else {
                return false;
            };
            o.put(if *on { "on" } else { "off" });
            true
        },
    },
];

static CTL_KINDS: &[KindSpec] = &[
    bare!("busy", Reply::Ctl(Control::Busy)),
    bare!("free", Reply::Ctl(Control::Free)),
    KindSpec {
        word: "grant",
        fields: &["<grant>"],
        read: |f| Some(Reply::Ctl(Control::Grant(Grant::from_wire(f.rest())?))),
        write: |r, o| {
            let Reply::Ctl(Control::Grant(grant)) = r else {
                return false;
            };
            o.put(grant);
            true
        },
    },
    KindSpec {
        word: "kick",
        fields: &["<by>", "[reason]"],
        read: |f| {
            Some(Reply::Ctl(Control::Kick {
                by: f.word()?,
                reason: f.opt(),
            }))
        },
        write: |r, o| {
            let Reply::Ctl(Control::Kick { by, reason }) = r else {
                return false;
            };
            o.put(by).opt(*reason);
            true
        },
    },
    bare!("disconnect", Reply::Ctl(Control::Disconnect)),
    bare!("shutdown", Reply::Ctl(Control::Shutdown)),
    bare!("restart", Reply::Ctl(Control::Restart)),
    bare!("takeover", Reply::Ctl(Control::Takeover)),
    KindSpec {
        word: "removed",
        fields: &["<room>", "<by>", "[reason]"],
        read: |f| {
            Some(Reply::Ctl(Control::Removed {
                room: f.word()?,
                by: f.word()?,
                reason: f.opt(),
            }))
        },
        write: |r, o| {
            let Reply::Ctl(Control::Removed { room, by, reason }) = r else {
                return false;
            };
            o.put(room).put(by).opt(*reason);
            true
        },
    },
    KindSpec {
        word: "invited",
        fields: &["<room>", "<by>"],
        read: |f| {
            let room = f.word()?;
            Some(Reply::Ctl(Control::Invited {
                room,
                by: f.last_word()?,
                who: Identity::default(),
                at: Millis(0),
            }))
        },
        write: |r, o| {
            let Reply::Ctl(Control::Invited { room, by, .. }) = r else {
                return false;
            };
            o.put(room).put(by);
            true
        },
    },
];

static END_KINDS: &[KindSpec] = &[
    KindSpec {
        word: "history",
        fields: &["<shown>", "[next]"],
        read: |f| {
            let shown = f.num()?;
            let next = match f.opt() {
                None => None,
                Some(point) => Some(match parse_point(point)? {
                    HistoryPoint::Id(id) => HistoryMark {
                        id: Some(id),
                        at: None,
                    },
                    HistoryPoint::Time(at) => HistoryMark {
                        id: None,
                        at: Some(at),
                    },
                }),
            };
            Some(Reply::End(Listing::History { shown, next }))
        },
        write: |r, o| {
            let Reply::End(Listing::History { shown, next }) = r else {
                return false;
            };
            o.put(shown).opt(next.and_then(mark_point).map(point_text));
            true
        },
    },
    KindSpec {
        word: "conversations",
        fields: &["<shown>"],
        read: |f| Some(Reply::End(Listing::Conversations { shown: f.num()? })),
        write: |r, o| {
            let Reply::End(Listing::Conversations { shown }) = r else {
                return false;
            };
            o.put(shown);
            true
        },
    },
    KindSpec {
        word: "users",
        fields: &["<shown>", "<total>", "[next-page]"],
        read: |f| {
            Some(Reply::End(if f.done() {
                Listing::Users
            } else {
                Listing::UsersPage(read_page(f)?)
            }))
        },
        write: |r, o| match r {
            Reply::End(Listing::Users) => true,
            Reply::End(Listing::UsersPage(page)) => write_page(o, *page),
            _ => false,
        },
    },
    KindSpec {
        word: "kicked",
        fields: &["<shown>", "<total>", "[next-page]"],
        read: |f| {
            Some(Reply::End(if f.done() {
                Listing::Kicked
            } else {
                Listing::KickedPage(read_page(f)?)
            }))
        },
        write: |r, o| match r {
            Reply::End(Listing::Kicked) => true,
            Reply::End(Listing::KickedPage(page)) => write_page(o, *page),
            _ => false,
        },
    },
    KindSpec {
        word: "rooms",
        fields: &["<shown>", "<total>", "[next-page]"],
        read: |f| Some(Reply::End(Listing::RoomsPage(read_page(f)?))),
        write: |r, o| {
            let Reply::End(Listing::RoomsPage(page)) = r else {
                return false;
            };
            write_page(o, *page)
        },
    },
    bare!("help", Reply::End(Listing::Help)),
    KindSpec {
        word: "held",
        fields: &["<replayed>", "<dropped>"],
        read: |f| {
            let replayed = f.num()?;
            let dropped = digits(f.last_word()?)?;
            Some(Reply::End(Listing::Held { replayed, dropped }))
        },
        write: |r, o| {
            let Reply::End(Listing::Held { replayed, dropped }) = r else {
                return false;
            };
            o.put(replayed).put(dropped);
            true
        },
    },
];

/// `<shown> <total> [next-page]` of a page of a listing.
/// `<room|@user>` of `HIST` and `CONV`: a room, or `@` and a user.
fn history_of(word: &str) -> Option<HistoryOf<'_>> {
    Some(match word.strip_prefix('@') {
        Some("") => return None,
        Some(user) => HistoryOf::Private(user),
        None => HistoryOf::Room(word),
    })
}

fn put_history_of(o: &mut Out<'_>, of: HistoryOf<'_>) {
    match of {
        HistoryOf::Room(room) => o.put(room),
        HistoryOf::Private(user) => o.put(format_args!("@{user}")),
    };
}

fn read_page(f: &mut Fields<'_>) -> Option<Page> {
    let (shown, total) = (f.num()?, f.num()?);
    let next = match f.opt() {
        None => None,
        Some(next) => Some(digits(next)?),
    };
    Some(Page { shown, total, next })
}

fn write_page(o: &mut Out<'_>, Page { shown, total, next }: Page) -> bool {
    o.put(shown).put(total).opt(next);
    true
}

/// Writes `reply` as the chat/1 line it is, ending in `\n`; `false` (and
/// nothing written) when chat/1 has no line for it (a grant change or an
/// away notice to the room, a server ping, `/help`'s many lines).
pub(crate) fn write_line(reply: &Reply<'_>, out: &mut Vec<u8>) -> bool {
    if let Reply::Unknown(line) = reply {
        out.extend_from_slice(line.as_bytes());
        out.push(b'\n');
        return true;
    }
    for line in LINES {
        let mut o = Out::new(out, line.tag, None);
        if (line.write)(reply, &mut o) {
            o.finish();
            return true;
        }
        for kind in line.kinds {
            let mut o = Out::new(out, line.tag, Some(kind.word));
            if (kind.write)(reply, &mut o) {
                o.finish();
                return true;
            }
        }
    }
    false
}

/// A line with a known tag whose fields are not what the protocol says.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("malformed {tag} line")]
pub struct MalformedLine {
    /// The line's tag.
    pub tag: String,
}

/// Reads one server line (without its ending) as the reply it is.
///
/// Tags before it (`@id=...`, after `/tags on`) give the reply its id
/// and its client-only tags (`+name=value`, after the id).
/// A tag this side does not know is [`Reply::Unknown`]; a word it does
/// not know where the protocol allows new ones is kept
/// ([`Word::Unknown`], and `Other` for `OK`, `CTL` and `END` kinds). A
/// known tag with missing or malformed fields is an error.
///
/// ```
/// use chat_core::reply::{Identity, LeaveReason, Reply, Word};
/// use chat_core::wire::{parse_reply, render};
/// use chat_core::{Millis, LOBBY};
/// let line = parse_reply("LEAVE 5 bob too-slow").unwrap();
/// assert_eq!(
///     line,
///     Reply::RoomLeave {
///         room: LOBBY, at: Millis(5), user: "bob", who: Identity::default(),
///         reason: Word::Known(LeaveReason::TooSlow), by: None, text: None,
///     }
/// );
/// let mut out = Vec::new();
/// render(&line, &mut out);
/// assert_eq!(out, b"LEAVE 5 bob too-slow\n");
/// // A tag from a newer server is kept, not refused.
/// assert_eq!(parse_reply("FLAIR x").unwrap(), Reply::Unknown("FLAIR x"));
/// ```
pub fn parse_reply(line: &str) -> Result<Reply<'_>, MalformedLine> {
    let (tags, line) = super::tags::split_tags(line);
    let (tag, rest) = line.split_once(' ').unwrap_or((line, ""));
    let Some(spec) = LINES.iter().find(|l| l.tag == tag) else {
        return Ok(Reply::Unknown(line));
    };
    let reply = if spec.kinds.is_empty() {
        (spec.read)(&mut Fields { rest })
    } else if rest.is_empty() {
        None
    } else {
        let (word, args) = rest.split_once(' ').unwrap_or((rest, ""));
        let known = spec.kinds.iter().find(|k| k.word == word);
        // A known kind whose fields do not read is kept as an unknown one,
        // as a word of a newer server would be.
        known
            .and_then(|kind| {
                let mut fields = Fields { rest: args };
                (kind.read)(&mut fields).filter(|_| fields.done())
            })
            .or_else(|| (spec.read)(&mut Fields { rest }))
    };
    let mut reply = reply.ok_or_else(|| MalformedLine {
        tag: tag.to_owned(),
    })?;
    if let Some(id) = tags.id() {
        reply.set_id(id);
    }
    reply.set_kind(tags.kind());
    reply.set_client_tags(tags.client());
    Ok(reply)
}

#[cfg(test)]
mod tests {
    use super::Field;

    #[test]
    fn numbers_are_written_as_display_writes_them() {
        for n in [0u64, 7, 10, 99, 1_000, 1_733_140_800_123, u64::MAX] {
            let mut out = Vec::new();
            n.write_field(&mut out);
            assert_eq!(out, n.to_string().into_bytes());
        }
    }
}
