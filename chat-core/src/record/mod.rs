//! What the store holds: user records, kick entries, rooms and history (the
//! records here, all of them together in a snapshot), and the changes to
//! them, with what a change means written once. Plain data shared by the
//! engine (which asks for changes), the runtime's store (which makes them
//! durable) and the simulator.

mod change;
mod snapshot;

pub use change::{ChangeError, StoreChange, StoreTables};
pub use snapshot::StoreSnapshot;

use serde::{Deserialize, Serialize};

use crate::{Grant, MessageKind, Millis, MsgId, RoomKey, RoomModes, RoomName, UserName};

/// One registered account.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct UserRecord {
    /// The name as registered.
    pub name: UserName,
    /// The argon2id PHC string of the password.
    pub phc: String,
    /// The stored grant.
    pub grant: Grant,
    /// When the account was registered.
    pub created: Millis,
}

/// One entry of the kick list: `name` may not log in until unkicked.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct KickEntry {
    /// The kicked account.
    pub name: UserName,
    /// The admin who kicked it.
    pub by: UserName,
    /// When it was kicked.
    pub at: Millis,
    /// Why, if the admin said.
    pub reason: Option<String>,
}

/// A room other than the lobby (which always exists and is not stored).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RoomRecord {
    /// The room's name as its creator spelled it.
    pub name: RoomName,
    /// The creator, the room's operator.
    pub operator: UserName,
    /// When it was created.
    pub created: Millis,
    /// Its topic, if one is set.
    pub topic: Option<Topic>,
    /// Its modes.
    pub modes: RoomModes,
}

/// A room's topic, with who set it and when.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Topic {
    /// The text.
    pub text: String,
    /// Who set it.
    pub by: UserName,
    /// When.
    pub at: Millis,
}

/// Where a history line was said: a room, or between two users.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Conversation {
    /// A room (the lobby included), by its folded name.
    Room(RoomKey),
    /// Private messages between two accounts, by their folded names in
    /// order (build it with [`Conversation::private`]).
    Private(String, String),
}

impl Conversation {
    /// The conversation between `a` and `b`, the same whichever speaks.
    ///
    /// ```
    /// use chat_core::{Conversation, UserName};
    /// let a = UserName::parse("Alice").unwrap();
    /// let b = UserName::parse("bob").unwrap();
    /// assert_eq!(Conversation::private(&a, &b), Conversation::private(&b, &a));
    /// ```
    pub fn private(a: &UserName, b: &UserName) -> Conversation {
        Conversation::between(a.key().as_str().to_owned(), b.key().as_str().to_owned())
    }

    /// The private conversation of two sides given as keys (folded names,
    /// or a guest's session: see the engine's `private_pairs`), in order.
    pub(crate) fn between(a: String, b: String) -> Conversation {
        let (lo, hi) = if a <= b { (a, b) } else { (b, a) };
        Conversation::Private(lo, hi)
    }
}

/// One line kept in a conversation's history.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct HistoryLine {
    /// Its id, as it was shown when it was said; a conversation's lines
    /// are kept in the order of their ids.
    pub id: MsgId,
    /// When it was said (the server's time).
    pub at: Millis,
    /// Who said it.
    pub from: UserName,
    /// What was said.
    pub text: String,
    /// How it was meant: said, a notice or an action, replayed as it was
    /// said live (never [`MessageKind::TagsOnly`]: tags alone are not
    /// kept).
    pub kind: MessageKind,
}

/// How much history is kept: the store trims to this when it compacts,
/// the engine when it loads.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Retention {
    /// Lines kept per room.
    pub room_lines: usize,
    /// Lines kept per pair of users.
    pub private_lines: usize,
    /// Lines older than this are dropped (milliseconds).
    pub max_age_ms: u64,
}

impl Default for Retention {
    fn default() -> Retention {
        Retention {
            room_lines: 1_000,
            private_lines: 100,
            max_age_ms: 30 * 24 * 3_600_000,
        }
    }
}
