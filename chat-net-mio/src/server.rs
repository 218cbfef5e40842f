//! `Server`: build a chat server, then run it on the caller's thread.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::atomic::AtomicU64;
use std::sync::mpsc;
use std::sync::Arc;

use chat_core::password::{HashParams, Password};
use chat_core::Engine;
use log::{info, warn};
use mio::net::TcpListener;
use mio::{Interest, Poll, Waker};

use crate::clock::Clock;
use crate::event_loop::{EventLoop, Exit, Shared, IRC_LISTENER, LISTENER, SIGNALS, WAKER};
use crate::handle::{ServerHandle, Subscribers};
use crate::store::{DirLock, KeySource, Persister, Store, StoreError};
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
    /// The event loop or a thread failed.
    #[error("server I/O failed: {0}")]
    Io(#[from] std::io::Error),
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

    /// Also listen for IRC clients on `addr` (port 0 picks a free port);
    /// the same as `irc_bind` in the [`ServerConfig`]. Off by default.
    pub fn irc_bind(mut self, addr: SocketAddr) -> Self {
        self.config.irc_bind = Some(addr);
        self
    }

    /// The folder of the store and its key file.
    pub fn data_dir(mut self, dir: impl Into<PathBuf>) -> Self {
        self.data_dir = dir.into();
        self
    }

    /// The whole configuration (an IRC address set with
    /// [`irc_bind`](ServerBuilder::irc_bind) before is kept unless the
    /// configuration names one).
    pub fn config(mut self, config: ServerConfig) -> Self {
        let irc = self.config.irc_bind;
        self.config = config;
        self.config.irc_bind = self.config.irc_bind.or(irc);
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
        let poll = Poll::new()?;
        let mut listener = TcpListener::bind(self.bind).map_err(|source| ServerError::Bind {
            addr: self.bind,
            source,
        })?;
        let addr = listener.local_addr()?;
        let mut irc_listener = match self.config.irc_bind {
            Some(irc) => Some(
                TcpListener::bind(irc).map_err(|source| ServerError::Bind { addr: irc, source })?,
            ),
            None => None,
        };
        let irc_addr = irc_listener
            .as_ref()
            .map(TcpListener::local_addr)
            .transpose()?;
        // One server per data folder: lock it before reading the store.
        Store::create_dir(&self.data_dir)?;
        let lock = DirLock::acquire(&self.data_dir)?;
        let key = match self.key {
            Some(k) => k,
            None => KeySource::from_env(&self.data_dir),
        };
        let mut store = Store::open(&self.data_dir, key)?;
        let created =
            crate::admin::set_passwords(&mut store, &self.config, self.admin_password.as_ref())?;
        // Only now is the server usable, and tools wait for this line (the
        // kernel has been queueing connections since the bind).
        if let Some(irc) = irc_addr {
            info!("IRC listening on {irc}");
        }
        info!("listening on {addr}");
        for name in created {
            info!("admin account {name} created with the operator's password");
        }
        poll.registry()
            .register(&mut listener, LISTENER, Interest::READABLE)?;
        if let Some(irc) = irc_listener.as_mut() {
            poll.registry()
                .register(irc, IRC_LISTENER, Interest::READABLE)?;
        }
        let waker = Arc::new(Waker::new(poll.registry(), WAKER)?);
        let signals = if self.signals {
            let mut s = signal_hook_mio::v1_0::Signals::new([
                signal_hook::consts::SIGINT,
                signal_hook::consts::SIGTERM,
            ])?;
            poll.registry()
                .register(&mut s, SIGNALS, Interest::READABLE)?;
            Some(s)
        } else {
            None
        };
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
            irc_addr,
            _lock: lock,
            shared: Shared {
                poll,
                listener,
                irc_listener,
                requests,
                signals,
                clock: Clock::new(),
                config: self.config,
                subscribers: Subscribers::new(dropped),
            },
        })
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
    irc_addr: Option<SocketAddr>,
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

    /// The address it listens on.
    pub fn local_addr(&self) -> SocketAddr {
        self.handle.local_addr()
    }

    /// The address it listens on for IRC, if it does.
    pub fn irc_addr(&self) -> Option<SocketAddr> {
        self.irc_addr
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
            irc_addr: _,
            _lock,
            mut shared,
        } = self;
        let addr = handle.local_addr();
        match crate::fdlimit::raise_fd_limit() {
            Ok(n) => log::debug!("open-file limit: {n}"),
            Err(e) => warn!("cannot raise the open-file limit: {e}"),
        }
        let net = &shared.config.net;
        let pool = PoolLimits {
            threads: shared.config.worker_count(),
            queue_per_address: net.password_queue_per_address,
            queue_total: net.password_queue_total,
        };
        let workers_n = pool.threads;
        let mut carried = chat_core::CarryOver::default();
        loop {
            let snapshot = store.snapshot().clone();
            let mut engine = Engine::new(shared.config.engine_config(), snapshot)?;
            engine.resume_from(std::mem::take(&mut carried));
            info!(
                "{} users, {} kicked; {} password workers",
                engine.stats().users,
                engine.stats().kicked,
                workers_n
            );
            let notify: Arc<dyn Fn() + Send + Sync> = {
                let waker = Arc::clone(&waker);
                Arc::new(move || {
                    let _ = waker.wake();
                })
            };
            let (done_tx, finished) = mpsc::channel();
            let workers = Workers::start(pool, shared.config.hash, done_tx, Arc::clone(&notify))?;
            let (persister, committed) = Persister::spawn(store, move || notify())?;
            let exit = EventLoop::new(
                &mut shared,
                engine,
                &workers,
                &finished,
                &persister,
                &committed,
            )
            .run();
            workers.stop();
            // Every change asked for is written before we stop or restart.
            store = persister.shutdown()?;
            match exit? {
                Exit::Stopped => break,
                Exit::Restart(next) => {
                    carried = next;
                    shared.poll.registry().register(
                        &mut shared.listener,
                        LISTENER,
                        Interest::READABLE,
                    )?;
                    if let Some(irc) = shared.irc_listener.as_mut() {
                        shared
                            .poll
                            .registry()
                            .register(irc, IRC_LISTENER, Interest::READABLE)?;
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
