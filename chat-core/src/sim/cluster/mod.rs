//! The cluster simulated: several real engines, each a node, over a
//! simulated broker ([`broker`]) whose acknowledgements the run delays,
//! doubles and loses, whose consumers it sends back, which a node can lose
//! for a while, and nodes that crash and start again (a new run that reads
//! every log from the start).
//!
//! [`Cluster`] is the world, usable step by step from a test (connect a
//! client to a node, send it lines, settle, read its transcript);
//! [`run`] drives one from a seed with random users and faults and checks
//! the cluster's invariants:
//!
//! - every node applies a room's lines in the log's one order, none
//!   twice, none skipped (each node run from where it started reading);
//! - every client sees the lines of a room in that order, never one twice,
//!   and none missing between its first and its last;
//! - a line whose sender saw it echoed is in the log (nothing acknowledged
//!   is lost), an acknowledged registration and kick are in the buckets;
//! - at most one session per account once the cluster is quiet.

pub mod broker;

use std::collections::{HashMap, HashSet};
use std::fmt::Write as _;

use crate::cluster::{
    AppendFailed, ClusterConfig, ClusterInput, ClusterOutput, Log, NodeId, NodeName, RoomEvent,
};
use crate::codec::Protocol;
use crate::{ChatEvent, Config, ConnId, Engine, Input, Millis, Output, PersistFailed, PersistId};

use super::hasher;
use super::rng::Rng;
use super::trace::Trace;
use super::Report;
use broker::{Broker, Change, Lost};

/// What the broker does wrong, per mille of acknowledgements.
#[derive(Clone, Copy, Debug, Default)]
pub struct Faults {
    /// An append is stored but its acknowledgement lost (the node hears a
    /// timeout).
    pub lose_ack: u64,
    /// An append is not stored at all (the node hears a timeout).
    pub lose_append: u64,
    /// An acknowledgement arrives twice.
    pub double_ack: u64,
    /// An acknowledgement arrives late (up to 2 s).
    pub delay_ack: u64,
}

/// An answer on its way to a node.
#[derive(Debug)]
struct Due {
    at: Millis,
    node: usize,
    input: Fed,
}

#[derive(Debug, Clone)]
enum Fed {
    Cluster(ClusterInput),
    Persisted(PersistId, Result<(), PersistFailed>),
}

/// A node: its engine (none while crashed), where it is in each log and
/// in the changes, and what it applied.
struct SimNode {
    name: NodeName,
    epoch: u64,
    engine: Option<Engine>,
    cursors: Vec<usize>,
    watch: usize,
    /// Whether it can reach the broker.
    up: bool,
    /// Lobby lines this run applied (its `Message` events), in order.
    applied: Vec<String>,
    /// Where in the lobby's order this run started.
    started_at: usize,
}

/// A simulated client: which node, its connection and transcript.
#[derive(Debug)]
pub struct Client {
    /// Its node.
    pub node: usize,
    /// Its connection.
    pub conn: ConnId,
    /// The node run it connected to (a crash ends it).
    epoch: u64,
    /// Complete server lines received.
    pub lines: Vec<String>,
    partial: Vec<u8>,
    /// Lines not yet taken by [`Cluster::take`].
    unread: usize,
    /// Closed by the node (or its crash).
    pub closed: bool,
}

/// The simulated cluster.
pub struct Cluster {
    config: Config,
    /// The broker.
    pub broker: Broker,
    nodes: Vec<SimNode>,
    clients: HashMap<String, Client>,
    by_conn: HashMap<(usize, ConnId), String>,
    next_conn: u64,
    /// The time.
    pub now: Millis,
    dues: Vec<Due>,
    /// Faults to inject.
    pub faults: Faults,
    rng: Rng,
    /// Lines every client's echo proved stored: (text).
    pub echoed: HashSet<String>,
    /// Every step, for a failure report.
    pub trace: Trace,
    /// Changes to every node's cluster settings (made at each start).
    tune: fn(&mut ClusterConfig),
}

