//! Protocol v1 text lines to [`Command`]s, by the forms of the command
//! catalogue ([`crate::command::catalogue`]).

use crate::command::forms_named;
use crate::error::{ErrorCode, Refusal};
use crate::Command;

/// Parses one line (without its ending).
///
/// A line not starting with `/` is a room message; `//text` is the room
/// message `/text`. A `/name` is read by the catalogue's form of that name
/// (or alias, in any case); when a name has several forms, the first that
/// fits. A parse failure is a [`Refusal`] for the peer.
///
/// ```
/// use chat_core::{wire::parse, ClientTags, Command, MessageKind};
/// assert_eq!(parse("hello all").unwrap(), Command::Say("hello all"));
/// assert_eq!(parse("//shrug").unwrap(), Command::Say("/shrug"));
/// assert_eq!(
///     parse("/msg bob hi there").unwrap(),
///     Command::MessageTo {
///         to: "bob", text: "hi there", kind: MessageKind::Said, tags: ClientTags::NONE,
///     }
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
    let (name, args) = rest.split_once(' ').unwrap_or((rest, ""));
    let mut usage = None;
    for form in forms_named(name) {
        if let Some(cmd) = form.read(args) {
            return Ok(cmd);
        }
        usage.get_or_insert_with(|| form.usage());
    }
    Err(match usage {
        Some(usage) => Refusal::new(ErrorCode::BadArgument, format!("usage: {usage}")),
        None => Refusal::new(
            ErrorCode::UnknownCommand,
            format!("/{name} is not a command; try /help"),
        ),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{
        Grant, HistoryPoint, HistoryRange, HistoryTarget, MessageKind, Millis, MsgId, TopicChange,
    };

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
            Command::JoinRoom {
                room: "rust",
                key: None
            }
        );
        assert_eq!(
            parse("/join rust sesame").unwrap(),
            Command::JoinRoom {
                room: "rust",
                key: Some("sesame")
            }
        );
        assert_eq!(
            parse("/mode rust").unwrap(),
            Command::RoomModes {
                room: "rust",
                change: None
            }
        );
        assert_eq!(
            parse("/mode rust +sl-t 20").unwrap(),
            Command::RoomModes {
                room: "rust",
                change: Some(crate::ModeEdit {
                    secret: Some(true),
                    open_topic: Some(true),
                    limit: Some(Some(20)),
                    ..crate::ModeEdit::default()
                })
            }
        );
        assert_eq!(
            parse("/part rust").unwrap(),
            Command::PartRoom {
                room: "rust",
                reason: None
            }
        );
        assert_eq!(
            parse("/part rust see you").unwrap(),
            Command::PartRoom {
                room: "rust",
                reason: Some("see you")
            }
        );
        assert_eq!(parse("/rooms 2").unwrap(), Command::ListRooms { page: 2 });
        assert_eq!(
            parse("/say rust hi  there").unwrap(),
            Command::SayIn {
                room: "rust",
                text: "hi  there",
                kind: MessageKind::Said,
                tags: crate::ClientTags::NONE,
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
            "/join",
            "/mode rust +x",
            "/mode rust +k",
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
                kind: MessageKind::Said,
                tags: crate::ClientTags::NONE,
            }
        );
        assert_eq!(parse("/busy").unwrap(), Command::Busy { text: None });
        assert_eq!(
            parse("/busy at lunch").unwrap(),
            Command::Busy {
                text: Some("at lunch")
            }
        );
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
        assert_eq!(
            parse("/quit gone fishing").unwrap(),
            Command::Quit {
                reason: Some("gone fishing")
            }
        );
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
