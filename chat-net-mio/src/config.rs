//! The server's configuration: the engine's part, password hashing, and
//! the runtime's own limits. Read from RON by the binary; every field has a
//! default, so a file names only what it changes.

use std::net::SocketAddr;
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
    /// Listeners beside the builder's chat/1 TCP address: TLS, WebSocket
    /// (with the chat page), each on its own address and protocol (IRC
    /// over TLS is `(bind: "0.0.0.0:6697", transport: Tls, protocol: Irc)`).
    pub listeners: Vec<ListenerConfig>,
    /// The certificate chain and key for the TLS listeners (`tls`, `wss`);
    /// read again on SIGHUP.
    pub tls: Option<crate::TlsFiles>,
    /// Where to listen for IRC clients (`Some("127.0.0.1:6667")`): a plain
    /// TCP listener speaking IRC, the same as one in `listeners`. Off when
    /// `None`, the default.
    pub irc_bind: Option<SocketAddr>,
    /// Whether IRC connections that do not log in chat as guests under a
    /// nick no account holds (never admin, no account, gone when they
    /// leave); off by default. See [`Config::irc_guests`].
    pub irc_guests: bool,
    /// Whether those guests may make rooms (`JOIN #new`), as on an open IRC
    /// network: a guest's room is not stored and lives while it has
    /// members. Off by default. See [`Config::irc_guest_rooms`].
    pub irc_guest_rooms: bool,
    /// The store's history retention and compaction. `store.retention`
    /// is the one setting of how much history is kept, by count and age:
    /// the engine keeps the same in memory (see also
    /// `limits.history_bytes_per_room`).
    pub store: crate::store::StoreOptions,
    /// Makes this server a node of a cluster (`cluster: Some((servers:
    /// ["nats://127.0.0.1:4222"], node: "a"))`); needs the `cluster`
    /// feature. `None`, the default, is a single server with no broker.
    pub cluster: Option<ClusterSettings>,
}

/// A node's place in its cluster (the `cluster:` section of the config).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ClusterSettings {
    /// The NATS servers (`nats://host:port`), any of which will do.
    pub servers: Vec<String>,
    /// This node's name: unique in the cluster, 1 to 32 of `a-z0-9-_`.
    pub node: String,
    /// The prefix of the cluster's streams, subjects and buckets (several
    /// clusters can share one broker).
    pub prefix: String,
    /// How many logs (JetStream streams) rooms are hashed over, so one
    /// stream's leader is not the ceiling. Every node must agree.
    pub logs: u32,
    /// Copies of every log and bucket: 3 with a cluster of three NATS
    /// servers (what an acknowledgement needs to survive one of them).
    pub replicas: usize,
    /// How long an append or a write waits for the broker.
    pub op_timeout_ms: u64,
    /// How long a starting node waits for the broker and its state.
    pub start_timeout_ms: u64,
    /// How long a node that lost the broker keeps its clients before it
    /// tells them to reconnect elsewhere.
    pub grace_ms: u64,
    /// Past this many members a room's joins and leaves are not shown one
    /// by one.
    pub quiet_joins_above: usize,
    /// The largest value a node's online list is written as; a larger
    /// list is split into parts by name, and a change rewrites only its
    /// part. Keep it well under the broker's largest message (NATS:
    /// `max_payload`, 1 MiB by default).
    pub presence_part_bytes: usize,
}

impl Default for ClusterSettings {
    fn default() -> Self {
        ClusterSettings {
            servers: Vec::new(),
            node: String::new(),
            prefix: "chat".into(),
            logs: 4,
            replicas: 1,
            op_timeout_ms: 5_000,
            start_timeout_ms: 30_000,
            grace_ms: 10_000,
            quiet_joins_above: 200,
            presence_part_bytes: 256 * 1024,
        }
    }
}

