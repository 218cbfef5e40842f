//! The server's configuration: the engine's part, password hashing, and
//! the runtime's own limits. Read from RON by the binary; every field has a
//! default, so a file names only what it changes.

use std::path::Path;

use chat_core::password::HashParams;
use chat_core::{Config, Limits};
use serde::{Deserialize, Serialize};

/// Everything a server runs with, beside its address and data folder.
///
/// ```
/// use chat_net_mio::ServerConfig;
/// let c: ServerConfig = ron::from_str(
///     "(server_name: \"lab\", admins: [\"root\"], limits: (max_held_lines: 10), hash: (memory_kib: 8, iterations: 1, parallelism: 1))",
/// ).unwrap();
/// assert_eq!(c.limits.max_held_lines, 10);
/// assert_eq!(c.limits.max_line_bytes, 4096); // defaults fill the rest
/// assert_eq!(c.net.max_outbound_bytes, 256 * 1024);
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ServerConfig {
    /// Sent in `HELLO`.
    pub server_name: String,
    /// Accounts that always have grant 0.
    pub admins: Vec<String>,
    /// The engine's client-facing limits.
    pub limits: Limits,
    /// argon2id parameters for password hashes (OWASP's by default).
    pub hash: HashParams,
    /// The runtime's own settings.
    pub net: NetConfig,
}

impl Default for ServerConfig {
    fn default() -> Self {
        let engine = Config::default();
        ServerConfig {
            server_name: engine.server_name,
            admins: engine.admins,
            limits: engine.limits,
            hash: HashParams::default(),
            net: NetConfig::default(),
        }
    }
}

/// The runtime's own settings.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct NetConfig {
    /// Unsent bytes a connection may have queued before it is dropped as
    /// too slow.
    pub max_outbound_bytes: usize,
    /// Password worker threads; 0 means one per core.
    pub password_workers: usize,
    /// How long a shutdown waits for clients to take their last lines.
    pub shutdown_grace_ms: u64,
    /// Bytes read from one connection per loop turn before others get
    /// their turn.
    pub read_budget_bytes: usize,
}

impl Default for NetConfig {
    fn default() -> Self {
        NetConfig {
            max_outbound_bytes: 256 * 1024,
            password_workers: 0,
            shutdown_grace_ms: 2_000,
            read_budget_bytes: 256 * 1024,
        }
    }
}

/// A configuration file that cannot be used.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ConfigFileError {
    /// The file could not be read.
    #[error("cannot read config {path}: {source}")]
    Read {
        /// The file.
        path: String,
        /// The error.
        source: std::io::Error,
    },
    /// The file is not valid RON for [`ServerConfig`].
    #[error("bad config {path}: {message}")]
    Parse {
        /// The file.
        path: String,
        /// What is wrong, with the position.
        message: String,
    },
}

impl ServerConfig {
    /// Reads a RON file.
    pub fn from_file(path: &Path) -> Result<ServerConfig, ConfigFileError> {
        let text = std::fs::read_to_string(path).map_err(|source| ConfigFileError::Read {
            path: path.display().to_string(),
            source,
        })?;
        ron::from_str(&text).map_err(|e| ConfigFileError::Parse {
            path: path.display().to_string(),
            message: e.to_string(),
        })
    }

    /// The engine's configuration.
    pub fn engine_config(&self) -> Config {
        Config {
            server_name: self.server_name.clone(),
            admins: self.admins.clone(),
            limits: self.limits.clone(),
            emit_events: false,
            ..Config::default()
        }
    }

    /// Password worker threads to start.
    pub fn worker_count(&self) -> usize {
        match self.net.password_workers {
            0 => std::thread::available_parallelism().map_or(2, |n| n.get()),
            n => n,
        }
    }
}
