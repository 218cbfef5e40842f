//! The engine: a deterministic state machine. Events in through
//! [`Engine::handle`], actions out through [`Engine::poll_output`].
//!
//! This file holds the [`Engine`] and its entry points. Every other file
//! has one job: a type that owns part of the engine's state (connections,
//! the directory, rooms and their members, history, throttles, timers), or
//! what the engine does about one thing, as methods of `Engine`: input
//! arriving (`lines`), logging in (`dialog`, `register`, `login`), a
//! logged-in user's commands (`commands`, then `say`, `presence`,
//! `listing`, `room_commands`, `room_modes`, `membership`, `history_pages`,
//! `room_closing`, `admin`, `password_change`), answers going out
//! (`replies`, `pull` as the connection drains, `broadcast`), message
//! ids (`message_ids`), work asked of the caller (`password_work`,
//! `durable`), connections and deadlines (`connections`, `timeouts`,
//! `operator`). A node of a cluster also takes the paths of `cluster`.

// The engine's state, as types that own it.
mod connection;
mod directory;
mod held;
mod history;
mod in_flight;
mod kicklist;
mod members;
mod outbox;
mod owed;
mod room_upkeep;
mod rooms;
mod seeded;
mod store_tables;
mod text;
mod throttle;
mod timers;

// Its inputs and outputs, and what it tells of itself.
mod io;
mod report;

// What it does, one job a file, as methods of `Engine`.
mod account_switch;
mod admin;
mod broadcast;
mod cluster;
mod commands;
mod connections;
mod conversations;
mod dialog;
mod durable;
mod history_pages;
mod lines;
mod listing;
mod login;
mod membership;
mod message_ids;
mod operator;
mod password_change;
mod password_work;
mod presence;
mod private_pairs;
mod pull;
mod register;
mod replies;
mod room_closing;
mod room_commands;
mod room_modes;
mod say;
mod timeouts;

// What the simulator reads of it.
#[cfg(feature = "sim")]
mod check;

use in_flight::Pending;
use std::time::Duration;

pub use io::{
    ChatEvent, CloseCause, CloseReason, Input, Output, PasswordAnswer, PasswordJob, PasswordWork,
    PersistFailed, PersistRequest, Recipients,
};
pub use operator::CarryOver;
pub use report::{AccountState, ConnStats, EngineStats};

use crate::config::{Config, ConfigError};
use crate::reply::LeaveReason;
use crate::seam::OpenCodec;
use crate::{
    ConnId, Conversation, JobId, Millis, MsgId, NameKey, PersistId, StoreSnapshot, UserName,
};

use connection::{ConnRef, Connection};
use directory::Directory;
use history::PrivateHistories;
use in_flight::Job;
use kicklist::KickList;
use outbox::Outbox;
use room_upkeep::RoomUpkeep;
use rooms::{private_bounds, room_bounds, Rooms};
use seeded::{map, set, IdMap, IdSet, Map, Set, Tally};
use throttle::{Counter, LoginThrottle, ThrottleLimits};
use timers::Timers;

