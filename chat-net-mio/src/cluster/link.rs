//! A node's link to its cluster: the engine's cluster outputs and store
//! changes turned into broker operations, and the broker's events turned
//! into the engine's inputs.
//!
//! What lives where on the broker (every name under the configured
//! prefix, `chat` by default):
//!
//! - `<P>_LOG_<i>`, `i` in `0..logs`: the logs. A room's lines go to
//!   subject `<p>.r.<i>.<hex of its key>` and its other events (joins,
//!   leaves, topic...) to `<p>.s.<i>.<hex>`, a pair's private messages to
//!   `<p>.p.<i>.<hex of the pair>`, `i` the conversation's hash over the
//!   logs. One stream holds both of a room's subjects, so they have one
//!   order; each subject keeps the retention's number of entries, so joins
//!   and leaves never push lines out of a room's history.
//! - Buckets `<p>_accounts`, `<p>_kicks`, `<p>_rooms` (by hex of the
//!   folded name), `<p>_sessions` (by account) and `<p>_presence`
//!   (`list.<node>`, or `part.<node>.<i>` for a list larger than
//!   `presence_part_bytes`, and `beat.<node>`).
//!
//! Every value and every log entry is sealed with the store key
//! (ChaCha20-Poly1305, a random nonce each), so the broker holds nothing
//! readable: no hash, no line.

use std::collections::HashMap;
use std::time::Duration;

use chat_core::cluster::{
    AppendFailed, ClusterInput, ClusterOutput, Log, NodeId, RoomEvent, SessionOwner,
};
use chat_core::{
    Conversation, KickEntry, PersistFailed, PersistId, PersistRequest, RoomRecord, StoreChange,
    UserName, UserRecord,
};
use serde::{de::DeserializeOwned, Serialize};

use super::ops::{Append, BucketSpec, Event, KvEntry, Op, OpError, StreamSpec};
use super::seal::Sealer;
use super::Bytes;

/// Where a node's cluster lives on the broker.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Layout {
    /// The prefix of every stream, subject and bucket.
    pub prefix: String,
    /// How many logs rooms are hashed over.
    pub logs: u32,
    /// Copies of each log and bucket (3 for a durable cluster of three
    /// NATS servers).
    pub replicas: usize,
    /// Lines kept per room and per pair.
    pub per_conversation: u64,
    /// The largest value of a node's online list: a larger list is written
    /// in parts (under the broker's largest message: NATS's 1 MiB by
    /// default).
    pub presence_part_bytes: usize,
}

impl Layout {
    fn stream(&self, i: u32) -> String {
        format!("{}_LOG_{i}", self.prefix.to_ascii_uppercase())
    }

    fn bucket(&self, which: &str) -> String {
        format!("{}_{which}", self.prefix)
    }

    /// The subject of an event of a log.
    fn subject(&self, log: &Log, event: &RoomEvent) -> String {
        let lines = if matches!(event, RoomEvent::Line { .. }) {
            "r"
        } else {
            "s"
        };
        let (kind, name) = match log {
            Log::Room(key) => (lines, key.as_str().to_owned()),
            Log::Private(Conversation::Private(a, b)) => ("p", format!("{a}\n{b}")),
            Log::Private(Conversation::Room(key)) => ("r", key.as_str().to_owned()),
        };
        let i = fnv(name.as_bytes()) % u64::from(self.logs.max(1));
        format!("{}.{kind}.{i}.{}", self.prefix, hex(name.as_bytes()))
    }

    /// Every stream and bucket, as the broker is asked to keep them.
    fn specs(&self) -> (Vec<StreamSpec>, Vec<BucketSpec>) {
        let streams = (0..self.logs.max(1))
            .map(|i| StreamSpec {
                name: self.stream(i),
                subjects: vec![
                    format!("{}.r.{i}.*", self.prefix),
                    format!("{}.s.{i}.*", self.prefix),
                    format!("{}.p.{i}.*", self.prefix),
                ],
                max_per_subject: Some(self.per_conversation.max(1)),
                replicas: self.replicas,
                duplicate_window: Duration::from_secs(120),
            })
            .collect();
        let buckets = ["accounts", "kicks", "rooms", "sessions", "presence"]
            .iter()
            .map(|b| BucketSpec {
                name: self.bucket(b),
                replicas: self.replicas,
                max_age: None,
            })
            .collect();
        (streams, buckets)
    }
}

