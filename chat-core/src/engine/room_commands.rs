//! Commands about rooms other than the lobby: create, join, part, list,
//! topic, remove a member, close.

use crate::command::TopicChange;
use crate::reply::{Control, Done, LeaveReason, LimitScope, Listing, Reason, Reply, RoomLimit};
use crate::{ConnId, Millis, NameKey, RoomKey, RoomName, RoomRecord, Standing, Topic};

use super::connection::ConnRef;
use super::io::ChatEvent;
use super::listing::{page_of, Listed};
use super::membership::Leaver;
use super::owed::Owed;
use super::room_modes::Closed;
use super::room_upkeep::CreateRefusal;
use super::text::refused_text;
use super::Engine;

impl Engine {
    /// The key of an existing room named as typed, or a refusal sent.
    pub(super) fn existing_room(&mut self, id: ConnId, typed: &str) -> Option<RoomKey> {
        let key = match RoomName::parse(typed) {
            Ok(name) => name.key(),
            Err(e) => {
                self.refuse(id, Reason::BadRoomName(e));
                return None;
            }
        };
        if self.rooms.get(&key).is_none() {
            self.refuse(id, Reason::NoSuchRoom { room: typed });
            return None;
        }
        Some(key)
    }

    /// Whether the user may run the room: an admin, the founder of a
    /// stored room (its record's operator), or a member with operator
    /// standing.
    pub(super) fn runs_room(&self, id: ConnId, key: &RoomKey) -> bool {
        let (Some(session), Some(channel)) = (self.session(id), self.rooms.get(key)) else {
            return false;
        };
        session.grant.is_admin()
            || channel.founded_by(&session.key)
            || channel.members.status(id).is_some_and(|s| s.operator)
    }

    /// The lobby's rules: nobody leaves it, operates it (a topic, a
    /// removal) or closes it. True, after refusing, when `key` is it.
    pub(super) fn lobby_is_fixed(&mut self, id: ConnId, key: &RoomKey) -> bool {
        let fixed = self
            .rooms
            .get(key)
            .is_some_and(super::rooms::Channel::is_lobby);
        if fixed {
            self.refuse(id, Reason::LobbyIsFixed);
        }
        fixed
    }

    pub(super) fn refuse_not_in(&mut self, id: ConnId, typed: &str) {
        self.refuse(
            id,
            Reason::NotInRoom {
                room: typed,
                user: None,
            },
        );
    }

    /// Refuses (and says so) when the user is in as many rooms as allowed.
    fn at_rooms_per_user(&mut self, id: ConnId) -> bool {
        let max = self.config.limits.max_rooms_per_user;
        let full = self.session(id).is_some_and(|s| s.rooms.len() >= max);
        if full {
            self.refuse(id, Reason::RoomLimit(RoomLimit::PerUser { max }));
        }
        full
    }

