//! What the store holds: user records, kick entries, and the changes to
//! them. These are plain data shared by the engine (which asks for changes)
//! and the runtime's store (which makes them durable).

use serde::{Deserialize, Serialize};

use crate::{Grant, Millis, MsgId, RoomKey, RoomName, UserName};

/// One registered account.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct UserRecord {
    /// The name as registered.
    pub name: UserName,
    /// The argon2id PHC string of the password.
    pub phc: String,
    /// The stored grant.
    pub grant: Grant,
    /// When the account was registered.
    pub created: Millis,
}

/// One entry of the kick list: `name` may not log in until unkicked.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct KickEntry {
    /// The kicked account.
    pub name: UserName,
    /// The admin who kicked it.
    pub by: UserName,
    /// When it was kicked.
    pub at: Millis,
    /// Why, if the admin said.
    pub reason: Option<String>,
}

/// A room other than the lobby (which always exists and is not stored).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RoomRecord {
    /// The room's name as its creator spelled it.
    pub name: RoomName,
    /// The creator, the room's operator.
    pub operator: UserName,
    /// When it was created.
    pub created: Millis,
    /// Its topic, if one is set.
    pub topic: Option<Topic>,
}

/// A room's topic, with who set it and when.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Topic {
    /// The text.
    pub text: String,
    /// Who set it.
    pub by: UserName,
    /// When.
    pub at: Millis,
}

/// Where a history line was said: a room, or between two users.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Conversation {
    /// A room (the lobby included), by its folded name.
    Room(RoomKey),
    /// Private messages between two accounts, by their folded names in
    /// order (build it with [`Conversation::private`]).
    Private(String, String),
}

impl Conversation {
    /// The conversation between `a` and `b`, the same whichever speaks.
    ///
    /// ```
    /// use chat_core::{Conversation, UserName};
    /// let a = UserName::parse("Alice").unwrap();
    /// let b = UserName::parse("bob").unwrap();
    /// assert_eq!(Conversation::private(&a, &b), Conversation::private(&b, &a));
    /// ```
    pub fn private(a: &UserName, b: &UserName) -> Conversation {
        let (a, b) = (a.key(), b.key());
        let (lo, hi) = if a <= b { (a, b) } else { (b, a) };
        Conversation::Private(lo.as_str().to_owned(), hi.as_str().to_owned())
    }
}

/// One line kept in a conversation's history.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct HistoryLine {
    /// Its id, as it was shown when it was said; a conversation's lines
    /// are kept in the order of their ids.
    pub id: MsgId,
    /// When it was said (the server's time).
    pub at: Millis,
    /// Who said it.
    pub from: UserName,
    /// What was said.
    pub text: String,
}

/// How much history is kept: the store trims to this when it compacts,
/// the engine when it loads.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Retention {
    /// Lines kept per room.
    pub room_lines: usize,
    /// Lines kept per pair of users.
    pub private_lines: usize,
    /// Lines older than this are dropped (milliseconds).
    pub max_age_ms: u64,
}

impl Default for Retention {
    fn default() -> Retention {
        Retention {
            room_lines: 1_000,
            private_lines: 100,
            max_age_ms: 30 * 24 * 3_600_000,
        }
    }
}

/// Everything the store holds: the directory of users and the kick list.
///
/// The runtime loads a snapshot at start and hands it to
/// [`Engine::new`](crate::Engine::new); afterwards the engine asks for
/// [`StoreChange`]s, and the store applies them to its own copy with
/// [`StoreSnapshot::apply`], so both sides agree on what a change means.
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

/// A change the engine asks the store to make durable.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub enum StoreChange {
    /// A new account.
    AddUser(UserRecord),
    /// A new grant for an existing account.
    SetGrant {
        /// The account.
        name: UserName,
        /// Its new grant.
        grant: Grant,
    },
    /// A new password hash for an existing account.
    SetPassword {
        /// The account.
        name: UserName,
        /// The new argon2id PHC string.
        phc: String,
    },
    /// Put an account on the kick list (replacing an earlier entry).
    Kick(KickEntry),
    /// Take an account off the kick list.
    Unkick {
        /// The account.
        name: UserName,
    },
    /// A new room.
    CreateRoom(RoomRecord),
    /// A room's topic set (`Some`) or cleared (`None`).
    SetTopic {
        /// The room.
        room: RoomName,
        /// The new topic.
        topic: Option<Topic>,
    },
    /// A room removed, with its history.
    RemoveRoom {
        /// The room.
        room: RoomName,
    },
    /// A line added to a conversation's history.
    AppendLine {
        /// Where it was said.
        conversation: Conversation,
        /// The line.
        line: HistoryLine,
    },
}

