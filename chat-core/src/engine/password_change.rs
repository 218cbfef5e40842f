//! `/changepassword`: check the old password, hash the new one, store it.
//! With arguments on one line, or without them step by step (`ASK
//! old-password`, `new-password`, `new-password-again`), so a client can
//! hide what is typed and a password may hold spaces. And IRC's `OPER`,
//! an admin's password checked for a session.

use crate::password::{Password, PasswordError};
use crate::reply::{AskStep, Control, LimitScope, Reason, Reply};
use crate::{ConnId, Grant, StoreChange};

use super::connection::ChangeStep;
use super::directory::PendingKind;
use super::in_flight::Job;
use super::io::{PasswordAnswer, PasswordWork};
use super::{ConnRef, Engine};

impl Engine {
    pub(super) fn start_change_dialog(&mut self, id: ConnId) {
        self.set_change_step(id, Some(ChangeStep::Old));
        self.send(id, &Reply::ask(AskStep::OldPassword));
    }

    fn set_change_step(&mut self, id: ConnId, step: Option<ChangeStep>) {
        if let Some(s) = self.conns.get_mut(&id).and_then(|c| c.session_mut()) {
            // Boxed: a session rarely asks, and an idle one keeps 8 bytes.
            s.change = step.map(Box::new);
        }
    }

    /// The answer to a step of `/changepassword` without arguments.
    pub(super) fn on_change_answer(&mut self, id: ConnId, line: &str) {
        let Some(step) = self
            .conns
            .get_mut(&id)
            .and_then(|c| c.session_mut())
            .and_then(|s| s.change.take())
            .map(|step| *step)
        else {
            return;
        };
        match step {
            ChangeStep::Old => {
                let old = Password::new(line);
                self.set_change_step(id, Some(ChangeStep::New { old }));
                self.send(id, &Reply::ask(AskStep::NewPassword));
            }
            ChangeStep::New { old } => {
                if let Err(reason) = self.check_password(line) {
                    // A typo: ask this step again.
                    self.refuse(id, reason);
                    self.set_change_step(id, Some(ChangeStep::New { old }));
                    return self.send(id, &Reply::ask(AskStep::NewPassword));
                }
                let new = Password::new(line);
                self.set_change_step(id, Some(ChangeStep::Again { old, new }));
                self.send(id, &Reply::ask(AskStep::NewPasswordAgain));
            }
            ChangeStep::Again { old, new } => {
                if new.expose() != line {
                    self.refuse(id, Reason::PasswordMismatch);
                    self.set_change_step(id, Some(ChangeStep::New { old }));
                    return self.send(id, &Reply::ask(AskStep::NewPassword));
                }
                self.change_password(id, old.expose(), new.expose());
            }
        }
    }

    pub(super) fn change_password(&mut self, id: ConnId, old: &str, new: &str) {
        if let Err(reason) = self.check_password(new) {
            return self.refuse(id, reason);
        }
        let Some(conn) = self.conns.get(&id) else {
            return;
        };
        let peer = conn.peer;
        let Some(key) = conn.session().map(|s| s.key.clone()) else {
            return;
        };
        let exempt = self.is_exempt(peer);
        if let Err(limited) = self.throttle.check(&key, peer, exempt, self.now) {
            log::warn!("password change of {} from {peer} throttled", key.as_str());
            return self.refuse_limited(id, LimitScope::WrongPasswords, limited);
        }
        if self.directory.pending(&key).is_some() {
            return self.refuse(
                id,
                Reason::ChangeInFlight {
                    name: None,
                    retry_hint: false,
                },
            );
        }
        if !self.admit_password_work(id, peer) {
            return;
        }
        let (Some(conn), Some(record)) = (self.conn_ref(id), self.directory.get(&key)) else {
            return;
        };
        let phc = Some(record.phc.clone());
        self.throttle.record_attempt(key, peer, exempt, self.now);
        self.set_waiting(id, true);
        self.new_job(
            Job::CheckOldPassword {
                conn,
                new: Password::new(new),
            },
            PasswordWork::Verify {
                password: Password::new(old),
                phc,
            },
            peer,
        );
    }

    fn password_change_failed(&mut self, conn: ConnRef, reason: Reason<'_>) {
        self.refuse(conn.id, reason);
        self.set_waiting(conn.id, false);
        self.resume(conn.id);
    }

