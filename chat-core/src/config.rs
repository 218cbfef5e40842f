//! Engine configuration: the server's name, its configured admins, and
//! every limit a client can push against.

use serde::{Deserialize, Serialize};

use crate::{NameError, NameKey, UserName};

/// Engine configuration. Every field has a default, so a RON file only
/// names what it changes:
///
/// ```
/// use chat_core::Config;
/// let c: Config = Config::default();
/// assert_eq!(c.limits.max_line_bytes, 4096);
/// assert_eq!(c.limits.max_held_lines, 100);
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    /// Sent in `HELLO chat/1 <server_name>`; one word.
    pub server_name: String,
    /// Accounts that always have grant 0: they cannot be demoted or kicked.
    pub admins: Vec<String>,
    /// Client-facing limits.
    pub limits: Limits,
    /// Whether to emit [`Output::Event`](crate::Output::Event)s for
    /// observers (bots, bridges, audit logs). Off by default: an event costs
    /// a copy of each message.
    pub emit_events: bool,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            server_name: "chat".into(),
            admins: Vec::new(),
            limits: Limits::default(),
            emit_events: false,
        }
    }
}

/// Every limit a client can push against. Durations are in milliseconds.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Limits {
    /// Longest line, ending included.
    pub max_line_bytes: usize,
    /// Room lines held for a busy user; the oldest are dropped beyond it.
    pub max_held_lines: usize,
    /// Connections in all.
    pub max_connections: usize,
    /// Connections from one address.
    pub max_connections_per_address: usize,
    /// Whether loopback addresses are exempt from the per-address limits
    /// (connections and failed logins), so local tools are not throttled.
    pub exempt_loopback: bool,
    /// Failed login or registration attempts on one connection before it is
    /// closed with `ERR rate-limited`.
    pub max_failed_attempts: u32,
    /// Failed logins per account within `throttle_window_ms` before further
    /// attempts on that account are refused with `ERR rate-limited`.
    pub account_failures_per_window: u32,
    /// Failed logins per address within `throttle_window_ms`.
    pub address_failures_per_window: u32,
    /// The window of the failed-login throttles.
    pub throttle_window_ms: u64,
    /// Accounts and addresses the failed-login throttle remembers at most.
    pub throttle_capacity: usize,
    /// Time to log in after connecting.
    pub login_timeout_ms: u64,
    /// A logged-in user silent this long is disconnected; 0 turns it off.
    pub idle_timeout_ms: u64,
    /// Lines that may queue on a connection while its previous command
    /// waits for password work or the store.
    pub max_queued_lines: usize,
    /// Shortest password, in bytes.
    pub min_password_bytes: usize,
    /// Longest password, in bytes.
    pub max_password_bytes: usize,
    /// Room and private messages a user may send per second, on average;
    /// 0 turns flood control off.
    pub messages_per_second: u32,
    /// How many messages a user may send at once before the rate applies.
    pub message_burst: u32,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_line_bytes: 4096,
            max_held_lines: 100,
            max_connections: 16_384,
            max_connections_per_address: 64,
            exempt_loopback: true,
            max_failed_attempts: 5,
            account_failures_per_window: 3,
            address_failures_per_window: 30,
            throttle_window_ms: 60_000,
            throttle_capacity: 65_536,
            login_timeout_ms: 60_000,
            idle_timeout_ms: 0,
            max_queued_lines: 32,
            min_password_bytes: 8,
            max_password_bytes: 128,
            messages_per_second: 10,
            message_burst: 20,
        }
    }
}

/// A configuration the engine cannot run with.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ConfigError {
    /// An entry of `admins` is not a valid user name.
    #[error("admin name {name:?} is not a valid user name: {source}")]
    BadAdmin {
        /// The entry.
        name: String,
        /// What is wrong with it.
        source: NameError,
    },
    /// `server_name` is empty or has white space.
    #[error("server_name must be one word")]
    BadServerName,
    /// A limit is out of range.
    #[error("limit {0} is out of range")]
    BadLimit(&'static str),
}

impl Config {
    /// Checks the configuration and returns the admins' account keys.
    pub fn validate(&self) -> Result<Vec<NameKey>, ConfigError> {
        if self.server_name.is_empty() || self.server_name.contains(char::is_whitespace) {
            return Err(ConfigError::BadServerName);
        }
        let l = &self.limits;
        if l.max_line_bytes < 64 {
            return Err(ConfigError::BadLimit("max_line_bytes (at least 64)"));
        }
        if l.max_connections == 0 || l.max_connections_per_address == 0 {
            return Err(ConfigError::BadLimit("max_connections (at least 1)"));
        }
        if l.max_failed_attempts == 0 {
            return Err(ConfigError::BadLimit("max_failed_attempts (at least 1)"));
        }
        if l.min_password_bytes == 0 || l.min_password_bytes > l.max_password_bytes {
            return Err(ConfigError::BadLimit(
                "min_password_bytes..max_password_bytes",
            ));
        }
        self.admins
            .iter()
            .map(|a| {
                UserName::parse(a)
                    .map(|n| n.key())
                    .map_err(|source| ConfigError::BadAdmin {
                        name: a.clone(),
                        source,
                    })
            })
            .collect()
    }
}
