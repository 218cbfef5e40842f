//! The engine's inputs and outputs.

use std::net::IpAddr;
use std::sync::Arc;

use crate::password::{Password, PasswordError};
use crate::reply::LeaveReason;
use crate::seam::Protocol;
use crate::{
    ConnId, Frame, JobId, MessageKind, Millis, MsgId, PersistId, RoomName, StoreChange, UserName,
};

/// An event for the engine. Each comes with the caller's `now`
/// ([`Engine::handle`](crate::Engine::handle)).
#[derive(Debug)]
#[non_exhaustive]
pub enum Input<'a> {
    /// A connection was accepted. The engine answers with `HELLO` and the
    /// first `ASK`, or refuses it (server full, too many from the address).
    Opened {
        /// The caller's id for it.
        conn: ConnId,
        /// The peer's address.
        peer: IpAddr,
        /// The wire protocol it speaks (the listener that accepted it
        /// knows).
        protocol: Protocol,
    },
    /// Bytes arrived on a connection, in any chunking.
    Received {
        /// The connection.
        conn: ConnId,
        /// The bytes.
        bytes: &'a [u8],
    },
    /// The connection is gone (the peer closed it, it failed, or the caller
    /// dropped it). Not needed after the engine asked for the close itself.
    Closed {
        /// The connection.
        conn: ConnId,
        /// Why.
        cause: CloseCause,
    },
    /// Password work the engine asked for is done.
    PasswordDone {
        /// The job id from the [`PasswordJob`].
        job: JobId,
        /// Its answer.
        answer: Result<PasswordAnswer, PasswordError>,
    },
    /// A store change the engine asked for is durable, or failed.
    Persisted {
        /// The id from the [`PersistRequest`].
        id: PersistId,
        /// `Ok` once durable.
        result: Result<(), PersistFailed>,
    },
    /// Everything sent to the connection before the engine asked with
    /// [`Output::WhenDrained`] has been written (the kernel took it): the
    /// engine may produce more of what the connection is owed.
    Drained {
        /// The connection.
        conn: ConnId,
    },
    /// A deadline from [`Engine::poll_timeout`](crate::Engine::poll_timeout)
    /// passed (waking early or late is harmless).
    Timeout,
    /// An announcement from the server's operator to the room.
    Announce {
        /// The text.
        text: &'a str,
    },
    /// Shut down: every client gets `CTL shutdown` and is closed.
    Shutdown,
    /// What the cluster's broker says to a node (see
    /// [`Engine::into_node`](crate::Engine::into_node)); a single server
    /// never gets one.
    Cluster(crate::cluster::ClusterInput),
}

/// The recipients of a [`Output::Broadcast`]: a shared list, so a steady
/// room broadcasts without copying its member list, less at most one of its
/// members (the sender of a line its client does not get back, IRC without
/// `echo-message`), left out by [`iter`](Recipients::iter) rather than by
/// copying the list without it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Recipients {
    list: Arc<[ConnId]>,
    /// A connection of `list` that does not get the frame.
    except: Option<ConnId>,
}

impl Recipients {
    /// `list` less `except`, which must be in it ([`len`](Recipients::len)
    /// counts on that). Clones of one `list` are the
    /// [`same_list`](Recipients::same_list), whoever each leaves out.
    ///
    /// ```
    /// use std::sync::Arc;
    /// use chat_core::{ConnId, Recipients};
    /// let room: Arc<[ConnId]> = vec![ConnId(1), ConnId(2)].into();
    /// let to = Recipients::leaving_out(Arc::clone(&room), Some(ConnId(1)));
    /// assert_eq!(to.iter().collect::<Vec<_>>(), [ConnId(2)]);
    /// assert!(to.same_list(&Recipients::leaving_out(room, None)));
    /// ```
    pub fn leaving_out(list: Arc<[ConnId]>, except: Option<ConnId>) -> Recipients {
        debug_assert!(except.is_none_or(|e| list.contains(&e)));
        Recipients { list, except }
    }

    /// The connections, in the room's order.
    ///
    /// ```
    /// use chat_core::{ConnId, Recipients};
    /// let to = Recipients::from(vec![ConnId(1), ConnId(2)]);
    /// assert_eq!(to.iter().collect::<Vec<_>>(), [ConnId(1), ConnId(2)]);
    /// ```
    pub fn iter(&self) -> impl Iterator<Item = ConnId> + '_ {
        let except = self.except;
        self.list
            .iter()
            .copied()
            .filter(move |&c| Some(c) != except)
    }

    /// The shared list, with the connection left out (if any) still in it:
    /// for a caller that joins broadcasts to the same list and leaves
    /// [`except`](Recipients::except) out itself.
    pub fn shared_list(&self) -> &[ConnId] {
        &self.list
    }

    /// The member of [`shared_list`](Recipients::shared_list) that does not
    /// get this broadcast.
    pub fn except(&self) -> Option<ConnId> {
        self.except
    }

    /// How many.
    pub fn len(&self) -> usize {
        self.list.len() - usize::from(self.except.is_some())
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Whether `other` has this very list (not just an equal one), whoever
    /// each leaves out: the room hands out the same list until its
    /// membership or presence changes, so two broadcasts with the same list
    /// go to the same connections, less their senders. Constant time,
    /// unlike `==`.
    pub fn same_list(&self, other: &Recipients) -> bool {
        Arc::ptr_eq(&self.list, &other.list)
    }
}

impl From<Vec<ConnId>> for Recipients {
    /// A new list, [`same_list`](Recipients::same_list) only as its clones.
    fn from(ids: Vec<ConnId>) -> Recipients {
        Recipients {
            list: ids.into(),
            except: None,
        }
    }
}

