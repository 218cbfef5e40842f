//! The commands of a logged-in IRC client, read as the engine's
//! [`Command`]s: noted as byte ranges into the line ([`Note`]) when the
//! codec reads it, then borrowed from the line ([`Note::read`]). What
//! IRC answers without the engine (`USERHOST`, `MOTD`, a `MODE` of a
//! room) is written here too.

use std::ops::Range;

use super::chathistory::{self, Asked};
use super::lines::{need, numeric, ModeChange, CHANNEL};
use super::listing::{ListKind, Whox};
use super::message::Message;
use super::policy::{channels, is_lobby, part_lobby, room_of};
use crate::command::TopicChange;
use crate::{
    ClientTags, Command, Grant, HistoryRange, HistoryTarget, MessageKind, ModeEdit, ModeError,
    Standing,
};

/// A command for the engine, as ranges into the line it is read from.
#[derive(Clone, Debug)]
pub(super) enum Note {
    /// A message to a nick: the nick, the text, how it is meant, its
    /// client tags.
    MessageTo(Range<usize>, Range<usize>, MessageKind, Range<usize>),
    Login(Range<usize>, Range<usize>),
    Guest(Range<usize>),
    Register(Range<usize>, Range<usize>),
    ChangePassword(Range<usize>, Range<usize>),
    Grant(Range<usize>, Grant),
    Kick(Range<usize>, Option<Range<usize>>),
    Unkick(Range<usize>),
    Ping(Range<usize>),
    Users,
    FindUsers(Range<usize>),
    WhoIs(Range<usize>),
    Oper(Range<usize>, Range<usize>),
    Kicked,
    Busy(Range<usize>),
    Free,
    Help,
    Restart,
    Quit(Option<Range<usize>>),
    Ready,
    /// `JOIN #room [key]`: the room's name, without `#`, and its key.
    Enter(Range<usize>, Option<Range<usize>>),
    Part(Range<usize>, Option<Range<usize>>),
    RoomMembers(Range<usize>),
    ListRooms,
    /// `TOPIC #room [text]`: no text shows it, an empty one clears it.
    Topic(Range<usize>, Option<Range<usize>>),
    /// A message to a channel: the room, the text, how it is meant, its
    /// client tags.
    SayIn(Range<usize>, Range<usize>, MessageKind, Range<usize>),
    Remove(Range<usize>, Range<usize>, Option<Range<usize>>),
    /// `MODE <me> +i|-i`.
    Invisible(bool),
    /// `MODE #room +o|-o|+v|-v nick`.
    Standing(Range<usize>, Range<usize>, Standing, bool),
    /// `MODE #room`: its modes.
    ShowModes(Range<usize>),
    /// `INVITE <nick> #room`: the nick, then the room.
    Invite(Range<usize>, Range<usize>),
    /// `MODE #room +sk-t key`: the room, then the change as
    /// [`ModeEdit`] writes it (on a line of the codec's).
    Modes(Range<usize>, Range<usize>),
    /// `CHATHISTORY`: a page of a channel's or a nick's history.
    History(Asked),
    /// `CHATHISTORY TARGETS`: the conversations whose latest line is in
    /// a range, at most `count`.
    Conversations {
        count: u64,
        range: HistoryRange,
    },
}

