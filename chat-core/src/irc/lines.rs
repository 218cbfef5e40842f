//! The shapes of the lines this server writes to IRC clients: its name,
//! the lobby's channel, numerics, notices from the server and from
//! NickServ.

use std::io::Write;

use super::message::Message;

/// The lobby's channel, where everyone is.
pub const CHANNEL: &str = "#lobby";
/// The source of server lines and the host of every user's mask.
pub const HOST: &str = "chat";
/// The nick of the services that log in and register accounts.
pub(super) const NICKSERV: &str = "NickServ";

/// `:chat <code> <me> <rest>`.
pub(super) fn numeric(out: &mut Vec<u8>, me: &str, code: &str, rest: &str) {
    let _ = write!(out, ":{HOST} {code} {me} {rest}\r\n");
}

/// A notice from NickServ to `me`.
pub(super) fn nickserv_says(out: &mut Vec<u8>, me: &str, text: &str) {
    let _ = write!(out, ":{NICKSERV}!{NICKSERV}@{HOST} NOTICE {me} :{text}\r\n");
}

/// A notice from the server to `target` (a nick or a channel).
pub(super) fn server_notice(out: &mut Vec<u8>, target: &str, text: &str) {
    let _ = write!(out, ":{HOST} NOTICE {target} :{text}\r\n");
}

/// Whether `msg` has its first `n` parameters, not empty; `461` if not.
pub(super) fn need(out: &mut Vec<u8>, me: &str, msg: &Message<'_>, n: usize) -> bool {
    if msg.params.len() < n || msg.params[..n].iter().any(|p| p.is_empty()) {
        let rest = format!(
            "{} :Not enough parameters",
            msg.command.to_ascii_uppercase()
        );
        numeric(out, me, "461", &rest);
        return false;
    }
    true
}
