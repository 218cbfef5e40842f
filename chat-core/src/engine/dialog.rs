//! The login dialog: register or log in, by the `ASK` steps or by the
//! one-line `/register` and `/login` forms.

use crate::password::{Password, PasswordError};
use crate::reply::{AskStep, Control, Done, Reply};
use crate::wire::parse;
use crate::{Command, ConnId, ErrorCode, Grant, NameKey, StoreChange, UserName, UserRecord};

use super::connection::{ConnRef, Phase, Step};
use super::directory::PendingKind;
use super::io::{CloseReason, PasswordAnswer, PasswordWork};
use super::{Engine, Job};
use crate::reply::LeaveReason;

impl Engine {
    pub(super) fn on_dialog_line(&mut self, id: ConnId, line: &str) {
        let wants_password = match self.conns.get(&id).map(|c| &c.phase) {
            Some(Phase::Dialog(step)) => step.wants_password(),
            _ => return,
        };
        if line.starts_with('/') {
            match parse(line) {
                Ok(Command::Quit) => return self.quit(id),
                Ok(Command::Register { name, password }) => {
                    return self.start_register(id, name, Password::new(password))
                }
                Ok(Command::Login { name, password }) => {
                    return self.start_login(id, name, Password::new(password))
                }
                // A password may start with '/': take the line verbatim.
                _ if wants_password => {}
                Ok(Command::Ping { token }) => return self.send(id, &Reply::Pong(token)),
                Ok(Command::Help) => return self.send(id, &Reply::Help { admin: false }),
                Ok(_) => {
                    return self.refuse(id, ErrorCode::NotLoggedIn, "log in first");
                }
                Err(refusal) => return self.refuse(id, refusal.code, &refusal.text),
            }
        }
        self.on_dialog_answer(id, line);
    }

    fn on_dialog_answer(&mut self, id: ConnId, line: &str) {
        let Some(conn) = self.conns.get_mut(&id) else {
            return;
        };
        let Phase::Dialog(step) = &mut conn.phase else {
            return;
        };
        match std::mem::replace(step, Step::Working) {
            Step::Account => match line.trim().to_ascii_lowercase().as_str() {
                "y" | "yes" => self.ask(id, Step::RegisterName, AskStep::RegisterName),
                "n" | "no" => self.ask(id, Step::LoginName, AskStep::LoginName),
                _ => {
                    self.refuse(id, ErrorCode::BadArgument, "answer y or n");
                    self.ask(id, Step::Account, AskStep::Account);
                }
            },
            Step::RegisterName => match self.check_new_name(line.trim()) {
                Ok(name) => self.ask(
                    id,
                    Step::RegisterPassword { name },
                    AskStep::RegisterPassword,
                ),
                Err((code, text)) => self.fail(id, code, &text),
            },
            Step::RegisterPassword { name } => match self.check_password(line) {
                Ok(()) => self.ask(
                    id,
                    Step::RegisterPasswordAgain {
                        name,
                        password: Password::new(line),
                    },
                    AskStep::RegisterPasswordAgain,
                ),
                Err((code, text)) => self.fail(id, code, &text),
            },
            Step::RegisterPasswordAgain { name, password } => {
                if password.expose() == line {
                    self.start_register(id, name.as_str(), password);
                } else {
                    self.fail(id, ErrorCode::PasswordMismatch, "the passwords differ");
                }
            }
            Step::LoginName => self.ask(
                id,
                Step::LoginPassword {
                    name: line.trim().to_owned(),
                },
                AskStep::LoginPassword,
            ),
            Step::LoginPassword { name } => self.start_login(id, &name, Password::new(line)),
            Step::Working => {}
        }
    }

    fn ask(&mut self, id: ConnId, step: Step, ask: AskStep) {
        if let Some(Phase::Dialog(s)) = self.conns.get_mut(&id).map(|c| &mut c.phase) {
            *s = step;
            self.send(id, &Reply::Ask(ask));
        }
    }

    /// Back to the first question (after a failure that was not the
    /// client's).
    pub(super) fn dialog_restart(&mut self, id: ConnId) {
        self.ask(id, Step::Account, AskStep::Account);
    }

    /// A failed attempt: `ERR`, then the first question again, or after
    /// too many, `ERR rate-limited` and the connection closes.
    fn fail(&mut self, id: ConnId, code: ErrorCode, text: &str) {
        self.refuse(id, code, text);
        let max = self.config.limits.max_failed_attempts;
        let Some(conn) = self.conns.get_mut(&id) else {
            return;
        };
        conn.failures += 1;
        if conn.failures >= max {
            self.refuse(id, ErrorCode::RateLimited, "too many failed attempts");
            self.close(id, CloseReason::RateLimited, LeaveReason::Lost);
        } else {
            self.dialog_restart(id);
        }
    }

    fn check_new_name(&self, name: &str) -> Result<UserName, (ErrorCode, String)> {
        let name = UserName::parse(name).map_err(|e| (ErrorCode::BadName, e.to_string()))?;
        if self.directory.is_taken(&name.key()) {
            return Err((ErrorCode::NameTaken, format!("{name} is taken")));
        }
        Ok(name)
    }

