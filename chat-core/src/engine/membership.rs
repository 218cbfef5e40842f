//! Into and out of rooms, the lobby included, on one path: entering (with
//! the history replayed), joining the members, leaving.

use crate::command::HistoryRange;
use crate::reply::{Done, Identity, LeaveReason, MemberStatus, Presence, Reply};
use crate::{ConnId, Frame, RoomKey, UserName};

use super::history_pages::Window;
use super::io::ChatEvent;
use super::listing::Listed;
use super::owed::{HistorySource, Owed};
use super::replies::deliver_frame;
use super::Engine;

/// Who leaves a room, and how: for the room's `RLEAVE` (IRC's `PART`,
/// `KICK`, `QUIT`).
#[derive(Clone, Copy, Debug)]
pub(super) struct Leaver<'a> {
    /// Their name.
    pub(super) user: &'a UserName,
    /// What IRC shows of them beside it.
    pub(super) who: Identity<'a>,
    /// Who took them out, if someone did.
    pub(super) by: Option<&'a str>,
    /// Their part or quit message, or the removal's reason.
    pub(super) text: Option<&'a str>,
}

/// The standing of an operator, as a room's maker or founder has.
pub(super) const OPERATOR: MemberStatus = MemberStatus {
    operator: true,
    voice: false,
};

impl Engine {
    /// Puts a user in a room: `OK joined`, the topic, the last lines of
    /// history and its end to them, then `RJOIN` to the room. A client
    /// whose codec lists the room on join (IRC) gets the members between
    /// the topic and the history, and no room line of its own join (its
    /// `JOIN` is the answer). Its `creator` is an operator of it.
    pub(super) fn enter(&mut self, id: ConnId, key: &RoomKey, creator: bool) {
        let window = Window {
            range: HistoryRange::Latest(None),
            count: self.config.limits.history_on_join,
            oldest: self.oldest_kept(),
        };
        let Some(conn) = self.conns.get(&id) else {
            return;
        };
        let names_on_join = conn.codec.lists_room_on_join();
        if let Some(session) = self.conns.get_mut(&id).and_then(|c| c.session_mut()) {
            session.rooms.push(key.clone());
        }
        self.join_members(id, key);
        if creator {
            if let Some(channel) = self.rooms.get_mut(key) {
                channel.members.set_status(id, OPERATOR);
            }
        }
        let Some(channel) = self.rooms.get(key) else {
            return;
        };
        let name = channel.name();
        let mut replies = vec![Reply::Ok(Done::Joined(name))];
        if let Some(t) = channel.topic() {
            replies.push(Reply::Topic {
                room: name,
                at: t.at,
                by: t.by.as_str(),
                text: Some(&t.text),
            });
        }
        let members: Vec<ConnId> = if names_on_join {
            channel.members.member_ids().collect()
        } else {
            Vec::new()
        };
        Self::send_to(&mut self.conns, &mut self.out, id, &replies);
        if names_on_join {
            self.list_members(id, &members, 1, Listed::Room(key));
        }
        // The history and, for a client that sees its own join, its own
        // `RJOIN` are owed: sent as the connection drains, the room told
        // meanwhile.
        self.owe_history(id, HistorySource::Room(key.clone()), window);
        if !names_on_join {
            self.owe_own_join(id, key);
        }
        self.announce_join(id, key, Some(id));
    }

    /// Puts a logged-in user in a room and tells the room: the one way
    /// into a room, the lobby's at login as any other's (where the join
    /// answers nothing but `WELCOME`).
    pub(super) fn admit(&mut self, id: ConnId, key: &RoomKey) {
        self.join_members(id, key);
        self.announce_join(id, key, None);
    }

    /// Adds a logged-in user to a room's members, busy there if busy; an
    /// operator of it when it is the lobby and they an admin, or it is a
    /// stored room they founded.
    pub(super) fn join_members(&mut self, id: ConnId, key: &RoomKey) {
        let Some(conn) = self.conns.get(&id) else {
            return;
        };
        let rendering = conn.codec.rendering();
        let Some(session) = conn.session() else {
            return;
        };
        let busy = session.held.is_some();
        let admin = session.grant.is_admin();
        let me = session.key.clone();
        let Some(channel) = self.rooms.get_mut(key) else {
            return;
        };
        channel.members.join(id, rendering);
        self.upkeep.occupied(key);
        if busy {
            channel.members.set_presence(id, Presence::Busy);
        }
        let operator = if channel.is_lobby() {
            admin
        } else {
            channel.founded_by(&me)
        };
        if operator {
            channel.members.set_status(id, OPERATOR);
        }
    }

