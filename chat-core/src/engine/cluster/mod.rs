//! The engine as a node of a cluster (see [`crate::cluster`]): what a
//! node keeps besides a single server's state, and the dispatch of the
//! broker's inputs. A single server has no [`Node`] and takes none of
//! these paths.
//!
//! - [`append`]: appends in flight, their retries and answers.
//! - [`apply`]: applying a log's events in order, on every node alike.
//! - [`requests`]: what a local user's command appends instead of doing.
//! - [`shared`]: store changes of any node, heard back from the buckets.
//! - [`presence`]: online lists, heartbeats, gone nodes, sessions, and
//!   losing the broker.

mod append;
mod apply;
mod presence;
mod requests;
mod shared;

use crate::cluster::{ClusterConfig, ClusterInput, NodeId, Seq};
use crate::{Millis, NameKey, RoomKey, UserName};

use super::seeded::{map, Map};
use super::Engine;

pub(super) use append::Appending;
pub(super) use presence::Peer;

/// A member of a room, on any node.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) struct Member {
    pub(super) name: UserName,
    pub(super) node: NodeId,
}

/// An account's session claim made by this node.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct Claim {
    /// The node's number for the login.
    pub(super) token: u64,
    /// Whether the shared order has shown it yet: a claim by another node
    /// heard after this one's is a takeover.
    pub(super) seen: bool,
}

/// What a node keeps besides a single server's state.
#[derive(Debug)]
pub(crate) struct Node {
    pub(super) config: ClusterConfig,
    /// Whether the broker can be reached.
    pub(super) up: bool,
    /// Since when it cannot (for the grace period).
    pub(super) lost_since: Option<Millis>,
    /// Whether the clients were told to go elsewhere for this loss.
    pub(super) sent_away: bool,
    /// The shared state is loaded and the logs caught up.
    pub(super) ready: bool,
    pub(super) next_token: u64,
    /// Appends not yet acknowledged, by token.
    pub(super) appends: Map<u64, Appending>,
    /// Every room's members on every node, as the logs say.
    pub(super) members: Map<RoomKey, Map<NameKey, Member>>,
    /// The last position applied per log.
    pub(super) applied: Map<crate::cluster::Log, Seq>,
    /// The other node runs, as their online lists and heartbeats say.
    pub(super) peers: Map<NodeId, Peer>,
    /// Session claims of this node's users.
    pub(super) claims: Map<NameKey, Claim>,
    /// The online list last published, and when.
    pub(super) published: Option<(Vec<crate::cluster::PresentUser>, Millis)>,
    /// When the last heartbeat went out.
    pub(super) beat: Millis,
    /// When this node last heard its own heartbeat back: a node that
    /// cannot hear itself (its broker electing a leader, say) judges no
    /// other node gone.
    pub(super) self_heard: Millis,
    /// Node runs whose users were already sent out (their leaves are
    /// appended once per node here).
    pub(super) buried: Map<NodeId, Millis>,
    /// The hash tables' seed, for the members of rooms opened later.
    pub(super) seed: u64,
}

impl Node {
    pub(super) fn new(config: ClusterConfig, seed: u64) -> Node {
        Node {
            config,
            up: false,
            lost_since: None,
            sent_away: false,
            ready: false,
            next_token: 0,
            appends: map(seed),
            members: map(seed),
            applied: map(seed),
            peers: map(seed),
            claims: map(seed),
            published: None,
            beat: Millis(0),
            self_heard: Millis(0),
            buried: map(seed),
            seed,
        }
    }

    pub(super) fn me(&self) -> &NodeId {
        &self.config.node
    }

    /// A room's members (made empty if the room has none yet).
    pub(super) fn members_of(&mut self, room: &RoomKey) -> &mut Map<NameKey, Member> {
        let seed = self.seed;
        self.members
            .entry(room.clone())
            .or_insert_with(|| map(seed))
    }

    /// Whether the node may take logins and lines now.
    pub(super) fn serving(&self) -> bool {
        self.up && self.ready
    }
}

impl Engine {
    /// Makes this engine a node of a cluster: from now on room lines and
    /// state changes go through the broker's logs
    /// ([`Output::Cluster`](crate::Output::Cluster)) and are applied when
    /// they come back ([`Input::Cluster`](crate::Input::Cluster)), and no
    /// login is taken until the broker is up
    /// ([`ClusterInput::Broker`]) and the node has caught up
    /// ([`ClusterInput::Ready`]).
    ///
    /// ```
    /// use chat_core::cluster::{ClusterConfig, NodeId, NodeName};
    /// use chat_core::{Config, Engine, StoreSnapshot};
    /// let node = NodeId { name: NodeName::parse("a").unwrap(), epoch: 1 };
    /// let engine = Engine::new(Config::default(), StoreSnapshot::default())
    ///     .unwrap()
    ///     .into_node(ClusterConfig::new(node));
    /// assert!(engine.is_node());
    /// ```
    pub fn into_node(mut self, config: ClusterConfig) -> Engine {
        self.cluster = Some(Box::new(Node::new(config, self.config.hash_seed)));
        self
    }

    /// Whether this engine is a node of a cluster.
    pub fn is_node(&self) -> bool {
        self.cluster.is_some()
    }

    pub(super) fn on_cluster(&mut self, input: ClusterInput) {
        if self.cluster.is_none() {
            log::warn!("a cluster input for a single server, ignored");
            return;
        }
        match input {
            ClusterInput::Broker(up) => self.on_broker(up),
            ClusterInput::Ready => self.on_ready(),
            ClusterInput::Entry { log, seq, event } => self.on_entry(log, seq, event),
            ClusterInput::Appended { token, result } => self.on_appended(token, result),
            ClusterInput::Replicated(change) => self.apply_replicated(change),
            ClusterInput::Conflict { id } => self.on_conflict(id),
            ClusterInput::Session { user, owner } => self.on_session_claim(user, owner),
            ClusterInput::Presence(presence) => self.on_presence(presence),
            ClusterInput::Heartbeat(run) => self.on_heartbeat(run),
        }
    }

    /// The node's next deadline (presence, heartbeat, gone nodes, retries,
    /// the grace period), if it is a node.
    pub(super) fn cluster_deadline(&self) -> Option<Millis> {
        let node = self.cluster.as_deref()?;
        let mut next = self.presence_deadline(node);
        for a in node.appends.values() {
            next = next.min(a.deadline(node.config.append_timeout_ms));
        }
        for peer in node.peers.values() {
            next = next.min(Millis(peer.heard.0 + node.config.node_timeout_ms));
        }
        if let (Some(since), false) = (node.lost_since, node.sent_away) {
            next = next.min(Millis(since.0 + node.config.grace_ms));
        }
        Some(next)
    }

    /// What is due at a node: publish, bury gone nodes, give up on appends,
    /// send clients away after the grace period.
    pub(super) fn on_cluster_timeout(&mut self) {
        if self.cluster.is_none() {
            return;
        }
        self.expire_appends();
        self.bury_gone_nodes();
        self.publish_presence();
        self.end_grace();
    }
}