/// The chat engine.
///
/// Drive it with [`handle`](Engine::handle) (each event carries `now`),
/// then drain [`poll_output`](Engine::poll_output) until `None`, then ask
/// [`poll_timeout`](Engine::poll_timeout) when to wake it next with
/// [`Input::Timeout`]. See the crate documentation for the whole loop.
#[derive(Debug)]
pub struct Engine {
    config: Config,
    /// `config.server_name`, shared with every codec (IRC names the
    /// server in its lines) and every rendering.
    server_name: std::sync::Arc<str>,
    now: Millis,
    /// Boxed: the map keeps up to twice its entries' room while it grows,
    /// which for a 288-byte `Connection` inline was half an idle
    /// connection's cost.
    conns: IdMap<ConnId, Box<Connection>>,
    online: Map<NameKey, ConnId>,
    directory: Directory,
    kicks: KickList,
    /// The lobby and the created rooms, with their history.
    rooms: Rooms,
    /// Who created how many rooms, how fast, and which rooms are empty.
    upkeep: RoomUpkeep,
    /// Admins' `/closeroomsof` under way, by the admin's connection.
    bulk_closes: IdMap<ConnId, room_closing::BulkClose>,
    /// Private history per pair of users.
    private: PrivateHistories,
    throttle: LoginThrottle,
    /// Registrations per address, and (under the key `None`) in all.
    registrations: Counter<Option<std::net::IpAddr>>,
    /// Open connections per address.
    per_address: Tally<std::net::IpAddr>,
    /// Password work in flight per address.
    password_work: Tally<std::net::IpAddr>,
    /// Accounts busy before a restart, until they log in again.
    carried_busy: Set<NameKey>,
    /// The busy accounts when the engine stopped, for the next one.
    busy_at_stop: Vec<UserName>,
    timers: Timers,
    jobs: IdMap<JobId, (Job, std::net::IpAddr)>,
    pending: IdMap<PersistId, Pending>,
    out: Outbox,
    /// The connections whose line's labeled answer is open (IRCv3
    /// `labeled-response`; see `replies`): its bookkeeping is skipped
    /// without a lookup for every other connection, which is most lines.
    answers_open: IdSet<ConnId>,
    next_serial: u64,
    /// The id of the next room line or private message.
    next_msg: MsgId,
    /// Whether `next_msg` was raised to the clock at the first id drawn.
    ids_started: bool,
    next_job: u64,
    next_persist: u64,
    stopped: bool,
    /// A node's state besides a single server's; `None` for a single
    /// server, which takes none of the cluster's paths.
    cluster: Option<Box<cluster::Node>>,
    /// Opens a connection's codec.
    open_codec: OpenCodec,
}

impl Engine {
    /// An engine over what the store holds at start (`snapshot`): users,
    /// the kick list, rooms and their topics, and history (trimmed to the
    /// configured retention); `open_codec` opens each connection's codec
    /// for the protocol it speaks. [`Engine::new`] opens the crate's own
    /// (chat/1 and IRC).
    pub fn with_codecs(
        config: Config,
        snapshot: StoreSnapshot,
        open_codec: OpenCodec,
    ) -> Result<Engine, ConfigError> {
        let admins = config.validate()?;
        let l = &config.limits;
        let seed = config.hash_seed;
        let throttle = LoginThrottle::new(
            ThrottleLimits {
                per_pair: l.account_failures_per_window,
                per_account: l.account_ceiling_per_window,
                per_address: l.address_failures_per_window,
                window: Duration::from_millis(l.throttle_window_ms),
                max_backoff: Duration::from_millis(l.account_max_backoff_ms),
                capacity: l.throttle_capacity,
            },
            seed,
        );
        let next_msg = snapshot.last_msg_id().unwrap_or_default().next();
        let room_bounds = room_bounds(&config.retention, l.history_bytes_per_room);
        let pair_bounds = private_bounds(&config.retention, l.history_bytes_per_pair);
        let mut rooms = Rooms::new(snapshot.rooms.clone(), seed);
        rooms.load_history(&snapshot, room_bounds);
        let mut upkeep = RoomUpkeep::new(seed);
        for (key, channel) in rooms.iter() {
            if let Some(record) = &channel.record {
                upkeep.count_created(record.operator.key());
                // Nobody is in a room at start: it has been empty since
                // it was last used, as far as the store can tell.
                upkeep.emptied(key.clone(), channel.last_used(), l.empty_room_ttl_ms);
            }
        }
        let mut private = PrivateHistories::new(seed);
        for (conversation, lines) in &snapshot.history {
            if matches!(conversation, Conversation::Private(..)) {
                for line in lines {
                    private.push(
                        conversation,
                        line.clone(),
                        pair_bounds,
                        l.max_private_histories,
                    );
                }
            }
        }
        Ok(Engine {
            directory: Directory::new(snapshot.users, admins, seed),
            kicks: KickList::new(snapshot.kicked, seed),
            rooms,
            upkeep,
            bulk_closes: IdMap::default(),
            private,
            throttle,
            registrations: Counter::new(seed),
            password_work: Tally::new(seed),
            carried_busy: set(seed),
            busy_at_stop: Vec::new(),
            server_name: config.server_name.as_str().into(),
            config,
            now: Millis(0),
            conns: IdMap::default(),
            online: map(seed),
            per_address: Tally::new(seed),
            timers: Timers::default(),
            jobs: IdMap::default(),
            pending: IdMap::default(),
            out: Outbox::default(),
            answers_open: IdSet::default(),
            next_serial: 0,
            next_msg,
            ids_started: false,
            next_job: 0,
            next_persist: 0,
            stopped: false,
            cluster: None,
            open_codec,
        })
    }