/// A protocol spoken on a listener: chat-core's, one definition for the
/// engine and the listeners (`Chat1`, or `Irc`: irssi, weechat, hexchat,
/// over TCP, TLS (`transport: Tls`, port 6697 by custom), or WebSocket
/// with the subprotocol [`IRC_SUBPROTOCOL`](crate::IRC_SUBPROTOCOL)).
pub use chat_core::Protocol;

/// What carries a listener's bytes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum TransportKind {
    /// Plain TCP.
    Tcp,
    /// TLS from the first byte (implicit TLS).
    Tls,
    /// HTTP: the chat page for `GET /` and WebSocket for the protocol,
    /// one line per message. The subprotocol names the protocol
    /// ([`CHAT1_SUBPROTOCOL`](crate::CHAT1_SUBPROTOCOL) for chat/1,
    /// [`IRC_SUBPROTOCOL`](crate::IRC_SUBPROTOCOL) for IRC); with
    /// none, the listener's own protocol is spoken.
    Ws,
    /// [`Ws`](TransportKind::Ws) over TLS (https and wss).
    Wss,
}

impl TransportKind {
    /// Whether it needs a certificate.
    pub fn is_tls(self) -> bool {
        matches!(self, TransportKind::Tls | TransportKind::Wss)
    }

    /// Whether it speaks HTTP and WebSocket.
    pub fn is_websocket(self) -> bool {
        matches!(self, TransportKind::Ws | TransportKind::Wss)
    }
}

/// One listening address: a transport and the protocol it carries.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ListenerConfig {
    /// Address and port (port 0 picks a free port).
    pub bind: SocketAddr,
    /// TCP, TLS, WebSocket or WebSocket over TLS.
    pub transport: TransportKind,
    /// The protocol (over WebSocket: for clients that name no subprotocol).
    #[serde(default = "default_protocol")]
    pub protocol: Protocol,
}

fn default_protocol() -> Protocol {
    Protocol::Chat1
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
            listeners: Vec::new(),
            tls: None,
            irc_bind: None,
            irc_guests: engine.irc_guests,
            irc_guest_rooms: engine.irc_guest_rooms,
            store: crate::store::StoreOptions::default(),
            cluster: None,
        }
    }
}

