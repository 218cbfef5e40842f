//! The cluster's vocabulary: what an engine that is a node of a cluster
//! asks of the broker ([`ClusterOutput`], inside
//! [`Output::Cluster`](crate::Output::Cluster)) and what the broker tells
//! it ([`ClusterInput`], inside [`Input::Cluster`](crate::Input::Cluster)).
//! Plain values: the engine stays sans-IO, the runtime does the I/O.
//!
//! The model: nodes hold connections, not rooms. Every room's lines and
//! state changes ([`RoomEvent`]s) are appended to an ordered log (a
//! JetStream stream) and applied by every node in the log's order, so
//! every node shows every room in one order and decides alike (the engine
//! checks each event as it applies it: a line after a room's close is
//! dropped everywhere). A line's place in its log ([`Seq`]) is its message
//! id on every node. Accounts, the kick list and rooms' records are the
//! ordinary store changes ([`StoreChange`](crate::StoreChange)), which
//! a node's runtime writes to shared key-value buckets and every node
//! hears back ([`ClusterInput::Replicated`]). Sessions (one per account
//! across the cluster) and each node's online list are small records of
//! their own.

use serde::{Deserialize, Serialize};

use crate::reply::LeaveReason;
use crate::{Conversation, Grant, Millis, RoomKey, RoomRecord, Topic, UserName};

/// A position in a log: a stream sequence, which is also the message id of
/// the line it holds.
pub type Seq = u64;

/// A node's name, as configured (`--node`): 1 to 32 of `a-z`, `0-9`, `-`
/// and `_`, so it can be part of a broker subject or key as it is.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct NodeName(String);

/// Why a node name is refused.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("a node name is 1 to 32 of a-z, 0-9, '-' and '_'")]
pub struct BadNodeName;

impl NodeName {
    /// A node name, checked.
    ///
    /// ```
    /// use chat_core::cluster::NodeName;
    /// assert!(NodeName::parse("node-1").is_ok());
    /// assert!(NodeName::parse("Node 1").is_err());
    /// ```
    pub fn parse(text: &str) -> Result<NodeName, BadNodeName> {
        let ok = (1..=32).contains(&text.len())
            && text
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'_');
        if ok {
            Ok(NodeName(text.to_owned()))
        } else {
            Err(BadNodeName)
        }
    }

    /// The name.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Display for NodeName {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// One run of a node: its name and the epoch it started in (the runtime
/// passes its start time), so what a node said before a restart is told
/// apart from what it says now.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct NodeId {
    /// The configured name.
    pub name: NodeName,
    /// This run's epoch.
    pub epoch: u64,
}

impl std::fmt::Display for NodeId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}#{}", self.name, self.epoch)
    }
}

/// Where an event came from: the node run that appended it and its number
/// for the append, so that node can answer the connection that asked.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Origin {
    /// The node run.
    pub node: NodeId,
    /// The node's number for the append (its message id's last part).
    pub token: u64,
}

impl Origin {
    /// The message id of the append (`Nats-Msg-Id`): the same for every
    /// retry of it, so the broker stores it once.
    ///
    /// ```
    /// use chat_core::cluster::{NodeId, NodeName, Origin};
    /// let node = NodeId { name: NodeName::parse("a").unwrap(), epoch: 7 };
    /// assert_eq!(Origin { node, token: 3 }.msg_id(), "a.7.3");
    /// ```
    pub fn msg_id(&self) -> String {
        format!("{}.{}.{}", self.node.name, self.node.epoch, self.token)
    }
}

/// Which log an event belongs to.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Log {
    /// A room's log (the lobby's included).
    Room(RoomKey),
    /// The private messages between two users.
    Private(Conversation),
}

impl Log {
    /// The log of a conversation.
    pub fn of(conversation: &Conversation) -> Log {
        match conversation {
            Conversation::Room(key) => Log::Room(key.clone()),
            Conversation::Private(..) => Log::Private(conversation.clone()),
        }
    }
}

/// Why a user left a room, as a log holds it (the reasons of
/// [`LeaveReason`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub enum Left {
    /// Quit.
    Quit,
    /// Kicked by an admin.
    Kicked,
    /// The connection, or its node, was lost.
    Lost,
    /// Too slow a reader.
    TooSlow,
    /// Idle too long.
    Timeout,
    /// Its node shut down.
    Shutdown,
    /// Logged in again elsewhere.
    TakenOver,
    /// Left the room.
    Parted,
    /// Removed by the room's operator or an admin.
    Removed,
    /// Its node was not heard from in time (shown as `lost`); appended by
    /// the other nodes. A node that finds its own users so sent out while
    /// they are still with it brings them back in.
    Gone,
}

impl From<LeaveReason> for Left {
    fn from(r: LeaveReason) -> Left {
        match r {
            LeaveReason::Quit => Left::Quit,
            LeaveReason::Kicked => Left::Kicked,
            LeaveReason::TooSlow => Left::TooSlow,
            LeaveReason::Timeout => Left::Timeout,
            LeaveReason::Shutdown => Left::Shutdown,
            LeaveReason::TakenOver => Left::TakenOver,
            LeaveReason::Parted => Left::Parted,
            LeaveReason::Removed => Left::Removed,
            _ => Left::Lost,
        }
    }
}

