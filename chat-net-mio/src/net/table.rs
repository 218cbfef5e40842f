//! The connection table: sockets in a [`Slab`], named to the engine by a
//! [`ConnId`] that joins the slot with a per-slot generation, so an id
//! outlives neither its connection nor the reuse of its slot.

use std::net::SocketAddr;
use std::time::Instant;

use chat_core::ConnId;
use mio::net::TcpStream;
use slab::Slab;

use super::admission::Ticket;
use super::outbound::Outbound;
use crate::transport::Transport;

/// One client socket and what is waiting to be written to it.
#[derive(Debug)]
pub(crate) struct Conn {
    /// What the engine calls it; set by [`ConnTable::insert`].
    pub(crate) id: ConnId,
    pub(crate) stream: TcpStream,
    pub(crate) peer: SocketAddr,
    pub(crate) out: Outbound,
    /// Set once the engine has closed it: flush until this deadline, then
    /// drop.
    pub(crate) closing: Option<Instant>,
    /// Already listed for a flush this turn.
    pub(crate) dirty: bool,
    /// Hit its read budget: read more next turn even without an event.
    pub(crate) more_to_read: bool,
    /// Registered for writable events (only while a write is blocked, so
    /// the ACKs of ordinary writes do not wake the loop).
    pub(crate) wants_writable: bool,
    /// The peer's end of file (or an error) was signalled: read to the end
    /// rather than stop at a short read.
    pub(crate) read_closed: bool,
    /// TLS, WebSocket or neither, between the socket and the engine.
    pub(crate) transport: Transport,
    /// The engine was told of it (its transport is ready).
    pub(crate) opened: bool,
    /// The engine asked to hear once its queue is written out.
    pub(crate) drain_asked: bool,
    /// When it was accepted (for the handshake timeout).
    pub(crate) accepted: Instant,
    /// Some bytes came from the peer (for the first-byte timeout).
    pub(crate) heard: bool,
    /// Its places among the connections and handshakes counted from
    /// accept, given back when it is dropped.
    pub(crate) ticket: Ticket,
}

impl Conn {
    pub(crate) fn new(
        stream: TcpStream,
        peer: SocketAddr,
        transport: Transport,
        ticket: Ticket,
    ) -> Conn {
        Conn {
            id: ConnId(0),
            stream,
            peer,
            out: Outbound::default(),
            closing: None,
            dirty: false,
            more_to_read: false,
            wants_writable: false,
            read_closed: false,
            transport,
            opened: false,
            drain_asked: false,
            accepted: Instant::now(),
            heard: false,
            ticket,
        }
    }
}

/// The bits of a [`ConnId`] that hold the slot; the generation is above.
const SLOT_BITS: u32 = 32;
const SLOT_MASK: u64 = (1 << SLOT_BITS) - 1;

/// Which of the I/O shards holds a connection, and how many there are.
///
/// A connection's id carries its shard: the low bits of the id are
/// `slot << bits | index`, with just enough bits for the shard count, so
/// with one shard an id is its slot, and the engine's thread finds the
/// shard of any id with a mask (no lookup, no division on the hot path).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Shard {
    pub(crate) index: usize,
    pub(crate) count: usize,
    bits: u32,
}

impl Shard {
    /// The only shard, when there is one I/O thread.
    #[cfg(test)]
    pub(crate) const ONLY: Shard = Shard {
        index: 0,
        count: 1,
        bits: 0,
    };

    /// Shard `index` of `count` (at least 1).
    pub(crate) fn new(index: usize, count: usize) -> Shard {
        let count = count.max(1);
        Shard {
            index,
            count,
            bits: usize::BITS - (count - 1).leading_zeros(),
        }
    }

    /// The shard that holds the connection `id`.
    pub(crate) fn shard_of(&self, id: ConnId) -> usize {
        (id.0 & SLOT_MASK & ((1 << self.bits) - 1)) as usize
    }

