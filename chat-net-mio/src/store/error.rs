//! Store errors: each names the file it is about.

use std::path::Path;

/// Why the store could not be opened or written. Every variant names the
/// file, so an operator knows what to look at.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum StoreError {
    /// Reading or writing a file failed.
    #[error("{path}: cannot {action}: {message}")]
    Io {
        /// The file or folder.
        path: String,
        /// What was being done.
        action: &'static str,
        /// The OS error.
        message: String,
    },
    /// The file does not start with the store's magic bytes.
    #[error("{path}: not a chat store (bad magic bytes)")]
    BadMagic {
        /// The file.
        path: String,
    },
    /// The file was written by an unknown format version or algorithm.
    #[error(
        "{path}: unsupported store format (version {version}, algorithm {algorithm}, kdf {kdf})"
    )]
    Unsupported {
        /// The file.
        path: String,
        /// Its format version.
        version: u8,
        /// Its AEAD algorithm id.
        algorithm: u8,
        /// Its key-derivation id.
        kdf: u8,
    },
    /// The file is shorter than its header and tag.
    #[error("{path}: truncated ({len} bytes)")]
    Truncated {
        /// The file.
        path: String,
        /// Its length.
        len: usize,
    },
    /// Authentication failed: the key is wrong or the file was altered.
    #[error("{path}: cannot open: wrong key, or the file was altered or corrupted")]
    Unseal {
        /// The file.
        path: String,
    },
    /// It decrypted, but the contents are not a store snapshot.
    #[error("{path}: contents are not a valid store: {message}")]
    Corrupt {
        /// The file.
        path: String,
        /// The parse error.
        message: String,
    },
    /// A journal or snapshot file is damaged somewhere other than a torn
    /// tail: refused, never skipped (restore a backup).
    #[error("{path}: damaged at byte {offset}: {what}; refusing to open (restore a backup, see `chat-server restore`)")]
    Damaged {
        /// The file.
        path: String,
        /// Where the damage starts.
        offset: u64,
        /// What is wrong there.
        what: String,
    },
    /// The store is in an unknown state after a failed write could not be
    /// taken back; it accepts no more changes until restarted.
    #[error("{path}: a failed write could not be undone; restart the server")]
    Broken {
        /// The journal file.
        path: String,
    },
    /// The store exists but its key file does not: refusing to make a new
    /// key (that would lose every user).
    #[error("{path}: the store exists but its key file {key} is missing; set CHAT_STORE_KEY or restore the key file")]
    KeyMissing {
        /// The store file.
        path: String,
        /// The missing key file.
        key: String,
    },
    /// The key file or key text is malformed.
    #[error("{path}: bad key: {message}")]
    BadKey {
        /// The key file (or `CHAT_STORE_KEY`).
        path: String,
        /// What is wrong.
        message: String,
    },
    /// The store was sealed with a passphrase key and a raw key was given,
    /// or the other way round.
    #[error("{path}: the store was sealed with a {expected}, but a {given} was given")]
    KeyKind {
        /// The file.
        path: String,
        /// What the header says.
        expected: &'static str,
        /// What was given.
        given: &'static str,
    },
    /// Another server holds the data folder.
    #[error("{path}: the data folder is in use by another running server")]
    Locked {
        /// The folder.
        path: String,
    },
    /// The data folder's path names something that is not a folder.
    #[error("{path}: the data folder path exists but is not a folder")]
    NotAFolder {
        /// The path.
        path: String,
    },
    /// A change cannot apply (for example, to a user who does not exist).
    #[error("change refused: {0}")]
    Change(String),
    /// The store's writer thread is gone.
    #[error("the store writer stopped")]
    WriterGone,
}

impl StoreError {
    pub(crate) fn damaged(path: &Path, offset: u64, what: impl Into<String>) -> StoreError {
        StoreError::Damaged {
            path: path.display().to_string(),
            offset,
            what: what.into(),
        }
    }

    pub(crate) fn io(path: &Path, action: &'static str, e: &std::io::Error) -> StoreError {
        StoreError::Io {
            path: path.display().to_string(),
            action,
            message: e.to_string(),
        }
    }
}