/// The runtime's own settings.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct NetConfig {
    /// Bytes a connection may leave unsent after a loop turn's write (what
    /// the kernel would not take) before it is dropped as too slow. A turn
    /// may queue more than this for a reader that keeps up.
    pub max_outbound_bytes: usize,
    /// Connections an I/O thread writes at least in one loop turn before
    /// it reads again (more when more wait: see `write_turns`). Under
    /// load, lines that arrive meanwhile join those still queued for the
    /// connections not written yet, one write for both, instead of each
    /// fan-out being written apart.
    pub writes_per_turn: usize,
    /// The loop turns over which the connections waiting for a write are
    /// spread: a turn writes this fraction of them (and at least
    /// `writes_per_turn`), so that under load each waits about as many
    /// turns, gathering about as many lines per write, however many
    /// there are.
    pub write_turns: usize,
    /// Password worker threads; 0 means one per core.
    pub password_workers: usize,
    /// How long a shutdown waits for clients to take their last lines.
    pub shutdown_grace_ms: u64,
    /// Bytes read from one connection per loop turn before others get
    /// their turn.
    pub read_budget_bytes: usize,
    /// Password jobs (logins, registrations, password changes) one address
    /// may have waiting for a worker; more are refused at once with an
    /// error. Addresses are served round robin.
    pub password_queue_per_address: usize,
    /// Password jobs waiting for a worker in all; more are refused at once.
    pub password_queue_total: usize,
    /// Events a [`ServerHandle::subscribe`](crate::ServerHandle::subscribe)
    /// receiver may hold unread; newer events are dropped for it (and
    /// counted) until it catches up.
    pub subscriber_queue: usize,
    /// Seconds a connection may be silent before TCP keepalive probes
    /// start, so a dead peer is found on its own; 0 turns keepalive off.
    pub keepalive_idle_secs: u64,
    /// Seconds between keepalive probes.
    pub keepalive_interval_secs: u64,
    /// Unanswered keepalive probes before the connection counts as dead.
    pub keepalive_probes: u32,
    /// Milliseconds a TLS handshake or a WebSocket upgrade (or a page
    /// request) may take before the connection is closed.
    pub handshake_timeout_ms: u64,
    /// Milliseconds a new TLS or WebSocket connection may stay silent
    /// before it is closed: a client sends its first bytes (the TLS hello,
    /// the HTTP request) at once, so a connection that sends nothing is
    /// closed well before [`handshake_timeout_ms`](NetConfig::handshake_timeout_ms).
    pub first_byte_timeout_ms: u64,
    /// Connections still in their TLS handshake or HTTP request at once,
    /// over every listener; more are closed at accept.
    pub max_handshakes: usize,
    /// Of those, how many one address may hold (an IPv6 address counts by
    /// its /64): its share, so one address cannot take the slots others
    /// need. Loopback is exempt when `limits.exempt_loopback` is set.
    pub max_handshakes_per_address: usize,
    /// Origins (`https://chat.example.com`, scheme, host and port as a
    /// browser sends them) whose pages may open a WebSocket besides the
    /// listener's own, which is always allowed; `"*"` allows any. A
    /// WebSocket upgrade with another `Origin` is refused with HTTP 403; one
    /// with no `Origin` (not a browser) is let in.
    pub allowed_origins: Vec<String>,
    /// The longest HTTP request head on a WebSocket listener.
    pub max_http_request_bytes: usize,
    /// Threads that serve the sockets, each with its own poll; 0 (the
    /// default) chooses from the cores this process may run on (see
    /// [`IoLayout::for_cores`]). With 1, the engine's thread serves
    /// everything.
    pub io_threads: usize,
    /// Whether the engine's thread serves a share of the sockets itself
    /// (then it is one of the `io_threads`); unset (the default), it does
    /// below [`IoLayout::ENGINE_ALONE_FROM`] threads.
    pub engine_serves_sockets: Option<bool>,
    /// Bytes an I/O thread may have read and handed to the engine's
    /// thread that the engine has not taken yet; past this it stops
    /// reading (the kernel's buffers, then TCP, push back on the clients)
    /// until the engine catches up.
    pub io_backlog_bytes: usize,
}

impl Default for NetConfig {
    fn default() -> Self {
        NetConfig {
            max_outbound_bytes: 256 * 1024,
            writes_per_turn: 16,
            write_turns: 8,
            password_workers: 0,
            shutdown_grace_ms: 2_000,
            read_budget_bytes: 256 * 1024,
            password_queue_per_address: 16,
            password_queue_total: 1024,
            subscriber_queue: 1024,
            keepalive_idle_secs: 60,
            keepalive_interval_secs: 10,
            keepalive_probes: 6,
            handshake_timeout_ms: 10_000,
            first_byte_timeout_ms: 5_000,
            max_handshakes: 1024,
            max_handshakes_per_address: 16,
            allowed_origins: Vec::new(),
            max_http_request_bytes: 8 * 1024,
            io_threads: 0,
            engine_serves_sockets: None,
            io_backlog_bytes: 4 * 1024 * 1024,
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
            retention: self.store.retention,
            emit_events: false,
            irc_guests: self.irc_guests,
            irc_guest_rooms: self.irc_guest_rooms,
            // Clients choose the keys of the engine's tables: a seed they
            // cannot guess keeps them from flooding one bucket.
            hash_seed: random_seed(),
        }
    }

