#![forbid(unsafe_code)]
#![warn(missing_docs)]
//! # chat-core: a sans-IO chat engine
//!
//! The whole chat server as a deterministic state machine: users and
//! sessions, grants, the kick list, busy/free, the `lobby` room, the login
//! dialog, line framing, the command parser and reply rendering. It owns
//! no sockets, files, threads, clock or randomness: the caller feeds
//! [`Input`]s (each with the time), drains [`Output`]s, and runs the work
//! the engine asks for (password hashing, store writes) wherever it likes.
//! The same inputs always give the same outputs, so every behaviour is
//! testable in-process.
//!
//! ## The drive loop
//!
//! After each [`Engine::handle`], drain [`Engine::poll_output`] until
//! `None`, then sleep until the next I/O event or [`Engine::poll_timeout`],
//! whichever comes first, and feed [`Input::Timeout`] when the deadline
//! passes. Password work and store writes are answered later, from any
//! source, with [`Input::PasswordDone`] and [`Input::Persisted`].
//!
//! ```
//! use chat_core::password::HashParams;
//! use chat_core::codec::Protocol;
//! use chat_core::{ConnId, Config, Engine, Input, Millis, Output, StoreSnapshot};
//! use std::collections::HashMap;
//!
//! let mut engine = Engine::new(Config::default(), StoreSnapshot::default()).unwrap();
//! let mut now = Millis(1_700_000_000_000);
//! let mut wire: HashMap<ConnId, Vec<u8>> = HashMap::new();
//! let alice = ConnId(1);
//!
//! engine.handle(now, Input::Opened {
//!     conn: alice,
//!     peer: "127.0.0.1".parse().unwrap(),
//!     protocol: Protocol::Chat1,
//! });
//! engine.handle(now, Input::Received { conn: alice, bytes: b"/register alice s3cret-pw\nhi all\n" });
//!
//! // The caller's loop: drain actions, do the work they ask for, feed the
//! // answers back, until the engine has nothing more to say.
//! let mut work = Vec::new();
//! loop {
//!     while let Some(out) = engine.poll_output() {
//!         match out {
//!             Output::Send { conn, frame } => wire.entry(conn).or_default().extend_from_slice(&frame),
//!             Output::Broadcast { to, frame } => {
//!                 for conn in to.iter() {
//!                     wire.entry(conn).or_default().extend_from_slice(&frame);
//!                 }
//!             }
//!             Output::Close { .. } => {}
//!             Output::Password(job) => {
//!                 // A real caller runs this on a worker thread with a random salt.
//!                 let answer = job.run(&HashParams::cheap(), &[42; 16]);
//!                 work.push(Input::PasswordDone { job: job.id, answer });
//!             }
//!             // A real caller writes the store and answers once it is durable.
//!             Output::Persist(req) => work.push(Input::Persisted { id: req.id, result: Ok(()) }),
//!             // A real caller answers once the connection's socket took
//!             // everything queued for it; `wire` takes it all at once.
//!             Output::WhenDrained { conn } => work.push(Input::Drained { conn }),
//!             _ => {}
//!         }
//!     }
//!     if work.is_empty() {
//!         break;
//!     }
//!     now.0 += 1;
//!     for input in work.drain(..) {
//!         engine.handle(now, input);
//!     }
//! }
//! if let Some(deadline) = engine.poll_timeout() {
//!     // Sleep until `deadline` (or the next I/O event), then:
//!     engine.handle(deadline, Input::Timeout);
//! }
//!
//! let text = String::from_utf8(wire.remove(&alice).unwrap()).unwrap();
//! assert!(text.contains("OK registered alice\nWELCOME alice 1\n"));
//! assert!(text.contains(" alice hi all\n"));
//! ```
//!
//! ## Layout
//!
//! In layers, each using only those below it:
//!
//! - The vocabulary: [`Command`]s and their [catalogue](command) (each
//!   declared once, with how it is typed, who may use it and its cost),
//!   [`reply::Reply`] (what the server says), names, records, ids, time,
//!   the [client-only tags](client_tags) a message carries;
//!   [`framing`] (lines out of bytes, [`Frame`]s of rendered bytes); and
//!   [`seam`], how the engine sees a connection's codec ([`seam::Codec`],
//!   opened for the connection's [`Protocol`]) and renders room lines
//!   ([`seam::Rendering`]), in its own terms.
//! - [`Engine`]: the state machine, which sees only `Command`s and
//!   `Reply`s (refusals as [`reply::Reason`]s, never text) and nothing of
//!   any wire format.
//! - The codecs, beside the engine and on top of the vocabulary:
//!   [`wire`] (chat/1: [`wire::parse()`] and [`wire::encode_command`] by
//!   the command catalogue, [`wire::render`] and [`wire::parse_reply`] by
//!   the catalogue of server lines, [`wire::server_lines`]) and [`irc`]
//!   (registration and capability negotiation, parsing, policy,
//!   rendering); [`codec`] opens them ([`Engine::new`]).
//! - [`client`]: a sans-IO client session (the login dialog, typed
//!   replies, reconnection) for bots and terminal clients.
//! - [`protocol`]: the specification of protocol v1 (`PROTOCOL.md`).
//! - [`password`]: the [`password::Password`] wrapper, and argon2id
//!   hashing for the caller's worker threads (the default `password-hash`
//!   feature; a client turns it off and builds no argon2).
//! - [`StoreSnapshot`] and [`StoreChange`]: what the caller's store holds
//!   and the changes the engine asks it to make durable.

mod ascii_case;
pub mod client;
pub mod client_tags;
pub mod cluster;
pub mod codec;
pub mod command;
mod config;
mod engine;
mod error;
pub mod framing;
mod grant;
mod ids;
pub mod irc;
mod kind;
mod modes;
mod name;
pub mod password;
#[doc = include_str!("../../PROTOCOL.md")]
pub mod protocol {}
mod record;
pub mod reply;
pub mod seam;
#[cfg(feature = "sim")]
pub mod sim;
mod time;
pub mod wire;

pub use client_tags::ClientTags;
pub use command::{
    Answer, Command, HistoryPoint, HistoryRange, HistoryTarget, Standing, TopicChange,
};
pub use config::{Config, ConfigError, Limits, DEFAULT_HASH_SEED};
pub use engine::{
    AccountState, CarryOver, ChatEvent, CloseCause, CloseReason, ConnStats, Engine, EngineStats,
    Input, Output, PasswordAnswer, PasswordJob, PasswordWork, PersistFailed, PersistRequest,
    Recipients,
};
pub use error::{ErrorCode, Refusal};
pub use framing::Frame;
pub use grant::Grant;
pub use ids::{ConnId, JobId, MsgId, PersistId};
pub use kind::MessageKind;
pub use modes::{ModeEdit, ModeError, Modes, RoomModes, MAX_ROOM_KEY_LEN, MAX_ROOM_LIMIT};
pub use name::{
    NameError, NameKey, RoomKey, RoomName, UserName, LOBBY, MAX_NAME_LEN, MAX_ROOM_NAME_LEN,
};
pub use record::{
    ChangeError, Conversation, HistoryLine, KickEntry, Retention, RoomRecord, StoreChange,
    StoreSnapshot, StoreTables, Topic, UserRecord,
};
pub use seam::Protocol;
pub use time::{Iso8601, Millis};