    pub(super) fn check_password(&self, password: &str) -> Result<(), (ErrorCode, String)> {
        let l = &self.config.limits;
        if (l.min_password_bytes..=l.max_password_bytes).contains(&password.len()) {
            Ok(())
        } else {
            Err((
                ErrorCode::BadPassword,
                format!(
                    "a password is {} to {} bytes",
                    l.min_password_bytes, l.max_password_bytes
                ),
            ))
        }
    }

    /// Reserves the name and asks for the hash; the account is created once
    /// the store has it.
    fn start_register(&mut self, id: ConnId, name: &str, password: Password) {
        let name = match self.check_new_name(name) {
            Ok(n) => n,
            Err((code, text)) => return self.fail(id, code, &text),
        };
        if let Err((code, text)) = self.check_password(password.expose()) {
            return self.fail(id, code, &text);
        }
        let Some(conn) = self.conn_ref(id) else {
            return;
        };
        self.directory.begin(name.key(), PendingKind::Register);
        self.working(id);
        self.new_job(
            Job::Register { conn, name },
            PasswordWork::Hash { password },
        );
    }

    fn start_login(&mut self, id: ConnId, name: &str, password: Password) {
        let key = NameKey::of(name);
        let Some(conn) = self.conns.get(&id) else {
            return;
        };
        let peer = conn.peer;
        let addr = (!self.is_exempt(peer)).then_some(peer);
        if self.throttle.is_limited(&key, addr, self.now) {
            return self.fail(
                id,
                ErrorCode::RateLimited,
                "too many failed logins; try again later",
            );
        }
        let Some(conn) = self.conn_ref(id) else {
            return;
        };
        let phc = self.directory.get(&key).map(|r| r.phc.clone());
        self.working(id);
        self.new_job(
            Job::Login { conn, key },
            PasswordWork::Verify { password, phc },
        );
    }

    fn working(&mut self, id: ConnId) {
        if let Some(conn) = self.conns.get_mut(&id) {
            conn.phase = Phase::Dialog(Step::Working);
            conn.waiting = true;
        }
    }

    /// The dialog's work is answered: its queued lines may run.
    fn done_working(&mut self, id: ConnId) {
        self.set_waiting(id, false);
        self.resume(id);
    }

    pub(super) fn on_register_hashed(
        &mut self,
        conn: ConnRef,
        name: UserName,
        answer: Result<PasswordAnswer, PasswordError>,
    ) {
        let phc = match answer {
            Ok(PasswordAnswer::Hashed(phc)) => phc,
            other => {
                self.directory.end(&name.key());
                if self.live(conn) {
                    let text = match other {
                        Err(e) => format!("could not hash the password: {e}"),
                        Ok(_) => "could not hash the password".to_owned(),
                    };
                    self.refuse(conn.id, ErrorCode::ServerError, &text);
                    self.dialog_restart(conn.id);
                    self.done_working(conn.id);
                }
                return;
            }
        };
        if !self.live(conn) {
            // Nobody to answer: release the name rather than register it.
            self.directory.end(&name.key());
            return;
        }
        let record = UserRecord {
            grant: if self.directory.is_config_admin(&name.key()) {
                Grant::Admin
            } else {
                Grant::User
            },
            name,
            phc,
            created: self.now,
        };
        self.persist(Some(conn), StoreChange::AddUser(record));
    }

    pub(super) fn on_login_verified(
        &mut self,
        conn: ConnRef,
        key: NameKey,
        answer: Result<PasswordAnswer, PasswordError>,
    ) {
        if !self.live(conn) {
            return;
        }
        let id = conn.id;
        let Some(peer) = self.conns.get(&id).map(|c| c.peer) else {
            return;
        };
        let matched = matches!(answer, Ok(PasswordAnswer::Verified(true)));
        let record = self.directory.get(&key).filter(|_| matched);
        let Some(name) = record.map(|r| r.name.clone()) else {
            if let Err(e) = answer {
                self.refuse(id, ErrorCode::ServerError, &e.to_string());
            }
            let addr = (!self.is_exempt(peer)).then_some(peer);
            self.throttle.record_failure(key, addr, self.now);
            self.fail(id, ErrorCode::BadCredentials, "wrong user name or password");
            return self.done_working(id);
        };
        if self.kicks.contains(&key) {
            self.fail(id, ErrorCode::Kicked, "you are on the kick list");
        } else if self.online.contains_key(&key) {
            self.fail(id, ErrorCode::AlreadyOnline, "already logged in elsewhere");
        } else {
            self.send(id, &Reply::Ok(Done::Login(name.as_str())));
            self.enter_room(id, name);
        }
        self.done_working(id);
    }

    /// `/quit` or `/disconnect`, logged in or not.
    pub(super) fn quit(&mut self, id: ConnId) {
        self.send(id, &Reply::Ctl(Control::Disconnect));
        self.close(id, CloseReason::Quit, LeaveReason::Quit);
    }
}
