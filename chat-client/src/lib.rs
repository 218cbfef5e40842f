#![forbid(unsafe_code)]
#![warn(missing_docs)]
//! # chat-client: a blocking TCP (or TLS) client of chat/1
//!
//! A small driver around [`chat_core::client::Session`] for bots, scripts,
//! tests and the terminal client: it moves bytes between a `TcpStream` and
//! the session, which does all the protocol work (the login, typed events,
//! the current password, logging in again after a server restart). It
//! depends on `chat-core` only, never on the server runtime.
//!
//! The protocol itself is described in `chat_core::protocol`.

mod client;
mod error;
mod tls;

pub use chat_core::client::{Auth, Credentials, Ended, Event, LoginForm, Received, Session};
pub use client::{connect_retrying, Client};
pub use error::ClientError;
pub use tls::{TlsConnector, Transport};
