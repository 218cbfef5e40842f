//! The login dialog: the `ASK` steps before login, and the one-line
//! `/register`, `/login` and `/guest` forms, to registration
//! ([`register`](super::register)) or login ([`login`](super::login)).

use crate::password::{Password, PasswordError};

use crate::reply::{AskStep, LeaveReason, Reason, Reply};
use crate::{Answer, Command, ConnId, UserName};

use super::connection::{Phase, Step};
use super::io::CloseReason;
use super::Engine;

impl Engine {
    /// A command before login: the dialog's answers, the one-line forms,
    /// and the few commands allowed before login.
    pub(super) fn on_dialog_line(&mut self, id: ConnId, cmd: Command<'_>) {
        match cmd {
            Command::Quit { reason } => self.quit(id, reason),
            Command::Ready => self.ready(id),
            Command::Register { name, password } => {
                self.start_register(id, name, Password::new(password))
            }
            Command::Login { name, password } => {
                self.start_login(id, name, Password::new(password))
            }
            Command::Guest { name } => self.start_guest(id, name),
            Command::Ping { token } => self.send(id, &Reply::Pong(token)),
            Command::Help => self.send(id, &Reply::Help { admin: false }),
            Command::Answer(answer) => self.on_dialog_answer(id, answer),
            _ => self.refuse(id, Reason::NotLoggedIn),
        }
    }

    fn on_dialog_answer(&mut self, id: ConnId, answer: Answer<'_>) {
        let Some(conn) = self.conns.get_mut(&id) else {
            return;
        };
        let Phase::Dialog(step) = &mut conn.phase else {
            return;
        };
        let text = match answer {
            Answer::Text(text) => Some(text),
            _ => None,
        };
        // A typo re-asks its own step and is not counted as a failure.
        match (std::mem::replace(step, Step::Working), text) {
            (Step::Account, _) => match answer {
                Answer::Yes => self.ask(id, Step::RegisterName, AskStep::RegisterName),
                Answer::No => self.ask(id, Step::LoginName, AskStep::LoginName),
                _ => {
                    self.refuse(id, Reason::YesOrNo);
                    self.ask(id, Step::Account, AskStep::Account);
                }
            },
            (Step::RegisterName, Some(line)) => match self.check_new_name(line) {
                Ok(name) => self.ask(
                    id,
                    Step::RegisterPassword { name },
                    AskStep::RegisterPassword,
                ),
                Err(reason) => {
                    self.refuse(id, reason);
                    self.ask(id, Step::RegisterName, AskStep::RegisterName);
                }
            },
            (Step::RegisterPassword { name }, Some(line)) => match self.check_password(line) {
                Ok(()) => self.ask(
                    id,
                    Step::RegisterPasswordAgain {
                        name,
                        password: Password::new(line),
                    },
                    AskStep::RegisterPasswordAgain,
                ),
                Err(reason) => {
                    self.refuse(id, reason);
                    self.ask(
                        id,
                        Step::RegisterPassword { name },
                        AskStep::RegisterPassword,
                    );
                }
            },
            (Step::RegisterPasswordAgain { name, password }, Some(line)) => {
                if password.expose() == line {
                    self.start_register(id, name.as_str(), password);
                } else {
                    // Either may be the typo: ask for both again.
                    self.refuse(id, Reason::PasswordMismatch);
                    self.ask(
                        id,
                        Step::RegisterPassword { name },
                        AskStep::RegisterPassword,
                    );
                }
            }
            (Step::LoginName, Some(line)) => match UserName::parse(line) {
                Ok(name) => self.ask(id, Step::LoginPassword { name }, AskStep::LoginPassword),
                Err(e) => {
                    self.refuse(id, Reason::BadName(e));
                    self.ask(id, Step::LoginName, AskStep::LoginName);
                }
            },
            (Step::LoginPassword { name }, Some(line)) => {
                self.start_login(id, name.as_str(), Password::new(line));
            }
            (Step::Working, _) => {}
            // IRC asks no question: nothing to answer while it registers.
            (step @ Step::Verified { .. }, _) => {
                if let Some(Phase::Dialog(s)) = self.conns.get_mut(&id).map(|c| &mut c.phase) {
                    *s = step;
                }
            }
            // A yes or no where a name or password was asked for: ask again.
            (step, None) => {
                let ask = step.ask();
                self.ask(id, step, ask);
            }
        }
    }

    fn ask(&mut self, id: ConnId, step: Step, ask: AskStep) {
        if let Some(Phase::Dialog(s)) = self.conns.get_mut(&id).map(|c| &mut c.phase) {
            *s = step;
            self.send(id, &Reply::ask(ask));
        }
    }

    /// Back to the first question (after a failure that was not the
    /// client's).
    pub(super) fn dialog_restart(&mut self, id: ConnId) {
        self.ask(id, Step::Account, AskStep::Account);
    }

    /// Wrong credentials: `ERR`, then the first question again, or after
    /// too many on this connection, `ERR rate-limited` and it closes.
    pub(super) fn fail(&mut self, id: ConnId, reason: Reason<'_>) {
        self.refuse(id, reason);
        if !self.count_failure(id) {
            self.dialog_restart(id);
        }
    }

    /// A wrong credential counts against the connection (in the dialog
    /// and when logging in again while logged in); after
    /// `max_failed_attempts` it is told and closed. Whether it is gone.
    pub(super) fn count_failure(&mut self, id: ConnId) -> bool {
        let max = self.config.limits.max_failed_attempts;
        let Some(conn) = self.conns.get_mut(&id) else {
            return true;
        };
        conn.failures += 1;
        if conn.failures < max {
            return false;
        }
        log::warn!("{} closed after {max} wrong logins", conn.peer);
        self.refuse(id, Reason::TooManyFailures);
        self.close(id, CloseReason::RateLimited, LeaveReason::Lost);
        true
    }

    /// A refusal that is not a wrong credential: `ERR`, then the first
    /// question again; not counted.
    /// Password work the caller could not do: busy is a refusal for now,
    /// anything else a server error (logged, not shown).
    pub(super) fn password_work_failed(&mut self, id: ConnId, e: &PasswordError) {
        if matches!(e, PasswordError::Busy) {
            self.refuse(id, Reason::PasswordWorkersBusy { retry_secs: 1 });
        } else {
            log::warn!("password work failed: {e}");
            self.refuse(id, Reason::CouldNotCheckPassword { busy: false });
        }
    }

    pub(super) fn refuse_and_restart(&mut self, id: ConnId, reason: Reason<'_>) {
        self.refuse(id, reason);
        self.dialog_restart(id);
    }

    pub(super) fn working(&mut self, id: ConnId) {
        if let Some(conn) = self.conns.get_mut(&id) {
            conn.phase = Phase::Dialog(Step::Working);
            conn.waiting = true;
        }
    }

    /// The dialog's work is answered: its queued lines may run.
    pub(super) fn done_working(&mut self, id: ConnId) {
        self.set_waiting(id, false);
        self.resume(id);
    }
}
