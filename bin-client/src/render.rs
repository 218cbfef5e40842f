//! Server lines as text for people: `[15:04] alice: hello`.

use chrono::TimeZone;

use chat_client::Received;
use chat_core::reply::{Control, Done, HistoryMark, HistoryOf, Listing, Presence, Reply, WhoIs};
use chat_core::{Grant, MessageKind, Millis, Standing, LOBBY};

use crate::clock::Clock;

/// `[15:04]` (or `[3:04 PM]`) for a Unix-milliseconds timestamp, in `tz`.
pub(crate) fn stamp<Tz: TimeZone>(at: Millis, tz: &Tz, clock: Clock) -> String
where
    Tz::Offset: std::fmt::Display,
{
    format!("[{}]", clock.at(at.0, tz))
}

/// The last line of earlier lines of `target` (`rust`, `@bob`): how many,
/// and the command that shows the ones before, when there are some
/// (`/older`, the client's own, pages back by id).
pub(crate) fn history_end(target: &str, shown: u64, next: Option<HistoryMark>) -> String {
    let lines = if shown == 1 { "line" } else { "lines" };
    match next {
        Some(_) => format!(
            "{shown} earlier {lines} of {}; older ones: /older {target}",
            place_name(target),
        ),
        None if shown == 0 => format!("no earlier lines of {}", place_name(target)),
        None => format!(
            "{shown} earlier {lines}: the start of {}",
            place_name(target)
        ),
    }
}

/// `#rust`, `#lobby`, or `your conversation with bob`.
fn place_name(target: &str) -> String {
    match target.strip_prefix('@') {
        Some(user) => format!("your conversation with {user}"),
        None => format!("#{target}"),
    }
}

/// A message as its kind shows it: `alice: hi`, the notice `-alice- hi`,
/// the action `* alice waves` (live and from history alike).
fn said(from: &str, kind: MessageKind, text: &str) -> String {
    match kind {
        MessageKind::Notice => format!("-{from}- {text}"),
        MessageKind::Action => format!("* {from} {text}"),
        _ => format!("{from}: {text}"),
    }
}

fn grant_name(g: Grant) -> &'static str {
    match g {
        Grant::Admin => "admin",
        Grant::User => "user",
    }
}

/// The text to show for a line (as sent when it does not read), or
/// `None` for lines that show nothing.
pub(crate) fn render<Tz: TimeZone>(line: &Received, tz: &Tz, clock: Clock) -> Option<String>
where
    Tz::Offset: std::fmt::Display,
{
    match line.reply() {
        Ok(reply) => render_reply(&reply, tz, clock),
        Err(_) => Some(line.text().to_owned()),
    }
}

