//! Identifiers the engine and its caller exchange.

use std::fmt;

/// A connection, as the caller names it (a mio `Token`, a slab index, a
/// counter...). Opaque to the engine; the caller may reuse an id once the
/// connection it named is closed.
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
