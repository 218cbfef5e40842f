//! Replies to IRC bytes. Rendering reads the connection's state and
//! never changes it: what a reply means for the connection (a login
//! done, a listing answered) is [`IrcCodec`](super::IrcCodec)'s to
//! follow once the reply is rendered.

mod listing;
mod refusal;
mod room;

use std::borrow::Cow;
use std::io::Write;

pub(super) use room::{message_line, rendering, shared, Channel};
pub use room::{render_shared, RENDERINGS};

use super::caps::{Cap, Caps};
use super::chathistory::{in_batch, BatchKind, HistoryBatch};
use super::lines::{nickserv_says, server_notice, Mask, CHANNEL};
use super::listing::ListKind;
use super::registration::{Registration, Via};
use crate::reply::{Control, Done, HistoryOf, Identity, Listing, Notice, Reason, Reply};
use crate::{Millis, LOBBY};

/// What rendering reads of one connection.
pub(super) struct View<'s> {
    /// The server's name.
    pub(super) server: &'s str,
    /// Registration and login.
    pub(super) reg: &'s Registration,
    /// The capabilities negotiated.
    pub(super) caps: &'s Caps,
    /// The listing the engine answers next.
    pub(super) listing: Option<&'s ListKind>,
}

/// What a listing gathers while it is rendered, which may take several
/// renders (the engine sends a long listing a part at a time as the
/// connection drains): the `NAMES` line being filled, the room's channel
/// and whether the `LIST` header went out. All end with the listing's
/// `END`.
#[derive(Debug, Default)]
pub(super) struct Batch {
    /// Names of the `353` line being filled (full lines go out at once),
    /// or the hosts of a `USERHOST` answer.
    names: String,
    /// The channel of a room's listing, as the room spells it.
    channel: Option<String>,
    /// `321` went out for the `LIST` being answered.
    list_started: bool,
    /// The room listed is secret (`+s`): `353` says `@` rather than `=`.
    secret: bool,
    /// The batch of the `CHATHISTORY` answered.
    history: HistoryBatch,
}

impl Batch {
    /// The `353` symbol of the room listed: `@` secret, `=` public.
    fn symbol(&self) -> char {
        if self.secret {
            '@'
        } else {
            '='
        }
    }
}

