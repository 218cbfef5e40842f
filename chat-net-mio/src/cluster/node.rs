//! A node's runtime side: the bridge and the link together, set up before
//! the engine exists (the buckets' current values are its snapshot), then
//! driven by the event loop.

use std::sync::Arc;
use std::time::{Duration, Instant};

use chat_core::cluster::{ClusterConfig as EngineCluster, ClusterOutput, NodeId, NodeName};
use chat_core::{PersistRequest, StoreSnapshot};

use super::link::{Fed, Layout, Link};
use super::seal::Sealer;
use super::{Bridge, BridgeConfig, BrokerState, Event, Op, OpError};
use crate::config::ClusterSettings;

/// Why a node could not join its cluster.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ClusterError {
    /// The node's name is not one.
    #[error("bad node name {0:?}: {1}")]
    NodeName(String, chat_core::cluster::BadNodeName),
    /// No broker address was given.
    #[error("no broker address: give --cluster nats://HOST:PORT")]
    NoBroker,
    /// The bridge could not start.
    #[error(transparent)]
    Bridge(#[from] super::BridgeError),
    /// The broker was not reached, or did not answer the setup, in time.
    #[error("the broker at {servers} did not {what} within {secs} s")]
    Setup {
        /// The addresses tried.
        servers: String,
        /// What it did not do.
        what: &'static str,
        /// How long it was given.
        secs: u64,
    },
    /// The broker refused the setup of a log or bucket.
    #[error("the broker refused the cluster's setup: {0}")]
    Refused(OpError),
}

/// The runtime's node: its bridge, link and the engine's part of the
/// configuration.
pub(crate) struct Node {
    bridge: Bridge,
    link: Link,
    /// Inputs read during setup, for the engine once it exists.
    early: Vec<Fed>,
    /// The engine's cluster configuration.
    pub(crate) engine: EngineCluster,
}

