//! The two protocols chat-load speaks: chat/1 (ours) and just enough IRC
//! for a reference server.

/// Which protocol to speak.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Proto {
    /// chat/1: `/register`, room lines, `MSG <ts> <from> <text>` (echoed to
    /// the sender too).
    Chat,
    /// IRC: NICK/USER/JOIN, `PRIVMSG #bench`; no echo to the sender.
    Irc,
}

/// The IRC channel everyone joins.
pub const CHANNEL: &str = "#bench";

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
    pub fn login(self, name: &str, password: &str, register: bool, join: bool, out: &mut Vec<u8>) {
        match self {
            Proto::Chat => {
                let form = if register { "/register" } else { "/login" };
                out.extend_from_slice(format!("{form} {name} {password}\n").as_bytes())
            }
            Proto::Irc => {
                out.extend_from_slice(
                    format!("NICK {name}\r\nUSER {name} 0 * :{name}\r\n").as_bytes(),
                );
                if join {
                    out.extend_from_slice(format!("JOIN {CHANNEL}\r\n").as_bytes());
                }
            }
        }
    }

    /// The start of a room message line (the payload follows, then the
    /// line ending from [`Proto::end`]).
    pub fn message_prefix(self) -> &'static [u8] {
        match self {
            Proto::Chat => b"",
            Proto::Irc => b"PRIVMSG #bench :",
        }
    }

    /// The line ending.
    pub fn end(self) -> &'static [u8] {
        match self {
            Proto::Chat => b"\n",
            Proto::Irc => b"\r\n",
        }
    }

    /// Classifies one server line (without its ending).
    pub fn classify(self, line: &[u8]) -> Seen<'_> {
        match self {
            Proto::Chat => {
                if let Some(rest) = line.strip_prefix(b"MSG ") {
                    // MSG <ts> <from> <text>
                    let mut parts = rest.splitn(3, |&b| b == b' ');
                    let (_, _, text) = (parts.next(), parts.next(), parts.next());
                    return text.map_or(Seen::Other, Seen::Message);
                }
                if line.starts_with(b"WELCOME ") {
                    Seen::Ready
                } else if line.starts_with(b"ERR ") {
                    Seen::Error
                } else {
                    Seen::Other
                }
            }
            Proto::Irc => {
                if let Some(token) = line.strip_prefix(b"PING ") {
                    return Seen::Ping(token);
                }
                // :nick!user@host PRIVMSG #bench :text
                let mut parts = line.splitn(4, |&b| b == b' ');
                let (_, cmd, _, text) = (parts.next(), parts.next(), parts.next(), parts.next());
                match cmd {
                    Some(b"PRIVMSG") => text
                        .and_then(|t| t.strip_prefix(b":"))
                        .map_or(Seen::Other, Seen::Message),
                    // End of the NAMES list: the JOIN is complete.
                    Some(b"366") => Seen::Ready,
                    Some(b"001") => Seen::Registered,
                    Some(c) if c.len() == 3 && (c[0] == b'4' || c[0] == b'5') => Seen::Error,
                    Some(b"ERROR") => Seen::Error,
                    _ if line.starts_with(b"ERROR") => Seen::Error,
                    _ => Seen::Other,
                }
            }
        }
    }
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
        p.login("ld1", "pw", true, true, &mut out);
        assert_eq!(out, b"/register ld1 pw\n");
        out.clear();
        p.login("ld1", "pw", false, true, &mut out);
        assert_eq!(out, b"/login ld1 pw\n");
    }

    #[test]
    fn irc_lines() {
        let p = Proto::Irc;
        assert_eq!(
            p.classify(b":srv 366 ld1 #bench :End of NAMES list"),
            Seen::Ready
        );
        assert_eq!(
            p.classify(b":ld2!~ld2@localhost PRIVMSG #bench :L 1 2 3"),
            Seen::Message(b"L 1 2 3")
        );
        assert_eq!(p.classify(b"PING :srv"), Seen::Ping(b":srv"));
        assert_eq!(
            p.classify(b":srv 433 * ld1 :Nickname already in use"),
            Seen::Error
        );
        assert_eq!(p.classify(b"ERROR :Closing connection"), Seen::Error);
        assert_eq!(p.classify(b":srv 001 ld1 :Welcome"), Seen::Registered);
        let mut out = Vec::new();
        p.login("n", "pw", true, false, &mut out);
        assert_eq!(out, b"NICK n\r\nUSER n 0 * :n\r\n");
    }
}