fn node_name(i: usize) -> NodeName {
    NodeName::parse(&format!("n{i}")).expect("a valid node name")
}

impl Cluster {
    /// `nodes` nodes over a broker of 2 logs, with `config` (each node's
    /// engine gets the shared state at start).
    pub fn new(nodes: usize, config: Config, seed: u64) -> Cluster {
        Cluster::with_settings(nodes, config, seed, |_| {})
    }

    /// As [`new`](Cluster::new), with `tune` applied to every node's
    /// cluster settings (the simulator's own first).
    pub fn with_settings(
        nodes: usize,
        config: Config,
        seed: u64,
        tune: fn(&mut ClusterConfig),
    ) -> Cluster {
        let mut c = Cluster {
            config,
            broker: Broker::new(2),
            nodes: Vec::new(),
            clients: HashMap::new(),
            by_conn: HashMap::new(),
            next_conn: 1,
            now: Millis(1_700_000_000_000),
            dues: Vec::new(),
            faults: Faults::default(),
            rng: Rng::new(seed),
            echoed: HashSet::new(),
            trace: Trace::new(false),
            tune,
        };
        for i in 0..nodes {
            c.nodes.push(SimNode {
                name: node_name(i),
                epoch: 0,
                engine: None,
                cursors: vec![0; 2],
                watch: 0,
                up: true,
                applied: Vec::new(),
                started_at: 0,
            });
            c.start_node(i);
        }
        c.settle();
        c
    }

    /// (Re)starts node `i` as a new run: the buckets' state as its
    /// snapshot, every log from its start.
    pub fn start_node(&mut self, i: usize) {
        let epoch = self.nodes[i].epoch + 1;
        let snapshot = self.broker.snapshot();
        let mut config = self.config.clone();
        config.emit_events = true;
        let mut cc = ClusterConfig::new(NodeId {
            name: self.nodes[i].name.clone(),
            epoch,
        });
        cc.append_timeout_ms = 5_000;
        (self.tune)(&mut cc);
        let engine = Engine::new(config, snapshot)
            .expect("a valid config")
            .into_node(cc);
        let node = &mut self.nodes[i];
        node.epoch = epoch;
        node.engine = Some(engine);
        node.cursors = vec![0; self.broker.streams.len()];
        node.watch = self.broker.changes.len();
        node.applied.clear();
        node.started_at = 0;
        self.trace.line(format!("start n{i}#{epoch}"));
        let up = node.up;
        self.feed(i, Fed::Cluster(ClusterInput::Broker(up)));
        // Catch up with the logs, then serve.
        self.deliver_logs(i, usize::MAX);
        self.feed(i, Fed::Cluster(ClusterInput::Ready));
    }

    /// An account made by the operator (an admin's, which the network
    /// cannot register), written to the buckets as a node would.
    pub fn add_account(&mut self, name: &str, password: &str, admin: bool) {
        let record = crate::UserRecord {
            name: crate::UserName::parse(name).expect("a valid name"),
            phc: hasher::fake_phc(self.rng.next_u64(), password),
            grant: if admin {
                crate::Grant::Admin
            } else {
                crate::Grant::User
            },
            created: self.now,
        };
        let _ = self.broker.write(&crate::StoreChange::AddUser(record));
    }

    /// Node `i` crashes: its engine is gone, its clients cut off.
    pub fn crash(&mut self, i: usize) {
        self.trace.line(format!("crash n{i}"));
        self.nodes[i].engine = None;
        self.dues.retain(|d| d.node != i);
        let epoch = self.nodes[i].epoch;
        for c in self.clients.values_mut() {
            if c.node == i && c.epoch == epoch {
                c.closed = true;
            }
        }
    }