impl From<Left> for LeaveReason {
    fn from(r: Left) -> LeaveReason {
        match r {
            Left::Quit => LeaveReason::Quit,
            Left::Kicked => LeaveReason::Kicked,
            Left::Lost => LeaveReason::Lost,
            Left::TooSlow => LeaveReason::TooSlow,
            Left::Timeout => LeaveReason::Timeout,
            Left::Shutdown => LeaveReason::Shutdown,
            Left::TakenOver => LeaveReason::TakenOver,
            Left::Parted => LeaveReason::Parted,
            Left::Removed => LeaveReason::Removed,
            Left::Gone => LeaveReason::Lost,
        }
    }
}

/// One event of a log, applied by every node in the log's order.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub enum RoomEvent {
    /// A line said in the room.
    Line {
        /// When the origin node took it.
        at: Millis,
        /// Who said it.
        from: UserName,
        /// What.
        text: String,
        /// Said, an action or a notice.
        kind: crate::MessageKind,
        /// Who appended it.
        origin: Origin,
    },
    /// A user entered the room (the lobby: logged in).
    Join {
        /// When.
        at: Millis,
        /// Who.
        user: UserName,
        /// Who appended it: the node the user is on.
        origin: Origin,
    },
    /// A user left the room.
    Leave {
        /// When.
        at: Millis,
        /// Who.
        user: UserName,
        /// The node run the user was on.
        node: NodeId,
        /// Why.
        reason: Left,
        /// The admin and the reason of a kick.
        kick: Option<(UserName, Option<String>)>,
    },
    /// The room exists (appended by its creator's node once its record is
    /// stored, before the creator's join).
    Opened(RoomRecord),
    /// The room's topic changed.
    Topic {
        /// The new topic, or none.
        topic: Option<Topic>,
        /// Who changed it.
        by: UserName,
        /// When.
        at: Millis,
    },
    /// The room was closed: its members leave it, and nothing after this
    /// in its log is applied.
    Closed {
        /// When.
        at: Millis,
    },
    /// The room's operator or an admin put a member out of the room.
    Removed {
        /// When.
        at: Millis,
        /// The member.
        user: UserName,
        /// Who did.
        by: UserName,
        /// Why, if they said.
        reason: Option<String>,
        /// Who appended it.
        origin: Origin,
    },
    /// A member went busy or free (IRC's `away-notify`).
    Away {
        /// When.
        at: Millis,
        /// Who.
        user: UserName,
        /// Busy (`true`) or free.
        busy: bool,
        /// The away message, if one was given.
        text: Option<String>,
    },
    /// The operator's announcement to everyone.
    Announce {
        /// When.
        at: Millis,
        /// The text.
        text: String,
    },
    /// A grant changed (IRC shows it as a mode; chat/1 shows nothing).
    Grant {
        /// When.
        at: Millis,
        /// Whose.
        user: UserName,
        /// Who changed it.
        by: String,
        /// The grant in force.
        grant: Grant,
    },
    /// A private message (in a [`Log::Private`]).
    Private {
        /// When.
        at: Millis,
        /// The sender.
        from: UserName,
        /// The recipient.
        to: UserName,
        /// The text.
        text: String,
        /// Said, an action or a notice.
        kind: crate::MessageKind,
        /// Who appended it.
        origin: Origin,
    },
    /// The room's modes changed (to these); last, so that logs written
    /// before it still read.
    Modes {
        /// The modes now.
        modes: crate::RoomModes,
        /// Who changed them.
        by: UserName,
        /// When.
        at: Millis,
    },
}

impl RoomEvent {
    /// The node and number of the append, for events a connection asked
    /// for.
    pub fn origin(&self) -> Option<&Origin> {
        match self {
            RoomEvent::Line { origin, .. }
            | RoomEvent::Join { origin, .. }
            | RoomEvent::Removed { origin, .. }
            | RoomEvent::Private { origin, .. } => Some(origin),
            _ => None,
        }
    }
}

/// Who holds an account's one session: a node run and its number for the
/// login.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SessionOwner {
    /// The node run.
    pub node: NodeId,
    /// The node's number for the login.
    pub token: u64,
}

/// A user online on a node, as its online list says.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PresentUser {
    /// The name.
    pub name: UserName,
    /// The grant in force.
    pub grant: Grant,
    /// Busy.
    pub busy: bool,
    /// The away message while busy, if one was given.
    pub away: Option<String>,
    /// A guest (no account).
    pub guest: bool,
    /// The rooms it is in besides the lobby: a node that starts learns
    /// from these who is in a room whose older joins its log no longer
    /// keeps.
    pub rooms: Vec<crate::RoomKey>,
}

