//! Connections coming and going: opened (or refused at the limits on
//! connections per address and in all), closed, forgotten with their user
//! out of every room, kicked out, quitting; and who a connection is.

use std::net::IpAddr;
use std::time::Duration;

use crate::reply::{Control, FullScope, LeaveReason, Reason, Reply};
use crate::seam::{CodecOptions, Protocol};
use crate::{ConnId, Frame};

use super::connection::{Connection, Phase, Sender, Session};
use super::io::CloseReason;
use super::membership::Leaver;
use super::text::refused_text;
use super::timers::TimerKind;
use super::{ConnRef, Engine};

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
            && self.per_address.get(&peer) >= l.max_connections_per_address
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
        self.per_address.add(peer);
        self.timers.arm(deadline, id, serial, TimerKind::Login);
        if pinged {
            self.timers.arm(ping_at, id, serial, TimerKind::Ping);
        }
    }

    /// What a connection's codec is told when it opens.
    fn codec_options(&self) -> CodecOptions {
        CodecOptions {
            guests: self.config.irc_guests,
            history_page_lines: self.config.limits.history_page_lines,
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
        self.answers_open.remove(&id);
        self.per_address.remove(&conn.peer);
        if let Phase::Online(session) = conn.phase {
            self.forget_session(id, &session);
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

    /// A session on `id` ends: out of the online index (unless another
    /// connection holds the name by now), and a guest's private
    /// conversations end with it.
    pub(super) fn forget_session(&mut self, id: ConnId, session: &Session) {
        if self.online.get(&session.key) == Some(&id) {
            self.online.remove(&session.key);
        }
        if session.guest {
            let side = super::private_pairs::guest_side(&session.key, id);
            self.private.forget_user(&side);
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
            self.end_response(id, true);
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
            self.end_response(id, true);
            self.out.close(id, CloseReason::Kicked);
            self.forget_as(id, LeaveReason::Kicked, Some((by, reason)), None);
        }
    }

    pub(super) fn conn_ref(&self, id: ConnId) -> Option<ConnRef> {
        self.conns.get(&id).map(|c| ConnRef {
            id,
            serial: c.serial,
        })
    }

    /// The connection a job or change was for, if it is still the same one.
    pub(super) fn live(&self, r: ConnRef) -> bool {
        self.conns.get(&r.id).is_some_and(|c| c.serial == r.serial)
    }

    /// Who asked (for the log): the session's name, or `-`.
    pub(super) fn who(&self, conn: Option<ConnRef>) -> String {
        conn.and_then(|c| self.conns.get(&c.id))
            .and_then(|c| c.session())
            .map_or_else(|| "-".to_owned(), |s| s.name.to_string())
    }

    pub(super) fn addr_text(addr: Option<std::net::IpAddr>) -> String {
        addr.map_or_else(|| "-".to_owned(), |a| a.to_string())
    }

    pub(super) fn session(&self, id: ConnId) -> Option<&Session> {
        self.conns.get(&id).and_then(|c| c.session())
    }

    /// A user's name as they spell it (online, or their account's), for
    /// lines that name them.
    pub(super) fn spelled(&self, key: &crate::NameKey) -> Option<String> {
        self.online
            .get(key)
            .and_then(|&c| self.session(c))
            .map(|s| s.name.as_str().to_owned())
            .or_else(|| self.directory.get(key).map(|r| r.name.as_str().to_owned()))
    }

    /// The user of a session as the sender of a line.
    pub(super) fn sender(&self, id: ConnId) -> Option<Sender> {
        self.session(id).map(Session::sender)
    }

    /// `/quit` or `/disconnect`, logged in or not; the others see the
    /// quit message, if one was given.
    pub(super) fn quit(&mut self, id: ConnId, reason: Option<&str>) {
        self.send(id, &Reply::Ctl(Control::Disconnect));
        let reason = reason.filter(|r| !refused_text(r));
        self.close_saying(id, CloseReason::Quit, LeaveReason::Quit, reason);
    }
}
