//! Registration: `NICK`, `USER` and `PASS` until the client is greeted
//! (`001`-`005`), and the login that makes the nick an account's (by
//! `PASS`, SASL, NickServ, or as a guest on a server that takes them).

use std::io::Write;

use zeroize::Zeroizing;

use super::lines::{need, nickserv_says, numeric, HOST};
use super::message::Message;
use crate::UserName;

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
}

/// Where one connection is in registration and login.
#[derive(Debug, Default)]
pub(super) struct Registration {
    nick: Option<String>,
    user_seen: bool,
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
    /// Whether registering without a login makes a guest.
    pub(super) guests: bool,
}

impl Registration {
    /// The nick, or `*` before `NICK`.
    pub(super) fn me(&self) -> &str {
        self.nick.as_deref().unwrap_or("*")
    }

    /// No login done nor under way: one may start.
    pub(super) fn idle(&self) -> bool {
        !self.logged_in && self.login.is_none()
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

    /// `NICK`.
    pub(super) fn on_nick(
        &mut self,
        msg: &Message<'_>,
        negotiating: bool,
        out: &mut Vec<u8>,
    ) -> Option<Ask> {
        let Some(nick) = msg.params.first().filter(|n| !n.is_empty()) else {
            numeric(out, self.me(), "431", ":No nickname given");
            return None;
        };
        if UserName::parse(nick).is_err() {
            numeric(
                out,
                self.me(),
                "432",
                &format!("{nick} :Erroneous nickname"),
            );
            return None;
        }
        if self.logged_in {
            if !nick.eq_ignore_ascii_case(self.me()) {
                let why = ":Cannot change nickname: the nick is the account";
                numeric(out, self.me(), "447", why);
            }
            return None;
        }
        if self.registered {
            let old = self.me();
            let _ = write!(out, ":{old}!{old}@{HOST} NICK :{nick}\r\n");
            self.nick = Some((*nick).to_owned());
            // A guest refused its nick tries again with the new one.
            return self.try_guest();
        }
        self.nick = Some((*nick).to_owned());
        self.try_register(negotiating, out)
    }

    /// `USER`.
    pub(super) fn on_user(
        &mut self,
        msg: &Message<'_>,
        negotiating: bool,
        out: &mut Vec<u8>,
    ) -> Option<Ask> {
        // After a SASL login the greeting may have gone out before the
        // client's first USER: that one is still welcome.
        if self.user_seen {
            numeric(out, self.me(), "462", ":You may not reregister");
        } else if need(out, self.me(), msg, 4) {
            self.user_seen = true;
            return self.try_register(negotiating, out);
        }
        None
    }

    /// `PASS`, kept for when registration completes.
    pub(super) fn on_pass(&mut self, msg: &Message<'_>, out: &mut Vec<u8>) {
        if self.registered {
            numeric(out, self.me(), "462", ":You may not reregister");
        } else if need(out, self.me(), msg, 1) {
            let p = msg.params[0];
            self.pass = Some(match p.split_once(':') {
                Some((name, pw)) if UserName::parse(name).is_ok() && !pw.is_empty() => {
                    (Some(name.to_owned()), Zeroizing::new(pw.to_owned()))
                }
                _ => (None, Zeroizing::new(p.to_owned())),
            });
        }
    }

    /// Registration is complete once NICK, USER and CAP END are in: log in
    /// with `PASS`, chat as a guest, or greet the user and let NickServ
    /// say how to log in.
    pub(super) fn try_register(&mut self, negotiating: bool, out: &mut Vec<u8>) -> Option<Ask> {
        if self.registered || !self.idle() || negotiating || !self.user_seen {
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
        greeting(&nick, out);
        self.registered = true;
        nickserv_says(out, &nick, &format!(
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

    /// The lines of a welcome to `user` (SASL's numerics, the greeting if
    /// not sent yet, or the nick made the account's).
    pub(super) fn render_welcome(&self, user: &str, out: &mut Vec<u8>) {
        let me = self.me();
        if self.registered && me != user {
            let _ = write!(out, ":{me}!{me}@{HOST} NICK :{user}\r\n");
        }
        if self.login != Some(Via::Guest) {
            let _ = write!(
                out,
                ":{HOST} 900 {user} {user}!{user}@{HOST} {user} :You are now logged in as {user}\r\n"
            );
        }
        if self.login == Some(Via::Sasl) {
            let _ = write!(
                out,
                ":{HOST} 903 {user} :SASL authentication successful\r\n"
            );
        }
        if !self.registered {
            greeting(user, out);
        }
    }

    /// Logged in as `user`: the nick is the account's.
    pub(super) fn logged_in(&mut self, user: &str) {
        self.nick = Some(user.to_owned());
        self.logged_in = true;
        self.registered = true;
        self.login = None;
    }

    /// The login under way was refused (told by the renderer, which
    /// greets a client that was not yet).
    pub(super) fn login_refused(&mut self) {
        let via = self.login.take();
        if matches!(via, Some(Via::Pass | Via::Guest)) {
            self.registered = true;
        }
    }
}

/// 001-005 and 422: the client is registered.
pub(super) fn greeting(nick: &str, out: &mut Vec<u8>) {
    let lines = [
        format!("001 {nick} :Welcome to the chat network, {nick}"),
        format!("002 {nick} :Your host is {HOST}, running chat-irc"),
        format!("003 {nick} :This server was created at start"),
        format!("004 {nick} {HOST} chat-irc i bnot"),
        format!(
            "005 {nick} CASEMAPPING=ascii CHANTYPES=# NICKLEN={} PREFIX=(o)@ CHANMODES=b,,,nt NETWORK=chat :are supported by this server",
            crate::name::MAX_NAME_LEN
        ),
        format!("422 {nick} :MOTD File is missing"),
    ];
    for l in lines {
        let _ = write!(out, ":{HOST} {l}\r\n");
    }
}