/// FNV-1a: a stable hash of a conversation's name, the same on every node
/// and in every version.
pub(super) fn fnv(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(*b)).wrapping_mul(0x0000_0100_0000_01b3)
    })
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// A store change being written, and what it is waiting for.
#[derive(Debug)]
struct Write {
    id: PersistId,
    change: StoreChange,
    /// Attempts at a read-modify-update lost to another writer.
    tries: u32,
}

/// The buckets a node watches, by watch id.
const WATCHES: [&str; 5] = ["accounts", "kicks", "rooms", "sessions", "presence"];

/// The runtime's half of the cluster: knows the layout, seals and opens,
/// keeps the current values it needs for updates, and tracks operations
/// in flight.
pub(crate) struct Link {
    layout: Layout,
    sealer: Sealer,
    next_token: u64,
    /// Engine append tokens by bridge token.
    appends: HashMap<u64, u64>,
    /// Store changes by bridge token.
    writes: HashMap<u64, Write>,
    /// Current accounts and rooms (revision and value), for updates.
    accounts: HashMap<String, (u64, UserRecord)>,
    rooms: HashMap<String, (u64, RoomRecord)>,
    kicked: HashMap<String, KickEntry>,
    /// Consumers still catching up: the log's last sequence at start.
    catching_up: HashMap<u64, u64>,
    /// Watches whose current values are all in.
    current: Vec<bool>,
    ready_sent: bool,
    /// This node's online list, as values of the presence bucket.
    presence_out: super::presence::Publisher,
    /// Other nodes' lists written in parts, put back together.
    presence_in: super::presence::Assembler,
}

impl Link {
    pub(crate) fn new(layout: Layout, sealer: Sealer) -> Link {
        Link {
            layout,
            sealer,
            next_token: 1_000,
            appends: HashMap::new(),
            writes: HashMap::new(),
            accounts: HashMap::new(),
            rooms: HashMap::new(),
            kicked: HashMap::new(),
            catching_up: HashMap::new(),
            current: vec![false; WATCHES.len()],
            ready_sent: false,
            presence_out: Default::default(),
            presence_in: Default::default(),
        }
    }

    fn token(&mut self) -> u64 {
        self.next_token += 1;
        self.next_token
    }

    /// The operations that set the broker up: streams and buckets
    /// (tokens `0..`), then the watches. Their answers go to
    /// [`on_setup`](Link::on_setup).
    pub(crate) fn setup_ops(&self) -> Vec<Op> {
        let (streams, buckets) = self.layout.specs();
        let mut ops = Vec::new();
        for (i, spec) in streams.into_iter().enumerate() {
            ops.push(Op::EnsureStream {
                token: i as u64,
                spec,
            });
        }
        for (i, spec) in buckets.into_iter().enumerate() {
            ops.push(Op::EnsureBucket {
                token: 500 + i as u64,
                spec,
            });
        }
        ops
    }

    /// How many setup answers to wait for.
    pub(crate) fn setup_count(&self) -> usize {
        self.layout.logs.max(1) as usize + WATCHES.len()
    }

    /// A stream's setup answer: its last sequence, where its consumer has
    /// caught up. Consumers start from the first kept entry.
    pub(crate) fn consume_ops(&mut self, last_seqs: &[(u64, u64)]) -> Vec<Op> {
        let mut ops = Vec::new();
        for &(i, last) in last_seqs {
            if last > 0 {
                self.catching_up.insert(i, last);
            }
            ops.push(Op::Consume {
                consumer: i,
                stream: self.layout.stream(i as u32),
                filter: None,
                from_seq: 1,
            });
        }
        ops
    }

    /// The watches of every bucket.
    pub(crate) fn watch_ops(&self) -> Vec<Op> {
        WATCHES
            .iter()
            .enumerate()
            .map(|(i, b)| Op::KvWatch {
                watch: i as u64,
                bucket: self.layout.bucket(b),
            })
            .collect()
    }

    /// Whether the shared state (accounts, kicks, rooms) is all in.
    pub(crate) fn state_current(&self) -> bool {
        self.current[..3].iter().all(|c| *c)
    }