    /// The threads that serve sockets (see [`NetConfig::io_threads`] and
    /// [`NetConfig::engine_serves_sockets`]).
    pub fn io_layout(&self) -> IoLayout {
        let chosen = match self.net.io_threads {
            0 => IoLayout::for_cores(cores()),
            n => IoLayout::with_threads(n),
        };
        match self.net.engine_serves_sockets {
            Some(serves) => IoLayout {
                engine_serves: serves,
                ..chosen
            },
            None => chosen,
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

/// The cores this process may run on: its CPU affinity and cgroup quota,
/// not the machine's count.
fn cores() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get())
}

/// Which threads serve the sockets.
///
/// ```
/// use chat_net_mio::IoLayout;
/// assert_eq!(IoLayout::for_cores(2), IoLayout { threads: 1, engine_serves: true });
/// assert_eq!(IoLayout::for_cores(4), IoLayout { threads: 4, engine_serves: true });
/// assert_eq!(IoLayout::for_cores(16), IoLayout { threads: 15, engine_serves: false });
/// assert_eq!(IoLayout::for_cores(16).threads_in_all(), 16);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct IoLayout {
    /// Threads that serve sockets (at least 1).
    pub threads: usize,
    /// Whether the engine's thread is one of them.
    pub engine_serves: bool,
}

impl IoLayout {
    /// From this many threads serving sockets, the engine's thread serves
    /// none when chosen from the cores: it would carry its share of the
    /// writes and the whole engine, and be the first to fill up.
    pub const ENGINE_ALONE_FROM: usize = 8;

    /// The default for a process that may run on `cores` cores.
    ///
    /// Nearly all of a delivery's CPU is the kernel's work on its
    /// `writev` (the sending side of TCP, and on loopback the receiving
    /// side too), and it divides over threads; the engine's own work is a
    /// few per cent. Up to two cores one thread serves everything: a
    /// second one gets no core of its own and costs turns that join fewer
    /// lines per write, and hand-offs between threads, and made every
    /// workload slower or its tail longer on two cores (BENCHMARKS.md).
    /// From three, one thread per core, the engine's among them; from
    /// [`ENGINE_ALONE_FROM`](IoLayout::ENGINE_ALONE_FROM), the engine gets
    /// its thread to itself and the other cores serve the sockets.
    pub fn for_cores(cores: usize) -> IoLayout {
        match cores {
            0..=2 => IoLayout::with_threads(1),
            c if c < Self::ENGINE_ALONE_FROM => IoLayout::with_threads(c),
            c => IoLayout {
                threads: c - 1,
                engine_serves: false,
            },
        }
    }

    /// `threads` threads serving sockets, the engine's among them.
    pub fn with_threads(threads: usize) -> IoLayout {
        IoLayout {
            threads: threads.max(1),
            engine_serves: true,
        }
    }

    /// Threads of their own that serve sockets, besides the engine's.
    pub fn own_threads(&self) -> usize {
        self.threads - usize::from(self.engine_serves)
    }

    /// Threads in all: the engine's and the other I/O threads.
    pub fn threads_in_all(&self) -> usize {
        self.own_threads() + 1
    }
}

/// A seed from the OS's random source (the engine takes none itself).
fn random_seed() -> u64 {
    use ring::rand::{SecureRandom, SystemRandom};
    let mut bytes = [0u8; 8];
    match SystemRandom::new().fill(&mut bytes) {
        Ok(()) => u64::from_le_bytes(bytes),
        Err(_) => {
            log::warn!("no OS randomness for the hash seed; using the default");
            chat_core::DEFAULT_HASH_SEED
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn listeners_and_tls_from_ron() {
        let c: ServerConfig = ron::from_str(
            r#"(listeners: [
                (bind: "0.0.0.0:9798", transport: Tls, protocol: Chat1),
                (bind: "0.0.0.0:8443", transport: Wss),
                (bind: "0.0.0.0:6697", transport: Tls, protocol: Irc),
            ], tls: Some((cert: "/c.pem", key: "/k.pem")))"#,
        )
        .unwrap();
        assert_eq!(c.listeners.len(), 3);
        assert_eq!(c.listeners[2].protocol, Protocol::Irc);
        assert_eq!(c.listeners[1].protocol, Protocol::Chat1);
        assert!(c.listeners[1].transport.is_tls() && c.listeners[1].transport.is_websocket());
        assert_eq!(c.tls.unwrap().key, std::path::PathBuf::from("/k.pem"));
        assert!(ServerConfig::default().listeners.is_empty());
    }
}
