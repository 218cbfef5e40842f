//! Registering an account: the name and password checked, registrations
//! counted per address and in all, the password hashed by the caller, the
//! account made durable before it is acknowledged.

use std::net::IpAddr;
use std::time::Duration;

use crate::password::{Password, PasswordError};
use crate::reply::{LimitScope, Reason};
use crate::{ConnId, Grant, StoreChange, UserName, UserRecord};

use super::connection::ConnRef;
use super::directory::PendingKind;
use super::in_flight::Job;
use super::io::{PasswordAnswer, PasswordWork};
use super::throttle::Limited;
use super::Engine;

impl Engine {
    /// A new name must be valid, free, and not a configured admin's (the
    /// operator sets those; the network can never register them).
    pub(super) fn check_new_name<'n>(&self, typed: &'n str) -> Result<UserName, Reason<'n>> {
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

    /// The registration throttles, per address and overall.
    pub(super) fn check_registration(&self, peer: IpAddr) -> Result<(), Limited> {
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

    pub(super) fn record_registration(&mut self, peer: IpAddr) {
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
    pub(super) fn start_register(&mut self, id: ConnId, name: &str, password: Password) {
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
}
