//! The store's own copy of what is durable, indexed so that a change costs
//! the same whatever the number of accounts: users by folded name, the
//! kick list and rooms by key with their order kept, history as one
//! bounded deque per conversation, trimmed by [`Retention`] on append.
//!
//! What a change means is chat-core's [`StoreChange::apply_to`]; this is
//! the [`StoreTables`] it writes to, each write noting its [`Undo`] so a
//! batch whose write fails can be taken back.

use std::collections::{BTreeMap, HashMap, VecDeque};

use serde::{Deserialize, Serialize};

use chat_core::{
    ChangeError, Conversation, Grant, HistoryLine, KickEntry, Millis, NameKey, Retention, RoomKey,
    RoomModes, RoomName, RoomRecord, StoreChange, StoreSnapshot, StoreTables, Topic, UserName,
    UserRecord,
};

/// Entries kept in the order they came, found by key in O(1): the order is
/// a counter, so removing one and adding it again puts it last.
#[derive(Debug)]
struct Ordered<K, V> {
    by_key: HashMap<K, u64>,
    by_order: BTreeMap<u64, V>,
    next: u64,
}

impl<K: std::hash::Hash + Eq, V> Default for Ordered<K, V> {
    fn default() -> Self {
        Ordered {
            by_key: HashMap::new(),
            by_order: BTreeMap::new(),
            next: 0,
        }
    }
}

impl<K: std::hash::Hash + Eq, V> Ordered<K, V> {
    fn get_mut(&mut self, key: &K) -> Option<&mut V> {
        let at = self.by_key.get(key)?;
        self.by_order.get_mut(at)
    }

    fn contains(&self, key: &K) -> bool {
        self.by_key.contains_key(key)
    }

    /// Adds `value` last (the caller removed any earlier entry).
    fn push(&mut self, key: K, value: V) -> u64 {
        let at = self.next;
        self.next += 1;
        self.by_key.insert(key, at);
        self.by_order.insert(at, value);
        at
    }

    fn remove(&mut self, key: &K) -> Option<(u64, V)> {
        let at = self.by_key.remove(key)?;
        self.by_order.remove(&at).map(|v| (at, v))
    }

    /// Puts back an entry at its old place (undo only).
    fn restore(&mut self, key: K, at: u64, value: V) {
        self.by_key.insert(key, at);
        self.by_order.insert(at, value);
    }

    fn values(&self) -> impl Iterator<Item = &V> {
        self.by_order.values()
    }

    fn len(&self) -> usize {
        self.by_order.len()
    }
}

/// What takes one applied change back.
#[derive(Debug)]
pub(crate) enum Undo {
    AddUser(NameKey),
    Grant(usize, Grant),
    Password(usize, String),
    Kicked {
        key: NameKey,
        old: Option<(u64, KickEntry)>,
    },
    CreateRoom(RoomKey),
    Topic(RoomKey, Option<Topic>),
    Modes(RoomKey, RoomModes),
    RemoveRoom {
        key: RoomKey,
        at: u64,
        record: RoomRecord,
        history: Option<Kept>,
    },
    Append {
        conversation: Conversation,
        /// How many lines it trimmed, the last ones on
        /// [`StoreState::trimmed`].
        dropped: usize,
    },
    /// A change that wrote nothing.
    Nothing,
}

/// The accounts in registration order, indexed by folded name.
#[derive(Debug, Default)]
pub(crate) struct Users {
    list: Vec<UserRecord>,
    index: HashMap<NameKey, usize>,
}

impl Users {
    /// Indexes accounts read from a snapshot; two of one name is damage.
    pub(crate) fn index(list: Vec<UserRecord>) -> Result<Users, ChangeError> {
        let mut index = HashMap::with_capacity(list.len());
        for (i, user) in list.iter().enumerate() {
            if index.insert(user.name.key(), i).is_some() {
                return Err(ChangeError::NameTaken(user.name.clone()));
            }
        }
        Ok(Users { list, index })
    }
}

/// Everything but the accounts, as a snapshot holds it: encoded and
/// decoded apart from the accounts, so the two go in parallel.
#[derive(Debug, Default, Deserialize)]
pub(crate) struct Others {
    kicked: Vec<KickEntry>,
    rooms: Vec<RoomRecord>,
    history: Vec<(Conversation, Vec<HistoryLine>)>,
}

/// [`Others`] borrowed from a [`StoreSnapshot`], to encode.
#[derive(Debug, Serialize)]
pub(crate) struct OthersRef<'a> {
    kicked: &'a [KickEntry],
    rooms: &'a [RoomRecord],
    history: &'a [(Conversation, Vec<HistoryLine>)],
}

