//! Logging in: the password checked by the caller (or a guest let in), an
//! older session of the account taken over, and the user welcomed into
//! the lobby.

use std::net::IpAddr;
use std::time::Duration;

use crate::password::{Password, PasswordError};
use crate::reply::{Control, Done, LeaveReason, LimitScope, Presence, Reason, Reply};
use crate::{ConnId, NameKey, UserName};

use super::connection::{ConnRef, Flood, Identity, Phase, Session, Step};
use super::in_flight::Job;
use super::io::{CloseReason, PasswordAnswer, PasswordWork};
use super::timers::TimerKind;
use super::Engine;

impl Engine {
    /// A guest comes in under a name no account holds and nobody online
    /// uses; refused (the dialog goes on) when the server takes no guests.
    pub(super) fn start_guest(&mut self, id: ConnId, typed: &str) {
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

    /// Checks the name's form first (a bad one never reaches a table), then
    /// the throttles; the attempt counts as it arrives. A connection
    /// logged in already keeps its session while the password is checked
    /// (see `account_switch`); a refusal then leaves it as it was.
    pub(super) fn start_login(&mut self, id: ConnId, name: &str, password: Password) {
        let online = self.session(id).is_some();
        let restart = |engine: &mut Engine| {
            if !online {
                engine.dialog_restart(id);
            }
        };
        if self.cluster_refuses_login(id) {
            return restart(self);
        }
        let key = match UserName::parse(name) {
            Ok(n) => n.key(),
            Err(e) => {
                self.refuse(id, Reason::BadName(e));
                return restart(self);
            }
        };
        let Some(peer) = self.conns.get(&id).map(|c| c.peer) else {
            return;
        };
        let exempt = self.is_exempt(peer);
        if let Err(limited) = self.throttle.check(&key, peer, exempt, self.now) {
            log::warn!("login to {} from {peer} throttled", key.as_str());
            self.refuse_limited(id, LimitScope::LoginAttempts, limited);
            return restart(self);
        }
        if !self.admit_password_work(id, peer) {
            return restart(self);
        }
        let Some(conn) = self.conn_ref(id) else {
            return;
        };
        self.throttle
            .record_attempt(key.clone(), peer, exempt, self.now);
        let phc = self.directory.get(&key).map(|r| r.phc.clone());
        if online {
            // Its lines wait for the answer, as a login's do.
            self.set_waiting(id, true);
        } else {
            self.working(id);
        }
        self.new_job(
            Job::Login { conn, key },
            PasswordWork::Verify { password, phc },
            peer,
        );
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
        if self.session(id).is_some() {
            return self.on_switch_verified(id, peer, key, answer);
        }
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
    pub(super) fn take_over(&mut self, old: ConnId, key: &NameKey, name: &UserName, peer: IpAddr) {
        log::info!("{name} taken over by a login from {peer}");
        if self.presence_of(old) == Presence::Busy {
            self.carried_busy.insert(key.clone());
        }
        self.send(old, &Reply::Ctl(Control::Takeover));
        self.close(old, CloseReason::TakenOver, LeaveReason::TakenOver);
    }

    /// A client whose login was checked before it finished registering is
    /// ready: it enters now (taking the account over again if another
    /// session logged in to it meanwhile).
    pub(super) fn ready(&mut self, id: ConnId) {
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

    /// A user is logged in (or a guest let in): `WELCOME`, then into the
    /// room. A client still registering (IRC's SASL before `CAP END`)
    /// enters once it is done, on [`Command::Ready`](crate::Command::Ready).
    pub(super) fn enter_room(&mut self, id: ConnId, mut name: UserName, guest: bool) {
        if let Some(conn) = self.conns.get_mut(&id) {
            if !conn.codec.ready_to_enter() {
                conn.phase = Phase::Dialog(super::connection::Step::Verified { name });
                return;
            }
        }
        let mut key = name.key();
        let mut grant = crate::Grant::User;
        if let Some((stored_key, record)) = self.directory.get_key_value(&key) {
            grant = self.directory.grant_of(record);
            // The session and the online index share the directory's
            // strings: an idle connection holds no copy of its name.
            if record.name == name {
                name = record.name.clone();
            }
            key = stored_key.clone();
        }
        let now = self.now;
        let idle = self.config.limits.idle_timeout_ms;
        let burst = self.config.limits.message_burst;
        let Some(conn) = self.conns.get_mut(&id) else {
            return;
        };
        conn.failures = 0;
        let (serial, names_on_join) = (conn.serial, conn.codec.lists_room_on_join());
        let identity = match conn.codec.identity() {
            (None, None) => None,
            (user_name, real_name) => Some(std::sync::Arc::new(Identity {
                user_name: user_name.map(Into::into),
                real_name: real_name.map(Into::into),
            })),
        };
        // A node welcomes once the lobby's log has the join (see
        // `cluster_enter_lobby`): whatever anyone says after `WELCOME` is
        // then after the join, and reaches this user, as on one server.
        if self.cluster.is_none() {
            self.send(
                id,
                &Reply::Welcome {
                    user: name.as_str(),
                    grant,
                },
            );
        }
        self.online.insert(key.clone(), id);
        // A node's lobby join goes through the cluster's log.
        let cluster_user = self.cluster.is_some().then(|| name.clone());
        // Busy before a restart: busy again.
        let carried = self.carried_busy.remove(&key);
        if let Some(conn) = self.conns.get_mut(&id) {
            conn.phase = Phase::Online(Session {
                name,
                key,
                grant,
                guest,
                held: None,
                last_active: now,
                flood: Flood::new(burst, now),
                change: None,
                rooms: Vec::new(),
                identity,
                away: None,
                since: now,
                invisible: false,
            });
        }
        // Into the lobby as into any room; `WELCOME` was the answer.
        if let Some(user) = cluster_user {
            self.cluster_enter_lobby(id, user, guest);
        } else {
            let lobby = self.rooms.lobby_key().clone();
            self.admit(id, &lobby);
        }
        // A node lists the lobby once its log brings the join back.
        if names_on_join && self.cluster.is_none() {
            self.view_users(id, 1);
        }
        if carried {
            if let Some(session) = self.conns.get_mut(&id).and_then(|c| c.session_mut()) {
                session.held = Some(Box::default());
                self.in_every_room(id, |room| room.set_presence(id, Presence::Busy));
                self.send(id, &Reply::Ctl(Control::Busy));
                self.announce_away(id, true);
            }
        }
        if idle > 0 {
            self.timers.arm(
                now + Duration::from_millis(idle),
                id,
                serial,
                TimerKind::Idle,
            );
        }
    }
}
