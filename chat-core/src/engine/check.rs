//! What the simulator reads of the engine to check its invariants.

use crate::reply::Presence;
use crate::{Grant, HistoryRange, NameKey, RoomName};

use super::Engine;

impl Engine {
    /// The grant of an account named as typed (for the simulator, which
    /// checks names it made up).
    pub(crate) fn grant_of(&self, name: &str) -> Option<Grant> {
        self.directory
            .get(&NameKey::of(name))
            .map(|r| self.directory.grant_of(r))
    }

    /// Whether an account named as typed is on the kick list (for the
    /// simulator).
    pub(crate) fn is_kicked(&self, name: &str) -> bool {
        self.kicks.contains(&NameKey::of(name))
    }

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