/// The text to show for a reply the session read, or `None` for what
/// shows nothing.
pub(crate) fn render_reply<Tz: TimeZone>(reply: &Reply<'_>, tz: &Tz, clock: Clock) -> Option<String>
where
    Tz::Offset: std::fmt::Display,
{
    // Tags alone (`TAGMSG`: typing, a reaction) have nothing to show.
    if reply.is_tags_only() {
        return None;
    }
    Some(match *reply {
        Reply::Hello { server } => format!("Connected to {server}."),
        Reply::Ask { prompt, .. } => prompt.to_owned(),
        Reply::Ok(done) => ok_text(done),
        Reply::Welcome { user, grant } => {
            format!(
                "Welcome, {user}! You are in the room as {}.",
                grant_name(grant)
            )
        }
        Reply::Err {
            code,
            text,
            retry: None,
        } => format!("error ({}): {text}", code.as_str()),
        Reply::Err {
            code,
            text,
            retry: Some(secs),
        } => format!("error ({}): {text} (try again in {secs} s)", code.as_str()),
        Reply::RoomMsg {
            room: LOBBY,
            at,
            from,
            kind,
            text,
            ..
        } => format!("{} {}", stamp(at, tz, clock), said(from, kind, text)),
        Reply::Pm {
            at,
            from,
            kind,
            text,
            ..
        } => format!(
            "{} (private) {}",
            stamp(at, tz, clock),
            said(from, kind, text)
        ),
        Reply::RoomJoin {
            room: LOBBY,
            at,
            user,
            ..
        } => format!("{} * {user} joined", stamp(at, tz, clock)),
        Reply::RoomLeave {
            room: LOBBY,
            at,
            user,
            reason,
            ..
        } => {
            format!(
                "{} * {user} left ({})",
                stamp(at, tz, clock),
                reason.as_str()
            )
        }
        Reply::Info(text) => format!("-- {text}"),
        Reply::User {
            name,
            grant,
            presence,
            ..
        } => {
            format!(
                "   {name:<20} {:<6} {}",
                grant_name(grant),
                presence.as_str()
            )
        }
        Reply::WhoIs(ref whois) => whois_text(whois, tz, clock),
        Reply::Kicked {
            name,
            by,
            at,
            reason,
        } => {
            let why = reason.map(|r| format!(": {r}")).unwrap_or_default();
            format!("   {name} kicked by {by} {}{why}", stamp(at, tz, clock))
        }
        Reply::End(list) => match list {
            Listing::Held { replayed, dropped } => {
                format!("-- {replayed} held lines replayed, {dropped} dropped")
            }
            // Its end names the conversation, which only the reader of the
            // lines before it knows (see `history_end`).
            Listing::History { .. } => return None,
            Listing::UsersPage(p) | Listing::KickedPage(p) | Listing::RoomsPage(p) => {
                match p.next {
                    Some(next) => format!(
                        "-- {} of {} shown; ask for page {next} for more",
                        p.shown, p.total
                    ),
                    None => return None,
                }
            }
            Listing::Other(list) => format!("-- end of {list}"),
            _ => return None,
        },
        Reply::Ctl(ctl) => match ctl {
            Control::Busy => "You are busy: room lines are held until /free.".to_owned(),
            Control::Free => "You are free: replaying held lines.".to_owned(),
            Control::Grant(g) => format!("Your grant is now {g} ({}).", grant_name(g)),
            Control::Kick { by, reason } => match reason {
                Some(r) => format!("You were kicked by {by}: {r}"),
                None => format!("You were kicked by {by}."),
            },
            Control::Disconnect => "Disconnected.".to_owned(),
            Control::Shutdown => "The server is shutting down.".to_owned(),
            Control::Restart => "The server is restarting; reconnecting...".to_owned(),
            Control::Takeover => {
                "Your account logged in from somewhere else; this session is closed.".to_owned()
            }
            Control::Removed { room, by, reason } => match reason {
                Some(r) => format!("{by} removed you from #{room}: {r}"),
                None => format!("{by} removed you from #{room}."),
            },
            Control::Invited { room, by, .. } => {
                format!("{by} invites you to #{room} (/join {room})")
            }
            Control::Other(s) => format!("-- control: {s}"),
            _ => "-- control".to_owned(),
        },
        Reply::Pong(token) => match token {
            Some(t) => format!("pong {t}"),
            None => "pong".to_owned(),
        },
        Reply::RoomMsg {
            room,
            at,
            from,
            kind,
            text,
            ..
        } => format!(
            "{} [#{room}] {}",
            stamp(at, tz, clock),
            said(from, kind, text)
        ),
        Reply::RoomJoin { room, at, user, .. } => {
            format!("{} [#{room}] * {user} joined", stamp(at, tz, clock))
        }
        Reply::RoomLeave {
            room,
            at,
            user,
            reason,
            ..
        } => format!(
            "{} [#{room}] * {user} left ({})",
            stamp(at, tz, clock),
            reason.as_str()
        ),
        Reply::Topic {
            room,
            at,
            by,
            text: Some(text),
        } => format!(
            "{} [#{room}] topic: {text} (set by {by})",
            stamp(at, tz, clock)
        ),
        Reply::Topic { room, .. } => format!("[#{room}] no topic"),
        Reply::ModeChanged {
            room,
            at,
            by,
            change,
        } => format!(
            "{} [#{room}] * {by} set modes {change}",
            stamp(at, tz, clock)
        ),
        Reply::RoomModes { room, modes } => format!("[#{room}] modes {modes}"),
        Reply::Standing {
            room,
            at,
            by,
            user,
            standing,
            on,
        } => {
            let what = match (standing, on) {
                (Standing::Operator, true) => "made an operator",
                (Standing::Operator, false) => "no longer an operator",
                (Standing::Voice, true) => "voiced",
                (Standing::Voice, false) => "no longer voiced",
            };
            format!("{} [#{room}] * {user} {what} by {by}", stamp(at, tz, clock))
        }
        Reply::Room {
            name,
            members,
            operator,
            topic,
        } => format!(
            "   #{name:<20} {members:>5} members  operator {}{}",
            operator.unwrap_or("-"),
            topic.map(|t| format!("  - {t}")).unwrap_or_default()
        ),
        // History is marked so it is not taken for live talk.
        Reply::Hist {
            of,
            at,
            from,
            kind,
            text,
            ..
        } => match of {
            HistoryOf::Room(room) => {
                format!(
                    "(history) {} [#{room}] {}",
                    stamp(at, tz, clock),
                    said(from, kind, text)
                )
            }
            HistoryOf::Private(_) => {
                format!(
                    "(history) {} (private) {}",
                    stamp(at, tz, clock),
                    said(from, kind, text)
                )
            }
        },
        // A row of `/conversations`: where, and when it last spoke.
        Reply::Conversation { of, at, .. } => match of {
            HistoryOf::Room(room) => format!("   #{room:<20} last line {}", stamp(at, tz, clock)),
            HistoryOf::Private(user) => {
                format!("   @{user:<20} last line {}", stamp(at, tz, clock))
            }
        },
        Reply::Unknown(line) => line.to_owned(),
        _ => return None,
    })
}

/// `/whois`: one line about a user.
fn whois_text<Tz: TimeZone>(w: &WhoIs<'_>, tz: &Tz, clock: Clock) -> String
where
    Tz::Offset: std::fmt::Display,
{
    let role = if w.profile.identity.account {
        grant_name(w.grant)
    } else {
        "guest"
    };
    let status = match (w.presence, w.profile.away) {
        (Presence::Free, _) => "free".to_owned(),
        (Presence::Busy, Some(away)) => format!("busy: {away}"),
        (Presence::Busy, None) => "busy".to_owned(),
    };
    let rooms: Vec<String> = w
        .rooms
        .iter()
        .map(|(room, status)| {
            if status.operator {
                format!("#{room} (operator)")
            } else {
                format!("#{room}")
            }
        })
        .collect();
    let rooms = if rooms.is_empty() {
        "in no room besides the lobby".to_owned()
    } else {
        format!("in {}", rooms.join(", "))
    };
    format!(
        "-- {}: {role}, {status}; {rooms}; logged in {}{}",
        w.name,
        stamp(w.since, tz, clock),
        w.idle_secs
            .map_or_else(String::new, |secs| format!(", idle {}", idle_text(secs)))
    )
}

/// `42s`, `3m 20s`, `2h 5m`.
fn idle_text(secs: u64) -> String {
    match secs {
        0..=59 => format!("{secs}s"),
        60..=3599 => format!("{}m {}s", secs / 60, secs % 60),
        _ => format!("{}h {}m", secs / 3600, secs % 3600 / 60),
    }
}

/// What to say at the end of a listing that had `rows` rows, when it was
/// empty (an empty listing would otherwise show nothing at all).
pub(crate) fn empty_listing(list: Listing, rows: u64) -> Option<&'static str> {
    let total = match list {
        Listing::UsersPage(p) | Listing::KickedPage(p) | Listing::RoomsPage(p) => p.total,
        Listing::History { shown, .. } => shown,
        _ => rows,
    };
    if total > 0 {
        return None;
    }
    match list {
        Listing::Users | Listing::UsersPage(_) => Some("-- nobody is online"),
        Listing::Kicked | Listing::KickedPage(_) => Some("-- nobody is on the kick list"),
        Listing::History { .. } => Some("-- no earlier lines"),
        Listing::Conversations { .. } => Some("-- no conversations in that range"),
        _ => None,
    }
}

fn ok_text(done: Done<'_>) -> String {
    match done {
        Done::Registered(u) => format!("Registered {u}."),
        Done::Login(u) => format!("Logged in as {u}."),
        Done::Sent { to, .. } => format!("(sent to {to})"),
        Done::Grant(u, g) => format!("{u} now has grant {g} ({}).", grant_name(g)),
        Done::Kicked(u) => format!("{u} was kicked."),
        Done::Unkicked(u) => format!("{u} is off the kick list."),
        Done::PasswordChanged => "Password changed.".to_owned(),
        Done::Created(r) => format!("Created #{r}; you are its operator."),
        Done::Joined(r) => format!("You joined #{r}."),
        Done::Parted(r) => format!("You left #{r}."),
        Done::TopicSet(r) => format!("Topic of #{r} set."),
        Done::Removed(r, u) => format!("{u} was removed from #{r}."),
        Done::Closed(r) => format!("#{r} is closed."),
        Done::Tags(true) => "Lines carry their ids.".to_owned(),
        Done::Tags(false) => "Lines no longer carry ids.".to_owned(),
        Done::Other(what) => format!("ok {what}"),
        _ => "ok".to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chat_core::reply::Page;

    #[test]
    fn an_empty_kick_list_says_so() {
        assert_eq!(
            empty_listing(Listing::Kicked, 0),
            Some("-- nobody is on the kick list")
        );
        assert_eq!(empty_listing(Listing::Kicked, 2), None);
        let page = |total| Page {
            shown: 0,
            total,
            next: None,
        };
        assert_eq!(
            empty_listing(Listing::KickedPage(page(0)), 0),
            Some("-- nobody is on the kick list")
        );
        assert_eq!(empty_listing(Listing::UsersPage(page(4)), 0), None);
    }
    use chrono::FixedOffset;

    fn show(line: &str) -> Option<String> {
        // TS is 14:04 UTC: 3:04 PM at +01:00.
        read(line, Clock::H12)
    }

    fn read(line: &str, clock: Clock) -> Option<String> {
        match chat_core::wire::parse_reply(line) {
            Ok(reply) => render_reply(&reply, &FixedOffset::east_opt(3600).unwrap(), clock),
            Err(_) => Some(line.to_owned()),
        }
    }

    #[test]
    fn one_time_format_24_hours_unless_told() {
        assert_eq!(
            read(&format!("MSG {TS} alice hello"), Clock::default()).unwrap(),
            "[15:04] alice: hello"
        );
        assert_eq!(
            read(&format!("KICKED bob root {TS}"), Clock::default()).unwrap(),
            "   bob kicked by root [15:04]"
        );
    }

    #[test]
    fn the_end_of_history_says_how_to_see_older_lines() {
        let mark = HistoryMark {
            id: None,
            at: Some(Millis(1_700_000_000_000)),
        };
        assert_eq!(
            history_end("rust", 50, Some(mark)),
            "50 earlier lines of #rust; older ones: /older rust"
        );
        assert_eq!(
            history_end("@bob", 3, None),
            "3 earlier lines: the start of your conversation with bob"
        );
        assert_eq!(history_end("lobby", 0, None), "no earlier lines of #lobby");
        assert_eq!(show("END history 50 17"), None);
    }

    // 2023-11-14 14:04:05 UTC
    const TS: u64 = 1_699_970_645_000;

    #[test]
    fn room_lines_have_twelve_hour_stamps_when_asked() {
        assert_eq!(
            show(&format!("MSG {TS} alice hello")).unwrap(),
            "[3:04 PM] alice: hello"
        );
        assert_eq!(
            show(&format!("PM {TS} bob psst")).unwrap(),
            "[3:04 PM] (private) bob: psst"
        );
        assert_eq!(
            show(&format!("JOIN {TS} carol")).unwrap(),
            "[3:04 PM] * carol joined"
        );
        assert_eq!(
            show(&format!("LEAVE {TS} carol kicked")).unwrap(),
            "[3:04 PM] * carol left (kicked)"
        );
        let morning = TS - 12 * 3600 * 1000;
        assert_eq!(
            show(&format!("MSG {morning} a b")).unwrap(),
            "[3:04 AM] a: b"
        );
    }

    #[test]
    fn room_lines_say_their_room_and_history_is_marked() {
        assert_eq!(
            show(&format!("RMSG rust {TS} alice hi")).unwrap(),
            "[3:04 PM] [#rust] alice: hi"
        );
        assert_eq!(
            show(&format!("HIST rust {TS} alice hi")).unwrap(),
            "(history) [3:04 PM] [#rust] alice: hi"
        );
        assert_eq!(
            show(&format!("HIST @bob {TS} alice hi")).unwrap(),
            "(history) [3:04 PM] (private) alice: hi"
        );
        assert_eq!(
            show(&format!("STANDING rust {TS} alice bob voice")).unwrap(),
            "[3:04 PM] [#rust] * bob voiced by alice"
        );
        assert_eq!(
            show(&format!("RLEAVE rust {TS} bob part")).unwrap(),
            "[3:04 PM] [#rust] * bob left (part)"
        );
        assert_eq!(
            show(&format!("TOPIC rust {TS} bob all about it")).unwrap(),
            "[3:04 PM] [#rust] topic: all about it (set by bob)"
        );
        assert_eq!(show("OK joined rust").unwrap(), "You joined #rust.");
        assert_eq!(show("END history 2"), None);
        // A notice and an action (the kind tag, with tags on), live and
        // from history alike.
        for (tags, shown) in [("kind=notice", "-alice- hi"), ("kind=action", "* alice hi")] {
            assert_eq!(
                show(&format!("@id=3;{tags} RMSG rust {TS} alice hi")).unwrap(),
                format!("[3:04 PM] [#rust] {shown}")
            );
            assert_eq!(
                show(&format!("@id=3;{tags} HIST rust {TS} alice hi")).unwrap(),
                format!("(history) [3:04 PM] [#rust] {shown}")
            );
            assert_eq!(
                show(&format!("@{tags} HIST @bob {TS} alice hi")).unwrap(),
                format!("(history) [3:04 PM] (private) {shown}")
            );
            assert_eq!(
                show(&format!("@{tags} MSG {TS} alice hi")).unwrap(),
                format!("[3:04 PM] {shown}")
            );
        }
        let history = |shown| Listing::History { shown, next: None };
        assert_eq!(empty_listing(history(0), 0), Some("-- no earlier lines"));
        assert_eq!(empty_listing(history(3), 0), None);
        assert_eq!(
            show("CTL removed rust bob spam").unwrap(),
            "bob removed you from #rust: spam"
        );
    }

    #[test]
    fn whois_is_one_line_about_the_user() {
        assert_eq!(
            show(&format!("WHOIS bob 0 busy {TS} 200 @rust,go at lunch")).unwrap(),
            "-- bob: admin, busy: at lunch; in #rust (operator), #go; logged in [3:04 PM], idle 3m 20s"
        );
        assert_eq!(
            show(&format!("WHOIS visitor 1 guest {TS} 5 -")).unwrap(),
            "-- visitor: guest, free; in no room besides the lobby; logged in [3:04 PM], idle 5s"
        );
    }

    #[test]
    fn listings_controls_and_replies() {
        assert_eq!(
            show("USER alice 0 busy").unwrap(),
            format!("   {:<20} admin  busy", "alice")
        );
        assert!(show(&format!("KICKED bob alice {TS} spam"))
            .unwrap()
            .ends_with("[3:04 PM]: spam"));
        assert_eq!(show("END users"), None);
        assert_eq!(
            show("END users 20 45 2").unwrap(),
            "-- 20 of 45 shown; ask for page 2 for more"
        );
        assert_eq!(show("END kicked 3 3"), None);
        assert_eq!(
            show("CTL takeover").unwrap(),
            "Your account logged in from somewhere else; this session is closed."
        );
        assert_eq!(
            show("END held 3 1").unwrap(),
            "-- 3 held lines replayed, 1 dropped"
        );
        assert_eq!(
            show("CTL kick root bye").unwrap(),
            "You were kicked by root: bye"
        );
        assert_eq!(show("CTL grant 0").unwrap(), "Your grant is now 0 (admin).");
        assert_eq!(
            show("OK grant bob 0").unwrap(),
            "bob now has grant 0 (admin)."
        );
        assert_eq!(show("OK password-changed").unwrap(), "Password changed.");
        assert_eq!(
            show("ERR kicked you are on the kick list").unwrap(),
            "error (kicked): you are on the kick list"
        );
        assert_eq!(
            show("WELCOME al 1").unwrap(),
            "Welcome, al! You are in the room as user."
        );
        assert_eq!(show("PONG x").unwrap(), "pong x");
        assert_eq!(show("INFO hi").unwrap(), "-- hi");
        assert_eq!(show("FUTURE thing").unwrap(), "FUTURE thing");
        assert_eq!(show("MSG x y").unwrap(), "MSG x y");
        assert_eq!(
            show("LEAVE 0 a banned").unwrap(),
            format!(
                "{} * a left (banned)",
                stamp(Millis(0), &FixedOffset::east_opt(3600).unwrap(), Clock::H12)
            )
        );
    }
}
