//! Sockets: who may connect (counted from accept), the connection table, the outbound queues, the batching of
//! one turn's room traffic, and the I/O shards that share the
//! connections out over threads.

pub(crate) mod admission;
mod batch;
pub(crate) mod inbox;
pub(crate) mod keepalive;
mod outbound;
pub(crate) mod refusal;
pub(crate) mod remote;
pub(crate) mod shard;
mod table;

pub(crate) use batch::{BroadcastBatch, Released};
pub(crate) use outbound::{Flushed, Outbound, QueuePool};
pub(crate) use table::{Conn, ConnTable, Shard};
