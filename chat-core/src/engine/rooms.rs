//! Every room of the server: the lobby and the created ones, each with
//! its members, its stored record and its recent history.

use std::sync::Arc;

use crate::{
    Conversation, HistoryLine, Millis, NameKey, Retention, RoomKey, RoomName, RoomRecord,
    StoreSnapshot, Topic, LOBBY,
};

use super::history::{Bounds, History};
use super::members::Members;
use super::seeded::{map, set, Map, Set};

/// One room: members, its record (`None` for the lobby) and history.
///
/// Every room is one of these, the lobby too, and goes through the same
/// code; the lobby only has rules of its own ([`Channel::is_lobby`]).
#[derive(Debug)]
pub(crate) struct Channel {
    pub(crate) members: Members,
    pub(crate) record: Option<RoomRecord>,
    pub(crate) history: History,
    /// The name as written in its lines, shared by them.
    name: Arc<str>,
    /// Whether the store keeps it. A guest's room is not stored: it lives
    /// while it has members, as an IRC channel does, and its operators are
    /// its members' standing alone (no name is its operator: a guest's
    /// name is anyone's once the guest leaves).
    pub(crate) stored: bool,
    /// Those invited (`/invite`) who have not joined since, oldest first:
    /// they pass its `+i`, `+k` and `+l` once. Kept in memory only, at
    /// most as many as the room may have members.
    invited: Vec<NameKey>,
}

impl Channel {
    /// Invites the account `key` (the oldest invitation goes when there
    /// are `max` already).
    pub(crate) fn invite(&mut self, key: NameKey, max: usize) {
        if self.invited.contains(&key) {
            return;
        }
        if self.invited.len() >= max.max(1) {
            self.invited.remove(0);
        }
        self.invited.push(key);
    }

    /// Whether the account `key` was invited and has not joined since.
    pub(crate) fn is_invited(&self, key: &NameKey) -> bool {
        self.invited.contains(key)
    }

    /// The account `key` joined: its invitation is used.
    pub(crate) fn uninvite(&mut self, key: &NameKey) {
        self.invited.retain(|k| k != key);
    }

    /// Whether the account `key` founded it, a stored room (a guest's room
    /// has no founder: a name is nobody's once its guest leaves).
    pub(crate) fn founded_by(&self, key: &NameKey) -> bool {
        self.stored
            && self
                .record
                .as_ref()
                .is_some_and(|r| r.operator.key() == *key)
    }

    fn new(record: Option<RoomRecord>) -> Channel {
        let name = Arc::from(record.as_ref().map_or(LOBBY, |r| r.name.as_str()));
        Channel {
            members: Members::new(),
            record,
            history: History::default(),
            name,
            stored: true,
            invited: Vec::new(),
        }
    }

    /// The name as its creator spelled it (`lobby` for the lobby).
    pub(crate) fn name(&self) -> &str {
        &self.name
    }

    /// The name, shared (a line names its room without a copy).
    pub(crate) fn shared_name(&self) -> Arc<str> {
        Arc::clone(&self.name)
    }

    /// The name, as the vocabulary's (for observers' events).
    pub(crate) fn room_name(&self) -> RoomName {
        self.record
            .as_ref()
            .map_or_else(RoomName::lobby, |r| r.name.clone())
    }

    /// Whether this is the lobby, whose rules are its own: everyone is in
    /// it from login to logout (nobody joins or parts it by command, and
    /// it counts against no limit of rooms or members); nobody operates
    /// it (no topic, no removals, never closed); its history is shown
    /// only on request.
    pub(crate) fn is_lobby(&self) -> bool {
        self.record.is_none()
    }

    pub(crate) fn topic(&self) -> Option<&Topic> {
        self.record.as_ref().and_then(|r| r.topic.as_ref())
    }

    /// The room's modes (the lobby has the default ones, and nobody
    /// changes them).
    pub(crate) fn modes(&self) -> &crate::RoomModes {
        static LOBBY_MODES: crate::RoomModes = crate::RoomModes {
            open_topic: false,
            secret: false,
            moderated: false,
            key: None,
            limit: None,
            invite_only: false,
        };
        self.record.as_ref().map_or(&LOBBY_MODES, |r| &r.modes)
    }

    /// When the room was last used, as far as what is stored tells: its
    /// creation, its topic, its last line, whichever came last.
    pub(crate) fn last_used(&self) -> Millis {
        let created = self.record.as_ref().map_or(Millis(0), |r| r.created);
        let topic = self.topic().map_or(Millis(0), |t| t.at);
        let line = self.history.last_at().unwrap_or(Millis(0));
        created.max(topic).max(line)
    }
}

/// The rooms by folded name. The lobby is always there.
#[derive(Debug)]
pub(crate) struct Rooms {
    all: Map<RoomKey, Channel>,
    lobby: RoomKey,
    /// Rooms whose creation is being saved: their names are taken.
    creating: Set<RoomKey>,
    /// Rooms whose removal is being saved: no more changes to them are
    /// asked for (the store would refuse one that came after).
    closing: Set<RoomKey>,
}

