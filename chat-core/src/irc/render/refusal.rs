//! Refusals: the IRC numeric where there is one, told the way a login
//! under way was asked for (SASL, `PASS`, NickServ, a guest's nick),
//! else a notice with the refusal's text.

use std::io::Write;

use super::{refusal_text, View};
use crate::framing::FrameError;
use crate::irc::lines::{nickserv_says, numeric, server_notice, CHANNEL, HOST};
use crate::irc::registration::{greeting, Via};
use crate::reply::{Reason, RoomLimit};

/// Appends what `reason` is for the connection `view` shows.
pub(super) fn render(view: &View<'_>, reason: &Reason<'_>, out: &mut Vec<u8>) {
    match view.reg.login {
        Some(Via::Guest) => guest_refused(view, reason, out),
        Some(via) => login_failed(view, via, reason, out),
        None => numerics(view.reg.me(), reason, out),
    }
}

/// A login or registration failed: told the way it was asked. A client
/// that logged in with `PASS` is greeted all the same, and told how to
/// log in.
fn login_failed(view: &View<'_>, via: Via, reason: &Reason<'_>, out: &mut Vec<u8>) {
    let me = view.reg.me();
    let text = refusal_text(reason);
    match via {
        Via::Sasl => numeric(
            out,
            me,
            "904",
            &format!(":SASL authentication failed: {text}"),
        ),
        Via::Pass => numeric(out, me, "464", &format!(":Password incorrect: {text}")),
        Via::NickServ | Via::Guest => nickserv_says(out, me, &text),
    }
    if via == Via::Pass && !view.reg.registered {
        greeting(me, out);
        nickserv_says(
            out,
            me,
            "Log in with /msg NickServ IDENTIFY <password>, or REGISTER <password>",
        );
    }
}

/// The nick was refused as a guest's: the client is greeted (so it
/// keeps the nick and can log in to it), told why with the nick
/// numeric, and how to log in; a `NICK` tries again.
fn guest_refused(view: &View<'_>, reason: &Reason<'_>, out: &mut Vec<u8>) {
    let me = view.reg.me();
    if !view.reg.registered {
        greeting(me, out);
    }
    match reason {
        Reason::NameTaken { .. } => numeric(
            out,
            me,
            "433",
            &format!("{me} :Nickname is already in use (an account or someone online)"),
        ),
        Reason::NameReserved { .. } | Reason::BadName(_) => numeric(
            out,
            me,
            "432",
            &format!("{me} :Erroneous nickname (reserved)"),
        ),
        _ => server_notice(out, me, &refusal_text(reason)),
    }
    nickserv_says(
        out,
        me,
        "Log in with /msg NickServ IDENTIFY <password>, or pick another nick to chat as a guest",
    );
}

/// The numeric of a refusal, or a notice with its text.
fn numerics(me: &str, reason: &Reason<'_>, out: &mut Vec<u8>) {
    let _ = match reason {
        Reason::NotOnline { name } | Reason::NoSuchUser { name } => {
            write!(out, ":{HOST} 401 {me} {name} :No such nick/channel\r\n")
        }
        Reason::AdminOnly | Reason::ConfigAdmin { .. } | Reason::LastAdmin { .. } => write!(
            out,
            ":{HOST} 482 {me} {CHANNEL} :You're not channel operator\r\n"
        ),
        Reason::NotBusy => write!(
            out,
            ":{HOST} 305 {me} :You are no longer marked as being away\r\n"
        ),
        Reason::NoSuchRoom { room } => {
            write!(out, ":{HOST} 403 {me} #{room} :No such channel\r\n")
        }
        Reason::BadRoomName(_) => write!(out, ":{HOST} 479 {me} * :Illegal channel name\r\n"),
        Reason::NotInRoom { room, user: None } => write!(
            out,
            ":{HOST} 442 {me} #{room} :You're not on that channel\r\n"
        ),
        Reason::NotInRoom {
            room,
            user: Some(user),
        } => write!(
            out,
            ":{HOST} 441 {me} {user} #{room} :They aren't on that channel\r\n"
        ),
        Reason::NotRoomOperator { room } => write!(
            out,
            ":{HOST} 482 {me} #{room} :You're not channel operator\r\n"
        ),
        // A JOIN of a channel the client is in is not an error.
        Reason::AlreadyInRoom { .. } => Ok(()),
        Reason::RoomLimit(RoomLimit::PerUser { .. }) => write!(
            out,
            ":{HOST} 405 {me} * :You have joined too many channels\r\n"
        ),
        Reason::RoomLimit(RoomLimit::Members { .. }) => write!(
            out,
            ":{HOST} 471 {me} * :Cannot join channel (it is full)\r\n"
        ),
        Reason::PingTimeout => write!(out, "ERROR :Closing Link: {me} (Ping timeout)\r\n"),
        Reason::Line(FrameError::TooLong { .. }) => {
            write!(out, ":{HOST} 417 {me} :Input line was too long\r\n")
        }
        _ => {
            server_notice(out, me, &refusal_text(reason));
            Ok(())
        }
    };
}
