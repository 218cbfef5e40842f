//! Capability negotiation (IRCv3 `CAP LS`, `LIST`, `REQ`, `END`): what the
//! client asked for, and which of it changes a room line's bytes.

use std::io::Write;

use super::lines::numeric;
use crate::{ClientTags, Millis, MsgId};

/// A capability this server offers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Cap {
    Sasl,
    MultiPrefix,
    EchoMessage,
    Notify,
    ServerTime,
    MessageTags,
    AwayNotify,
    UserhostInNames,
    AccountTag,
    ExtendedJoin,
    Batch,
    ChatHistory,
}

/// The capabilities offered (`CAP LS`), in the order listed, `sasl`
/// first (its value is added for `CAP LS 302`).
const OFFERED: [(&str, Cap); 12] = [
    ("sasl", Cap::Sasl),
    ("multi-prefix", Cap::MultiPrefix),
    ("echo-message", Cap::EchoMessage),
    ("cap-notify", Cap::Notify),
    ("server-time", Cap::ServerTime),
    ("message-tags", Cap::MessageTags),
    ("away-notify", Cap::AwayNotify),
    ("userhost-in-names", Cap::UserhostInNames),
    ("account-tag", Cap::AccountTag),
    ("extended-join", Cap::ExtendedJoin),
    ("batch", Cap::Batch),
    ("draft/chathistory", Cap::ChatHistory),
];

impl Cap {
    fn bit(self) -> u32 {
        1 << self as u32
    }

    fn named(name: &str) -> Option<Cap> {
        OFFERED
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|&(_, c)| c)
    }
}

/// The capabilities of an IRC client that change the bytes of a room
/// line; the room keeps one member list per combination.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct RoomCaps {
    /// `server-time`: lines carry `@time=` with the event's time.
    pub server_time: bool,
    /// `away-notify`: others going busy or free are shown as `AWAY`.
    pub away_notify: bool,
    /// `message-tags`: messages carry `@msgid=` with their id (and
    /// `@time=`, which a client of message tags reads whatever else it
    /// asked for, and `@account=` of a sender logged in to an account).
    pub msgid: bool,
    /// `extended-join`: `JOIN` carries the account (`*` for none) and the
    /// real name.
    pub extended_join: bool,
}

impl RoomCaps {
    /// Capabilities as given.
    pub const fn new(
        server_time: bool,
        away_notify: bool,
        msgid: bool,
        extended_join: bool,
    ) -> RoomCaps {
        RoomCaps {
            server_time: server_time || msgid,
            away_notify,
            msgid,
            extended_join,
        }
    }

    /// Writes the `@time=` tag of an event at `at`, when asked for.
    pub(crate) fn stamp(self, at: Millis, out: &mut Vec<u8>) {
        self.tags(at, None, None, out);
    }

    /// Writes the tags of a message with `id` said at `at` by the account
    /// `account`: `@time=` and `@msgid=` each when asked for, `@account=`
    /// when given (the caller knows whether it was asked for).
    pub(crate) fn tags(
        self,
        at: Millis,
        id: Option<MsgId>,
        account: Option<&str>,
        out: &mut Vec<u8>,
    ) {
        self.message_tags(at, id, account, ClientTags::NONE, out);
    }

    /// [`tags`](RoomCaps::tags), then the message's client-only tags
    /// when the client reads message tags.
    pub(crate) fn message_tags(
        self,
        at: Millis,
        id: Option<MsgId>,
        account: Option<&str>,
        client: ClientTags<'_>,
        out: &mut Vec<u8>,
    ) {
        let id = id.filter(|_| self.msgid);
        let mut sep = '@';
        let mut tag = |out: &mut Vec<u8>, args: std::fmt::Arguments<'_>| {
            let _ = write!(out, "{sep}{args}");
            sep = ';';
        };
        if self.server_time {
            tag(out, format_args!("time={}", at.iso8601()));
        }
        if let Some(id) = id {
            tag(out, format_args!("msgid={}", id.0));
        }
        if let Some(account) = account {
            tag(out, format_args!("account={account}"));
        }
        if self.msgid && !client.is_empty() {
            tag(out, format_args!("{}", client.as_str()));
        }
        if sep == ';' {
            out.push(b' ');
        }
    }
}

