//! The login dialog: register or log in, by the `ASK` steps or by the
//! one-line `/register` and `/login` forms.

use crate::password::{Password, PasswordError};
use std::net::IpAddr;
use std::time::Duration;

use crate::reply::{AskStep, Control, Done, LimitScope, Presence, Reason, Reply};
use crate::{Answer, Command, ConnId, Grant, NameKey, StoreChange, UserName, UserRecord};

use super::connection::{ConnRef, Phase, Step};
use super::directory::PendingKind;
use super::io::{CloseReason, PasswordAnswer, PasswordWork};
use super::text::refused_text;
use super::throttle::Limited;
use super::{Engine, Job};
use crate::reply::LeaveReason;

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
    fn fail(&mut self, id: ConnId, reason: Reason<'_>) {
        self.refuse(id, reason);
        let max = self.config.limits.max_failed_attempts;
        let Some(conn) = self.conns.get_mut(&id) else {
            return;
        };
        conn.failures += 1;
        if conn.failures >= max {
            log::warn!("{} closed after {max} wrong logins", conn.peer);
            self.refuse(id, Reason::TooManyFailures);
            self.close(id, CloseReason::RateLimited, LeaveReason::Lost);
        } else {
            self.dialog_restart(id);
        }
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

    fn refuse_and_restart(&mut self, id: ConnId, reason: Reason<'_>) {
        self.refuse(id, reason);
        self.dialog_restart(id);
    }

    /// A new name must be valid, free, and not a configured admin's (the
    /// operator sets those; the network can never register them).
    fn check_new_name<'n>(&self, typed: &'n str) -> Result<UserName, Reason<'n>> {
        // A valid name is spelled as typed, so the refusal borrows `typed`.
        let name = UserName::parse(typed).map_err(Reason::BadName)?;
        if self.directory.is_config_admin(&name.key()) {
            return Err(Reason::NameReserved { name: typed });
        }
        // Online but not an account: a guest holds the name.
        if self.directory.is_taken(&name.key()) || self.online.contains_key(&name.key()) {
            return Err(Reason::NameTaken { name: typed });
        }
        Ok(name)
    }

    /// A guest comes in under a name no account holds and nobody online
    /// uses; refused (the dialog goes on) when the server takes no guests.
    fn start_guest(&mut self, id: ConnId, typed: &str) {
        if !self.config.irc_guests {
            return self.refuse(id, Reason::NotLoggedIn);
        }
        if self.cluster_refuses_login(id) {
            return;
        }
        let name = match self.check_new_name(typed) {
            // Someone online has it (not an account): the nick is in use.
            Err(Reason::NameTaken { .. })
                if self.online.contains_key(&NameKey::of(typed))
                    && !self.directory.is_taken(&NameKey::of(typed)) =>
            {
                return self.refuse(id, Reason::NameInUse { name: typed })
            }
            Ok(name) => name,
            Err(reason) => return self.refuse(id, reason),
        };
        let peer = self.conns.get(&id).map(|c| c.peer);
        log::info!("guest {name} from {}", Self::addr_text(peer));
        self.enter_room(id, name, true);
    }

    /// The registration throttles, per address and overall.
    fn check_registration(&self, peer: IpAddr) -> Result<(), Limited> {
        let l = &self.config.limits;
        let window = Duration::from_millis(l.registration_window_ms);
        self.registrations
            .check(&None, self.now, window, l.registrations_per_window)?;
        if !self.is_exempt(peer) {
            self.registrations
                .check(&Some(peer), self.now, window, l.registrations_per_address)?;
        }
        Ok(())
    }

    fn record_registration(&mut self, peer: IpAddr) {
        let l = &self.config.limits;
        let window = Duration::from_millis(l.registration_window_ms);
        let cap = l.throttle_capacity;
        let exempt = self.is_exempt(peer);
        self.registrations.record(None, self.now, window, cap);
        if !exempt {
            self.registrations.record(Some(peer), self.now, window, cap);
        }
    }

    pub(super) fn check_password(&self, password: &str) -> Result<(), Reason<'static>> {
        let l = &self.config.limits;
        if (l.min_password_bytes..=l.max_password_bytes).contains(&password.len()) {
            Ok(())
        } else {
            Err(Reason::PasswordLength {
                min: l.min_password_bytes,
                max: l.max_password_bytes,
            })
        }
    }

    /// Reserves the name and asks for the hash; the account is created once
    /// the store has it.
    fn start_register(&mut self, id: ConnId, name: &str, password: Password) {
        if self.cluster_refuses_login(id) {
            return self.dialog_restart(id);
        }
        let name = match self.check_new_name(name) {
            Ok(n) => n,
            Err(reason) => return self.refuse_and_restart(id, reason),
        };
        if let Err(reason) = self.check_password(password.expose()) {
            return self.refuse_and_restart(id, reason);
        }
        let Some(peer) = self.conns.get(&id).map(|c| c.peer) else {
            return;
        };
        if let Err(limited) = self.check_registration(peer) {
            log::warn!("registration from {peer} throttled");
            self.refuse_limited(id, LimitScope::Registrations, limited);
            return self.dialog_restart(id);
        }
        if !self.admit_password_work(id, peer) {
            return self.dialog_restart(id);
        }
        let Some(conn) = self.conn_ref(id) else {
            return;
        };
        self.record_registration(peer);
        self.directory.begin(name.key(), PendingKind::Register);
        self.working(id);
        self.new_job(
            Job::Register { conn, name },
            PasswordWork::Hash { password },
            peer,
        );
    }

    /// Checks the name's form first (a bad one never reaches a table), then
    /// the throttles; the attempt counts as it arrives.
    fn start_login(&mut self, id: ConnId, name: &str, password: Password) {
        if self.cluster_refuses_login(id) {
            return self.dialog_restart(id);
        }
        let key = match UserName::parse(name) {
            Ok(n) => n.key(),
            Err(e) => return self.refuse_and_restart(id, Reason::BadName(e)),
        };
        let Some(peer) = self.conns.get(&id).map(|c| c.peer) else {
            return;
        };
        let exempt = self.is_exempt(peer);
        if let Err(limited) = self.throttle.check(&key, peer, exempt, self.now) {
            log::warn!("login to {} from {peer} throttled", key.as_str());
            self.refuse_limited(id, LimitScope::LoginAttempts, limited);
            return self.dialog_restart(id);
        }
        if !self.admit_password_work(id, peer) {
            return self.dialog_restart(id);
        }
        let Some(conn) = self.conn_ref(id) else {
            return;
        };
        self.throttle
            .record_attempt(key.clone(), peer, exempt, self.now);
        let phc = self.directory.get(&key).map(|r| r.phc.clone());
        self.working(id);
        self.new_job(
            Job::Login { conn, key },
            PasswordWork::Verify { password, phc },
            peer,
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
                    match other {
                        Err(e) => self.password_work_failed(conn.id, &e),
                        Ok(_) => self.refuse(conn.id, Reason::CouldNotHash),
                    }
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
        if let Err(e) = &answer {
            // The check never ran (the caller was busy) or broke: not a
            // wrong password, so the attempt is not held against anyone.
            let exempt = self.is_exempt(peer);
            self.throttle.forgive(&key, peer, exempt);
            self.password_work_failed(id, e);
            self.dialog_restart(id);
            return self.done_working(id);
        }
        let matched = matches!(answer, Ok(PasswordAnswer::Verified(true)));
        let record = self.directory.get(&key).filter(|_| matched);
        let Some(name) = record.map(|r| r.name.clone()) else {
            log::warn!("failed login to {} from {peer}", key.as_str());
            self.fail(id, Reason::WrongCredentials);
            return self.done_working(id);
        };
        let exempt = self.is_exempt(peer);
        self.throttle.forgive(&key, peer, exempt);
        if self.kicks.contains(&key) {
            log::warn!("kicked user {name} refused from {peer}");
            self.refuse_and_restart(id, Reason::OnKickList);
        } else {
            if let Some(&old) = self.online.get(&key) {
                self.take_over(old, &key, &name, peer);
            }
            log::info!("login {name} from {peer}");
            self.send(id, &Reply::Ok(Done::Login(name.as_str())));
            // Done with the password before entering: a cluster's node
            // makes the next lines wait again, for the lobby's join.
            self.set_waiting(id, false);
            self.enter_room(id, name, false);
            return self.resume(id);
        }
        self.done_working(id);
    }

    /// The owner logged in again: the old session is told and closed (a
    /// dead or frozen client never locks its owner out); busy stays busy.
    fn take_over(&mut self, old: ConnId, key: &NameKey, name: &UserName, peer: IpAddr) {
        log::info!("{name} taken over by a login from {peer}");
        if self.presence_of(old) == Presence::Busy {
            self.carried_busy.insert(key.clone());
        }
        self.send(old, &Reply::Ctl(Control::Takeover));
        self.close(old, CloseReason::TakenOver, LeaveReason::TakenOver);
    }

    /// `/quit` or `/disconnect`, logged in or not; the others see the
    /// quit message, if one was given.
    pub(super) fn quit(&mut self, id: ConnId, reason: Option<&str>) {
        self.send(id, &Reply::Ctl(Control::Disconnect));
        let reason = reason.filter(|r| !refused_text(r));
        self.close_saying(id, CloseReason::Quit, LeaveReason::Quit, reason);
    }

    /// A client whose login was checked before it finished registering is
    /// ready: it enters now (taking the account over again if another
    /// session logged in to it meanwhile).
    fn ready(&mut self, id: ConnId) {
        let Some(conn) = self.conns.get_mut(&id) else {
            return;
        };
        let Phase::Dialog(Step::Verified { .. }) = &conn.phase else {
            return;
        };
        let Phase::Dialog(Step::Verified { name }) =
            std::mem::replace(&mut conn.phase, Phase::Dialog(Step::Working))
        else {
            return;
        };
        let peer = conn.peer;
        let key = name.key();
        if let Some(&old) = self.online.get(&key) {
            self.take_over(old, &key, &name, peer);
        }
        self.enter_room(id, name, false);
    }
}
