//! A simulated broker: logs with message-id de-duplication, key-value
//! buckets with create and compare-and-set, and the watch order every
//! node hears changes in. Faults are the world's to inject: it decides
//! which acknowledgements are delayed, doubled or lost.

use std::collections::HashMap;

use crate::cluster::{Log, NodeId, NodePresence, RoomEvent, Seq, SessionOwner};
use crate::{KickEntry, NameKey, RoomKey, RoomRecord, StoreChange, UserName, UserRecord};

/// One stored log entry.
#[derive(Clone, Debug)]
pub struct Stored {
    /// Its log.
    pub log: Log,
    /// The event.
    pub event: RoomEvent,
}

/// A change every node hears, in one order (the buckets' watch).
#[derive(Clone, Debug)]
pub enum Change {
    /// A store change.
    Store(StoreChange),
    /// A session claimed.
    Session(UserName, SessionOwner),
    /// A node's online list.
    Presence(NodePresence),
    /// A node's heartbeat.
    Heartbeat(NodeId),
}

/// Why a bucket write lost.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Lost {
    /// A create found the key.
    Exists,
}

/// The broker's state.
#[derive(Debug, Default)]
pub struct Broker {
    /// The logs (each a stream), in order; a stream sequence is the index
    /// plus one.
    pub streams: Vec<Vec<Stored>>,
    /// Message ids stored, and where.
    ids: HashMap<String, (usize, Seq)>,
    accounts: HashMap<NameKey, UserRecord>,
    rooms: HashMap<RoomKey, RoomRecord>,
    kicks: HashMap<NameKey, KickEntry>,
    /// Every change, in the order watchers hear them.
    pub changes: Vec<Change>,
    /// The planted bug: a broker that ignores message ids, so an append
    /// retried after a lost acknowledgement is stored twice.
    pub ignore_msg_ids: bool,
}

impl Broker {
    /// A broker with `streams` logs.
    pub fn new(streams: usize) -> Broker {
        Broker {
            streams: vec![Vec::new(); streams.max(1)],
            ..Broker::default()
        }
    }

    /// The stream a log is hashed to.
    pub fn stream_of(&self, log: &Log) -> usize {
        let name = match log {
            Log::Room(k) => k.as_str().to_owned(),
            Log::Private(c) => format!("{c:?}"),
        };
        let h = name.bytes().fold(0xcbf2_9ce4_8422_2325u64, |h, b| {
            (h ^ u64::from(b)).wrapping_mul(0x100_0000_01b3)
        });
        (h % self.streams.len() as u64) as usize
    }

    /// Appends unless the message id is stored already; the entry's
    /// stream, sequence, and whether it was a duplicate.
    pub fn append(&mut self, msg_id: &str, log: Log, event: RoomEvent) -> (usize, Seq, bool) {
        if let Some(&(s, seq)) = self.ids.get(msg_id).filter(|_| !self.ignore_msg_ids) {
            return (s, seq, true);
        }
        let s = self.stream_of(&log);
        self.streams[s].push(Stored { log, event });
        let seq = self.streams[s].len() as Seq;
        self.ids.insert(msg_id.to_owned(), (s, seq));
        (s, seq, false)
    }

    /// Makes a store change as the buckets would, or says why not.
    pub fn write(&mut self, change: &StoreChange) -> Result<(), Lost> {
        match change {
            StoreChange::AddUser(r) => {
                if self.accounts.contains_key(&r.name.key()) {
                    return Err(Lost::Exists);
                }
                self.accounts.insert(r.name.key(), r.clone());
            }
            StoreChange::SetGrant { name, grant } => {
                if let Some(r) = self.accounts.get_mut(&name.key()) {
                    r.grant = *grant;
                }
            }
            StoreChange::SetPassword { name, phc } => {
                if let Some(r) = self.accounts.get_mut(&name.key()) {
                    r.phc.clone_from(phc);
                }
            }
            StoreChange::Kick(entry) => {
                self.kicks.insert(entry.name.key(), entry.clone());
            }
            StoreChange::Unkick { name } => {
                self.kicks.remove(&name.key());
            }
            StoreChange::CreateRoom(r) => {
                if self.rooms.contains_key(&r.name.key()) {
                    return Err(Lost::Exists);
                }
                self.rooms.insert(r.name.key(), r.clone());
            }
            StoreChange::SetTopic { room, topic } => {
                if let Some(r) = self.rooms.get_mut(&room.key()) {
                    r.topic.clone_from(topic);
                }
            }
            StoreChange::SetModes { room, modes } => {
                if let Some(r) = self.rooms.get_mut(&room.key()) {
                    r.modes.clone_from(modes);
                }
            }
            StoreChange::RemoveRoom { room } => {
                self.rooms.remove(&room.key());
            }
            // The logs hold lines.
            StoreChange::AppendLine { .. } => return Ok(()),
            #[allow(unreachable_patterns)]
            _ => return Ok(()),
        }
        self.changes.push(Change::Store(change.clone()));
        Ok(())
    }

    /// Whether an account is on the kick list.
    pub fn is_kicked(&self, name: &str) -> bool {
        self.kicks.contains_key(&NameKey::of(name))
    }

    /// The shared state as a new node reads it at start.
    pub fn snapshot(&self) -> crate::StoreSnapshot {
        let mut users: Vec<UserRecord> = self.accounts.values().cloned().collect();
        users.sort_by(|a, b| (a.created, a.name.as_str()).cmp(&(b.created, b.name.as_str())));
        let mut kicked: Vec<KickEntry> = self.kicks.values().cloned().collect();
        kicked.sort_by(|a, b| a.name.as_str().cmp(b.name.as_str()));
        let mut rooms: Vec<RoomRecord> = self.rooms.values().cloned().collect();
        rooms.sort_by(|a, b| a.name.as_str().cmp(b.name.as_str()));
        crate::StoreSnapshot {
            users,
            kicked,
            rooms,
            history: Vec::new(),
        }
    }
}
