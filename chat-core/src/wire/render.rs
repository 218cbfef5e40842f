//! [`Reply`] values to protocol v1 text lines.

use crate::command::Permission;
use crate::reply::{HistoryMark, Listing, Reply};
use crate::seam::{Rendering, RenderingSpec};
use crate::wire::lines::write_line;
use crate::wire::tags::write_tags;
use crate::Frame;

/// The protocol name and version sent in `HELLO`.
pub const PROTOCOL: &str = "chat/1";

/// chat/1's room lines.
pub const RENDERING: Rendering = Rendering::new(&RenderingSpec {
    slot: 0,
    name: "chat/1",
    render: |replies, _, out| replies.iter().for_each(|r| render(r, out)),
});

/// chat/1's room lines for a client that turned tags on (`/tags on`).
pub const RENDERING_TAGGED: Rendering = Rendering::new(&RenderingSpec {
    slot: 5,
    name: "chat/1 with tags",
    render: |replies, _, out| replies.iter().for_each(|r| render_tagged(r, out)),
});

/// Appends the line(s) of `reply`, each ending in `\n`, to `out`.
///
/// ```
/// use chat_core::reply::{Identity, Reply};
/// use chat_core::{wire::render, ClientTags, MessageKind, Millis, MsgId, LOBBY};
/// let mut out = Vec::new();
/// let line = Reply::RoomMsg {
///     room: LOBBY, id: Some(MsgId(9)), at: Millis(5), from: "alice",
///     who: Identity::default(), kind: MessageKind::Said, text: "hi",
///     tags: ClientTags::NONE,
/// };
/// render(&line, &mut out);
/// assert_eq!(out, b"MSG 5 alice hi\n");
/// ```
pub fn render(reply: &Reply<'_>, out: &mut Vec<u8>) {
    write_reply(reply, false, out);
}

/// [`render`] for a client that turned tags on (`/tags on`): message
/// lines start with `@id=<id> `, and `END history` continues from an id.
///
/// ```
/// use chat_core::reply::{Identity, Reply};
/// use chat_core::{wire::render_tagged, ClientTags, MessageKind, Millis, MsgId, LOBBY};
/// let mut out = Vec::new();
/// let line = Reply::RoomMsg {
///     room: LOBBY, id: Some(MsgId(9)), at: Millis(5), from: "alice",
///     who: Identity::default(), kind: MessageKind::Said, text: "hi",
///     tags: ClientTags::NONE,
/// };
/// render_tagged(&line, &mut out);
/// assert_eq!(out, b"@id=9 MSG 5 alice hi\n");
/// ```
pub fn render_tagged(reply: &Reply<'_>, out: &mut Vec<u8>) {
    write_reply(reply, true, out);
}

/// Renders `reply` into a fresh [`Frame`].
pub fn render_frame(reply: &Reply<'_>) -> Frame {
    let mut out = Vec::with_capacity(64);
    render(reply, &mut out);
    Frame::from(out)
}

fn write_reply(reply: &Reply<'_>, tags: bool, out: &mut Vec<u8>) {
    match reply {
        Reply::Help { admin } => write_help(*admin, out),
        // A page continues from an id where the client reads ids, else
        // from a time (all a client without tags knows).
        Reply::End(Listing::History { shown, next }) => {
            let next = next.map(|mark| match mark.id {
                Some(id) if tags => HistoryMark {
                    id: Some(id),
                    at: None,
                },
                _ => HistoryMark {
                    id: None,
                    at: mark.at,
                },
            });
            let end = Listing::History {
                shown: *shown,
                next,
            };
            write_line(&Reply::End(end), out);
        }
        // Tags alone are nothing to a client without tags.
        _ if reply.is_tags_only() && !tags => {}
        _ => {
            if tags {
                write_tags(reply.id(), reply.kind(), reply.client_tags(), out);
            }
            // Nothing for what chat/1 does not show (a grant change or an
            // away notice to the room, a server ping).
            write_line(reply, out);
        }
    }
}

