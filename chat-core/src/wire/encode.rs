//! [`Command`]s to protocol v1 client lines: the inverse of
//! [`parse`](crate::wire::parse()), for clients and bots, by the forms of
//! the command catalogue ([`crate::command::catalogue`]).

use crate::command::Answer;
pub use crate::command::EncodeError;
use crate::wire::account_answer;
use crate::Command;

fn no_break(field: &'static str, s: &str) -> Result<(), EncodeError> {
    if s.contains(['\n', '\r']) {
        Err(EncodeError::LineBreak(field))
    } else {
        Ok(())
    }
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
    let text = match *cmd {
        Command::Say(text) => {
            no_break("message", text)?;
            if text.starts_with('/') {
                out.push(b'/');
            }
            text
        }
        // An answer is taken verbatim by the server: no escape.
        Command::Answer(Answer::Yes) => account_answer(true),
        Command::Answer(Answer::No) => account_answer(false),
        Command::Answer(Answer::Text(text)) => {
            no_break("answer", text)?;
            text
        }
        _ => {
            let spec = cmd.spec();
            for form in spec.forms {
                if let Some(line) = form.write(cmd)? {
                    out.extend_from_slice(line.as_bytes());
                    return Ok(());
                }
            }
            return Err(EncodeError::NoChat1Form(spec.variant));
        }
    };
    out.extend_from_slice(text.as_bytes());
    out.push(b'\n');
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Grant, MessageKind};

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
                    tags: crate::ClientTags::NONE,
                },
                EncodeError::LineBreak("text"),
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