/// Appends the line(s) of `reply` for the connection `view` shows.
pub(super) fn reply(view: &View<'_>, batch: &mut Batch, reply: &Reply<'_>, out: &mut Vec<u8>) {
    let (server, me) = (view.server, view.reg.me());
    // A topic sent to one client answers it (on joining, or `TOPIC`);
    // the room's `TOPIC` line is the shared one.
    if let Reply::Topic { room, at, by, text } = reply {
        return topic_numerics(server, me, room, *at, by, *text, out);
    }
    if let Reply::RoomModes { room, modes } = reply {
        let _ = write!(out, ":{server} 324 {me} #{room} {modes}\r\n");
        return;
    }
    if shared(reply, view.caps.room(), server, out) {
        return;
    }
    match reply {
        Reply::Hello { .. } | Reply::Ask { .. } => {}
        Reply::Welcome { user, .. } => {
            view.reg.render_welcome(server, user, out);
            // In the lobby from login; the engine lists it next.
            own_join(view, user, LOBBY, out);
        }
        Reply::Ok(done) => self::done(view, done, out),
        Reply::Pm {
            id,
            at,
            from,
            who,
            to,
            kind,
            text,
            tags,
        } => {
            let caps = view.caps.room();
            // Tags alone are for those who read them, and nobody else.
            if kind.is_tags_only() && !caps.msgid {
                return;
            }
            let tagged = caps.msgid || view.caps.has(Cap::AccountTag);
            let account = who.account.then_some(*from).filter(|_| tagged);
            caps.message_tags(*at, *id, account, *tags, out);
            let mask = Mask {
                nick: from,
                user: who.user_name,
                host: server,
            };
            message_line(&mask, to.unwrap_or(me), *kind, text, out);
        }
        Reply::Ping { token } => {
            let _ = write!(out, "PING :{token}\r\n");
        }
        Reply::Help { admin } => help(server, me, *admin, out),
        Reply::User { .. } | Reply::GuestUser { .. } | Reply::Members { .. } => {
            listing::row(view, batch, reply, out)
        }
        Reply::WhoIs(whois) => listing::whois(view, whois, out),
        Reply::Kicked { name, by, at, .. } => {
            let secs = at.as_u64() / 1000;
            let _ = write!(
                out,
                ":{server} 367 {me} {CHANNEL} {name}!*@* {by} {secs}\r\n"
            );
        }
        Reply::End(Listing::History { .. } | Listing::Conversations { .. }) => {
            if let Some(kind) = history_batch(view) {
                batch.history.close(server, kind, out);
            }
        }
        Reply::End(listing) => listing::end(view, batch, listing, out),
        Reply::Ctl(ctl) => control(view, ctl, out),
        Reply::Pong(token) => {
            let token = token.unwrap_or(server);
            let _ = write!(out, ":{server} PONG {server} :{token}\r\n");
        }
        Reply::Refused(reason) => refusal::render(view, reason, out),
        Reply::Notice(Notice::RecipientBusy { name, text }) => {
            let text = text.unwrap_or("is away (busy)");
            let _ = write!(out, ":{server} 301 {me} {name} :{text}\r\n");
        }
        Reply::Hist {
            of,
            id,
            at,
            from,
            kind,
            text,
        } => {
            // Replayed as it was said (a notice as `NOTICE`, an action as
            // a CTCP `ACTION`), at its own time when the client reads
            // `server-time`, with its id when it reads message tags; in
            // the batch of a `CHATHISTORY` when it reads batches.
            match history_batch(view) {
                Some(kind) => {
                    let r = batch.history.open(server, kind, out);
                    let mut tags = Vec::new();
                    view.caps.room().tags(*at, *id, None, &mut tags);
                    in_batch(r, &tags, out);
                }
                None => view.caps.room().tags(*at, *id, None, out),
            }
            let mask = Mask {
                nick: from,
                user: None,
                host: server,
            };
            match of {
                HistoryOf::Room(room) => message_line(&mask, Channel(room), *kind, text, out),
                HistoryOf::Private(with) if from.eq_ignore_ascii_case(me) => {
                    message_line(&mask, with, *kind, text, out)
                }
                HistoryOf::Private(_) => message_line(&mask, me, *kind, text, out),
            }
        }
        Reply::Conversation { of, at, .. } => {
            // A row of `CHATHISTORY TARGETS`: the target and the time of
            // its latest line, as its `time` tag said it.
            if let Some(kind) = history_batch(view) {
                let r = batch.history.open(server, kind, out);
                in_batch(r, b"", out);
            }
            let _ = match of {
                HistoryOf::Room(room) => {
                    write!(out, ":{server} CHATHISTORY TARGETS {}", Channel(room))
                }
                HistoryOf::Private(with) => write!(out, ":{server} CHATHISTORY TARGETS {with}"),
            };
            let _ = write!(out, " {}\r\n", at.iso8601());
        }
        Reply::Room { .. } => listing::list_row(view, batch, reply, out),
        _ => {
            if let Some(text) = notice_text(reply) {
                server_notice(out, server, me, &text);
            }
        }
    }
}

