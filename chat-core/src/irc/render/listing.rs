//! The engine's listings as IRC numerics: the rows of users as `NAMES`
//! (`353`/`366`), `WHO` (`352`/`315`) or `USERHOST` (`302`) by what the
//! client asked, `WHOIS` (`311`...`318`), and the ends of `LIST` and the
//! ban list.

use std::fmt::Write as _;
use std::io::Write;

use super::{Batch, View};
use crate::irc::caps::Cap;
use crate::irc::lines::CHANNEL;
use crate::irc::listing::{ListKind, Whox};
use crate::reply::{Listing, MemberStatus, Presence, Profile, Reply, WhoIs};

/// A row of a listing of users (or the header of a room's).
pub(super) fn row(view: &View<'_>, batch: &mut Batch, reply: &Reply<'_>, out: &mut Vec<u8>) {
    let (name, grant, presence, profile) = match reply {
        Reply::Members { room, secret } => {
            batch.channel = Some(format!("#{room}"));
            batch.secret = *secret;
            return;
        }
        Reply::User {
            name,
            grant,
            presence,
            profile,
        } => (
            *name,
            *grant,
            presence.known().unwrap_or(Presence::Free),
            profile,
        ),
        Reply::GuestUser {
            name,
            grant,
            presence,
            profile,
        } => (*name, *grant, *presence, profile),
        _ => return,
    };
    let (server, me) = (view.server, view.reg.me());
    let user = profile.identity.user_name.unwrap_or(name);
    match view.listing {
        Some(ListKind::Who { channel, whox, .. }) => {
            let chan = match (&batch.channel, channel) {
                (Some(room), _) => room.as_str(),
                (None, Some(chan)) => chan.as_str(),
                (None, None) => "*",
            };
            let away = if presence == Presence::Busy { 'G' } else { 'H' };
            let oper = if grant.is_admin() { "*" } else { "" };
            let prefix = if chan == "*" {
                String::new()
            } else {
                prefixes(view, profile.status)
            };
            let flags = format!("{away}{oper}{prefix}");
            let real = profile.identity.real_name.unwrap_or(name);
            let row = WhoRow {
                chan,
                user,
                nick: name,
                flags: &flags,
                profile,
                real,
            };
            match whox {
                Some(whox) => row.write_whox(server, me, whox, out),
                None => {
                    let _ = write!(
                        out,
                        ":{server} 352 {me} {chan} {user} {server} {server} {name} {flags} :0 {real}\r\n"
                    );
                }
            }
        }
        Some(ListKind::Userhost) => {
            let oper = if grant.is_admin() { "*" } else { "" };
            let away = if presence == Presence::Busy { '-' } else { '+' };
            if !batch.names.is_empty() {
                batch.names.push(' ');
            }
            let _ = write!(batch.names, "{name}{oper}={away}{user}@{server}");
        }
        kind => {
            let chan = match kind {
                Some(ListKind::RoomNames(asked)) => batch.channel.as_ref().unwrap_or(asked),
                _ => CHANNEL,
            };
            let prefix = prefixes(view, profile.status);
            // `userhost-in-names`: each name as its mask.
            let entry = if view.caps.has(Cap::UserhostInNames) {
                format!("{prefix}{name}!{user}@{server}")
            } else {
                format!("{prefix}{name}")
            };
            // A full line goes out now: a listing sent over several
            // renders holds one line at most.
            if !batch.names.is_empty() && batch.names.len() + entry.len() > 400 {
                let symbol = batch.symbol();
                let _ = write!(
                    out,
                    ":{server} 353 {me} {symbol} {chan} :{}\r\n",
                    batch.names
                );
                batch.names.clear();
            }
            if !batch.names.is_empty() {
                batch.names.push(' ');
            }
            batch.names.push_str(&entry);
        }
    }
}

/// What a `WHO` row shows of one user.
struct WhoRow<'a> {
    chan: &'a str,
    user: &'a str,
    nick: &'a str,
    /// `H`/`G`, `*` for an operator, then the prefixes of their standing.
    flags: &'a str,
    profile: &'a Profile<'a>,
    real: &'a str,
}

impl WhoRow<'_> {
    /// WHOX's `354`: the fields asked for, in the spec's order
    /// (`tcuihsnfdlaor`), whatever order they were asked in. No address
    /// is shown (`255.255.255.255`), hosts are the server's name, the
    /// account is `0` for a guest and operator levels are `n/a`.
    fn write_whox(&self, server: &str, me: &str, whox: &Whox, out: &mut Vec<u8>) {
        let _ = write!(out, ":{server} 354 {me}");
        let idle = self.profile.idle_secs.unwrap_or(0);
        for field in "tcuihsnfdlao".chars().filter(|&c| whox.has(c)) {
            let _ = match field {
                't' => write!(out, " {}", whox.token.as_deref().unwrap_or("0")),
                'c' => write!(out, " {}", self.chan),
                'u' => write!(out, " {}", self.user),
                'i' => write!(out, " 255.255.255.255"),
                'h' | 's' => write!(out, " {server}"),
                'n' => write!(out, " {}", self.nick),
                'f' => write!(out, " {}", self.flags),
                'd' => write!(out, " 0"),
                'l' => write!(out, " {idle}"),
                'a' if self.profile.identity.account => write!(out, " {}", self.nick),
                'a' => write!(out, " 0"),
                _ => write!(out, " n/a"),
            };
        }
        if whox.has('r') {
            let _ = write!(out, " :{}", self.real);
        }
        out.extend_from_slice(b"\r\n");
    }
}

