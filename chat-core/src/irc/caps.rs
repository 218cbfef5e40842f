//! Capability negotiation (IRCv3 `CAP LS`, `LIST`, `REQ`, `END`): what the
//! client asked for, and which of it changes a room line's bytes.

use std::io::Write;

use super::lines::{numeric, HOST};
use crate::Millis;

/// The capabilities offered (`CAP LS`), `sasl` first (its value is
/// added for `CAP LS 302`).
const OFFERED: [&str; 7] = [
    "sasl",
    "multi-prefix",
    "echo-message",
    "cap-notify",
    "server-time",
    "message-tags",
    "away-notify",
];

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

/// What one connection negotiated.
#[derive(Debug, Default)]
pub(super) struct Caps {
    /// Inside `CAP LS`/`REQ` ... `CAP END`: registration waits.
    pub(super) negotiating: bool,
    /// `CAP LS 302` or later: values are shown (`sasl=PLAIN`).
    v302: bool,
    /// `echo-message`.
    pub(super) echo: bool,
    multi_prefix: bool,
    server_time: bool,
    message_tags: bool,
    away_notify: bool,
    /// A `CAP REQ` changed [`RoomCaps`] since last asked.
    changed: bool,
}

impl Caps {
    /// The capabilities that change how room lines look to this client.
    pub(super) fn room(&self) -> RoomCaps {
        RoomCaps::new(self.server_time, self.away_notify)
    }

    /// [`room`](Caps::room), if a `CAP REQ` changed it since last asked.
    pub(super) fn take_change(&mut self) -> Option<RoomCaps> {
        std::mem::take(&mut self.changed).then(|| self.room())
    }

    /// A `CAP` line from `me`; its answer goes to `out`. True for
    /// `CAP END`: registration may go on.
    pub(super) fn on_cap(
        &mut self,
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
                let sasl = if self.v302 { "sasl=PLAIN" } else { "sasl" };
                let rest = OFFERED[1..].join(" ");
                let _ = write!(out, ":{HOST} CAP {me} LS :{sasl} {rest}\r\n");
            }
            Some("LIST") => {
                let mut on = vec!["sasl", "cap-notify"];
                for (cap, set) in [
                    ("echo-message", self.echo),
                    ("multi-prefix", self.multi_prefix),
                    ("server-time", self.server_time),
                    ("message-tags", self.message_tags),
                    ("away-notify", self.away_notify),
                ] {
                    if set {
                        on.push(cap);
                    }
                }
                let _ = write!(out, ":{HOST} CAP {me} LIST :{}\r\n", on.join(" "));
            }
            Some("REQ") => {
                self.negotiating |= !registered;
                let asked = params.get(1).copied().unwrap_or("");
                let known = asked
                    .split_whitespace()
                    .all(|c| OFFERED.contains(&c.trim_start_matches('-')));
                if known {
                    self.request(asked);
                }
                let verdict = if known { "ACK" } else { "NAK" };
                let _ = write!(out, ":{HOST} CAP {me} {verdict} :{asked}\r\n");
            }
            Some("END") => {
                self.negotiating = false;
                return true;
            }
            _ => {
                let sub = params.first().copied().unwrap_or("");
                numeric(out, me, "410", &format!("{sub} :Invalid CAP command"));
            }
        }
        false
    }

    /// Turns on (or, with `-`, off) each capability of a `CAP REQ` whose
    /// names are all known.
    fn request(&mut self, asked: &str) {
        let before = self.room();
        for c in asked.split_whitespace() {
            let on = !c.starts_with('-');
            match c.trim_start_matches('-') {
                "echo-message" => self.echo = on,
                "multi-prefix" => self.multi_prefix = on,
                "server-time" => self.server_time = on,
                "message-tags" => self.message_tags = on,
                "away-notify" => self.away_notify = on,
                _ => {}
            }
        }
        self.changed |= self.room() != before;
    }
}
