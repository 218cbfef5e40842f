//! Rooms the server closes by itself: those nobody has been in for
//! `empty_room_ttl_ms` (see [`super::room_upkeep`]).

use std::time::Duration;

use crate::StoreChange;

use super::Engine;

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
