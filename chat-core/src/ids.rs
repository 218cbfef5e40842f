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

/// A message's id: a room line's or a private message's, the same in
/// every place it shows (live, held, replayed from history).
///
/// Ids increase with the order of their conversation (a room, or a pair
/// of users): a later line of the same conversation has a larger id.
/// They are unique within their conversation and never reused, but not
/// consecutive: a client may see gaps and must not read anything into
/// them. A single server draws every id from one sequence; a cluster may
/// use the position of the line in its room's stream. Either way a
/// client only compares ids of one conversation, to page its history
/// (`/history ... before id=<id>`) or to tell a line it has from one it
/// has not.
///
/// ```
/// use chat_core::MsgId;
/// assert!(MsgId(7) < MsgId(12));
/// assert_eq!(MsgId(12).to_string(), "12");
/// ```
#[derive(
    Clone,
    Copy,
    Debug,
    Default,
    PartialEq,
    Eq,
    Hash,
    PartialOrd,
    Ord,
    serde::Serialize,
    serde::Deserialize,
)]
pub struct MsgId(pub u64);

impl MsgId {
    /// The id as a number.
    pub fn as_u64(self) -> u64 {
        self.0
    }

    /// The id after this one (saturating: ids never wrap around).
    pub fn next(self) -> MsgId {
        MsgId(self.0.saturating_add(1))
    }
}

impl fmt::Display for MsgId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}
