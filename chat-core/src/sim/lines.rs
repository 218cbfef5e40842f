//! The one place the simulation reads chat/1 server lines, so a typed
//! parser of server lines can replace it later.

/// A server line, as much as the simulation's checks need.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ServerLine {
    /// `WELCOME <user> <grant>`.
    Welcome {
        /// The account.
        user: String,
    },
    /// `OK <what> [args]`.
    Ok {
        /// `registered`, `login`, `password-changed`, ...
        what: String,
        /// The first argument, if any.
        arg: Option<String>,
    },
    /// `ERR <code> <text>`.
    Err {
        /// The error code.
        code: String,
    },
    /// `MSG <ts> <from> <text>`: the whole line is kept to compare streams.
    Msg {
        /// The whole line.
        line: String,
    },
    /// `CTL <what> ...`.
    Ctl {
        /// `busy`, `free`, `kick`, `restart`, ...
        what: String,
    },
    /// `END held <replayed> <dropped>`.
    EndHeld {
        /// Lines replayed.
        replayed: u64,
        /// Lines dropped.
        dropped: u64,
    },
    /// `ASK <step> ...`.
    Ask {
        /// The step word (`account`, `username`, ...).
        step: String,
    },
    /// `PONG [token]`.
    Pong {
        /// The token, if any.
        token: Option<String>,
    },
    /// Any other line (`HELLO`, `JOIN`, `LEAVE`, `PM`, `INFO`, `USER`, ...).
    Other,
    /// Not a line of protocol v1.
    Unknown(String),
}

const TAGS: &[&str] = &[
    "HELLO", "ASK", "OK", "WELCOME", "ERR", "MSG", "PM", "JOIN", "LEAVE", "INFO", "USER", "KICKED",
    "END", "CTL", "PONG",
];

/// Reads one line (without its `\n`).
pub fn parse(line: &str) -> ServerLine {
    let mut words = line.splitn(3, ' ');
    let tag = words.next().unwrap_or("");
    let a = words.next();
    let b = words.next();
    match tag {
        "WELCOME" => ServerLine::Welcome {
            user: a.unwrap_or("").to_owned(),
        },
        "OK" => ServerLine::Ok {
            what: a.unwrap_or("").to_owned(),
            arg: b.map(|s| s.split(' ').next().unwrap_or("").to_owned()),
        },
        "ERR" => ServerLine::Err {
            code: a.unwrap_or("").to_owned(),
        },
        "MSG" => ServerLine::Msg {
            line: line.to_owned(),
        },
        "CTL" => ServerLine::Ctl {
            what: a.unwrap_or("").to_owned(),
        },
        "END" if a == Some("held") => {
            let mut n = b.unwrap_or("").split(' ').map(|x| x.parse().ok());
            match (n.next().flatten(), n.next().flatten()) {
                (Some(replayed), Some(dropped)) => ServerLine::EndHeld { replayed, dropped },
                _ => ServerLine::Unknown(line.to_owned()),
            }
        }
        "ASK" => ServerLine::Ask {
            step: a.unwrap_or("").to_owned(),
        },
        "PONG" => ServerLine::Pong {
            token: a.map(|t| match b {
                Some(rest) => format!("{t} {rest}"),
                None => t.to_owned(),
            }),
        },
        t if TAGS.contains(&t) => ServerLine::Other,
        _ => ServerLine::Unknown(line.to_owned()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_lines_the_checks_need() {
        assert_eq!(
            parse("WELCOME alice 1"),
            ServerLine::Welcome {
                user: "alice".into()
            }
        );
        assert_eq!(
            parse("OK registered bob"),
            ServerLine::Ok {
                what: "registered".into(),
                arg: Some("bob".into())
            }
        );
        assert_eq!(
            parse("OK password-changed"),
            ServerLine::Ok {
                what: "password-changed".into(),
                arg: None
            }
        );
        assert_eq!(
            parse("ERR kicked no"),
            ServerLine::Err {
                code: "kicked".into()
            }
        );
        assert_eq!(
            parse("END held 2 1"),
            ServerLine::EndHeld {
                replayed: 2,
                dropped: 1
            }
        );
        assert_eq!(parse("JOIN 5 a"), ServerLine::Other);
        assert!(matches!(parse("BOGUS x"), ServerLine::Unknown(_)));
    }
}