impl<'a> OthersRef<'a> {
    pub(crate) fn of(snapshot: &'a StoreSnapshot) -> OthersRef<'a> {
        OthersRef {
            kicked: &snapshot.kicked,
            rooms: &snapshot.rooms,
            history: &snapshot.history,
        }
    }
}

/// History by conversation, each trimmed to its retention.
type History = BTreeMap<Conversation, Kept>;

/// A conversation's kept lines and their bytes of names and text, kept
/// as lines come and go: the byte bound is checked on every line
/// appended, and summing a thousand lines for each was 5 % of a busy
/// server's time.
#[derive(Debug, Default, Clone)]
pub(crate) struct Kept {
    lines: VecDeque<HistoryLine>,
    bytes: usize,
}

impl Kept {
    fn push_back(&mut self, line: HistoryLine) {
        self.bytes += line_bytes([&line]);
        self.lines.push_back(line);
    }

    fn push_front(&mut self, line: HistoryLine) {
        self.bytes += line_bytes([&line]);
        self.lines.push_front(line);
    }

    fn pop_front(&mut self) -> Option<HistoryLine> {
        let line = self.lines.pop_front()?;
        self.bytes -= line_bytes([&line]);
        Some(line)
    }

    fn pop_back(&mut self) -> Option<HistoryLine> {
        let line = self.lines.pop_back()?;
        self.bytes -= line_bytes([&line]);
        Some(line)
    }

    fn front(&self) -> Option<&HistoryLine> {
        self.lines.front()
    }

    fn back(&self) -> Option<&HistoryLine> {
        self.lines.back()
    }

    fn len(&self) -> usize {
        self.lines.len()
    }

    fn is_empty(&self) -> bool {
        self.lines.is_empty()
    }

    fn iter(&self) -> impl Iterator<Item = &HistoryLine> {
        self.lines.iter()
    }

    /// Drops the oldest lines until at most `keep` are left.
    fn keep_last(&mut self, keep: usize) {
        while self.len() > keep {
            self.pop_front();
        }
    }
}

impl From<Vec<HistoryLine>> for Kept {
    fn from(lines: Vec<HistoryLine>) -> Kept {
        Kept {
            bytes: line_bytes(&lines),
            lines: VecDeque::from(lines),
        }
    }
}

impl From<Kept> for Vec<HistoryLine> {
    fn from(kept: Kept) -> Vec<HistoryLine> {
        Vec::from(kept.lines)
    }
}

/// The byte bound of a conversation: `(room, pair)`'s.
fn bytes_for((room, pair): (usize, usize), conversation: &Conversation) -> usize {
    match conversation {
        Conversation::Room(_) => room,
        Conversation::Private(..) => pair,
    }
}

fn keep_for(retention: &Retention, conversation: &Conversation) -> usize {
    match conversation {
        Conversation::Room(_) => retention.room_lines,
        Conversation::Private(..) => retention.private_lines,
    }
}

/// Builds the history of a snapshot (moving its lines, no copy).
pub(crate) fn history_of(
    lines: Vec<(Conversation, Vec<HistoryLine>)>,
    retention: &Retention,
) -> History {
    let mut history = History::new();
    for (conversation, lines) in lines {
        let keep = keep_for(retention, &conversation);
        let kept = history.entry(conversation).or_default();
        if kept.is_empty() {
            *kept = Kept::from(lines);
        } else {
            lines.into_iter().for_each(|l| kept.push_back(l));
        }
        kept.keep_last(keep);
    }
    history
}

impl Others {
    /// The parts, as read from an older format.
    pub(crate) fn new(
        kicked: Vec<KickEntry>,
        rooms: Vec<RoomRecord>,
        history: Vec<(Conversation, Vec<HistoryLine>)>,
    ) -> Others {
        Others {
            kicked,
            rooms,
            history,
        }
    }

