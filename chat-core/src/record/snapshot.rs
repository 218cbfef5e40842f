//! Everything the store holds, as plain lists: the snapshot a store
//! loads and writes, and the simplest [`StoreTables`].

use serde::{Deserialize, Serialize};

use crate::{
    ChangeError, Conversation, Grant, HistoryLine, KickEntry, Millis, MsgId, Retention, RoomKey,
    RoomModes, RoomName, RoomRecord, StoreChange, StoreTables, Topic, UserName, UserRecord,
};

/// Everything the store holds: the directory of users and the kick list.
///
/// The runtime loads a snapshot at start and hands it to
/// [`Engine::new`](crate::Engine::new); afterwards the engine asks for
/// [`StoreChange`]s. The engine, the store and a snapshot
/// ([`StoreSnapshot::apply`]) each apply them to their own tables with
/// [`StoreChange::apply_to`], so all agree on what a change means.
///
/// ```
/// use chat_core::{Grant, Millis, StoreChange, StoreSnapshot, UserName, UserRecord};
/// let mut snap = StoreSnapshot::default();
/// let alice = UserName::parse("alice").unwrap();
/// snap.apply(&StoreChange::AddUser(UserRecord {
///     name: alice.clone(),
///     phc: "$argon2id$...".into(),
///     grant: Grant::User,
///     created: Millis(0),
/// }))
/// .unwrap();
/// snap.apply(&StoreChange::SetGrant { name: alice.clone(), grant: Grant::Admin }).unwrap();
/// assert_eq!(snap.users[0].grant, Grant::Admin);
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoreSnapshot {
    /// Registered users, in registration order.
    pub users: Vec<UserRecord>,
    /// The kick list, in kick order.
    pub kicked: Vec<KickEntry>,
    /// Rooms other than the lobby, in creation order.
    #[serde(default)]
    pub rooms: Vec<RoomRecord>,
    /// Each conversation's kept lines, oldest first.
    #[serde(default)]
    pub history: Vec<(Conversation, Vec<HistoryLine>)>,
}

impl StoreSnapshot {
    fn user_index(&self, name: &UserName) -> Option<usize> {
        let key = name.key();
        self.users.iter().position(|u| u.name.key() == key)
    }

    fn room_index(&self, key: &RoomKey) -> Option<usize> {
        self.rooms.iter().position(|r| &r.name.key() == key)
    }

    /// Applies one change ([`StoreChange::apply_to`]). On error the
    /// snapshot is unchanged.
    pub fn apply(&mut self, change: &StoreChange) -> Result<(), ChangeError> {
        change.apply_to(self)
    }

    /// The largest message id of the history held, if any line is held.
    ///
    /// ```
    /// use chat_core::StoreSnapshot;
    /// assert_eq!(StoreSnapshot::default().last_msg_id(), None);
    /// ```
    pub fn last_msg_id(&self) -> Option<MsgId> {
        self.history
            .iter()
            .filter_map(|(_, lines)| lines.iter().map(|l| l.id).max())
            .max()
    }

    /// Drops the history `retention` does not keep at `now`: lines older
    /// than its age, then the oldest beyond its count per conversation.
    ///
    /// ```
    /// use chat_core::{Conversation, HistoryLine, MessageKind, Millis, MsgId, Retention, RoomName, StoreChange, StoreSnapshot, UserName};
    /// let mut snap = StoreSnapshot::default();
    /// let lobby = Conversation::Room(RoomName::parse("lobby").unwrap().key());
    /// for t in 0..5 {
    ///     let line = HistoryLine { id: MsgId(t + 1), at: Millis(t), from: UserName::parse("a").unwrap(), text: t.to_string(), kind: MessageKind::Said };
    ///     snap.apply(&StoreChange::AppendLine { conversation: lobby.clone(), line }).unwrap();
    /// }
    /// snap.trim(&Retention { room_lines: 3, private_lines: 1, max_age_ms: 10 }, Millis(5));
    /// assert_eq!(snap.history[0].1.len(), 3);
    /// assert_eq!(snap.history[0].1[0].text, "2");
    /// ```
    pub fn trim(&mut self, retention: &Retention, now: Millis) {
        let oldest = now.0.saturating_sub(retention.max_age_ms);
        for (conversation, lines) in &mut self.history {
            let keep = match conversation {
                Conversation::Room(_) => retention.room_lines,
                Conversation::Private(..) => retention.private_lines,
            };
            let stale = lines.iter().take_while(|l| l.at.0 < oldest).count();
            let over = lines.len().saturating_sub(keep);
            lines.drain(..stale.max(over));
        }
        self.history.retain(|(_, lines)| !lines.is_empty());
    }
}

/// The plain lists, found by linear search: a snapshot is for loading and
/// checking, a store with many accounts keeps its own indexed tables.
impl StoreTables for StoreSnapshot {
    fn has_user(&self, name: &UserName) -> bool {
        self.user_index(name).is_some()
    }

    fn has_room(&self, room: &RoomName) -> bool {
        self.room_index(&room.key()).is_some()
    }

    fn add_user(&mut self, record: &UserRecord) {
        self.users.push(record.clone());
    }

    fn set_grant(&mut self, name: &UserName, grant: Grant) {
        if let Some(i) = self.user_index(name) {
            self.users[i].grant = grant;
        }
    }

    fn set_password(&mut self, name: &UserName, phc: &str) {
        if let Some(i) = self.user_index(name) {
            phc.clone_into(&mut self.users[i].phc);
        }
    }

    fn put_kick(&mut self, entry: &KickEntry) {
        self.remove_kick(&entry.name);
        self.kicked.push(entry.clone());
    }

    fn remove_kick(&mut self, name: &UserName) {
        let key = name.key();
        self.kicked.retain(|k| k.name.key() != key);
    }

    fn add_room(&mut self, record: &RoomRecord) {
        self.rooms.push(record.clone());
    }

    fn set_topic(&mut self, room: &RoomName, topic: Option<&Topic>) {
        if let Some(i) = self.room_index(&room.key()) {
            self.rooms[i].topic = topic.cloned();
        }
    }

    fn set_modes(&mut self, room: &RoomName, modes: &RoomModes) {
        if let Some(i) = self.room_index(&room.key()) {
            self.rooms[i].modes = modes.clone();
        }
    }

    fn remove_room(&mut self, room: &RoomName) {
        let key = room.key();
        self.rooms.retain(|r| r.name.key() != key);
        let gone = Conversation::Room(key);
        self.history.retain(|(c, _)| *c != gone);
    }

    fn append_line(&mut self, conversation: &Conversation, line: &HistoryLine) {
        match self.history.iter_mut().find(|(c, _)| c == conversation) {
            Some((_, lines)) => lines.push(line.clone()),
            None => self
                .history
                .push((conversation.clone(), vec![line.clone()])),
        }
    }
}