    /// Tells a room that a member came in (all but `except`, whom its own
    /// answer told), and observers.
    pub(super) fn announce_join(&mut self, id: ConnId, key: &RoomKey, except: Option<ConnId>) {
        let (Some(sender), Some(channel)) = (self.sender(id), self.rooms.get(key)) else {
            return;
        };
        let room = channel.shared_name();
        let line = Reply::RoomJoin {
            room: &room,
            at: self.now,
            user: sender.name.as_str(),
            who: sender.identity(),
        };
        self.broadcast_to(key, except, &[line]);
        let user = sender.name;
        if self.config.emit_events {
            let room = self.rooms.room_name(key);
            self.out.event(ChatEvent::Joined {
                at: self.now,
                room,
                user,
            });
        }
    }

    /// A member's own `RJOIN`, for a client that sees its own join: owed
    /// after the room's history, or held with the room's lines while the
    /// member is busy (until `/free`).
    pub(super) fn owe_own_join(&mut self, id: ConnId, key: &RoomKey) {
        let (Some(sender), Some(channel)) = (self.sender(id), self.rooms.get(key)) else {
            return;
        };
        let room = channel.shared_name();
        let line = Reply::RoomJoin {
            room: &room,
            at: self.now,
            user: sender.name.as_str(),
            who: sender.identity(),
        };
        let (cap, max_bytes) = (
            self.config.limits.max_held_lines,
            self.config.limits.max_held_bytes,
        );
        let mut own = Vec::new();
        if let Some(c) = self.conns.get_mut(&id) {
            c.codec.render(std::slice::from_ref(&line), &mut own);
            if let Some(held) = c.session_mut().and_then(|s| s.held.as_mut()) {
                held.push(Frame::from(own), cap, max_bytes);
                own = Vec::new();
            }
        }
        if !own.is_empty() {
            self.owe(id, Owed::Frame(Frame::from(own)));
        }
    }

    /// Takes a user out of `rooms`; the others in each see `RLEAVE` with
    /// `reason`.
    pub(super) fn leave_rooms(
        &mut self,
        id: ConnId,
        rooms: &[RoomKey],
        leaver: &Leaver<'_>,
        reason: LeaveReason,
    ) {
        if self.cluster.is_some() {
            return self.cluster_leave(id, rooms, leaver.user.as_str(), reason, None);
        }
        if let Some(session) = self.conns.get_mut(&id).and_then(|c| c.session_mut()) {
            session.rooms.retain(|k| !rooms.contains(k));
        }
        for key in rooms {
            self.leave_room(id, key, leaver, reason, None);
        }
    }

    /// An IRC client sees itself leave a room (`PART`, with its message),
    /// which the room's line to the others leaves out.
    pub(super) fn show_own_part(&mut self, id: ConnId, room: &str, leaver: &Leaver<'_>) {
        let Some(c) = self.conns.get_mut(&id).filter(|c| c.codec.sees_own_part()) else {
            return;
        };
        let line = Reply::RoomLeave {
            room,
            at: self.now,
            user: leaver.user.as_str(),
            who: leaver.who,
            reason: LeaveReason::Parted.into(),
            by: None,
            text: leaver.text,
        };
        let frame = c
            .codec
            .rendering()
            .render(&self.server_name, std::slice::from_ref(&line));
        deliver_frame(c, &mut self.out, id, frame);
    }

    /// Takes a member out of one room, and tells the others: the one way
    /// out of a room, the lobby's at logout as any other. `kick` names the
    /// admin and reason of a kick off the server, which the lobby's line
    /// carries. A guest's room left empty is gone.
    pub(super) fn leave_room(
        &mut self,
        id: ConnId,
        key: &RoomKey,
        leaver: &Leaver<'_>,
        reason: LeaveReason,
        kick: Option<(&str, Option<&str>)>,
    ) {
        let Some(channel) = self.rooms.get_mut(key) else {
            return;
        };
        if !channel.members.leave(id) {
            return;
        }
        let user = leaver.user;
        let (room, at) = (channel.shared_name(), self.now);
        if channel.members.len() == 0 {
            if !channel.stored {
                log::info!("room {room} is empty and gone");
                if let Some(record) = self.rooms.remove(key).and_then(|c| c.record) {
                    self.upkeep.uncount_created(&record.operator.key(), key);
                }
                return;
            }
            if channel.record.is_some() {
                let ttl = self.config.limits.empty_room_ttl_ms;
                self.upkeep.emptied(key.clone(), self.now, ttl);
            }
        }
        let line = match kick {
            Some((by, why)) if channel.is_lobby() => Reply::KickedOut {
                at,
                user: user.as_str(),
                by,
                reason: why,
            },
            _ => Reply::RoomLeave {
                room: &room,
                at,
                user: user.as_str(),
                who: leaver.who,
                reason: reason.into(),
                by: leaver.by,
                text: leaver.text,
            },
        };
        self.broadcast_in(key, None, &[line]);
        if self.config.emit_events {
            let room = self.rooms.room_name(key);
            self.out.event(ChatEvent::Left {
                at,
                room,
                user: user.clone(),
                reason,
            });
        }
    }

    pub(super) fn in_room(&self, id: ConnId, key: &RoomKey) -> bool {
        self.rooms
            .get(key)
            .is_some_and(|c| c.members.presence(id).is_some())
    }
}