    /// Node `i` loses the broker (`false`) or has it again.
    pub fn set_reachable(&mut self, i: usize, up: bool) {
        self.trace.line(format!("n{i} broker {up}"));
        self.nodes[i].up = up;
        self.feed(i, Fed::Cluster(ClusterInput::Broker(up)));
    }

    /// Sends node `i`'s consumers back `n` entries in every log (a
    /// consumer created again from an older sequence): the node must not
    /// apply anything twice.
    pub fn rewind(&mut self, i: usize, n: usize) {
        self.trace.line(format!("rewind n{i} by {n}"));
        for c in &mut self.nodes[i].cursors {
            *c = c.saturating_sub(n);
        }
    }

    fn feed(&mut self, i: usize, input: Fed) {
        let now = self.now;
        let Some(engine) = self.nodes[i].engine.as_mut() else {
            return;
        };
        match input {
            Fed::Cluster(c) => engine.handle(now, Input::Cluster(c)),
            Fed::Persisted(id, result) => engine.handle(now, Input::Persisted { id, result }),
        }
        self.drain(i);
    }

    /// A client connects to node `i` (chat/1).
    pub fn connect(&mut self, i: usize, label: &str) {
        let conn = ConnId(self.next_conn);
        self.next_conn += 1;
        let epoch = self.nodes[i].epoch;
        self.clients.insert(
            label.to_owned(),
            Client {
                node: i,
                conn,
                epoch,
                lines: Vec::new(),
                partial: Vec::new(),
                unread: 0,
                closed: false,
            },
        );
        self.by_conn.insert((i, conn), label.to_owned());
        let now = self.now;
        if let Some(engine) = self.nodes[i].engine.as_mut() {
            engine.handle(
                now,
                Input::Opened {
                    conn,
                    peer: "127.0.0.1".parse().expect("an address"),
                    protocol: Protocol::Chat1,
                },
            );
        }
        self.drain(i);
    }

    /// A client sends a line.
    pub fn send(&mut self, label: &str, line: &str) {
        let Some(c) = self.clients.get(label) else {
            return;
        };
        if c.closed {
            return;
        }
        let (i, conn) = (c.node, c.conn);
        self.trace.line(format!("{label}@n{i} > {line}"));
        let bytes = format!("{line}\n");
        let now = self.now;
        if let Some(engine) = self.nodes[i].engine.as_mut() {
            engine.handle(
                now,
                Input::Received {
                    conn,
                    bytes: bytes.as_bytes(),
                },
            );
        }
        self.drain(i);
    }

    /// A client's lines since the last take.
    pub fn take(&mut self, label: &str) -> Vec<String> {
        let Some(c) = self.clients.get_mut(label) else {
            return Vec::new();
        };
        let new = c.lines[c.unread..].to_vec();
        c.unread = c.lines.len();
        new
    }

    /// A client.
    pub fn client(&self, label: &str) -> Option<&Client> {
        self.clients.get(label)
    }

    /// Routes node `i`'s outputs.
    fn drain(&mut self, i: usize) {
        loop {
            let Some(out) = self.nodes[i].engine.as_mut().and_then(Engine::poll_output) else {
                return;
            };
            match out {
                Output::Send { conn, frame } => self.deliver(i, conn, &frame),
                Output::Broadcast { to, frame } => {
                    for conn in to.iter() {
                        self.deliver(i, conn, &frame);
                    }
                }
                Output::Close { conn, .. } => {
                    if let Some(c) = self
                        .by_conn
                        .get(&(i, conn))
                        .and_then(|l| self.clients.get_mut(l))
                    {
                        c.closed = true;
                    }
                }
                Output::Password(job) => {
                    let salt = self.rng.next_u64();
                    let answer = hasher::answer(&job, salt, false);
                    let now = self.now;
                    if let Some(e) = self.nodes[i].engine.as_mut() {
                        e.handle(
                            now,
                            Input::PasswordDone {
                                job: job.id,
                                answer,
                            },
                        );
                    }
                }
                Output::Persist(req) => {
                    let input = if !self.nodes[i].up {
                        Fed::Persisted(req.id, Err(PersistFailed("broker lost".into())))
                    } else {
                        match self.broker.write(&req.change) {
                            Ok(()) => Fed::Persisted(req.id, Ok(())),
                            Err(Lost::Exists) => {
                                Fed::Cluster(ClusterInput::Conflict { id: req.id })
                            }
                        }
                    };
                    self.answer(i, input, 0);
                }
                Output::Cluster(out) => self.on_cluster_output(i, *out),
                Output::Event(event) => {
                    // The checks follow the lobby's log.
                    if let ChatEvent::Message { text, room, .. } = *event {
                        if room.as_str().eq_ignore_ascii_case(crate::LOBBY) {
                            self.nodes[i].applied.push(text.to_string());
                        }
                    }
                }
                _ => {}
            }
        }
    }

