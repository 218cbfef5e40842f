//! Connections coming and going, deadlines, announcements and shutdown.

use std::net::IpAddr;
use std::time::Duration;

use crate::reply::{Control, FullScope, LeaveReason, Reason, Reply};
use crate::wire::render;
use crate::{ConnId, Frame, UserName};

use super::connection::{Connection, Flood, Phase, Session};
use super::held::HeldLines;
use super::io::{ChatEvent, CloseReason, Output};
use super::room::Room;
use super::text::has_unsafe_char;
use super::timers::TimerKind;
use super::{Engine, LOBBY};

impl Engine {
    pub(super) fn on_opened(&mut self, id: ConnId, peer: IpAddr) {
        if self.conns.contains_key(&id) {
            // The caller reused an id without telling us the old one closed.
            self.forget(id, LeaveReason::Lost);
        }
        let hello = Reply::Hello {
            server: &self.config.server_name,
        };
        let l = &self.config.limits;
        let refusal = if self.stopped {
            Some(FullScope::ShuttingDown)
        } else if self.conns.len() >= l.max_connections {
            Some(FullScope::Server)
        } else if !self.is_exempt(peer)
            && self.per_address.get(&peer).copied().unwrap_or(0) >= l.max_connections_per_address
        {
            Some(FullScope::Address)
        } else {
            None
        };
        if let Some(scope) = refusal {
            log::warn!("connection from {peer} refused: {scope:?}");
            let err = Reply::Refused(Reason::Full(scope));
            self.out.send_many(id, [hello, err]);
            self.out.close(id, CloseReason::Refused);
            return;
        }
        let serial = self.next_serial;
        self.next_serial += 1;
        let conn = Connection::new(serial, peer, l.max_line_bytes, l.command_burst, self.now);
        let deadline = self.now + Duration::from_millis(l.login_timeout_ms);
        self.out
            .send_many(id, [hello, Reply::Ask(crate::reply::AskStep::Account)]);
        self.conns.insert(id, conn);
        *self.per_address.entry(peer).or_insert(0) += 1;
        self.timers.arm(deadline, id, serial, TimerKind::Login);
    }

    pub(super) fn is_exempt(&self, peer: IpAddr) -> bool {
        self.config.limits.exempt_loopback && peer.is_loopback()
    }

    /// Removes a connection; if its user was in the room, the others see
    /// `LEAVE` with `reason`.
    pub(super) fn forget(&mut self, id: ConnId, reason: LeaveReason) {
        let Some(conn) = self.conns.remove(&id) else {
            return;
        };
        if let Some(n) = self.per_address.get_mut(&conn.peer) {
            *n -= 1;
            if *n == 0 {
                self.per_address.remove(&conn.peer);
            }
        }
        if let Phase::Online(session) = conn.phase {
            self.online.remove(&session.key);
            self.lobby.leave(id);
            self.broadcast(&Reply::Leave {
                at: self.now,
                user: session.name.as_str(),
                reason,
            });
            if self.config.emit_events {
                self.out.event(ChatEvent::Left {
                    at: self.now,
                    user: session.name,
                    reason,
                });
            }
        }
        if self.timers.len() > 2 * self.conns.len() + 1024 {
            let conns = &self.conns;
            self.timers
                .retain(|c, serial| conns.get(&c).is_some_and(|x| x.serial == serial));
        }
    }

    /// The engine ends a connection: what was sent is flushed, then it is
    /// closed; others see `LEAVE` with `leave`.
    pub(super) fn close(&mut self, id: ConnId, reason: CloseReason, leave: LeaveReason) {
        if self.conns.contains_key(&id) {
            self.out.close(id, reason);
            self.forget(id, leave);
        }
    }