    pub(super) fn create_room(&mut self, id: ConnId, typed: &str) {
        let name = match RoomName::parse(typed) {
            Ok(name) => name,
            Err(e) => return self.refuse(id, Reason::BadRoomName(e)),
        };
        if self.rooms.is_taken(&name.key()) {
            return self.refuse(id, Reason::RoomExists { room: typed });
        }
        let max = self.config.limits.max_rooms;
        if self.rooms.created_count() >= max {
            return self.refuse(id, Reason::RoomLimit(RoomLimit::Rooms { max }));
        }
        if self.at_rooms_per_user(id) {
            return;
        }
        let Some(session) = self.session(id) else {
            return;
        };
        // A guest's name is free again once it leaves: it runs no stored
        // room (one that lives while it has members, if guests may make
        // one).
        let guest = session.guest;
        if guest && (!self.config.irc_guest_rooms || self.cluster.is_some()) {
            return self.refuse(id, Reason::NotLoggedIn);
        }
        let (user, admin) = (session.key.clone(), session.grant.is_admin());
        let l = &self.config.limits;
        match self.upkeep.may_create(&user, admin, self.now, l) {
            Ok(()) => {}
            Err(CreateRefusal::PerCreator { max }) => {
                return self.refuse(id, Reason::RoomLimit(RoomLimit::PerCreator { max }));
            }
            Err(CreateRefusal::Rate(limited)) => {
                log::warn!("{} is over the room creation rate", session.name);
                return self.refuse_limited(id, LimitScope::RoomCreations, limited);
            }
        }
        let record = RoomRecord {
            name: name.clone(),
            operator: session.name.clone(),
            created: self.now,
            topic: None,
            modes: crate::RoomModes::default(),
        };
        // A guest's name is free again once it leaves: its room is not
        // stored, and lives while it has members (if guests may make one).
        // Counted like any user's (the rates, and its rooms while they
        // last): a guest's room is gone once empty.
        if guest {
            log::info!("guest {} makes room {name}", session.name);
            let key = name.key();
            self.upkeep.creating(user, admin, self.now, l);
            self.rooms.insert_unstored(record);
            self.send(id, &Reply::Ok(Done::Created(name.as_str())));
            return self.enter(id, &key, true);
        }
        log::info!("{} creates room {name}", session.name);
        self.upkeep.creating(user, admin, self.now, l);
        self.rooms.begin_create(name.key());
        let conn = self.conn_ref(id);
        self.set_waiting(id, true);
        self.persist(conn, crate::StoreChange::CreateRoom(record));
    }

    /// A room's creation is durable: it exists; its creator is told and
    /// joins it.
    pub(super) fn on_room_created(&mut self, conn: Option<ConnRef>, record: RoomRecord) {
        let name = record.name;
        let key = name.key();
        if let Some(c) = conn {
            self.send(c.id, &Reply::Ok(Done::Created(name.as_str())));
            self.enter(c.id, &key, true);
        }
        if self.rooms.get(&key).is_some_and(|c| c.members.len() == 0) {
            // Its creator left before it was saved.
            let ttl = self.config.limits.empty_room_ttl_ms;
            self.upkeep.emptied(key, self.now, ttl);
        }
    }

    pub(super) fn join_room(&mut self, id: ConnId, typed: &str, given: Option<&str>) {
        let Some(key) = self.existing_room(id, typed) else {
            return;
        };
        if self.in_room(id, &key) {
            return self.refuse(id, Reason::AlreadyInRoom { room: typed });
        }
        if self.at_rooms_per_user(id) {
            return;
        }
        match self.closed_to(id, &key, given) {
            Some(Closed::InviteOnly) => return self.refuse(id, Reason::InviteOnly { room: typed }),
            Some(Closed::Key) => return self.refuse(id, Reason::WrongRoomKey { room: typed }),
            Some(Closed::Full(limit)) => {
                return self.refuse(id, Reason::RoomFull { room: typed, limit })
            }
            None => {}
        }
        let max = self.config.limits.max_room_members;
        let members = self
            .members_anywhere(&key)
            .or_else(|| self.rooms.get(&key).map(|c| c.members.len()));
        if members.is_some_and(|n| n >= max) {
            return self.refuse(id, Reason::RoomLimit(RoomLimit::Members { max }));
        }
        // An invitation lets one in once.
        if let Some(me) = self.session(id).map(|s| s.key.clone()) {
            if let Some(channel) = self.rooms.get_mut(&key) {
                channel.uninvite(&me);
            }
        }
        if self.cluster.is_some() {
            if self.session(id).is_some_and(|s| s.rooms.contains(&key)) {
                return self.refuse(id, Reason::AlreadyInRoom { room: typed });
            }
            return self.cluster_join(id, key);
        }
        self.enter(id, &key, false);
    }

    /// IRC's `JOIN`: joins the room, or creates it (and so joins it) when
    /// there is none.
    pub(super) fn enter_or_create(&mut self, id: ConnId, typed: &str, given: Option<&str>) {
        let Ok(name) = RoomName::parse(typed) else {
            // Refused as a creation would be.
            return self.create_room(id, typed);
        };
        if self.rooms.get(&name.key()).is_some() {
            self.join_room(id, typed, given);
        } else if !(self.cluster.is_some() && self.cluster_enter(id, &name)) {
            // At a node, another node may be creating it at this moment:
            // then this connection joins that room.
            self.create_room(id, typed);
        }
    }

