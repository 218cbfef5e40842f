//! Protocol v1 text lines to [`Command`]s.

use crate::error::{ErrorCode, Refusal};
use crate::wire::tags::parse_point;
use crate::{Command, Grant, HistoryRange, HistoryTarget, MessageKind, TopicChange};

/// The commands of protocol v1 as people type them: name, arguments, what
/// it does, and whether it needs grant 0. `/help` prints this table.
pub const HELP: &[(&str, &str, &str, bool)] = &[
    ("/help", "", "this list", false),
    (
        "/viewusers",
        "[page]",
        "who is online, a page at a time (alias /users)",
        false,
    ),
    (
        "/messageto",
        "<user> <text>",
        "a private message (alias /msg)",
        false,
    ),
    ("/busy", "", "hold room lines until /free", false),
    ("/free", "", "replay held room lines", false),
    (
        "/viewkickusers",
        "[page]",
        "the kick list, a page at a time",
        false,
    ),
    (
        "/changepassword",
        "[<old> <new>]",
        "change your password (without arguments: asked step by step)",
        false,
    ),
    ("/ping", "[token]", "answered with PONG", false),
    (
        "/create",
        "<room>",
        "create a room (you are its operator) and join it",
        false,
    ),
    (
        "/join",
        "<room>",
        "join a room; its last lines are replayed",
        false,
    ),
    ("/part", "<room>", "leave a room", false),
    ("/rooms", "[page]", "the rooms, a page at a time", false),
    ("/say", "<room> <text>", "say something in a room", false),
    (
        "/topic",
        "<room> [text]",
        "show a room's topic, or set it (its operator)",
        false,
    ),
    (
        "/cleartopic",
        "<room>",
        "clear a room's topic (its operator)",
        false,
    ),
    (
        "/remove",
        "<room> <user> [reason]",
        "take a user out of a room (its operator)",
        false,
    ),
    (
        "/closeroom",
        "<room>",
        "remove a room and its history (its operator)",
        false,
    ),
    (
        "/history",
        "<room|@user> [count] [before|after|around|since <point> | between <point> <point>]",
        "earlier lines of a room or of private messages; a point is id=<id> or <ts>",
        false,
    ),
    (
        "/tags",
        "<on|off>",
        "message ids on lines (@id=<id> ...)",
        false,
    ),
    ("/disconnect", "", "leave (alias /quit)", false),
    (
        "/changegrant",
        "<user> <0|1>",
        "make a user admin (0) or user (1)",
        true,
    ),
    (
        "/kickuser",
        "<user> [reason]",
        "disconnect a user and bar them",
        true,
    ),
    ("/unkick", "<user>", "take a user off the kick list", true),
    ("/restart", "", "restart the server", true),
];

