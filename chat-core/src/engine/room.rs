//! A room and its members, with each member's presence.

use super::table::{map, Map};
use std::sync::Arc;

use crate::codec::Rendering;
use crate::reply::{MemberStatus, Presence};
use crate::ConnId;

/// A room: who is in it, whether each member is free or busy, and how
/// each one's room lines are rendered.
///
/// Free members are kept in one list per [`Rendering`], so a broadcast
/// walks them without a lookup per member and renders once per rendering
/// in use; removal
/// is O(1) by swap-remove with an index.
#[derive(Debug)]
pub(crate) struct Room {
    free: [Vec<ConnId>; Rendering::COUNT],
    busy: Vec<ConnId>,
    slots: Map<ConnId, Slot>,
    /// Each rendering's free members as a shared list, rebuilt after a
    /// change: in a steady room a broadcast costs one reference count per
    /// protocol, not one entry per member.
    free_shared: [Option<Arc<[ConnId]>>; Rendering::COUNT],
}

/// Where a member is: its presence, rendering, and index in its list,
/// and its standing in the room.
#[derive(Clone, Copy, Debug)]
struct Slot {
    presence: Presence,
    rendering: Rendering,
    at: usize,
    status: MemberStatus,
}

impl Room {
    pub(crate) fn new(seed: u64) -> Room {
        Room {
            free: Default::default(),
            busy: Vec::new(),
            slots: map(seed),
            free_shared: Default::default(),
        }
    }

    pub(crate) fn len(&self) -> usize {
        self.slots.len()
    }

    #[cfg(test)]
    pub(crate) fn free_members(&self, rendering: Rendering) -> &[ConnId] {
        &self.free[rendering.index()]
    }

    /// Whether any free member has `rendering` (most renderings have none
    /// in a given room: a broadcast skips them without touching a list).
    pub(crate) fn has_free(&self, rendering: Rendering) -> bool {
        !self.free[rendering.index()].is_empty()
    }

    /// The free members of `rendering`, shared (see `free_shared`).
    pub(crate) fn free_recipients(&mut self, rendering: Rendering) -> Arc<[ConnId]> {
        let i = rendering.index();
        let free = &self.free[i];
        Arc::clone(self.free_shared[i].get_or_insert_with(|| Arc::from(free.as_slice())))
    }

    /// Every member, free or busy, in no order.
    pub(crate) fn member_ids(&self) -> impl Iterator<Item = ConnId> + '_ {
        self.slots.keys().copied()
    }

    pub(crate) fn busy_members(&self) -> &[ConnId] {
        &self.busy
    }

    pub(crate) fn presence(&self, id: ConnId) -> Option<Presence> {
        self.slots.get(&id).map(|s| s.presence)
    }

    /// A member's standing (operator, voiced), if it is a member.
    pub(crate) fn status(&self, id: ConnId) -> Option<MemberStatus> {
        self.slots.get(&id).map(|s| s.status)
    }

    /// Sets a member's standing; no-op for one not in the room.
    pub(crate) fn set_status(&mut self, id: ConnId, status: MemberStatus) {
        if let Some(slot) = self.slots.get_mut(&id) {
            slot.status = status;
        }
    }

    /// Adds a member as free (no-op if present).
    pub(crate) fn join(&mut self, id: ConnId, rendering: Rendering) {
        if !self.slots.contains_key(&id) {
            let i = rendering.index();
            self.free_shared[i] = None;
            let slot = Slot {
                presence: Presence::Free,
                rendering,
                at: self.free[i].len(),
                status: MemberStatus::default(),
            };
            self.slots.insert(id, slot);
            self.free[i].push(id);
        }
    }

    /// Removes a member; returns whether it was in the room.
    pub(crate) fn leave(&mut self, id: ConnId) -> bool {
        match self.slots.remove(&id) {
            Some(slot) => {
                self.take(slot);
                true
            }
            None => false,
        }
    }

    /// Moves a member to `presence`.
    pub(crate) fn set_presence(&mut self, id: ConnId, presence: Presence) {
        if let Some(&old) = self.slots.get(&id) {
            self.relist(id, old, presence, old.rendering);
        }
    }

    /// Moves a member to another rendering's list (a client changed its
    /// capabilities), keeping its presence.
    pub(crate) fn set_rendering(&mut self, id: ConnId, rendering: Rendering) {
        if let Some(&old) = self.slots.get(&id) {
            self.relist(id, old, old.presence, rendering);
        }
    }

    /// Moves a member from the list of `old` to that of `presence` and
    /// `rendering`.
    fn relist(&mut self, id: ConnId, old: Slot, presence: Presence, rendering: Rendering) {
        if old.presence == presence && old.rendering == rendering {
            return;
        }
        self.take(old);
        let list = self.list_mut(presence, rendering);
        list.push(id);
        let at = list.len() - 1;
        self.slots.insert(
            id,
            Slot {
                presence,
                rendering,
                at,
                status: old.status,
            },
        );
    }

    fn list_mut(&mut self, presence: Presence, rendering: Rendering) -> &mut Vec<ConnId> {
        match presence {
            Presence::Free => {
                self.free_shared[rendering.index()] = None;
                &mut self.free[rendering.index()]
            }
            Presence::Busy => &mut self.busy,
        }
    }

    fn take(&mut self, slot: Slot) {
        let list = self.list_mut(slot.presence, slot.rendering);
        list.swap_remove(slot.at);
        if let Some(&moved) = list.get(slot.at) {
            if let Some(s) = self.slots.get_mut(&moved) {
                s.at = slot.at;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn join_busy_free_leave_keep_lists_consistent() {
        let mut room = Room::new(7);
        for i in 0..5 {
            room.join(ConnId(i), Rendering::Chat1);
        }
        room.set_presence(ConnId(1), Presence::Busy);
        room.set_presence(ConnId(3), Presence::Busy);
        assert!(room.leave(ConnId(0)));
        assert!(!room.leave(ConnId(0)));
        room.set_presence(ConnId(1), Presence::Free);
        let mut free = room.free_members(Rendering::Chat1).to_vec();
        free.sort();
        assert_eq!(free, vec![ConnId(1), ConnId(2), ConnId(4)]);
        assert_eq!(room.busy_members(), &[ConnId(3)]);
        assert_eq!(room.presence(ConnId(3)), Some(Presence::Busy));
        assert_eq!(room.len(), 4);
        let mut shared = room.free_recipients(Rendering::Chat1).to_vec();
        shared.sort();
        assert_eq!(shared, free);
        room.join(ConnId(9), Rendering::Chat1);
        assert_eq!(room.free_recipients(Rendering::Chat1).len(), 4);
        let tagged = Rendering::Irc(crate::codec::RoomCaps::new(true, false));
        room.set_rendering(ConnId(9), tagged);
        room.set_rendering(ConnId(3), tagged);
        assert_eq!(room.free_recipients(Rendering::Chat1).len(), 3);
        assert_eq!(&room.free_recipients(tagged)[..], &[ConnId(9)]);
        assert_eq!(room.presence(ConnId(3)), Some(Presence::Busy));
        for (id, slot) in &room.slots {
            let list = match slot.presence {
                Presence::Free => &room.free[slot.rendering.index()],
                Presence::Busy => &room.busy,
            };
            assert_eq!(list[slot.at], *id);
        }
    }
}