    /// The members of a room, as a page of `/viewusers` lists them (IRC's
    /// `NAMES #room`).
    pub(super) fn room_members(&mut self, id: ConnId, typed: &str) {
        let Some(key) = self.existing_room(id, typed) else {
            return;
        };
        if !self.sees_room(id, &key) {
            return self.refuse(id, Reason::NoSuchRoom { room: typed });
        }
        let Some(channel) = self.rooms.get(&key) else {
            return;
        };
        let members: Vec<ConnId> = channel.members.member_ids().collect();
        let remote = self.remote_rows(Some(&key));
        self.list_members_with(id, &members, &remote, 1, Listed::Room(&key));
    }

    pub(super) fn part_room(&mut self, id: ConnId, typed: &str, reason: Option<&str>) {
        let Some(key) = self.existing_room(id, typed) else {
            return;
        };
        if self.lobby_is_fixed(id, &key) {
            return;
        }
        if !self.in_room(id, &key) {
            return self.refuse_not_in(id, typed);
        }
        let room = self.room_name(&key);
        self.send(id, &Reply::Ok(Done::Parted(&room)));
        let reason = reason.filter(|r| !refused_text(r));
        let Some(sender) = self.sender(id) else {
            return;
        };
        let leaver = Leaver {
            user: &sender.name,
            who: sender.identity(),
            by: None,
            text: reason,
        };
        self.show_own_part(id, &room, &leaver);
        self.leave_rooms(id, &[key], &leaver, LeaveReason::Parted);
    }

    /// The name of a room as its creator spelled it.
    pub(super) fn room_name(&self, key: &RoomKey) -> String {
        self.rooms
            .get(key)
            .map_or_else(|| key.as_str().to_owned(), |c| c.name().to_owned())
    }

    pub(super) fn list_rooms(&mut self, id: ConnId, page: u64) {
        let mut keys: Vec<&RoomKey> = self
            .rooms
            .iter()
            .filter(|(k, _)| self.sees_room(id, k))
            .map(|(k, _)| k)
            .collect();
        keys.sort_unstable();
        let (range, page) = page_of(keys.len(), page, self.config.limits.rooms_page_rows);
        let rows = keys[range].iter().map(|&k| k.clone()).collect();
        let end = Listing::RoomsPage(page);
        self.owe(id, Owed::Rooms { rows, end });
    }

    pub(super) fn topic(&mut self, id: ConnId, typed: &str, change: TopicChange<'_>) {
        let Some(key) = self.existing_room(id, typed) else {
            return;
        };
        if self.lobby_is_fixed(id, &key) {
            return;
        }
        if self.rooms.is_closing(&key) && change != TopicChange::Show {
            return self.refuse(id, Reason::NoSuchRoom { room: typed });
        }
        let text = match change {
            TopicChange::Show => return self.show_topic(id, &key),
            TopicChange::Set(text) => Some(text.trim()),
            TopicChange::Clear => None,
        };
        if text.is_some_and(|t| !t.is_empty() && refused_text(t)) {
            return self.refuse(id, Reason::UnsafeText { in_reason: false });
        }
        // `-t`: any member sets it.
        let open = self.rooms.get(&key).is_some_and(|c| c.modes().open_topic);
        let member_may = open && self.in_room(id, &key);
        if !member_may && !self.runs_room(id, &key) {
            return self.refuse(id, Reason::NotRoomOperator { room: typed });
        }
        let (Some(session), Some(channel)) = (self.session(id), self.rooms.get(&key)) else {
            return;
        };
        let Some(record) = channel.record.as_ref() else {
            return;
        };
        let topic = text.filter(|t| !t.is_empty()).map(|t| Topic {
            text: t.to_owned(),
            by: session.name.clone(),
            at: self.now,
        });
        let room = record.name.clone();
        let conn = self.conn_ref(id);
        let change = crate::StoreChange::SetTopic { room, topic };
        // A guest's room is not stored: its topic holds at once.
        if !channel.stored {
            return self.apply_durable(conn, change);
        }
        self.set_waiting(id, true);
        self.persist(conn, change);
    }

