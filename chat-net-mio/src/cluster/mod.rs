//! The cluster bridge (the `cluster` feature): the runtime's connection to
//! a NATS JetStream broker.
//!
//! A node of a cluster holds connections, not rooms: every room's lines and
//! state changes are appended to JetStream streams, whose order is the
//! room's order on every node, and shared state (accounts, grants, the
//! kick list, sessions, presence) lives in key-value buckets. The engine
//! stays sans-IO: what it asks of the broker and what the broker tells it
//! are plain values. This module is the I/O: [`Bridge`] runs the official
//! client (`async-nats`) on a single-threaded tokio runtime on a thread of
//! its own, takes typed [`Op`]s without blocking and hands back
//! [`Event`]s, waking the mio loop for each.

mod backup;
mod bridge;
mod link;
mod node;
mod ops;
mod presence;
mod seal;

pub use backup::{backup_cluster, restore_cluster, BackupError};
pub use bridge::{Bridge, BridgeConfig, BridgeError};
pub use bytes::Bytes;
pub(crate) use link::Fed;
pub use link::Layout;
pub use node::ClusterError;
pub(crate) use node::Node;
pub use ops::{
    Append, BrokerState, BucketSpec, Event, KvEntry, Op, OpError, StreamEntry, StreamSpec, Written,
};
