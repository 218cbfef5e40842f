//! IRC's `JOIN` of a room another node is creating at the same moment.
//!
//! `JOIN #room` joins the room, or creates it when there is none. At a
//! node, "none" may only mean that another node's creation has not been
//! heard here yet: this node's creation then loses to it in the shared
//! bucket. The client asked to be in the room, not to make it, so it
//! joins that room once this node hears of it (a room being created by
//! another connection of this node is waited for likewise), or is told
//! there is no such room when it is not heard of within
//! `append_timeout_ms` (the time an append may take).

use super::super::connection::ConnRef;
use crate::reply::Reason;
use crate::{ConnId, Millis, RoomKey, RoomName};

use super::super::Engine;

/// An IRC `JOIN` waiting to hear of a room another node (or another
/// connection of this one) is creating.
#[derive(Debug)]
pub(crate) struct Entering {
    /// The room.
    name: RoomName,
    /// Who asked.
    conn: ConnRef,
    /// When to stop waiting.
    until: Millis,
}

impl Engine {
    /// IRC's `JOIN` of a room this node does not know: `true` when the
    /// connection waits for it (another connection here is creating it),
    /// `false` when it is to create it (noted, so that losing the
    /// creation to another node's joins that room instead).
    pub(in crate::engine) fn cluster_enter(&mut self, id: ConnId, name: &RoomName) -> bool {
        let Some(conn) = self.conn_ref(id) else {
            return false;
        };
        if self.rooms.is_taken(&name.key()) {
            self.wait_for_room(conn, name.clone());
            return true;
        }
        // Entries of connections gone since are dropped as they come by.
        let mut kept: Vec<ConnRef> = self.cluster.as_deref().map_or_else(Vec::new, |n| {
            n.join_creates
                .iter()
                .copied()
                .filter(|c| self.live(*c))
                .collect()
        });
        kept.push(conn);
        if let Some(node) = self.cluster.as_deref_mut() {
            node.join_creates = kept;
        }
        false
    }

    /// Holds `conn`'s lines until it hears of `name` (or gives up).
    fn wait_for_room(&mut self, conn: ConnRef, name: RoomName) {
        let now = self.now;
        let Some(node) = self.cluster.as_deref_mut() else {
            return;
        };
        let until = Millis(now.0.saturating_add(node.config.append_timeout_ms));
        node.entering.push(Entering { name, conn, until });
        self.set_waiting(conn.id, true);
    }

    /// A room this node created for `conn` is stored: it was no `JOIN`
    /// that lost its creation.
    pub(super) fn created_for(&mut self, conn: ConnRef) {
        if let Some(node) = self.cluster.as_deref_mut() {
            node.join_creates.retain(|c| *c != conn);
        }
    }

    /// This node's creation of `name` for `conn` lost to another node's:
    /// an IRC `JOIN` joins that room (now, or once it is heard of here);
    /// `false` for a `/create`, which is refused.
    pub(super) fn join_instead(&mut self, conn: ConnRef, name: &RoomName) -> bool {
        let Some(node) = self.cluster.as_deref_mut() else {
            return false;
        };
        let Some(at) = node.join_creates.iter().position(|c| *c == conn) else {
            return false;
        };
        node.join_creates.swap_remove(at);
        if self.rooms.get(&name.key()).is_some() {
            self.set_waiting(conn.id, false);
            // A room just made has no key (`+k`) yet.
            self.join_room(conn.id, name.as_str(), None);
            self.resume(conn.id);
        } else {
            self.wait_for_room(conn, name.clone());
        }
        true
    }

    /// A room is heard of here: the `JOIN`s waiting for it join it.
    pub(super) fn room_heard(&mut self, key: &RoomKey) {
        for e in self.take_entering(|e| e.name.key() == *key) {
            self.set_waiting(e.conn.id, false);
            self.join_room(e.conn.id, e.name.as_str(), None);
            self.resume(e.conn.id);
        }
    }

    /// `JOIN`s that waited their time for a room are told there is none.
    pub(super) fn expire_entering(&mut self) {
        let now = self.now;
        for e in self.take_entering(|e| e.until.0 <= now.0) {
            self.set_waiting(e.conn.id, false);
            let room = e.name.as_str();
            self.refuse(e.conn.id, Reason::NoSuchRoom { room });
            self.resume(e.conn.id);
        }
    }

    /// When the first waiting `JOIN` gives up.
    pub(super) fn entering_deadline(&self) -> Option<Millis> {
        let node = self.cluster.as_deref()?;
        node.entering.iter().map(|e| e.until).min()
    }

    /// Removes the waiting `JOIN`s `pick` chooses; those of connections
    /// still open are returned.
    fn take_entering(&mut self, pick: impl Fn(&Entering) -> bool) -> Vec<Entering> {
        let Some(node) = self.cluster.as_deref_mut() else {
            return Vec::new();
        };
        if node.entering.is_empty() {
            return Vec::new();
        }
        let (taken, kept) = std::mem::take(&mut node.entering)
            .into_iter()
            .partition(|e| pick(e));
        node.entering = kept;
        let taken: Vec<Entering> = taken;
        taken.into_iter().filter(|e| self.live(e.conn)).collect()
    }
}