    fn on_cluster_output(&mut self, i: usize, out: ClusterOutput) {
        match out {
            ClusterOutput::Append {
                token,
                msg_id,
                log,
                event,
            } => {
                if !self.nodes[i].up {
                    return self.answer(
                        i,
                        Fed::Cluster(ClusterInput::Appended {
                            token,
                            result: Err(AppendFailed::Timeout),
                        }),
                        2_000,
                    );
                }
                let f = self.faults;
                if self.rng.chance(f.lose_append) {
                    self.trace.line(format!("lost append {msg_id}"));
                    return self.timeout(i, token);
                }
                let (_, seq, dup) = self.broker.append(&msg_id, log, event);
                self.trace
                    .line(format!("append {msg_id} seq {seq} dup {dup}"));
                if self.rng.chance(f.lose_ack) {
                    return self.timeout(i, token);
                }
                let delay = if self.rng.chance(f.delay_ack) {
                    self.rng.range(1, 2_000)
                } else {
                    0
                };
                let ack = Fed::Cluster(ClusterInput::Appended {
                    token,
                    result: Ok(seq),
                });
                if self.rng.chance(f.double_ack) {
                    self.answer(i, ack.clone(), delay + 1);
                }
                self.answer(i, ack, delay);
            }
            // Lost with the broker: the node publishes again later.
            _ if !self.nodes[i].up => {}
            ClusterOutput::ClaimSession { user, owner } => {
                self.broker.changes.push(Change::Session(user, owner));
            }
            ClusterOutput::Presence(p) => self.broker.changes.push(Change::Presence(p)),
            ClusterOutput::Heartbeat(n) => self.broker.changes.push(Change::Heartbeat(n)),
            _ => {}
        }
    }

    /// The node hears nothing back and times the append out.
    fn timeout(&mut self, i: usize, token: u64) {
        self.answer(
            i,
            Fed::Cluster(ClusterInput::Appended {
                token,
                result: Err(AppendFailed::Timeout),
            }),
            2_000,
        );
    }

    fn answer(&mut self, i: usize, input: Fed, delay: u64) {
        self.dues.push(Due {
            at: Millis(self.now.0 + delay),
            node: i,
            input,
        });
    }

    fn deliver(&mut self, i: usize, conn: ConnId, frame: &[u8]) {
        let Some(label) = self.by_conn.get(&(i, conn)) else {
            return;
        };
        let Some(c) = self.clients.get_mut(label) else {
            return;
        };
        c.partial.extend_from_slice(frame);
        while let Some(end) = c.partial.iter().position(|b| *b == b'\n') {
            let line: Vec<u8> = c.partial.drain(..=end).collect();
            let text = String::from_utf8_lossy(&line[..line.len() - 1]).into_owned();
            c.lines.push(text);
        }
    }

