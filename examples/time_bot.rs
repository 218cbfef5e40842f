//! A bot that logs in over TCP and answers `!time` in the room.
//!
//! Start a server (`cargo run -p bin-server --bin chat-server`), then:
//! `cargo run -p examples --example time-bot -- [ADDR] [NAME]`
//! and type `!time` in the room from a `chat-client`. The password comes
//! from `BOT_PASSWORD` (default `time-bot-password`); the bot registers on
//! first use and logs in afterwards.

use std::time::{SystemTime, UNIX_EPOCH};

use chat_client::{Client, ClientError};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let addr = args
        .next()
        .unwrap_or_else(|| "127.0.0.1:9797".into())
        .parse()?;
    let name = args.next().unwrap_or_else(|| "timebot".into());
    let password = std::env::var("BOT_PASSWORD").unwrap_or_else(|_| "time-bot-password".into());
    let mut bot = match Client::login(addr, &name, &password) {
        Err(ClientError::Refused { code, .. }) if code == "bad-credentials" => {
            Client::register(addr, &name, &password)?
        }
        other => other?,
    };
    bot.set_timeout(std::time::Duration::from_secs(24 * 3600))?;
    println!("{name} is in the room on {addr}");
    while let Some(line) = bot.next_line()? {
        if let Some(reply) = answer(&line, &name) {
            bot.send(&reply)?;
        }
        if line.starts_with("CTL ")
            && !line.starts_with("CTL busy")
            && !line.starts_with("CTL free")
        {
            println!("server says {line}; bye");
            break;
        }
    }
    Ok(())
}

/// The bot's whole brain: `MSG <ts> <from> !time` gets the time of day.
fn answer(line: &str, me: &str) -> Option<String> {
    let mut fields = line.splitn(4, ' ');
    let (tag, _ts, from, text) = (
        fields.next()?,
        fields.next()?,
        fields.next()?,
        fields.next()?,
    );
    if tag != "MSG" || from == me || text.trim() != "!time" {
        return None;
    }
    let secs = SystemTime::now().duration_since(UNIX_EPOCH).ok()?.as_secs();
    let (h, m, s) = ((secs / 3600) % 24, (secs / 60) % 60, secs % 60);
    Some(format!("{from}: it is {h:02}:{m:02}:{s:02} UTC"))
}

#[cfg(test)]
mod tests {
    use super::answer;

    #[test]
    fn answers_only_time_requests_from_others() {
        assert!(answer("MSG 1 alice !time", "timebot")
            .unwrap()
            .starts_with("alice: it is "));
        assert_eq!(answer("MSG 1 timebot !time", "timebot"), None);
        assert_eq!(answer("MSG 1 alice hello", "timebot"), None);
        assert_eq!(answer("PM 1 alice !time", "timebot"), None);
    }
}
