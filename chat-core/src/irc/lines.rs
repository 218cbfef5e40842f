//! The shapes of the lines this server writes to IRC clients: numerics,
//! notices from the server and from NickServ, users' masks. Every line
//! from the server names it by its configured name (`server_name`),
//! which is also the host of every user's mask.

use std::io::Write;

use super::message::Message;

/// The lobby's channel, where everyone is.
pub const CHANNEL: &str = "#lobby";
/// The nick of the services that log in and register accounts.
pub(super) const NICKSERV: &str = "NickServ";

/// `:<server> <code> <me> <rest>`.
pub(super) fn numeric(out: &mut Vec<u8>, server: &str, me: &str, code: &str, rest: &str) {
    let _ = write!(out, ":{server} {code} {me} {rest}\r\n");
}

/// A notice from NickServ to `me`.
pub(super) fn nickserv_says(out: &mut Vec<u8>, server: &str, me: &str, text: &str) {
    let _ = write!(
        out,
        ":{NICKSERV}!{NICKSERV}@{server} NOTICE {me} :{text}\r\n"
    );
}

/// A notice from the server to `target` (a nick or a channel).
pub(super) fn server_notice(out: &mut Vec<u8>, server: &str, target: &str, text: &str) {
    let _ = write!(out, ":{server} NOTICE {target} :{text}\r\n");
}

/// A standard reply (`FAIL`): `:<server> FAIL <command> <code> :<text>`.
pub(super) fn fail(out: &mut Vec<u8>, server: &str, command: &str, code: &str, text: &str) {
    let _ = write!(out, ":{server} FAIL {command} {code} :{text}\r\n");
}

/// Whether `msg` has its first `n` parameters, not empty; `461` if not.
pub(super) fn need(out: &mut Vec<u8>, server: &str, me: &str, msg: &Message<'_>, n: usize) -> bool {
    if has_params(msg, n) {
        return true;
    }
    let rest = format!(
        "{} :Not enough parameters",
        msg.command.to_ascii_uppercase()
    );
    numeric(out, server, me, "461", &rest);
    false
}

/// Whether `msg` has its first `n` parameters, not empty.
pub(super) fn has_params(msg: &Message<'_>, n: usize) -> bool {
    msg.params.len() >= n && msg.params[..n].iter().all(|p| !p.is_empty())
}

/// A standing given or taken, as a channel mode change (`+o`, `-v`).
pub(super) struct ModeChange(pub(super) crate::Standing, pub(super) bool);

impl std::fmt::Display for ModeChange {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let sign = if self.1 { '+' } else { '-' };
        let letter = match self.0 {
            crate::Standing::Operator => 'o',
            crate::Standing::Voice => 'v',
        };
        write!(f, "{sign}{letter}")
    }
}

/// A user's mask, `nick!user@host`, as the source of a line: the host is
/// the server's name (no address is shown), the user name `USER`'s or,
/// when there is none, the nick.
pub(super) struct Mask<'a> {
    /// The nick.
    pub(super) nick: &'a str,
    /// `USER`'s user name, if there is one.
    pub(super) user: Option<&'a str>,
    /// The server's name.
    pub(super) host: &'a str,
}

impl std::fmt::Display for Mask<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let user = self.user.unwrap_or(self.nick);
        write!(f, "{}!{user}@{}", self.nick, self.host)
    }
}
