//! The engine: a deterministic state machine. Events in through
//! [`Engine::handle`], actions out through [`Engine::poll_output`].

mod account;
mod admin;
mod chat;
mod cluster;
mod connection;
mod dialog;
mod directory;
mod held;
mod history;
mod io;
mod kicklist;
mod lifecycle;
mod outbox;
mod owed;
mod pull;
mod room;
mod room_closing;
mod room_commands;
mod room_upkeep;
mod rooms;
mod table;
mod tables;
mod text;
mod throttle;
mod timers;

use std::borrow::Cow;
use std::time::Duration;

pub use io::{
    ChatEvent, CloseCause, CloseReason, Input, Output, PasswordAnswer, PasswordJob, PasswordWork,
    PersistFailed, PersistRequest, Recipients,
};

use crate::command::Cost;
use crate::config::{Config, ConfigError};
use crate::password::Password;
use crate::reply::{LeaveReason, LimitScope, Presence, Reason, Reply};
use crate::seam::{OpenCodec, Rendering};
use crate::{
    Command, ConnId, Conversation, Frame, Grant, HistoryLine, JobId, Millis, MsgId, NameKey,
    PersistId, RoomKey, StoreChange, StoreSnapshot, UserName,
};

use connection::{ConnRef, Connection, Line, Phase, QueuedLine};
use directory::Directory;
use held::HeldLines;
use history::PrivateHistories;
use kicklist::KickList;
use outbox::Outbox;
use room_upkeep::RoomUpkeep;
use rooms::{private_bounds, room_bounds, Rooms};
use table::{map, set, Map, Set};
use tables::Tables;
use throttle::{Counter, Limited, LoginThrottle, ThrottleLimits};
use timers::Timers;

/// How far a new engine's message ids start above the clock: ids from
/// `now × IDS_PER_MS` on. 1,024 keeps the ids below 2^53 (exact in a
/// JavaScript number) until the year 2248.
const IDS_PER_MS: u64 = 1024;

/// Sizes of the engine's tables (see [`Engine::stats`]).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct EngineStats {
    /// Open connections.
    pub connections: usize,
    /// Logged-in users.
    pub online: usize,
    /// Members of the lobby.
    pub in_room: usize,
    /// Registered accounts.
    pub users: usize,
    /// Kick-list entries.
    pub kicked: usize,
    /// Pending deadlines (some may be stale).
    pub timers: usize,
    /// Accounts and addresses the failed-login throttle remembers.
    pub throttle_entries: usize,
    /// Password work and store changes in flight.
    pub work_in_flight: usize,
    /// Outputs not yet drained.
    pub outputs_queued: usize,
    /// Addresses (and the overall window) the registration throttle
    /// remembers.
    pub registration_entries: usize,
    /// Addresses with password work in flight.
    pub password_addresses: usize,
    /// Busy accounts carried over from before a restart, not yet back.
    pub carried_busy: usize,
    /// Rooms besides the lobby.
    pub rooms: usize,
    /// History lines kept in memory, rooms (the lobby included) and pairs.
    pub history_lines: usize,
    /// Pairs of users with private history in memory.
    pub private_histories: usize,
    /// Bytes of sender names and text in those history lines (the
    /// quantity `history_bytes_per_room` and `history_bytes_per_pair`
    /// bound).
    pub history_bytes: usize,
    /// Entries of the room limits' tables: users with rooms they created,
    /// creation windows, empty rooms waiting to be closed.
    pub room_upkeep_entries: usize,
}

/// An account as the engine sees it ([`Engine::account`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct AccountState {
    /// The grant in force (configured admins are always admins).
    pub grant: Grant,
    /// Whether it is on the kick list.
    pub kicked: bool,
    /// Whether it is logged in.
    pub online: bool,
}

/// What the engine holds for one connection ([`Engine::conn_stats`]).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct ConnStats {
    /// Bytes a client can make the engine hold beyond fixed-size state:
    /// the partial line and the queued lines.
    pub buffered_bytes: usize,
    /// Lines queued while a command of the connection is answered.
    pub queued_lines: usize,
    /// Room lines held while the user is busy.
    pub held_lines: usize,
    /// Bytes of those held lines.
    pub held_bytes: usize,
    /// Bytes sent to it (room lines aside) since it last drained: at most
    /// about `output_window_bytes` (the last part of a long answer may
    /// pass it by a line or a few rows).
    pub unacked_bytes: usize,
    /// Long answers (history, listings) it is owed, not sent yet.
    pub owed_answers: usize,
}

