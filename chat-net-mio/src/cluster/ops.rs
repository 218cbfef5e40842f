//! What the runtime asks of the broker ([`Op`]) and what comes back
//! ([`Event`]): plain values, so the engine's loop never touches an async
//! type.

use std::time::Duration;

use bytes::Bytes;

/// A stream to create, or to check and bring to this configuration.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StreamSpec {
    /// The stream's name.
    pub name: String,
    /// The subjects it captures (wildcards allowed).
    pub subjects: Vec<String>,
    /// Messages kept per subject (`None`: no limit).
    pub max_per_subject: Option<u64>,
    /// Copies on the broker's servers (1, or 3 for a durable cluster).
    pub replicas: usize,
    /// How long a message id is remembered, so an append retried within it
    /// is stored once.
    pub duplicate_window: Duration,
}

/// A key-value bucket to create, or to check and bring to this
/// configuration.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BucketSpec {
    /// The bucket's name.
    pub name: String,
    /// Copies on the broker's servers.
    pub replicas: usize,
    /// Values older than this are dropped (`None`: kept).
    pub max_age: Option<Duration>,
}

/// One append to a stream.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Append {
    /// The subject (which names the stream that captures it).
    pub subject: String,
    /// The message id (`Nats-Msg-Id`): an append retried with the same id
    /// within the stream's duplicate window is stored once, and its
    /// acknowledgement names the first copy's sequence.
    pub msg_id: String,
    /// Refuse the append unless the subject's last message has this
    /// sequence (`Nats-Expected-Last-Subject-Sequence`; 0: the subject has
    /// none yet), so a writer that has not seen the latest state is
    /// refused.
    pub expect_last_subject_seq: Option<u64>,
    /// The bytes.
    pub payload: Bytes,
}

/// A request to the broker. Each carries the caller's `token` (or consumer
/// or watch id), which comes back on its [`Event`].
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Op {
    /// Create or update a stream; answered with [`Event::Done`].
    EnsureStream {
        /// The caller's id for the answer.
        token: u64,
        /// The configuration.
        spec: StreamSpec,
    },
    /// Create or update a key-value bucket; answered with
    /// [`Event::Done`].
    EnsureBucket {
        /// The caller's id for the answer.
        token: u64,
        /// The configuration.
        spec: BucketSpec,
    },
    /// Append to a stream; answered with [`Event::Done`] carrying the
    /// message's sequence once the broker stored it. Appends are sent in
    /// the order they are submitted.
    Append {
        /// The caller's id for the answer.
        token: u64,
        /// What to append.
        append: Append,
    },
    /// Deliver a stream's messages in order from `from_seq` (1: from the
    /// first kept), as [`Event::Entry`], until [`Op::StopConsume`]. An
    /// ordered consumer: after a lost message or a reconnection it starts
    /// again after the last sequence delivered, so none is delivered twice
    /// or skipped while the stream keeps it.
    Consume {
        /// The caller's id for this consumer.
        consumer: u64,
        /// The stream.
        stream: String,
        /// Only these subjects (`None`: all).
        filter: Option<String>,
        /// The first sequence wanted.
        from_seq: u64,
    },
    /// Stop a consumer.
    StopConsume {
        /// The consumer.
        consumer: u64,
    },
    /// Read one key; answered with [`Event::Got`].
    KvGet {
        /// The caller's id for the answer.
        token: u64,
        /// The bucket.
        bucket: String,
        /// The key.
        key: String,
    },
    /// Write a key that must not exist (or was deleted); answered with
    /// [`Event::Done`] carrying the revision, or [`OpError::Exists`].
    KvCreate {
        /// The caller's id for the answer.
        token: u64,
        /// The bucket.
        bucket: String,
        /// The key.
        key: String,
        /// The value.
        value: Bytes,
    },
    /// Write a key whose last revision is `revision`; answered with
    /// [`Event::Done`], or [`OpError::WrongSequence`] when another writer
    /// came first.
    KvUpdate {
        /// The caller's id for the answer.
        token: u64,
        /// The bucket.
        bucket: String,
        /// The key.
        key: String,
        /// The value.
        value: Bytes,
        /// The revision the writer read.
        revision: u64,
    },
    /// Write a key whatever it holds; answered with [`Event::Done`].
    KvPut {
        /// The caller's id for the answer.
        token: u64,
        /// The bucket.
        bucket: String,
        /// The key.
        key: String,
        /// The value.
        value: Bytes,
    },
    /// Delete a key (a tombstone, seen by watchers); with `revision`, only
    /// if that is still its last revision. Answered with [`Event::Done`]
    /// (revision 0).
    KvDelete {
        /// The caller's id for the answer.
        token: u64,
        /// The bucket.
        bucket: String,
        /// The key.
        key: String,
        /// The revision the writer read, if the delete is conditional.
        revision: Option<u64>,
    },
    /// Deliver every key's current value, then every change, as
    /// [`Event::Kv`]; [`Event::KvCurrent`] marks the end of the current
    /// values. Until [`Op::StopWatch`].
    KvWatch {
        /// The caller's id for this watch.
        watch: u64,
        /// The bucket.
        bucket: String,
    },
    /// Stop a watch.
    StopWatch {
        /// The watch.
        watch: u64,
    },
}

