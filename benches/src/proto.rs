//! The two protocols chat-load speaks: chat/1 (ours, through chat-core's
//! typed codec: [`parse_reply`] to read, [`encode_command`] to write) and
//! just enough IRC for our IRC listener and a reference server, with the
//! same room lines for both.

use chat_core::reply::Reply;
use chat_core::wire::{encode_command, parse_reply, EncodeError};
use chat_core::Command;
use chat_core::LOBBY;

/// Which protocol to speak.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Proto {
    /// chat/1: `/register`, room lines, `MSG <ts> <from> <text>` (echoed to
    /// the sender too).
    Chat,
    /// IRC: NICK/USER/JOIN, `PRIVMSG #lobby`; no echo to the sender.
    /// Accounts for servers that have them (ours): a new one with
    /// `PRIVMSG NickServ :REGISTER`, an existing one with `PASS
    /// name:password`; a server without accounts (ngircd) ignores both.
    Irc,
}

/// The IRC channel everyone joins: our server's one room, any channel on
/// a reference server.
pub const CHANNEL: &str = "#lobby";

/// What a server line means to the load generator.
#[derive(Debug, PartialEq, Eq)]
pub enum Seen<'a> {
    /// Logged in and in the room.
    Ready,
    /// Logged in, not yet in a channel (IRC's 001).
    Registered,
    /// A room message; the payload text.
    Message(&'a [u8]),
    /// An error from the server.
    Error,
    /// The server asks for a `PONG` with this token (IRC).
    Ping(&'a [u8]),
    /// Anything else.
    Other,
}

impl Proto {
    /// The lines that log client `name` in (registering the account first
    /// with `register`, for chat/1). With `join` false an IRC client stays
    /// out of the channel (idle runs: a 10,000-member channel would measure
    /// NAMES replies, not connections).
    pub fn login(
        self,
        name: &str,
        password: &str,
        register: bool,
        join: bool,
        out: &mut Vec<u8>,
    ) -> Result<(), EncodeError> {
        match self {
            Proto::Chat => {
                let cmd = if register {
                    Command::Register { name, password }
                } else {
                    Command::Login { name, password }
                };
                encode_command(&cmd, out)?;
            }
            Proto::Irc => {
                if !register {
                    out.extend_from_slice(format!("PASS {name}:{password}\r\n").as_bytes());
                }
                out.extend_from_slice(
                    format!("NICK {name}\r\nUSER {name} 0 * :{name}\r\n").as_bytes(),
                );
                if register {
                    out.extend_from_slice(
                        format!("PRIVMSG NickServ :REGISTER {password}\r\n").as_bytes(),
                    );
                }
                if join {
                    out.extend_from_slice(format!("JOIN {CHANNEL}\r\n").as_bytes());
                }
            }
        }
        Ok(())
    }

    /// Appends one room message line with `text` (the payload: ASCII, no
    /// line breaks) to `out`.
    pub fn message(self, text: &[u8], out: &mut Vec<u8>) -> Result<(), EncodeError> {
        match self {
            Proto::Chat => {
                let text =
                    std::str::from_utf8(text).map_err(|_| EncodeError::LineBreak("message"))?;
                encode_command(&Command::Say(text), out)?;
            }
            Proto::Irc => {
                out.extend_from_slice(b"PRIVMSG #lobby :");
                out.extend_from_slice(text);
                out.extend_from_slice(b"\r\n");
            }
        }
        Ok(())
    }

    /// Classifies one server line (without its ending).
    pub fn classify(self, line: &[u8]) -> Seen<'_> {
        match self {
            Proto::Chat => {
                // The lobby's lines come by the million: `MSG <ts> <from>
                // <text>` read by hand, as the IRC side below reads
                // PRIVMSG (the typed parse cost more than the rest of the
                // generator's work per line); every other line through
                // the codec.
                if let Some(text) = lobby_text(line) {
                    return Seen::Message(text);
                }
                let Ok(line) = std::str::from_utf8(line) else {
                    return Seen::Other;
                };
                match parse_reply(line) {
                    Ok(Reply::RoomMsg {
                        room: LOBBY, text, ..
                    }) => Seen::Message(text.as_bytes()),
                    Ok(Reply::Welcome { .. }) => Seen::Ready,
                    Ok(Reply::Err { .. }) => Seen::Error,
                    _ => Seen::Other,
                }
            }
            Proto::Irc => {
                if let Some(token) = line.strip_prefix(b"PING ") {
                    return Seen::Ping(token);
                }
                // :nick!user@host PRIVMSG #lobby :text
                let mut parts = line.splitn(4, |&b| b == b' ');
                let (_, cmd, _, text) = (parts.next(), parts.next(), parts.next(), parts.next());
                match cmd {
                    Some(b"PRIVMSG") => text
                        .and_then(|t| t.strip_prefix(b":"))
                        .map_or(Seen::Other, Seen::Message),
                    // End of the NAMES list: the JOIN is complete.
                    Some(b"366") => Seen::Ready,
                    Some(b"001") => Seen::Registered,
                    // "No MOTD" is a greeting, not an error.
                    Some(b"422") => Seen::Other,
                    // A server without NickServ (ngircd) says so: not a
                    // failure of the run.
                    Some(b"401") if text.is_some_and(|t| t.starts_with(b"NickServ ")) => {
                        Seen::Other
                    }
                    Some(c) if c.len() == 3 && (c[0] == b'4' || c[0] == b'5') => Seen::Error,
                    Some(b"ERROR") => Seen::Error,
                    _ if line.starts_with(b"ERROR") => Seen::Error,
                    _ => Seen::Other,
                }
            }
        }
    }
}