impl Note {
    /// The command, borrowed from `line` (the line the note was made on).
    pub(super) fn read(self, line: &str) -> Command<'_> {
        let s = |r: Range<usize>| line.get(r).unwrap_or("");
        let words = |r: Option<Range<usize>>| r.map(s).filter(|t| !t.is_empty());
        match self {
            Note::MessageTo(to, t, kind, tags) => Command::MessageTo {
                to: s(to),
                text: s(t),
                kind,
                tags: ClientTags::trusted(s(tags)),
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
            Note::Grant(u, grant) => Command::ChangeGrant { user: s(u), grant },
            Note::Kick(u, r) => Command::Kick {
                user: s(u),
                reason: words(r),
            },
            Note::Unkick(u) => Command::Unkick { user: s(u) },
            Note::Ping(t) => Command::Ping { token: Some(s(t)) },
            Note::Users => Command::ViewUsers { page: 1 },
            Note::FindUsers(m) => Command::FindUsers { masks: s(m) },
            Note::WhoIs(n) => Command::WhoIs { name: s(n) },
            Note::Oper(n, p) => Command::Oper {
                name: s(n),
                password: s(p),
            },
            Note::Kicked => Command::ViewKicked { page: 1 },
            Note::Busy(t) => Command::Busy {
                text: words(Some(t)),
            },
            Note::Free => Command::Free,
            Note::Help => Command::Help,
            Note::Restart => Command::Restart,
            Note::Quit(r) => Command::Quit { reason: words(r) },
            Note::Ready => Command::Ready,
            Note::Enter(room, key) => Command::EnterRoom {
                room: s(room),
                key: words(key),
            },
            Note::Part(room, r) => Command::PartRoom {
                room: s(room),
                reason: words(r),
            },
            Note::RoomMembers(room) => Command::RoomMembers { room: s(room) },
            Note::ListRooms => Command::ListRooms { page: 1 },
            Note::Topic(room, text) => Command::Topic {
                room: s(room),
                change: match text.map(s) {
                    None => TopicChange::Show,
                    Some("") => TopicChange::Clear,
                    Some(t) => TopicChange::Set(t),
                },
            },
            Note::SayIn(room, text, kind, tags) => Command::SayIn {
                room: s(room),
                text: s(text),
                kind,
                tags: ClientTags::trusted(s(tags)),
            },
            Note::Remove(room, user, reason) => Command::RemoveFromRoom {
                room: s(room),
                user: s(user),
                reason: words(reason),
            },
            Note::Invisible(on) => Command::Invisible { on },
            Note::Standing(room, user, standing, on) => Command::SetStanding {
                room: s(room),
                user: s(user),
                standing,
                on,
            },
            Note::Invite(user, room) => Command::Invite {
                user: s(user),
                room: s(room),
            },
            Note::ShowModes(room) => Command::RoomModes {
                room: s(room),
                change: None,
            },
            Note::Modes(room, change) => Command::RoomModes {
                room: s(room),
                change: ModeEdit::parse(s(change)).ok(),
            },
            Note::History(asked) => Command::History {
                of: if asked.room {
                    HistoryTarget::Room(s(asked.target))
                } else {
                    HistoryTarget::Private(s(asked.target))
                },
                count: Some(asked.limit),
                range: asked.range,
            },
            Note::Conversations { count, range } => Command::Conversations {
                count: Some(count),
                range,
            },
        }
    }
}

/// What reading one line asks of the engine and of the codec.
#[derive(Debug, Default)]
pub(super) struct Reading {
    /// The command for the engine.
    pub(super) note: Option<Note>,
    /// The listing the command's answer is (`NAMES`, `WHO`, bans).
    pub(super) listing: Option<ListKind>,
    /// Lines the line stands for beside itself (a `JOIN` of several
    /// channels: one command each), to be read next.
    pub(super) followups: Vec<String>,
    /// A line of the codec's that the note reads from, when the
    /// command's words are the codec's (a name and a password gathered
    /// from SASL, `PASS` or NickServ).
    pub(super) line: Option<String>,
}

impl Reading {
    /// A command for the engine.
    pub(super) fn noted(note: Note) -> Reading {
        Reading {
            note: Some(note),
            ..Reading::default()
        }
    }

    /// A command whose words are the codec's (`own`), read by the note
    /// `make` makes of the whole line.
    fn own_line(own: String, make: fn(Range<usize>) -> Note) -> Reading {
        let note = make(0..own.len());
        Reading {
            line: Some(own),
            ..Reading::noted(note)
        }
    }

    /// A command whose answer is a listing of `kind`.
    pub(super) fn listing(note: Note, kind: ListKind) -> Reading {
        Reading {
            listing: Some(kind),
            ..Reading::noted(note)
        }
    }