    /// Creates an account the operator made (a configured admin's) unless
    /// the cluster has it: the create, if one is needed.
    pub(crate) fn admin_op(&mut self, record: &UserRecord) -> Option<Op> {
        let key = hex(record.name.key().as_str().as_bytes());
        if self.accounts.contains_key(&key) {
            return None;
        }
        Some(Op::KvCreate {
            token: self.token(),
            bucket: self.layout.bucket("accounts"),
            key,
            value: self.seal(record),
        })
    }

    /// An account created at start, for the snapshot (the watch brings it
    /// again, unchanged).
    pub(crate) fn admin_created(&mut self, record: UserRecord, revision: u64) {
        let key = hex(record.name.key().as_str().as_bytes());
        self.accounts.entry(key).or_insert((revision, record));
    }

    /// The engine's store change, written to its bucket.
    pub(crate) fn persist(&mut self, req: PersistRequest) -> Vec<Op> {
        let token = self.token();
        let write = Write {
            id: req.id,
            change: req.change,
            tries: 0,
        };
        let ops = self.write_ops(token, &write);
        if !ops.is_empty() {
            self.writes.insert(token, write);
        }
        ops
    }

    fn write_ops(&mut self, token: u64, write: &Write) -> Vec<Op> {
        let accounts = self.layout.bucket("accounts");
        let kicks = self.layout.bucket("kicks");
        let rooms = self.layout.bucket("rooms");
        let op = match &write.change {
            StoreChange::AddUser(record) => Op::KvCreate {
                token,
                bucket: accounts,
                key: hex(record.name.key().as_str().as_bytes()),
                value: self.seal(record),
            },
            StoreChange::SetGrant { name, .. } | StoreChange::SetPassword { name, .. } => {
                let key = hex(name.key().as_str().as_bytes());
                let Some((revision, record)) = self.accounts.get(&key).cloned() else {
                    return vec![Op::KvGet {
                        token,
                        bucket: accounts,
                        key,
                    }];
                };
                let mut record = record;
                match &write.change {
                    StoreChange::SetGrant { grant, .. } => record.grant = *grant,
                    StoreChange::SetPassword { phc, .. } => record.phc.clone_from(phc),
                    _ => {}
                }
                Op::KvUpdate {
                    token,
                    bucket: accounts,
                    key,
                    value: self.seal(&record),
                    revision,
                }
            }
            StoreChange::Kick(entry) => Op::KvPut {
                token,
                bucket: kicks,
                key: hex(entry.name.key().as_str().as_bytes()),
                value: self.seal(entry),
            },
            StoreChange::Unkick { name } => Op::KvDelete {
                token,
                bucket: kicks,
                key: hex(name.key().as_str().as_bytes()),
                revision: None,
            },
            StoreChange::CreateRoom(record) => Op::KvCreate {
                token,
                bucket: rooms,
                key: hex(record.name.key().as_str().as_bytes()),
                value: self.seal(record),
            },
            StoreChange::SetTopic { room, .. } | StoreChange::SetModes { room, .. } => {
                let key = hex(room.key().as_str().as_bytes());
                let Some((revision, record)) = self.rooms.get(&key).cloned() else {
                    return vec![Op::KvGet {
                        token,
                        bucket: rooms,
                        key,
                    }];
                };
                let mut record = record;
                match &write.change {
                    StoreChange::SetTopic { topic, .. } => record.topic.clone_from(topic),
                    StoreChange::SetModes { modes, .. } => record.modes.clone_from(modes),
                    _ => {}
                }
                Op::KvUpdate {
                    token,
                    bucket: rooms,
                    key,
                    value: self.seal(&record),
                    revision,
                }
            }
            StoreChange::RemoveRoom { room } => Op::KvDelete {
                token,
                bucket: rooms,
                key: hex(room.key().as_str().as_bytes()),
                revision: None,
            },
            // The logs hold the lines.
            _ => return Vec::new(),
        };
        vec![op]
    }