/// Why the caller closed a connection.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum CloseCause {
    /// The peer closed, or the socket failed.
    Lost,
    /// The peer did not read its output fast enough.
    TooSlow,
}

/// A failed store write, as reported by the caller.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("store change failed: {0}")]
pub struct PersistFailed(pub String);

/// The answer to a [`PasswordJob`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PasswordAnswer {
    /// The PHC string of a hashed password.
    Hashed(String),
    /// Whether a password matched.
    Verified(bool),
}

/// Password work the engine needs done, off the engine's thread.
#[derive(Debug)]
pub struct PasswordJob {
    /// Hand this back in [`Input::PasswordDone`].
    pub id: JobId,
    /// What to do.
    pub work: PasswordWork,
    /// The address of the connection the work is for, so the caller can serve addresses fairly.
    pub peer: std::net::IpAddr,
}

/// What a [`PasswordJob`] does.
#[derive(Debug)]
#[non_exhaustive]
pub enum PasswordWork {
    /// Hash a new password.
    Hash {
        /// The password.
        password: Password,
    },
    /// Check a password against a stored hash; `phc: None` is an unknown
    /// account, checked against nothing in the same time.
    Verify {
        /// The password.
        password: Password,
        /// The stored hash.
        phc: Option<String>,
    },
}

/// A store change to make durable.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PersistRequest {
    /// Hand this back in [`Input::Persisted`].
    pub id: PersistId,
    /// The change.
    pub change: StoreChange,
}

/// Why the engine closes a connection (for the caller's logs).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum CloseReason {
    /// The client quit.
    Quit,
    /// An admin kicked the user.
    Kicked,
    /// Too many failed attempts or queued lines.
    RateLimited,
    /// A login or idle deadline passed.
    Timeout,
    /// Refused at admission.
    Refused,
    /// The server is shutting down.
    Shutdown,
    /// The server is restarting.
    Restart,
    /// The owner logged in on another connection, which took over.
    TakenOver,
}

/// Something that happened in a room, for observers (bots, bridges,
/// audit logs): every room line has one, in every room, the lobby
/// included. Emitted only with [`Config::emit_events`](crate::Config).
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum ChatEvent {
    /// A user entered a room (the lobby: logged in).
    Joined {
        /// When.
        at: Millis,
        /// The room ([`RoomName::lobby`] for the lobby).
        room: RoomName,
        /// Who.
        user: UserName,
    },
    /// A user left a room (the lobby: logged out, and then every room).
    Left {
        /// When.
        at: Millis,
        /// The room.
        room: RoomName,
        /// Who.
        user: UserName,
        /// Why.
        reason: LeaveReason,
    },
    /// A line said in a room.
    Message {
        /// When.
        at: Millis,
        /// The room.
        room: RoomName,
        /// Its id.
        id: MsgId,
        /// The sender.
        from: UserName,
        /// How it is meant (said, a notice, an action).
        kind: MessageKind,
        /// The text.
        text: Arc<str>,
    },
    /// A private message.
    Private {
        /// When.
        at: Millis,
        /// Its id.
        id: MsgId,
        /// The sender.
        from: UserName,
        /// The recipient.
        to: UserName,
        /// How it is meant (said, a notice, an action).
        kind: MessageKind,
        /// The text.
        text: Arc<str>,
    },
    /// An announcement from the operator, to everyone.
    Announcement {
        /// When.
        at: Millis,
        /// The text.
        text: Arc<str>,
    },
}

/// An action for the caller, drained with
/// [`Engine::poll_output`](crate::Engine::poll_output).
///
/// Kept small (the common `Send` is a connection id and a shared frame), so
/// a broadcast to thousands is thousands of small moves.
#[derive(Debug)]
#[non_exhaustive]
pub enum Output {
    /// Write these bytes to a connection, after what was sent before.
    Send {
        /// The connection.
        conn: ConnId,
        /// The bytes (shared with every other recipient).
        frame: Frame,
    },
    /// Write this frame to every connection of `to`, after what was sent
    /// to each before: a room line. One output for the whole room.
    Broadcast {
        /// The recipients.
        to: Recipients,
        /// The bytes, shared by all of them.
        frame: Frame,
    },
    /// Flush what was sent to the connection, then close it. The engine has
    /// already forgotten it.
    Close {
        /// The connection.
        conn: ConnId,
        /// Why.
        reason: CloseReason,
    },
    /// Tell the engine with [`Input::Drained`] once everything sent to
    /// the connection so far has been written. The engine asks when it
    /// has sent `limits.output_window_bytes` since it last heard, and
    /// produces long answers (history, listings) only as the connection
    /// drains, so no input makes it hold more than that for one
    /// connection. A caller that writes at once may answer at once; one
    /// that never answers stalls the connection's long answers and lines.
    WhenDrained {
        /// The connection.
        conn: ConnId,
    },
    /// Run password work and report with [`Input::PasswordDone`].
    Password(Box<PasswordJob>),
    /// Make a change durable and report with [`Input::Persisted`].
    Persist(Box<PersistRequest>),
    /// Something happened in the room.
    Event(Box<ChatEvent>),
    /// Stop the server (after the closes before it); with `restart`, start
    /// again on the same address with the same data.
    Stop {
        /// Whether to start again.
        restart: bool,
    },
    /// A node's request to its cluster's broker (a single server never
    /// makes one); answered with [`Input::Cluster`].
    Cluster(Box<crate::cluster::ClusterOutput>),
}
