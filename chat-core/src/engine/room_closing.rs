//! Rooms closed other than one by one: by the server, those nobody has
//! been in for `empty_room_ttl_ms` (see [`super::room_upkeep`]); by an
//! admin, every room one user created (`/closeroomsof`), after listing
//! them (`/roomsof`).

use std::collections::VecDeque;
use std::time::Duration;

use crate::reply::{Listing, Reason};
use crate::{ConnId, NameKey, RoomKey, RoomName, StoreChange, UserName};

use super::connection::ConnRef;
use super::listing::page_of;
use super::owed::Owed;
use super::Engine;

/// An admin's `/closeroomsof` under way: the rooms still to close, one
/// after another (each is acknowledged once durable, in order).
#[derive(Debug)]
pub(crate) struct BulkClose {
    by: ConnRef,
    rooms: VecDeque<RoomName>,
}

/// How soon the server tries again to close an empty room whose removal
/// could not be saved.
const RETRY_CLOSE: Duration = Duration::from_secs(60);

impl Engine {
    /// A room's removal could not be saved: if nobody is in it, it is
    /// counted empty again, due again in a minute (or its whole time, if
    /// shorter), not at once: a failing disk is not asked in a loop.
    pub(super) fn room_close_failed(&mut self, key: crate::RoomKey) {
        let ttl = self.config.limits.empty_room_ttl_ms;
        let empty = self.rooms.get(&key).is_some_and(|c| c.members.len() == 0);
        if !empty {
            return;
        }
        let retry = (RETRY_CLOSE.as_millis() as u64).min(ttl);
        let since = crate::Millis((self.now.0 + retry).saturating_sub(ttl));
        self.upkeep.emptied(key, since, ttl);
    }

    /// The rooms a user created that exist now, sorted by key.
    fn rooms_created_by(&self, user: &NameKey) -> Vec<&RoomKey> {
        let mut keys: Vec<&RoomKey> = self
            .rooms
            .iter()
            .filter(|(_, c)| c.record.as_ref().is_some_and(|r| r.operator.key() == *user))
            .map(|(k, _)| k)
            .collect();
        keys.sort_unstable();
        keys
    }

    /// `/roomsof <user> [page]`: the rooms a user created, as `/rooms`
    /// lists rooms (an admin's, sent as the connection drains).
    pub(super) fn rooms_of(&mut self, id: ConnId, user: &str, page: u64) {
        let user = match UserName::parse(user) {
            Ok(name) => name.key(),
            Err(e) => return self.refuse(id, Reason::BadName(e)),
        };
        let keys = self.rooms_created_by(&user);
        let (range, page) = page_of(keys.len(), page, self.config.limits.rooms_page_rows);
        let rows = keys[range].iter().map(|&k| k.clone()).collect();
        self.owe(
            id,
            Owed::Rooms {
                rows,
                end: Listing::RoomsPage(page),
            },
        );
    }

    /// `/closeroomsof <user>`: closes every room the user created, one
    /// after another as each is durable, each answered `OK closed` as a
    /// `/closeroom` is (and each member sees it closed); the admin's next
    /// lines wait until the last.
    pub(super) fn close_rooms_of(&mut self, id: ConnId, typed: &str) {
        let user = match UserName::parse(typed) {
            Ok(name) => name.key(),
            Err(e) => return self.refuse(id, Reason::BadName(e)),
        };
        let rooms: VecDeque<RoomName> = self
            .rooms_created_by(&user)
            .into_iter()
            .filter(|k| !self.rooms.is_closing(k))
            .filter_map(|k| self.rooms.get(k)?.record.as_ref())
            .map(|r| r.name.clone())
            .collect();
        let Some(by) = self.conn_ref(id) else {
            return;
        };
        if rooms.is_empty() {
            return self.refuse(id, Reason::NoRoomsOf { user: typed });
        }
        log::info!(
            "{} closes the {} rooms of {typed}",
            self.who(Some(by)),
            rooms.len()
        );
        self.set_waiting(id, true);
        self.bulk_closes.insert(id, BulkClose { by, rooms });
        self.close_next_of_bulk(by);
    }

    /// Asks for the next removal of `by`'s `/closeroomsof`, if one is
    /// under way; false (and the close forgotten) when none is left or
    /// the admin is gone.
    pub(super) fn close_next_of_bulk(&mut self, by: ConnRef) -> bool {
        loop {
            let Some(bulk) = self.bulk_closes.get_mut(&by.id).filter(|b| b.by == by) else {
                return false;
            };
            let Some(room) = bulk.rooms.pop_front() else {
                self.bulk_closes.remove(&by.id);
                return false;
            };
            if !self.live(by) {
                self.bulk_closes.remove(&by.id);
                return false;
            }
            let key = room.key();
            // Closed or closing meanwhile: nothing to ask for it.
            if self.rooms.get(&key).is_none() || self.rooms.is_closing(&key) {
                continue;
            }
            self.rooms.begin_close(key);
            self.persist(Some(by), StoreChange::RemoveRoom { room });
            return true;
        }
    }

    /// A removal of a `/closeroomsof` failed: the rest is not asked for
    /// (the admin was told it could not be saved).
    pub(super) fn stop_bulk_close(&mut self, conn: ConnRef) {
        if self.bulk_closes.get(&conn.id).is_some_and(|b| b.by == conn) {
            self.bulk_closes.remove(&conn.id);
        }
    }

    /// Closes the rooms that have been empty for the configured time:
    /// their removal is asked of the store like an operator's `/closeroom`,
    /// with nobody waiting for it (nobody is in them to be told).
    pub(super) fn close_empty_rooms(&mut self) {
        let ttl = self.config.limits.empty_room_ttl_ms;
        for key in self.upkeep.take_due(self.now, ttl) {
            if self.rooms.is_closing(&key) {
                continue;
            }
            let Some(channel) = self.rooms.get(&key) else {
                continue;
            };
            let Some(record) = channel.record.as_ref() else {
                continue;
            };
            if channel.members.len() != 0 {
                continue;
            }
            let room = record.name.clone();
            let days = Duration::from_millis(ttl).as_secs() / 86_400;
            log::info!("closing room {room}: nobody has been in it for {days} days or more");
            self.rooms.begin_close(key);
            self.persist(None, StoreChange::RemoveRoom { room });
        }
    }
}