    /// Two words on a line of their own (`first second`: a name and a
    /// password, or two passwords), read by the note `make` makes.
    pub(super) fn credentials(
        first: &str,
        second: &str,
        make: fn(Range<usize>, Range<usize>) -> Note,
    ) -> Reading {
        let own = format!("{first} {second}");
        let note = make(0..first.len(), first.len() + 1..own.len());
        Reading {
            line: Some(own),
            ..Reading::noted(note)
        }
    }
}

/// `PRIVMSG`, `NOTICE` or `TAGMSG` (`kind`) of `text` with the client
/// tags `tags` (in their one form) to `target` (a channel or a nick),
/// from a logged-in client: a CTCP `ACTION` is an action; other CTCP is
/// not carried.
pub(super) fn message(
    line: &str,
    target: &str,
    text: &str,
    kind: MessageKind,
    tags: &str,
) -> Option<Note> {
    let r = |part: &str| range_in(line, part);
    let (text, kind) = match text.strip_prefix('\u{1}') {
        Some(ctcp) => {
            let action = ctcp.strip_prefix("ACTION ")?.trim_end_matches('\u{1}');
            (action, MessageKind::Action)
        }
        None => (text, kind),
    };
    // No tags: an empty range, whatever `tags` points at.
    let tags = if tags.is_empty() { 0..0 } else { r(tags) };
    Some(if let Some(room) = room_of(target) {
        Note::SayIn(r(room), r(text), kind, tags)
    } else {
        Note::MessageTo(r(target), r(text), kind, tags)
    })
}

/// A command (upper case) of a logged-in client other than those of
/// registration and messages; what the codec answers itself goes to
/// `out`.
pub(super) fn command(
    server: &str,
    cmd: &str,
    line: &str,
    msg: &Message<'_>,
    me: &str,
    out: &mut Vec<u8>,
) -> Reading {
    let r = |part: &str| range_in(line, part);
    match cmd {
        "JOIN" | "PART" => join_or_part(server, cmd, line, msg, me, out),
        "LIST" => {
            let only = msg.params.first().filter(|p| p.starts_with('#')).map(|p| {
                p.split(',')
                    .map(|c| c.to_ascii_lowercase())
                    .collect::<Vec<_>>()
            });
            Reading::listing(Note::ListRooms, ListKind::List(only))
        }
        "NAMES" => names(server, line, msg, me, out),
        "WHO" => who(line, msg),
        "WHOIS" => {
            if !need(out, server, me, msg, 1) {
                return Reading::default();
            }
            // `WHOIS [server] <nick>[,<nick>...]`: the first nick.
            let last = msg.params[msg.params.len() - 1];
            let nick = last.split(',').next().unwrap_or(last);
            Reading::listing(Note::WhoIs(r(nick)), ListKind::WhoIs(nick.to_owned()))
        }
        "USERHOST" => {
            if !need(out, server, me, msg, 1) {
                return Reading::default();
            }
            // Names, not masks: at most five, as RFC 2812 says.
            let nicks: Vec<&str> = msg
                .params
                .iter()
                .filter(|n| !n.is_empty() && !n.contains(['*', '?', ',']))
                .take(5)
                .copied()
                .collect();
            let own = nicks.join(" ");
            Reading {
                listing: Some(ListKind::Userhost),
                ..Reading::own_line(own, Note::FindUsers)
            }
        }
        "TOPIC" => topic(server, line, msg, me, out),
        // The answer (`381`, `464`, `491`) is told as the end of a listing.
        "OPER" if need(out, server, me, msg, 2) => Reading::listing(
            Note::Oper(r(msg.params[0]), r(msg.params[1])),
            ListKind::Oper,
        ),
        "OPER" => Reading::default(),
        "MODE" => mode(server, line, msg, me, out),
        "KICK" => kick(server, line, msg, me, out),
        "INVITE" => invite(server, line, msg, me, out),
        "AWAY" => match msg.params.first().filter(|p| !p.is_empty()) {
            Some(text) => Reading::noted(Note::Busy(r(text))),
            None => Reading::noted(Note::Free),
        },
        "MOTD" => {
            numeric(out, server, me, "422", ":MOTD File is missing");
            Reading::default()
        }
        "CHATHISTORY" => chathistory::read(server, line, msg, out),
        "HELP" => Reading::noted(Note::Help),
        "RESTART" => Reading::noted(Note::Restart),
        _ => {
            numeric(out, server, me, "421", &format!("{cmd} :Unknown command"));
            Reading::default()
        }
    }
}