/// The text of a chat/1 lobby line, `MSG <ts> <from> <text>`, where the
/// time is digits and the name a word.
fn lobby_text(line: &[u8]) -> Option<&[u8]> {
    let rest = line.strip_prefix(b"MSG ")?;
    let ts_end = memchr::memchr(b' ', rest)?;
    if ts_end == 0 || !rest[..ts_end].iter().all(u8::is_ascii_digit) {
        return None;
    }
    let rest = &rest[ts_end + 1..];
    let from_end = memchr::memchr(b' ', rest)?;
    (from_end > 0).then(|| &rest[from_end + 1..])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chat_lines() {
        let p = Proto::Chat;
        assert_eq!(p.classify(b"WELCOME ld1 1"), Seen::Ready);
        assert_eq!(p.classify(b"MSG 17 ld1 L 1 2 3"), Seen::Message(b"L 1 2 3"));
        assert_eq!(p.classify(b"ERR rate-limited x"), Seen::Error);
        assert_eq!(p.classify(b"JOIN 1 ld2"), Seen::Other);
        let mut out = Vec::new();
        p.login("ld1", "pw", true, true, &mut out).unwrap();
        assert_eq!(out, b"/register ld1 pw\n");
        out.clear();
        p.login("ld1", "pw", false, true, &mut out).unwrap();
        assert_eq!(out, b"/login ld1 pw\n");
        assert!(p.login("a b", "pw", false, true, &mut out).is_err());
        out.clear();
        p.message(b"L 1 2 3", &mut out).unwrap();
        assert_eq!(out, b"L 1 2 3\n");
        assert_eq!(p.classify(b"MSG x ld1 L"), Seen::Other);
        // The lines read by hand mean what the codec says they mean; the
        // odd ones are left to the codec.
        for line in [
            "MSG 17 ld1 L 1 2 3",
            "MSG 9 a b  c",
            "MSG 1 x y",
            "MSG 17 ld1 ",
        ] {
            let Ok(Reply::RoomMsg { text, .. }) = parse_reply(line) else {
                panic!("{line}: not a room line to the codec");
            };
            assert_eq!(lobby_text(line.as_bytes()), Some(text.as_bytes()));
        }
        for line in ["MSG 17  L", "MSG 17 ld1", "MSG x ld1 L", "MSG  ld1 L"] {
            assert_eq!(lobby_text(line.as_bytes()), None, "{line}");
        }
    }

    #[test]
    fn irc_lines() {
        let p = Proto::Irc;
        assert_eq!(
            p.classify(b":srv 366 ld1 #lobby :End of NAMES list"),
            Seen::Ready
        );
        assert_eq!(
            p.classify(b":ld2!~ld2@localhost PRIVMSG #lobby :L 1 2 3"),
            Seen::Message(b"L 1 2 3")
        );
        assert_eq!(p.classify(b"PING :srv"), Seen::Ping(b":srv"));
        assert_eq!(
            p.classify(b":srv 433 * ld1 :Nickname already in use"),
            Seen::Error
        );
        assert_eq!(p.classify(b"ERROR :Closing connection"), Seen::Error);
        assert_eq!(p.classify(b":srv 001 ld1 :Welcome"), Seen::Registered);
        assert_eq!(
            p.classify(b":srv 401 ld1 NickServ :No such nick or channel name"),
            Seen::Other
        );
        assert_eq!(p.classify(b":srv 401 ld1 bob :No such nick"), Seen::Error);
        assert_eq!(
            p.classify(b":srv 422 ld1 :MOTD File is missing"),
            Seen::Other
        );
        let mut out = Vec::new();
        p.login("n", "pw", true, false, &mut out).unwrap();
        assert_eq!(
            out,
            b"NICK n\r\nUSER n 0 * :n\r\nPRIVMSG NickServ :REGISTER pw\r\n"
        );
        out.clear();
        p.login("n", "pw", false, true, &mut out).unwrap();
        assert_eq!(
            out,
            b"PASS n:pw\r\nNICK n\r\nUSER n 0 * :n\r\nJOIN #lobby\r\n"
        );
        out.clear();
        p.message(b"L 1", &mut out).unwrap();
        assert_eq!(out, b"PRIVMSG #lobby :L 1\r\n");
    }
}