/// Parses one line (without its ending).
///
/// A line not starting with `/` is a room message; `//text` is the room
/// message `/text`. A parse failure is a [`Refusal`] for the peer.
///
/// ```
/// use chat_core::{wire::parse, Command, MessageKind};
/// assert_eq!(parse("hello all").unwrap(), Command::Say("hello all"));
/// assert_eq!(parse("//shrug").unwrap(), Command::Say("/shrug"));
/// assert_eq!(
///     parse("/msg bob hi there").unwrap(),
///     Command::MessageTo { to: "bob", text: "hi there", kind: MessageKind::Said }
/// );
/// assert_eq!(parse("/nope").unwrap_err().code.as_str(), "unknown-command");
/// ```
pub fn parse(line: &str) -> Result<Command<'_>, Refusal> {
    let Some(rest) = line.strip_prefix('/') else {
        return Ok(Command::Say(line));
    };
    if rest.starts_with('/') {
        return Ok(Command::Say(rest));
    }
    let (name, args) = split_word(rest);
    let args = args.trim_start_matches(' ');
    let cmd = match name.to_ascii_lowercase().as_str() {
        "help" => no_args(Command::Help, args, "/help")?,
        "viewusers" | "users" => Command::ViewUsers {
            page: page(args, "/viewusers [page]")?,
        },
        "messageto" | "msg" => {
            let (to, text) = split_word(args);
            if to.is_empty() || text.is_empty() {
                return Err(usage("/messageto <user> <text>"));
            }
            Command::MessageTo {
                to,
                text,
                kind: MessageKind::Said,
            }
        }
        "busy" => no_args(Command::Busy { text: None }, args, "/busy")?,
        "free" => no_args(Command::Free, args, "/free")?,
        "changegrant" => {
            let (user, grant) = split_word(args);
            match Grant::from_wire(grant.trim()) {
                Some(grant) if !user.is_empty() => Command::ChangeGrant { user, grant },
                _ => return Err(usage("/changegrant <user> <0|1>")),
            }
        }
        "kickuser" => {
            let (user, reason) = split_word(args);
            if user.is_empty() {
                return Err(usage("/kickuser <user> [reason]"));
            }
            let reason = reason.trim();
            Command::Kick {
                user,
                reason: (!reason.is_empty()).then_some(reason),
            }
        }
        "unkick" => {
            let (user, extra) = split_word(args);
            if user.is_empty() || !extra.trim().is_empty() {
                return Err(usage("/unkick <user>"));
            }
            Command::Unkick { user }
        }
        "viewkickusers" => Command::ViewKicked {
            page: page(args, "/viewkickusers [page]")?,
        },
        "changepassword" if args.trim_matches(' ').is_empty() => Command::ChangePasswordDialog,
        "changepassword" => {
            let (old, new) = split_word(args);
            if old.is_empty() || new.is_empty() {
                return Err(usage("/changepassword <old> <new>"));
            }
            Command::ChangePassword { old, new }
        }
        "restart" => no_args(Command::Restart, args, "/restart")?,
        "disconnect" | "quit" => Command::Quit { reason: None },
        "ping" => {
            let token = args.trim();
            Command::Ping {
                token: (!token.is_empty()).then_some(token),
            }
        }
        "register" => {
            let (name, password) = split_word(args);
            if name.is_empty() || password.is_empty() {
                return Err(usage("/register <name> <password>"));
            }
            Command::Register { name, password }
        }
        "login" => {
            let (name, password) = split_word(args);
            if name.is_empty() || password.is_empty() {
                return Err(usage("/login <name> <password>"));
            }
            Command::Login { name, password }
        }
        "create" => Command::CreateRoom {
            room: one_word(args, "/create <room>")?,
        },
        "join" => Command::JoinRoom {
            room: one_word(args, "/join <room>")?,
        },
        "part" => Command::PartRoom {
            room: one_word(args, "/part <room>")?,
            reason: None,
        },
        "rooms" => Command::ListRooms {
            page: page(args, "/rooms [page]")?,
        },
        "say" => {
            let (room, text) = split_word(args);
            if room.is_empty() || text.is_empty() {
                return Err(usage("/say <room> <text>"));
            }
            Command::SayIn {
                room,
                text,
                kind: MessageKind::Said,
            }
        }
        "topic" => {
            let (room, text) = split_word(args);
            if room.is_empty() {
                return Err(usage("/topic <room> [text]"));
            }
            let change = if text.trim().is_empty() {
                TopicChange::Show
            } else {
                TopicChange::Set(text)
            };
            Command::Topic { room, change }
        }
        "cleartopic" => Command::Topic {
            room: one_word(args, "/cleartopic <room>")?,
            change: TopicChange::Clear,
        },
        "remove" => {
            let (room, rest) = split_word(args);
            let (user, reason) = split_word(rest);
            if room.is_empty() || user.is_empty() {
                return Err(usage("/remove <room> <user> [reason]"));
            }
            let reason = reason.trim();
            Command::RemoveFromRoom {
                room,
                user,
                reason: (!reason.is_empty()).then_some(reason),
            }
        }
        "closeroom" => Command::CloseRoom {
            room: one_word(args, "/closeroom <room>")?,
        },
        "history" => history(args)?,
        _ => {
            return Err(Refusal::new(
                ErrorCode::UnknownCommand,
                format!("/{name} is not a command; try /help"),
            ))
        }
    };
    Ok(cmd)
}

/// Splits off the first space-separated word; the rest keeps its inner
/// spaces (it may be a message or a password).
fn split_word(s: &str) -> (&str, &str) {
    match s.split_once(' ') {
        Some((word, rest)) => (word, rest),
        None => (s, ""),
    }
}

fn no_args<'a>(cmd: Command<'a>, args: &str, form: &str) -> Result<Command<'a>, Refusal> {
    if args.trim().is_empty() {
        Ok(cmd)
    } else {
        Err(usage(form))
    }
}

/// An optional page number, from 1.
fn page(args: &str, form: &str) -> Result<u64, Refusal> {
    let args = args.trim();
    if args.is_empty() {
        return Ok(1);
    }
    match args.parse::<u64>() {
        Ok(n) if n >= 1 => Ok(n),
        _ => Err(usage(form)),
    }
}

/// Exactly one word.
fn one_word<'a>(args: &'a str, form: &str) -> Result<&'a str, Refusal> {
    let args = args.trim_matches(' ');
    if args.is_empty() || args.contains(' ') {
        return Err(usage(form));
    }
    Ok(args)
}

/// The form of `/history`, for its usage and help.
pub(crate) const HISTORY_FORM: &str =
    "/history <room|@user> [count] [before|after|around|since <point> | between <point> <point>]";