    /// Delivers up to `max` log entries per log to node `i`, in each log's
    /// order.
    fn deliver_logs(&mut self, i: usize, max: usize) -> bool {
        let mut any = false;
        for s in 0..self.broker.streams.len() {
            let mut n = 0;
            while n < max && self.nodes[i].up && self.nodes[i].engine.is_some() {
                let at = self.nodes[i].cursors[s];
                let Some(stored) = self.broker.streams[s].get(at).cloned() else {
                    break;
                };
                self.nodes[i].cursors[s] = at + 1;
                n += 1;
                any = true;
                self.feed(
                    i,
                    Fed::Cluster(ClusterInput::Entry {
                        log: stored.log,
                        seq: at as u64 + 1,
                        event: stored.event,
                    }),
                );
            }
        }
        any
    }

    /// Delivers the changes node `i` has not heard.
    fn deliver_changes(&mut self, i: usize) -> bool {
        let mut any = false;
        while self.nodes[i].up && self.nodes[i].engine.is_some() {
            let at = self.nodes[i].watch;
            let Some(change) = self.broker.changes.get(at).cloned() else {
                break;
            };
            self.nodes[i].watch = at + 1;
            any = true;
            let input = match change {
                Change::Store(c) => ClusterInput::Replicated(c),
                Change::Session(user, owner) => ClusterInput::Session { user, owner },
                Change::Presence(p) => ClusterInput::Presence(p),
                Change::Heartbeat(n) => ClusterInput::Heartbeat(n),
            };
            self.feed(i, Fed::Cluster(input));
        }
        any
    }

    /// One round: answers due now, then each node's next log entries and
    /// changes. Whether anything happened.
    pub fn round(&mut self, per_log: usize) -> bool {
        let now = self.now;
        let mut any = false;
        let due: Vec<Due> = {
            let (due, later) = std::mem::take(&mut self.dues)
                .into_iter()
                .partition(|d| d.at <= now);
            self.dues = later;
            due
        };
        for d in due {
            any = true;
            self.feed(d.node, d.input);
        }
        for i in 0..self.nodes.len() {
            any |= self.deliver_logs(i, per_log);
            any |= self.deliver_changes(i);
        }
        any
    }

    /// Runs rounds (and deadlines) until nothing is left to deliver now.
    pub fn settle(&mut self) {
        for _ in 0..10_000 {
            if !self.round(usize::MAX) {
                break;
            }
        }
    }

    /// Moves the clock on by `ms`, firing each node's deadlines, settling
    /// at each.
    pub fn advance(&mut self, ms: u64) {
        let end = self.now.0 + ms;
        loop {
            self.settle();
            let next = self
                .nodes
                .iter()
                .filter_map(|n| n.engine.as_ref()?.poll_timeout())
                .chain(self.dues.iter().map(|d| d.at))
                .filter(|t| t.0 <= end)
                .min();
            let Some(next) = next else {
                break;
            };
            self.now = Millis(next.0.max(self.now.0 + 1).min(end));
            for i in 0..self.nodes.len() {
                let due = self.nodes[i]
                    .engine
                    .as_ref()
                    .and_then(Engine::poll_timeout)
                    .is_some_and(|t| t <= self.now);
                if due {
                    let now = self.now;
                    if let Some(e) = self.nodes[i].engine.as_mut() {
                        e.handle(now, Input::Timeout);
                    }
                    self.drain(i);
                }
            }
            if self.now.0 >= end {
                break;
            }
        }
        self.now = Millis(end);
        self.settle();
    }

    /// The lobby's lines in the log's order.
    pub fn lobby_log(&self) -> Vec<String> {
        let lobby = crate::RoomName::parse(crate::LOBBY).expect("valid").key();
        let s = self.broker.stream_of(&Log::Room(lobby.clone()));
        self.broker.streams[s]
            .iter()
            .filter(|e| e.log == Log::Room(lobby.clone()))
            .filter_map(|e| match &e.event {
                RoomEvent::Line { text, .. } => Some(text.clone()),
                _ => None,
            })
            .collect()
    }