/// What a node's online list says of a user besides [`PresentUser`]:
/// what IRC shows of them (`WHOIS`, `WHO`) on every node.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PresentProfile {
    /// `USER`'s user name (IRC's ident), if the client gave one.
    pub user_name: Option<String>,
    /// The real name, if given.
    pub real_name: Option<String>,
    /// When the session began.
    pub since: Millis,
    /// Left out of searches by mask (IRC's user mode `+i`).
    pub invisible: bool,
}

/// A node's online list, published coalesced and as a heartbeat.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct NodePresence {
    /// The node run.
    pub node: NodeId,
    /// When the node published it (its clock).
    pub at: Millis,
    /// Its users.
    pub users: Vec<PresentUser>,
    /// Their profiles, one per user in the same order. Last, so that a
    /// node of an earlier build reads the list and ignores them, and a
    /// list from one is read as having none (the runtime reads it in its
    /// earlier form).
    pub profiles: Vec<PresentProfile>,
}

/// Why an append was not stored.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum AppendFailed {
    /// No acknowledgement in time: the broker may or may not have it (a
    /// retry with the same message id is stored at most once).
    #[error("no acknowledgement in time")]
    Timeout,
    /// The broker refused it.
    #[error("refused by the broker: {0}")]
    Refused(String),
}

/// What the broker tells a node's engine.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum ClusterInput {
    /// The broker can be reached (`true`) or not.
    Broker(bool),
    /// The shared state was loaded and every log applied up to where it
    /// stood at start: the node may take logins.
    Ready,
    /// The next event of a log, in the log's order.
    Entry {
        /// The log.
        log: Log,
        /// Its position, the message id of a line.
        seq: Seq,
        /// The event.
        event: RoomEvent,
    },
    /// The answer to [`ClusterOutput::Append`].
    Appended {
        /// The append's number.
        token: u64,
        /// Its position, or why it was not stored.
        result: Result<Seq, AppendFailed>,
    },
    /// A store change made by any node (this one included), as the shared
    /// buckets tell it: applied if it is news.
    Replicated(crate::StoreChange),
    /// A store change this node asked for lost to another node's (a name
    /// registered, or a room created, by another node first).
    Conflict {
        /// The change's id.
        id: crate::PersistId,
    },
    /// An account's session is now held by `owner` (any node's login, this
    /// one's included, in the shared order).
    Session {
        /// The account.
        user: UserName,
        /// Its holder.
        owner: SessionOwner,
    },
    /// A node's online list, as it published it last.
    Presence(NodePresence),
    /// A node run's heartbeat.
    Heartbeat(NodeId),
}

/// What a node's engine asks of the broker.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum ClusterOutput {
    /// Append an event to a log; answer with [`ClusterInput::Appended`].
    /// A retry of the same `token` carries the same message id
    /// ([`Origin::msg_id`], or `msg_id` here).
    Append {
        /// The node's number for it.
        token: u64,
        /// The message id.
        msg_id: String,
        /// The log.
        log: Log,
        /// The event.
        event: RoomEvent,
    },
    /// Record that `owner` now holds `user`'s session (every node hears it
    /// as [`ClusterInput::Session`]).
    ClaimSession {
        /// The account.
        user: UserName,
        /// The holder: this node and its number for the login.
        owner: SessionOwner,
    },
    /// Publish this node's online list (when it changed; coalesced).
    Presence(NodePresence),
    /// Publish this node's heartbeat.
    Heartbeat(NodeId),
    /// Another node run is gone: drop its online list.
    NodeGone(NodeId),
}

/// How a node behaves in its cluster.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct ClusterConfig {
    /// This node run.
    pub node: NodeId,
    /// Publish the online list at most this often (coalescing changes).
    pub presence_every_ms: u64,
    /// Publish it at least this often (the heartbeat).
    pub heartbeat_ms: u64,
    /// A node whose heartbeat is this late is gone: its users leave.
    pub node_timeout_ms: u64,
    /// How long an append may go unacknowledged (retried with its message
    /// id meanwhile) before the user is told it was not delivered: longer
    /// than a broker cluster takes to elect a new leader for a log whose
    /// leader died (about 6 s for nats-server 2.9).
    pub append_timeout_ms: u64,
    /// After losing the broker this long, the node tells its clients to
    /// reconnect elsewhere and closes them.
    pub grace_ms: u64,
    /// Past this many members, a room's joins and leaves are not shown
    /// one by one (the members list still changes).
    pub quiet_joins_above: usize,
}

impl ClusterConfig {
    /// The defaults for a node run: presence at most 4 times a second, a
    /// heartbeat every second, a node gone after 3 s, appends given 10 s,
    /// 10 s of grace without the broker, joins shown up to 200 members.
    pub fn new(node: NodeId) -> ClusterConfig {
        ClusterConfig {
            node,
            presence_every_ms: 250,
            heartbeat_ms: 1_000,
            node_timeout_ms: 3_000,
            append_timeout_ms: 10_000,
            grace_ms: 10_000,
            quiet_joins_above: 200,
        }
    }
}
