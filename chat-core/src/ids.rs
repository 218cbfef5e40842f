//! Identifiers the engine and its caller exchange.

use std::fmt;

/// A connection, as the caller names it (a mio `Token`, a slab index, a
/// counter...). Opaque to the engine; the caller may reuse an id once the
/// connection it named is closed.
///
/// A caller that reuses slots does better to fold a generation into the id
/// (chat-net-mio puts the slot in the low 32 bits and the number of times
/// the slot was reused above): output the engine still addresses to a
/// closed connection then names no live one and is dropped, instead of
/// reaching whoever got the slot next.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ConnId(pub u64);

impl fmt::Display for ConnId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "c{}", self.0)
    }
}

/// Names one piece of password work the engine asked for; the caller hands
/// it back with the answer.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct JobId(pub u64);

/// Names one store change the engine asked to persist; the caller hands it
/// back once the change is durable (or failed).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct PersistId(pub u64);
