//! Refusals: the IRC numeric where there is one, told the way a login
//! under way was asked for (SASL, `PASS`, NickServ, a guest's nick), or
//! as the end of the listing it answers (`NAMES` of no room), else a
//! notice with the refusal's text.

use std::io::Write;

use super::{refusal_text, View};
use crate::framing::FrameError;
use crate::irc::lines::{fail, nickserv_says, numeric, server_notice, CHANNEL};
use crate::irc::listing::ListKind;
use crate::irc::registration::{greeting, Via};
use crate::reply::{Reason, RoomLimit};

/// Appends what `reason` is for the connection `view` shows.
pub(super) fn render(view: &View<'_>, reason: &Reason<'_>, out: &mut Vec<u8>) {
    match view.reg.login {
        Some(Via::Guest) => guest_refused(view, reason, out),
        Some(via) => login_failed(view, via, reason, out),
        None if ends_listing(view, reason, out) => {}
        None => numerics(view.server, view.reg.me(), reason, out),
    }
}

/// A refusal of what a listing asked about: the listing's end (`NAMES`
/// and `WHO` of no room), or `401` and the end (`WHOIS` of nobody).
fn ends_listing(view: &View<'_>, reason: &Reason<'_>, out: &mut Vec<u8>) -> bool {
    let (server, me) = (view.server, view.reg.me());
    let no_room = matches!(
        reason,
        Reason::NoSuchRoom { .. } | Reason::BadRoomName(_) | Reason::NotInRoom { .. }
    );
    let no_user = matches!(
        reason,
        Reason::NotOnline { .. } | Reason::NoSuchUser { .. } | Reason::BadName(_)
    );
    let _ = match view.listing {
        Some(ListKind::RoomNames(chan)) if no_room => {
            write!(out, ":{server} 366 {me} {chan} :End of /NAMES list\r\n")
        }
        Some(ListKind::Who { mask, .. }) if no_room => {
            write!(out, ":{server} 315 {me} {mask} :End of WHO list\r\n")
        }
        Some(ListKind::Oper) => match reason {
            Reason::WrongCredentials => {
                write!(out, ":{server} 464 {me} :Password incorrect\r\n")
            }
            Reason::AdminOnly => {
                write!(out, ":{server} 491 {me} :No O-lines for your host\r\n")
            }
            _ => return false,
        },
        Some(ListKind::ChatHistory { sub, target }) if no_room || no_user => {
            let code = format!("INVALID_TARGET {sub} {target}");
            fail(out, server, "CHATHISTORY", &code, &reason.to_string());
            Ok(())
        }
        Some(ListKind::WhoIs(nick)) if no_user => write!(
            out,
            ":{server} 401 {me} {nick} :No such nick/channel\r\n:{server} 318 {me} {nick} :End of /WHOIS list\r\n"
        ),
        _ => return false,
    };
    true
}

/// A login or registration failed: told the way it was asked. A client
/// that logged in with `PASS` is greeted all the same, and told how to
/// log in.
fn login_failed(view: &View<'_>, via: Via, reason: &Reason<'_>, out: &mut Vec<u8>) {
    let (server, me) = (view.server, view.reg.me());
    let text = refusal_text(reason);
    match via {
        Via::Sasl => numeric(
            out,
            server,
            me,
            "904",
            &format!(":SASL authentication failed: {text}"),
        ),
        Via::Pass => numeric(
            out,
            server,
            me,
            "464",
            &format!(":Password incorrect: {text}"),
        ),
        Via::NickServ | Via::Guest => nickserv_says(out, server, me, &text),
    }
    if via == Via::Pass && !view.reg.registered {
        greeting(server, me, view.reg.history_lines, out);
        nickserv_says(
            out,
            server,
            me,
            "Log in with /msg NickServ IDENTIFY <password>, or REGISTER <password>",
        );
    }
}