/// `/history <room|@user> [count] [<range>]`: a range is `before`,
/// `after`, `around` or `since` a point, or `between` two; a point is
/// `id=<id>` or `<ts>`.
fn history(args: &str) -> Result<Command<'_>, Refusal> {
    let bad = || usage(HISTORY_FORM);
    let mut words = args.split(' ').filter(|w| !w.is_empty());
    let of = match words.next() {
        Some(w) => match w.strip_prefix('@') {
            Some(user) if !user.is_empty() => HistoryTarget::Private(user),
            Some(_) => return Err(bad()),
            None => HistoryTarget::Room(w),
        },
        None => return Err(bad()),
    };
    let mut count = None;
    let mut next = words.next();
    if let Some(w) = next.filter(|w| w.bytes().next().is_some_and(|b| b.is_ascii_digit())) {
        count = Some(
            w.bytes()
                .all(|b| b.is_ascii_digit())
                .then(|| w.parse::<u64>().ok())
                .flatten()
                .filter(|n| *n > 0)
                .ok_or_else(bad)?,
        );
        next = words.next();
    }
    let mut point = || words.next().and_then(parse_point).ok_or_else(bad);
    let range = match next {
        None => HistoryRange::Latest(None),
        Some("before") => HistoryRange::Before(point()?),
        Some("after") => HistoryRange::After(point()?),
        Some("around") => HistoryRange::Around(point()?),
        Some("since") => HistoryRange::Latest(Some(point()?)),
        Some("between") => {
            let first = point()?;
            HistoryRange::Between(first, point()?)
        }
        Some(_) => return Err(bad()),
    };
    if words.next().is_some() {
        return Err(bad());
    }
    Ok(Command::History { of, count, range })
}

