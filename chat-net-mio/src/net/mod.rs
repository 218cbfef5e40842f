//! Sockets: the connection table and the outbound queues.

mod outbound;
mod table;

pub(crate) use outbound::Flushed;
pub(crate) use table::{Conn, ConnTable};