    /// Checks the invariants; the first broken one.
    pub fn check(&self) -> Result<(), String> {
        let log = self.lobby_log();
        let position: HashMap<&str, usize> = log
            .iter()
            .enumerate()
            .map(|(i, t)| (t.as_str(), i))
            .collect();
        // Every line is said once: twice in the log is an append stored
        // twice (a retry the broker did not recognize).
        if position.len() != log.len() {
            let mut seen = HashSet::new();
            let twice = log.iter().find(|t| !seen.insert(t.as_str()));
            return Err(format!("{twice:?} is in the log twice"));
        }
        // Every node run applies the lobby's lines in the log's order,
        // from its start, none skipped or twice.
        for (i, n) in self.nodes.iter().enumerate() {
            if n.engine.is_none() {
                continue;
            }
            let expect =
                &log[n.started_at..n.started_at + n.applied.len().min(log.len() - n.started_at)];
            if n.applied.len() > log.len() - n.started_at || n.applied[..] != expect[..] {
                return Err(format!(
                    "node n{i} applied {:?}, the log says {:?}",
                    n.applied, expect
                ));
            }
        }
        // Every client: the log's order, none twice, none missing between
        // its first and last.
        for (label, c) in &self.clients {
            let seen: Vec<usize> = c
                .lines
                .iter()
                .filter_map(|l| lobby_text(l))
                .map(|t| {
                    position
                        .get(t)
                        .copied()
                        .ok_or_else(|| format!("{label} saw {t:?}, which is not in the log"))
                })
                .collect::<Result<_, _>>()?;
            for w in seen.windows(2) {
                if w[1] <= w[0] {
                    return Err(format!(
                        "{label} saw {:?} after {:?} (out of order or twice)",
                        log[w[1]], log[w[0]]
                    ));
                }
                if w[1] != w[0] + 1 {
                    return Err(format!(
                        "{label} missed {:?} between {:?} and {:?}",
                        log[w[0] + 1],
                        log[w[0]],
                        log[w[1]]
                    ));
                }
            }
        }
        // Nothing acknowledged is lost.
        for text in &self.echoed {
            if !position.contains_key(text.as_str()) {
                return Err(format!("echoed line {text:?} is not in the log"));
            }
        }
        Ok(())
    }

    /// Online sessions per account over every node (each client whose
    /// last `WELCOME` is not followed by its close).
    pub fn sessions(&self) -> HashMap<String, usize> {
        let mut count = HashMap::new();
        for c in self.clients.values() {
            if c.closed {
                continue;
            }
            let welcome = c
                .lines
                .iter()
                .rev()
                .find_map(|l| l.strip_prefix("WELCOME "));
            if let Some(rest) = welcome {
                let name = rest
                    .split(' ')
                    .next()
                    .unwrap_or_default()
                    .to_ascii_lowercase();
                *count.entry(name).or_insert(0) += 1;
            }
        }
        count
    }

    /// Notes the lines the client's echo proves stored.
    pub fn note_echoes(&mut self, label: &str) {
        let Some(c) = self.clients.get(label) else {
            return;
        };
        let mine: Vec<String> = c
            .lines
            .iter()
            .filter_map(|l| {
                let text = lobby_text(l)?;
                text.ends_with(&format!(" from {label}"))
                    .then(|| text.to_owned())
            })
            .collect();
        self.echoed.extend(mine);
    }
}

/// The text of a lobby line (`MSG <at> <from> <text>`).
fn lobby_text(line: &str) -> Option<&str> {
    let rest = line.strip_prefix("MSG ")?;
    let mut parts = rest.splitn(3, ' ');
    parts.next()?;
    parts.next()?;
    parts.next()
}

/// What to run.
#[derive(Clone, Debug)]
pub struct ClusterSimOptions {
    /// The seed.
    pub seed: u64,
    /// Steps.
    pub steps: u32,
    /// Nodes.
    pub nodes: usize,
    /// The planted bug: the broker ignores message ids (see
    /// [`Broker::ignore_msg_ids`]); the checks must catch it.
    pub planted_duplicates: bool,
}

