//! Server lines as text for people: `[03:04 PM] alice: hello`.

use chrono::{DateTime, TimeZone};

use crate::protocol::{Ctl, ServerLine};

/// `[03:04 PM]` for a Unix-milliseconds timestamp, in `tz`.
pub(crate) fn stamp<Tz: TimeZone>(ts: i64, tz: &Tz) -> String
where
    Tz::Offset: std::fmt::Display,
{
    match DateTime::from_timestamp_millis(ts) {
        Some(t) => t.with_timezone(tz).format("[%I:%M %p]").to_string(),
        None => "[--:-- --]".to_owned(),
    }
}

fn grant_name(g: &str) -> &str {
    match g {
        "0" => "admin",
        "1" => "user",
        other => other,
    }
}

/// The text to show for a line, or `None` for lines that show nothing.
pub(crate) fn render<Tz: TimeZone>(line: &ServerLine, tz: &Tz) -> Option<String>
where
    Tz::Offset: std::fmt::Display,
{
    Some(match line {
        ServerLine::Hello { server } => format!("Connected to {server}."),
        ServerLine::Ask { prompt, .. } => prompt.clone(),
        ServerLine::Ok { what } => ok_text(what),
        ServerLine::Welcome { user, grant } => {
            format!(
                "Welcome, {user}! You are in the room as {}.",
                grant_name(grant)
            )
        }
        ServerLine::Err { code, text } => format!("error ({code}): {text}"),
        ServerLine::Msg { ts, from, text } => format!("{} {from}: {text}", stamp(*ts, tz)),
        ServerLine::Pm { ts, from, text } => format!("{} (private) {from}: {text}", stamp(*ts, tz)),
        ServerLine::Join { ts, user } => format!("{} * {user} joined", stamp(*ts, tz)),
        ServerLine::Leave { ts, user, reason } => {
            format!("{} * {user} left ({reason})", stamp(*ts, tz))
        }
        ServerLine::Info { text } => format!("-- {text}"),
        ServerLine::User {
            name,
            grant,
            presence,
        } => {
            format!("   {name:<20} {:<6} {presence}", grant_name(grant))
        }
        ServerLine::Kicked {
            name,
            by,
            ts,
            reason,
        } => {
            let why = reason
                .as_deref()
                .map(|r| format!(": {r}"))
                .unwrap_or_default();
            format!("   {name} kicked by {by} {}{why}", stamp(*ts, tz))
        }
        ServerLine::End { list, counts } => match (list.as_str(), counts.as_slice()) {
            ("held", [replayed, dropped]) => {
                format!("-- {replayed} held lines replayed, {dropped} dropped")
            }
            ("users" | "kicked" | "help", _) => return None,
            _ => format!("-- end of {list}"),
        },
        ServerLine::Ctl(ctl) => match ctl {
            Ctl::Busy => "You are busy: room lines are held until /free.".to_owned(),
            Ctl::Free => "You are free: replaying held lines.".to_owned(),
            Ctl::Grant(g) => format!("Your grant is now {g} ({}).", grant_name(g)),
            Ctl::Kick { by, reason } => match reason {
                Some(r) => format!("You were kicked by {by}: {r}"),
                None => format!("You were kicked by {by}."),
            },
            Ctl::Disconnect => "Disconnected.".to_owned(),
            Ctl::Shutdown => "The server is shutting down.".to_owned(),
            Ctl::Restart => "The server is restarting; reconnecting...".to_owned(),
            Ctl::Other(s) => format!("-- control: {s}"),
        },
        ServerLine::Pong { token } => match token {
            Some(t) => format!("pong {t}"),
            None => "pong".to_owned(),
        },
        ServerLine::Other(s) => s.clone(),
    })
}

fn ok_text(what: &str) -> String {
    let words: Vec<&str> = what.split(' ').collect();
    match words.as_slice() {
        ["registered", u] => format!("Registered {u}."),
        ["login", u] => format!("Logged in as {u}."),
        ["sent", u] => format!("(sent to {u})"),
        ["grant", u, g] => format!("{u} now has grant {g} ({}).", grant_name(g)),
        ["kicked", u] => format!("{u} was kicked."),
        ["unkicked", u] => format!("{u} is off the kick list."),
        ["password-changed"] => "Password changed.".to_owned(),
        _ => format!("ok {what}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::parse;
    use chrono::FixedOffset;

    fn show(line: &str) -> Option<String> {
        // TS is 14:04 UTC: 03:04 PM at +01:00.
        render(&parse(line), &FixedOffset::east_opt(3600).unwrap())
    }

    // 2023-11-14 14:04:05 UTC
    const TS: i64 = 1_699_970_645_000;

    #[test]
    fn room_lines_have_twelve_hour_stamps() {
        assert_eq!(
            show(&format!("MSG {TS} alice hello")).unwrap(),
            "[03:04 PM] alice: hello"
        );
        assert_eq!(
            show(&format!("PM {TS} bob psst")).unwrap(),
            "[03:04 PM] (private) bob: psst"
        );
        assert_eq!(
            show(&format!("JOIN {TS} carol")).unwrap(),
            "[03:04 PM] * carol joined"
        );
        assert_eq!(
            show(&format!("LEAVE {TS} carol kicked")).unwrap(),
            "[03:04 PM] * carol left (kicked)"
        );
        let morning = TS - 12 * 3600 * 1000;
        assert_eq!(
            show(&format!("MSG {morning} a b")).unwrap(),
            "[03:04 AM] a: b"
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
            .ends_with("[03:04 PM]: spam"));
        assert_eq!(show("END users"), None);
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
    }
}
