//! Is this a chat/1 server? The first thing a server sends says so: its
//! first line must be `HELLO chat/1 <name>`. A TLS port, an IRC port or
//! some other service answers otherwise (or not at all), and each case
//! ends in one line that says what is wrong and what to try.

use std::time::{Duration, Instant};

/// How long a server may take to say `HELLO`.
pub(crate) const PATIENCE: Duration = Duration::from_secs(5);

/// Watches one connection until its greeting.
#[derive(Debug)]
pub(crate) struct Greeting {
    addr: String,
    tls: bool,
    since: Instant,
    greeted: bool,
    bytes: bool,
}

impl Greeting {
    /// A connection to `addr` just opened (over TLS or not).
    pub(crate) fn new(addr: &str, tls: bool) -> Greeting {
        Greeting {
            addr: addr.to_owned(),
            tls,
            since: Instant::now(),
            greeted: false,
            bytes: false,
        }
    }

    /// Whether the server said `HELLO chat/1`.
    pub(crate) fn greeted(&self) -> bool {
        self.greeted
    }

    /// The first bytes: a TLS record on a plain connection means a TLS
    /// port.
    pub(crate) fn on_bytes(&mut self, bytes: &[u8]) -> Result<(), String> {
        let first = !self.bytes;
        self.bytes = true;
        // A TLS record: handshake (22) or alert (21), version 3.x.
        if first && !self.tls && matches!(bytes, [21 | 22, 3, ..]) {
            return Err(format!(
                "{} speaks TLS: connect with --tls (and --ca-file FILE if its certificate \
                 is self-signed, e.g. --ca-file chat-data/tls-cert.pem)",
                self.addr
            ));
        }
        Ok(())
    }

    /// A line from the server: the first must be the chat/1 greeting.
    pub(crate) fn on_line(&mut self, line: &str) -> Result<(), String> {
        if self.greeted {
            return Ok(());
        }
        let mut words = line.split(' ');
        match (words.next(), words.next()) {
            (Some("HELLO"), Some("chat/1")) => {
                self.greeted = true;
                Ok(())
            }
            (Some("HELLO"), Some(other)) => Err(format!(
                "{} speaks {other}, and this client chat/1: use a client for {other}",
                self.addr
            )),
            _ if looks_like_irc(line) => Err(format!(
                "{} is an IRC server, not chat/1: use an IRC client there, or this client \
                 on the chat/1 port (9797 unless the server was told otherwise)",
                self.addr
            )),
            _ => Err(format!(
                "{} does not speak chat/1 (its first line was {:?}): is it the chat \
                 server's port? (9797 unless the server was told otherwise)",
                self.addr,
                shorten(line)
            )),
        }
    }

    /// The connection closed: before the greeting, that says something.
    pub(crate) fn on_close(&self) -> Result<(), String> {
        if self.greeted {
            return Ok(());
        }
        Err(if self.tls {
            format!("{} closed the connection without a word", self.addr)
        } else {
            format!(
                "{} closed the connection without a greeting: if it is a TLS port, \
                 connect with --tls",
                self.addr
            )
        })
    }

    /// Time passes: no greeting after [`PATIENCE`] is a wrong port.
    pub(crate) fn on_tick(&self, now: Instant) -> Result<(), String> {
        if self.greeted || now.duration_since(self.since) < PATIENCE {
            return Ok(());
        }
        Err(format!(
            "{} said nothing in {} s: if it is a TLS port, connect with --tls; if it is \
             an IRC port, use an IRC client",
            self.addr,
            PATIENCE.as_secs()
        ))
    }
}

/// An IRC server's first words: a prefix, a numeric or a command of its
/// own before registration.
fn looks_like_irc(line: &str) -> bool {
    line.starts_with(':')
        || ["NOTICE ", "ERROR ", "PING ", "CAP "]
            .iter()
            .any(|c| line.starts_with(c))
}

fn shorten(line: &str) -> String {
    let mut s: String = line.chars().take(60).collect();
    if s.len() < line.len() {
        s.push('…');
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_chat1_greeting_passes_anything_else_says_why() {
        let mut g = Greeting::new("h:1", false);
        assert!(g.on_bytes(b"HELLO chat/1 x\n").is_ok());
        assert!(g.on_line("HELLO chat/1 lab").is_ok());
        assert!(g.greeted());
        assert!(g.on_line("anything").is_ok());
        assert!(g.on_close().is_ok());

        let e = Greeting::new("h:1", false)
            .on_bytes(&[21, 3, 3, 0, 2])
            .unwrap_err();
        assert!(e.contains("speaks TLS") && e.contains("--tls"), "{e}");
        assert!(Greeting::new("h:1", true).on_bytes(&[21, 3, 3]).is_ok());

        let e = Greeting::new("h:1", false)
            .on_line(":chat 451 * :You have not registered")
            .unwrap_err();
        assert!(e.contains("IRC server") && e.contains("9797"), "{e}");
        let e = Greeting::new("h:1", false)
            .on_line("HELLO chat/2 x")
            .unwrap_err();
        assert!(e.contains("chat/2"), "{e}");
        let e = Greeting::new("h:1", false)
            .on_line("SSH-2.0-OpenSSH")
            .unwrap_err();
        assert!(e.contains("does not speak chat/1"), "{e}");

        let e = Greeting::new("h:1", false).on_close().unwrap_err();
        assert!(e.contains("--tls"), "{e}");
        let g = Greeting::new("h:1", false);
        assert!(g.on_tick(Instant::now()).is_ok());
        let e = g.on_tick(Instant::now() + PATIENCE).unwrap_err();
        assert!(e.contains("said nothing"), "{e}");
    }
}
