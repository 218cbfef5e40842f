//! Commands about rooms other than the lobby: create, join, part, list,
//! topic, talk, remove a member, close; and history of rooms and pairs.

use crate::command::{HistoryRange, HistoryTarget, TopicChange};
use crate::reply::{
    Control, Done, HistoryMark, Identity, LeaveReason, LimitScope, Listing, MemberStatus, Presence,
    Reason, Reply, RoomLimit,
};
use crate::{
    ConnId, Conversation, Frame, MessageKind, Millis, NameKey, RoomKey, RoomName, RoomRecord,
    Standing, Topic, UserName,
};

use super::chat::{page_of, Listed};
use super::connection::ConnRef;
use super::history::History;
use super::io::ChatEvent;
use super::owed::{HistorySource, Owed};
use super::room_upkeep::CreateRefusal;
use super::text::refused_text;
use super::Engine;

impl Engine {
    /// The key of an existing room named as typed, or a refusal sent.
    fn existing_room(&mut self, id: ConnId, typed: &str) -> Option<RoomKey> {
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

    /// The time of the oldest line the retention keeps now.
    fn oldest_kept(&self) -> Millis {
        Millis(self.now.0.saturating_sub(self.config.retention.max_age_ms))
    }

    /// Whether the user may run the room: an admin, the founder of a
    /// stored room (its record's operator), or a member with operator
    /// standing.
    fn runs_room(&self, id: ConnId, key: &RoomKey) -> bool {
        let (Some(session), Some(channel)) = (self.session(id), self.rooms.get(key)) else {
            return false;
        };
        session.grant.is_admin()
            || Self::founds(channel, &session.key)
            || channel.members.status(id).is_some_and(|s| s.operator)
    }

    /// Whether the account `key` founded a stored room (a guest's room has
    /// no founder: a name is nobody's once its guest leaves).
    fn founds(channel: &super::rooms::Channel, key: &NameKey) -> bool {
        channel.stored
            && channel
                .record
                .as_ref()
                .is_some_and(|r| r.operator.key() == *key)
    }

    /// The lobby's rules: nobody leaves it, operates it (a topic, a
    /// removal) or closes it. True, after refusing, when `key` is it.
    fn lobby_is_fixed(&mut self, id: ConnId, key: &RoomKey) -> bool {
        let fixed = self
            .rooms
            .get(key)
            .is_some_and(super::rooms::Channel::is_lobby);
        if fixed {
            self.refuse(id, Reason::LobbyIsFixed);
        }
        fixed
    }

    fn refuse_not_in(&mut self, id: ConnId, typed: &str) {
        self.refuse(
            id,
            Reason::NotInRoom {
                room: typed,
                user: None,
            },
        );
    }

    fn in_room(&self, id: ConnId, key: &RoomKey) -> bool {
        self.rooms
            .get(key)
            .is_some_and(|c| c.members.presence(id).is_some())
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

    pub(super) fn join_room(&mut self, id: ConnId, typed: &str) {
        let Some(key) = self.existing_room(id, typed) else {
            return;
        };
        if self.in_room(id, &key) {
            return self.refuse(id, Reason::AlreadyInRoom { room: typed });
        }
        if self.at_rooms_per_user(id) {
            return;
        }
        let max = self.config.limits.max_room_members;
        let members = self
            .members_anywhere(&key)
            .or_else(|| self.rooms.get(&key).map(|c| c.members.len()));
        if members.is_some_and(|n| n >= max) {
            return self.refuse(id, Reason::RoomLimit(RoomLimit::Members { max }));
        }
        if self.cluster.is_some() {
            if self.session(id).is_some_and(|s| s.rooms.contains(&key)) {
                return self.refuse(id, Reason::AlreadyInRoom { room: typed });
            }
            return self.cluster_join(id, key);
        }
        self.enter(id, &key, false);
    }

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
            Self::founds(channel, &me)
        };
        if operator {
            channel.members.set_status(id, OPERATOR);
        }
    }