fn usage(form: &str) -> Refusal {
    Refusal::new(ErrorCode::BadArgument, format!("usage: {form}"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{HistoryPoint, Millis, MsgId};

    fn code(line: &str) -> &'static str {
        parse(line).unwrap_err().code.as_str()
    }

    #[test]
    fn room_commands() {
        assert_eq!(
            parse("/create rust").unwrap(),
            Command::CreateRoom { room: "rust" }
        );
        assert_eq!(
            parse("/join rust").unwrap(),
            Command::JoinRoom { room: "rust" }
        );
        assert_eq!(
            parse("/part rust").unwrap(),
            Command::PartRoom {
                room: "rust",
                reason: None
            }
        );
        assert_eq!(parse("/rooms 2").unwrap(), Command::ListRooms { page: 2 });
        assert_eq!(
            parse("/say rust hi  there").unwrap(),
            Command::SayIn {
                room: "rust",
                text: "hi  there",
                kind: MessageKind::Said
            }
        );
        assert_eq!(
            parse("/topic rust").unwrap(),
            Command::Topic {
                room: "rust",
                change: TopicChange::Show
            }
        );
        assert_eq!(
            parse("/topic rust all about it").unwrap(),
            Command::Topic {
                room: "rust",
                change: TopicChange::Set("all about it")
            }
        );
        assert_eq!(
            parse("/cleartopic rust").unwrap(),
            Command::Topic {
                room: "rust",
                change: TopicChange::Clear
            }
        );
        assert_eq!(
            parse("/remove rust bob go away").unwrap(),
            Command::RemoveFromRoom {
                room: "rust",
                user: "bob",
                reason: Some("go away")
            }
        );
        assert_eq!(
            parse("/closeroom rust").unwrap(),
            Command::CloseRoom { room: "rust" }
        );
        assert_eq!(
            parse("/history rust").unwrap(),
            Command::History {
                of: HistoryTarget::Room("rust"),
                count: None,
                range: HistoryRange::Latest(None)
            }
        );
        assert_eq!(
            parse("/history @bob 20 before 1700").unwrap(),
            Command::History {
                of: HistoryTarget::Private("bob"),
                count: Some(20),
                range: HistoryRange::Before(HistoryPoint::Time(Millis(1700)))
            }
        );
        assert_eq!(
            parse("/history rust before id=5").unwrap(),
            Command::History {
                of: HistoryTarget::Room("rust"),
                count: None,
                range: HistoryRange::Before(HistoryPoint::Id(MsgId(5)))
            }
        );
        assert_eq!(
            parse("/history rust 3 between id=5 1700").unwrap(),
            Command::History {
                of: HistoryTarget::Room("rust"),
                count: Some(3),
                range: HistoryRange::Between(
                    HistoryPoint::Id(MsgId(5)),
                    HistoryPoint::Time(Millis(1700))
                )
            }
        );
        for (word, range) in [
            (
                "after",
                HistoryRange::After as fn(HistoryPoint) -> HistoryRange,
            ),
            ("around", HistoryRange::Around),
            ("since", |p| HistoryRange::Latest(Some(p))),
        ] {
            assert_eq!(
                parse(&format!("/history rust {word} id=9")).unwrap(),
                Command::History {
                    of: HistoryTarget::Room("rust"),
                    count: None,
                    range: range(HistoryPoint::Id(MsgId(9)))
                }
            );
        }
        for bad in [
            "/create",
            "/join a b",
            "/say rust",
            "/remove rust",
            "/history",
            "/history @",
            "/history rust 0",
            "/history rust x",
            "/history rust before",
            "/history rust 5 before 6 7",
            "/history rust before id=",
            "/history rust before id=x",
            "/history rust between 5",
            "/history rust later 5",
            "/history rust +5",
        ] {
            assert_eq!(code(bad), "bad-argument", "{bad}");
        }
    }

    #[test]
    fn every_command_and_alias() {
        assert_eq!(parse("/help").unwrap(), Command::Help);
        assert_eq!(parse("/viewusers").unwrap(), Command::ViewUsers { page: 1 });
        assert_eq!(parse("/users 3").unwrap(), Command::ViewUsers { page: 3 });
        assert_eq!(
            parse("/messageto bob a b").unwrap(),
            Command::MessageTo {
                to: "bob",
                text: "a b",
                kind: MessageKind::Said
            }
        );
        assert_eq!(parse("/busy").unwrap(), Command::Busy { text: None });
        assert_eq!(parse("/free").unwrap(), Command::Free);
        assert_eq!(
            parse("/changegrant bob 0").unwrap(),
            Command::ChangeGrant {
                user: "bob",
                grant: Grant::Admin
            }
        );
        assert_eq!(
            parse("/kickuser bob spam and more").unwrap(),
            Command::Kick {
                user: "bob",
                reason: Some("spam and more")
            }
        );
        assert_eq!(
            parse("/kickuser bob").unwrap(),
            Command::Kick {
                user: "bob",
                reason: None
            }
        );
        assert_eq!(
            parse("/unkick bob").unwrap(),
            Command::Unkick { user: "bob" }
        );
        assert_eq!(
            parse("/viewkickusers").unwrap(),
            Command::ViewKicked { page: 1 }
        );
        assert_eq!(
            parse("/viewkickusers 2").unwrap(),
            Command::ViewKicked { page: 2 }
        );
        assert_eq!(
            parse("/changepassword").unwrap(),
            Command::ChangePasswordDialog
        );
        assert_eq!(
            parse("/changepassword old new pass").unwrap(),
            Command::ChangePassword {
                old: "old",
                new: "new pass"
            }
        );
        assert_eq!(parse("/restart").unwrap(), Command::Restart);
        assert_eq!(
            parse("/disconnect").unwrap(),
            Command::Quit { reason: None }
        );
        assert_eq!(parse("/quit").unwrap(), Command::Quit { reason: None });
        assert_eq!(parse("/ping").unwrap(), Command::Ping { token: None });
        assert_eq!(
            parse("/ping abc").unwrap(),
            Command::Ping { token: Some("abc") }
        );
        assert_eq!(
            parse("/register alice pass word").unwrap(),
            Command::Register {
                name: "alice",
                password: "pass word"
            }
        );
        assert_eq!(
            parse("/login alice secret12").unwrap(),
            Command::Login {
                name: "alice",
                password: "secret12"
            }
        );
        assert_eq!(parse("/HELP").unwrap(), Command::Help);
    }

    #[test]
    fn room_messages_and_escaping() {
        assert_eq!(parse("hi").unwrap(), Command::Say("hi"));
        assert_eq!(parse("//me waves").unwrap(), Command::Say("/me waves"));
        assert_eq!(parse("").unwrap(), Command::Say(""));
    }

    #[test]
    fn errors() {
        assert_eq!(code("/frobnicate"), "unknown-command");
        assert_eq!(code("/"), "unknown-command");
        assert_eq!(code("/msg bob"), "bad-argument");
        assert_eq!(code("/msg"), "bad-argument");
        assert_eq!(code("/changegrant bob 2"), "bad-argument");
        assert_eq!(code("/changegrant bob"), "bad-argument");
        assert_eq!(code("/kickuser"), "bad-argument");
        assert_eq!(code("/unkick"), "bad-argument");
        assert_eq!(code("/unkick a b"), "bad-argument");
        assert_eq!(code("/changepassword onlyone"), "bad-argument");
        assert_eq!(code("/register alice"), "bad-argument");
        assert_eq!(code("/login"), "bad-argument");
        assert_eq!(code("/help me"), "bad-argument");
        assert_eq!(code("/users 0"), "bad-argument");
        assert_eq!(code("/viewkickusers x"), "bad-argument");
    }

    #[test]
    fn admin_commands_are_marked() {
        assert!(parse("/restart").unwrap().needs_admin());
        assert!(parse("/kickuser x").unwrap().needs_admin());
        assert!(!parse("/busy").unwrap().needs_admin());
    }
}