/// Why an operation failed.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum OpError {
    /// A create found the key there.
    #[error("the key exists")]
    Exists,
    /// The expected last sequence or revision was not the last one.
    #[error("another writer came first")]
    WrongSequence,
    /// No answer in time: the operation may or may not have been done.
    #[error("no answer from the broker in time")]
    Timeout,
    /// The broker refused or failed it.
    #[error("broker: {0}")]
    Broker(String),
}

/// A message of a stream, as a consumer delivers it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StreamEntry {
    /// Its sequence in the stream.
    pub seq: u64,
    /// Its subject.
    pub subject: String,
    /// Its message id, if it was appended with one.
    pub msg_id: Option<String>,
    /// The bytes.
    pub payload: Bytes,
}

/// A key's value, as read or watched.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KvEntry {
    /// The key.
    pub key: String,
    /// The value (`None`: deleted or purged).
    pub value: Option<Bytes>,
    /// The revision of this value.
    pub revision: u64,
}

/// Whether the broker can be reached.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BrokerState {
    /// Connected.
    Up,
    /// Disconnected; the client is trying to connect again.
    Down,
}

/// What the broker said.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Event {
    /// The connection came up or went down.
    Broker(BrokerState),
    /// The answer to an ensure, append or write: a stream sequence or key
    /// revision (0 for a delete), and whether an append was a duplicate of
    /// one already stored with the same message id.
    Done {
        /// The operation's token.
        token: u64,
        /// The sequence and whether it was a duplicate, or why it failed.
        result: Result<Written, OpError>,
    },
    /// The answer to [`Op::KvGet`].
    Got {
        /// The operation's token.
        token: u64,
        /// The entry (`None`: no such key, or deleted).
        result: Result<Option<KvEntry>, OpError>,
    },
    /// A consumer's next message.
    Entry {
        /// The consumer.
        consumer: u64,
        /// The message.
        entry: StreamEntry,
    },
    /// A consumer stopped on an error it could not recover from; the
    /// caller may start it again from the sequence after the last entry.
    ConsumerFailed {
        /// The consumer.
        consumer: u64,
        /// Why.
        error: OpError,
    },
    /// A watched key changed (or, before [`Event::KvCurrent`], its current
    /// value).
    Kv {
        /// The watch.
        watch: u64,
        /// The entry.
        entry: KvEntry,
    },
    /// Every key's current value has been delivered to this watch.
    KvCurrent {
        /// The watch.
        watch: u64,
    },
    /// A watch stopped on an error; the caller may start it again.
    WatchFailed {
        /// The watch.
        watch: u64,
        /// Why.
        error: OpError,
    },
}

/// A successful write.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Written {
    /// The stream sequence or key revision.
    pub seq: u64,
    /// An append already stored under its message id.
    pub duplicate: bool,
}
