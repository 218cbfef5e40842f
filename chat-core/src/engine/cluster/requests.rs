//! What a local user's command does at a node: the checks a single server
//! makes, then an append instead of the deed, which happens when the log
//! brings it back ([`apply`](super::apply)).

use crate::cluster::{Left, Log, RoomEvent};
use crate::reply::{LeaveReason, Reason};
use crate::{ConnId, Conversation, MessageKind, NameKey, RoomKey, UserName};

use super::super::Engine;

impl Engine {
    /// A line said in a room (the lobby included), checked already.
    pub(in crate::engine) fn cluster_say(
        &mut self,
        id: ConnId,
        key: RoomKey,
        text: &str,
        kind: MessageKind,
    ) {
        let Some(from) = self.session(id).map(|s| s.name.clone()) else {
            return;
        };
        let at = self.now;
        let text = text.to_owned();
        self.append(Some(id), Log::Room(key), |origin| RoomEvent::Line {
            at,
            from,
            text,
            kind,
            origin,
        });
    }

    /// Into a room (checked already): counted among the user's rooms at
    /// once, in it when its log brings the join back. The connection's
    /// next lines wait until then (as a single server's join is done
    /// before the next line is read, a `/say` sent right after `/join`
    /// finds the user in the room).
    pub(in crate::engine) fn cluster_join(&mut self, id: ConnId, key: RoomKey) {
        let at = self.now;
        let Some(session) = self.conns.get_mut(&id).and_then(|c| c.session_mut()) else {
            return;
        };
        if !session.rooms.contains(&key) {
            session.rooms.push(key.clone());
        }
        let user = session.name.clone();
        self.append(Some(id), Log::Room(key), |origin| RoomEvent::Join {
            at,
            user,
            origin,
        });
        self.set_waiting(id, true);
    }

    /// A join of this node's user (into the lobby at login, or a room) is
    /// in, or refused: the lines that waited for it run.
    pub(super) fn join_settled(&mut self, id: ConnId) {
        self.set_waiting(id, false);
        self.resume(id);
    }

    /// Into the lobby at login; an account's login also claims its one
    /// session in the cluster (a guest has no account to claim). As for
    /// any room, the connection's next lines wait until the join is in.
    pub(in crate::engine) fn cluster_enter_lobby(
        &mut self,
        id: ConnId,
        user: UserName,
        guest: bool,
    ) {
        if !guest {
            self.claim_session(&user);
        }
        let at = self.now;
        let key = self.rooms.lobby_key().clone();
        self.append(Some(id), Log::Room(key), |origin| RoomEvent::Join {
            at,
            user,
            origin,
        });
        self.set_waiting(id, true);
    }

    /// Out of rooms (this node stops showing them to the user at once;
    /// the others see the leave in each room's order).
    pub(in crate::engine) fn cluster_leave(
        &mut self,
        id: ConnId,
        rooms: &[RoomKey],
        user: &str,
        reason: LeaveReason,
        kick: Option<(&str, Option<&str>)>,
    ) {
        let Some(user) = UserName::parse(user).ok() else {
            return;
        };
        let Some(me) = self.cluster.as_deref().map(|n| n.me().clone()) else {
            return;
        };
        if let Some(session) = self.conns.get_mut(&id).and_then(|c| c.session_mut()) {
            session.rooms.retain(|k| !rooms.contains(k));
        }
        let kick =
            kick.and_then(|(by, why)| Some((UserName::parse(by).ok()?, why.map(str::to_owned))));
        for key in rooms {
            if let Some(channel) = self.rooms.get_mut(key) {
                channel.members.leave(id);
            }
            let event = RoomEvent::Leave {
                at: self.now,
                user: user.clone(),
                node: me.clone(),
                reason: Left::from(reason),
                kick: kick.clone(),
            };
            self.append(None, Log::Room(key.clone()), |_| event);
        }
    }

    /// A private message (checked already) to a user online anywhere.
    pub(in crate::engine) fn cluster_message_to(
        &mut self,
        id: ConnId,
        to: &str,
        text: &str,
        kind: MessageKind,
    ) {
        let Some(recipient) = self.online_anywhere(&NameKey::of(to)) else {
            return self.refuse_message(id, kind, Reason::NotOnline { name: to });
        };
        if !self.may_send(id, kind) {
            return;
        }
        let Some(from) = self.session(id).map(|s| s.name.clone()) else {
            return;
        };
        let pair = Conversation::private(&from, &recipient);
        let at = self.now;
        let text = text.to_owned();
        self.append(Some(id), Log::Private(pair), |origin| RoomEvent::Private {
            at,
            from,
            to: recipient,
            text,
            kind,
            origin,
        });
    }

    /// A member put out of a room by its operator (checked already), on
    /// whichever node they are.
    pub(in crate::engine) fn cluster_remove(
        &mut self,
        id: ConnId,
        key: RoomKey,
        user: &str,
        reason: Option<&str>,
    ) {
        let member = self
            .cluster
            .as_deref()
            .and_then(|n| n.members.get(&key)?.get(&NameKey::of(user)))
            .map(|m| m.name.clone());
        let Some(user) = member else {
            let room = self.room_name(&key);
            return self.refuse(
                id,
                Reason::NotInRoom {
                    room: &room,
                    user: Some(user),
                },
            );
        };
        let Some(by) = self.session(id).map(|s| s.name.clone()) else {
            return;
        };
        let at = self.now;
        let reason = reason.map(str::to_owned);
        self.append(Some(id), Log::Room(key), |origin| RoomEvent::Removed {
            at,
            user,
            by,
            reason,
            origin,
        });
    }

    /// A member went busy or free: the lobby's log says so.
    pub(in crate::engine) fn cluster_away(&mut self, id: ConnId, busy: bool) {
        let Some((user, away)) = self.session(id).map(|s| (s.name.clone(), s.away.clone())) else {
            return;
        };
        let key = self.rooms.lobby_key().clone();
        let event = RoomEvent::Away {
            at: self.now,
            user,
            busy,
            text: away.filter(|_| busy).map(|t| t.to_string()),
        };
        self.append(None, Log::Room(key), |_| event);
    }

    /// The operator's announcement, to every node's lobby.
    pub(in crate::engine) fn cluster_announce(&mut self, lines: &[String]) {
        let key = self.rooms.lobby_key().clone();
        let event = RoomEvent::Announce {
            at: self.now,
            text: lines.join("\n"),
        };
        self.append(None, Log::Room(key), |_| event);
    }
}

impl Engine {
    /// Every user of this node leaves every room (the node stops): the
    /// others see it at once rather than when its heartbeat is missed.
    pub(in crate::engine) fn cluster_leave_all(&mut self, reason: LeaveReason) {
        let mut ids: Vec<ConnId> = self.online.values().copied().collect();
        ids.sort_unstable();
        let lobby = self.rooms.lobby_key().clone();
        for id in ids {
            let Some(session) = self.session(id) else {
                continue;
            };
            let mut rooms = session.rooms.clone();
            rooms.push(lobby.clone());
            let name = session.name.to_string();
            self.cluster_leave(id, &rooms, &name, reason, None);
        }
    }
}
