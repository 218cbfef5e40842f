//! A room and its members, with each member's presence.

use super::table::{map, Map};
use std::sync::Arc;

use crate::reply::Presence;
use crate::ConnId;

/// A room: who is in it and whether each member is free or busy.
///
/// Free and busy members are kept in separate lists so that a broadcast
/// walks the free ones without a lookup per member; removal is O(1) by
/// swap-remove with an index.
#[derive(Debug)]
pub(crate) struct Room {
    name: String,
    free: Vec<ConnId>,
    busy: Vec<ConnId>,
    slots: Map<ConnId, (Presence, usize)>,
    /// The free members as a shared list, rebuilt after a change: in a
    /// steady room a broadcast costs one reference count, not one entry
    /// per member.
    free_shared: Option<Arc<[ConnId]>>,
}

impl Room {
    pub(crate) fn new(name: &str, seed: u64) -> Room {
        Room {
            name: name.to_owned(),
            free: Vec::new(),
            busy: Vec::new(),
            slots: map(seed),
            free_shared: None,
        }
    }

    #[cfg_attr(not(test), allow(dead_code))]
    pub(crate) fn name(&self) -> &str {
        &self.name
    }

    pub(crate) fn len(&self) -> usize {
        self.slots.len()
    }

    #[cfg(test)]
    pub(crate) fn free_members(&self) -> &[ConnId] {
        &self.free
    }

    /// The free members, shared (see `free_shared`).
    pub(crate) fn free_recipients(&mut self) -> Arc<[ConnId]> {
        let free = &self.free;
        Arc::clone(
            self.free_shared
                .get_or_insert_with(|| Arc::from(free.as_slice())),
        )
    }

    pub(crate) fn busy_members(&self) -> &[ConnId] {
        &self.busy
    }

    pub(crate) fn presence(&self, id: ConnId) -> Option<Presence> {
        self.slots.get(&id).map(|s| s.0)
    }

    /// Adds a member as free (no-op if present).
    pub(crate) fn join(&mut self, id: ConnId) {
        if !self.slots.contains_key(&id) {
            self.free_shared = None;
            self.slots.insert(id, (Presence::Free, self.free.len()));
            self.free.push(id);
        }
    }

    /// Removes a member; returns whether it was in the room.
    pub(crate) fn leave(&mut self, id: ConnId) -> bool {
        match self.slots.remove(&id) {
            Some((presence, i)) => {
                self.free_shared = None;
                self.take(presence, i);
                true
            }
            None => false,
        }
    }

    /// Moves a member to `presence`.
    pub(crate) fn set_presence(&mut self, id: ConnId, presence: Presence) {
        let Some(&(old, i)) = self.slots.get(&id) else {
            return;
        };
        if old == presence {
            return;
        }
        self.free_shared = None;
        self.take(old, i);
        let list = self.list_mut(presence);
        list.push(id);
        let at = list.len() - 1;
        self.slots.insert(id, (presence, at));
    }

    fn list_mut(&mut self, presence: Presence) -> &mut Vec<ConnId> {
        match presence {
            Presence::Free => &mut self.free,
            Presence::Busy => &mut self.busy,
        }
    }

    fn take(&mut self, presence: Presence, i: usize) {
        let list = self.list_mut(presence);
        list.swap_remove(i);
        if let Some(&moved) = list.get(i) {
            if let Some(slot) = self.slots.get_mut(&moved) {
                slot.1 = i;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn join_busy_free_leave_keep_lists_consistent() {
        let mut room = Room::new("lobby", 7);
        assert_eq!(room.name(), "lobby");
        for i in 0..5 {
            room.join(ConnId(i));
        }
        room.set_presence(ConnId(1), Presence::Busy);
        room.set_presence(ConnId(3), Presence::Busy);
        assert!(room.leave(ConnId(0)));
        assert!(!room.leave(ConnId(0)));
        room.set_presence(ConnId(1), Presence::Free);
        let mut free = room.free_members().to_vec();
        free.sort();
        assert_eq!(free, vec![ConnId(1), ConnId(2), ConnId(4)]);
        assert_eq!(room.busy_members(), &[ConnId(3)]);
        assert_eq!(room.presence(ConnId(3)), Some(Presence::Busy));
        assert_eq!(room.len(), 4);
        let mut shared = room.free_recipients().to_vec();
        shared.sort();
        assert_eq!(shared, free);
        room.join(ConnId(9));
        assert_eq!(room.free_recipients().len(), 4);
        for (id, (p, i)) in &room.slots {
            let list = match p {
                Presence::Free => &room.free,
                Presence::Busy => &room.busy,
            };
            assert_eq!(list[*i], *id);
        }
    }
}