    /// An engine output for the broker.
    pub(crate) fn submit(&mut self, out: ClusterOutput) -> Vec<Op> {
        match out {
            ClusterOutput::Append {
                token,
                msg_id,
                log,
                event,
            } => {
                let t = self.token();
                self.appends.insert(t, token);
                let subject = self.layout.subject(&log, &event);
                let payload = self.seal(&(log, event));
                vec![Op::Append {
                    token: t,
                    append: Append {
                        subject,
                        msg_id,
                        expect_last_subject_seq: None,
                        payload,
                    },
                }]
            }
            ClusterOutput::ClaimSession { user, owner } => {
                let t = self.token();
                vec![Op::KvPut {
                    token: t,
                    bucket: self.layout.bucket("sessions"),
                    key: hex(user.key().as_str().as_bytes()),
                    value: self.seal(&(user, owner)),
                }]
            }
            ClusterOutput::Presence(presence) => {
                let writes = self
                    .presence_out
                    .publish(&presence, self.layout.presence_part_bytes);
                let bucket = self.layout.bucket("presence");
                writes
                    .into_iter()
                    .map(|write| match write {
                        super::presence::Write::Put { key, plain } => Op::KvPut {
                            token: self.token(),
                            bucket: bucket.clone(),
                            key,
                            value: Bytes::from(self.sealer.seal(&plain)),
                        },
                        super::presence::Write::Delete { key } => Op::KvDelete {
                            token: self.token(),
                            bucket: bucket.clone(),
                            key,
                            revision: None,
                        },
                    })
                    .collect()
            }
            ClusterOutput::Heartbeat(node) => {
                let t = self.token();
                vec![Op::KvPut {
                    token: t,
                    bucket: self.layout.bucket("presence"),
                    key: format!("beat.{}", node.name),
                    value: self.seal(&node),
                }]
            }
            // Its online list stays until its heartbeat is missed anyway.
            ClusterOutput::NodeGone(_) => Vec::new(),
            _ => Vec::new(),
        }
    }

    /// A broker event, as engine inputs and further operations.
    pub(crate) fn on_event(&mut self, event: Event, inputs: &mut Vec<Fed>) -> Vec<Op> {
        match event {
            Event::Broker(state) => {
                let up = state == super::BrokerState::Up;
                inputs.push(Fed::Cluster(ClusterInput::Broker(up)));
            }
            Event::Done { token, result } => return self.on_done(token, result, inputs),
            Event::Got { token, result } => return self.on_got(token, result, inputs),
            Event::Entry { consumer, entry } => {
                match self.open::<(Log, RoomEvent)>(&entry.payload) {
                    Some((log, event)) => inputs.push(Fed::Cluster(ClusterInput::Entry {
                        log,
                        seq: entry.seq,
                        event,
                    })),
                    None => log::error!(
                        "log entry {} of {} cannot be opened: is every node's store key the same?",
                        entry.seq,
                        entry.subject
                    ),
                }
                if self
                    .catching_up
                    .get(&consumer)
                    .is_some_and(|last| entry.seq >= *last)
                {
                    self.catching_up.remove(&consumer);
                }
                self.check_ready(inputs);
            }
            Event::Kv { watch, entry } => self.on_kv(watch, entry, inputs),
            Event::KvCurrent { watch } => {
                if let Some(c) = self.current.get_mut(watch as usize) {
                    *c = true;
                }
                self.check_ready(inputs);
            }
            Event::ConsumerFailed { consumer, error } => {
                log::warn!("log consumer {consumer} failed: {error}");
            }
            Event::WatchFailed { watch, error } => {
                log::warn!("bucket watch {watch} failed: {error}");
            }
        }
        Vec::new()
    }

    /// Once the shared state is in and every log is applied as far as it
    /// went at start, the node may serve.
    fn check_ready(&mut self, inputs: &mut Vec<Fed>) {
        if !self.ready_sent && self.catching_up.is_empty() && self.current.iter().all(|c| *c) {
            self.ready_sent = true;
            inputs.push(Fed::Cluster(ClusterInput::Ready));
        }
    }