    /// Whether `id` is one of this shard's connections.
    pub(crate) fn holds(&self, id: ConnId) -> bool {
        self.shard_of(id) == self.index
    }

    /// The id of the connection in `slot` after the slot was reused
    /// `generation` times; `None` if the slot is past what an id holds.
    /// The first connection in a slot gets a small number, which keeps ids
    /// in logs short.
    fn conn_id(&self, slot: usize, generation: u32) -> Option<ConnId> {
        let low = (slot as u64).checked_shl(self.bits)? | self.index as u64;
        (low <= SLOT_MASK && low >> self.bits == slot as u64)
            .then(|| ConnId(u64::from(generation) << SLOT_BITS | low))
    }

    /// The slot an id names in its shard, whichever generation it is of.
    pub(crate) fn slot_of(&self, id: ConnId) -> usize {
        ((id.0 & SLOT_MASK) >> self.bits) as usize
    }
}

/// The live connections.
///
/// A slot emptied during a turn is not reused before [`recycle`]: mio may
/// still report readiness for the old socket's token in the same poll, and
/// such an event must not land on a newcomer in that slot. Later, the
/// generation in the id keeps anything still addressed to the old
/// connection (engine output, a queued flush, a linger deadline) from
/// reaching the new one: lookups by [`ConnId`] of a past generation find
/// nothing.
///
/// [`recycle`]: ConnTable::recycle
#[derive(Debug)]
pub(crate) struct ConnTable {
    shard: Shard,
    /// `None`: emptied this turn, held until [`ConnTable::recycle`].
    /// Boxed: the slab doubles as it grows, and its spare half then costs
    /// a pointer a slot rather than a whole connection.
    slots: Slab<Option<Box<Conn>>>,
    /// How many times each slot has been freed; indexed like `slots`.
    generations: Vec<u32>,
    released: Vec<usize>,
}

impl ConnTable {
    /// An empty table for the connections of `shard`.
    pub(crate) fn new(shard: Shard) -> ConnTable {
        ConnTable {
            shard,
            slots: Slab::new(),
            generations: Vec::new(),
            released: Vec::new(),
        }
    }

    pub(crate) fn shard(&self) -> Shard {
        self.shard
    }

    /// Adds a connection and returns its id; `None` (and the connection
    /// dropped) when the slot number would not fit in an id, past four
    /// billion connections at once.
    pub(crate) fn insert(&mut self, mut conn: Conn) -> Option<ConnId> {
        let entry = self.slots.vacant_entry();
        let slot = entry.key();
        if slot == self.generations.len() {
            self.generations.push(0);
        }
        let id = self.shard.conn_id(slot, self.generations[slot])?;
        conn.id = id;
        entry.insert(Some(Box::new(conn)));
        Some(id)
    }

    /// The connection `id` names, unless it is gone (even if its slot now
    /// holds another).
    pub(crate) fn get_mut(&mut self, id: ConnId) -> Option<&mut Conn> {
        if !self.shard.holds(id) {
            return None;
        }
        let slot = self.shard.slot_of(id);
        self.in_slot(slot).filter(|c| c.id == id)
    }

    /// Whatever connection is in `slot` now: for readiness events, whose
    /// token names a slot only.
    pub(crate) fn in_slot(&mut self, slot: usize) -> Option<&mut Conn> {
        self.slots.get_mut(slot).and_then(|c| c.as_deref_mut())
    }

    /// Takes a connection out; its slot is free again after
    /// [`recycle`](ConnTable::recycle).
    pub(crate) fn remove(&mut self, id: ConnId) -> Option<Conn> {
        if !self.shard.holds(id) {
            return None;
        }
        let slot = self.shard.slot_of(id);
        let entry = self.slots.get_mut(slot)?;
        if entry.as_ref().is_none_or(|c| c.id != id) {
            return None;
        }
        self.released.push(slot);
        entry.take().map(|c| *c)
    }