impl ClusterSimOptions {
    /// 3 nodes, 400 steps.
    pub fn new(seed: u64) -> ClusterSimOptions {
        ClusterSimOptions {
            seed,
            steps: 400,
            nodes: 3,
            planted_duplicates: false,
        }
    }
}

/// Runs one seed of the cluster: users on random nodes saying lines,
/// logging in again elsewhere, one name registered on two nodes at once,
/// kicks, with lost, doubled and late acknowledgements, consumers sent
/// back, a node losing the broker and nodes crashing.
pub fn run(opts: &ClusterSimOptions) -> Report {
    let mut config = Config::default();
    config.limits.messages_per_second = 0;
    config.limits.command_units_per_second = 0;
    config.limits.exempt_loopback = true;
    config.admins = vec!["root".into()];
    let mut rng = Rng::new(opts.seed);
    let mut c = Cluster::new(opts.nodes, config, rng.next_u64());
    c.broker.ignore_msg_ids = opts.planted_duplicates;
    c.faults = Faults {
        lose_ack: 30,
        lose_append: 20,
        double_ack: 30,
        delay_ack: 60,
    };
    let names = ["u0", "u1", "u2", "u3", "u4"];
    let mut serial = 0u64;
    let mut labels: Vec<(String, &str)> = Vec::new();
    let mut steps = 0;
    let mut failure = None;
    for step in 0..opts.steps {
        steps = step + 1;
        let roll = rng.below(100);
        let node = rng.below(opts.nodes);
        match roll {
            0..=14 => {
                // A user logs in (registering the first time) on a node.
                let name = names[rng.below(names.len())];
                serial += 1;
                let label = format!("{name}-{serial}");
                c.connect(node, &label);
                c.send(&label, &format!("/register {name} pass-{name}-0"));
                c.settle();
                let refused = c.take(&label).iter().any(|l| l.starts_with("ERR "));
                if refused {
                    c.send(&label, &format!("/login {name} pass-{name}-0"));
                }
                labels.push((label, name));
            }
            15..=74 => {
                if let Some((label, _)) = labels.get(rng.below(labels.len().max(1))).cloned() {
                    serial += 1;
                    c.send(&label, &format!("line-{serial} from {label}"));
                }
            }
            75..=79 => {
                if let Some((label, _)) = labels.get(rng.below(labels.len().max(1))).cloned() {
                    c.send(&label, "/quit");
                }
            }
            80..=82 => c.rewind(node, rng.below(4)),
            83..=84 => {
                let up = c.nodes[node].up;
                c.set_reachable(node, !up);
            }
            85 => {
                c.crash(node);
                c.start_node(node);
            }
            _ => {
                let ms = rng.range(1, 3_000);
                c.advance(ms);
            }
        }
        c.round(1 + rng.below(3));
        let echoed: Vec<String> = labels.iter().map(|(l, _)| l.clone()).collect();
        for l in echoed {
            c.note_echoes(&l);
        }
        if let Err(e) = c.check() {
            failure = Some(e);
            break;
        }
    }
    if failure.is_none() {
        for i in 0..opts.nodes {
            if !c.nodes[i].up {
                c.set_reachable(i, true);
            }
        }
        c.advance(20_000);
        if let Err(e) = c.check() {
            failure = Some(e);
        } else if let Some((name, n)) = c.sessions().into_iter().find(|(_, n)| *n > 1) {
            failure = Some(format!("{name} has {n} sessions once the cluster is quiet"));
        }
    }
    let mut summary = String::new();
    let _ = write!(summary, "{} lobby lines", c.lobby_log().len());
    c.trace.line(summary);
    Report {
        seed: opts.seed,
        steps,
        hash: c.trace.hash(),
        failure,
        trace: c.trace.into_lines(),
        unacked_registrations: 0,
    }
}
