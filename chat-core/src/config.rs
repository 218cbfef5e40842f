//! Engine configuration: the server's name, its configured admins, and
//! every limit a client can push against.

use serde::{Deserialize, Serialize};

use crate::{NameError, NameKey, Retention, UserName};

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
    /// How much history rooms and pairs of users keep (see also
    /// [`Limits::history_bytes_per_room`]).
    pub retention: Retention,
    /// Whether to emit [`Output::Event`](crate::Output::Event)s for
    /// observers (bots, bridges, audit logs). Off by default: an event costs
    /// a copy of each message.
    pub emit_events: bool,
    /// Whether IRC connections that register without logging in chat as
    /// guests under their nick (one no account holds, not a configured
    /// admin's): in the room like anyone, never admin, no account, gone
    /// when they leave. Off by default.
    pub irc_guests: bool,
    /// Whether those guests may make rooms (IRC's `JOIN #new`), as on an
    /// open IRC network. A guest's room is not stored: it lives while it
    /// has members, its operators are the members made so (its maker
    /// first), never a name. Off by default; counts against `max_rooms`.
    pub irc_guest_rooms: bool,
    /// The seed of the engine's hash tables, so a client cannot choose
    /// keys (names, addresses) that collide. The runtime seeds it from the
    /// OS at start; tests pass a fixed one. Not read from a config file.
    #[serde(skip)]
    pub hash_seed: u64,
}

/// The default [`Config::hash_seed`]: a fixed constant, so
/// `Config::default()` stays deterministic.
pub const DEFAULT_HASH_SEED: u64 = 0x5eed_c4a7_0000_0001;

impl Default for Config {
    fn default() -> Self {
        Config {
            server_name: "chat".into(),
            admins: Vec::new(),
            limits: Limits::default(),
            retention: Retention::default(),
            emit_events: false,
            irc_guests: false,
            irc_guest_rooms: false,
            hash_seed: DEFAULT_HASH_SEED,
        }
    }
}

