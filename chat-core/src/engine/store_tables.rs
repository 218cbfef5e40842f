//! The engine's copy of what the store holds (accounts, the kick list,
//! rooms with their history, private history), seen as the
//! [`StoreTables`] a [`StoreChange`](crate::StoreChange) is applied to:
//! the engine changes them only through the one meaning of a change.

use crate::{
    Conversation, Grant, HistoryLine, KickEntry, RoomName, RoomRecord, StoreTables, Topic,
    UserName, UserRecord,
};

use super::directory::Directory;
use super::history::{Bounds, PrivateHistories};
use super::kicklist::KickList;
use super::rooms::Rooms;

/// The engine's tables, borrowed from it for one change.
pub(crate) struct Tables<'a> {
    pub(crate) directory: &'a mut Directory,
    pub(crate) kicks: &'a mut KickList,
    pub(crate) rooms: &'a mut Rooms,
    pub(crate) private: &'a mut PrivateHistories,
    /// What a room's history keeps.
    pub(crate) room_bounds: Bounds,
    /// What a pair's history keeps.
    pub(crate) pair_bounds: Bounds,
    /// How many pairs keep history.
    pub(crate) max_pairs: usize,
}

impl StoreTables for Tables<'_> {
    fn has_user(&self, name: &UserName) -> bool {
        self.directory.get(&name.key()).is_some()
    }

    fn has_room(&self, room: &RoomName) -> bool {
        self.rooms.get(&room.key()).is_some()
    }

    fn add_user(&mut self, record: &UserRecord) {
        self.directory.insert(record.clone());
    }

    fn set_grant(&mut self, name: &UserName, grant: Grant) {
        self.directory.set_grant(&name.key(), grant);
    }

    fn set_password(&mut self, name: &UserName, phc: &str) {
        self.directory.set_password(&name.key(), phc);
    }

    fn put_kick(&mut self, entry: &KickEntry) {
        self.kicks.insert(entry.clone());
    }

    fn remove_kick(&mut self, name: &UserName) {
        self.kicks.remove(&name.key());
    }

    fn add_room(&mut self, record: &RoomRecord) {
        self.rooms.insert(record.clone());
    }

    fn set_topic(&mut self, room: &RoomName, topic: Option<&Topic>) {
        self.rooms.set_topic(&room.key(), topic.cloned());
    }

    fn set_modes(&mut self, room: &RoomName, modes: &crate::RoomModes) {
        self.rooms.set_modes(&room.key(), modes.clone());
    }

    fn remove_room(&mut self, room: &RoomName) {
        self.rooms.remove(&room.key());
    }

    fn append_line(&mut self, conversation: &Conversation, line: &HistoryLine) {
        match conversation {
            Conversation::Room(key) => self.rooms.remember(key, line.clone(), self.room_bounds),
            Conversation::Private(..) => {
                self.private
                    .push(conversation, line.clone(), self.pair_bounds, self.max_pairs)
            }
        }
    }
}