/// `/help`: an `INFO` line per form of the catalogue the user may use
/// (`/name args - what it does (alias /other) (admin)`), then `END help`.
fn write_help(admin: bool, out: &mut Vec<u8>) {
    for command in crate::command::catalogue() {
        let tag = match command.permission {
            Permission::LoggedOut => continue,
            Permission::Admin if !admin => continue,
            Permission::Admin => " (admin)",
            _ => "",
        };
        for form in command.forms {
            let mut row = format!("{} - {}", form.usage(), form.help);
            let aliases: Vec<String> = form.aliases.iter().map(|a| format!("/{a}")).collect();
            if !aliases.is_empty() {
                row.push_str(&format!(" (alias {})", aliases.join(", ")));
            }
            row.push_str(tag);
            write_line(&Reply::Info(&row), out);
        }
    }
    write_line(
        &Reply::Info("any other line is a room message; //text sends /text"),
        out,
    );
    write_line(&Reply::End(Listing::Help), out);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::reply::{AskStep, Control, Done, Identity, LeaveReason, Page, Presence, Profile};
    use crate::{ErrorCode, Grant, MessageKind, Millis, MsgId, LOBBY};

    fn text(reply: Reply<'_>) -> String {
        let mut out = Vec::new();
        render(&reply, &mut out);
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn every_tag() {
        assert_eq!(text(Reply::Hello { server: "srv" }), "HELLO chat/1 srv\n");
        assert_eq!(
            text(Reply::ask(AskStep::Account)),
            "ASK account Do you want to create a new user? [y/n]\n"
        );
        assert_eq!(
            text(Reply::Ok(Done::Grant("bob", Grant::Admin))),
            "OK grant bob 0\n"
        );
        assert_eq!(
            text(Reply::Ok(Done::PasswordChanged)),
            "OK password-changed\n"
        );
        assert_eq!(
            text(Reply::Welcome {
                user: "a",
                grant: Grant::User
            }),
            "WELCOME a 1\n"
        );
        assert_eq!(
            text(Reply::Err {
                code: ErrorCode::LastAdmin.into(),
                text: "no",
                retry: None
            }),
            "ERR last-admin no\n"
        );
        assert_eq!(
            text(Reply::Pm {
                id: Some(MsgId(4)),
                at: Millis(1),
                from: "a",
                who: Identity::default(),
                to: None,
                kind: MessageKind::Said,
                text: "x y",
                tags: crate::ClientTags::NONE,
            }),
            "PM 1 a x y\n"
        );
        assert_eq!(
            text(Reply::RoomJoin {
                room: LOBBY,
                at: Millis(2),
                user: "a",
                who: Identity::default(),
            }),
            "JOIN 2 a\n"
        );
        assert_eq!(
            text(Reply::RoomLeave {
                room: LOBBY,
                at: Millis(3),
                user: "a",
                who: Identity::default(),
                reason: LeaveReason::TooSlow.into(),
                by: None,
                text: None,
            }),
            "LEAVE 3 a too-slow\n"
        );
        assert_eq!(text(Reply::Info("hi")), "INFO hi\n");
        assert_eq!(
            text(Reply::User {
                name: "a",
                grant: Grant::Admin,
                presence: Presence::Busy.into(),
                profile: Profile::default(),
            }),
            "USER a 0 busy\n"
        );
        assert_eq!(
            text(Reply::Kicked {
                name: "b",
                by: "a",
                at: Millis(4),
                reason: Some("spam")
            }),
            "KICKED b a 4 spam\n"
        );
        assert_eq!(
            text(Reply::End(Listing::Held {
                replayed: 2,
                dropped: 1
            })),
            "END held 2 1\n"
        );
        assert_eq!(
            text(Reply::Ctl(Control::Kick {
                by: "a",
                reason: Some("bye now")
            })),
            "CTL kick a bye now\n"
        );
        assert_eq!(text(Reply::Pong(Some("t"))), "PONG t\n");
        assert_eq!(text(Reply::Pong(None)), "PONG\n");
        assert_eq!(
            text(Reply::Err {
                code: ErrorCode::RateLimited.into(),
                text: "too many logins",
                retry: Some(7)
            }),
            "ERR rate-limited too many logins; retry in 7 s\n"
        );
        let page = |next| Page {
            shown: 2,
            total: 5,
            next,
        };
        assert_eq!(
            text(Reply::End(Listing::UsersPage(page(Some(2))))),
            "END users 2 5 2\n"
        );
        assert_eq!(
            text(Reply::End(Listing::KickedPage(page(None)))),
            "END kicked 2 5\n"
        );
        assert_eq!(text(Reply::Ctl(Control::Takeover)), "CTL takeover\n");
        assert_eq!(
            text(Reply::ask(AskStep::NewPasswordAgain)),
            "ASK new-password-again (3/3) Write your new password again:\n"
        );
    }

    #[test]
    fn help_hides_admin_commands_from_users() {
        let user = text(Reply::Help { admin: false });
        let admin = text(Reply::Help { admin: true });
        assert!(!user.contains("/restart"));
        assert!(admin.contains("/restart - restart the server (admin)"));
        assert!(user.ends_with("END help\n"));
    }
}
