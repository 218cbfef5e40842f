//! Room lines: every IRC recipient with the same [`RoomCaps`] gets the
//! same bytes, so a room line is rendered once per combination in use
//! and shared. The lobby is `#lobby`; every other room is the channel
//! `#<name>`.

use std::io::Write;

use super::notice_text;
use crate::irc::caps::RoomCaps;
use crate::irc::lines::{server_notice, Mask, ModeChange, CHANNEL};
use crate::reply::{Control, Identity, LeaveReason, Reply};
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
            let reason = reason.known().unwrap_or(LeaveReason::Lost);
            // The user logged in again: still on the server (the new
            // session's `JOIN #lobby` is not shown either), so no `QUIT`;
            // the other channels it was in see it `PART`.
            if reason == LeaveReason::TakenOver {
                return true;
            }
            caps.stamp(*at, out);
            // Only its own user sees the lobby parted: logged in as
            // another account, it leaves the old one's channels.
            if reason == LeaveReason::Parted {
                let m = mask(user, who.user_name);
                let _ = match text {
                    Some(text) => write!(out, ":{m} PART {CHANNEL} :{text}\r\n"),
                    None => write!(out, ":{m} PART {CHANNEL}\r\n"),
                };
                return true;
            }
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
            tags,
        } => {
            // Tags alone are for those who read them, and nobody else.
            if kind.is_tags_only() && !caps.msgid {
                return true;
            }
            let account = who.account.then_some(*from).filter(|_| caps.msgid);
            caps.message_tags(*at, *id, account, *tags, out);
            let target = Channel(room);
            message_line(&mask(from, who.user_name), target, *kind, text, out);
        }
        // Others' joins of the lobby, where everyone is from login, are
        // not shown (as in a channel with delayed joins): `NAMES` and
        // `WHO` list them, their `QUIT` is shown. One's own comes with
        // the welcome.
        Reply::RoomJoin { room: LOBBY, .. } => {}
        Reply::RoomJoin {
            room,
            at,
            user,
            who,
        } => {
            caps.stamp(*at, out);
            let _ = write!(out, ":{} JOIN #{room}", mask(user, who.user_name));
            if caps.extended_join {
                extended_join(user, who, out);
            }
            out.extend_from_slice(b"\r\n");
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
    let tier = if caps.msgid {
        2
    } else {
        usize::from(caps.server_time)
    };
    let i = usize::from(caps.extended_join) * 6 + tier * 2 + usize::from(caps.away_notify);
    BY_CAPS[i]
}

/// `, <account> :<real name>` of an `extended-join` `JOIN` (`*` for no
/// account; the nick when no real name was given).
pub(in crate::irc) fn extended_join(user: &str, who: &Identity<'_>, out: &mut Vec<u8>) {
    let account = if who.account { user } else { "*" };
    let real = who.real_name.unwrap_or(user);
    let _ = write!(out, " {account} :{real}");
}

/// One rendering: its slot, name and capabilities (`server-time`,
/// `away-notify`, `message-tags`, `extended-join`).
macro_rules! irc_rendering {
    ($name:ident, $slot:literal, $label:literal, $t:literal, $a:literal, $m:literal, $x:literal) => {
        const $name: Rendering = Rendering::new(&RenderingSpec {
            slot: $slot,
            name: $label,
            render: render_all::<$t, $a, $m, $x>,
        });
    };
}

irc_rendering!(IRC, 1, "IRC", false, false, false, false);
irc_rendering!(
    IRC_TIME,
    2,
    "IRC with server-time",
    true,
    false,
    false,
    false
);
irc_rendering!(
    IRC_AWAY,
    3,
    "IRC with away-notify",
    false,
    true,
    false,
    false
);
irc_rendering!(
    IRC_TIME_AWAY,
    4,
    "IRC with server-time and away-notify",
    true,
    true,
    false,
    false
);
irc_rendering!(
    IRC_TAGS,
    6,
    "IRC with message-tags",
    true,
    false,
    true,
    false
);
irc_rendering!(
    IRC_TAGS_AWAY,
    7,
    "IRC with message-tags and away-notify",
    true,
    true,
    true,
    false
);
irc_rendering!(
    IRC_JOIN,
    8,
    "IRC with extended-join",
    false,
    false,
    false,
    true
);
irc_rendering!(
    IRC_TIME_JOIN,
    9,
    "IRC with server-time and extended-join",
    true,
    false,
    false,
    true
);
irc_rendering!(
    IRC_AWAY_JOIN,
    10,
    "IRC with away-notify and extended-join",
    false,
    true,
    false,
    true
);
irc_rendering!(
    IRC_TIME_AWAY_JOIN,
    11,
    "IRC with server-time, away-notify and extended-join",
    true,
    true,
    false,
    true
);
irc_rendering!(
    IRC_TAGS_JOIN,
    12,
    "IRC with message-tags and extended-join",
    true,
    false,
    true,
    true
);
irc_rendering!(
    IRC_TAGS_AWAY_JOIN,
    13,
    "IRC with message-tags, away-notify and extended-join",
    true,
    true,
    true,
    true
);

/// The renderings by capabilities: `extended-join`, then the tier
/// (plain, `server-time`, `message-tags`), then `away-notify`.
const BY_CAPS: [Rendering; 12] = [
    IRC,
    IRC_AWAY,
    IRC_TIME,
    IRC_TIME_AWAY,
    IRC_TAGS,
    IRC_TAGS_AWAY,
    IRC_JOIN,
    IRC_AWAY_JOIN,
    IRC_TIME_JOIN,
    IRC_TIME_AWAY_JOIN,
    IRC_TAGS_JOIN,
    IRC_TAGS_AWAY_JOIN,
];

/// Every IRC rendering, in slot order.
pub const RENDERINGS: [Rendering; 12] = [
    IRC,
    IRC_TIME,
    IRC_AWAY,
    IRC_TIME_AWAY,
    IRC_TAGS,
    IRC_TAGS_AWAY,
    IRC_JOIN,
    IRC_TIME_JOIN,
    IRC_AWAY_JOIN,
    IRC_TIME_AWAY_JOIN,
    IRC_TAGS_JOIN,
    IRC_TAGS_AWAY_JOIN,
];

fn render_all<const TIME: bool, const AWAY: bool, const MSGID: bool, const JOIN: bool>(
    replies: &[Reply<'_>],
    server: &str,
    out: &mut Vec<u8>,
) {
    for reply in replies {
        render_shared(reply, RoomCaps::new(TIME, AWAY, MSGID, JOIN), server, out);
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

/// A message from `source` to `target`: `PRIVMSG`, `NOTICE`, a CTCP
/// `ACTION` in a `PRIVMSG`, or `TAGMSG` (tags alone: no text).
pub(in crate::irc) fn message_line(
    source: &Mask<'_>,
    target: impl std::fmt::Display,
    kind: MessageKind,
    text: &str,
    out: &mut Vec<u8>,
) {
    let _ = match kind {
        MessageKind::Notice => write!(out, ":{source} NOTICE {target} :{text}\r\n"),
        MessageKind::TagsOnly => write!(out, ":{source} TAGMSG {target}\r\n"),
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
        // The user is still on the server (see the lobby's), but no longer
        // in this channel.
        LeaveReason::TakenOver => Leave::Part(Some("Logged in elsewhere")),
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