    fn on_done(
        &mut self,
        token: u64,
        result: Result<super::Written, OpError>,
        inputs: &mut Vec<Fed>,
    ) -> Vec<Op> {
        if let Some(engine_token) = self.appends.remove(&token) {
            inputs.push(Fed::Cluster(ClusterInput::Appended {
                token: engine_token,
                result: result.map(|w| w.seq).map_err(|e| match e {
                    OpError::Timeout => AppendFailed::Timeout,
                    other => AppendFailed::Refused(other.to_string()),
                }),
            }));
            return Vec::new();
        }
        let Some(mut write) = self.writes.remove(&token) else {
            if let Err(e) = result {
                log::warn!("cluster write {token} failed: {e}");
            }
            return Vec::new();
        };
        match result {
            Ok(_) => inputs.push(Fed::Persisted(write.id, Ok(()))),
            Err(OpError::Exists) => {
                inputs.push(Fed::Cluster(ClusterInput::Conflict { id: write.id }))
            }
            Err(OpError::WrongSequence) if write.tries < 5 => {
                // Another node changed it first: read it again and redo.
                write.tries += 1;
                match &write.change {
                    StoreChange::SetGrant { name, .. } | StoreChange::SetPassword { name, .. } => {
                        self.accounts.remove(&hex(name.key().as_str().as_bytes()));
                    }
                    StoreChange::SetTopic { room, .. } | StoreChange::SetModes { room, .. } => {
                        self.rooms.remove(&hex(room.key().as_str().as_bytes()));
                    }
                    _ => {}
                }
                return self.retry(write);
            }
            Err(e) => {
                log::warn!("store change {} not saved in the cluster: {e}", write.id.0);
                inputs.push(Fed::Persisted(
                    write.id,
                    Err(PersistFailed("the cluster did not save the change".into())),
                ));
            }
        }
        Vec::new()
    }

    fn retry(&mut self, write: Write) -> Vec<Op> {
        let t = self.token();
        let ops = self.write_ops(t, &write);
        self.writes.insert(t, write);
        ops
    }

    /// A value read for an update: cached, then the update made.
    fn on_got(
        &mut self,
        token: u64,
        result: Result<Option<KvEntry>, OpError>,
        inputs: &mut Vec<Fed>,
    ) -> Vec<Op> {
        let Some(write) = self.writes.remove(&token) else {
            return Vec::new();
        };
        let entry = match result {
            Ok(Some(entry)) => entry,
            Ok(None) | Err(_) => {
                inputs.push(Fed::Persisted(
                    write.id,
                    Err(PersistFailed("the cluster does not hold it".into())),
                ));
                return Vec::new();
            }
        };
        match &write.change {
            StoreChange::SetGrant { .. } | StoreChange::SetPassword { .. } => {
                if let Some(record) = entry
                    .value
                    .as_ref()
                    .and_then(|v| self.open::<UserRecord>(v))
                {
                    self.accounts
                        .insert(entry.key.clone(), (entry.revision, record));
                }
            }
            StoreChange::SetTopic { .. } | StoreChange::SetModes { .. } => {
                if let Some(record) = entry.value.as_ref().and_then(|v| self.open_room(v)) {
                    self.rooms
                        .insert(entry.key.clone(), (entry.revision, record));
                }
            }
            _ => {}
        }
        let known = self.accounts.contains_key(&entry.key) || self.rooms.contains_key(&entry.key);
        if !known {
            inputs.push(Fed::Persisted(
                write.id,
                Err(PersistFailed("the cluster's value cannot be read".into())),
            ));
            return Vec::new();
        }
        self.retry(write)
    }

