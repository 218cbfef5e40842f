//! Room lines: every IRC recipient with the same [`RoomCaps`] gets the
//! same bytes, so a room line is rendered once per combination in use
//! and shared. The lobby is `#lobby`; every other room is the channel
//! `#<name>`.

use std::io::Write;

use super::notice_text;
use crate::irc::caps::RoomCaps;
use crate::irc::lines::{server_notice, Mask, ModeChange, CHANNEL};
use crate::reply::{Control, LeaveReason, Reply};
use crate::seam::{Rendering, RenderingSpec};
use crate::{MessageKind, LOBBY};

/// Renders a reply that does not depend on the recipient beyond its room
/// capabilities; `false` when it does (the caller renders it with the
/// connection's state). `server` is the server's name.
pub(in crate::irc) fn shared(
    reply: &Reply<'_>,
    caps: RoomCaps,
    server: &str,
    out: &mut Vec<u8>,
) -> bool {
    let mask = |nick, user| Mask {
        nick,
        user,
        host: server,
    };
    match reply {
        // Leaving the lobby is leaving the server.
        Reply::RoomLeave {
            room: LOBBY,
            at,
            user,
            who,
            reason,
            by,
            text,
        } => {
            caps.stamp(*at, out);
            let reason = reason.known().unwrap_or(LeaveReason::Lost);
            let _ = match (reason, by) {
                (LeaveReason::Kicked, by) => {
                    let source =
                        by.map_or_else(|| server.to_owned(), |b| mask(b, None).to_string());
                    let why = text.or(*by).unwrap_or("kicked");
                    write!(out, ":{source} KICK {CHANNEL} {user} :{why}\r\n")
                }
                (LeaveReason::Quit, _) if text.is_some() => write!(
                    out,
                    ":{} QUIT :Quit: {}\r\n",
                    mask(user, who.user_name),
                    text.unwrap_or_default()
                ),
                _ => write!(
                    out,
                    ":{} QUIT :{}\r\n",
                    mask(user, who.user_name),
                    quit_text(reason)
                ),
            };
        }
        Reply::KickedOut {
            at,
            user,
            by,
            reason,
        } => {
            caps.stamp(*at, out);
            let reason = reason.unwrap_or(by);
            let _ = write!(
                out,
                ":{} KICK {CHANNEL} {user} :{reason}\r\n",
                mask(by, None)
            );
        }
        Reply::GrantChanged {
            at,
            user,
            by,
            grant,
        } => {
            caps.stamp(*at, out);
            let sign = if grant.is_admin() { '+' } else { '-' };
            let _ = write!(out, ":{} MODE {CHANNEL} {sign}o {user}\r\n", mask(by, None));
        }
        // Only clients that asked see others' away changes.
        Reply::Away {
            at,
            user,
            who,
            busy,
            text,
        } => {
            if caps.away_notify {
                caps.stamp(*at, out);
                let source = mask(user, who.user_name);
                let _ = if *busy {
                    let text = text.unwrap_or("busy");
                    write!(out, ":{source} AWAY :{text}\r\n")
                } else {
                    write!(out, ":{source} AWAY\r\n")
                };
            }
        }
        Reply::RoomMsg {
            room,
            id,
            at,
            from,
            who,
            kind,
            text,
        } => {
            caps.tags(*at, *id, out);
            let target = Channel(room);
            message_line(&mask(from, who.user_name), target, *kind, text, out);
        }
        Reply::RoomJoin {
            room,
            at,
            user,
            who,
        } => {
            caps.stamp(*at, out);
            let _ = write!(out, ":{} JOIN #{room}\r\n", mask(user, who.user_name));
        }
        Reply::RoomLeave {
            room,
            at,
            user,
            who,
            reason,
            by,
            text,
        } => {
            let Some(reason) = reason.known() else {
                return true;
            };
            let Some(why) = room_leave(reason, *by, *text) else {
                return true;
            };
            caps.stamp(*at, out);
            let _ = match why {
                Leave::Part(None) => {
                    write!(out, ":{} PART #{room}\r\n", mask(user, who.user_name))
                }
                Leave::Part(Some(text)) => write!(
                    out,
                    ":{} PART #{room} :{text}\r\n",
                    mask(user, who.user_name)
                ),
                Leave::Kick { by, why } => {
                    let source =
                        by.map_or_else(|| server.to_owned(), |b| mask(b, None).to_string());
                    write!(out, ":{source} KICK #{room} {user} :{why}\r\n")
                }
            };
        }
        Reply::Topic { room, at, by, text } => {
            caps.stamp(*at, out);
            let text = text.unwrap_or("");
            let _ = write!(out, ":{} TOPIC #{room} :{text}\r\n", mask(by, None));
        }
        Reply::Standing {
            room,
            at,
            by,
            user,
            standing,
            on,
        } => {
            caps.stamp(*at, out);
            let change = ModeChange(*standing, *on);
            let _ = write!(out, ":{} MODE #{room} {change} {user}\r\n", mask(by, None));
        }
        Reply::ModeChanged {
            room,
            at,
            by,
            change,
        } => {
            caps.stamp(*at, out);
            let _ = write!(out, ":{} MODE #{room} {change}\r\n", mask(by, None));
        }
        Reply::Ctl(Control::Shutdown) => closing(server, "Server shutting down", out),
        Reply::Ctl(Control::Restart) => closing(server, "Server restarting", out),
        _ => return false,
    }
    true
}