    /// Splits off the history to build it apart.
    pub(crate) fn take_history(&mut self) -> Vec<(Conversation, Vec<HistoryLine>)> {
        std::mem::take(&mut self.history)
    }
}

/// Above this many accounts, copying the state for the engine uses a
/// second thread.
const PARALLEL_FROM: usize = 10_000;

/// The store's indexed state.
#[derive(Debug)]
pub(crate) struct StoreState {
    users: Vec<UserRecord>,
    user_index: HashMap<NameKey, usize>,
    kicked: Ordered<NameKey, KickEntry>,
    rooms: Ordered<RoomKey, RoomRecord>,
    history: History,
    retention: Retention,
    /// Bytes of names and text kept per room and per pair, as the engine
    /// keeps them (its `history_bytes_per_room`, `history_bytes_per_pair`):
    /// the store's copy is bounded like the engine's, not by its line
    /// count alone.
    history_bytes: (usize, usize),
    /// What takes back the write of the change being applied.
    undo: Option<Undo>,
    /// The lines the batch being committed trimmed, oldest first, kept
    /// for its undos until it is written: one buffer for every line, not
    /// one per append.
    trimmed: Vec<HistoryLine>,
}

/// Bytes of names and text of some lines, what the byte bounds count.
fn line_bytes<'a>(lines: impl IntoIterator<Item = &'a HistoryLine>) -> usize {
    lines
        .into_iter()
        .map(|l| l.from.as_str().len() + l.text.len())
        .sum()
}

impl StoreState {
    pub(crate) fn new(retention: Retention) -> StoreState {
        StoreState {
            users: Vec::new(),
            user_index: HashMap::new(),
            kicked: Ordered::default(),
            rooms: Ordered::default(),
            history: BTreeMap::new(),
            retention,
            history_bytes: (usize::MAX, usize::MAX),
            undo: None,
            trimmed: Vec::new(),
        }
    }

    /// Bounds each room's and pair's kept lines by bytes too, as the
    /// engine does, dropping the oldest lines beyond the bounds now.
    pub(crate) fn bound_history_bytes(&mut self, room: usize, pair: usize) {
        self.history_bytes = (room, pair);
        for (conversation, lines) in &mut self.history {
            let max = bytes_for(self.history_bytes, conversation);
            while lines.bytes > max && lines.pop_front().is_some() {}
        }
        self.history.retain(|_, lines| !lines.is_empty());
    }

    /// Puts together the parts of a snapshot decoded apart.
    pub(crate) fn from_parts(
        users: Users,
        others: Others,
        history: History,
        retention: Retention,
        now: Millis,
    ) -> Result<StoreState, ChangeError> {
        let mut state = StoreState::new(retention);
        state.users = users.list;
        state.user_index = users.index;
        for entry in others.kicked {
            state.apply(&StoreChange::Kick(entry))?;
        }
        for room in others.rooms {
            state.apply(&StoreChange::CreateRoom(room))?;
        }
        state.history = history;
        state.drop_older_than(now);
        Ok(state)
    }

    /// Drops the lines older than the retention's age at `now`.
    pub(crate) fn drop_older_than(&mut self, now: Millis) {
        let oldest = now.0.saturating_sub(self.retention.max_age_ms);
        for lines in self.history.values_mut() {
            while lines.front().is_some_and(|l| l.at.0 < oldest) {
                lines.pop_front();
            }
        }
        self.history.retain(|_, lines| !lines.is_empty());
    }

    fn user(&self, name: &UserName) -> Option<usize> {
        self.user_index.get(&name.key()).copied()
    }

    /// Whether an account of that (folded) name exists.
    pub(crate) fn has_user(&self, key: &NameKey) -> bool {
        self.user_index.contains_key(key)
    }

    /// Whether any account is an admin (grant 0).
    pub(crate) fn has_admin(&self) -> bool {
        self.users.iter().any(|u| u.grant.is_admin())
    }

    /// Applies one change ([`StoreChange::apply_to`]); on error nothing
    /// changed.
    pub(crate) fn apply(&mut self, change: &StoreChange) -> Result<Undo, ChangeError> {
        self.undo = None;
        change.apply_to(self)?;
        // Every change that applies writes once, and each write notes
        // its undo.
        Ok(self.undo.take().unwrap_or(Undo::Nothing))
    }

    /// Ends a batch, written or taken back: the lines it trimmed go.
    pub(crate) fn end_batch(&mut self) {
        self.trimmed.clear();
    }