    /// A bucket's value (current or changed): kept for updates, and told
    /// to the engine as a store change or a session or presence.
    fn on_kv(&mut self, watch: u64, entry: KvEntry, inputs: &mut Vec<Fed>) {
        let Some(value) = entry.value else {
            if WATCHES.get(watch as usize) == Some(&"presence") {
                if let Some((node, index)) = super::presence::part_key_node(&entry.key) {
                    self.presence_in.gone(node, index);
                }
            }
            if WATCHES.get(watch as usize) == Some(&"kicks") {
                if let Some(kick) = self.kicked.remove(&entry.key) {
                    inputs.push(Fed::Cluster(ClusterInput::Replicated(
                        StoreChange::Unkick { name: kick.name },
                    )));
                }
            }
            if WATCHES.get(watch as usize) == Some(&"rooms") {
                self.rooms.remove(&entry.key);
            }
            return;
        };
        let change = match WATCHES.get(watch as usize).copied() {
            Some("accounts") => {
                let Some(record) = self.open::<UserRecord>(&value) else {
                    return self.unreadable(&entry.key);
                };
                let old = self
                    .accounts
                    .insert(entry.key, (entry.revision, record.clone()));
                match old {
                    None => StoreChange::AddUser(record),
                    Some((_, old)) if old.grant != record.grant => StoreChange::SetGrant {
                        name: record.name,
                        grant: record.grant,
                    },
                    Some((_, old)) if old.phc != record.phc => StoreChange::SetPassword {
                        name: record.name,
                        phc: record.phc,
                    },
                    Some(_) => return,
                }
            }
            Some("kicks") => {
                let Some(kick) = self.open::<KickEntry>(&value) else {
                    return self.unreadable(&entry.key);
                };
                self.kicked.insert(entry.key, kick.clone());
                StoreChange::Kick(kick)
            }
            Some("rooms") => {
                let Some(record) = self.open_room(&value) else {
                    return self.unreadable(&entry.key);
                };
                let old = self
                    .rooms
                    .insert(entry.key, (entry.revision, record.clone()));
                match old {
                    None => StoreChange::CreateRoom(record),
                    Some((_, old)) if old.topic != record.topic => StoreChange::SetTopic {
                        room: record.name,
                        topic: record.topic,
                    },
                    Some((_, old)) if old.modes != record.modes => StoreChange::SetModes {
                        room: record.name,
                        modes: record.modes,
                    },
                    Some(_) => return,
                }
            }
            Some("sessions") => {
                if let Some((user, owner)) = self.open::<(UserName, SessionOwner)>(&value) {
                    inputs.push(Fed::Cluster(ClusterInput::Session { user, owner }));
                }
                return;
            }
            Some("presence") => {
                if entry.key.starts_with("beat.") {
                    if let Some(node) = self.open::<NodeId>(&value) {
                        inputs.push(Fed::Cluster(ClusterInput::Heartbeat(node)));
                    }
                } else if let Some((node, _)) = super::presence::part_key_node(&entry.key) {
                    // Whole once every part is in: see `presence_lists`.
                    if let Some(part) = self.open(&value) {
                        self.presence_in.part(node, part);
                    }
                } else if let Some(presence) = self
                    .sealer
                    .open(&value)
                    .and_then(|p| super::presence::read(&p))
                {
                    self.presence_in.whole(presence.node.name.as_str());
                    inputs.push(Fed::Cluster(ClusterInput::Presence(presence)));
                }
                return;
            }
            _ => return,
        };
        inputs.push(Fed::Cluster(ClusterInput::Replicated(change)));
    }

    /// Other nodes' lists completed by the parts that came since last
    /// time, one per node however many of its parts came.
    pub(crate) fn presence_lists(&mut self, inputs: &mut Vec<Fed>) {
        for list in self.presence_in.take() {
            inputs.push(Fed::Cluster(ClusterInput::Presence(list)));
        }
    }

    fn unreadable(&self, key: &str) {
        log::error!("bucket value {key} cannot be opened: is every node's store key the same?");
    }

    fn seal<T: Serialize>(&self, value: &T) -> Bytes {
        let plain = postcard::to_stdvec(value).expect("cluster values serialize");
        Bytes::from(self.sealer.seal(&plain))
    }

    fn open<T: DeserializeOwned>(&self, bytes: &[u8]) -> Option<T> {
        let plain = self.sealer.open(bytes)?;
        postcard::from_bytes(&plain).ok()
    }

    /// A room as a bucket holds it: written by this version, or by one
    /// before room modes (it has the default modes). A record of this
    /// version never reads as the older shape: its modes follow.
    fn open_room(&self, bytes: &[u8]) -> Option<RoomRecord> {
        self.open::<RoomRecord>(bytes).or_else(|| {
            self.open::<crate::store::format::RoomRecordV1>(bytes)
                .map(RoomRecord::from)
        })
    }

    /// The store as the buckets hold it now (after their current values
    /// are in), for the engine at start.
    pub(crate) fn snapshot(&self) -> chat_core::StoreSnapshot {
        let mut users: Vec<UserRecord> = self.accounts.values().map(|(_, r)| r.clone()).collect();
        users.sort_by_key(|r| r.created);
        let mut rooms: Vec<RoomRecord> = self.rooms.values().map(|(_, r)| r.clone()).collect();
        rooms.sort_by_key(|r| r.created);
        let mut kicked: Vec<KickEntry> = self.kicked.values().cloned().collect();
        kicked.sort_by_key(|k| k.at);
        chat_core::StoreSnapshot {
            users,
            kicked,
            rooms,
            history: Vec::new(),
        }
    }
}

/// What the link hands the engine.
#[derive(Debug)]
pub(crate) enum Fed {
    /// A cluster input.
    Cluster(ClusterInput),
    /// The answer to a store change.
    Persisted(PersistId, Result<(), PersistFailed>),
}