/// The prefixes of a member's standing: all of them with `multi-prefix`,
/// else the highest.
fn prefixes(view: &View<'_>, status: MemberStatus) -> String {
    let all = view.caps.has(Cap::MultiPrefix);
    let mut p = String::new();
    if status.operator {
        p.push('@');
    }
    if status.voice && (all || p.is_empty()) {
        p.push('+');
    }
    p
}

/// `WHOIS`: who, where, whether away or an operator, the account, idle
/// time, then the end.
pub(super) fn whois(view: &View<'_>, whois: &WhoIs<'_>, out: &mut Vec<u8>) {
    let (server, me) = (view.server, view.reg.me());
    let WhoIs {
        name,
        grant,
        presence,
        profile: Profile { identity, away, .. },
        ..
    } = whois;
    let user = identity.user_name.unwrap_or(name);
    let real = identity.real_name.unwrap_or(name);
    let _ = write!(
        out,
        ":{server} 311 {me} {name} {user} {server} * :{real}\r\n"
    );
    let lobby = MemberStatus {
        operator: grant.is_admin(),
        voice: false,
    };
    let mut rooms = vec![format!("{}{CHANNEL}", prefixes(view, lobby))];
    for (room, status) in &whois.rooms {
        rooms.push(format!("{}#{room}", prefixes(view, *status)));
    }
    let _ = write!(out, ":{server} 319 {me} {name} :{}\r\n", rooms.join(" "));
    let _ = write!(out, ":{server} 312 {me} {name} {server} :chat-irc\r\n");
    if grant.is_admin() {
        let _ = write!(out, ":{server} 313 {me} {name} :is an IRC operator\r\n");
    }
    if *presence == Presence::Busy {
        let text = away.unwrap_or("is away (busy)");
        let _ = write!(out, ":{server} 301 {me} {name} :{text}\r\n");
    }
    if identity.account {
        let _ = write!(out, ":{server} 330 {me} {name} {name} :is logged in as\r\n");
    }
    if let Some(idle) = whois.idle_secs {
        let _ = write!(
            out,
            ":{server} 317 {me} {name} {idle} {} :seconds idle, signon time\r\n",
            whois.since.as_u64() / 1000
        );
    }
    let _ = write!(out, ":{server} 318 {me} {name} :End of /WHOIS list\r\n");
}

/// The end of a listing.
pub(super) fn end(view: &View<'_>, batch: &mut Batch, listing: &Listing, out: &mut Vec<u8>) {
    let (server, me) = (view.server, view.reg.me());
    match listing {
        // The room's header is the listing's alone.
        Listing::Users | Listing::UsersPage(_) => match (view.listing, batch.channel.take()) {
            (Some(ListKind::Who { mask, .. }), _) => {
                batch.secret = false;
                let _ = write!(out, ":{server} 315 {me} {mask} :End of WHO list\r\n");
            }
            (Some(ListKind::Userhost), _) => {
                let hosts = std::mem::take(&mut batch.names);
                let _ = write!(out, ":{server} 302 {me} :{hosts}\r\n");
            }
            (Some(ListKind::RoomNames(asked)), room) => {
                let chan = room.unwrap_or_else(|| asked.clone());
                write_names(server, me, &chan, batch, out);
            }
            (kind, _) => {
                if kind == Some(&ListKind::JoinNames) {
                    let _ = write!(out, ":{server} 331 {me} {CHANNEL} :No topic is set\r\n");
                }
                write_names(server, me, CHANNEL, batch, out);
            }
        },
        Listing::RoomsPage(_) => {
            start_list(server, me, batch, out);
            batch.list_started = false;
            let _ = write!(out, ":{server} 323 {me} :End of /LIST\r\n");
        }
        Listing::Kicked | Listing::KickedPage(_) => {
            let _ = write!(
                out,
                ":{server} 368 {me} {CHANNEL} :End of channel ban list\r\n"
            );
        }
        // 305 came with the free; help is one notice.
        _ => {}
    }
}

/// A row of `LIST`: a room asked for (all of them but the lobby, which
/// everyone is in, when none was named).
pub(super) fn list_row(view: &View<'_>, batch: &mut Batch, reply: &Reply<'_>, out: &mut Vec<u8>) {
    let Reply::Room {
        name,
        members,
        topic,
        ..
    } = reply
    else {
        return;
    };
    let (server, me) = (view.server, view.reg.me());
    let chan = format!("#{name}");
    let shown = match view.listing {
        Some(ListKind::List(Some(only))) => only.contains(&chan.to_ascii_lowercase()),
        _ => *name != crate::LOBBY,
    };
    start_list(server, me, batch, out);
    if shown {
        let topic = topic.unwrap_or("");
        let _ = write!(out, ":{server} 322 {me} {chan} {members} :{topic}\r\n");
    }
}

/// 321, once before the rows of a `LIST`.
pub(super) fn start_list(server: &str, me: &str, batch: &mut Batch, out: &mut Vec<u8>) {
    if !std::mem::replace(&mut batch.list_started, true) {
        let _ = write!(out, ":{server} 321 {me} Channel :Users  Name\r\n");
    }
}

/// The last 353 line (names of at most ~400 bytes each), then 366.
fn write_names(server: &str, me: &str, chan: &str, batch: &mut Batch, out: &mut Vec<u8>) {
    if !batch.names.is_empty() {
        let symbol = batch.symbol();
        let _ = write!(
            out,
            ":{server} 353 {me} {symbol} {chan} :{}\r\n",
            batch.names
        );
        batch.names.clear();
    }
    batch.secret = false;
    let _ = write!(out, ":{server} 366 {me} {chan} :End of /NAMES list\r\n");
}