impl StoreChange {
    /// The account this change is about (`None` for rooms and history).
    pub fn subject(&self) -> Option<&UserName> {
        match self {
            StoreChange::AddUser(r) => Some(&r.name),
            StoreChange::SetGrant { name, .. }
            | StoreChange::SetPassword { name, .. }
            | StoreChange::Unkick { name } => Some(name),
            StoreChange::Kick(k) => Some(&k.name),
            StoreChange::CreateRoom(_)
            | StoreChange::SetTopic { .. }
            | StoreChange::RemoveRoom { .. }
            | StoreChange::AppendLine { .. } => None,
        }
    }
}

/// Why a [`StoreChange`] cannot be applied to a snapshot.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ChangeError {
    /// `AddUser` for a name that is already registered (in any case).
    #[error("the name {0} is already registered")]
    NameTaken(UserName),
    /// A change to an account that does not exist.
    #[error("no user named {0}")]
    NoSuchUser(UserName),
    /// `CreateRoom` for a room that exists (in any case).
    #[error("the room {0} exists")]
    RoomTaken(RoomName),
    /// A change to a room that does not exist.
    #[error("no room named {0}")]
    NoSuchRoom(RoomName),
}

impl StoreSnapshot {
    fn room_index(&self, key: &RoomKey) -> Option<usize> {
        self.rooms.iter().position(|r| &r.name.key() == key)
    }

    /// Applies one change. On error the snapshot is unchanged.
    ///
    /// This is the meaning of a change, kept simple (linear lookups); a
    /// store with many accounts keeps its own indexed state.
    pub fn apply(&mut self, change: &StoreChange) -> Result<(), ChangeError> {
        let user = |name: &UserName| {
            let key = name.key();
            self.users
                .iter()
                .position(|u| u.name.key() == key)
                .ok_or_else(|| ChangeError::NoSuchUser(name.clone()))
        };
        match change {
            StoreChange::AddUser(record) => {
                if user(&record.name).is_ok() {
                    return Err(ChangeError::NameTaken(record.name.clone()));
                }
                self.users.push(record.clone());
            }
            StoreChange::SetGrant { name, grant } => {
                let i = user(name)?;
                self.users[i].grant = *grant;
            }
            StoreChange::SetPassword { name, phc } => {
                let i = user(name)?;
                self.users[i].phc.clone_from(phc);
            }
            StoreChange::Kick(entry) => {
                user(&entry.name)?;
                let key = entry.name.key();
                self.kicked.retain(|k| k.name.key() != key);
                self.kicked.push(entry.clone());
            }
            StoreChange::Unkick { name } => {
                let key = name.key();
                self.kicked.retain(|k| k.name.key() != key);
            }
            StoreChange::CreateRoom(record) => {
                if self.room_index(&record.name.key()).is_some() {
                    return Err(ChangeError::RoomTaken(record.name.clone()));
                }
                self.rooms.push(record.clone());
            }
            StoreChange::SetTopic { room, topic } => {
                let i = self
                    .room_index(&room.key())
                    .ok_or_else(|| ChangeError::NoSuchRoom(room.clone()))?;
                self.rooms[i].topic.clone_from(topic);
            }
            StoreChange::RemoveRoom { room } => {
                let key = room.key();
                let i = self
                    .room_index(&key)
                    .ok_or_else(|| ChangeError::NoSuchRoom(room.clone()))?;
                self.rooms.remove(i);
                let gone = Conversation::Room(key);
                self.history.retain(|(c, _)| *c != gone);
            }
            StoreChange::AppendLine { conversation, line } => {
                match self.history.iter_mut().find(|(c, _)| c == conversation) {
                    Some((_, lines)) => lines.push(line.clone()),
                    None => self
                        .history
                        .push((conversation.clone(), vec![line.clone()])),
                }
            }
        }
        Ok(())
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
    /// use chat_core::{Conversation, HistoryLine, Millis, MsgId, Retention, RoomName, StoreChange, StoreSnapshot, UserName};
    /// let mut snap = StoreSnapshot::default();
    /// let lobby = Conversation::Room(RoomName::parse("lobby").unwrap().key());
    /// for t in 0..5 {
    ///     let line = HistoryLine { id: MsgId(t + 1), at: Millis(t), from: UserName::parse("a").unwrap(), text: t.to_string() };
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
