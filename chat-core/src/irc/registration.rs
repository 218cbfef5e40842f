//! Registration: `NICK`, `USER` and `PASS` until the client is greeted
//! (`001`-`005`), and the login that makes the nick an account's (by
//! `PASS`, SASL, NickServ, or as a guest on a server that takes them).
//!
//! A login checked by SASL before the client finished registering (the
//! usual order: `CAP REQ :sasl`, `AUTHENTICATE`, then `NICK`/`USER`/`CAP
//! END`) is told at once (`900`/`903`), and the engine lets the client in
//! only once registration is complete (the codec then asks it to, with
//! [`Command::Ready`](crate::Command::Ready)).

use std::io::Write;

use zeroize::Zeroizing;

use super::lines::{need, nickserv_says, numeric, Mask};
use super::message::Message;
use crate::UserName;

/// The longest user name (`USER`'s first parameter) kept; longer ones are
/// cut (`USERLEN` in `005`).
pub(super) const USERLEN: usize = 16;
/// The longest real name kept, in bytes; longer ones are cut.
pub(super) const REALNAMELEN: usize = 100;

/// How a login under way was asked for: its outcome is told that way.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Via {
    Sasl,
    Pass,
    NickServ,
    /// Registered without a login, on a server that takes guests.
    Guest,
}

/// What registration asks the engine for.
#[derive(Debug)]
pub(super) enum Ask {
    /// Log in (or, with `register`, create the account) with these.
    Credentials {
        name: String,
        password: Zeroizing<String>,
        register: bool,
    },
    /// Chat as a guest under this nick.
    Guest(String),
    /// A login checked earlier (SASL) may enter: registration is done.
    Ready,
}

/// Where one connection is in registration and login.
#[derive(Debug, Default)]
pub(super) struct Registration {
    nick: Option<String>,
    /// `USER`'s user name, made safe to show (see [`user_name`]).
    user_name: Option<String>,
    /// `USER`'s real name (or `SETNAME`'s).
    pub(super) real_name: Option<String>,
    /// `PASS` given before registration: (name, password). Wiped when
    /// dropped, like the SASL payload.
    pass: Option<(Option<String>, Zeroizing<String>)>,
    /// The greeting (`001`...) went out.
    pub(super) registered: bool,
    pub(super) logged_in: bool,
    /// A login under way, and how it was asked for.
    pub(super) login: Option<Via>,
    /// `login` before the last line (see [`Registration::unread`]).
    login_before: Option<Via>,
    /// A SASL login was checked (`900`/`903` sent) before registration
    /// was complete: the client enters when it is.
    pub(super) verified: bool,
    /// `900` went out for this login.
    pub(super) announced: bool,
    /// In as a guest (no account).
    pub(super) guest: bool,
    /// Whether registering without a login makes a guest.
    pub(super) guests: bool,
    /// The most lines one `CHATHISTORY` answer holds (`005`'s
    /// `CHATHISTORY=`).
    pub(super) history_lines: usize,
}

impl Registration {
    /// The nick, or `*` before `NICK`.
    pub(super) fn me(&self) -> &str {
        self.nick.as_deref().unwrap_or("*")
    }

    /// `USER`'s user name, if given.
    pub(super) fn user_name(&self) -> Option<&str> {
        self.user_name.as_deref()
    }

    /// No login done nor under way: one may start.
    pub(super) fn idle(&self) -> bool {
        !self.logged_in && self.login.is_none() && !self.verified
    }

    /// Whether `NICK` and `USER` are in (and `CAP END`, when negotiating):
    /// the client may enter.
    pub(super) fn complete(&self, negotiating: bool) -> bool {
        self.nick.is_some() && self.user_name.is_some() && !negotiating
    }

    /// A new line is read: what it starts can be undone.
    pub(super) fn line_read(&mut self) {
        self.login_before = self.login;
    }

    /// The last line was dropped unread: the login it started is not
    /// under way.
    pub(super) fn unread(&mut self) {
        self.login = self.login_before;
    }

    /// A login starts, asked for by `via`.
    pub(super) fn start_login(&mut self, via: Via) {
        self.login = Some(via);
    }

