//! Replies to IRC bytes. Rendering reads the connection's state and
//! never changes it: what a reply means for the connection (a login
//! done, a listing answered) is [`IrcCodec`](super::IrcCodec)'s to
//! follow once the reply is rendered.

mod refusal;
mod room;

use std::borrow::Cow;
use std::io::Write;

pub use room::render_shared;
pub(super) use room::shared;

use super::caps::RoomCaps;
use super::lines::{nickserv_says, server_notice, CHANNEL, HOST};
use super::listing::ListKind;
use super::registration::Registration;
use crate::reply::{Control, Done, HistoryOf, Listing, Notice, Presence, Reason, Reply};
use crate::{Grant, Millis};

/// What rendering reads of one connection.
pub(super) struct View<'s> {
    /// Registration and login.
    pub(super) reg: &'s Registration,
    /// The capabilities that change a line's bytes.
    pub(super) caps: RoomCaps,
    /// The listing the engine answers next.
    pub(super) listing: Option<&'s ListKind>,
}

/// What the replies of one batch gather as they are rendered: a listing
/// comes whole in one batch, so its names and its `LIST` header are the
/// batch's, not the connection's.
#[derive(Debug, Default)]
pub(super) struct Batch {
    /// Names of a `NAMES` listing, until its end.
    names: Vec<String>,
    /// `321` went out for the `LIST` being answered.
    list_started: bool,
}

/// Appends the line(s) of `reply` for the connection `view` shows.
pub(super) fn reply(view: &View<'_>, batch: &mut Batch, reply: &Reply<'_>, out: &mut Vec<u8>) {
    let me = view.reg.me();
    // A topic sent to one client answers it (on joining, or `TOPIC`);
    // the room's `TOPIC` line is the shared one.
    if let Reply::Topic { room, at, by, text } = reply {
        return topic_numerics(me, room, *at, by, *text, out);
    }
    if shared(reply, view.caps, out) {
        return;
    }
    match reply {
        Reply::Hello { .. } | Reply::Ask { .. } => {}
        Reply::Welcome { user, .. } => view.reg.render_welcome(user, out),
        Reply::Ok(done) => self::done(me, done, out),
        Reply::Pm { at, from, text, .. } => {
            view.caps.stamp(*at, out);
            let _ = write!(out, ":{from}!{from}@{HOST} PRIVMSG {me} :{text}\r\n");
        }
        Reply::Ping { token } => {
            let _ = write!(out, "PING :{token}\r\n");
        }
        Reply::Help { admin } => help(me, *admin, out),
        Reply::User {
            name,
            grant,
            presence,
        } => {
            let presence = presence.known().unwrap_or(Presence::Free);
            user_row(view, batch, name, *grant, presence, out)
        }
        Reply::GuestUser { name, presence } => {
            user_row(view, batch, name, Grant::User, *presence, out)
        }
        Reply::Kicked { name, by, at, .. } => {
            let secs = at.as_u64() / 1000;
            let _ = write!(out, ":{HOST} 367 {me} {CHANNEL} {name}!*@* {by} {secs}\r\n");
        }
        Reply::End(listing) => end(view, batch, listing, out),
        Reply::Ctl(ctl) => control(me, ctl, out),
        Reply::Pong(token) => {
            let token = token.unwrap_or(HOST);
            let _ = write!(out, ":{HOST} PONG {HOST} :{token}\r\n");
        }
        Reply::Refused(reason) => refusal::render(view, reason, out),
        Reply::Notice(Notice::RecipientBusy { name }) => {
            let _ = write!(out, ":{HOST} 301 {me} {name} :is away (busy)\r\n");
        }
        Reply::Hist {
            of, at, from, text, ..
        } => {
            // Replayed as said, at its own time when the client reads
            // `server-time`.
            view.caps.stamp(*at, out);
            let to: &str = match of {
                HistoryOf::Room(room) => {
                    let _ = write!(out, ":{from}!{from}@{HOST} PRIVMSG #{room} :{text}\r\n");
                    return;
                }
                HistoryOf::Private(with) if from.eq_ignore_ascii_case(me) => with,
                HistoryOf::Private(_) => me,
            };
            let _ = write!(out, ":{from}!{from}@{HOST} PRIVMSG {to} :{text}\r\n");
        }
        Reply::Room {
            name,
            members,
            topic,
            ..
        } => {
            start_list(me, batch, out);
            let topic = topic.unwrap_or("");
            let _ = write!(out, ":{HOST} 322 {me} #{name} {members} :{topic}\r\n");
        }
        _ => {
            if let Some(text) = notice_text(reply) {
                server_notice(out, me, &text);
            }
        }
    }
}

