//! [`Command`]s to protocol v1 client lines: the inverse of
//! [`parse`](crate::wire::parse()), for clients and bots.

use crate::command::Answer;
use crate::wire::account_answer;
use crate::wire::tags::point_text;
use crate::Command;
use crate::{HistoryRange, HistoryTarget, MessageKind, TopicChange};

/// Why a command cannot be written as one line that parses back to it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum EncodeError {
    /// A field holds a line break, which would end the line early (and let
    /// the rest pass as a second command).
    #[error("the {0} contains a line break")]
    LineBreak(&'static str),
    /// A one-word field (a name, a password before another field) is
    /// empty or holds a space.
    #[error("the {0} must be one word")]
    NotOneWord(&'static str),
    /// A field that may not be empty is, or a trailing field has spaces at
    /// its ends (the server trims them).
    #[error("the {0} is empty or has spaces at its ends")]
    BadText(&'static str),
    /// The command has no chat/1 form (an IRC guest's, IRC's `JOIN` and
    /// `NAMES` of a room).
    #[error("the {0} command has no chat/1 form")]
    NoChat1Form(&'static str),
}

fn no_break(field: &'static str, s: &str) -> Result<(), EncodeError> {
    if s.contains(['\n', '\r']) {
        Err(EncodeError::LineBreak(field))
    } else {
        Ok(())
    }
}

fn one_word<'a>(field: &'static str, s: &'a str) -> Result<&'a str, EncodeError> {
    no_break(field, s)?;
    if s.is_empty() || s.contains(' ') {
        return Err(EncodeError::NotOneWord(field));
    }
    Ok(s)
}

/// The rest of a line: not empty, and the start must not be eaten by the
/// server's splitting (`/msg bob  hi` keeps ` hi`, so only empty is bad).
fn rest<'a>(field: &'static str, s: &'a str) -> Result<&'a str, EncodeError> {
    no_break(field, s)?;
    if s.is_empty() {
        return Err(EncodeError::BadText(field));
    }
    Ok(s)
}

/// An optional trailing field the server trims (kick reason, ping token).
fn trimmed<'a>(field: &'static str, s: Option<&'a str>) -> Result<Option<&'a str>, EncodeError> {
    match s {
        None => Ok(None),
        Some(s) => {
            no_break(field, s)?;
            if s.trim() != s || s.is_empty() {
                return Err(EncodeError::BadText(field));
            }
            Ok(Some(s))
        }
    }
}

fn line(out: &mut Vec<u8>, parts: &[&str]) {
    for (i, part) in parts.iter().enumerate() {
        if i > 0 {
            out.push(b' ');
        }
        out.extend_from_slice(part.as_bytes());
    }
    out.push(b'\n');
}

/// Appends `cmd` as one client line, ending in `\n`, to `out`; the server's
/// [`parse`](crate::wire::parse()) reads it back as the same command. A room
/// message starting with `/` is escaped as `//`. Nothing is written on
/// error.
///
/// ```
/// use chat_core::{wire::{encode_command, parse}, Command};
/// let mut out = Vec::new();
/// encode_command(&Command::Register { name: "alice", password: "pass word" }, &mut out).unwrap();
/// encode_command(&Command::Say("/shrug"), &mut out).unwrap();
/// assert_eq!(out, b"/register alice pass word\n//shrug\n");
/// assert_eq!(parse("//shrug").unwrap(), Command::Say("/shrug"));
/// assert!(encode_command(&Command::Say("hi\n/restart"), &mut out).is_err());
/// ```
pub fn encode_command(cmd: &Command<'_>, out: &mut Vec<u8>) -> Result<(), EncodeError> {
    match *cmd {
        Command::Say(text) => {
            no_break("message", text)?;
            if text.starts_with('/') {
                out.push(b'/');
            }
            line(out, &[text]);
        }
        Command::Help => line(out, &["/help"]),
        Command::ViewUsers { page } => paged(out, "/viewusers", page),
        // chat/1 has no notices or actions yet: never sent as plain lines.
        Command::MessageTo { kind, .. } | Command::SayIn { kind, .. }
            if kind != MessageKind::Said =>
        {
            return Err(EncodeError::NoChat1Form("notice or action"))
        }
        Command::MessageTo { to, text, .. } => {
            let to = one_word("recipient", to)?;
            line(out, &["/messageto", to, rest("message", text)?]);
        }
        Command::Busy { .. } => line(out, &["/busy"]),
        Command::Free => line(out, &["/free"]),
        Command::ChangeGrant { user, grant } => {
            line(
                out,
                &["/changegrant", one_word("user", user)?, grant.as_wire()],
            );
        }
        Command::Kick { user, reason } => {
            let user = one_word("user", user)?;
            match trimmed("reason", reason)? {
                Some(r) => line(out, &["/kickuser", user, r]),
                None => line(out, &["/kickuser", user]),
            }
        }
        Command::Unkick { user } => line(out, &["/unkick", one_word("user", user)?]),
        Command::ViewKicked { page } => paged(out, "/viewkickusers", page),
        Command::ChangePasswordDialog => line(out, &["/changepassword"]),
        Command::ChangePassword { old, new } => {
            let old = one_word("old password", old)?;
            line(out, &["/changepassword", old, rest("new password", new)?]);
        }
        Command::Restart => line(out, &["/restart"]),
        Command::Quit { .. } => line(out, &["/quit"]),
        Command::Ping { token } => match trimmed("token", token)? {
            Some(t) => line(out, &["/ping", t]),
            None => line(out, &["/ping"]),
        },
        Command::Register { name, password } => {
            let name = one_word("name", name)?;
            line(out, &["/register", name, rest("password", password)?]);
        }
        Command::Login { name, password } => {
            let name = one_word("name", name)?;
            line(out, &["/login", name, rest("password", password)?]);
        }
        Command::Guest { .. } => return Err(EncodeError::NoChat1Form("guest")),
        Command::EnterRoom { .. } => return Err(EncodeError::NoChat1Form("enter-room")),
        Command::RoomMembers { .. } => return Err(EncodeError::NoChat1Form("room-members")),
        Command::WhoIs { .. } => return Err(EncodeError::NoChat1Form("whois")),
        Command::FindUsers { .. } => return Err(EncodeError::NoChat1Form("find-users")),
        Command::Ready => return Err(EncodeError::NoChat1Form("ready")),
        // An answer is taken verbatim by the server: no escape.
        Command::Answer(Answer::Yes) => line(out, &[account_answer(true)]),
        Command::Answer(Answer::No) => line(out, &[account_answer(false)]),
        Command::Answer(Answer::Text(text)) => {
            no_break("answer", text)?;
            line(out, &[text]);
        }
        Command::CreateRoom { room } => line(out, &["/create", one_word("room", room)?]),
        Command::JoinRoom { room } => line(out, &["/join", one_word("room", room)?]),
        Command::PartRoom { room, .. } => line(out, &["/part", one_word("room", room)?]),
        Command::ListRooms { page } => paged(out, "/rooms", page),
        Command::SayIn { room, text, .. } => {
            let room = one_word("room", room)?;
            line(out, &["/say", room, rest("message", text)?]);
        }
        Command::Topic { room, change } => {
            let room = one_word("room", room)?;
            match change {
                TopicChange::Show => line(out, &["/topic", room]),
                TopicChange::Set(text) => {
                    // Blank text would read back as showing the topic.
                    if text.trim().is_empty() {
                        return Err(EncodeError::BadText("topic"));
                    }
                    line(out, &["/topic", room, rest("topic", text)?]);
                }
                TopicChange::Clear => line(out, &["/cleartopic", room]),
            }
        }
        Command::RemoveFromRoom { room, user, reason } => {
            let (room, user) = (one_word("room", room)?, one_word("user", user)?);
            match trimmed("reason", reason)? {
                Some(r) => line(out, &["/remove", room, user, r]),
                None => line(out, &["/remove", room, user]),
            }
        }
        Command::CloseRoom { room } => line(out, &["/closeroom", one_word("room", room)?]),
        Command::History { of, count, range } => {
            let target = match of {
                HistoryTarget::Room(room) if !room.starts_with('@') => one_word("room", room)?,
                HistoryTarget::Room(_) => return Err(EncodeError::NotOneWord("room")),
                HistoryTarget::Private(user) => one_word("user", user)?,
            };
            let mut text = String::from("/history ");
            if matches!(of, HistoryTarget::Private(_)) {
                text.push('@');
            }
            text.push_str(target);
            match count {
                Some(0) => return Err(EncodeError::BadText("count")),
                Some(n) => text.push_str(&format!(" {n}")),
                None => {}
            }
            let (word, points) = match range {
                HistoryRange::Latest(None) => ("", [None, None]),
                HistoryRange::Latest(Some(p)) => ("since", [Some(p), None]),
                HistoryRange::Before(p) => ("before", [Some(p), None]),
                HistoryRange::After(p) => ("after", [Some(p), None]),
                HistoryRange::Around(p) => ("around", [Some(p), None]),
                HistoryRange::Between(a, b) => ("between", [Some(a), Some(b)]),
            };
            if !word.is_empty() {
                text.push(' ');
                text.push_str(word);
            }
            for p in points.into_iter().flatten() {
                text.push(' ');
                text.push_str(&point_text(p));
            }
            line(out, &[&text]);
        }
    }
    Ok(())
}

/// A listing command; page 1, the default, is written without its number.
fn paged(out: &mut Vec<u8>, command: &str, page: u64) {
    if page == 1 {
        line(out, &[command]);
    } else {
        line(out, &[command, &page.to_string()]);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Grant;

    fn text(cmd: Command<'_>) -> String {
        let mut out = Vec::new();
        encode_command(&cmd, &mut out).unwrap();
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn forms() {
        assert_eq!(text(Command::Say("hi")), "hi\n");
        assert_eq!(text(Command::Say("/me")), "//me\n");
        assert_eq!(
            text(Command::ChangeGrant {
                user: "bob",
                grant: Grant::Admin
            }),
            "/changegrant bob 0\n"
        );
        assert_eq!(
            text(Command::Login {
                name: "al",
                password: " sp ace "
            }),
            "/login al  sp ace \n"
        );
        assert_eq!(text(Command::Ping { token: None }), "/ping\n");
    }

    #[test]
    fn refuses_what_would_not_parse_back() {
        let mut out = Vec::new();
        for (cmd, err) in [
            (
                Command::Register {
                    name: "al ice",
                    password: "x",
                },
                EncodeError::NotOneWord("name"),
            ),
            (
                Command::Login {
                    name: "al",
                    password: "",
                },
                EncodeError::BadText("password"),
            ),
            (
                Command::MessageTo {
                    to: "bob",
                    text: "a\rb",
                    kind: MessageKind::Said,
                },
                EncodeError::LineBreak("message"),
            ),
            (
                Command::Kick {
                    user: "bob",
                    reason: Some(" spam"),
                },
                EncodeError::BadText("reason"),
            ),
        ] {
            assert_eq!(encode_command(&cmd, &mut out), Err(err));
        }
        assert!(out.is_empty());
    }
}