    /// Tells a room that a member came in (all but `except`, whom its own
    /// answer told), and observers.
    fn announce_join(&mut self, id: ConnId, key: &RoomKey, except: Option<ConnId>) {
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
    fn owe_own_join(&mut self, id: ConnId, key: &RoomKey) {
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

    /// Owes a connection the lines of a history `window` shows, then its
    /// `END history`: the ids of the page's first and last lines, sent
    /// as the connection drains.
    fn owe_history(&mut self, id: ConnId, source: HistorySource, window: Window) {
        let empty = History::default();
        let history = match &source {
            HistorySource::Room(key) => self.rooms.get(key).map(|c| &c.history),
            HistorySource::Private { pair, .. } => self.private.get(pair),
        }
        .unwrap_or(&empty);
        let page = history.page(window.range, window.count, window.oldest);
        let next = page.next.and_then(|i| history.get(i)).map(|l| HistoryMark {
            id: Some(l.id),
            at: Some(l.at),
        });
        let ids = history
            .get(page.lines.start)
            .zip(page.lines.end.checked_sub(1).and_then(|i| history.get(i)))
            .filter(|_| !page.lines.is_empty())
            .map(|(first, last)| first.id..=last.id);
        let item = Owed::History {
            source,
            ids,
            shown: 0,
            next,
        };
        self.owe(id, item);
    }

    /// IRC's `JOIN`: joins the room, or creates it (and so joins it) when
    /// there is none.
    pub(super) fn enter_or_create(&mut self, id: ConnId, typed: &str) {
        let exists = RoomName::parse(typed).is_ok_and(|n| self.rooms.get(&n.key()).is_some());
        if exists {
            self.join_room(id, typed);
        } else {
            self.create_room(id, typed);
        }
    }

    /// The members of a room, as a page of `/viewusers` lists them (IRC's
    /// `NAMES #room`).
    pub(super) fn room_members(&mut self, id: ConnId, typed: &str) {
        let Some(key) = self.existing_room(id, typed) else {
            return;
        };
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
        // An IRC client sees its own PART, message and all, with the room.
        if self.conns.get(&id).is_some_and(|c| c.codec.sees_own_part()) {
            let line = Reply::RoomLeave {
                room: &room,
                at: self.now,
                user: sender.name.as_str(),
                who: sender.identity(),
                reason: LeaveReason::Parted.into(),
                by: None,
                text: reason,
            };
            let rendering = self.conns.get(&id).map(|c| c.codec.rendering());
            if let Some(rendering) = rendering {
                let frame = rendering.render(&self.server_name, std::slice::from_ref(&line));
                self.out.send_frame(id, frame);
            }
        }
        let leaver = Leaver {
            user: &sender.name,
            who: sender.identity(),
            by: None,
            text: reason,
        };
        self.leave_rooms(id, &[key], &leaver, LeaveReason::Parted);
    }

    /// The name of a room as its creator spelled it.
    pub(super) fn room_name(&self, key: &RoomKey) -> String {
        self.rooms
            .get(key)
            .map_or_else(|| key.as_str().to_owned(), |c| c.name().to_owned())
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

    pub(super) fn list_rooms(&mut self, id: ConnId, page: u64) {
        let mut keys: Vec<&RoomKey> = self.rooms.iter().map(|(k, _)| k).collect();
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
        if !self.runs_room(id, &key) {
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

    pub(super) fn say_in(&mut self, id: ConnId, typed: &str, text: &str, kind: MessageKind) {
        let key = match RoomName::parse(typed) {
            Ok(name) if self.rooms.get(&name.key()).is_some() => name.key(),
            Ok(_) => return self.refuse_message(id, kind, Reason::NoSuchRoom { room: typed }),
            Err(e) => return self.refuse_message(id, kind, Reason::BadRoomName(e)),
        };
        if !self.in_room(id, &key) {
            let not_in = Reason::NotInRoom {
                room: typed,
                user: None,
            };
            return self.refuse_message(id, kind, not_in);
        }
        self.say_in_room(id, key, text, kind);
    }

    /// A line said in a room, the lobby's as any other's: to its members
    /// (the sender too, where its client echoes), into its history, and
    /// to observers.
    pub(super) fn say_in_room(&mut self, id: ConnId, key: RoomKey, text: &str, kind: MessageKind) {
        if !self.may_say(id, text, kind) {
            return;
        }
        if self.cluster.is_some() {
            return self.cluster_say(id, key, text, kind);
        }
        let msg = self.next_msg_id();
        let (Some(sender), Some(channel)) = (self.sender(id), self.rooms.get(&key)) else {
            return;
        };
        let room = channel.shared_name();
        let line = Reply::RoomMsg {
            room: &room,
            id: Some(msg),
            at: self.now,
            from: sender.name.as_str(),
            who: sender.identity(),
            kind,
            text,
        };
        self.broadcast_in(&key, Some(id), &[line]);
        let from = sender.name;
        let line = self.history_line(msg, &from, text);
        if self.config.emit_events {
            self.out.event(ChatEvent::Message {
                at: self.now,
                room: self.rooms.room_name(&key),
                id: msg,
                from,
                text: text.into(),
            });
        }
        self.remember(Conversation::Room(key), line);
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

    pub(super) fn history(
        &mut self,
        id: ConnId,
        of: HistoryTarget<'_>,
        count: Option<u64>,
        range: HistoryRange,
    ) {
        let limit = self.config.limits.history_page_lines;
        let count = count.map_or(limit, |n| {
            usize::try_from(n).unwrap_or(usize::MAX).min(limit)
        });
        let window = Window {
            range,
            count,
            oldest: self.oldest_kept(),
        };
        let source = match of {
            HistoryTarget::Room(typed) => {
                let Some(key) = self.existing_room(id, typed) else {
                    return;
                };
                if !self.in_room(id, &key) {
                    return self.refuse_not_in(id, typed);
                }
                HistorySource::Room(key)
            }
            HistoryTarget::Private(typed) => {
                let other = match UserName::parse(typed) {
                    Ok(name) => name,
                    Err(e) => return self.refuse(id, Reason::BadName(e)),
                };
                let Some(me) = self.session(id).map(|s| s.name.clone()) else {
                    return;
                };
                HistorySource::Private {
                    pair: Conversation::private(&me, &other),
                    with: typed.to_owned(),
                }
            }
        };
        self.owe_history(id, source, window);
    }
}

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

/// Which lines of a history to show: `range`, at most `count` of them,
/// none said before `oldest`.
#[derive(Clone, Copy)]
struct Window {
    range: HistoryRange,
    count: usize,
    oldest: Millis,
}

#[cfg(feature = "sim")]
impl Engine {
    /// The ids of a room's history that `/history` can still show (within
    /// the retention's age), oldest first, for the simulator.
    pub(crate) fn history_ids(&self, room: &str) -> Option<Vec<u64>> {
        let key = RoomName::parse(room).ok()?.key();
        let oldest = self.oldest_kept();
        let channel = self.rooms.get(&key)?;
        let page = channel
            .history
            .page(HistoryRange::Latest(None), usize::MAX, oldest);
        Some(channel.history.lines(page.lines).map(|l| l.id.0).collect())
    }

    /// The first way rooms disagree with sessions or exceed a bound, for
    /// the simulator's invariants: every member is online and knows the
    /// room, every session's rooms hold it, busy members are the busy
    /// users, and the limits and history bounds hold.
    pub(crate) fn room_problem(&self) -> Option<String> {
        let l = &self.config.limits;
        let r = &self.config.retention;
        if self.rooms.created_count() > l.max_rooms {
            return Some(format!("{} rooms", self.rooms.created_count()));
        }
        for (key, channel) in self.rooms.iter() {
            let lobby = key == self.rooms.lobby_key();
            let counted_empty = self.upkeep.counts_empty(key);
            let empty = channel.members.len() == 0;
            if !lobby
                && !self.rooms.is_closing(key)
                && l.empty_room_ttl_ms > 0
                && counted_empty != empty
            {
                return Some(format!(
                    "{} has {} members but is counted empty: {counted_empty}",
                    key.as_str(),
                    channel.members.len()
                ));
            }
            if !lobby && channel.members.len() > l.max_room_members {
                return Some(format!(
                    "{} has {} members",
                    key.as_str(),
                    channel.members.len()
                ));
            }
            if channel.history.len() > r.room_lines
                || channel.history.bytes() > l.history_bytes_per_room
            {
                return Some(format!("{} keeps too much history", key.as_str()));
            }
            let ids: Vec<_> = channel
                .history
                .lines(0..channel.history.len())
                .map(|l| l.id)
                .collect();
            if !ids.windows(2).all(|w| w[0] < w[1]) {
                return Some(format!("{} keeps lines out of id order", key.as_str()));
            }
            for id in channel.members.member_ids() {
                let Some(session) = self.session(id) else {
                    return Some(format!("{id} in {} is not online", key.as_str()));
                };
                if !lobby && !session.rooms.contains(key) {
                    return Some(format!("{id} in {} does not know it", key.as_str()));
                }
                let busy = channel.members.presence(id) == Some(Presence::Busy);
                if busy != session.held.is_some() {
                    return Some(format!("{id} is busy in {} alone", key.as_str()));
                }
            }
        }
        for (&id, c) in &self.conns {
            let Some(session) = c.session() else {
                continue;
            };
            if session.rooms.len() > l.max_rooms_per_user {
                return Some(format!("{id} is in {} rooms", session.rooms.len()));
            }
            let in_lobby = self.rooms.lobby().presence(id).is_some();
            let known = session.rooms.iter().all(|k| self.in_room(id, k));
            if !in_lobby || !known {
                return Some(format!("{id} is not in a room it names"));
            }
        }
        (self.private.len() > l.max_private_histories).then(|| "too many pairs".to_owned())
    }
}