    /// `NICK`; registration may complete after it (see
    /// [`try_register`](Registration::try_register)), and a guest refused
    /// its nick tries the new one.
    pub(super) fn on_nick(
        &mut self,
        server: &str,
        msg: &Message<'_>,
        out: &mut Vec<u8>,
    ) -> Option<Ask> {
        let Some(nick) = msg.params.first().filter(|n| !n.is_empty()) else {
            numeric(out, server, self.me(), "431", ":No nickname given");
            return None;
        };
        if UserName::parse(nick).is_err() {
            let rest = format!("{nick} :Erroneous nickname");
            numeric(out, server, self.me(), "432", &rest);
            return None;
        }
        if self.logged_in {
            if !nick.eq_ignore_ascii_case(self.me()) {
                let why = ":Cannot change nickname: the nick is the account";
                numeric(out, server, self.me(), "447", why);
            }
            return None;
        }
        if self.registered {
            let old = Mask {
                nick: self.me(),
                user: self.user_name(),
                host: server,
            };
            let _ = write!(out, ":{old} NICK :{nick}\r\n");
            self.nick = Some((*nick).to_owned());
            // A guest refused its nick tries again with the new one.
            return self.try_guest();
        }
        self.nick = Some((*nick).to_owned());
        None
    }

    /// `USER <user> <mode> <unused> :<real name>`: both names are kept
    /// (a user name that is not safe to show is made so); registration
    /// may complete after it.
    pub(super) fn on_user(&mut self, server: &str, msg: &Message<'_>, out: &mut Vec<u8>) {
        if self.user_name.is_some() {
            numeric(out, server, self.me(), "462", ":You may not reregister");
        } else if need(out, server, self.me(), msg, 4) {
            self.user_name = Some(user_name(msg.params[0]));
            self.real_name = Some(real_name(msg.params[3]));
        }
    }

    /// `PASS`, kept for when registration completes.
    pub(super) fn on_pass(&mut self, server: &str, msg: &Message<'_>, out: &mut Vec<u8>) {
        if self.registered {
            numeric(out, server, self.me(), "462", ":You may not reregister");
        } else if need(out, server, self.me(), msg, 1) {
            let p = msg.params[0];
            self.pass = Some(match p.split_once(':') {
                Some((name, pw)) if UserName::parse(name).is_ok() && !pw.is_empty() => {
                    (Some(name.to_owned()), Zeroizing::new(pw.to_owned()))
                }
                _ => (None, Zeroizing::new(p.to_owned())),
            });
        }
    }

    /// Registration is complete once NICK, USER and CAP END are in: enter
    /// after a SASL login, log in with `PASS`, chat as a guest, or greet
    /// the user and let NickServ say how to log in.
    pub(super) fn try_register(
        &mut self,
        server: &str,
        negotiating: bool,
        out: &mut Vec<u8>,
    ) -> Option<Ask> {
        if self.registered || !self.complete(negotiating) {
            return None;
        }
        if self.verified {
            self.verified = false;
            return Some(Ask::Ready);
        }
        if !self.idle() {
            return None;
        }
        let nick = self.nick.clone()?;
        if let Some((name, password)) = self.pass.take() {
            self.login = Some(Via::Pass);
            return Some(Ask::Credentials {
                name: name.unwrap_or(nick),
                password,
                register: false,
            });
        }
        if self.guests {
            return self.try_guest();
        }
        greeting(server, &nick, self.history_lines, out);
        self.registered = true;
        nickserv_says(out, server, &nick, &format!(
            "Your nick is your account: /msg NickServ IDENTIFY <password> to log in as {nick}, or REGISTER <password> to create it"
        ));
        None
    }

    /// Asks the engine to let the nick in as a guest (the server takes
    /// guests, nothing else is under way); greeted on the answer.
    fn try_guest(&mut self) -> Option<Ask> {
        if !self.guests || !self.idle() {
            return None;
        }
        let nick = self.nick.clone()?;
        self.login = Some(Via::Guest);
        Some(Ask::Guest(nick))
    }

    /// `900` for a login as `user`, addressed to the nick (or `*` before
    /// one), then `903` when SASL asked for it.
    pub(super) fn render_logged_in(&self, server: &str, user: &str, out: &mut Vec<u8>) {
        let me = self.me();
        let mask = Mask {
            nick: user,
            user: self.user_name(),
            host: server,
        };
        let _ = write!(
            out,
            ":{server} 900 {me} {mask} {user} :You are now logged in as {user}\r\n"
        );
        if self.login == Some(Via::Sasl) {
            let _ = write!(
                out,
                ":{server} 903 {me} :SASL authentication successful\r\n"
            );
        }
    }

    /// The lines of a welcome to `user`: the login's numerics if not sent
    /// yet, then the greeting if not sent yet, or the nick made the
    /// account's.
    pub(super) fn render_welcome(&self, server: &str, user: &str, out: &mut Vec<u8>) {
        let me = self.me();
        if self.registered && me != user {
            let old = Mask {
                nick: me,
                user: self.user_name(),
                host: server,
            };
            let _ = write!(out, ":{old} NICK :{user}\r\n");
        }
        if self.login != Some(Via::Guest) && !self.announced {
            self.render_logged_in(server, user, out);
        }
        if !self.registered {
            greeting(server, user, self.history_lines, out);
        }
    }

