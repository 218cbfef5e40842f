//! `/changepassword`: check the old password, hash the new one, store it.

use crate::password::{Password, PasswordError};
use crate::{ConnId, ErrorCode, StoreChange};

use super::connection::Connection;
use super::directory::PendingKind;
use super::io::{PasswordAnswer, PasswordWork};
use super::{ConnRef, Engine, Job};

impl Engine {
    pub(super) fn change_password(&mut self, id: ConnId, old: &str, new: &str) {
        if let Err((code, text)) = self.check_password(new) {
            return self.refuse(id, code, &text);
        }
        let Some(conn) = self.conns.get(&id) else {
            return;
        };
        let peer = conn.peer;
        let Some(key) = conn.session().map(|s| s.key.clone()) else {
            return;
        };
        let addr = (!self.is_exempt(peer)).then_some(peer);
        if self.throttle.is_limited(&key, addr, self.now) {
            return self.refuse(
                id,
                ErrorCode::RateLimited,
                "too many wrong passwords; try later",
            );
        }
        if self.directory.pending(&key).is_some() {
            return self.refuse(id, ErrorCode::TryAgain, "a change to you is being saved");
        }
        let (Some(conn), Some(record)) = (self.conn_ref(id), self.directory.get(&key)) else {
            return;
        };
        let phc = Some(record.phc.clone());
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
        );
    }

    fn password_change_failed(&mut self, conn: ConnRef, code: ErrorCode, text: &str) {
        self.refuse(conn.id, code, text);
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
        match answer {
            Ok(PasswordAnswer::Verified(true)) => {
                self.new_job(
                    Job::HashNewPassword { conn },
                    PasswordWork::Hash { password: new },
                );
            }
            Ok(_) => {
                let peer = self.conns.get(&conn.id).map(|c| c.peer);
                let key = self.session_key(conn.id);
                if let (Some(peer), Some(key)) = (peer, key) {
                    let addr = (!self.is_exempt(peer)).then_some(peer);
                    self.throttle.record_failure(key, addr, self.now);
                }
                self.password_change_failed(conn, ErrorCode::BadCredentials, "wrong old password");
            }
            Err(e) => self.password_change_failed(conn, ErrorCode::ServerError, &e.to_string()),
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
            Ok(_) => {
                return self.password_change_failed(conn, ErrorCode::ServerError, "hashing failed")
            }
            Err(e) => {
                return self.password_change_failed(conn, ErrorCode::ServerError, &e.to_string())
            }
        };
        let Some(session) = self.conns.get(&conn.id).and_then(Connection::session) else {
            return;
        };
        let (key, name) = (session.key.clone(), session.name.clone());
        if !self.directory.begin(key, PendingKind::Other) {
            return self.password_change_failed(
                conn,
                ErrorCode::TryAgain,
                "a change to you is being saved; try again",
            );
        }
        self.persist(Some(conn), StoreChange::SetPassword { name, phc });
    }

    fn session_key(&self, id: ConnId) -> Option<crate::NameKey> {
        self.conns
            .get(&id)
            .and_then(Connection::session)
            .map(|s| s.key.clone())
    }
}