    fn show_topic(&mut self, id: ConnId, key: &RoomKey) {
        let Some(channel) = self.rooms.get(key) else {
            return;
        };
        let name = channel.name();
        let reply = match channel.topic() {
            Some(t) => Reply::Topic {
                room: name,
                at: t.at,
                by: t.by.as_str(),
                text: Some(&t.text),
            },
            None => Reply::Topic {
                room: name,
                at: channel.record.as_ref().map_or(Millis(0), |r| r.created),
                by: channel.record.as_ref().map_or("-", |r| r.operator.as_str()),
                text: None,
            },
        };
        Self::send_to(&mut self.conns, &mut self.out, id, &[reply]);
    }

    /// A topic is durable: the setter gets `OK topic`, the room `TOPIC`.
    pub(super) fn on_topic_durable(
        &mut self,
        conn: Option<ConnRef>,
        room: &RoomName,
        topic: Option<Topic>,
    ) {
        let key = room.key();
        log::info!("topic of {room} set by {}", self.who(conn));
        if let Some(c) = conn {
            self.send(c.id, &Reply::Ok(Done::TopicSet(room.as_str())));
        }
        let at = topic.as_ref().map_or(self.now, |t| t.at);
        let by = topic
            .as_ref()
            .map_or_else(|| self.who(conn), |t| t.by.to_string());
        let line = Reply::Topic {
            room: room.as_str(),
            at,
            by: &by,
            text: topic.as_ref().map(|t| t.text.as_str()),
        };
        self.broadcast_in(&key, None, &[line]);
    }

    pub(super) fn remove_from_room(
        &mut self,
        id: ConnId,
        typed: &str,
        user: &str,
        reason: Option<&str>,
    ) {
        let Some(key) = self.existing_room(id, typed) else {
            return;
        };
        if self.lobby_is_fixed(id, &key) {
            return;
        }
        if reason.is_some_and(refused_text) {
            return self.refuse(id, Reason::UnsafeText { in_reason: true });
        }
        if !self.runs_room(id, &key) {
            return self.refuse(id, Reason::NotRoomOperator { room: typed });
        }
        if self.cluster.is_some() {
            return self.cluster_remove(id, key, user, reason);
        }
        let target = self
            .online
            .get(&NameKey::of(user))
            .copied()
            .filter(|t| self.in_room(*t, &key));
        let Some(target) = target else {
            return self.refuse(
                id,
                Reason::NotInRoom {
                    room: typed,
                    user: Some(user),
                },
            );
        };
        let (Some(by), Some((name, target_grant)), Some(admin)) = (
            self.session(id).map(|s| s.name.clone()),
            self.session(target).map(|s| (s.name.clone(), s.grant)),
            self.session(id).map(|s| s.grant.is_admin()),
        ) else {
            return;
        };
        // A room's operator runs the room, not the server: an admin stays
        // unless another admin removes them.
        if target_grant.is_admin() && !admin {
            return self.refuse(
                id,
                Reason::TargetIsAdmin {
                    name: name.as_str(),
                },
            );
        }
        let room = self.room_name(&key);
        log::info!("{name} removed from {room} by {by}");
        self.send(
            target,
            &Reply::Ctl(Control::Removed {
                room: &room,
                by: by.as_str(),
                reason,
            }),
        );
        let Some(target_sender) = self.sender(target) else {
            return;
        };
        let leaver = Leaver {
            user: &name,
            who: target_sender.identity(),
            by: Some(by.as_str()),
            text: reason,
        };
        self.leave_rooms(target, &[key], &leaver, LeaveReason::Removed);
        self.send(id, &Reply::Ok(Done::Removed(&room, name.as_str())));
    }