    /// A login was checked: `900` went out (and `903` for SASL). Before
    /// registration is complete, the client enters once it is.
    pub(super) fn verified(&mut self, negotiating: bool) {
        self.announced = true;
        if self.logged_in {
            // Logged in again (SASL reauthentication): done; the welcome
            // of another account, if it is one, follows.
            self.login = None;
        } else if !self.registered && !self.complete(negotiating) {
            self.verified = true;
        }
    }

    /// Logged in as `user`: the nick is the account's.
    pub(super) fn logged_in(&mut self, user: &str) {
        self.guest = self.login == Some(Via::Guest);
        self.nick = Some(user.to_owned());
        self.logged_in = true;
        self.registered = true;
        self.login = None;
        self.announced = false;
    }

    /// The login under way was refused (told by the renderer, which
    /// greets a client that was not yet, unless its nick is in use: it
    /// picks another before it registers).
    pub(super) fn login_refused(&mut self, reason: &crate::reply::Reason<'_>) {
        let via = self.login.take();
        let in_use = matches!(reason, crate::reply::Reason::NameInUse { .. });
        if matches!(via, Some(Via::Pass | Via::Guest)) && !in_use {
            self.registered = true;
        }
    }
}

/// `USER`'s user name as shown in masks and `WHO`: letters, digits and
/// `-._` only, at most [`USERLEN`]; a name with anything else (spaces
/// cannot be: it is one parameter) is replaced by `~` and what is left
/// of it, or by `~u` when nothing is.
fn user_name(given: &str) -> String {
    let safe = |c: char| c.is_ascii_alphanumeric() || matches!(c, '-' | '.' | '_');
    if given.chars().all(safe) {
        return given.chars().take(USERLEN).collect();
    }
    let kept: String = given
        .chars()
        .filter(|&c| safe(c))
        .take(USERLEN - 1)
        .collect();
    if kept.is_empty() {
        "~u".to_owned()
    } else {
        format!("~{kept}")
    }
}

/// The real name as kept: control characters become spaces, and it is
/// cut to [`REALNAMELEN`] bytes at a character boundary.
fn real_name(given: &str) -> String {
    let mut name: String = given
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    if name.len() > REALNAMELEN {
        let mut end = REALNAMELEN;
        while !name.is_char_boundary(end) {
            end -= 1;
        }
        name.truncate(end);
    }
    name
}

/// 001-005 and 422: the client is registered.
pub(super) fn greeting(server: &str, nick: &str, history_lines: usize, out: &mut Vec<u8>) {
    let lines = [
        format!("001 {nick} :Welcome to the chat network, {nick}"),
        format!("002 {nick} :Your host is {server}, running chat-irc"),
        format!("003 {nick} :This server was created at start"),
        format!("004 {nick} {server} chat-irc io {CHANMODES_004}"),
        format!(
            "005 {nick} CASEMAPPING=ascii CHANTYPES=# NICKLEN={nicklen} CHANNELLEN={nicklen} USERLEN={USERLEN} PREFIX=(ov)@+ CHANMODES={CHANMODES} NETWORK={server} UTF8ONLY WHOX :are supported by this server",
            nicklen = crate::name::MAX_NAME_LEN
        ),
        // `draft/chathistory`: the most lines of an answer, and how a
        // message is referred to; the most targets of a message.
        format!("005 {nick} CHATHISTORY={history_lines} MSGREFTYPES=msgid,timestamp TARGMAX=PRIVMSG:{targets},NOTICE:{targets} :are supported by this server", targets = super::codec::MAX_TARGETS),
        format!("422 {nick} :MOTD File is missing"),
    ];
    for l in lines {
        let _ = write!(out, ":{server} {l}\r\n");
    }
}

/// The channel modes of `004`: those without a parameter, then those
/// with one.
const CHANMODES_004: &str = "biklmnostv";
/// `CHANMODES` of `005`: lists, always a parameter, a parameter to set,
/// never one.
const CHANMODES: &str = "b,k,l,imnst";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn user_names_are_made_safe_and_real_names_kept() {
        assert_eq!(user_name("myusernam"), "myusernam");
        assert_eq!(user_name("a_b-c.d"), "a_b-c.d");
        assert_eq!(user_name("😊😊😊"), "~u");
        assert_eq!(user_name("jö"), "~j");
        assert_eq!(user_name(&"x".repeat(40)).len(), USERLEN);
        assert_eq!(real_name("My UniqueReal Name"), "My UniqueReal Name");
        assert_eq!(real_name("a\u{1}b"), "a b");
        assert_eq!(real_name(&"é".repeat(80)).len(), REALNAMELEN);
    }
}
