//! `Server`: build a chat server, then run it on the caller's thread.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::atomic::AtomicU64;
use std::sync::mpsc;
use std::sync::Arc;

use chat_core::password::{HashParams, Password};
use chat_core::Engine;
use log::info;
use mio::net::TcpListener;
use mio::{Interest, Poll, Waker};

use crate::clock::Clock;
use crate::event_loop::{EventLoop, Exit, Helpers, Shared, LISTENER, SIGNALS, WAKER};
use crate::handle::{ServerHandle, Subscribers};
use crate::listener::{self, Listener};
use crate::net::admission::{Admission, AdmissionLimits};
use crate::net::remote::Remotes;
use crate::store::{DirLock, KeySource, Persister, Store, StoreError};
use crate::transport::tls::{TlsAcceptor, TlsError};
use crate::workers::{PoolLimits, Workers};
use crate::ServerConfig;

/// The default address: loopback, port 9797.
pub const DEFAULT_BIND: &str = "127.0.0.1:9797";
/// The default data folder.
pub const DEFAULT_DATA_DIR: &str = "./chat-data";

/// Why a server could not start or stopped with an error.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ServerError {
    /// The configuration is not usable.
    #[error("bad configuration: {0}")]
    Config(#[from] chat_core::ConfigError),
    /// The address could not be bound.
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        /// The address.
        addr: SocketAddr,
        /// Why.
        source: std::io::Error,
    },
    /// The store could not be opened or flushed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The admin password cannot be used (never shows the password).
    #[error("admin password: {0}")]
    AdminPassword(String),
    /// The TLS certificate or key cannot be used.
    #[error(transparent)]
    Tls(#[from] TlsError),
    /// A TLS listener is configured without a certificate.
    #[error("listener {0} uses TLS but no certificate is configured (tls: (cert, key))")]
    NoCertificate(SocketAddr),
    /// The event loop or a thread failed.
    #[error("server I/O failed: {0}")]
    Io(#[from] std::io::Error),
    /// A cluster is configured but this build has no `cluster` feature.
    #[error("this server was built without the cluster feature (cargo build --features cluster)")]
    NoClusterSupport,
    /// The node could not join its cluster.
    #[cfg(feature = "cluster")]
    #[error("cluster: {0}")]
    Cluster(#[from] crate::cluster::ClusterError),
}

/// Builds a [`Server`]. Every setting has a default: loopback port 9797,
/// `./chat-data`, the default [`ServerConfig`], the key from
/// [`KeySource::from_env`].
#[derive(Debug)]
pub struct ServerBuilder {
    bind: SocketAddr,
    data_dir: PathBuf,
    config: ServerConfig,
    key: Option<KeySource>,
    signals: bool,
    admin_password: Option<Password>,
}

impl Default for ServerBuilder {
    fn default() -> Self {
        ServerBuilder {
            bind: DEFAULT_BIND.parse().expect("valid default address"),
            data_dir: PathBuf::from(DEFAULT_DATA_DIR),
            config: ServerConfig::default(),
            key: None,
            signals: false,
            admin_password: None,
        }
    }
}

impl ServerBuilder {
    /// The address to listen on (port 0 picks a free port).
    pub fn bind(mut self, addr: SocketAddr) -> Self {
        self.bind = addr;
        self
    }

    /// The folder of the store and its key file.
    pub fn data_dir(mut self, dir: impl Into<PathBuf>) -> Self {
        self.data_dir = dir.into();
        self
    }

    /// The whole configuration.
    pub fn config(mut self, config: ServerConfig) -> Self {
        let irc = self.config.irc_bind;
        self.config = config;
        self.config.irc_bind = self.config.irc_bind.or(irc);
        self
    }

    /// Also listen for IRC clients on `addr` over plain TCP (port 0 picks
    /// a free port); the same as `irc_bind` in the [`ServerConfig`]. Off
    /// by default.
    pub fn irc_bind(mut self, addr: SocketAddr) -> Self {
        self.config.irc_bind = Some(addr);
        self
    }

    /// Only the argon2 parameters (tests use [`HashParams::cheap`]).
    pub fn hash_params(mut self, params: HashParams) -> Self {
        self.config.hash = params;
        self
    }

    /// Where the store's key comes from (default: [`KeySource::from_env`]).
    pub fn store_key(mut self, key: KeySource) -> Self {
        self.key = Some(key);
        self
    }

    /// Shut down gracefully on SIGINT and SIGTERM (off by default: an
    /// embedding program usually owns its signals).
    pub fn handle_signals(mut self, on: bool) -> Self {
        self.signals = on;
        self
    }

    /// The password of every configured admin (`ServerConfig::admins`)
    /// that has no account yet: at [`build`](ServerBuilder::build), each
    /// gets an account with it. Admin names cannot be registered over the
    /// network, so this is how an admin account comes to exist. Accounts
    /// that exist keep their password.
    pub fn admin_password(mut self, password: Password) -> Self {
        self.admin_password = Some(password);
        self
    }

    /// Checks the configuration, binds the address, locks the data folder,
    /// opens the store and creates the admin accounts.
    pub fn build(self) -> Result<Server, ServerError> {
        let engine_config = self.config.engine_config();
        engine_config.validate()?;
        if self.config.cluster.is_some() && !cfg!(feature = "cluster") {
            return Err(ServerError::NoClusterSupport);
        }
        let poll = Poll::new()?;
        let mut listener = TcpListener::bind(self.bind).map_err(|source| ServerError::Bind {
            addr: self.bind,
            source,
        })?;
        let addr = listener.local_addr()?;
        let tls = match &self.config.tls {
            Some(files) => Some(TlsAcceptor::new(files.clone())?),
            None => None,
        };
        let mut listeners = Vec::new();
        let allowed_origins: std::sync::Arc<[String]> =
            self.config.net.allowed_origins.clone().into();
        let irc = self.config.irc_bind.map(|bind| crate::ListenerConfig {
            bind,
            transport: crate::TransportKind::Tcp,
            protocol: crate::Protocol::Irc,
        });
        for config in self.config.listeners.iter().chain(irc.as_ref()) {
            if config.transport.is_tls() && tls.is_none() {
                return Err(ServerError::NoCertificate(config.bind));
            }
            let socket = TcpListener::bind(config.bind).map_err(|source| ServerError::Bind {
                addr: config.bind,
                source,
            })?;
            listeners.push(Listener {
                socket,
                config: config.clone(),
                allowed_origins: allowed_origins.clone(),
            });
        }
        // One server per data folder: lock it before reading the store.
        Store::create_dir(&self.data_dir)?;
        let lock = DirLock::acquire(&self.data_dir)?;
        let key = match self.key {
            Some(k) => k,
            None => KeySource::from_env(&self.data_dir),
        };
        // A node seals what it gives the broker with the store key: the
        // same key on every node.
        #[cfg(feature = "cluster")]
        let cluster_key = match &self.config.cluster {
            Some(_) => Some(
                key.resolve(
                    &self.data_dir.join("cluster"),
                    None,
                    &ring::rand::SystemRandom::new(),
                )?
                .0,
            ),
            None => None,
        };
        let mut store = Store::open_with(&self.data_dir, key, self.config.store)?;
        // The store's copy of history is bounded as the engine's is.
        let l = &self.config.limits;
        store.bound_history_bytes(l.history_bytes_per_room, l.history_bytes_per_pair);
        let created =
            crate::admin::set_passwords(&mut store, &self.config, self.admin_password.as_ref())?;
        poll.registry()
            .register(&mut listener, LISTENER, Interest::READABLE)?;
        for (i, l) in listeners.iter_mut().enumerate() {
            poll.registry()
                .register(&mut l.socket, listener::token(i), Interest::READABLE)?;
        }
        let waker = Arc::new(Waker::new(poll.registry(), WAKER)?);
        let signals = if self.signals {
            let mut s = signal_hook_mio::v1_0::Signals::new([
                signal_hook::consts::SIGINT,
                signal_hook::consts::SIGTERM,
                // Reloads the TLS certificate.
                signal_hook::consts::SIGHUP,
            ])?;
            poll.registry()
                .register(&mut s, SIGNALS, Interest::READABLE)?;
            Some(s)
        } else {
            None
        };
        // Only now is the server usable (store open, signals caught), and
        // tools wait for this line; the kernel has been queueing
        // connections since the bind.
        info!("listening on {addr}");
        for l in &listeners {
            let at = l.socket.local_addr()?;
            let (transport, protocol) = (l.config.transport, l.config.protocol);
            match transport {
                crate::TransportKind::Ws | crate::TransportKind::Wss => info!(
                    "listening on {at} ({transport:?}, {protocol:?}): the chat page is at {}",
                    page_url(at, transport.is_tls())
                ),
                _ => info!("listening on {at} ({transport:?}, {protocol:?})"),
            }
        }
        for name in created {
            info!("admin account {name} created with the operator's password");
        }
        let (tx, requests) = mpsc::channel();
        let dropped = Arc::new(AtomicU64::new(0));
        Ok(Server {
            handle: ServerHandle::new(
                tx,
                Arc::clone(&waker),
                addr,
                self.config.net.subscriber_queue,
                Arc::clone(&dropped),
            ),
            waker,
            store,
            #[cfg(feature = "cluster")]
            cluster_key,
            _lock: lock,
            shared: Shared {
                poll,
                listener,
                listeners,
                tls,
                requests,
                signals,
                clock: Clock::new(),
                config: self.config,
                subscribers: Subscribers::new(dropped),
            },
        })
    }
}

/// The address to open the chat page at: a listener on every address is
/// reached as `localhost` from the machine itself.
fn page_url(at: SocketAddr, tls: bool) -> String {
    let scheme = if tls { "https" } else { "http" };
    if at.ip().is_unspecified() {
        format!("{scheme}://localhost:{}/", at.port())
    } else {
        format!("{scheme}://{at}/")
    }
}

/// A chat server, bound and with its store open, ready to
/// [`run`](Server::run) on the caller's thread.
///
/// ```no_run
/// use chat_net_mio::Server;
/// # fn main() -> Result<(), chat_net_mio::ServerError> {
/// let server = Server::builder()
///     .bind("127.0.0.1:0".parse().unwrap())
///     .data_dir("./chat-data")
///     .handle_signals(true)
///     .build()?;
/// println!("listening on {}", server.local_addr());
/// server.run()?; // until SIGINT, SIGTERM or handle.shutdown()
/// # Ok(()) }
/// ```
pub struct Server {
    handle: ServerHandle,
    waker: Arc<Waker>,
    store: Store,
    /// The store key, for a node to seal what it gives the broker.
    #[cfg(feature = "cluster")]
    cluster_key: Option<[u8; 32]>,
    /// Held until the server is dropped.
    _lock: DirLock,
    shared: Shared,
}

impl std::fmt::Debug for Server {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Server")
            .field("addr", &self.handle.local_addr())
            .finish_non_exhaustive()
    }
}

impl Server {
    /// A builder with the defaults.
    pub fn builder() -> ServerBuilder {
        ServerBuilder::default()
    }

    /// Whether any account is an admin (grant 0). Without one nobody can
    /// change grants, kick or restart: a program may tell its operator.
    pub fn has_admin(&self) -> bool {
        self.store.has_admin()
    }

    /// The address it listens on.
    pub fn local_addr(&self) -> SocketAddr {
        self.handle.local_addr()
    }

    /// The addresses of [`ServerConfig::listeners`], in their order.
    pub fn listener_addrs(&self) -> Vec<SocketAddr> {
        self.shared
            .listeners
            .iter()
            .filter_map(|l| l.socket.local_addr().ok())
            .collect()
    }

    /// The address of the first plain TCP listener speaking IRC
    /// ([`irc_bind`](ServerBuilder::irc_bind)), if there is one.
    pub fn irc_addr(&self) -> Option<SocketAddr> {
        self.shared
            .listeners
            .iter()
            .find(|l| {
                l.config.protocol == crate::Protocol::Irc
                    && l.config.transport == crate::TransportKind::Tcp
            })
            .and_then(|l| l.socket.local_addr().ok())
    }

    /// A handle to reach the server from other threads.
    pub fn handle(&self) -> ServerHandle {
        self.handle.clone()
    }

    /// Runs until a graceful shutdown; a `/restart` starts a fresh engine
    /// from the store on the same address and keeps going.
    pub fn run(self) -> Result<(), ServerError> {
        let Server {
            handle,
            waker,
            mut store,
            #[cfg(feature = "cluster")]
            cluster_key,
            _lock,
            mut shared,
        } = self;
        let addr = handle.local_addr();
        let net = &shared.config.net;
        let pool = PoolLimits {
            threads: shared.config.worker_count(),
            queue_per_address: net.password_queue_per_address,
            queue_total: net.password_queue_total,
        };
        let workers_n = pool.threads;
        let layout = shared.config.io_layout();
        // Counted over restarts: connections outlive an engine's run.
        let admission = Admission::new(AdmissionLimits::of(&shared.config));
        let mut carried = chat_core::CarryOver::default();
        loop {
            let started = std::time::Instant::now();
            let notify: Arc<dyn Fn() + Send + Sync> = {
                let waker = Arc::clone(&waker);
                Arc::new(move || {
                    let _ = waker.wake();
                })
            };
            // A node starts from the cluster's buckets, not its own store.
            #[cfg(feature = "cluster")]
            let mut node = None;
            #[cfg(feature = "cluster")]
            let snapshot = match (&shared.config.cluster, cluster_key) {
                (Some(settings), Some(key)) => {
                    let lines = shared.config.store.retention.room_lines as u64;
                    let admins: Vec<chat_core::UserRecord> = store
                        .snapshot()
                        .users
                        .into_iter()
                        .filter(|u| {
                            let admins = &shared.config.admins;
                            admins
                                .iter()
                                .any(|a| a.eq_ignore_ascii_case(u.name.as_str()))
                        })
                        .collect();
                    let (n, snapshot) = crate::cluster::Node::start(
                        settings,
                        &key,
                        lines,
                        &admins,
                        Arc::clone(&notify),
                    )?;
                    node = Some(n);
                    snapshot
                }
                _ => store.snapshot(),
            };
            #[cfg(not(feature = "cluster"))]
            let snapshot = store.snapshot();
            let mut engine = Engine::new(shared.config.engine_config(), snapshot)?;
            #[cfg(feature = "cluster")]
            if let Some(n) = &node {
                engine = engine.into_node(n.engine.clone());
            }
            log::debug!("engine built from the store in {:?}", started.elapsed());
            engine.resume_from(std::mem::take(&mut carried));
            info!(
                "{} users, {} kicked; {} password workers, {} I/O thread(s){}",
                engine.stats().users,
                engine.stats().kicked,
                workers_n,
                layout.threads,
                if layout.engine_serves {
                    ""
                } else {
                    " beside the engine's"
                }
            );
            let (done_tx, finished) = mpsc::channel();
            let workers = Workers::start(pool, shared.config.hash, done_tx, Arc::clone(&notify))?;
            let (mut persister, committed) = Persister::spawn(store, move || notify())?;
            let (remotes, io) =
                Remotes::spawn(layout.threads_in_all(), &shared.config.net, &waker)?;
            let helpers = Helpers {
                workers: &workers,
                finished: &finished,
                persister: &mut persister,
                committed: &committed,
                #[cfg(feature = "cluster")]
                node: node.as_mut(),
            };
            let exit = EventLoop::new(
                &mut shared,
                engine,
                helpers,
                remotes,
                admission.clone(),
                layout.engine_serves,
            )
            .and_then(EventLoop::run);
            // The loop dropped its end of their channels: each shard ends.
            for thread in io {
                let _ = thread.join();
            }
            workers.stop();
            // Every change asked for is written before we stop or restart.
            store = persister.shutdown()?;
            #[cfg(feature = "cluster")]
            if let Some(n) = node.take() {
                n.finish(std::time::Duration::from_millis(500));
            }
            match exit? {
                Exit::Stopped => break,
                Exit::Restart(next) => {
                    carried = next;
                    shared.poll.registry().register(
                        &mut shared.listener,
                        LISTENER,
                        Interest::READABLE,
                    )?;
                    for (i, l) in shared.listeners.iter_mut().enumerate() {
                        shared.poll.registry().register(
                            &mut l.socket,
                            listener::token(i),
                            Interest::READABLE,
                        )?;
                    }
                    info!("restarted on {addr}");
                }
            }
        }
        shared.subscribers.clear();
        info!("stopped");
        Ok(())
    }
}