/// The text for people of a reply that IRC shows as a notice (an
/// announcement, a refusal without a numeric), from its typed value.
pub(super) fn notice_text<'r>(reply: &'r Reply<'_>) -> Option<Cow<'r, str>> {
    Some(match reply {
        Reply::Info(text) => Cow::Borrowed(*text),
        Reply::Err {
            text, retry: None, ..
        } => Cow::Borrowed(*text),
        Reply::Err { text, retry, .. } => Cow::Owned(with_retry(text, *retry)),
        Reply::Refused(reason) => Cow::Owned(refusal_text(reason)),
        Reply::Notice(notice) => Cow::Owned(notice.to_string()),
        _ => return None,
    })
}

/// A refusal's text for people, with when to try again if it says.
pub(super) fn refusal_text(reason: &Reason<'_>) -> String {
    with_retry(&reason.to_string(), reason.retry_secs())
}

fn with_retry(text: &str, secs: Option<u64>) -> String {
    match secs {
        Some(secs) => format!("{text}; retry in {secs} s"),
        None => text.to_owned(),
    }
}

/// IRC's `HELP`: its own commands, one notice.
fn help(me: &str, admin: bool, out: &mut Vec<u8>) {
    let mut text = String::from(
        "Commands: PRIVMSG #lobby|#<room>|<nick> :<text>, JOIN #<room> (creates it), PART #<room>, LIST, TOPIC #<room> [:text], NAMES [#<room>], WHO #lobby, AWAY [:reason], MODE #lobby b, QUIT, PING",
    );
    if admin {
        text.push_str("; operators: KICK #lobby <nick> [:reason], MODE #lobby +o|-o <nick>, MODE #lobby -b <nick>, RESTART; a room's operator (its creator) or an admin: KICK #<room> <nick> [:reason], TOPIC #<room> :text");
    }
    server_notice(out, me, &text);
}

fn done(me: &str, done: &Done<'_>, out: &mut Vec<u8>) {
    match done {
        Done::Registered(name) => nickserv_says(out, me, &format!("Account {name} registered")),
        Done::Unkicked(name) => {
            let _ = write!(out, ":{me}!{me}@{HOST} MODE {CHANNEL} -b {name}!*@*\r\n");
        }
        // The engine lists the members next.
        Done::Joined(room) => {
            let _ = write!(out, ":{me}!{me}@{HOST} JOIN #{room}\r\n");
        }
        Done::Parted(room) => {
            let _ = write!(out, ":{me}!{me}@{HOST} PART #{room}\r\n");
        }
        Done::PasswordChanged => nickserv_says(out, me, "Password changed"),
        // The KICK and the MODE of a grant reach the admin with the
        // room; a login or a private message needs no word.
        _ => {}
    }
}

fn user_row(
    view: &View<'_>,
    batch: &mut Batch,
    name: &str,
    grant: Grant,
    presence: Presence,
    out: &mut Vec<u8>,
) {
    let op = if grant.is_admin() { "@" } else { "" };
    let me = view.reg.me();
    match view.listing {
        Some(ListKind::Who(filter)) => {
            if filter
                .as_ref()
                .is_some_and(|f| !f.eq_ignore_ascii_case(name))
            {
                return;
            }
            let away = if presence == Presence::Busy { 'G' } else { 'H' };
            let _ = write!(
                out,
                ":{HOST} 352 {me} {CHANNEL} {name} {HOST} {HOST} {name} {away}{op} :0 {name}\r\n"
            );
        }
        _ => batch.names.push(format!("{op}{name}")),
    }
}

