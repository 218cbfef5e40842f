//! Sockets: the connection table, the outbound queues, and the batching of
//! one turn's room traffic.

mod batch;
pub(crate) mod keepalive;
mod outbound;
mod table;

pub(crate) use batch::{BroadcastBatch, Released};
pub(crate) use outbound::{Flushed, Outbound};
pub(crate) use table::{slot_of, Conn, ConnTable};
