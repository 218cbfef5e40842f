//! The changes the engine asks the store to make durable, and what each
//! one means: [`StoreChange::apply_to`], the one definition the engine,
//! the journal, snapshots and the simulator share.

use serde::{Deserialize, Serialize};

use crate::{
    Conversation, Grant, HistoryLine, KickEntry, RoomModes, RoomName, RoomRecord, Topic, UserName,
    UserRecord,
};

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
    /// A room's modes set (all of them, as they are after the change).
    SetModes {
        /// The room.
        room: RoomName,
        /// Its modes.
        modes: RoomModes,
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
            | StoreChange::SetModes { .. }
            | StoreChange::RemoveRoom { .. }
            | StoreChange::AppendLine { .. } => None,
        }
    }
}

/// The tables a [`StoreChange`] reads and writes: accounts, the kick
/// list, rooms and history. The engine keeps them bounded in memory, the
/// journal's store indexed on disk, a [`StoreSnapshot`](crate::StoreSnapshot)
/// as plain lists; each says here only how to look a thing up and how to
/// write it. What a change means, which checks come first and what it
/// writes, is [`StoreChange::apply_to`], once for all of them.
///
/// A writer is only called once the change's checks passed: an account
/// or room it changes exists, one it adds does not.
pub trait StoreTables {
    /// Whether an account of this name (in any case) exists.
    fn has_user(&self, name: &UserName) -> bool;
    /// Whether a room of this name (in any case) exists.
    fn has_room(&self, room: &RoomName) -> bool;
    /// Adds an account, last in registration order.
    fn add_user(&mut self, record: &UserRecord);
    /// Sets an account's grant.
    fn set_grant(&mut self, name: &UserName, grant: Grant);
    /// Sets an account's password hash.
    fn set_password(&mut self, name: &UserName, phc: &str);
    /// Puts an account on the kick list, last in kick order, in place of
    /// an earlier entry of it.
    fn put_kick(&mut self, entry: &KickEntry);
    /// Takes an account off the kick list, if it is on it.
    fn remove_kick(&mut self, name: &UserName);
    /// Adds a room, last in creation order.
    fn add_room(&mut self, record: &RoomRecord);
    /// Sets or clears a room's topic.
    fn set_topic(&mut self, room: &RoomName, topic: Option<&Topic>);
    /// Sets a room's modes.
    fn set_modes(&mut self, room: &RoomName, modes: &RoomModes);
    /// Removes a room and its history.
    fn remove_room(&mut self, room: &RoomName);
    /// Adds a line at the end of a conversation's history (the tables
    /// keep what their bounds allow).
    fn append_line(&mut self, conversation: &Conversation, line: &HistoryLine);
}

impl StoreChange {
    /// What the change means: its checks, then what it writes to `tables`.
    /// On error nothing was written.
    ///
    /// - `AddUser`: the name (in any case) is free.
    /// - `SetGrant`, `SetPassword`, `Kick`: the account exists. A kick
    ///   replaces an earlier entry of the account.
    /// - `Unkick`: none; taking off an account not on the list is no
    ///   change.
    /// - `CreateRoom`: the name (in any case) is free.
    /// - `SetTopic`, `SetModes`, `RemoveRoom`: the room exists; removing it removes
    ///   its history.
    /// - `AppendLine`: none; the line goes last in its conversation.
    ///
    /// ```
    /// use chat_core::{Grant, Millis, StoreChange, StoreSnapshot, UserName, UserRecord};
    /// let bob = UserName::parse("bob").unwrap();
    /// let mut snap = StoreSnapshot::default();
    /// let grant = StoreChange::SetGrant { name: bob.clone(), grant: Grant::Admin };
    /// assert!(grant.apply_to(&mut snap).is_err(), "no such account yet");
    /// let record = UserRecord { name: bob, phc: "$argon2id$...".into(), grant: Grant::User, created: Millis(0) };
    /// StoreChange::AddUser(record).apply_to(&mut snap).unwrap();
    /// grant.apply_to(&mut snap).unwrap();
    /// assert_eq!(snap.users[0].grant, Grant::Admin);
    /// ```
    pub fn apply_to<T: StoreTables + ?Sized>(&self, tables: &mut T) -> Result<(), ChangeError> {
        let user = |tables: &T, name: &UserName| {
            if tables.has_user(name) {
                Ok(())
            } else {
                Err(ChangeError::NoSuchUser(name.clone()))
            }
        };
        let room = |tables: &T, room: &RoomName| {
            if tables.has_room(room) {
                Ok(())
            } else {
                Err(ChangeError::NoSuchRoom(room.clone()))
            }
        };
        match self {
            StoreChange::AddUser(record) => {
                if tables.has_user(&record.name) {
                    return Err(ChangeError::NameTaken(record.name.clone()));
                }
                tables.add_user(record);
            }
            StoreChange::SetGrant { name, grant } => {
                user(tables, name)?;
                tables.set_grant(name, *grant);
            }
            StoreChange::SetPassword { name, phc } => {
                user(tables, name)?;
                tables.set_password(name, phc);
            }
            StoreChange::Kick(entry) => {
                user(tables, &entry.name)?;
                tables.put_kick(entry);
            }
            StoreChange::Unkick { name } => tables.remove_kick(name),
            StoreChange::CreateRoom(record) => {
                if tables.has_room(&record.name) {
                    return Err(ChangeError::RoomTaken(record.name.clone()));
                }
                tables.add_room(record);
            }
            StoreChange::SetTopic { room: name, topic } => {
                room(tables, name)?;
                tables.set_topic(name, topic.as_ref());
            }
            StoreChange::SetModes { room: name, modes } => {
                room(tables, name)?;
                tables.set_modes(name, modes);
            }
            StoreChange::RemoveRoom { room: name } => {
                room(tables, name)?;
                tables.remove_room(name);
            }
            StoreChange::AppendLine { conversation, line } => {
                tables.append_line(conversation, line);
            }
        }
        Ok(())
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