    /// Gives or takes a member's standing in a room (its operators or an
    /// admin): kept with the membership, told to the room.
    pub(super) fn set_standing(
        &mut self,
        id: ConnId,
        typed: &str,
        user: &str,
        standing: Standing,
        on: bool,
    ) {
        let Some(key) = self.existing_room(id, typed) else {
            return;
        };
        if self.lobby_is_fixed(id, &key) {
            return;
        }
        if !self.runs_room(id, &key) {
            return self.refuse(id, Reason::NotRoomOperator { room: typed });
        }
        let target = self
            .online
            .get(&NameKey::of(user))
            .copied()
            .filter(|t| self.in_room(*t, &key));
        let (Some(target), Some(by)) = (target, self.session(id).map(|s| s.name.clone())) else {
            let not_in = Reason::NotInRoom {
                room: typed,
                user: Some(user),
            };
            return self.refuse(id, not_in);
        };
        let (Some(name), Some(channel)) = (
            self.session(target).map(|s| s.name.clone()),
            self.rooms.get_mut(&key),
        ) else {
            return;
        };
        let mut status = channel.members.status(target).unwrap_or_default();
        match standing {
            Standing::Operator => status.operator = on,
            Standing::Voice => status.voice = on,
        }
        channel.members.set_status(target, status);
        let room = channel.shared_name();
        log::info!("{by} set {standing:?} {on} for {name} in {room}");
        let line = Reply::Standing {
            room: &room,
            at: self.now,
            by: by.as_str(),
            user: name.as_str(),
            standing,
            on,
        };
        self.broadcast_in(&key, None, &[line]);
    }

    pub(super) fn close_room(&mut self, id: ConnId, typed: &str) {
        let Some(key) = self.existing_room(id, typed) else {
            return;
        };
        if self.lobby_is_fixed(id, &key) {
            return;
        }
        if !self.runs_room(id, &key) {
            return self.refuse(id, Reason::NotRoomOperator { room: typed });
        }
        if self.rooms.is_closing(&key) {
            return self.refuse(id, Reason::NoSuchRoom { room: typed });
        }
        let Some(room) = self
            .rooms
            .get(&key)
            .and_then(|c| c.record.as_ref())
            .map(|r| r.name.clone())
        else {
            return;
        };
        let conn = self.conn_ref(id);
        let change = crate::StoreChange::RemoveRoom { room };
        // A guest's room is not stored: it is gone at once.
        if self.rooms.get(&key).is_some_and(|c| !c.stored) {
            return self.apply_durable(conn, change);
        }
        self.rooms.begin_close(key);
        self.set_waiting(id, true);
        self.persist(conn, change);
    }

    /// A room's removal is durable (it is gone): each of its `members`
    /// sees themselves leave it (`closed`), the asker gets `OK closed`.
    pub(super) fn on_room_removed(
        &mut self,
        conn: Option<ConnRef>,
        room: &RoomName,
        mut members: Vec<ConnId>,
    ) {
        let key = room.key();
        log::info!("room {room} closed by {}", self.who(conn));
        members.sort_unstable();
        for member in members {
            let Some(session) = self.conns.get_mut(&member).and_then(|c| c.session_mut()) else {
                continue;
            };
            session.rooms.retain(|k| *k != key);
            let sender = session.sender();
            let user = sender.name.clone();
            let line = Reply::RoomLeave {
                room: room.as_str(),
                at: self.now,
                user: user.as_str(),
                who: sender.identity(),
                reason: LeaveReason::Closed.into(),
                by: None,
                text: None,
            };
            self.send(member, &line);
            if self.config.emit_events {
                self.out.event(ChatEvent::Left {
                    at: self.now,
                    room: room.clone(),
                    user,
                    reason: LeaveReason::Closed,
                });
            }
        }
        if let Some(c) = conn {
            self.send(c.id, &Reply::Ok(Done::Closed(room.as_str())));
        }
    }
}
