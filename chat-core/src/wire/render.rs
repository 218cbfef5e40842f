//! [`Reply`] values to protocol v1 text lines.

use std::io::Write;

use crate::reply::{AskStep, Control, Done, Listing, Page, Reply};
use crate::wire::parse::HELP;
use crate::Frame;

/// The protocol name and version sent in `HELLO`.
pub const PROTOCOL: &str = "chat/1";

/// Appends the line(s) of `reply`, each ending in `\n`, to `out`.
///
/// ```
/// use chat_core::reply::Reply;
/// use chat_core::{wire::render, Millis};
/// let mut out = Vec::new();
/// render(&Reply::Msg { at: Millis(5), from: "alice", text: "hi" }, &mut out);
/// assert_eq!(out, b"MSG 5 alice hi\n");
/// ```
pub fn render(reply: &Reply<'_>, out: &mut Vec<u8>) {
    // Writing to a Vec cannot fail.
    let _ = write_reply(reply, out);
}

/// Renders `reply` into a fresh [`Frame`].
pub fn render_frame(reply: &Reply<'_>) -> Frame {
    let mut out = Vec::with_capacity(64);
    render(reply, &mut out);
    Frame::from(out)
}

fn write_reply(reply: &Reply<'_>, out: &mut Vec<u8>) -> std::io::Result<()> {
    match reply {
        Reply::Hello { server } => writeln!(out, "HELLO {PROTOCOL} {server}"),
        Reply::Ask(step) => {
            let (name, prompt) = ask_text(*step);
            writeln!(out, "ASK {name} {prompt}")
        }
        Reply::Ok(done) => match done {
            Done::Registered(u) => writeln!(out, "OK registered {u}"),
            Done::Login(u) => writeln!(out, "OK login {u}"),
            Done::Sent(u) => writeln!(out, "OK sent {u}"),
            Done::Grant(u, g) => writeln!(out, "OK grant {u} {g}"),
            Done::Kicked(u) => writeln!(out, "OK kicked {u}"),
            Done::Unkicked(u) => writeln!(out, "OK unkicked {u}"),
            Done::PasswordChanged => writeln!(out, "OK password-changed"),
        },
        Reply::Welcome { user, grant } => writeln!(out, "WELCOME {user} {grant}"),
        Reply::Err { code, text } => writeln!(out, "ERR {code} {text}"),
        Reply::Retry { code, text, secs } => {
            writeln!(out, "ERR {code} {text}; retry in {secs} s")
        }
        Reply::Msg { at, from, text } => writeln!(out, "MSG {at} {from} {text}"),
        Reply::Pm { at, from, text } => writeln!(out, "PM {at} {from} {text}"),
        Reply::Join { at, user } => writeln!(out, "JOIN {at} {user}"),
        Reply::Leave { at, user, reason } => {
            writeln!(out, "LEAVE {at} {user} {}", reason.as_str())
        }
        Reply::Info(text) => writeln!(out, "INFO {text}"),
        Reply::Help { admin } => {
            for (name, args, about, needs_admin) in HELP {
                if *needs_admin && !admin {
                    continue;
                }
                let tag = if *needs_admin { " (admin)" } else { "" };
                let sep = if args.is_empty() { "" } else { " " };
                writeln!(out, "INFO {name}{sep}{args} - {about}{tag}")?;
            }
            writeln!(
                out,
                "INFO any other line is a room message; //text sends /text"
            )?;
            writeln!(out, "END help")
        }
        Reply::User {
            name,
            grant,
            presence,
        } => writeln!(out, "USER {name} {grant} {}", presence.as_str()),
        Reply::Kicked {
            name,
            by,
            at,
            reason,
        } => match reason {
            Some(r) => writeln!(out, "KICKED {name} {by} {at} {r}"),
            None => writeln!(out, "KICKED {name} {by} {at}"),
        },
        Reply::End(list) => match list {
            Listing::Users => writeln!(out, "END users"),
            Listing::Kicked => writeln!(out, "END kicked"),
            Listing::Help => writeln!(out, "END help"),
            Listing::UsersPage(page) => write_page(out, "users", page),
            Listing::KickedPage(page) => write_page(out, "kicked", page),
            Listing::Held { replayed, dropped } => {
                writeln!(out, "END held {replayed} {dropped}")
            }
        },
        Reply::Ctl(ctl) => match ctl {
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
        },
        Reply::Pong(None) => writeln!(out, "PONG"),
        Reply::Pong(Some(token)) => writeln!(out, "PONG {token}"),
    }
}

fn write_page(out: &mut Vec<u8>, list: &str, page: &Page) -> std::io::Result<()> {
    let Page { shown, total, next } = page;
    match next {
        Some(next) => writeln!(out, "END {list} {shown} {total} {next}"),
        None => writeln!(out, "END {list} {shown} {total}"),
    }
}

fn ask_text(step: AskStep) -> (&'static str, &'static str) {
    match step {
        AskStep::Account => ("account", "Do you want to create a new user? [y/n]"),
        AskStep::RegisterName => ("username", "(1/3) Write your user name:"),
        AskStep::RegisterPassword => ("password", "(2/3) Write your password:"),
        AskStep::RegisterPasswordAgain => ("password-again", "(3/3) Write your password again:"),
        AskStep::LoginName => ("username", "(1/2) Write your user name:"),
        AskStep::LoginPassword => ("password", "(2/2) Write your password:"),
        AskStep::OldPassword => ("old-password", "(1/3) Write your current password:"),
        AskStep::NewPassword => ("new-password", "(2/3) Write your new password:"),
        AskStep::NewPasswordAgain => ("new-password-again", "(3/3) Write your new password again:"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::reply::{LeaveReason, Presence};
    use crate::{ErrorCode, Grant, Millis};

    fn text(reply: Reply<'_>) -> String {
        let mut out = Vec::new();
        render(&reply, &mut out);
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn every_tag() {
        assert_eq!(text(Reply::Hello { server: "srv" }), "HELLO chat/1 srv\n");
        assert_eq!(
            text(Reply::Ask(AskStep::Account)),
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
                code: ErrorCode::LastAdmin,
                text: "no"
            }),
            "ERR last-admin no\n"
        );
        assert_eq!(
            text(Reply::Pm {
                at: Millis(1),
                from: "a",
                text: "x y"
            }),
            "PM 1 a x y\n"
        );
        assert_eq!(
            text(Reply::Join {
                at: Millis(2),
                user: "a"
            }),
            "JOIN 2 a\n"
        );
        assert_eq!(
            text(Reply::Leave {
                at: Millis(3),
                user: "a",
                reason: LeaveReason::TooSlow
            }),
            "LEAVE 3 a too-slow\n"
        );
        assert_eq!(text(Reply::Info("hi")), "INFO hi\n");
        assert_eq!(
            text(Reply::User {
                name: "a",
                grant: Grant::Admin,
                presence: Presence::Busy
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
            text(Reply::Retry {
                code: ErrorCode::RateLimited,
                text: "too many logins",
                secs: 7
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
            text(Reply::Ask(AskStep::NewPasswordAgain)),
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
