//! Backup and restore of a cluster. A cluster's backup is a single
//! server's backup file (one snapshot sealed with the store key): the
//! accounts, kick list and rooms from the buckets, and every line the
//! logs keep, in their order. So a backup restores into a cluster or into
//! a single server, and a single server's backup into a cluster.

use std::path::Path;
use std::time::{Duration, Instant};

use chat_core::cluster::{ClusterInput, Log, RoomEvent};
use chat_core::{Conversation, HistoryLine, PersistId, PersistRequest, StoreChange};

use super::link::{Fed, Layout, Link};
use super::seal::Sealer;
use super::{Bridge, BridgeConfig, BrokerState, Event, OpError};
use crate::config::ClusterSettings;
use crate::store::{KeySource, Store};

/// Why a cluster's backup or restore failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum BackupError {
    /// The broker did not answer in time.
    #[error("the broker did not {0} in time")]
    Timeout(&'static str),
    /// The broker refused an operation.
    #[error("the broker refused: {0}")]
    Broker(OpError),
    /// The store (the backup file, or the key) failed.
    #[error(transparent)]
    Store(#[from] crate::store::StoreError),
    /// The bridge could not start.
    #[error(transparent)]
    Bridge(#[from] super::BridgeError),
    /// A restore into a cluster that holds accounts already.
    #[error("the cluster is not empty ({0} accounts): restore into a new prefix or broker")]
    NotEmpty(usize),
}

/// The key as raw bytes (a cluster seals with one raw key).
fn raw_key(key: &KeySource, dir: &Path) -> Result<[u8; 32], BackupError> {
    let rng = ring::rand::SystemRandom::new();
    Ok(key.resolve(&dir.join("cluster"), None, &rng)?.0)
}

/// Connected, set up, and with the buckets' current values read.
struct Session {
    bridge: Bridge,
    link: Link,
    fed: Vec<Fed>,
    last_seqs: Vec<(u64, u64)>,
    deadline: Instant,
}

impl Session {
    fn open(settings: &ClusterSettings, key: &[u8; 32]) -> Result<Session, BackupError> {
        let mut config = BridgeConfig::new(
            settings.servers.first().cloned().unwrap_or_default(),
            "backup",
        );
        config.servers.clone_from(&settings.servers);
        let bridge = Bridge::start(config, std::sync::Arc::new(|| {}))?;
        let layout = Layout {
            prefix: settings.prefix.clone(),
            logs: settings.logs,
            replicas: settings.replicas,
            per_conversation: u64::MAX >> 1,
            presence_part_bytes: settings.presence_part_bytes,
        };
        let mut s = Session {
            bridge,
            link: Link::new(layout, Sealer::new(key)),
            fed: Vec::new(),
            last_seqs: Vec::new(),
            deadline: Instant::now() + Duration::from_millis(settings.start_timeout_ms),
        };
        loop {
            if let Event::Broker(BrokerState::Up) = s.next("connect")? {
                break;
            }
        }
        let setup = s.link.setup_ops();
        let n = setup.len();
        for op in setup {
            s.bridge.submit(op);
        }
        let mut answered = 0;
        while answered < n {
            if let Event::Done { token, result } = s.next("set the logs and buckets up")? {
                let written = result.map_err(BackupError::Broker)?;
                if token < 500 {
                    s.last_seqs.push((token, written.seq));
                }
                answered += 1;
            }
        }
        for op in s.link.watch_ops() {
            s.bridge.submit(op);
        }
        while !s.link.state_current() {
            let event = s.next("give the accounts, kicks and rooms")?;
            s.feed(event);
        }
        Ok(s)
    }

    fn next(&self, what: &'static str) -> Result<Event, BackupError> {
        let left = self.deadline.saturating_duration_since(Instant::now());
        self.bridge
            .next_event(left)
            .ok_or(BackupError::Timeout(what))
    }

    fn feed(&mut self, event: Event) {
        for op in self.link.on_event(event, &mut self.fed) {
            self.bridge.submit(op);
        }
    }
}

/// Writes a backup of the cluster to `out`: a single server's backup file
/// (see the module's documentation), sealed with `key`.
pub fn backup_cluster(
    settings: &ClusterSettings,
    key: KeySource,
    out: &Path,
) -> Result<(), BackupError> {
    let scratch = tempfile_dir(out)?;
    let raw = raw_key(&key, &scratch)?;
    let mut s = Session::open(settings, &raw)?;
    let snapshot = s.link.snapshot();
    // Every log from its start, until each is read as far as it went.
    let last = s.last_seqs.clone();
    for op in s.link.consume_ops(&last) {
        s.bridge.submit(op);
    }
    let mut changes: Vec<StoreChange> = Vec::new();
    changes.extend(snapshot.users.into_iter().map(StoreChange::AddUser));
    changes.extend(snapshot.rooms.into_iter().map(StoreChange::CreateRoom));
    changes.extend(snapshot.kicked.into_iter().map(StoreChange::Kick));
    let mut ready = false;
    while !ready {
        let event = s.next("give every log")?;
        s.feed(event);
        for fed in std::mem::take(&mut s.fed) {
            match fed {
                Fed::Cluster(ClusterInput::Ready) => ready = true,
                Fed::Cluster(ClusterInput::Entry { log, seq, event }) => {
                    if let Some(change) = line_of(log, seq, event) {
                        changes.push(change);
                    }
                }
                _ => {}
            }
        }
    }
    let store_dir = scratch.join("store");
    let mut store = Store::open(&store_dir, KeySource::Raw(raw))?;
    for result in store.commit(&changes) {
        // A line of a room closed since is not kept (the store refuses
        // it like the cluster's rooms did).
        if let Err(e) = result {
            log::debug!("backup: left out: {e}");
        }
    }
    store.backup_to(out)?;
    drop(store);
    let _ = std::fs::remove_dir_all(&scratch);
    log::info!(
        "backup of the cluster {} written to {}",
        settings.prefix,
        out.display()
    );
    Ok(())
}

/// A history line of a log's event (its id: its position in the log).
fn line_of(log: Log, seq: u64, event: RoomEvent) -> Option<StoreChange> {
    let (conversation, at, from, text, kind) = match (log, event) {
        (
            Log::Room(key),
            RoomEvent::Line {
                at,
                from,
                text,
                kind,
                ..
            },
        ) => (Conversation::Room(key), at, from, text, kind),
        (
            Log::Private(pair),
            RoomEvent::Private {
                at,
                from,
                text,
                kind,
                ..
            },
        ) => (pair, at, from, text, kind),
        _ => return None,
    };
    let line = HistoryLine {
        id: chat_core::MsgId(seq),
        at,
        from,
        text,
        kind,
    };
    Some(StoreChange::AppendLine { conversation, line })
}

/// Restores a backup (a cluster's or a single server's) into an empty
/// cluster: accounts, kicks and rooms into the buckets, the kept lines
/// appended to the logs in their order.
pub fn restore_cluster(
    settings: &ClusterSettings,
    key: KeySource,
    from: &Path,
) -> Result<(), BackupError> {
    let scratch = tempfile_dir(from)?;
    let store_dir = scratch.join("store");
    Store::restore(&store_dir, from, key.clone())?;
    let store = Store::open(&store_dir, key.clone())?;
    let snapshot = store.snapshot();
    drop(store);
    let raw = raw_key(&key, &scratch)?;
    let mut s = Session::open(settings, &raw)?;
    let present = s.link.snapshot().users.len();
    if present > 0 {
        return Err(BackupError::NotEmpty(present));
    }
    let mut writes: Vec<StoreChange> = Vec::new();
    writes.extend(snapshot.users.iter().cloned().map(StoreChange::AddUser));
    writes.extend(snapshot.rooms.iter().cloned().map(StoreChange::CreateRoom));
    writes.extend(snapshot.kicked.iter().cloned().map(StoreChange::Kick));
    for (i, change) in writes.into_iter().enumerate() {
        for op in s.link.persist(PersistRequest {
            id: PersistId(i as u64),
            change,
        }) {
            s.bridge.submit(op);
        }
        wait_persisted(&mut s)?;
    }
    // The lines, in each conversation's order, under message ids that make
    // a restore run twice store them once.
    let mut token = 0u64;
    for (conversation, lines) in &snapshot.history {
        for line in lines {
            token += 1;
            let (log, event) = match conversation {
                Conversation::Room(key) => (
                    Log::Room(key.clone()),
                    RoomEvent::Line {
                        at: line.at,
                        from: line.from.clone(),
                        text: line.text.clone(),
                        kind: line.kind,
                        origin: restore_origin(token),
                    },
                ),
                Conversation::Private(a, b) => {
                    let to = if line.from.key().as_str() == a.as_str() {
                        b
                    } else {
                        a
                    };
                    let Ok(to) = chat_core::UserName::parse(to) else {
                        continue;
                    };
                    (
                        Log::Private(conversation.clone()),
                        RoomEvent::Private {
                            at: line.at,
                            from: line.from.clone(),
                            to,
                            text: line.text.clone(),
                            kind: line.kind,
                            origin: restore_origin(token),
                        },
                    )
                }
            };
            let msg_id = restore_origin(token).msg_id();
            for op in s.link.submit(chat_core::cluster::ClusterOutput::Append {
                token,
                msg_id,
                log,
                event,
            }) {
                s.bridge.submit(op);
            }
        }
    }
    // Every append answered.
    let mut answered = 0;
    while answered < token {
        let event = s.next("take the lines")?;
        s.feed(event);
        for fed in std::mem::take(&mut s.fed) {
            if let Fed::Cluster(ClusterInput::Appended { result, .. }) = fed {
                result.map_err(|e| BackupError::Broker(OpError::Broker(e.to_string())))?;
                answered += 1;
            }
        }
    }
    let _ = std::fs::remove_dir_all(&scratch);
    log::info!(
        "cluster {} restored from {}: {} accounts, {} rooms, {} lines",
        settings.prefix,
        from.display(),
        snapshot.users.len(),
        snapshot.rooms.len(),
        token
    );
    Ok(())
}

fn restore_origin(token: u64) -> chat_core::cluster::Origin {
    chat_core::cluster::Origin {
        node: chat_core::cluster::NodeId {
            name: chat_core::cluster::NodeName::parse("restore").expect("a valid name"),
            epoch: 0,
        },
        token,
    }
}

fn wait_persisted(s: &mut Session) -> Result<(), BackupError> {
    loop {
        let event = s.next("save a change")?;
        s.feed(event);
        for fed in std::mem::take(&mut s.fed) {
            match fed {
                Fed::Persisted(_, Ok(())) => return Ok(()),
                Fed::Persisted(_, Err(e)) => {
                    return Err(BackupError::Broker(OpError::Broker(e.0)));
                }
                Fed::Cluster(ClusterInput::Conflict { .. }) => {
                    return Err(BackupError::Broker(OpError::Exists));
                }
                _ => {}
            }
        }
    }
}

/// A scratch folder beside `near` (same file system, so the backup's
/// rename is atomic), removed by the caller.
fn tempfile_dir(near: &Path) -> Result<std::path::PathBuf, BackupError> {
    let parent = near
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or_else(|| Path::new("."));
    let dir = parent.join(format!(
        ".chat-cluster-{}-{}",
        std::process::id(),
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos())
    ));
    std::fs::create_dir_all(&dir).map_err(|e| crate::store::StoreError::io(&dir, "create", &e))?;
    Ok(dir)
}