impl Rooms {
    /// The lobby and the stored rooms.
    pub(crate) fn new(snapshot_rooms: Vec<RoomRecord>, seed: u64) -> Rooms {
        let lobby = lobby_key();
        let mut all = map(seed);
        all.insert(lobby.clone(), Channel::new(None));
        for record in snapshot_rooms {
            let key = record.name.key();
            if key != lobby {
                all.insert(key, Channel::new(Some(record)));
            }
        }
        Rooms {
            all,
            lobby,
            creating: set(seed),
            closing: set(seed),
        }
    }

    /// Loads kept room lines (private ones are the caller's); lines past
    /// the retention's age go when the room's history is next read.
    pub(crate) fn load_history(&mut self, snapshot: &StoreSnapshot, bounds: Bounds) {
        for (conversation, lines) in &snapshot.history {
            let Conversation::Room(key) = conversation else {
                continue;
            };
            if let Some(channel) = self.all.get_mut(key) {
                for line in lines {
                    channel.history.push(line.clone(), bounds);
                }
            }
        }
    }

    pub(crate) fn lobby_key(&self) -> &RoomKey {
        &self.lobby
    }

    pub(crate) fn lobby(&self) -> &Members {
        &self.all[&self.lobby].members
    }

    pub(crate) fn get(&self, key: &RoomKey) -> Option<&Channel> {
        self.all.get(key)
    }

    /// The key of the room whose folded name is `folded`, if it exists.
    pub(crate) fn key_named(&self, folded: &str) -> Option<&RoomKey> {
        self.all.get_key_value(folded).map(|(key, _)| key)
    }

    pub(crate) fn get_mut(&mut self, key: &RoomKey) -> Option<&mut Channel> {
        self.all.get_mut(key)
    }

    /// Whether the name is taken, by a room or a creation being saved.
    pub(crate) fn is_taken(&self, key: &RoomKey) -> bool {
        self.all.contains_key(key) || self.creating.contains(key)
    }

    /// Rooms besides the lobby, counting those being created.
    pub(crate) fn created_count(&self) -> usize {
        self.all.len() - 1 + self.creating.len()
    }

    pub(crate) fn begin_create(&mut self, key: RoomKey) {
        self.creating.insert(key);
    }

    pub(crate) fn end_create(&mut self, key: &RoomKey) {
        self.creating.remove(key);
    }

    pub(crate) fn begin_close(&mut self, key: RoomKey) {
        self.closing.insert(key);
    }

    pub(crate) fn end_close(&mut self, key: &RoomKey) {
        self.closing.remove(key);
    }

    /// Whether the room's removal is being saved.
    pub(crate) fn is_closing(&self, key: &RoomKey) -> bool {
        self.closing.contains(key)
    }

    /// A room whose creation is durable.
    pub(crate) fn insert(&mut self, record: RoomRecord) {
        let key = record.name.key();
        self.all.insert(key, Channel::new(Some(record)));
    }

    /// A room the store does not keep (a guest's), there from now on
    /// until its last member leaves.
    pub(crate) fn insert_unstored(&mut self, record: RoomRecord) {
        let key = record.name.key();
        let mut channel = Channel::new(Some(record));
        channel.stored = false;
        self.all.insert(key, channel);
    }

    pub(crate) fn remove(&mut self, key: &RoomKey) -> Option<Channel> {
        if *key == self.lobby {
            return None;
        }
        self.all.remove(key)
    }

    pub(crate) fn set_topic(&mut self, key: &RoomKey, topic: Option<Topic>) {
        if let Some(record) = self.all.get_mut(key).and_then(|c| c.record.as_mut()) {
            record.topic = topic;
        }
    }

    pub(crate) fn set_modes(&mut self, key: &RoomKey, modes: crate::RoomModes) {
        if let Some(record) = self.all.get_mut(key).and_then(|c| c.record.as_mut()) {
            record.modes = modes;
        }
    }

    /// A room's name for observers' events (the lobby's if it is gone).
    pub(crate) fn room_name(&self, key: &RoomKey) -> RoomName {
        self.get(key)
            .map_or_else(RoomName::lobby, Channel::room_name)
    }

    /// Every room, in no order.
    pub(crate) fn iter(&self) -> impl Iterator<Item = (&RoomKey, &Channel)> {
        self.all.iter()
    }

    /// Adds a line to a room's history.
    pub(crate) fn remember(&mut self, key: &RoomKey, line: HistoryLine, bounds: Bounds) {
        if let Some(c) = self.all.get_mut(key) {
            c.history.push(line, bounds);
        }
    }

    /// Empties every room of members (the engine stopped).
    pub(crate) fn clear_members(&mut self) {
        for c in self.all.values_mut() {
            c.members = Members::new();
        }
    }
}

/// The lobby's key.
pub(crate) fn lobby_key() -> RoomKey {
    RoomName::parse(LOBBY)
        .expect("the lobby's name is valid")
        .key()
}

/// The bounds of a room's history.
pub(crate) fn room_bounds(retention: &Retention, bytes: usize) -> Bounds {
    Bounds {
        lines: retention.room_lines,
        bytes,
        max_age_ms: retention.max_age_ms,
    }
}

/// The bounds of a pair's history.
pub(crate) fn private_bounds(retention: &Retention, bytes: usize) -> Bounds {
    Bounds {
        lines: retention.private_lines,
        bytes,
        max_age_ms: retention.max_age_ms,
    }
}
