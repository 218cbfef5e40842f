//! A bot that logs in over TCP and answers `!time` in the room.
//!
//! Start a server (`cargo run -p bin-server --bin chat-server`), then:
//! `cargo run -p examples --example time-bot -- [ADDR] [NAME]`
//! and type `!time` in the room from a `chat-client`. The password comes
//! from `BOT_PASSWORD` (default `time-bot-password`); the bot registers on
//! first use and logs in afterwards, and again (with the current password)
//! after the server restarts.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use chat_client::{Client, ClientError, Event};
use chat_core::reply::Reply;
use chat_core::ErrorCode;
use chat_core::LOBBY;

/// How long to keep trying to reconnect after the server restarts.
const RESTART_PATIENCE: Duration = Duration::from_secs(30);

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let addr = args
        .next()
        .unwrap_or_else(|| "127.0.0.1:9797".into())
        .parse()?;
    let name = args.next().unwrap_or_else(|| "timebot".into());
    let password = std::env::var("BOT_PASSWORD").unwrap_or_else(|_| "time-bot-password".into());
    let mut bot = match Client::login(addr, &name, &password) {
        Err(e @ ClientError::Refused { .. }) if e.code() == Some(ErrorCode::BadCredentials) => {
            Client::register(addr, &name, &password)?
        }
        other => other?,
    };
    bot.set_timeout(Duration::from_secs(24 * 3600))?;
    println!("{name} is in the room on {addr}");
    loop {
        match bot.next_event()? {
            Some(Event::Line(line)) => {
                if let Some(reply) = line.reply().ok().and_then(|l| answer(&l, &name)) {
                    bot.send(&reply)?;
                }
            }
            Some(Event::Restarting) => println!("the server restarts; back soon"),
            Some(Event::Ended(why)) => {
                println!("the server ended the session ({why:?}); bye");
                return Ok(());
            }
            Some(_) => {}
            // After a restart the session logs in again by itself.
            None if bot.session().wants_reconnect() => bot.reconnect(RESTART_PATIENCE)?,
            None => return Ok(()),
        }
    }
}

/// The bot's whole brain: `MSG <ts> <from> !time` gets the time of day.
fn answer(line: &Reply<'_>, me: &str) -> Option<String> {
    let Reply::RoomMsg {
        room: LOBBY,
        from,
        text,
        ..
    } = *line
    else {
        return None;
    };
    if from == me || text.trim() != "!time" {
        return None;
    }
    let secs = SystemTime::now().duration_since(UNIX_EPOCH).ok()?.as_secs();
    let (h, m, s) = ((secs / 3600) % 24, (secs / 60) % 60, secs % 60);
    Some(format!("{from}: it is {h:02}:{m:02}:{s:02} UTC"))
}

#[cfg(test)]
mod tests {
    use super::answer;
    use chat_core::wire::parse_reply;

    fn reply(line: &str) -> Option<String> {
        answer(&parse_reply(line).unwrap(), "timebot")
    }

    #[test]
    fn answers_only_time_requests_from_others() {
        assert!(reply("MSG 1 alice !time")
            .unwrap()
            .starts_with("alice: it is "));
        assert_eq!(reply("MSG 1 timebot !time"), None);
        assert_eq!(reply("MSG 1 alice hello"), None);
        assert_eq!(reply("PM 1 alice !time"), None);
    }
}