/// What one connection negotiated.
#[derive(Debug, Default)]
pub(super) struct Caps {
    /// Inside `CAP LS`/`REQ` ... `CAP END`: registration waits.
    pub(super) negotiating: bool,
    /// `CAP LS 302` or later: values are shown (`sasl=PLAIN`).
    v302: bool,
    /// The capabilities on, one bit each.
    on: u32,
    /// A `CAP REQ` changed [`RoomCaps`] since last asked.
    changed: bool,
}

impl Caps {
    /// Whether the client asked for `cap`.
    pub(super) fn has(&self, cap: Cap) -> bool {
        self.on & cap.bit() != 0
    }

    /// The capabilities that change how room lines look to this client.
    pub(super) fn room(&self) -> RoomCaps {
        RoomCaps::new(
            self.has(Cap::ServerTime),
            self.has(Cap::AwayNotify),
            self.has(Cap::MessageTags),
            self.has(Cap::ExtendedJoin),
        )
    }

    /// [`room`](Caps::room), if a `CAP REQ` changed it since last asked.
    pub(super) fn take_change(&mut self) -> Option<RoomCaps> {
        std::mem::take(&mut self.changed).then(|| self.room())
    }

    /// A `CAP` line from `me`; its answer goes to `out`. True for
    /// `CAP END`: registration may go on.
    pub(super) fn on_cap(
        &mut self,
        server: &str,
        me: &str,
        registered: bool,
        params: &[&str],
        out: &mut Vec<u8>,
    ) -> bool {
        let sub = params.first().map(|s| s.to_ascii_uppercase());
        match sub.as_deref() {
            Some("LS") => {
                self.negotiating |= !registered;
                self.v302 |= params.get(1).is_some_and(|v| *v >= "302");
                let offered: Vec<&str> = OFFERED
                    .iter()
                    .map(|&(name, cap)| match cap {
                        Cap::Sasl if self.v302 => "sasl=PLAIN",
                        _ => name,
                    })
                    .collect();
                let _ = write!(out, ":{server} CAP {me} LS :{}\r\n", offered.join(" "));
            }
            Some("LIST") => {
                let on: Vec<&str> = OFFERED
                    .iter()
                    .filter(|&&(_, cap)| self.has(cap))
                    .map(|&(name, _)| name)
                    .collect();
                let _ = write!(out, ":{server} CAP {me} LIST :{}\r\n", on.join(" "));
            }
            Some("REQ") => {
                self.negotiating |= !registered;
                let asked = params.get(1).copied().unwrap_or("");
                let known = !asked.trim().is_empty()
                    && asked
                        .split_whitespace()
                        .all(|c| Cap::named(c.trim_start_matches('-')).is_some());
                if known {
                    self.request(asked);
                }
                let verdict = if known { "ACK" } else { "NAK" };
                let _ = write!(out, ":{server} CAP {me} {verdict} :{asked}\r\n");
            }
            Some("END") => {
                self.negotiating = false;
                return true;
            }
            _ => {
                let sub = params.first().copied().unwrap_or("");
                numeric(
                    out,
                    server,
                    me,
                    "410",
                    &format!("{sub} :Invalid CAP command"),
                );
            }
        }
        false
    }

    /// Turns on (or, with `-`, off) each capability of a `CAP REQ` whose
    /// names are all known.
    fn request(&mut self, asked: &str) {
        let before = self.room();
        for c in asked.split_whitespace() {
            let (off, name) = match c.strip_prefix('-') {
                Some(name) => (true, name),
                None => (false, c),
            };
            if let Some(cap) = Cap::named(name) {
                if off {
                    self.on &= !cap.bit();
                } else {
                    self.on |= cap.bit();
                }
            }
        }
        self.changed |= self.room() != before;
    }
}