    /// Makes the slots emptied since the last call free for reuse, each
    /// under a new generation.
    pub(crate) fn recycle(&mut self) {
        for slot in self.released.drain(..) {
            self.slots.remove(slot);
            self.generations[slot] = self.generations[slot].wrapping_add(1);
        }
    }

    pub(crate) fn len(&self) -> usize {
        self.slots.len() - self.released.len()
    }

    pub(crate) fn ids(&self) -> impl Iterator<Item = ConnId> + '_ {
        self.slots
            .iter()
            .filter_map(|(_, c)| c.as_ref().map(|c| c.id))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::net::admission::{Admission, AdmissionLimits};

    /// A connected pair of sockets: the table only stores them.
    fn conn() -> Conn {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        let stream = std::net::TcpStream::connect(addr).unwrap();
        let _server_side = listener.accept().unwrap();
        let admission = Admission::new(AdmissionLimits {
            connections: 100,
            connections_per_address: 100,
            handshakes: 100,
            handshakes_per_address: 100,
            exempt_loopback: false,
        });
        Conn::new(
            TcpStream::from_std(stream),
            addr,
            crate::transport::Transport::plain(),
            admission.admit(addr.ip(), false).unwrap(),
        )
    }

    #[test]
    fn a_reused_slot_gets_a_new_id_and_the_old_one_finds_nothing() {
        let mut table = ConnTable::new(Shard::ONLY);
        let old = table.insert(conn()).unwrap();
        assert!(table.remove(old).is_some());
        table.recycle();
        let new = table.insert(conn()).unwrap();
        let shard = Shard::ONLY;
        assert_eq!(shard.slot_of(new), shard.slot_of(old), "the slot is reused");
        assert_ne!(new, old);
        // Whatever is still addressed to the old connection is dropped.
        assert!(table.get_mut(old).is_none());
        assert!(table.remove(old).is_none());
        assert_eq!(table.get_mut(new).map(|c| c.id), Some(new));
        assert_eq!(table.len(), 1);
    }

    #[test]
    fn a_slot_emptied_this_turn_is_not_reused_before_recycle() {
        let mut table = ConnTable::new(Shard::ONLY);
        let a = table.insert(conn()).unwrap();
        table.remove(a);
        let b = table.insert(conn()).unwrap();
        let shard = Shard::ONLY;
        assert_ne!(shard.slot_of(a), shard.slot_of(b));
        assert!(table.in_slot(shard.slot_of(a)).is_none());
        assert_eq!(table.len(), 1);
        assert_eq!(table.ids().collect::<Vec<_>>(), vec![b]);
        table.recycle();
        let c = table.insert(conn()).unwrap();
        assert_eq!(shard.slot_of(c), shard.slot_of(a));
        assert_eq!(table.len(), 2);
    }

    #[test]
    fn first_ids_are_the_slot_numbers() {
        let mut table = ConnTable::new(Shard::ONLY);
        let ids: Vec<_> = (0..3).map(|_| table.insert(conn()).unwrap()).collect();
        assert_eq!(ids, vec![ConnId(0), ConnId(1), ConnId(2)]);
    }

    #[test]
    fn ids_name_their_shard_and_other_shards_ids_find_nothing() {
        let second = Shard::new(1, 3);
        let mut table = ConnTable::new(second);
        let ids: Vec<_> = (0..3).map(|_| table.insert(conn()).unwrap()).collect();
        // Two bits for three shards: slot << 2 | 1.
        assert_eq!(ids, vec![ConnId(1), ConnId(5), ConnId(9)]);
        for (slot, &id) in ids.iter().enumerate() {
            assert_eq!(Shard::new(0, 3).shard_of(id), 1);
            assert_eq!(second.slot_of(id), slot);
        }
        // Slot 1 of shard 0 or 2: not this table's, though the slot is used.
        assert!(table.get_mut(ConnId(4)).is_none());
        assert!(table.remove(ConnId(6)).is_none());
        assert_eq!(Shard::new(0, 1), Shard::ONLY);
        assert_eq!(table.len(), 3);
    }
}