/// How room lines are rendered for an IRC client with `caps`: one
/// rendering per combination.
pub(in crate::irc) fn rendering(caps: RoomCaps) -> Rendering {
    match (caps.server_time, caps.away_notify, caps.msgid) {
        (false, false, _) => IRC,
        (true, false, false) => IRC_TIME,
        (false, true, _) => IRC_AWAY,
        (true, true, false) => IRC_TIME_AWAY,
        (true, false, true) => IRC_TAGS,
        (true, true, true) => IRC_TAGS_AWAY,
    }
}

const IRC: Rendering = Rendering::new(&RenderingSpec {
    slot: 1,
    name: "IRC",
    render: render_all::<false, false, false>,
});
const IRC_TIME: Rendering = Rendering::new(&RenderingSpec {
    slot: 2,
    name: "IRC with server-time",
    render: render_all::<true, false, false>,
});
const IRC_AWAY: Rendering = Rendering::new(&RenderingSpec {
    slot: 3,
    name: "IRC with away-notify",
    render: render_all::<false, true, false>,
});
const IRC_TIME_AWAY: Rendering = Rendering::new(&RenderingSpec {
    slot: 4,
    name: "IRC with server-time and away-notify",
    render: render_all::<true, true, false>,
});

const IRC_TAGS: Rendering = Rendering::new(&RenderingSpec {
    slot: 6,
    name: "IRC with message-tags",
    render: render_all::<true, false, true>,
});
const IRC_TAGS_AWAY: Rendering = Rendering::new(&RenderingSpec {
    slot: 7,
    name: "IRC with message-tags and away-notify",
    render: render_all::<true, true, true>,
});

/// Every IRC rendering.
pub const RENDERINGS: [Rendering; 6] = [
    IRC,
    IRC_TIME,
    IRC_AWAY,
    IRC_TIME_AWAY,
    IRC_TAGS,
    IRC_TAGS_AWAY,
];

fn render_all<const TIME: bool, const AWAY: bool, const MSGID: bool>(
    replies: &[Reply<'_>],
    server: &str,
    out: &mut Vec<u8>,
) {
    for reply in replies {
        render_shared(reply, RoomCaps::new(TIME, AWAY, MSGID), server, out);
    }
}

/// Renders room lines for every IRC recipient with `caps`: what has no
/// IRC line of its own but text for people (an announcement) is a notice
/// to the lobby.
pub fn render_shared(reply: &Reply<'_>, caps: RoomCaps, server: &str, out: &mut Vec<u8>) {
    if !shared(reply, caps, server, out) {
        if let Some(text) = notice_text(reply) {
            server_notice(out, server, CHANNEL, &text);
        }
    }
}

/// A message from `source` to `target`: `PRIVMSG`, `NOTICE`, or a CTCP
/// `ACTION` in a `PRIVMSG`.
pub(in crate::irc) fn message_line(
    source: &Mask<'_>,
    target: impl std::fmt::Display,
    kind: MessageKind,
    text: &str,
    out: &mut Vec<u8>,
) {
    let _ = match kind {
        MessageKind::Notice => write!(out, ":{source} NOTICE {target} :{text}\r\n"),
        MessageKind::Action => write!(
            out,
            ":{source} PRIVMSG {target} :\u{1}ACTION {text}\u{1}\r\n"
        ),
        _ => write!(out, ":{source} PRIVMSG {target} :{text}\r\n"),
    };
}

/// A room as its channel, `#<name>`, written without a copy.
pub(in crate::irc) struct Channel<'a>(pub(in crate::irc) &'a str);

impl std::fmt::Display for Channel<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "#{}", self.0)
    }
}

/// How leaving a room shows.
enum Leave<'a> {
    /// `PART`, with the member's words if any.
    Part(Option<&'a str>),
    /// `KICK` by an operator (`None`: the server) with a reason.
    Kick { by: Option<&'a str>, why: &'a str },
}

/// Someone left a room: `PART`, or a `KICK` when they were removed (by
/// its operator or an admin), kicked off the server or the room closed.
/// Nothing when they left the server (quit, lost, timed out...): the
/// lobby's `QUIT` that follows takes them out of every channel.
fn room_leave<'a>(
    reason: LeaveReason,
    by: Option<&'a str>,
    text: Option<&'a str>,
) -> Option<Leave<'a>> {
    Some(match reason {
        LeaveReason::Parted => Leave::Part(text),
        LeaveReason::Removed => Leave::Kick {
            by,
            why: text.or(by).unwrap_or("removed"),
        },
        LeaveReason::Kicked => Leave::Kick {
            by,
            why: text.or(by).unwrap_or("kicked"),
        },
        LeaveReason::Closed => Leave::Kick {
            by: None,
            why: "Channel closed",
        },
        _ => return None,
    })
}

/// A notice to the channel then `ERROR`: the server is closing the link.
fn closing(server: &str, why: &str, out: &mut Vec<u8>) {
    server_notice(out, server, CHANNEL, why);
    let _ = write!(out, "ERROR :Closing link: {why}\r\n");
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
