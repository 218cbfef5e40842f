//! What an I/O shard's sockets have to tell the engine, gathered over a
//! turn: connections opened, bytes received, connections lost, queues
//! written out that the engine asked about.
//!
//! The bytes of every arrival share one buffer, so a turn's reads cost
//! one allocation at most (none once the buffer has grown), and the whole
//! inbox moves to the engine's thread as one message.

use std::net::IpAddr;

use chat_core::codec::Protocol;
use chat_core::{CloseCause, ConnId, Input};

/// One thing the engine must hear of: the socket side's
/// [`Input`]s, owned (their bytes as a range of the inbox's buffer) so
/// they can wait and cross threads, which `Input`'s borrowed bytes cannot.
#[derive(Debug)]
enum Arrival {
    Opened {
        conn: ConnId,
        peer: IpAddr,
        protocol: Protocol,
    },
    /// `bytes[start..end]` of the inbox.
    Received {
        conn: ConnId,
        start: usize,
        end: usize,
    },
    Closed {
        conn: ConnId,
        cause: CloseCause,
    },
    Drained {
        conn: ConnId,
    },
}

/// A turn's arrivals, in the order they happened.
#[derive(Debug, Default)]
pub(crate) struct Inbox {
    arrivals: Vec<Arrival>,
    bytes: Vec<u8>,
}

impl Inbox {
    pub(crate) fn opened(&mut self, conn: ConnId, peer: IpAddr, protocol: Protocol) {
        self.arrivals.push(Arrival::Opened {
            conn,
            peer,
            protocol,
        });
    }

    /// Bytes from `conn`; joined to the last arrival if that was `conn`'s
    /// bytes too, so the engine is called once per connection and turn.
    pub(crate) fn received(&mut self, conn: ConnId, bytes: &[u8]) {
        let start = self.bytes.len();
        self.bytes.extend_from_slice(bytes);
        let end = self.bytes.len();
        if let Some(Arrival::Received {
            conn: last, end: e, ..
        }) = self.arrivals.last_mut()
        {
            if *last == conn && *e == start {
                *e = end;
                return;
            }
        }
        self.arrivals.push(Arrival::Received { conn, start, end });
    }

    pub(crate) fn closed(&mut self, conn: ConnId, cause: CloseCause) {
        self.arrivals.push(Arrival::Closed { conn, cause });
    }

    /// Everything queued for `conn` when the engine asked was written.
    pub(crate) fn drained(&mut self, conn: ConnId) {
        self.arrivals.push(Arrival::Drained { conn });
    }

    /// Bytes received in it.
    pub(crate) fn byte_len(&self) -> usize {
        self.bytes.len()
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.arrivals.is_empty()
    }

    /// The arrivals as the engine's inputs, in order.
    pub(crate) fn inputs(&self) -> impl Iterator<Item = Input<'_>> {
        self.arrivals.iter().map(|a| match *a {
            Arrival::Opened {
                conn,
                peer,
                protocol,
            } => Input::Opened {
                conn,
                peer,
                protocol,
            },
            Arrival::Received { conn, start, end } => Input::Received {
                conn,
                bytes: &self.bytes[start..end],
            },
            Arrival::Closed { conn, cause } => Input::Closed { conn, cause },
            Arrival::Drained { conn } => Input::Drained { conn },
        })
    }

    /// Empties it, keeping its buffers unless a burst made them large.
    pub(crate) fn clear(&mut self) {
        self.arrivals.clear();
        self.bytes.clear();
        if self.bytes.capacity() > KEEP_BYTES {
            self.bytes = Vec::new();
        }
        if self.arrivals.capacity() > KEEP_ARRIVALS {
            self.arrivals = Vec::new();
        }
    }
}

/// Buffers kept between turns up to these sizes.
const KEEP_BYTES: usize = 1024 * 1024;
const KEEP_ARRIVALS: usize = 16 * 1024;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_of_one_connection_join_and_order_is_kept() {
        let mut inbox = Inbox::default();
        let (a, b) = (ConnId(1), ConnId(2));
        inbox.opened(a, "127.0.0.1".parse().unwrap(), Protocol::Chat1);
        inbox.received(a, b"HEL");
        inbox.received(a, b"LO\n");
        inbox.received(b, b"x\n");
        inbox.closed(a, CloseCause::Lost);
        let got: Vec<String> = inbox
            .inputs()
            .map(|i| match i {
                Input::Opened { conn, .. } => format!("open {}", conn.0),
                Input::Received { conn, bytes } => {
                    format!("{} {}", conn.0, String::from_utf8_lossy(bytes))
                }
                Input::Closed { conn, .. } => format!("closed {}", conn.0),
                _ => unreachable!(),
            })
            .collect();
        assert_eq!(got, ["open 1", "1 HELLO\n", "2 x\n", "closed 1"]);
        inbox.clear();
        assert!(inbox.is_empty());
    }
}