/// Every limit a client can push against. Durations are in milliseconds.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Limits {
    /// Longest line, ending included. An IRC line may hold this many
    /// bytes of tags (its `@` and the space after them included) and 512
    /// more of message, as IRC's message tags allow.
    pub max_line_bytes: usize,
    /// Most bytes of the client-only tags one message carries (`+name=value`
    /// pairs as written, `;` between them); a message with more is refused
    /// (`line-too-long`, IRC's `417`) and nothing of it relayed.
    pub max_client_tag_bytes: usize,
    /// Room lines held for a busy user; the oldest are dropped beyond it.
    pub max_held_lines: usize,
    /// Connections in all.
    pub max_connections: usize,
    /// Connections from one address.
    pub max_connections_per_address: usize,
    /// Whether loopback addresses are exempt from the per-address limits
    /// (connections, login attempts, password work and registrations per
    /// address). Off by default: behind a proxy or TLS terminator on the
    /// same host every client would share one unlimited address.
    pub exempt_loopback: bool,
    /// Wrong credentials on one connection before it is closed with
    /// `ERR rate-limited` (dialog typos do not count).
    pub max_failed_attempts: u32,
    /// Login attempts per (account, address) pair within
    /// `throttle_window_ms` before further attempts from that address on
    /// that account are refused with `ERR rate-limited` (an attempt counts
    /// when it arrives and is forgiven when it succeeds). A stranger's
    /// guesses from one address never lock the owner out from another.
    pub account_failures_per_window: u32,
    /// Login attempts per account from all addresses within
    /// `throttle_window_ms` before the account is locked for a back-off
    /// that doubles each time the ceiling is hit again (up to
    /// `account_max_backoff_ms`).
    pub account_ceiling_per_window: u32,
    /// The longest back-off of the per-account ceiling.
    pub account_max_backoff_ms: u64,
    /// Login attempts per address (all accounts) within `throttle_window_ms`.
    pub address_failures_per_window: u32,
    /// The window of the login throttles.
    pub throttle_window_ms: u64,
    /// Pairs, accounts and addresses each throttle table remembers at most.
    pub throttle_capacity: usize,
    /// Registrations from one address within `registration_window_ms`.
    pub registrations_per_address: u32,
    /// Registrations from all addresses within `registration_window_ms`.
    pub registrations_per_window: u32,
    /// The window of the registration throttles.
    pub registration_window_ms: u64,
    /// Password work (hash checks and hashing) in flight for one address;
    /// more is refused with `ERR rate-limited`.
    pub max_password_jobs_per_address: usize,
    /// Password work in flight in all; more is refused with
    /// `ERR server-busy`.
    pub max_password_jobs: usize,
    /// Time to log in after connecting.
    pub login_timeout_ms: u64,
    /// A logged-in user silent this long is disconnected; 0 turns it off.
    pub idle_timeout_ms: u64,
    /// An IRC connection that sent nothing this long gets `PING`; 0 turns
    /// server pings off.
    pub irc_ping_interval_ms: u64,
    /// No traffic this long after that `PING`: `ERROR` (ping timeout) and
    /// the connection is closed.
    pub irc_ping_timeout_ms: u64,
    /// Lines that may queue on a connection while its previous command
    /// waits for password work or the store.
    pub max_queued_lines: usize,
    /// The same before login: a connection that has not logged in yet
    /// cannot pin much memory.
    pub max_queued_lines_before_login: usize,
    /// Bytes of room lines held for a busy user; the oldest are dropped
    /// beyond it (as beyond `max_held_lines`).
    pub max_held_bytes: usize,
    /// Rows of one `/viewusers` page.
    pub users_page_rows: usize,
    /// Rows of one `/viewkickusers` page (a row can be as long as a line).
    pub kicked_page_rows: usize,
    /// The command budget: units a connection earns per second (every line
    /// costs `command_cost`, a listing `listing_cost`); 0 turns it off.
    pub command_units_per_second: u32,
    /// Units a connection may spend at once before the rate applies.
    pub command_burst: u32,
    /// What one line costs.
    pub command_cost: u32,
    /// What a listing (`/viewusers`, `/viewkickusers`, `/help`) costs.
    pub listing_cost: u32,
    /// Lines refused in a row for the budget before the connection is
    /// closed as abusive.
    pub max_budget_refusals: u32,
    /// Shortest password, in bytes.
    pub min_password_bytes: usize,
    /// Longest password, in bytes.
    pub max_password_bytes: usize,
    /// Room and private messages a user may send per second, on average;
    /// 0 turns flood control off.
    pub messages_per_second: u32,
    /// How many messages a user may send at once before the rate applies.
    pub message_burst: u32,
    /// Rooms on the server besides the lobby (created ones; closing one
    /// frees its place).
    pub max_rooms: usize,
    /// Rooms one user may be in at once, the lobby not counted.
    pub max_rooms_per_user: usize,
    /// Rooms one user may have created that still exist (admins: no
    /// limit); closing one frees its place.
    pub max_rooms_per_creator: usize,
    /// Rooms one user may create per `room_creation_window_ms` (admins:
    /// no limit); 0 turns the limit off.
    pub room_creations_per_user: u32,
    /// Rooms all users but admins may create per
    /// `room_creation_window_ms`; 0 turns the limit off.
    pub room_creations_per_window: u32,
    /// The window of the room creation limits.
    pub room_creation_window_ms: u64,
    /// A room nobody has been in for this long is closed by the server
    /// (its history goes with it); 0 keeps empty rooms for ever.
    pub empty_room_ttl_ms: u64,
    /// Members of one room (the lobby not limited: every user is in it).
    pub max_room_members: usize,
    /// Rows of one `/rooms` page.
    pub rooms_page_rows: usize,
    /// History lines replayed on joining a room.
    pub history_on_join: usize,
    /// Most lines one `/history` answers (a larger count is cut to this).
    pub history_page_lines: usize,
    /// Bytes of text one room's history keeps in memory (the oldest lines
    /// go first beyond it, as beyond the retention's count and age).
    pub history_bytes_per_room: usize,
    /// Bytes of text one pair's private history keeps in memory.
    pub history_bytes_per_pair: usize,
    /// Pairs of users whose private history is kept in memory; beyond it
    /// the pair that started talking longest ago is forgotten.
    pub max_private_histories: usize,
    /// Bytes the engine sends one connection (besides room lines) before
    /// it waits to hear the connection drained ([`crate::Output::WhenDrained`]):
    /// history and listings are produced a part at a time as it drains,
    /// and the connection's next lines wait meanwhile. 0 turns this off
    /// (everything is produced at once, as the caller must then bound).
    pub output_window_bytes: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_line_bytes: 4096,
            max_client_tag_bytes: 4094,
            max_held_lines: 100,
            max_connections: 16_384,
            max_connections_per_address: 64,
            exempt_loopback: false,
            max_failed_attempts: 5,
            account_failures_per_window: 3,
            account_ceiling_per_window: 100,
            account_max_backoff_ms: 3_600_000,
            address_failures_per_window: 30,
            throttle_window_ms: 60_000,
            throttle_capacity: 65_536,
            registrations_per_address: 5,
            registrations_per_window: 200,
            registration_window_ms: 600_000,
            max_password_jobs_per_address: 4,
            max_password_jobs: 256,
            login_timeout_ms: 60_000,
            idle_timeout_ms: 0,
            irc_ping_interval_ms: 120_000,
            irc_ping_timeout_ms: 60_000,
            max_queued_lines: 32,
            max_queued_lines_before_login: 4,
            max_held_bytes: 128 * 1024,
            users_page_rows: 1000,
            kicked_page_rows: 50,
            command_units_per_second: 20,
            command_burst: 60,
            command_cost: 1,
            listing_cost: 10,
            max_budget_refusals: 100,
            min_password_bytes: 8,
            max_password_bytes: 128,
            messages_per_second: 10,
            message_burst: 20,
            max_rooms: 1_000,
            max_rooms_per_user: 50,
            max_rooms_per_creator: 10,
            room_creations_per_user: 5,
            room_creations_per_window: 100,
            room_creation_window_ms: 3_600_000,
            empty_room_ttl_ms: 30 * 24 * 3_600_000,
            max_room_members: 10_000,
            rooms_page_rows: 100,
            history_on_join: 50,
            history_page_lines: 100,
            history_bytes_per_room: 256 * 1024,
            history_bytes_per_pair: 16 * 1024,
            max_private_histories: 10_000,
            output_window_bytes: 64 * 1024,
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
        if l.users_page_rows == 0
            || l.kicked_page_rows == 0
            || l.rooms_page_rows == 0
            || l.history_page_lines == 0
        {
            return Err(ConfigError::BadLimit("*_page_rows (at least 1)"));
        }
        if l.max_password_jobs == 0 || l.max_password_jobs_per_address == 0 {
            return Err(ConfigError::BadLimit("max_password_jobs* (at least 1)"));
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