    /// Feeds one event, at the caller's time `now`.
    pub fn handle(&mut self, now: Millis, input: Input<'_>) {
        self.now = self.now.max(now);
        match input {
            Input::Opened {
                conn,
                peer,
                protocol,
            } => self.on_opened(conn, peer, protocol),
            Input::Received { conn, bytes } => self.on_received(conn, bytes),
            Input::Closed { conn, cause } => {
                let reason = match cause {
                    CloseCause::TooSlow => LeaveReason::TooSlow,
                    _ => LeaveReason::Lost,
                };
                self.forget(conn, reason);
            }
            Input::PasswordDone { job, answer } => {
                self.answering_for(|e| e.jobs.get(&job).map(|(j, _)| j.conn()));
                self.on_password_done(job, answer);
            }
            Input::Persisted { id, result } => {
                self.answering_for(|e| e.pending.get(&id).and_then(|p| p.conn));
                self.on_persisted(id, result);
            }
            Input::Drained { conn } => {
                self.answering(conn);
                self.on_drained(conn);
            }
            Input::Timeout => {
                self.on_timeout();
                self.on_cluster_timeout();
            }
            Input::Cluster(input) => self.on_cluster(input),
            Input::Announce { text } => self.on_announce(text),
            Input::Shutdown => {
                log::info!("shutdown requested by the operator");
                self.stop(false);
            }
        }
        // A labeled answer is produced only while its connection's own
        // input is handled.
        self.out.set_responding(None);
    }

    /// [`answering`](Engine::answering) the connection a job or a store
    /// change is for (`conn` finds it), if it is still there; nothing is
    /// looked up while no labeled answer is open.
    fn answering_for(&mut self, conn: impl FnOnce(&Engine) -> Option<ConnRef>) {
        if self.answers_open.is_empty() {
            return;
        }
        match conn(self).filter(|c| self.live(*c)) {
            Some(c) => self.answering(c.id),
            None => {
                self.out.set_responding(None);
            }
        }
    }

    /// The next action for the caller, in order; drain until `None` after
    /// each [`handle`](Engine::handle).
    #[must_use = "outputs are actions the caller must carry out"]
    pub fn poll_output(&mut self) -> Option<Output> {
        self.out.pop()
    }

    /// When to feed [`Input::Timeout`] next, if ever.
    #[must_use = "the engine must be woken at this deadline"]
    pub fn poll_timeout(&self) -> Option<Millis> {
        [
            self.timers.next_deadline(),
            self.upkeep.next_deadline(),
            self.cluster_deadline(),
        ]
        .into_iter()
        .flatten()
        .min()
    }

    /// Whether the engine has stopped (after a shutdown or restart).
    pub fn is_stopped(&self) -> bool {
        self.stopped
    }

    /// Turns [`Output::Event`]s on or off (for example when the first
    /// observer subscribes).
    pub fn set_emit_events(&mut self, on: bool) {
        self.config.emit_events = on;
    }

    /// The configuration in force.
    pub fn config(&self) -> &Config {
        &self.config
    }
}
