//! Protocol v1 text lines to [`Command`]s.

use crate::error::{ErrorCode, Refusal};
use crate::{Command, Grant};

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
/// use chat_core::{wire::parse, Command};
/// assert_eq!(parse("hello all").unwrap(), Command::Say("hello all"));
/// assert_eq!(parse("//shrug").unwrap(), Command::Say("/shrug"));
/// assert_eq!(
///     parse("/msg bob hi there").unwrap(),
///     Command::MessageTo { to: "bob", text: "hi there" }
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
            Command::MessageTo { to, text }
        }
        "busy" => no_args(Command::Busy, args, "/busy")?,
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
        "disconnect" | "quit" => Command::Quit,
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

fn usage(form: &str) -> Refusal {
    Refusal::new(ErrorCode::BadArgument, format!("usage: {form}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn code(line: &str) -> &'static str {
        parse(line).unwrap_err().code.as_str()
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
                text: "a b"
            }
        );
        assert_eq!(parse("/busy").unwrap(), Command::Busy);
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
        assert_eq!(parse("/disconnect").unwrap(), Command::Quit);
        assert_eq!(parse("/quit").unwrap(), Command::Quit);
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