    /// Takes back one change, the last applied first.
    pub(crate) fn undo(&mut self, undo: Undo) {
        match undo {
            Undo::AddUser(key) => {
                self.user_index.remove(&key);
                self.users.pop();
            }
            Undo::Grant(i, grant) => self.users[i].grant = grant,
            Undo::Password(i, phc) => self.users[i].phc = phc,
            Undo::Kicked { key, old } => {
                self.kicked.remove(&key);
                if let Some((at, entry)) = old {
                    self.kicked.restore(key, at, entry);
                }
            }
            Undo::CreateRoom(key) => {
                self.rooms.remove(&key);
            }
            Undo::Topic(key, topic) => {
                if let Some(record) = self.rooms.get_mut(&key) {
                    record.topic = topic;
                }
            }
            Undo::Modes(key, modes) => {
                if let Some(record) = self.rooms.get_mut(&key) {
                    record.modes = modes;
                }
            }
            Undo::RemoveRoom {
                key,
                at,
                record,
                history,
            } => {
                if let Some(lines) = history {
                    self.history.insert(Conversation::Room(key.clone()), lines);
                }
                self.rooms.restore(key, at, record);
            }
            Undo::Nothing => {}
            Undo::Append {
                conversation,
                dropped,
            } => {
                let lines = self.history.entry(conversation.clone()).or_default();
                lines.pop_back();
                let from = self.trimmed.len().saturating_sub(dropped);
                for line in self.trimmed.drain(from..).rev() {
                    lines.push_front(line);
                }
                if lines.is_empty() {
                    self.history.remove(&conversation);
                }
            }
        }
    }

    /// Everything, as the engine and the snapshot file take it. History
    /// comes ordered by conversation.
    pub(crate) fn snapshot(&self) -> StoreSnapshot {
        let others = || StoreSnapshot {
            users: Vec::new(),
            kicked: self.kicked.values().cloned().collect(),
            rooms: self.rooms.values().cloned().collect(),
            history: self
                .history
                .iter()
                .map(|(c, kept)| (c.clone(), kept.iter().cloned().collect()))
                .collect(),
        };
        if self.users.len() < PARALLEL_FROM {
            return StoreSnapshot {
                users: self.users.clone(),
                ..others()
            };
        }
        std::thread::scope(|s| {
            let users = s.spawn(|| self.users.clone());
            let rest = others();
            StoreSnapshot {
                users: users
                    .join()
                    .unwrap_or_else(|p| std::panic::resume_unwind(p)),
                ..rest
            }
        })
    }

    /// Everything, moved out rather than copied: for a state read only
    /// to be written again (a compaction beside the writer), so it is
    /// never held twice.
    pub(crate) fn into_snapshot(self) -> StoreSnapshot {
        StoreSnapshot {
            users: self.users,
            kicked: self.kicked.by_order.into_values().collect(),
            rooms: self.rooms.by_order.into_values().collect(),
            history: self
                .history
                .into_iter()
                .map(|(c, lines)| (c, Vec::from(lines)))
                .collect(),
        }
    }

    /// The largest message id of the history held, if any.
    pub(crate) fn last_msg_id(&self) -> Option<chat_core::MsgId> {
        self.history
            .values()
            .filter_map(|l| l.back())
            .map(|l| l.id)
            .max()
    }

    /// Counts for logs: users, kicked, rooms, history lines.
    pub(crate) fn counts(&self) -> (usize, usize, usize, usize) {
        (
            self.users.len(),
            self.kicked.len(),
            self.rooms.len(),
            self.history.values().map(Kept::len).sum(),
        )
    }
}

/// The indexed tables; each write notes what takes it back.
impl StoreTables for StoreState {
    fn has_user(&self, name: &UserName) -> bool {
        self.user_index.contains_key(&name.key())
    }

    fn has_room(&self, room: &RoomName) -> bool {
        self.rooms.contains(&room.key())
    }

    fn add_user(&mut self, record: &UserRecord) {
        let key = record.name.key();
        self.user_index.insert(key.clone(), self.users.len());
        self.users.push(record.clone());
        self.undo = Some(Undo::AddUser(key));
    }

    fn set_grant(&mut self, name: &UserName, grant: Grant) {
        if let Some(i) = self.user(name) {
            let old = std::mem::replace(&mut self.users[i].grant, grant);
            self.undo = Some(Undo::Grant(i, old));
        }
    }

    fn set_password(&mut self, name: &UserName, phc: &str) {
        if let Some(i) = self.user(name) {
            let old = std::mem::replace(&mut self.users[i].phc, phc.to_owned());
            self.undo = Some(Undo::Password(i, old));
        }
    }

    fn put_kick(&mut self, entry: &KickEntry) {
        let key = entry.name.key();
        let old = self.kicked.remove(&key);
        self.kicked.push(key.clone(), entry.clone());
        self.undo = Some(Undo::Kicked { key, old });
    }

    fn remove_kick(&mut self, name: &UserName) {
        let key = name.key();
        let old = self.kicked.remove(&key);
        self.undo = Some(Undo::Kicked { key, old });
    }

