//! What can go wrong talking to a server.

use std::io;

use chat_core::wire::{EncodeError, WireWord};
use chat_core::ErrorCode;

/// What went wrong talking to the server.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ClientError {
    /// The socket failed.
    #[error("i/o: {0}")]
    Io(#[from] io::Error),
    /// The server closed the connection.
    #[error("the server closed the connection")]
    Closed,
    /// No expected line came within the time limit.
    #[error("timed out waiting for {0:?}")]
    Timeout(String),
    /// The server answered `ERR <code> <text>` to the login.
    #[error("refused: {code} {text}")]
    Refused {
        /// The error code as sent (see [`ClientError::code`] for it typed).
        code: String,
        /// The text.
        text: String,
    },
    /// TLS could not be set up (roots, CA file, server name).
    #[error("tls: {0}")]
    Tls(String),
    /// A command cannot be sent as one line.
    #[error("cannot send: {0}")]
    Encode(#[from] EncodeError),
}

impl ClientError {
    /// The error code of a [`ClientError::Refused`], if this side knows it.
    pub fn code(&self) -> Option<ErrorCode> {
        match self {
            ClientError::Refused { code, .. } => ErrorCode::from_word(code),
            _ => None,
        }
    }
}
