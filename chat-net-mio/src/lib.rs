#![warn(missing_docs)]
//! # chat-net-mio: the runtime around chat-core
//!
//! A [`Server`] runs the [`chat_core::Engine`] in one mio event loop, with
//! the connections shared out over I/O threads ([`NetConfig::io_threads`],
//! one per core by default), each with its own poll: non-blocking accept
//! (on the engine's thread, handed out round robin), read and write for
//! every connection on its own thread, frames queued
//! per connection and flushed with vectored writes, a cap on unsent bytes
//! (a client that stops reading is dropped as `too-slow`), password work on
//! a pool of worker threads, and the store: accounts, kick list, rooms and
//! history on an append-only journal of AEAD-sealed records, one per group
//! commit, with snapshots and compaction ([`store`]).
//!
//! Beside the builder's chat/1 TCP address, [`ServerConfig::listeners`]
//! adds listeners that each name a transport and a protocol
//! ([`ListenerConfig`]): implicit TLS (rustls with the ring provider, the
//! certificate from [`ServerConfig::tls`], reloaded on SIGHUP or
//! [`ServerHandle::reload_tls`]), and HTTP with WebSocket, which also
//! serves the chat page built into the crate. A transport sits between
//! the socket and the engine's lines; the engine hears of a connection
//! only once its handshake is done.
//!
//! ```no_run
//! use chat_net_mio::{Server, ServerConfig};
//! # fn main() -> Result<(), chat_net_mio::ServerError> {
//! let server = Server::builder()
//!     .bind("127.0.0.1:9797".parse().unwrap())
//!     .data_dir("./chat-data")
//!     .config(ServerConfig { admins: vec!["root".into()], ..Default::default() })
//!     .build()?;
//! let handle = server.handle();
//! std::thread::spawn(move || {
//!     for event in handle.subscribe() {
//!         println!("{event:?}");
//!     }
//! });
//! server.run()
//! # }
//! ```

mod admin;
mod clock;
#[cfg(feature = "cluster")]
pub mod cluster;
mod config;
mod event_loop;
mod handle;
mod listener;
mod net;
mod server;
pub mod store;
mod transport;
mod trim;
mod workers;

pub use config::{
    ClusterSettings, ConfigFileError, IoLayout, ListenerConfig, NetConfig, Protocol, ServerConfig,
    TransportKind,
};
pub use handle::ServerHandle;
pub use server::{Server, ServerBuilder, ServerError, DEFAULT_BIND, DEFAULT_DATA_DIR};
pub use transport::tls::{TlsError, TlsFiles};
pub use transport::{CHAT1_SUBPROTOCOL, IRC_SUBPROTOCOL};

/// The README's Rust examples, compiled as doctests so they stay true.
#[doc = include_str!("../../README.md")]
#[cfg(doctest)]
pub struct ReadmeDoctests;