    /// A user is logged in: `WELCOME`, then into the room.
    pub(super) fn enter_room(&mut self, id: ConnId, name: UserName) {
        let key = name.key();
        let grant = self
            .directory
            .get(&key)
            .map_or(crate::Grant::User, |r| self.directory.grant_of(r));
        let now = self.now;
        let idle = self.config.limits.idle_timeout_ms;
        let burst = self.config.limits.message_burst;
        let Some(conn) = self.conns.get_mut(&id) else {
            return;
        };
        conn.failures = 0;
        let serial = conn.serial;
        self.out.send(
            id,
            &Reply::Welcome {
                user: name.as_str(),
                grant,
            },
        );
        self.online.insert(key.clone(), id);
        self.lobby.join(id);
        self.broadcast(&Reply::Join {
            at: now,
            user: name.as_str(),
        });
        if self.config.emit_events {
            self.out.event(ChatEvent::Joined {
                at: now,
                user: name.clone(),
            });
        }
        // Busy before a restart: busy again.
        let carried = self.carried_busy.remove(&key);
        if let Some(conn) = self.conns.get_mut(&id) {
            conn.phase = Phase::Online(Session {
                name,
                key,
                grant,
                held: None,
                last_active: now,
                flood: Flood::new(burst, now),
                change: None,
            });
        }
        if carried {
            if let Some(session) = self.conns.get_mut(&id).and_then(Connection::session_mut) {
                session.held = Some(HeldLines::default());
                self.lobby.set_presence(id, crate::reply::Presence::Busy);
                self.out.send(id, &Reply::Ctl(Control::Busy));
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

    pub(super) fn on_timeout(&mut self) {
        let now = self.now;
        while let Some((id, serial, kind)) = self.timers.pop_due(now) {
            let Some(conn) = self.conns.get(&id).filter(|c| c.serial == serial) else {
                continue;
            };
            match (kind, conn.session()) {
                (TimerKind::Login, None) => {
                    self.refuse(id, Reason::LoginTimeout);
                    self.close(id, CloseReason::Timeout, LeaveReason::Timeout);
                }
                (TimerKind::Idle, Some(session)) => {
                    let idle = Duration::from_millis(self.config.limits.idle_timeout_ms);
                    let due = session.last_active + idle;
                    if due <= now {
                        self.out.send_many(
                            id,
                            [
                                Reply::Refused(Reason::IdleTimeout),
                                Reply::Ctl(Control::Disconnect),
                            ],
                        );
                        self.close(id, CloseReason::Timeout, LeaveReason::Timeout);
                    } else {
                        self.timers.arm(due, id, serial, TimerKind::Idle);
                    }
                }
                _ => {}
            }
        }
    }

    pub(super) fn on_announce(&mut self, text: &str) {
        // Operator text may hold line breaks: each line is its own INFO.
        let mut out = Vec::new();
        for line in text.lines().filter(|l| !l.trim().is_empty()) {
            let clean: String = line
                .chars()
                .map(|c| {
                    let mut buf = [0; 4];
                    if has_unsafe_char(c.encode_utf8(&mut buf)) {
                        ' '
                    } else {
                        c
                    }
                })
                .collect();
            render(&Reply::Info(&clean), &mut out);
        }
        if out.is_empty() {
            return;
        }
        self.broadcast_frame(Frame::from(out));
        if self.config.emit_events {
            self.out.event(ChatEvent::Announcement {
                at: self.now,
                text: text.into(),
            });
        }
    }

    /// Every client gets `CTL shutdown` (or `CTL restart`) and is closed;
    /// then [`Output::Stop`].
    pub(super) fn stop(&mut self, restart: bool) {
        if self.stopped {
            return;
        }
        self.stopped = true;
        self.busy_at_stop = self.busy_names();
        let (ctl, reason) = if restart {
            (Control::Restart, CloseReason::Restart)
        } else {
            (Control::Shutdown, CloseReason::Shutdown)
        };
        let mut out = Vec::new();
        render(&Reply::Ctl(ctl), &mut out);
        let frame = Frame::from(out);
        let mut ids: Vec<ConnId> = self.conns.keys().copied().collect();
        ids.sort_unstable();
        for id in ids {
            self.out.send_frame(id, frame.clone());
            self.out.close(id, reason);
            if let Some(session) = self.conns.get(&id).and_then(Connection::session) {
                if self.config.emit_events {
                    self.out.event(ChatEvent::Left {
                        at: self.now,
                        user: session.name.clone(),
                        reason: LeaveReason::Shutdown,
                    });
                }
            }
        }
        self.conns.clear();
        self.online.clear();
        self.per_address.clear();
        self.lobby = Room::new(LOBBY, self.config.hash_seed);
        self.timers.clear();
        self.out.push(Output::Stop { restart });
    }
}