/// What one engine hands the next across a `/restart`: the accounts that
/// were busy, so they are busy again when they log back in.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct CarryOver {
    /// The busy accounts.
    pub busy: Vec<UserName>,
}

/// Password work in flight, and whom it is for.
#[derive(Debug)]
enum Job {
    /// Hashing the password of a registration.
    Register { conn: ConnRef, name: UserName },
    /// Checking a login.
    Login { conn: ConnRef, key: NameKey },
    /// Checking the old password of `/changepassword`.
    CheckOldPassword { conn: ConnRef, new: Password },
    /// Hashing the new password of `/changepassword`.
    HashNewPassword { conn: ConnRef },
    /// Checking the admin's password of IRC's `OPER`.
    Oper { conn: ConnRef, key: NameKey },
}

/// A store change in flight, and who is waiting for it.
#[derive(Debug)]
struct Pending {
    conn: Option<ConnRef>,
    change: StoreChange,
}

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
    conns: Map<ConnId, Box<Connection>>,
    online: Map<NameKey, ConnId>,
    directory: Directory,
    kicks: KickList,
    /// The lobby and the created rooms, with their history.
    rooms: Rooms,
    /// Who created how many rooms, how fast, and which rooms are empty.
    upkeep: RoomUpkeep,
    /// Admins' `/closeroomsof` under way, by the admin's connection.
    bulk_closes: Map<ConnId, room_closing::BulkClose>,
    /// Private history per pair of users.
    private: PrivateHistories,
    throttle: LoginThrottle,
    /// Registrations per address, and (under the key `None`) in all.
    registrations: Counter<Option<std::net::IpAddr>>,
    per_address: Map<std::net::IpAddr, usize>,
    /// Password work in flight per address.
    password_work: Map<std::net::IpAddr, usize>,
    /// Accounts busy before a restart, until they log in again.
    carried_busy: Set<NameKey>,
    /// The busy accounts when the engine stopped, for the next one.
    busy_at_stop: Vec<UserName>,
    timers: Timers,
    jobs: Map<JobId, (Job, std::net::IpAddr)>,
    pending: Map<PersistId, Pending>,
    out: Outbox,
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
            bulk_closes: map(seed),
            private,
            throttle,
            registrations: Counter::new(seed),
            password_work: map(seed),
            carried_busy: set(seed),
            busy_at_stop: Vec::new(),
            server_name: config.server_name.as_str().into(),
            config,
            now: Millis(0),
            conns: map(seed),
            online: map(seed),
            per_address: map(seed),
            timers: Timers::default(),
            jobs: map(seed),
            pending: map(seed),
            out: Outbox::default(),
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
            Input::PasswordDone { job, answer } => self.on_password_done(job, answer),
            Input::Persisted { id, result } => self.on_persisted(id, result),
            Input::Drained { conn } => self.on_drained(conn),
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

    /// An account as the engine sees it now, if it is registered.
    pub fn account(&self, name: &UserName) -> Option<AccountState> {
        let key = name.key();
        let record = self.directory.get(&key)?;
        Some(AccountState {
            grant: self.directory.grant_of(record),
            kicked: self.kicks.contains(&key),
            online: self.online.contains_key(&key),
        })
    }

    /// Whether the engine has stopped (after a shutdown or restart).
    pub fn is_stopped(&self) -> bool {
        self.stopped
    }

    /// Sizes of the engine's tables, for metrics and for tests that check
    /// nothing grows without bound.
    pub fn stats(&self) -> EngineStats {
        EngineStats {
            connections: self.conns.len(),
            online: self.online.len(),
            in_room: self.rooms.lobby().len(),
            users: self.directory.len(),
            kicked: self.kicks.len(),
            timers: self.timers.len(),
            throttle_entries: self.throttle.table_len(),
            work_in_flight: self.jobs.len() + self.pending.len(),
            outputs_queued: self.out.len(),
            registration_entries: self.registrations.len(),
            password_addresses: self.password_work.len(),
            carried_busy: self.carried_busy.len(),
            rooms: self.rooms.created_count(),
            history_lines: self
                .rooms
                .iter()
                .map(|(_, c)| c.history.len())
                .sum::<usize>()
                + self.private.lines(),
            private_histories: self.private.len(),
            history_bytes: self
                .rooms
                .iter()
                .map(|(_, c)| c.history.bytes())
                .sum::<usize>()
                + self.private.bytes(),
            room_upkeep_entries: {
                let (creators, windows, empty) = self.upkeep.sizes();
                creators + windows + empty
            },
        }
    }

    /// What the next engine should know after a `/restart`: the accounts
    /// that were busy (as of the stop, or now if still running).
    pub fn carry_over(&self) -> CarryOver {
        let mut busy = if self.stopped {
            self.busy_at_stop.clone()
        } else {
            self.busy_names()
        };
        busy.sort();
        CarryOver { busy }
    }

    /// Takes what the previous engine carried over (call before the first
    /// input): each busy account is busy again when it logs in.
    pub fn resume_from(&mut self, carried: CarryOver) {
        self.carried_busy
            .extend(carried.busy.iter().map(UserName::key));
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

    /// The grant of an account named as typed (for the simulator, which
    /// checks names it made up).
    #[cfg(feature = "sim")]
    pub(crate) fn grant_of(&self, name: &str) -> Option<Grant> {
        self.directory
            .get(&NameKey::of(name))
            .map(|r| self.directory.grant_of(r))
    }

    /// Whether an account named as typed is on the kick list (for the
    /// simulator).
    #[cfg(feature = "sim")]
    pub(crate) fn is_kicked(&self, name: &str) -> bool {
        self.kicks.contains(&NameKey::of(name))
    }

    /// What the engine holds for one open connection, for metrics and
    /// for checking that a client cannot make it grow without bound.
    pub fn conn_stats(&self, conn: ConnId) -> Option<ConnStats> {
        let c = self.conns.get(&conn)?;
        let queued_bytes: usize = c
            .queued
            .iter()
            .map(|l| l.as_ref().map_or(0, String::len))
            .sum();
        let held = c.session().and_then(|s| s.held.as_deref());
        Some(ConnStats {
            buffered_bytes: c.codec.buffered() + queued_bytes,
            queued_lines: c.queued.len(),
            held_lines: held.map_or(0, HeldLines::len),
            held_bytes: held.map_or(0, HeldLines::bytes),
            unacked_bytes: c.flow.unacked(),
            owed_answers: c.flow.owed_len(),
        })
    }

    // ---- shared helpers -------------------------------------------------

    fn conn_ref(&self, id: ConnId) -> Option<ConnRef> {
        self.conns.get(&id).map(|c| ConnRef {
            id,
            serial: c.serial,
        })
    }

    /// The connection a job or change was for, if it is still the same one.
    fn live(&self, r: ConnRef) -> bool {
        self.conns.get(&r.id).is_some_and(|c| c.serial == r.serial)
    }

    /// One reply to one connection, rendered by its codec.
    fn send(&mut self, conn: ConnId, reply: &Reply<'_>) {
        self.send_many(conn, std::slice::from_ref(reply));
    }

    /// Several replies to one connection, rendered into one frame. A
    /// connection already forgotten gets nothing (its output would be
    /// dropped anyway).
    fn send_many(&mut self, conn: ConnId, replies: &[Reply<'_>]) {
        Self::send_to(&mut self.conns, &mut self.out, conn, replies);
    }

    /// [`send_many`](Engine::send_many) on borrowed parts, for replies
    /// that borrow other parts of the engine.
    fn send_to(
        conns: &mut Map<ConnId, Box<Connection>>,
        out: &mut Outbox,
        conn: ConnId,
        replies: &[Reply<'_>],
    ) {
        let Some(c) = conns.get_mut(&conn) else {
            return;
        };
        let mut bytes = Vec::with_capacity(64);
        c.codec.render(replies, &mut bytes);
        // A codec may say nothing (IRC to `HELLO` and `ASK`); an empty
        // frame is no output (a writer can take it for a closed socket).
        if !bytes.is_empty() {
            c.flow.sent(bytes.len());
            out.send_frame(conn, Frame::from(bytes));
        }
    }

    fn refuse(&mut self, conn: ConnId, reason: Reason<'_>) {
        self.send(conn, &Reply::Refused(reason));
    }

    /// Asks for password work for a connection from `peer`; counted per
    /// address until answered (see [`Engine::admit_password_work`]).
    fn new_job(&mut self, job: Job, work: PasswordWork, peer: std::net::IpAddr) {
        let id = JobId(self.next_job);
        self.next_job += 1;
        self.jobs.insert(id, (job, peer));
        *self.password_work.entry(peer).or_insert(0) += 1;
        self.out
            .push(Output::Password(Box::new(PasswordJob { id, work, peer })));
    }

    /// Whether password work for `peer` may start now; if not, the client
    /// is told when to retry and false is returned. Nothing is counted.
    fn admit_password_work(&mut self, id: ConnId, peer: std::net::IpAddr) -> bool {
        let l = &self.config.limits;
        let refusal = if self.jobs.len() >= l.max_password_jobs {
            Some(Reason::LoginsInProgress { retry_secs: 1 })
        } else if !self.is_exempt(peer)
            && self.password_work.get(&peer).copied().unwrap_or(0)
                >= l.max_password_jobs_per_address
        {
            Some(Reason::RateLimited {
                scope: LimitScope::LoginsFromAddress,
                retry_secs: 1,
            })
        } else {
            None
        };
        let Some(reason) = refusal else {
            return true;
        };
        log::warn!("password work refused for {peer}: {reason:?}");
        self.refuse(id, reason);
        false
    }

    /// A refusal for now, with the time to wait.
    fn refuse_limited(&mut self, id: ConnId, scope: LimitScope, limited: Limited) {
        self.refuse(
            id,
            Reason::RateLimited {
                scope,
                retry_secs: limited.retry_secs(),
            },
        );
    }

    /// Who asked (for the log): the session's name, or `-`.
    fn who(&self, conn: Option<ConnRef>) -> String {
        conn.and_then(|c| self.conns.get(&c.id))
            .and_then(|c| c.session())
            .map_or_else(|| "-".to_owned(), |s| s.name.to_string())
    }

    fn addr_text(addr: Option<std::net::IpAddr>) -> String {
        addr.map_or_else(|| "-".to_owned(), |a| a.to_string())
    }

    /// Accounts busy now, and those carried over from before a restart
    /// that have not logged in again (so busy survives several restarts).
    fn busy_names(&self) -> Vec<UserName> {
        let online = self
            .rooms
            .lobby()
            .busy_members()
            .iter()
            .filter_map(|c| self.conns.get(c)?.session())
            .map(|s| s.name.clone());
        let away = self
            .carried_busy
            .iter()
            .filter_map(|k| UserName::parse(k.as_str()).ok());
        online.chain(away).collect()
    }

    /// Asks for a durable change; the requester (if any) waits for it.
    fn persist(&mut self, conn: Option<ConnRef>, change: StoreChange) {
        let id = PersistId(self.next_persist);
        self.next_persist += 1;
        self.pending.insert(
            id,
            Pending {
                conn,
                change: change.clone(),
            },
        );
        self.out
            .push(Output::Persist(Box::new(PersistRequest { id, change })));
    }

    /// Keeps a line in a conversation's history in memory and asks the
    /// store to keep it too. Nobody waits for that change: it is not
    /// tracked, and its answer (even a failure, which the runtime logs)
    /// changes nothing here.
    fn remember(&mut self, conversation: Conversation, line: HistoryLine) {
        // A guest's room is not stored, nor its lines.
        let unstored = match &conversation {
            Conversation::Room(key) => self.rooms.get(key).is_some_and(|c| !c.stored),
            Conversation::Private(..) => false,
        };
        let change = StoreChange::AppendLine { conversation, line };
        // An append has no checks to fail.
        let _ = change.apply_to(&mut self.tables());
        if unstored {
            return;
        }
        let id = PersistId(self.next_persist);
        self.next_persist += 1;
        self.out
            .push(Output::Persist(Box::new(PersistRequest { id, change })));
    }

    /// The engine's copy of what the store holds, to apply a change to.
    fn tables(&mut self) -> Tables<'_> {
        let l = &self.config.limits;
        Tables {
            directory: &mut self.directory,
            kicks: &mut self.kicks,
            rooms: &mut self.rooms,
            private: &mut self.private,
            room_bounds: room_bounds(&self.config.retention, l.history_bytes_per_room),
            pair_bounds: private_bounds(&self.config.retention, l.history_bytes_per_pair),
            max_pairs: l.max_private_histories,
        }
    }

    /// Draws the id of a new room line or private message. One sequence
    /// serves every conversation, so an id is never reused, in a room
    /// closed and made again or a pair whose history was forgotten.
    ///
    /// An engine starts above the ids of the store's history and, at its
    /// first id, above the clock's milliseconds times [`IDS_PER_MS`]:
    /// lines shown but never made durable before a crash (history lines
    /// are saved without waiting) had ids below that, unless the last run
    /// said more than 1,024 lines per millisecond it ran. After that the
    /// ids count up one by one.
    fn next_msg_id(&mut self) -> MsgId {
        if !self.ids_started {
            self.ids_started = true;
            let floor = MsgId(self.now.0.saturating_mul(IDS_PER_MS));
            self.next_msg = self.next_msg.max(floor);
        }
        let id = self.next_msg;
        self.next_msg = id.next();
        id
    }

    /// Marks a connection as waiting: its later lines queue.
    fn set_waiting(&mut self, conn: ConnId, waiting: bool) {
        if let Some(c) = self.conns.get_mut(&conn) {
            c.waiting = waiting;
        }
    }

    /// Lines for everyone: the lobby's members, all but `except` (an
    /// announcement, a grant or presence change, a kick).
    fn broadcast_lobby(&mut self, except: Option<ConnId>, replies: &[Reply<'_>]) {
        let lobby = self.rooms.lobby_key().clone();
        self.broadcast_to(&lobby, except, replies);
    }

    /// Lines said by `sender` in a room (none: the server's), to every
    /// member; the sender is left out when its codec does not echo a
    /// client's own lines (IRC without `echo-message`).
    fn broadcast_in(&mut self, room: &RoomKey, sender: Option<ConnId>, replies: &[Reply<'_>]) {
        let except = sender.filter(|s| {
            self.conns
                .get(s)
                .is_some_and(|c| !c.codec.echoes_own_lines())
        });
        self.broadcast_to(room, except, replies);
    }

    /// Lines to every member of a room but `except`, rendered once per
    /// rendering in use (not per member): one [`Output::Broadcast`] per
    /// rendering, each with the room's shared list of its free members;
    /// busy members hold the same frame. `except` is marked as left out of
    /// its rendering's shared list, not copied without it, so the runtime
    /// can still join the turn's broadcasts into one frame. A rendering
    /// that shows nothing of the lines (an `AWAY` to chat/1) sends and
    /// holds nothing.
    fn broadcast_to(&mut self, room: &RoomKey, except: Option<ConnId>, replies: &[Reply<'_>]) {
        let Some(channel) = self.rooms.get_mut(room) else {
            return;
        };
        let members = &mut channel.members;
        // Only a free member is in a free list to be left out of.
        let except_rendering = except
            .filter(|s| members.presence(*s) == Some(Presence::Free))
            .and_then(|s| self.conns.get(&s))
            .map(|c| c.codec.rendering());
        let mut frames: [Option<Frame>; Rendering::SLOTS] = Default::default();
        for rendering in members.free_renderings() {
            let list = members.free_recipients(rendering);
            let left_out = except.filter(|_| except_rendering == Some(rendering));
            let to = Recipients::leaving_out(list, left_out);
            if !to.is_empty() {
                let frame = frames[rendering.slot()]
                    .get_or_insert_with(|| rendering.render(&self.server_name, replies))
                    .clone();
                if !frame.is_empty() {
                    self.out.push(Output::Broadcast { to, frame });
                }
            }
        }
        let cap = self.config.limits.max_held_lines;
        let max_bytes = self.config.limits.max_held_bytes;
        for member in members.busy_members() {
            if Some(*member) == except {
                continue;
            }
            let Some(conn) = self.conns.get_mut(member) else {
                continue;
            };
            let rendering = conn.codec.rendering();
            if let Some(held) = conn.session_mut().and_then(|s| s.held.as_mut()) {
                let frame = frames[rendering.slot()]
                    .get_or_insert_with(|| rendering.render(&self.server_name, replies))
                    .clone();
                if !frame.is_empty() {
                    held.push(frame, cap, max_bytes);
                }
            }
        }
    }

    fn presence_of(&self, conn: ConnId) -> Presence {
        self.rooms.lobby().presence(conn).unwrap_or(Presence::Free)
    }

    // ---- lines ----------------------------------------------------------

    fn on_received(&mut self, id: ConnId, mut bytes: &[u8]) {
        let window = self.config.limits.output_window_bytes;
        loop {
            let Some(conn) = self.conns.get_mut(&id) else {
                return;
            };
            // Any traffic answers a server ping (set here, in the lookup
            // the loop makes anyway).
            conn.last_heard = self.now;
            conn.pinged = None;
            // A command waits for password work or the store, or the
            // connection must drain first: its lines wait their turn.
            let held = conn.waiting || conn.flow.holds_lines(window);
            // Lines a line stood for (see `on_line`) before the next one.
            if !held && !conn.queued.is_empty() {
                self.resume(id);
                continue;
            }
            let Some(line) = conn.codec.next_line(&mut bytes) else {
                return;
            };
            if held || !conn.queued.is_empty() {
                let l = &self.config.limits;
                let cap = if conn.session().is_some() {
                    l.max_queued_lines
                } else {
                    l.max_queued_lines_before_login
                };
                // More than the queue holds is refused, never answered:
                // a connection that does not read cannot make the engine
                // render for it. Refusals in a row count as the budget's
                // do, so a client that keeps sending past them is closed
                // rather than sent a refusal per line.
                if conn.queued.len() >= cap {
                    conn.budget_refusals = conn.budget_refusals.saturating_add(1);
                    let (refusals, peer) = (conn.budget_refusals, conn.peer);
                    self.refuse(id, Reason::QueueFull);
                    if refusals > self.config.limits.max_budget_refusals {
                        log::warn!("{peer} ({id}) closed: kept sending past a full queue");
                        return self.close(id, CloseReason::RateLimited, LeaveReason::Lost);
                    }
                } else {
                    conn.budget_refusals = 0;
                    conn.queued.push_back(line.map(Cow::into_owned));
                }
                // Held by its window: it will hear when to go on.
                self.pump_owed(id);
                continue;
            }
            self.on_line(id, line);
        }
    }

    /// Runs the queued lines of a connection that stopped waiting.
    fn resume(&mut self, id: ConnId) {
        loop {
            let Some(conn) = self.conns.get_mut(&id) else {
                return;
            };
            if conn.waiting {
                return;
            }
            if conn
                .flow
                .holds_lines(self.config.limits.output_window_bytes)
            {
                // Owed output or a full window: the lines go on once it
                // drained (`on_drained`).
                return self.pump_owed(id);
            }
            let Some(line): Option<QueuedLine> = conn.queued.pop_front() else {
                return;
            };
            self.on_line(id, line.map(Cow::Owned));
        }
    }

    fn on_line(&mut self, id: ConnId, line: Line<'_>) {
        let line = match line {
            Ok(line) => line,
            Err(e) => return self.refuse(id, Reason::Line(e)),
        };
        let Some(conn) = self.conns.get_mut(&id) else {
            return;
        };
        let line = conn.codec.prepare(line);
        let cmd = conn.codec.parse(&line);
        // Read right after this one (on_received and resume run them).
        for followup in conn.codec.take_followups().into_iter().rev() {
            conn.queued.push_front(Ok(followup));
        }
        if let Some(local) = conn.codec.take_local() {
            conn.flow.sent(local.len());
            self.out.send_frame(id, Frame::from(local));
        }
        if let Some(rendering) = conn.codec.take_rendering_change() {
            self.in_every_room(id, |room| room.set_rendering(id, rendering));
        }
        if !self.within_budget(id, &cmd) {
            if let Some(conn) = self.conns.get_mut(&id) {
                conn.codec.unread();
            }
            return;
        }
        let cmd = match cmd {
            Ok(Some(cmd)) => cmd,
            // The codec answered it by itself.
            Ok(None) => return,
            Err(refusal) => return self.refuse(id, Reason::Invalid(&refusal)),
        };
        let now = self.now;
        let Some(conn) = self.conns.get_mut(&id) else {
            return;
        };
        match &mut conn.phase {
            Phase::Online(session) => {
                session.last_active = now;
                self.on_session_line(id, cmd);
            }
            Phase::Dialog(_) => self.on_dialog_line(id, cmd),
        }
    }

    /// The command budget: every line costs, listings more (as IRC
    /// servers' fake lag). Over budget the line is dropped with
    /// `ERR rate-limited ...; retry in <n> s`; a client that keeps pushing
    /// long past it is closed.
    fn within_budget(
        &mut self,
        id: ConnId,
        cmd: &Result<Option<Command<'_>>, crate::Refusal>,
    ) -> bool {
        let now = self.now;
        let l = &self.config.limits;
        let (rate, burst) = (l.command_units_per_second, l.command_burst);
        if rate == 0 {
            return true;
        }
        let cost = match cmd {
            Ok(Some(cmd)) if cmd.cost() == Cost::Listing => l.listing_cost,
            _ => l.command_cost,
        };
        let max_refusals = l.max_budget_refusals;
        let Some(conn) = self.conns.get_mut(&id) else {
            return false;
        };
        if conn.budget.take(now, rate, burst, cost) {
            conn.budget_refusals = 0;
            return true;
        }
        conn.budget_refusals = conn.budget_refusals.saturating_add(1);
        let secs = conn.budget.wait_secs(rate, burst, cost);
        let (refusals, peer) = (conn.budget_refusals, conn.peer);
        if refusals == 1 {
            log::warn!("{peer} ({id}) is over the command budget");
        }
        // A ping over the budget is answered all the same (answering costs
        // no more than refusing, and a client that gets no answer takes the
        // server for dead), but it counts as over.
        let ping = matches!(cmd, Ok(Some(Command::Ping { .. })));
        if !ping {
            self.refuse(
                id,
                Reason::RateLimited {
                    scope: LimitScope::CommandBudget,
                    retry_secs: secs,
                },
            );
        }
        if refusals > max_refusals {
            log::warn!("{peer} ({id}) closed: far over the command budget");
            self.close(id, CloseReason::RateLimited, LeaveReason::Lost);
            return false;
        }
        ping
    }

    // ---- answers from the caller ----------------------------------------

    fn on_password_done(
        &mut self,
        job: JobId,
        answer: Result<PasswordAnswer, crate::password::PasswordError>,
    ) {
        let Some((job, peer)) = self.jobs.remove(&job) else {
            return;
        };
        if let Some(n) = self.password_work.get_mut(&peer) {
            *n -= 1;
            if *n == 0 {
                self.password_work.remove(&peer);
            }
        }
        match job {
            Job::Register { conn, name } => self.on_register_hashed(conn, name, answer),
            Job::Login { conn, key } => self.on_login_verified(conn, key, answer),
            Job::CheckOldPassword { conn, new } => self.on_old_password_checked(conn, new, answer),
            Job::HashNewPassword { conn } => self.on_new_password_hashed(conn, answer),
            Job::Oper { conn, key } => self.on_oper_verified(conn, key, answer),
        }
    }

    fn on_persisted(&mut self, id: PersistId, result: Result<(), PersistFailed>) {
        let Some(Pending { conn, change }) = self.pending.remove(&id) else {
            // Untracked: a history line (see `remember`).
            if let Err(failed) = result {
                log::warn!("could not save a history line: {}", failed.0);
            }
            return;
        };
        match &change {
            StoreChange::CreateRoom(record) => {
                let key = record.name.key();
                self.rooms.end_create(&key);
                if result.is_err() {
                    self.upkeep.uncount_created(&record.operator.key(), &key);
                }
            }
            StoreChange::RemoveRoom { room } => {
                let key = room.key();
                self.rooms.end_close(&key);
                if result.is_err() {
                    self.room_close_failed(key);
                }
            }
            _ => {}
        }
        if let Some(name) = change.subject() {
            self.directory.end(&name.key());
        }
        let conn = conn.filter(|c| self.live(*c));
        let removed_room = matches!(change, StoreChange::RemoveRoom { .. });
        let saved = result.is_ok();
        // Done waiting before the change is applied: applying it may start
        // another wait (a cluster's room creation then waits for the join).
        if let Some(c) = conn {
            self.set_waiting(c.id, false);
        }
        match result {
            Ok(()) => self.apply_durable(conn, change),
            Err(failed) => {
                // The detail can name a path on the server's disk: log it,
                // and tell the client only that it failed.
                log::warn!("could not save a change: {}", failed.0);
                if let Some(c) = conn {
                    self.refuse(c.id, Reason::CouldNotSave);
                    if matches!(change, StoreChange::AddUser(_)) {
                        self.dialog_restart(c.id);
                    }
                }
            }
        }
        if let Some(c) = conn {
            // An admin's `/closeroomsof` goes on with its next room, the
            // admin waiting again; a failure ends it.
            if removed_room && saved && self.close_next_of_bulk(c) {
                self.set_waiting(c.id, true);
                return;
            }
            if removed_room && !saved {
                self.stop_bulk_close(c);
            }
            self.resume(c.id);
        }
    }

    /// A change is durable: make it true in memory (what it means is
    /// [`StoreChange::apply_to`], as for the store), then answer.
    fn apply_durable(&mut self, conn: Option<ConnRef>, change: StoreChange) {
        if self.cluster.is_some() {
            return self.durable_in_cluster(conn, change);
        }
        // Whoever is in a room being removed is told once it is gone; its
        // creator has one room fewer.
        let members = match &change {
            StoreChange::RemoveRoom { room } => {
                let key = room.key();
                let channel = self.rooms.get(&key);
                if let Some(record) = channel.and_then(|c| c.record.as_ref()) {
                    self.upkeep.uncount_created(&record.operator.key(), &key);
                }
                channel
                    .map(|c| c.members.member_ids().collect())
                    .unwrap_or_default()
            }
            _ => Vec::new(),
        };
        if let Err(e) = change.apply_to(&mut self.tables()) {
            // The store took it: the engine's copy had drifted.
            log::error!("a durable change does not apply in memory: {e}");
            return;
        }
        match change {
            StoreChange::AddUser(record) => {
                let name = record.name;
                let from = conn.and_then(|c| self.conns.get(&c.id)).map(|c| c.peer);
                log::info!("registered {name} from {}", Self::addr_text(from));
                if let Some(c) = conn {
                    self.send(
                        c.id,
                        &Reply::Ok(crate::reply::Done::Registered(name.as_str())),
                    );
                    self.enter_room(c.id, name, false);
                }
            }
            StoreChange::SetGrant { name, grant } => {
                log::info!("grant of {name} set to {grant} by {}", self.who(conn));
                self.on_grant_durable(conn, &name, grant);
            }
            StoreChange::SetPassword { name, .. } => {
                log::info!("password of {name} changed");
                if let Some(c) = conn {
                    self.send(c.id, &Reply::Ok(crate::reply::Done::PasswordChanged));
                }
            }
            StoreChange::Kick(entry) => {
                log::info!("{} kicked by {}", entry.name, entry.by);
                self.on_kick_durable(conn, &entry.name, &entry.by, entry.reason.as_deref());
            }
            StoreChange::Unkick { name } => {
                log::info!("{name} unkicked by {}", self.who(conn));
                if let Some(c) = conn {
                    self.send(
                        c.id,
                        &Reply::Ok(crate::reply::Done::Unkicked(name.as_str())),
                    );
                }
            }
            StoreChange::CreateRoom(record) => self.on_room_created(conn, record),
            StoreChange::SetTopic { room, topic } => self.on_topic_durable(conn, &room, topic),
            StoreChange::RemoveRoom { room } => self.on_room_removed(conn, &room, members),
            // Never tracked (see `remember`).
            StoreChange::AppendLine { .. } => {}
        }
    }
}
