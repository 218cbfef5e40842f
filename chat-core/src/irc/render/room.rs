//! Room lines: every IRC recipient with the same [`RoomCaps`] gets the
//! same bytes, so a room line is rendered once per combination in use
//! and shared. The lobby is `#lobby`; every other room is the channel
//! `#<name>`.

use std::io::Write;

use super::notice_text;
use crate::irc::caps::RoomCaps;
use crate::irc::lines::{server_notice, CHANNEL, HOST};
use crate::reply::{Control, LeaveReason, Reply, Word};
use crate::{Millis, LOBBY};

/// Renders a reply that does not depend on the recipient beyond its room
/// capabilities; `false` when it does (the caller renders it with the
/// connection's state).
pub(in crate::irc) fn shared(reply: &Reply<'_>, caps: RoomCaps, out: &mut Vec<u8>) -> bool {
    match reply {
        // Leaving the lobby is leaving the server.
        Reply::RoomLeave {
            room: LOBBY,
            at,
            user,
            reason: Word::Known(LeaveReason::Kicked),
        } => {
            caps.stamp(*at, out);
            let _ = write!(out, ":{HOST} KICK {CHANNEL} {user} :kicked\r\n");
        }
        Reply::RoomLeave {
            room: LOBBY,
            at,
            user,
            reason,
        } => {
            caps.stamp(*at, out);
            let _ = write!(
                out,
                ":{user}!{user}@{HOST} QUIT :{}\r\n",
                quit_text(*reason)
            );
        }
        Reply::KickedOut {
            at,
            user,
            by,
            reason,
        } => {
            caps.stamp(*at, out);
            let reason = reason.unwrap_or("kicked");
            let _ = write!(out, ":{by}!{by}@{HOST} KICK {CHANNEL} {user} :{reason}\r\n");
        }
        Reply::GrantChanged {
            at,
            user,
            by,
            grant,
        } => {
            caps.stamp(*at, out);
            let sign = if grant.is_admin() { '+' } else { '-' };
            let _ = write!(out, ":{by}!{by}@{HOST} MODE {CHANNEL} {sign}o {user}\r\n");
        }
        // Only clients that asked see others' away changes.
        Reply::Away { at, user, busy } => {
            if caps.away_notify {
                caps.stamp(*at, out);
                let _ = if *busy {
                    write!(out, ":{user}!{user}@{HOST} AWAY :busy\r\n")
                } else {
                    write!(out, ":{user}!{user}@{HOST} AWAY\r\n")
                };
            }
        }
        Reply::RoomMsg {
            room,
            at,
            from,
            text,
            ..
        } => {
            caps.stamp(*at, out);
            let _ = write!(out, ":{from}!{from}@{HOST} PRIVMSG #{room} :{text}\r\n");
        }
        Reply::RoomJoin { room, at, user } => {
            caps.stamp(*at, out);
            let _ = write!(out, ":{user}!{user}@{HOST} JOIN #{room}\r\n");
        }
        Reply::RoomLeave {
            room,
            at,
            user,
            reason,
        } => {
            if let Some(reason) = reason.known() {
                room_leave(room, *at, user, reason, caps, out);
            }
        }
        Reply::Topic { room, at, by, text } => {
            caps.stamp(*at, out);
            let text = text.unwrap_or("");
            let _ = write!(out, ":{by}!{by}@{HOST} TOPIC #{room} :{text}\r\n");
        }
        Reply::Ctl(Control::Shutdown) => closing("Server shutting down", out),
        Reply::Ctl(Control::Restart) => closing("Server restarting", out),
        _ => return false,
    }
    true
}

/// Renders room lines for every IRC recipient with `caps`: what has no
/// IRC line of its own but text for people (an announcement) is a notice
/// to the lobby.
pub fn render_shared(reply: &Reply<'_>, caps: RoomCaps, out: &mut Vec<u8>) {
    if !shared(reply, caps, out) {
        if let Some(text) = notice_text(reply) {
            server_notice(out, CHANNEL, &text);
        }
    }
}

/// Someone left a room: `PART`, or the server's `KICK` when they were
/// removed, kicked or the room closed. Nothing when they left the server
/// (quit, lost, timed out...): the lobby's `QUIT` that follows takes them
/// out of every channel.
fn room_leave(
    room: &str,
    at: Millis,
    user: &str,
    reason: LeaveReason,
    caps: RoomCaps,
    out: &mut Vec<u8>,
) {
    let why = match reason {
        LeaveReason::Parted => None,
        LeaveReason::Removed => Some("removed"),
        LeaveReason::Kicked => Some("kicked"),
        LeaveReason::Closed => Some("Channel closed"),
        _ => return,
    };
    caps.stamp(at, out);
    let _ = match why {
        None => write!(out, ":{user}!{user}@{HOST} PART #{room}\r\n"),
        Some(why) => write!(out, ":{HOST} KICK #{room} {user} :{why}\r\n"),
    };
}

/// A notice to the channel then `ERROR`: the server is closing the link.
fn closing(why: &str, out: &mut Vec<u8>) {
    server_notice(out, CHANNEL, why);
    let _ = write!(out, "ERROR :Closing link: {why}\r\n");
}

fn quit_text<'a>(reason: Word<'a, LeaveReason>) -> &'a str {
    let reason = match reason {
        Word::Known(reason) => reason,
        Word::Unknown(word) => return word,
    };
    match reason {
        LeaveReason::Quit => "Quit",
        LeaveReason::Kicked => "Kicked",
        LeaveReason::Lost => "Connection lost",
        LeaveReason::TooSlow => "Too slow",
        LeaveReason::Timeout => "Ping timeout",
        LeaveReason::Shutdown => "Server shutting down",
        LeaveReason::TakenOver => "Logged in elsewhere",
        LeaveReason::Parted => "Left",
        LeaveReason::Removed => "Removed",
        LeaveReason::Closed => "Channel closed",
    }
}