/// `WHO [mask [%fields[,token]]]`: a channel's members, or the users
/// whose nicks match; with WHOX fields, rows of those fields.
fn who(line: &str, msg: &Message<'_>) -> Reading {
    let mask = msg.params.first().copied().filter(|m| !m.is_empty());
    let mask = mask.unwrap_or("*");
    let whox = msg.params.get(1).and_then(|p| Whox::parse(p));
    let listing = |channel: Option<&str>| ListKind::Who {
        mask: mask.to_owned(),
        channel: channel.map(str::to_owned),
        whox: whox.clone(),
    };
    if is_lobby(mask) {
        return Reading::listing(Note::Users, listing(Some(CHANNEL)));
    }
    match room_of(mask) {
        Some(room) => {
            Reading::listing(Note::RoomMembers(range_in(line, room)), listing(Some(mask)))
        }
        // `WHO 0` is everyone, as `WHO *`.
        None if mask == "0" => Reading {
            listing: Some(listing(None)),
            ..Reading::own_line("*".to_owned(), Note::FindUsers)
        },
        None => Reading::listing(Note::FindUsers(range_in(line, mask)), listing(None)),
    }
}

/// `JOIN` or `PART` of a comma-separated list: the first channel that
/// means something is read here, the rest become lines of their own read
/// next (one command a line), with the part message of the whole.
fn join_or_part(
    server: &str,
    cmd: &str,
    line: &str,
    msg: &Message<'_>,
    me: &str,
    out: &mut Vec<u8>,
) -> Reading {
    if !need(out, server, me, msg, 1) {
        return Reading::default();
    }
    let mut list = channels(msg.params[0]);
    let Some(first) = list.next() else {
        if cmd == "PART" {
            part_lobby(server, me, out);
        }
        return Reading::default();
    };
    let r = |part: &str| range_in(line, part);
    let reason = msg.params.get(1).filter(|_| cmd == "PART");
    // `JOIN #a,#b key-a,key-b`: each channel's key in the same place.
    let mut keys = msg
        .params
        .get(1)
        .filter(|_| cmd == "JOIN")
        .map(|k| k.split(','))
        .into_iter()
        .flatten();
    let key = keys.next().filter(|k| !k.is_empty());
    let mut reading = match room_of(first) {
        Some(room) if cmd == "JOIN" => Reading::noted(Note::Enter(r(room), key.map(r))),
        Some(room) => Reading::noted(Note::Part(r(room), reason.map(|t| r(t)))),
        None => {
            no_such_channel(server, me, first, out);
            Reading::default()
        }
    };
    reading.followups = list
        .map(|c| match (reason, keys.next().filter(|k| !k.is_empty())) {
            (Some(text), _) => format!("{cmd} {c} :{text}"),
            (None, Some(key)) => format!("{cmd} {c} {key}"),
            (None, None) => format!("{cmd} {c}"),
        })
        .collect();
    reading
}

/// `TOPIC #room [text]` (the lobby has none).
fn topic(server: &str, line: &str, msg: &Message<'_>, me: &str, out: &mut Vec<u8>) -> Reading {
    if !need(out, server, me, msg, 1) {
        return Reading::default();
    }
    let chan = msg.params[0];
    if is_lobby(chan) {
        numeric(
            out,
            server,
            me,
            "331",
            &format!("{CHANNEL} :No topic is set"),
        );
        return Reading::default();
    }
    match room_of(chan) {
        Some(room) => {
            let text = msg.params.get(1).map(|t| range_in(line, t));
            Reading::noted(Note::Topic(range_in(line, room), text))
        }
        None => {
            no_such_channel(server, me, chan, out);
            Reading::default()
        }
    }
}

