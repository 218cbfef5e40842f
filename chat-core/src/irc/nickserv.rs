//! The NickServ service: `IDENTIFY [account] <password>`, `REGISTER
//! <password>`, `SET PASSWORD <old> <new>`, `HELP`, sent as `PRIVMSG
//! NickServ :...` or `NICKSERV ...`.

use super::lines::nickserv_says;

/// What a line to NickServ asks the engine for.
#[derive(Debug, PartialEq, Eq)]
pub(super) enum Request<'t> {
    /// Log in to `name` (the nick unless given).
    Identify {
        /// The account.
        name: &'t str,
        /// Its password.
        password: &'t str,
    },
    /// Register the nick with this password.
    Register {
        /// The password.
        password: &'t str,
    },
    /// Change the password (logged in).
    SetPassword {
        /// The current password.
        old: &'t str,
        /// The new one.
        new: &'t str,
    },
}

/// Reads a line to NickServ from `nick`; what NickServ answers by itself
/// (usage, refusals) goes to `out`. `idle` is false while logged in or
/// while a login is under way.
pub(super) fn read<'t>(
    server: &str,
    text: &'t str,
    nick: &'t str,
    logged_in: bool,
    idle: bool,
    out: &mut Vec<u8>,
) -> Option<Request<'t>> {
    let words: Vec<&str> = text.split_whitespace().collect();
    match words.first().map(|w| w.to_ascii_uppercase()).as_deref() {
        Some("IDENTIFY" | "LOGIN") if idle => match words[1..] {
            [password] => Some(Request::Identify {
                name: nick,
                password,
            }),
            [name, password, ..] => Some(Request::Identify { name, password }),
            _ => {
                nickserv_says(out, server, nick, "Usage: IDENTIFY [account] <password>");
                None
            }
        },
        Some("REGISTER") if idle => match words.get(1) {
            Some(password) => Some(Request::Register { password }),
            None => {
                nickserv_says(out, server, nick, "Usage: REGISTER <password>");
                None
            }
        },
        Some("IDENTIFY" | "LOGIN" | "REGISTER") => {
            nickserv_says(
                out,
                server,
                nick,
                "You are already logged in (or a login is under way)",
            );
            None
        }
        Some("SET") if logged_in => match words[1..] {
            [w, old, new] if w.eq_ignore_ascii_case("PASSWORD") => {
                Some(Request::SetPassword { old, new })
            }
            _ => {
                nickserv_says(out, server, nick, "Usage: SET PASSWORD <old> <new>");
                None
            }
        },
        _ => {
            nickserv_says(
                out,
                server,
                nick,
                "Commands: IDENTIFY [account] <password>, REGISTER <password>, SET PASSWORD <old> <new>",
            );
            None
        }
    }
}