    pub(super) fn on_old_password_checked(
        &mut self,
        conn: ConnRef,
        new: Password,
        answer: Result<PasswordAnswer, PasswordError>,
    ) {
        if !self.live(conn) {
            return;
        }
        let Some(peer) = self.conns.get(&conn.id).map(|c| c.peer) else {
            return;
        };
        match answer {
            Ok(PasswordAnswer::Verified(true)) => {
                if let Some(key) = self.session_key(conn.id) {
                    let exempt = self.is_exempt(peer);
                    self.throttle.forgive(&key, peer, exempt);
                }
                self.new_job(
                    Job::HashNewPassword { conn },
                    PasswordWork::Hash { password: new },
                    peer,
                );
            }
            Ok(_) => {
                if let Some(key) = self.session_key(conn.id) {
                    log::warn!("wrong old password for {} from {peer}", key.as_str());
                }
                self.password_change_failed(conn, Reason::WrongOldPassword);
            }
            Err(e) => {
                log::warn!("password check failed: {e}");
                let busy = matches!(e, PasswordError::Busy);
                self.password_change_failed(conn, Reason::CouldNotCheckPassword { busy });
            }
        }
    }

    pub(super) fn on_new_password_hashed(
        &mut self,
        conn: ConnRef,
        answer: Result<PasswordAnswer, PasswordError>,
    ) {
        if !self.live(conn) {
            return;
        }
        let phc = match answer {
            Ok(PasswordAnswer::Hashed(phc)) => phc,
            Ok(_) => return self.password_change_failed(conn, Reason::HashingFailed),
            Err(e) => {
                log::warn!("password hashing failed: {e}");
                return self.password_change_failed(conn, Reason::HashingFailed);
            }
        };
        let Some(session) = self.conns.get(&conn.id).and_then(|c| c.session()) else {
            return;
        };
        let (key, name) = (session.key.clone(), session.name.clone());
        if !self.directory.begin(key, PendingKind::Other) {
            return self.password_change_failed(
                conn,
                Reason::ChangeInFlight {
                    name: None,
                    retry_hint: true,
                },
            );
        }
        self.persist(Some(conn), StoreChange::SetPassword { name, phc });
    }

    /// IRC's `OPER`: the password of the admin account `name` is checked
    /// as a login's (throttled the same way, the attempt counted against
    /// the account and the address); the connection's lines wait for it.
    pub(super) fn oper(&mut self, id: ConnId, name: &str, password: &str) {
        let Ok(key) = crate::UserName::parse(name).map(|n| n.key()) else {
            return self.refuse(id, Reason::WrongCredentials);
        };
        let Some(peer) = self.conns.get(&id).map(|c| c.peer) else {
            return;
        };
        let exempt = self.is_exempt(peer);
        if let Err(limited) = self.throttle.check(&key, peer, exempt, self.now) {
            log::warn!("OPER as {} from {peer} throttled", key.as_str());
            return self.refuse_limited(id, LimitScope::LoginAttempts, limited);
        }
        if !self.admit_password_work(id, peer) {
            return;
        }
        let Some(conn) = self.conn_ref(id) else {
            return;
        };
        self.throttle
            .record_attempt(key.clone(), peer, exempt, self.now);
        let phc = self.directory.get(&key).map(|r| r.phc.clone());
        self.set_waiting(id, true);
        self.new_job(
            Job::Oper { conn, key },
            PasswordWork::Verify {
                password: Password::new(password),
                phc,
            },
            peer,
        );
    }

    /// `OPER`'s password checked: with the right password of an admin's
    /// account, the session has an admin's grant until it ends (nothing
    /// is stored: the account keeps its own).
    pub(super) fn on_oper_verified(
        &mut self,
        conn: ConnRef,
        key: crate::NameKey,
        answer: Result<PasswordAnswer, PasswordError>,
    ) {
        if !self.live(conn) {
            return;
        }
        let id = conn.id;
        let Some(peer) = self.conns.get(&id).map(|c| c.peer) else {
            return;
        };
        let exempt = self.is_exempt(peer);
        match answer {
            Err(e) => {
                self.throttle.forgive(&key, peer, exempt);
                self.password_work_failed(id, &e);
            }
            Ok(PasswordAnswer::Verified(true)) => {
                self.throttle.forgive(&key, peer, exempt);
                let admin = self.directory.get(&key).is_some_and(|r| r.grant.is_admin());
                let session = self.conns.get_mut(&id).and_then(|c| c.session_mut());
                match session {
                    Some(session) if admin => {
                        log::info!("{} is an operator as {}", session.name, key.as_str());
                        session.grant = Grant::Admin;
                        self.send(id, &Reply::Ctl(Control::Grant(Grant::Admin)));
                    }
                    _ => self.refuse(id, Reason::AdminOnly),
                }
            }
            Ok(_) => {
                log::warn!("failed OPER as {} from {peer}", key.as_str());
                self.refuse(id, Reason::WrongCredentials);
            }
        }
        self.set_waiting(id, false);
        self.resume(id);
    }

    fn session_key(&self, id: ConnId) -> Option<crate::NameKey> {
        self.conns
            .get(&id)
            .and_then(|c| c.session())
            .map(|s| s.key.clone())
    }
}
