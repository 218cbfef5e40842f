//! The rules of this server's IRC face that are its choice rather than
//! IRC's syntax: what a connection may do before it is logged in, and the
//! lobby, the channel `#lobby` that everyone is in and nobody leaves
//! (every other channel `#<name>` is the room `<name>`).

use super::lines::{nickserv_says, numeric, CHANNEL};

/// Whether a channel is the lobby.
pub(super) fn is_lobby(chan: &str) -> bool {
    chan.eq_ignore_ascii_case(CHANNEL)
}

/// The room a channel names (`#rust`: `rust`), if it is a channel.
pub(super) fn room_of(chan: &str) -> Option<&str> {
    chan.strip_prefix('#').filter(|r| !r.is_empty())
}

/// The channels of a comma-separated `JOIN` or `PART` list that mean
/// something: the lobby (where everyone is) and `0` are passed over.
pub(super) fn channels(list: &str) -> impl Iterator<Item = &str> {
    list.split(',')
        .filter(|c| !c.is_empty() && *c != "0" && !is_lobby(c))
}

/// `PART` of nothing but the lobby: it cannot be left.
pub(super) fn part_lobby(server: &str, me: &str, out: &mut Vec<u8>) {
    let why = format!("{CHANNEL} :Everyone is in {CHANNEL}; QUIT to leave");
    numeric(out, server, me, "442", &why);
}

/// A command (upper case) that needs a login, from a connection without
/// one: refused, and told how to log in once registered. Clients join on
/// `001` and ask the lobby's modes: those are passed over, the lobby
/// comes with the login.
pub(super) fn before_login(server: &str, cmd: &str, registered: bool, me: &str, out: &mut Vec<u8>) {
    if registered && (cmd == "JOIN" || cmd == "MODE") {
        return;
    }
    numeric(out, server, me, "451", ":You have not registered");
    if registered {
        log_in_first(server, me, out);
    }
}

/// NickServ's word to a registered client that is not logged in.
pub(super) fn log_in_first(server: &str, me: &str, out: &mut Vec<u8>) {
    nickserv_says(
        out,
        server,
        me,
        "Log in first: /msg NickServ IDENTIFY <password>, or REGISTER <password>",
    );
}
