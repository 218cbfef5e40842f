//! Passwords: the [`Password`] wrapper the engine carries, the errors of
//! password work, and (with the default `password-hash` feature) argon2id
//! hashing and verification.
//!
//! The engine never hashes: it asks for the work with
//! [`Output::Password`](crate::Output::Password), and the caller runs the
//! [`PasswordJob`](crate::PasswordJob) (on worker threads: it takes tens
//! of milliseconds with the production parameters) and feeds the answer
//! back with [`Input::PasswordDone`](crate::Input::PasswordDone). The salt
//! comes from the caller, so this module needs no randomness of its own.
//!
//! A program that only speaks the protocol (a bot, a bridge, a client)
//! turns the feature off (`default-features = false`) and builds no
//! argon2.

use std::fmt;

use zeroize::Zeroizing;

#[cfg(feature = "password-hash")]
mod hash;
#[cfg(feature = "password-hash")]
pub use hash::{hash, hash_with, verify, verify_with, HashParams, Scratch, SALT_LEN};

/// A password in memory: redacted in `Debug`, wiped when dropped.
#[derive(Clone, PartialEq, Eq)]
pub struct Password(Zeroizing<String>);

impl Password {
    /// Wraps a password.
    pub fn new(s: impl Into<String>) -> Password {
        Password(Zeroizing::new(s.into()))
    }

    /// The password text.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Password {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Password(<redacted>)")
    }
}

/// Why password work failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum PasswordError {
    /// The configured parameters are out of argon2's range.
    #[error("bad argon2 parameters: {0}")]
    Params(String),
    /// The stored hash is not a PHC string argon2 understands.
    #[error("stored password hash is malformed")]
    BadHash,
    /// Hashing failed.
    #[error("hashing failed: {0}")]
    Hash(String),
    /// The caller refused the work: its queue of password work is full.
    #[error("the server is busy; try again later")]
    Busy,
}
