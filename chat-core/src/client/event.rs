//! What a client session tells its driver.

use crate::framing::FrameError;
use crate::reply::{Reply, Word};
use crate::wire::{parse_reply, split_tags, EncodeError, MalformedLine};
use crate::{ErrorCode, Grant, MsgId};

/// One line from the server, kept as text and read as a typed [`Reply`]
/// on demand (the reply borrows from the text).
///
/// ```
/// use chat_core::client::{Auth, Credentials, Event, LoginForm, Session};
/// use chat_core::reply::Reply;
/// let mut s = Session::new(Credentials::new("ann", "a-long-password"), Auth::Login, LoginForm::OneLine);
/// s.on_connected();
/// s.receive(b"WELCOME ann 1\n@id=7 RMSG rust 5 bob hi there\n");
/// let lines: Vec<_> = std::iter::from_fn(|| s.poll_event())
///     .filter_map(|e| match e { Event::Line(line) => Some(line), _ => None })
///     .collect();
/// match lines[1].reply().unwrap() {
///     Reply::RoomMsg { room, id, from, text, .. } => {
///         assert_eq!((room, id.map(|i| i.0), from, text), ("rust", Some(7), "bob", "hi there"));
///     }
///     other => panic!("{other:?}"),
/// }
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Received {
    text: String,
}

impl Received {
    pub(crate) fn new(text: &str) -> Received {
        Received {
            text: text.to_owned(),
        }
    }

    /// The line as sent, without its ending.
    pub fn text(&self) -> &str {
        &self.text
    }

    /// The message id the line carries (after `/tags on`), if any.
    pub fn id(&self) -> Option<MsgId> {
        split_tags(&self.text).0.id()
    }

    /// The line, typed: the reply it is, its id from its tags.
    pub fn reply(&self) -> Result<Reply<'_>, MalformedLine> {
        parse_reply(&self.text)
    }

    /// The code and text, if this is an `ERR` line.
    pub fn error(&self) -> Option<(Word<'_, ErrorCode>, &str)> {
        match self.reply() {
            Ok(Reply::Err { code, text, .. }) => Some((code, text)),
            _ => None,
        }
    }
}

/// Why the server ended the session (from a `CTL` line).
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Ended {
    /// `CTL kick <by> [reason]`.
    Kicked {
        /// The admin.
        by: String,
        /// Why, if given.
        reason: Option<String>,
    },
    /// `CTL shutdown`.
    Shutdown,
    /// `CTL disconnect`: the answer to our `/quit`.
    Disconnected,
    /// `CTL takeover`: the account logged in on another connection; a
    /// client must not reconnect (it would take the account back).
    Takeover,
}

/// Something that happened in the session, in order.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Event {
    /// A line from the server: every line comes out as one of these,
    /// before any event it causes, but for the answers to what the
    /// session asks by itself to catch up after a re-login (its `/ping`
    /// fences, the replays of rooms it pages instead, the ends of its
    /// pages, lines it has passed on already); a room's live lines wait
    /// meanwhile, so each line comes out once, in order.
    Line(Received),
    /// A line too long or not UTF-8; it was skipped.
    Unreadable(FrameError),
    /// `WELCOME`: logged in and in the room.
    LoggedIn {
        /// The user, as registered.
        user: String,
        /// Their grant.
        grant: Grant,
    },
    /// The session's own login (or re-login) was refused with this `ERR`
    /// line; it does not try again on this connection.
    LoginRefused(Received),
    /// The credentials cannot be sent as a login line (a name with a space,
    /// a line break); nothing was sent.
    CannotLogIn(EncodeError),
    /// The server confirmed a password change; reconnects use the new
    /// password from now on.
    PasswordChanged,
    /// `CTL restart`: the server is restarting. Once the connection
    /// closes, connect again and call
    /// [`Session::on_connected`](super::Session::on_connected): the session
    /// logs in again.
    Restarting,
    /// The server ended the session; do not reconnect.
    Ended(Ended),
    /// `CTL removed <room> <by> [reason]`: the room's operator or an admin
    /// took us out of a room (we may join it again).
    RemovedFromRoom {
        /// The room.
        room: String,
        /// Who removed us.
        by: String,
        /// Why, if given.
        reason: Option<String>,
    },
}