/// `KICK <channel> <nick> [reason]`: off the server from the lobby (and
/// barred), out of a room from a room.
fn kick(server: &str, line: &str, msg: &Message<'_>, me: &str, out: &mut Vec<u8>) -> Reading {
    if !need(out, server, me, msg, 2) {
        return Reading::default();
    }
    let r = |part: &str| range_in(line, part);
    let reason = msg.params.get(2).map(|p| r(p));
    let nick = r(msg.params[1]);
    let chan = msg.params[0];
    if is_lobby(chan) {
        return Reading::noted(Note::Kick(nick, reason));
    }
    match room_of(chan) {
        Some(room) => Reading::noted(Note::Remove(r(room), nick, reason)),
        None => {
            no_such_channel(server, me, chan, out);
            Reading::default()
        }
    }
}

/// `INVITE <nick> <channel>`: into a room (the lobby has everyone).
fn invite(server: &str, line: &str, msg: &Message<'_>, me: &str, out: &mut Vec<u8>) -> Reading {
    if !need(out, server, me, msg, 2) {
        return Reading::default();
    }
    let (nick, chan) = (msg.params[0], msg.params[1]);
    if is_lobby(chan) {
        let rest = format!("{nick} {CHANNEL} :is already on channel");
        numeric(out, server, me, "443", &rest);
        return Reading::default();
    }
    match room_of(chan) {
        Some(room) => Reading::noted(Note::Invite(range_in(line, nick), range_in(line, room))),
        None => {
            no_such_channel(server, me, chan, out);
            Reading::default()
        }
    }
}

/// `NAMES [channel]`: the lobby's members, or a room's (a name that is no
/// channel, or no room, gets just its end).
fn names(server: &str, line: &str, msg: &Message<'_>, me: &str, out: &mut Vec<u8>) -> Reading {
    let chan = msg.params.first().and_then(|c| c.split(',').next());
    match chan.filter(|c| !c.is_empty() && !is_lobby(c)) {
        Some(chan) => match room_of(chan) {
            Some(room) => Reading::listing(
                Note::RoomMembers(range_in(line, room)),
                ListKind::RoomNames(chan.to_owned()),
            ),
            None => {
                numeric(
                    out,
                    server,
                    me,
                    "366",
                    &format!("{chan} :End of /NAMES list"),
                );
                Reading::default()
            }
        },
        None => Reading::listing(Note::Users, ListKind::Names),
    }
}

/// `MODE`: of oneself, of the lobby (operators, bans), or of a room.
fn mode(server: &str, line: &str, msg: &Message<'_>, me: &str, out: &mut Vec<u8>) -> Reading {
    let r = |part: &str| range_in(line, part);
    if !need(out, server, me, msg, 1) {
        return Reading::default();
    }
    let target = msg.params[0];
    if !target.starts_with('#') {
        // One's own modes are the codec's (`IrcCodec::user_mode`).
        numeric(out, server, me, "502", ":Can't change mode for other users");
        return Reading::default();
    }
    if !is_lobby(target) {
        return room_mode(server, line, msg, me, out);
    }
    let Some(modes) = msg.params.get(1) else {
        numeric(out, server, me, "324", &format!("{CHANNEL} +nt"));
        return Reading::default();
    };
    let arg = msg.params.get(2).map(|a| a.split('!').next().unwrap_or(a));
    match (*modes, arg) {
        ("b" | "+b", None) => return Reading::listing(Note::Kicked, ListKind::Bans),
        ("+o", Some(nick)) => return Reading::noted(Note::Grant(r(nick), Grant::Admin)),
        ("-o", Some(nick)) => return Reading::noted(Note::Grant(r(nick), Grant::User)),
        ("+b", Some(nick)) => return Reading::noted(Note::Kick(r(nick), None)),
        ("-b", Some(nick)) => return Reading::noted(Note::Unkick(r(nick))),
        ("+o" | "-o" | "-b", None) => {
            let _ = need(out, server, me, msg, 3);
        }
        _ => numeric(
            out,
            server,
            me,
            "472",
            &format!("{modes} :is unknown mode char to me"),
        ),
    }
    Reading::default()
}

