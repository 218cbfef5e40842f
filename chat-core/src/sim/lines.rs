//! The one place the simulation reads chat/1 server lines: through the
//! protocol's typed parser, reduced to what the checks need.

use crate::reply::{Control, HistoryOf, Listing, Reply};
use crate::wire;
use crate::LOBBY;

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
    /// `MSG <ts> <from> <text>`: the whole line (without its tags) is
    /// kept to compare streams.
    Msg {
        /// The whole line, without tags.
        line: String,
        /// Its id, if the client turned tags on.
        id: Option<u64>,
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
    /// `RMSG <room> ...`: a line in a room other than the lobby.
    RoomMsg {
        /// The room, folded.
        room: String,
        /// Its id, if the client turned tags on.
        id: Option<u64>,
    },
    /// `HIST <room> ...` of a room (not of private messages).
    Hist {
        /// The room, folded.
        room: String,
        /// Its id, if the client turned tags on.
        id: Option<u64>,
    },
    /// `END history <shown> [next]`.
    EndHistory {
        /// The id to continue from, when the client has tags on and more
        /// lines remain.
        next: Option<u64>,
    },
    /// `RLEAVE <room> <ts> <user> <reason>`.
    RoomLeave {
        /// The room, folded.
        room: String,
        /// Who left.
        user: String,
        /// Why.
        reason: String,
    },
    /// `CTL removed <room> ...`: taken out of a room.
    Removed {
        /// The room, folded.
        room: String,
    },
    /// Any other line (`HELLO`, `JOIN`, `LEAVE`, `PM`, `INFO`, `USER`, ...).
    Other,
    /// Not a line of protocol v1.
    Unknown(String),
}

/// Reads one line (without its `\n`) with the protocol's own parser of
/// server lines ([`wire::parse_reply`]), and keeps what the checks need. A
/// line that parser refuses, or whose tag it does not know, is `Unknown`:
/// the engine must never write one.
pub fn parse(line: &str) -> ServerLine {
    let (tags, line) = wire::split_tags(line);
    let id = tags.id().map(|id| id.0);
    let Ok(typed) = wire::parse_reply(line) else {
        return ServerLine::Unknown(line.to_owned());
    };
    // The typed parse checked the fields; the words are taken as written.
    let mut words = line.splitn(3, ' ').skip(1);
    let (a, b) = (words.next(), words.next());
    match typed {
        Reply::Welcome { user, .. } => ServerLine::Welcome {
            user: user.to_owned(),
        },
        Reply::Ok(_) => ServerLine::Ok {
            what: a.unwrap_or("").to_owned(),
            arg: b.map(|s| s.split(' ').next().unwrap_or("").to_owned()),
        },
        Reply::Err { code, .. } => ServerLine::Err {
            code: code.as_str().to_owned(),
        },
        Reply::RoomMsg { room: LOBBY, .. } => ServerLine::Msg {
            line: line.to_owned(),
            id,
        },
        Reply::RoomMsg { room, .. } => ServerLine::RoomMsg {
            room: room.to_ascii_lowercase(),
            id,
        },
        Reply::Hist {
            of: HistoryOf::Room(room),
            ..
        } => ServerLine::Hist {
            room: room.to_ascii_lowercase(),
            id,
        },
        Reply::End(Listing::History { next, .. }) => ServerLine::EndHistory {
            next: next.and_then(|m| m.id).map(|id| id.0),
        },
        // The lobby's `LEAVE` is no room's.
        Reply::RoomLeave { room: LOBBY, .. } => ServerLine::Other,
        Reply::RoomLeave {
            room, user, reason, ..
        } => ServerLine::RoomLeave {
            room: room.to_ascii_lowercase(),
            user: user.to_owned(),
            reason: reason.as_str().to_owned(),
        },
        Reply::Ctl(Control::Removed { room, .. }) => ServerLine::Removed {
            room: room.to_ascii_lowercase(),
        },
        Reply::Ctl(_) => ServerLine::Ctl {
            what: a.unwrap_or("").to_owned(),
        },
        Reply::End(Listing::Held { replayed, dropped }) => {
            ServerLine::EndHeld { replayed, dropped }
        }
        Reply::Ask { step, .. } => ServerLine::Ask {
            step: step.as_str().to_owned(),
        },
        Reply::Pong(token) => ServerLine::Pong {
            token: token.map(str::to_owned),
        },
        Reply::Unknown(_) => ServerLine::Unknown(line.to_owned()),
        _ => ServerLine::Other,
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
        assert_eq!(
            parse("RMSG Den 5 a hi"),
            ServerLine::RoomMsg {
                room: "den".into(),
                id: None
            }
        );
        assert_eq!(
            parse("@id=7 MSG 5 a hi"),
            ServerLine::Msg {
                line: "MSG 5 a hi".into(),
                id: Some(7)
            }
        );
        assert_eq!(
            parse("END history 2 id=4"),
            ServerLine::EndHistory { next: Some(4) }
        );
        assert_eq!(
            parse("CTL removed Den a"),
            ServerLine::Removed { room: "den".into() }
        );
        assert!(matches!(parse("BOGUS x"), ServerLine::Unknown(_)));
    }
}