impl Node {
    /// Connects, sets the logs and buckets up, and reads the shared state
    /// (waiting up to `settings.start_timeout_ms`); the snapshot is what
    /// the engine starts from.
    pub(crate) fn start(
        settings: &ClusterSettings,
        key: &[u8; 32],
        per_conversation: u64,
        admins: &[chat_core::UserRecord],
        wake: Arc<dyn Fn() + Send + Sync>,
    ) -> Result<(Node, StoreSnapshot), ClusterError> {
        if settings.servers.is_empty() {
            return Err(ClusterError::NoBroker);
        }
        let name = NodeName::parse(&settings.node)
            .map_err(|e| ClusterError::NodeName(settings.node.clone(), e))?;
        // The epoch tells this run from the node's earlier ones: its start
        // time, which only grows on one machine.
        let epoch = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_millis() as u64);
        let mut bridge_config = BridgeConfig::new(settings.servers[0].clone(), name.as_str());
        bridge_config.servers.clone_from(&settings.servers);
        bridge_config.op_timeout = Duration::from_millis(settings.op_timeout_ms);
        let bridge = Bridge::start(bridge_config, wake)?;
        let layout = Layout {
            prefix: settings.prefix.clone(),
            logs: settings.logs,
            replicas: settings.replicas,
            per_conversation,
            presence_part_bytes: settings.presence_part_bytes,
        };
        let mut link = Link::new(layout, Sealer::new(key));
        let servers = settings.servers.join(",");
        let deadline = Instant::now() + Duration::from_millis(settings.start_timeout_ms);
        let secs = settings.start_timeout_ms / 1_000;
        let mut early = Vec::new();
        let next = |bridge: &Bridge, what| {
            let left = deadline.saturating_duration_since(Instant::now());
            bridge.next_event(left).ok_or(ClusterError::Setup {
                servers: servers.clone(),
                what,
                secs,
            })
        };
        log::info!("cluster: node {name} reaching the broker at {servers}");
        loop {
            match next(&bridge, "answer")? {
                Event::Broker(BrokerState::Up) => break,
                other => log::debug!("before the broker: {other:?}"),
            }
        }
        early.push(Fed::Cluster(chat_core::cluster::ClusterInput::Broker(true)));
        // A broker cluster that is still electing its leaders answers
        // setup requests late or not at all: each is asked again until the
        // start deadline.
        let setup = link.setup_ops();
        for op in &setup {
            bridge.submit(op.clone());
        }
        let mut last_seqs = Vec::new();
        let mut answered = 0;
        while answered < link.setup_count() {
            match next(&bridge, "set the logs and buckets up")? {
                Event::Done { token, result } => match result {
                    Ok(written) => {
                        if token < 500 {
                            last_seqs.push((token, written.seq));
                        }
                        answered += 1;
                    }
                    Err(e) if Instant::now() < deadline => {
                        log::info!("cluster: setup not answered yet ({e}); asking again");
                        std::thread::sleep(Duration::from_millis(250));
                        let again = setup.iter().find(|op| {
                            matches!(op, Op::EnsureStream { token: t, .. } | Op::EnsureBucket { token: t, .. } if *t == token)
                        });
                        if let Some(op) = again {
                            bridge.submit(op.clone());
                        }
                    }
                    Err(e) => return Err(ClusterError::Refused(e)),
                },
                other => log::debug!("during setup: {other:?}"),
            }
        }
        for op in link.watch_ops() {
            bridge.submit(op);
        }
        while !link.state_current() {
            let event = next(&bridge, "give the accounts, kicks and rooms")?;
            let ops = link.on_event(event, &mut early);
            for op in ops {
                bridge.submit(op);
            }
        }
        // The operator's admin accounts (made in the node's own store from
        // its admin password), given to the cluster if it lacks them.
        for record in admins {
            let Some(op) = link.admin_op(record) else {
                continue;
            };
            let Op::KvCreate { token, .. } = &op else {
                continue;
            };
            let token = *token;
            bridge.submit(op);
            loop {
                match next(&bridge, "create the admin accounts")? {
                    Event::Done { token: t, result } if t == token => {
                        match result {
                            Ok(w) => {
                                log::info!("cluster: admin account {} created", record.name);
                                link.admin_created(record.clone(), w.seq);
                            }
                            Err(OpError::Exists) => {}
                            Err(e) => return Err(ClusterError::Refused(e)),
                        }
                        break;
                    }
                    other => {
                        for op in link.on_event(other, &mut early) {
                            bridge.submit(op);
                        }
                    }
                }
            }
        }
        let snapshot = link.snapshot();
        for op in link.consume_ops(&last_seqs) {
            bridge.submit(op);
        }
        let engine = EngineCluster::new(NodeId { name, epoch });
        let mut engine = engine;
        engine.quiet_joins_above = settings.quiet_joins_above;
        engine.grace_ms = settings.grace_ms;
        log::info!(
            "cluster: node {} in, {} accounts, {} rooms; reading the logs",
            engine.node,
            snapshot.users.len(),
            snapshot.rooms.len()
        );
        Ok((
            Node {
                bridge,
                link,
                early,
                engine,
            },
            snapshot,
        ))
    }

    /// A store change, to the buckets.
    pub(crate) fn persist(&mut self, req: PersistRequest) -> Option<Fed> {
        let id = req.id;
        let ops = self.link.persist(req);
        if ops.is_empty() {
            // Nothing to write (a line, which the logs hold): done.
            return Some(Fed::Persisted(id, Ok(())));
        }
        for op in ops {
            self.bridge.submit(op);
        }
        None
    }

    /// An engine output, to the broker.
    pub(crate) fn submit(&mut self, out: ClusterOutput) {
        for op in self.link.submit(out) {
            self.bridge.submit(op);
        }
    }

    /// What the broker said since last time, as engine inputs.
    pub(crate) fn drain(&mut self) -> Vec<Fed> {
        let mut inputs = std::mem::take(&mut self.early);
        while let Some(event) = self.bridge.try_event() {
            for op in self.link.on_event(event, &mut inputs) {
                self.bridge.submit(op);
            }
        }
        self.link.presence_lists(&mut inputs);
        inputs
    }

    /// Asks the broker for nothing more (shutdown): what is in flight is
    /// given `grace` to be acknowledged.
    pub(crate) fn finish(self, grace: Duration) {
        let deadline = Instant::now() + grace;
        let Node { bridge, .. } = self;
        while Instant::now() < deadline {
            if bridge.next_event(Duration::from_millis(50)).is_none() {
                break;
            }
        }
        drop(bridge);
    }

    /// Submits an operation as it is (tests and tools).
    #[allow(dead_code)]
    pub(crate) fn raw(&self, op: Op) {
        self.bridge.submit(op);
    }
}