/// `MODE` of a room: its modes (asked of the engine), an empty ban list
/// (bans are the server's), or a change: the room's modes (`+t`, `+s`,
/// `+m`, `+k`, `+l`; `+n` always holds) in one command, standings given
/// and taken (`+o`, `-o`, `+v`, `-v` with a nick each) one command each,
/// read after it in order.
fn room_mode(server: &str, line: &str, msg: &Message<'_>, me: &str, out: &mut Vec<u8>) -> Reading {
    let chan = msg.params[0];
    let Some(room) = room_of(chan) else {
        no_such_channel(server, me, chan, out);
        return Reading::default();
    };
    let modes = match msg.params.get(1) {
        None => return Reading::noted(Note::ShowModes(range_in(line, room))),
        Some(&("b" | "+b")) => {
            let end = format!("{chan} :End of channel ban list");
            numeric(out, server, me, "368", &end);
            return Reading::default();
        }
        Some(modes) => *modes,
    };
    let mut args = msg.params.iter().skip(2).copied();
    let mut changes: Vec<(Standing, bool, &str)> = Vec::new();
    let mut edit = ModeEdit::default();
    let mut read = false;
    let mut on = true;
    for c in modes.chars() {
        let standing = match c {
            '+' | '-' => {
                on = c == '+';
                continue;
            }
            'o' => Standing::Operator,
            'v' => Standing::Voice,
            c => {
                read |= mode_letter(server, me, chan, &mut edit, (c, on), &mut args, out);
                continue;
            }
        };
        match args.next().filter(|n| !n.is_empty()) {
            Some(nick) => changes.push((standing, on, nick)),
            None => {
                let _ = need(out, server, me, msg, 3);
            }
        }
    }
    let follow = |(standing, on, nick): (Standing, bool, &str)| {
        format!("MODE {chan} {} {nick}", ModeChange(standing, on))
    };
    let mut changes = changes.into_iter();
    let mut reading = if edit.is_empty() {
        let Some((standing, on, nick)) = changes.next() else {
            // Modes that change nothing (`+n`, `+t` of a new room): shown.
            if read {
                return Reading::noted(Note::ShowModes(range_in(line, room)));
            }
            return Reading::default();
        };
        let r = |part: &str| range_in(line, part);
        Reading::noted(Note::Standing(r(room), r(nick), standing, on))
    } else {
        Reading::credentials(room, &edit.to_string(), Note::Modes)
    };
    reading.followups = changes.map(follow).collect();
    reading
}

/// One letter of a room's modes into `edit` (`true`), or the numeric
/// that says why it cannot be.
#[allow(clippy::too_many_arguments)]
fn mode_letter<'a>(
    server: &str,
    me: &str,
    chan: &str,
    edit: &mut ModeEdit<'a>,
    (c, on): (char, bool),
    args: &mut impl Iterator<Item = &'a str>,
    out: &mut Vec<u8>,
) -> bool {
    let sign = if on { '+' } else { '-' };
    match edit.letter(c, on, || args.next()) {
        Ok(true) => return true,
        Ok(false) => {
            let why = format!("{c} :is unknown mode char to me");
            numeric(out, server, me, "472", &why);
        }
        Err(ModeError::Missing(_) | ModeError::Unknown(_) | ModeError::Extra) => {
            numeric(out, server, me, "461", "MODE :Not enough parameters");
        }
        Err(ModeError::Fixed) => {
            let why = format!("{chan} :{sign}{c} cannot be unset in this server's rooms");
            numeric(out, server, me, "482", &why);
        }
        Err(ModeError::Bad(_)) => {
            let why = format!("{chan} {c} * :{}", ModeError::Bad(c));
            numeric(out, server, me, "696", &why);
        }
    }
    false
}

fn no_such_channel(server: &str, me: &str, chan: &str, out: &mut Vec<u8>) {
    numeric(out, server, me, "403", &format!("{chan} :No such channel"));
}

/// The byte range of `part` (a slice of `line`) within `line`.
pub(super) fn range_in(line: &str, part: &str) -> Range<usize> {
    let start = (part.as_ptr() as usize).saturating_sub(line.as_ptr() as usize);
    start..start + part.len()
}
