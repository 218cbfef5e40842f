//! Connections coming and going, deadlines, announcements and shutdown.

use std::net::IpAddr;
use std::time::Duration;

use crate::reply::Presence;
use crate::reply::{Control, FullScope, LeaveReason, Reason, Reply};
use crate::seam::{CodecOptions, Protocol, Rendering};
use crate::{ConnId, Frame, UserName};

use super::connection::{Connection, Flood, Identity, Phase, Session};
use super::io::{ChatEvent, CloseReason, Output};
use super::room_commands::Leaver;
use super::text::has_unsafe_char;
use super::timers::TimerKind;
use super::Engine;

impl Engine {
    pub(super) fn on_opened(&mut self, id: ConnId, peer: IpAddr, protocol: Protocol) {
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
            let mut out = Vec::new();
            (self.open_codec)(protocol, &self.codec_options()).render(&[hello, err], &mut out);
            self.out.send_frame(id, Frame::from(out));
            self.out.close(id, CloseReason::Refused);
            return;
        }
        let serial = self.next_serial;
        self.next_serial += 1;
        let codec = (self.open_codec)(protocol, &self.codec_options());
        let pinged = codec.wants_keepalive() && l.irc_ping_interval_ms > 0;
        let conn = Connection::new(serial, peer, codec, l.command_burst, self.now);
        let deadline = self.now + Duration::from_millis(l.login_timeout_ms);
        let ping_at = self.now + Duration::from_millis(l.irc_ping_interval_ms);
        self.conns.insert(id, Box::new(conn));
        let first = [hello, Reply::ask(crate::reply::AskStep::Account)];
        Self::send_to(&mut self.conns, &mut self.out, id, &first);
        *self.per_address.entry(peer).or_insert(0) += 1;
        self.timers.arm(deadline, id, serial, TimerKind::Login);
        if pinged {
            self.timers.arm(ping_at, id, serial, TimerKind::Ping);
        }
    }

    /// What a connection's codec is told when it opens.
    fn codec_options(&self) -> CodecOptions {
        CodecOptions {
            guests: self.config.irc_guests,
            ..CodecOptions::new(
                self.config.limits.max_line_bytes,
                std::sync::Arc::clone(&self.server_name),
            )
        }
    }

    pub(super) fn is_exempt(&self, peer: IpAddr) -> bool {
        self.config.limits.exempt_loopback && peer.is_loopback()
    }

    /// Removes a connection; if its user was in the room, the others see
    /// `LEAVE` with `reason`.
    pub(super) fn forget(&mut self, id: ConnId, reason: LeaveReason) {
        self.forget_as(id, reason, None, None);
    }

    /// [`forget`](Engine::forget); `kick` names the admin and the reason
    /// of a kick, which the room's line carries, and `text` is the user's
    /// own words (a quit message).
    fn forget_as(
        &mut self,
        id: ConnId,
        reason: LeaveReason,
        kick: Option<(&str, Option<&str>)>,
        text: Option<&str>,
    ) {
        let Some(conn) = self.conns.remove(&id) else {
            return;
        };
        // An admin's `/closeroomsof` ends with the admin's connection.
        self.bulk_closes.remove(&id);
        if let Some(n) = self.per_address.get_mut(&conn.peer) {
            *n -= 1;
            if *n == 0 {
                self.per_address.remove(&conn.peer);
            }
        }
        if let Phase::Online(session) = conn.phase {
            if self.online.get(&session.key) == Some(&id) {
                self.online.remove(&session.key);
            }
            let lobby = self.rooms.lobby_key().clone();
            if self.cluster.is_some() {
                let mut rooms = session.rooms.clone();
                rooms.push(lobby);
                let name = session.name.as_str();
                return self.cluster_leave(id, &rooms, name, reason, kick);
            }
            // Its rooms, then the lobby: leaving the lobby is leaving the
            // server (an IRC client's QUIT takes it out of every channel).
            let (by, why) = match kick {
                Some((by, why)) => (Some(by), why),
                None => (None, text),
            };
            let leaver = Leaver {
                user: &session.name,
                who: session.identity(),
                by,
                text: why,
            };
            self.leave_rooms(id, &session.rooms, &leaver, reason);
            self.leave_room(id, &lobby, &leaver, reason, kick);
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
        self.close_saying(id, reason, leave, None);
    }

    /// [`close`](Engine::close), the others told the user's own words
    /// (a quit message).
    pub(super) fn close_saying(
        &mut self,
        id: ConnId,
        reason: CloseReason,
        leave: LeaveReason,
        text: Option<&str>,
    ) {
        if self.conns.contains_key(&id) {
            self.out.close(id, reason);
            self.forget_as(id, leave, None, text);
        }
    }

    /// An admin kicked the user out: the user is told (`CTL kick`), the
    /// connection closed once that is flushed, and the room sees the kick
    /// with its actor.
    pub(super) fn kick_out(&mut self, id: ConnId, by: &str, reason: Option<&str>) {
        if self.conns.contains_key(&id) {
            self.send(id, &Reply::Ctl(Control::Kick { by, reason }));
            self.out.close(id, CloseReason::Kicked);
            self.forget_as(id, LeaveReason::Kicked, Some((by, reason)), None);
        }
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

    pub(super) fn on_timeout(&mut self) {
        let now = self.now;
        self.close_empty_rooms();
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
                        self.send_many(
                            id,
                            &[
                                Reply::Refused(Reason::IdleTimeout),
                                Reply::Ctl(Control::Disconnect),
                            ],
                        );
                        self.close(id, CloseReason::Timeout, LeaveReason::Timeout);
                    } else {
                        self.timers.arm(due, id, serial, TimerKind::Idle);
                    }
                }
                (TimerKind::Ping, _) => self.on_ping_due(id, serial),
                _ => {}
            }
        }
    }

    /// A connection's ping deadline: ping it if it has been quiet for the
    /// interval, close it if its ping went unanswered for the timeout, or
    /// wait until the next such moment. One timer entry per connection.
    fn on_ping_due(&mut self, id: ConnId, serial: u64) {
        let now = self.now;
        let l = &self.config.limits;
        let interval = Duration::from_millis(l.irc_ping_interval_ms);
        let timeout = Duration::from_millis(l.irc_ping_timeout_ms);
        let Some(conn) = self.conns.get_mut(&id) else {
            return;
        };
        let due = match conn.pinged {
            Some(sent) if sent + timeout <= now => {
                log::info!("{} ({id}) closed: ping timeout", conn.peer);
                self.refuse(id, Reason::PingTimeout);
                return self.close(id, CloseReason::Timeout, LeaveReason::Timeout);
            }
            Some(sent) => sent + timeout,
            None if conn.last_heard + interval <= now => {
                conn.pinged = Some(now);
                self.send(
                    id,
                    &Reply::Ping {
                        token: now.as_u64(),
                    },
                );
                now + timeout
            }
            None => conn.last_heard + interval,
        };
        self.timers.arm(due, id, serial, TimerKind::Ping);
    }

    pub(super) fn on_announce(&mut self, text: &str) {
        // Operator text may hold line breaks: each line is its own INFO.
        let mut lines = Vec::new();
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
            lines.push(clean);
        }
        if lines.is_empty() {
            return;
        }
        if self.cluster.is_some() {
            return self.cluster_announce(&lines);
        }
        let replies: Vec<Reply<'_>> = lines.iter().map(|l| Reply::Info(l)).collect();
        self.broadcast_lobby(None, &replies);
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
        if self.cluster.is_some() {
            self.cluster_leave_all(LeaveReason::Shutdown);
        }
        let (ctl, reason) = if restart {
            (Control::Restart, CloseReason::Restart)
        } else {
            (Control::Shutdown, CloseReason::Shutdown)
        };
        // Rendered once per rendering, shared by its connections.
        let mut frames: [Option<Frame>; Rendering::SLOTS] = Default::default();
        let mut ids: Vec<(ConnId, Rendering)> = self
            .conns
            .iter()
            .map(|(id, c)| (*id, c.codec.rendering()))
            .collect();
        ids.sort_unstable_by_key(|(id, _)| *id);
        for (id, rendering) in ids {
            let frame = frames[rendering.slot()]
                .get_or_insert_with(|| rendering.render(&self.server_name, &[Reply::Ctl(ctl)]))
                .clone();
            self.out.send_frame(id, frame);
            self.out.close(id, reason);
            if let Some(session) = self.conns.get(&id).and_then(|c| c.session()) {
                if self.config.emit_events {
                    // Out of its rooms, then the lobby, as at any logout.
                    let rooms = session.rooms.iter().chain([self.rooms.lobby_key()]);
                    for key in rooms {
                        let Some(channel) = self.rooms.get(key) else {
                            continue;
                        };
                        self.out.event(ChatEvent::Left {
                            at: self.now,
                            room: channel.room_name(),
                            user: session.name.clone(),
                            reason: LeaveReason::Shutdown,
                        });
                    }
                }
            }
        }
        self.conns.clear();
        self.online.clear();
        self.per_address.clear();
        self.rooms.clear_members();
        self.timers.clear();
        self.out.push(Output::Stop { restart });
    }
}
