//! A room and its members, with each member's presence.

use super::seeded::IdMap;
use std::sync::Arc;

use crate::reply::{MemberStatus, Presence};
use crate::seam::Rendering;
use crate::ConnId;

/// A room: who is in it, whether each member is free or busy, and how
/// each one's room lines are rendered.
///
/// Free members are kept in one list per [`Rendering`], so a broadcast
/// walks them without a lookup per member and renders once per rendering
/// in use; removal
/// is O(1) by swap-remove with an index.
#[derive(Debug)]
pub(crate) struct Members {
    free: [Vec<ConnId>; Rendering::SLOTS],
    /// The rendering of each slot that has had a free member.
    renderings: [Option<Rendering>; Rendering::SLOTS],
    busy: Vec<ConnId>,
    slots: IdMap<ConnId, Slot>,
    /// Each rendering's free members as a shared list, rebuilt after a
    /// change: in a steady room a broadcast costs one reference count per
    /// protocol, not one entry per member.
    free_shared: [Option<Arc<[ConnId]>>; Rendering::SLOTS],
}

/// Where a member is: its presence, its rendering's slot, its index in
/// its list, and its standing in the room.
#[derive(Clone, Copy, Debug)]
struct Slot {
    presence: Presence,
    rendering: u8,
    at: usize,
    status: MemberStatus,
}

impl Members {
    pub(crate) fn new() -> Members {
        Members {
            free: Default::default(),
            renderings: [None; Rendering::SLOTS],
            busy: Vec::new(),
            slots: IdMap::default(),
            free_shared: Default::default(),
        }
    }

    pub(crate) fn len(&self) -> usize {
        self.slots.len()
    }

    #[cfg(test)]
    pub(crate) fn free_members(&self, rendering: Rendering) -> &[ConnId] {
        &self.free[rendering.slot()]
    }

    /// The renderings some free member has (most renderings have none in
    /// a given room: a broadcast passes over them without touching a list).
    // Inline: every broadcast calls it, and whether codegen-unit
    // partitioning inlined it moved a room line by 70 instructions.
    #[inline]
    pub(crate) fn free_renderings(&self) -> impl Iterator<Item = Rendering> {
        let renderings = self.renderings;
        let used: [bool; Rendering::SLOTS] = std::array::from_fn(|i| !self.free[i].is_empty());
        (0..Rendering::SLOTS).filter_map(move |i| renderings[i].filter(|_| used[i]))
    }

    /// The free members of `rendering`, shared (see `free_shared`).
    pub(crate) fn free_recipients(&mut self, rendering: Rendering) -> Arc<[ConnId]> {
        let i = rendering.slot();
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
            let i = rendering.slot();
            self.free_shared[i] = None;
            self.renderings[i] = Some(rendering);
            let slot = Slot {
                presence: Presence::Free,
                rendering: i as u8,
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
            self.relist(id, old, presence, usize::from(old.rendering));
        }
    }

    /// Moves a member to another rendering's list (a client changed its
    /// capabilities), keeping its presence.
    pub(crate) fn set_rendering(&mut self, id: ConnId, rendering: Rendering) {
        self.renderings[rendering.slot()] = Some(rendering);
        if let Some(&old) = self.slots.get(&id) {
            self.relist(id, old, old.presence, rendering.slot());
        }
    }

    /// Moves a member from the list of `old` to that of `presence` and
    /// `rendering`.
    fn relist(&mut self, id: ConnId, old: Slot, presence: Presence, rendering: usize) {
        if old.presence == presence && usize::from(old.rendering) == rendering {
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
                rendering: rendering as u8,
                at,
                status: old.status,
            },
        );
    }

    /// The list of members with `presence` and (free) the rendering in
    /// slot `rendering`.
    fn list_mut(&mut self, presence: Presence, rendering: usize) -> &mut Vec<ConnId> {
        match presence {
            Presence::Free => {
                self.free_shared[rendering] = None;
                &mut self.free[rendering]
            }
            Presence::Busy => &mut self.busy,
        }
    }

    fn take(&mut self, slot: Slot) {
        let list = self.list_mut(slot.presence, usize::from(slot.rendering));
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
    use crate::seam::RenderingSpec;

    const PLAIN: Rendering = Rendering::new(&RenderingSpec {
        slot: 0,
        name: "plain",
        render: |_, _, _| {},
    });
    const TAGGED: Rendering = Rendering::new(&RenderingSpec {
        slot: 2,
        name: "tagged",
        render: |_, _, _| {},
    });

    #[test]
    fn join_busy_free_leave_keep_lists_consistent() {
        let mut room = Members::new();
        for i in 0..5 {
            room.join(ConnId(i), PLAIN);
        }
        room.set_presence(ConnId(1), Presence::Busy);
        room.set_presence(ConnId(3), Presence::Busy);
        assert!(room.leave(ConnId(0)));
        assert!(!room.leave(ConnId(0)));
        room.set_presence(ConnId(1), Presence::Free);
        let mut free = room.free_members(PLAIN).to_vec();
        free.sort();
        assert_eq!(free, vec![ConnId(1), ConnId(2), ConnId(4)]);
        assert_eq!(room.busy_members(), &[ConnId(3)]);
        assert_eq!(room.presence(ConnId(3)), Some(Presence::Busy));
        assert_eq!(room.len(), 4);
        let mut shared = room.free_recipients(PLAIN).to_vec();
        shared.sort();
        assert_eq!(shared, free);
        room.join(ConnId(9), PLAIN);
        assert_eq!(room.free_recipients(PLAIN).len(), 4);
        let tagged = TAGGED;
        room.set_rendering(ConnId(9), tagged);
        room.set_rendering(ConnId(3), tagged);
        assert_eq!(room.free_recipients(PLAIN).len(), 3);
        assert_eq!(&room.free_recipients(tagged)[..], &[ConnId(9)]);
        assert_eq!(room.presence(ConnId(3)), Some(Presence::Busy));
        assert_eq!(room.free_renderings().collect::<Vec<_>>(), [PLAIN, TAGGED]);
        for (id, slot) in &room.slots {
            let list = match slot.presence {
                Presence::Free => &room.free[usize::from(slot.rendering)],
                Presence::Busy => &room.busy,
            };
            assert_eq!(list[slot.at], *id);
        }
    }
}
