//! Lines every IRC recipient gets alike (room lines), rendered once and
//! shared; the per-connection lines are the codec's ([`super::IrcCodec`]).

use std::io::Write;

use crate::reply::{Control, LeaveReason, Reply};
use crate::wire;

/// The one channel: the room.
pub const CHANNEL: &str = "#lobby";
/// The source of server lines and the host of every user's mask.
pub const HOST: &str = "chat";

/// Renders a reply that does not depend on the recipient; `false` when it
/// does (the caller renders it with the connection's state).
pub fn shared(reply: &Reply<'_>, out: &mut Vec<u8>) -> bool {
    match reply {
        Reply::Msg { from, text, .. } => {
            let _ = write!(out, ":{from}!{from}@{HOST} PRIVMSG {CHANNEL} :{text}\r\n");
        }
        Reply::Join { user, .. } => {
            let _ = write!(out, ":{user}!{user}@{HOST} JOIN {CHANNEL}\r\n");
        }
        Reply::Leave {
            user,
            reason: LeaveReason::Kicked,
            ..
        } => {
            let _ = write!(out, ":{HOST} KICK {CHANNEL} {user} :kicked\r\n");
        }
        Reply::Leave { user, reason, .. } => {
            let _ = write!(
                out,
                ":{user}!{user}@{HOST} QUIT :{}\r\n",
                quit_text(*reason)
            );
        }
        Reply::Ctl(Control::Shutdown) => closing("Server shutting down", out),
        Reply::Ctl(Control::Restart) => closing("Server restarting", out),
        _ => return false,
    }
    true
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

/// Renders room lines for every IRC recipient.
pub fn render_shared(reply: &Reply<'_>, out: &mut Vec<u8>) {
    if !shared(reply, out) {
        as_notices(CHANNEL, reply, out);
    }
}