/// The batch of the `CHATHISTORY` answered now, when the client reads
/// its answer as a batch.
fn history_batch<'v>(view: &View<'v>) -> Option<BatchKind<'v>> {
    if !view.caps.has(Cap::Batch) {
        return None;
    }
    match view.listing {
        Some(ListKind::ChatHistory { target, .. }) => Some(BatchKind::History(target)),
        Some(ListKind::ChatHistoryTargets) => Some(BatchKind::Targets),
        _ => None,
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
fn help(server: &str, me: &str, admin: bool, out: &mut Vec<u8>) {
    let mut text = String::from(
        "Commands: PRIVMSG #lobby|#<room>|<nick> :<text>, NOTICE (never answered), JOIN #<room> (creates it), PART #<room> [:reason], LIST, TOPIC #<room> [:text], NAMES [#<room>], WHO #<room>|<mask>, WHOIS <nick>, AWAY [:message], MODE #lobby b, QUIT [:reason], PING",
    );
    if admin {
        text.push_str("; operators: KICK #lobby <nick> [:reason], MODE #lobby +o|-o <nick>, MODE #lobby -b <nick>, RESTART; a room's operator (its creator) or an admin: KICK #<room> <nick> [:reason], TOPIC #<room> :text");
    }
    server_notice(out, server, me, &text);
}

fn done(view: &View<'_>, done: &Done<'_>, out: &mut Vec<u8>) {
    let (server, me) = (view.server, view.reg.me());
    let mask = |nick| Mask {
        nick,
        user: view.reg.user_name(),
        host: server,
    };
    match done {
        Done::Login(user) => view.reg.render_logged_in(server, user, out),
        Done::Registered(name) => {
            nickserv_says(out, server, me, &format!("Account {name} registered"))
        }
        Done::Unkicked(name) => {
            let _ = write!(out, ":{} MODE {CHANNEL} -b {name}!*@*\r\n", mask(me));
        }
        // The engine lists the members next.
        Done::Joined(room) => own_join(view, me, room, out),
        Done::PasswordChanged => nickserv_says(out, server, me, "Password changed"),
        Done::Invited(room, user) => {
            let _ = write!(out, ":{server} 341 {me} {user} #{room}\r\n");
        }
        // The PART, KICK and MODE of a grant reach the asker with the
        // room; a private message needs no word.
        _ => {}
    }
}

/// The client's own `JOIN` of `room` as `me` (extended with
/// `extended-join`).
fn own_join(view: &View<'_>, me: &str, room: &str, out: &mut Vec<u8>) {
    let mask = Mask {
        nick: me,
        user: view.reg.user_name(),
        host: view.server,
    };
    let _ = write!(out, ":{mask} JOIN #{room}");
    if view.caps.has(Cap::ExtendedJoin) {
        let who = Identity {
            user_name: view.reg.user_name(),
            real_name: view.reg.real_name.as_deref(),
            account: view.reg.login.is_some_and(|v| v != Via::Guest),
        };
        room::extended_join(me, &who, out);
    }
    out.extend_from_slice(b"\r\n");
}

fn control(view: &View<'_>, ctl: &Control<'_>, out: &mut Vec<u8>) {
    let (server, me) = (view.server, view.reg.me());
    let by_mask = |by| Mask {
        nick: by,
        user: None,
        host: server,
    };
    let _ = match ctl {
        Control::Busy => write!(
            out,
            ":{server} 306 {me} :You have been marked as being away\r\n"
        ),
        Control::Free => write!(
            out,
            ":{server} 305 {me} :You are no longer marked as being away\r\n"
        ),
        // Made an operator (by `OPER`, or an admin's grant, whose
        // lobby's MODE line tells the rest).
        Control::Grant(grant) if grant.is_admin() => {
            write!(out, ":{server} 381 {me} :You are now an IRC operator\r\n")
        }
        Control::Grant(_) => Ok(()),
        Control::Kick { by, reason } => {
            let reason = reason.unwrap_or(by);
            write!(
                out,
                ":{} KICK {CHANNEL} {me} :{reason}\r\nERROR :Closing link: kicked by {by} ({reason})\r\n",
                by_mask(by)
            )
        }
        Control::Invited { room, by, who, at } => {
            // As a message is: the inviter's account tagged for
            // `account-tag`, its time for `server-time`.
            let account = who
                .account
                .then_some(*by)
                .filter(|_| view.caps.has(Cap::AccountTag));
            view.caps.room().tags(*at, None, account, out);
            let mask = Mask {
                nick: by,
                user: who.user_name,
                host: server,
            };
            write!(out, ":{mask} INVITE {me} #{room}\r\n")
        }
        // The room's KICK line goes to those still in it.
        Control::Removed { room, by, reason } => {
            let reason = reason.unwrap_or(by);
            write!(out, ":{} KICK #{room} {me} :{reason}\r\n", by_mask(by))
        }
        Control::Disconnect => write!(out, "ERROR :Closing link: quit\r\n"),
        Control::Takeover => write!(out, "ERROR :Closing link: logged in elsewhere\r\n"),
        _ => write!(out, "ERROR :Closing link\r\n"),
    };
}

/// 332 and 333 for a topic, 331 for none.
fn topic_numerics(
    server: &str,
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
            ":{server} 332 {me} #{room} :{text}\r\n:{server} 333 {me} #{room} {by} {}\r\n",
            at.as_u64() / 1000
        ),
        None => write!(out, ":{server} 331 {me} #{room} :No topic is set\r\n"),
    };
}