/// The nick was refused as a guest's: the client is greeted (so it
/// keeps the nick and can log in to it), told why with the nick
/// numeric, and how to log in; a `NICK` tries again.
fn guest_refused(view: &View<'_>, reason: &Reason<'_>, out: &mut Vec<u8>) {
    let (server, me) = (view.server, view.reg.me());
    // Someone online has the nick: not registered yet, as IRC says (the
    // client picks another and sends `NICK`).
    if let Reason::NameInUse { name } = reason {
        let who = if view.reg.registered { me } else { "*" };
        let rest = format!("{name} :Nickname is already in use");
        return numeric(out, server, who, "433", &rest);
    }
    if !view.reg.registered {
        greeting(server, me, view.reg.history_lines, out);
    }
    match reason {
        Reason::NameTaken { .. } => numeric(
            out,
            server,
            me,
            "433",
            &format!("{me} :Nickname is already in use (an account or someone online)"),
        ),
        Reason::NameReserved { .. } | Reason::BadName(_) => numeric(
            out,
            server,
            me,
            "432",
            &format!("{me} :Erroneous nickname (reserved)"),
        ),
        _ => server_notice(out, server, me, &refusal_text(reason)),
    }
    nickserv_says(
        out,
        server,
        me,
        "Log in with /msg NickServ IDENTIFY <password>, or pick another nick to chat as a guest",
    );
}

/// The numeric of a refusal, or a notice with its text.
fn numerics(server: &str, me: &str, reason: &Reason<'_>, out: &mut Vec<u8>) {
    let _ = match reason {
        Reason::NotOnline { name } | Reason::NoSuchUser { name } => {
            write!(out, ":{server} 401 {me} {name} :No such nick/channel\r\n")
        }
        Reason::AdminOnly
        | Reason::ConfigAdmin { .. }
        | Reason::LastAdmin { .. }
        | Reason::TargetIsAdmin { .. } => write!(
            out,
            ":{server} 482 {me} {CHANNEL} :You're not channel operator\r\n"
        ),
        Reason::NotBusy => write!(
            out,
            ":{server} 305 {me} :You are no longer marked as being away\r\n"
        ),
        Reason::NoSuchRoom { room } => {
            write!(out, ":{server} 403 {me} #{room} :No such channel\r\n")
        }
        Reason::BadRoomName(_) => {
            write!(out, ":{server} 479 {me} * :Illegal channel name\r\n")
        }
        Reason::NotInRoom { room, user: None } => write!(
            out,
            ":{server} 442 {me} #{room} :You're not on that channel\r\n"
        ),
        Reason::NotInRoom {
            room,
            user: Some(user),
        } => write!(
            out,
            ":{server} 441 {me} {user} #{room} :They aren't on that channel\r\n"
        ),
        Reason::NotRoomOperator { room } => write!(
            out,
            ":{server} 482 {me} #{room} :You're not channel operator\r\n"
        ),
        // A JOIN of a channel the client is in is not an error.
        Reason::AlreadyInRoom { .. } => Ok(()),
        Reason::RoomLimit(RoomLimit::PerUser { .. }) => write!(
            out,
            ":{server} 405 {me} * :You have joined too many channels\r\n"
        ),
        Reason::RoomLimit(RoomLimit::Members { .. }) => write!(
            out,
            ":{server} 471 {me} * :Cannot join channel (it is full)\r\n"
        ),
        Reason::Moderated { room } => write!(
            out,
            ":{server} 404 {me} #{room} :Cannot send to channel (+m)\r\n"
        ),
        Reason::InviteOnly { room } => write!(
            out,
            ":{server} 473 {me} #{room} :Cannot join channel (+i)\r\n"
        ),
        Reason::UserInRoom { room, user } => write!(
            out,
            ":{server} 443 {me} {user} #{room} :is already on channel\r\n"
        ),
        Reason::WrongRoomKey { room } => write!(
            out,
            ":{server} 475 {me} #{room} :Cannot join channel (+k)\r\n"
        ),
        Reason::RoomFull { room, .. } => write!(
            out,
            ":{server} 471 {me} #{room} :Cannot join channel (+l)\r\n"
        ),
        Reason::PingTimeout => write!(out, "ERROR :Closing Link: {me} (Ping timeout)\r\n"),
        Reason::Line(FrameError::TooLong { .. }) => {
            write!(out, ":{server} 417 {me} :Input line was too long\r\n")
        }
        Reason::Line(FrameError::BadUtf8) => {
            fail(
                out,
                server,
                "*",
                "INVALID_UTF8",
                "Line is not valid UTF-8; it was dropped",
            );
            Ok(())
        }
        _ => {
            server_notice(out, server, me, &refusal_text(reason));
            Ok(())
        }
    };
}
