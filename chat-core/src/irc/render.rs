//! Lines every IRC recipient gets alike (room lines), rendered once and
//! shared; the per-connection lines are the codec's ([`super::IrcCodec`]).
//! The lobby is `#lobby`; every other room is the channel `#<name>`.

use std::io::Write;

use crate::reply::{Control, LeaveReason, Reply};
use crate::{wire, Millis, LOBBY};

/// The lobby's channel, where everyone is.
pub const CHANNEL: &str = "#lobby";
/// The source of server lines and the host of every user's mask.
pub const HOST: &str = "chat";

/// The capabilities of an IRC client that change the bytes of a room
/// line; the room keeps one member list per combination.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct RoomCaps {
    /// `server-time`: lines carry `@time=` with the event's time.
    pub server_time: bool,
    /// `away-notify`: others going busy or free are shown as `AWAY`.
    pub away_notify: bool,
}

impl RoomCaps {
    /// Capabilities as given.
    pub const fn new(server_time: bool, away_notify: bool) -> RoomCaps {
        RoomCaps {
            server_time,
            away_notify,
        }
    }

    /// Writes the `@time=` tag of an event at `at`, when asked for.
    pub(crate) fn stamp(self, at: Millis, out: &mut Vec<u8>) {
        if self.server_time {
            let _ = write!(out, "@time={} ", at.iso8601());
        }
    }
}

/// Renders a reply that does not depend on the recipient beyond its room
/// capabilities; `false` when it does (the caller renders it with the
/// connection's state).
pub fn shared(reply: &Reply<'_>, caps: RoomCaps, out: &mut Vec<u8>) -> bool {
    match reply {
        // Leaving the lobby is leaving the server.
        Reply::RoomLeave {
            room: LOBBY,
            at,
            user,
            reason: LeaveReason::Kicked,
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
        } => room_leave(room, *at, user, *reason, caps, out),
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
    let _ = write!(
        out,
        ":{HOST} NOTICE {CHANNEL} :{why}\r\nERROR :Closing link: {why}\r\n"
    );
}

fn quit_text(reason: LeaveReason) -> &'static str {
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

/// Anything else, as chat/1 says it, in notices to `target`: a line for
/// people rather than nothing.
pub fn as_notices(target: &str, reply: &Reply<'_>, out: &mut Vec<u8>) {
    let mut text = Vec::new();
    wire::render(reply, &mut text);
    for line in String::from_utf8_lossy(&text).lines() {
        let line = line.strip_prefix("INFO ").unwrap_or(line);
        let _ = write!(out, ":{HOST} NOTICE {target} :{line}\r\n");
    }
}

/// Renders room lines for every IRC recipient with `caps`.
pub fn render_shared(reply: &Reply<'_>, caps: RoomCaps, out: &mut Vec<u8>) {
    if !shared(reply, caps, out) {
        as_notices(CHANNEL, reply, out);
    }
}