fn end(view: &View<'_>, batch: &mut Batch, listing: &Listing, out: &mut Vec<u8>) {
    let me = view.reg.me();
    match listing {
        Listing::Users | Listing::UsersPage(_) => match view.listing {
            Some(ListKind::Who(filter)) => {
                let mask = filter.as_deref().unwrap_or(CHANNEL);
                let _ = write!(out, ":{HOST} 315 {me} {mask} :End of WHO list\r\n");
            }
            Some(ListKind::RoomNames(chan)) => write_names(me, chan, batch, out),
            kind => {
                if kind == Some(&ListKind::JoinNames) {
                    let _ = write!(out, ":{HOST} 331 {me} {CHANNEL} :No topic is set\r\n");
                }
                write_names(me, CHANNEL, batch, out);
            }
        },
        Listing::RoomsPage(_) => {
            start_list(me, batch, out);
            batch.list_started = false;
            let _ = write!(out, ":{HOST} 323 {me} :End of /LIST\r\n");
        }
        Listing::Kicked | Listing::KickedPage(_) => {
            let _ = write!(
                out,
                ":{HOST} 368 {me} {CHANNEL} :End of channel ban list\r\n"
            );
        }
        // 305 came with the free; help is one notice.
        _ => {}
    }
}

/// 321, once before the rows of a `LIST`.
fn start_list(me: &str, batch: &mut Batch, out: &mut Vec<u8>) {
    if !std::mem::replace(&mut batch.list_started, true) {
        let _ = write!(out, ":{HOST} 321 {me} Channel :Users  Name\r\n");
    }
}

/// 353 lines of at most ~400 bytes of names, then 366.
fn write_names(me: &str, chan: &str, batch: &mut Batch, out: &mut Vec<u8>) {
    let names = std::mem::take(&mut batch.names);
    let mut line = String::new();
    for name in names {
        if !line.is_empty() && line.len() + name.len() > 400 {
            let _ = write!(out, ":{HOST} 353 {me} = {chan} :{line}\r\n");
            line.clear();
        }
        if !line.is_empty() {
            line.push(' ');
        }
        line.push_str(&name);
    }
    if !line.is_empty() {
        let _ = write!(out, ":{HOST} 353 {me} = {chan} :{line}\r\n");
    }
    let _ = write!(out, ":{HOST} 366 {me} {chan} :End of /NAMES list\r\n");
}

fn control(me: &str, ctl: &Control<'_>, out: &mut Vec<u8>) {
    let _ = match ctl {
        Control::Busy => write!(
            out,
            ":{HOST} 306 {me} :You have been marked as being away\r\n"
        ),
        Control::Free => write!(
            out,
            ":{HOST} 305 {me} :You are no longer marked as being away\r\n"
        ),
        // The room's MODE line, with the admin who did it, tells it.
        Control::Grant(_) => Ok(()),
        Control::Kick { by, reason } => {
            let reason = reason.unwrap_or("kicked");
            write!(
                out,
                ":{by}!{by}@{HOST} KICK {CHANNEL} {me} :{reason}\r\nERROR :Closing link: kicked by {by} ({reason})\r\n"
            )
        }
        Control::Removed { room, by, reason } => {
            let reason = reason.unwrap_or("removed");
            write!(out, ":{by}!{by}@{HOST} KICK #{room} {me} :{reason}\r\n")
        }
        Control::Disconnect => write!(out, "ERROR :Closing link: quit\r\n"),
        Control::Takeover => write!(out, "ERROR :Closing link: logged in elsewhere\r\n"),
        _ => write!(out, "ERROR :Closing link\r\n"),
    };
}

/// 332 and 333 for a topic, 331 for none.
fn topic_numerics(
    me: &str,
    room: &str,
    at: Millis,
    by: &str,
    text: Option<&str>,
    out: &mut Vec<u8>,
) {
    let _ = match text {
        Some(text) => write!(
            out,
            ":{HOST} 332 {me} #{room} :{text}\r\n:{HOST} 333 {me} #{room} {by} {}\r\n",
            at.as_u64() / 1000
        ),
        None => write!(out, ":{HOST} 331 {me} #{room} :No topic is set\r\n"),
    };
}