    fn add_room(&mut self, record: &RoomRecord) {
        let key = record.name.key();
        self.rooms.push(key.clone(), record.clone());
        self.undo = Some(Undo::CreateRoom(key));
    }

    fn set_topic(&mut self, room: &RoomName, topic: Option<&Topic>) {
        let key = room.key();
        if let Some(record) = self.rooms.get_mut(&key) {
            let old = std::mem::replace(&mut record.topic, topic.cloned());
            self.undo = Some(Undo::Topic(key, old));
        }
    }

    fn set_modes(&mut self, room: &RoomName, modes: &RoomModes) {
        let key = room.key();
        if let Some(record) = self.rooms.get_mut(&key) {
            let old = std::mem::replace(&mut record.modes, modes.clone());
            self.undo = Some(Undo::Modes(key, old));
        }
    }

    fn remove_room(&mut self, room: &RoomName) {
        let key = room.key();
        if let Some((at, record)) = self.rooms.remove(&key) {
            let history = self.history.remove(&Conversation::Room(key.clone()));
            self.undo = Some(Undo::RemoveRoom {
                key,
                at,
                record,
                history,
            });
        }
    }

    /// Trims the conversation to the retention as it goes.
    fn append_line(&mut self, conversation: &Conversation, line: &HistoryLine) {
        let keep = keep_for(&self.retention, conversation);
        let max_bytes = bytes_for(self.history_bytes, conversation);
        let oldest = line.at.0.saturating_sub(self.retention.max_age_ms);
        let lines = match self.history.get_mut(conversation) {
            Some(lines) => lines,
            None => self.history.entry(conversation.clone()).or_default(),
        };
        lines.push_back(line.clone());
        let mut dropped = 0;
        while lines.len() > keep
            || lines.bytes > max_bytes
            || lines.front().is_some_and(|l| l.at.0 < oldest)
        {
            let Some(old) = lines.pop_front() else { break };
            self.trimmed.push(old);
            dropped += 1;
        }
        if lines.is_empty() {
            self.history.remove(conversation);
        }
        self.undo = Some(Undo::Append {
            conversation: conversation.clone(),
            dropped,
        });
    }
}

#[cfg(test)]
mod tests {
    use chat_core::{MessageKind, MsgId, RoomName};

    use super::*;

    fn line(id: u64, text: &str) -> HistoryLine {
        HistoryLine {
            id: MsgId(id),
            at: Millis(id),
            from: UserName::parse("ann").unwrap(),
            text: text.to_owned(),
            kind: MessageKind::Said,
        }
    }

    fn counted(state: &StoreState) -> Vec<(usize, usize)> {
        state
            .history
            .values()
            .map(|kept| (kept.bytes, line_bytes(kept.iter())))
            .collect()
    }

    #[test]
    fn the_bytes_kept_follow_appends_drops_and_undos() {
        let mut state = StoreState::new(Retention::default());
        state.bound_history_bytes(40, 40);
        let room = Conversation::Room(RoomName::parse("den").unwrap().key());
        let mut undos = Vec::new();
        for id in 1..=6 {
            let change = StoreChange::AppendLine {
                conversation: room.clone(),
                line: line(id, "ten bytes!"),
            };
            undos.push(state.apply(&change).unwrap());
            let [(kept, summed)] = counted(&state)[..] else {
                panic!("one conversation")
            };
            assert_eq!(kept, summed);
            assert!(kept <= 40, "{kept}");
        }
        // 13 bytes a line: three fit in 40.
        assert_eq!(state.history[&room].len(), 3);
        assert_eq!(state.trimmed.len(), 3, "kept for the undos");
        for undo in undos.into_iter().rev() {
            state.undo(undo);
            assert!(counted(&state).iter().all(|(kept, summed)| kept == summed));
        }
        assert!(state.history.is_empty());
        assert!(state.trimmed.is_empty(), "every trimmed line back in place");
    }

    #[test]
    fn a_written_batch_lets_its_trimmed_lines_go() {
        let mut state = StoreState::new(Retention::default());
        state.bound_history_bytes(40, 40);
        let room = Conversation::Room(RoomName::parse("den").unwrap().key());
        for id in 1..=6 {
            let change = StoreChange::AppendLine {
                conversation: room.clone(),
                line: line(id, "ten bytes!"),
            };
            state.apply(&change).unwrap();
        }
        state.end_batch();
        assert!(state.trimmed.is_empty());
        let ids: Vec<u64> = state.history[&room].iter().map(|l| l.id.0).collect();
        assert_eq!(ids, [4, 5, 6]);
    }
}
