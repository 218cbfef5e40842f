//! How a message is meant, whatever the protocol that carried it.

use serde::{Deserialize, Serialize};

/// How a room line or a private message is meant. IRC carries all three
/// (`PRIVMSG`, `NOTICE`, a CTCP `ACTION`); the kind goes with the line
/// everywhere it is shown, so a bot that must never answer a notice can
/// tell one.
///
/// ```
/// use chat_core::MessageKind;
/// assert_eq!(MessageKind::default(), MessageKind::Said);
/// assert!(MessageKind::Notice.is_notice());
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[non_exhaustive]
pub enum MessageKind {
    /// Said, as in a room or to a user (IRC `PRIVMSG`).
    #[default]
    Said,
    /// A notice: never answered automatically, by a bot or by the server
    /// (IRC `NOTICE`; the server sends no error about one).
    Notice,
    /// An action, told in the third person (`/me waves`; IRC's CTCP
    /// `ACTION`).
    Action,
    /// Tags alone, without text (IRC's `TAGMSG`: `+typing`, a reaction):
    /// shown only to clients that read client tags, never kept in
    /// history, never an empty line.
    TagsOnly,
}

impl MessageKind {
    /// Whether it is a notice (which nothing answers, errors included).
    pub fn is_notice(self) -> bool {
        self == MessageKind::Notice
    }

    /// Whether it is tags without text (IRC's `TAGMSG`).
    pub fn is_tags_only(self) -> bool {
        self == MessageKind::TagsOnly
    }
}
