//! The load generator's event loop: one mio `Poll` over every client
//! connection, reused buffers, no allocation per received line.

use std::io::{self, Read, Write};
use std::time::{Duration, Instant};

use mio::net::TcpStream;
use mio::{Events, Interest, Poll, Token};

use crate::cli::Args;
use crate::payload::{self, Stamp};
use crate::procfs;
use crate::proto::{Proto, Seen};
use crate::report::{Report, StormReport};
use crate::stats::Latency;
use crate::wire::Wire;

/// Why a run could not finish.
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    /// The event loop failed.
    #[error("i/o: {0}")]
    Io(#[from] io::Error),
    /// Not every client got in before the login timeout.
    #[error("only {ready} of {wanted} clients logged in within {secs} s ({errors} errors, {closed} closed)")]
    Login {
        /// Logged in.
        ready: usize,
        /// Asked for.
        wanted: usize,
        /// The timeout.
        secs: f64,
        /// ERR lines seen.
        errors: u64,
        /// Connections closed.
        closed: u64,
    },
    /// --go-file never appeared.
    #[error("{path} did not appear within {secs} s")]
    Go {
        /// The file waited for.
        path: String,
        /// How long.
        secs: f64,
    },
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum State {
    Waiting,
    Connecting,
    LoggingIn,
    Ready,
    Closed,
}

struct Client {
    stream: Option<TcpStream>,
    name: String,
    state: State,
    out: Vec<u8>,
    out_pos: usize,
    partial: Vec<u8>,
    login_started: Instant,
    storm: bool,
    retries: u32,
    /// Whether a retried registration was answered with a login (see
    /// `on_line`).
    relogged: bool,
    /// TLS or WebSocket layers (`None` on plain TCP).
    wire: Option<Wire>,
    /// Once logged in: the last line the server sent that was not a room
    /// message, for `close_reasons`.
    last_line: String,
}

struct Sender {
    client: usize,
    seq: u64,
    /// Messages of this sender seen by its observer.
    seen: u64,
    next_at: Instant,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Phase {
    Login,
    Warmup,
    Measure,
}

struct Run<'a> {
    args: &'a Args,
    /// Idle runs with --probe or --probe-listen: per client, whether it
    /// has read the probe (empty otherwise). Counted whenever it comes.
    probe_read: Vec<bool>,
    /// Each reader's time from the probe's send (its Unix-time stamp).
    probe_reach: Latency,
    /// The same, one entry per reader, for --probe-times (µs).
    probe_reach_us: Vec<u64>,
    /// Logged-in connections lost, by what the server said last.
    close_reasons: std::collections::HashMap<String, u64>,
    proto: Proto,
    poll: Poll,
    clients: Vec<Client>,
    senders: Vec<Sender>,
    /// For IRC, which does not echo: the client whose view counts a
    /// message as delivered for the window. For chat, the sender itself.
    observer: Option<usize>,
    /// Per receiver, per sender: the next sequence number expected.
    expected: Vec<Vec<u64>>,
    t0: Instant,
    phase: Phase,
    queue: std::collections::VecDeque<usize>,
    logging_in: usize,
    ready: usize,
    login_times: Latency,
    latency: Latency,
    storm_latency: Latency,
    storm_login: Latency,
    storm_window: Option<(Instant, Option<Instant>)>,
    deliveries: u64,
    sent: u64,
    errors: u64,
    closed: u64,
    gaps: u64,
    retried: u64,
    read_buf: Vec<u8>,
    /// Bytes received by all clients so far.
    received: u64,
    /// One message's payload, before the protocol frames it.
    scratch: Vec<u8>,
    /// The TLS configuration, with --tls.
    tls: Option<std::sync::Arc<rustls::ClientConfig>>,
    /// Lines a client's wire decoded, reused between reads.
    lines: Vec<u8>,
    /// With --timeline: per message sent while measuring, keyed by sender
    /// and sequence number.
    timeline: Option<Timeline>,
    /// When the measured window started, on the clock of `t0` (ns).
    measure_start_ns: u64,
}

/// What --timeline records of each message (ns on the clock of `t0`).
#[derive(Default)]
struct Timeline {
    messages: std::collections::HashMap<(u32, u64), Reads>,
}

/// One message's reads.
struct Reads {
    sent: u64,
    first: u64,
    last: u64,
    receipts: u32,
}

impl Timeline {
    fn record(&mut self, stamp: Stamp, now_ns: u64) {
        let seen = self
            .messages
            .entry((stamp.sender, stamp.seq))
            .or_insert(Reads {
                sent: stamp.sent_ns,
                first: now_ns,
                last: now_ns,
                receipts: 0,
            });
        seen.first = seen.first.min(now_ns);
        seen.last = seen.last.max(now_ns);
        seen.receipts += 1;
    }

    /// The CSV, messages in the order they were sent, times in µs from
    /// `start_ns`.
    fn write(&self, path: &std::path::Path, start_ns: u64) -> io::Result<()> {
        let mut rows: Vec<(&(u32, u64), &Reads)> = self.messages.iter().collect();
        rows.sort_by_key(|(_, s)| s.sent);
        let mut out = String::from("sender,seq,sent_us,first_us,last_us,receipts\n");
        let us = |ns: u64| (ns - start_ns) / 1_000;
        for ((sender, seq), s) in rows {
            out.push_str(&format!(
                "{sender},{seq},{},{},{},{}\n",
                us(s.sent),
                us(s.first),
                us(s.last),
                s.receipts
            ));
        }
        std::fs::write(path, out)
    }
}

const GAP_UNSET: u64 = u64::MAX;
/// Attempts to log a client in before its connection counts as closed.
const MAX_RETRIES: u32 = 5;
/// How long one login attempt may take before it is tried again.
const STUCK: Duration = Duration::from_secs(10);
/// An idle run's window starts once no client has received anything for
/// this long.
const QUIET: Duration = Duration::from_millis(250);

/// Seconds between two readings of a clock, if both were read.
fn spent(start: Option<f64>, end: Option<f64>) -> Option<f64> {
    Some(end? - start?)
}

/// The CPU seconds of the server's processes, summed (none given: none).
fn cpu_of(pids: &[u32]) -> Option<f64> {
    (!pids.is_empty()).then(|| pids.iter().filter_map(|p| procfs::cpu_seconds(*p)).sum())
}

/// The resident memory of the server's processes, summed (KiB).
fn rss_of(pids: &[u32]) -> Option<u64> {
    (!pids.is_empty()).then(|| pids.iter().filter_map(|p| procfs::rss_kib(*p)).sum())
}

/// Now, as Unix time in milliseconds (comparable between processes).
fn unix_ms() -> f64 {
    unix_ns() as f64 / 1e6
}

/// Now, as Unix time in nanoseconds (the probe's stamp: comparable
/// between load processes on one machine).
fn unix_ns() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos() as u64)
}

/// Runs one measurement as `args` says.
pub fn run(args: &Args) -> Result<Report, LoadError> {
    if let Err(e) = rlimit::increase_nofile_limit(u64::MAX) {
        eprintln!("chat-load: cannot raise the open-file limit: {e}");
    }
    let proto: Proto = args.proto.into();
    let run_id = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() % 1_000_000);
    let total = args.clients + args.storm;
    let now = Instant::now();
    let clients: Vec<Client> = (0..total)
        .map(|i| Client {
            stream: None,
            name: match &args.names {
                Some(prefix) => format!("{prefix}{i}"),
                None => format!("ld{run_id}x{i}"),
            },
            state: State::Waiting,
            out: Vec::new(),
            out_pos: 0,
            partial: Vec::new(),
            login_started: now,
            storm: i >= args.clients,
            retries: 0,
            relogged: false,
            wire: None,
            last_line: String::new(),
        })
        .collect();
    let sender_count = if args.idle { 0 } else { args.senders };
    let senders = (0..sender_count)
        .map(|i| Sender {
            client: i,
            seq: 0,
            seen: 0,
            next_at: now,
        })
        .collect();
    let observer = (proto == Proto::Irc && !args.idle).then_some(args.clients - 1);
    let mut run = Run {
        args,
        proto,
        poll: Poll::new()?,
        // The probe's one sender is added once everyone is in.
        expected: vec![vec![GAP_UNSET; sender_count.max(usize::from(args.probe))]; total],
        clients,
        senders,
        observer,
        t0: now,
        phase: Phase::Login,
        queue: (0..args.clients).collect(),
        logging_in: 0,
        ready: 0,
        login_times: Latency::default(),
        latency: Latency::default(),
        storm_latency: Latency::default(),
        storm_login: Latency::default(),
        storm_window: None,
        deliveries: 0,
        sent: 0,
        errors: 0,
        closed: 0,
        gaps: 0,
        retried: 0,
        read_buf: vec![0; 256 * 1024],
        scratch: Vec::with_capacity(256),
        tls: match (&args.tls, &args.ca_file) {
            (true, Some(ca)) => Some(crate::wire::tls_config(ca)?),
            _ => None,
        },
        lines: Vec::new(),
        received: 0,
        probe_read: if args.idle && (args.probe || args.probe_listen) {
            vec![false; total]
        } else {
            Vec::new()
        },
        probe_reach: Latency::default(),
        probe_reach_us: Vec::new(),
        close_reasons: Default::default(),
        timeline: args.timeline.as_ref().map(|_| Timeline::default()),
        measure_start_ns: 0,
    };
    run.go()
}

impl Run<'_> {
    fn go(&mut self) -> Result<Report, LoadError> {
        let args = self.args;
        let rss_before = rss_of(&args.server_pid);
        let start = Instant::now();
        let login_deadline = start + Duration::from_secs_f64(args.login_timeout);
        let mut events = Events::with_capacity(4096);

        // Connect and log in everyone, a batch at a time.
        self.start_connects()?;
        while self.ready < self.args.clients {
            if Instant::now() >= login_deadline {
                return Err(LoadError::Login {
                    ready: self.ready,
                    wanted: args.clients,
                    secs: args.login_timeout,
                    errors: self.errors,
                    closed: self.closed,
                });
            }
            self.turn(&mut events, Some(Duration::from_millis(50)))?;
            self.retry_stuck();
            self.start_connects()?;
        }
        let login_all = start.elapsed();
        let connect_all = login_all;
        let rss_loaded = rss_of(&args.server_pid);
        // The room's JOIN lines reach everyone for a while after the last
        // WELCOME (N^2/2 of them): an idle window starts once they are
        // all in, so it measures connections at rest.
        let settle = if args.idle {
            let since = Instant::now();
            let cap = since + Duration::from_secs_f64(args.login_timeout);
            let mut quiet_since = since;
            while quiet_since.elapsed() < QUIET && Instant::now() < cap {
                let seen = self.received;
                self.turn(&mut events, Some(QUIET / 4))?;
                if self.received != seen {
                    quiet_since = Instant::now();
                }
            }
            Some(since.elapsed().as_secs_f64())
        } else {
            None
        };

        // Warm up, then measure.
        self.phase = Phase::Warmup;
        let now = Instant::now();
        let n = self.senders.len() as u32;
        let spread = if args.rate > 0.0 && !args.aligned {
            Duration::from_secs_f64(1.0 / args.rate)
        } else {
            Duration::ZERO
        };
        for (i, s) in self.senders.iter_mut().enumerate() {
            // Sender i starts i/n of an interval in: independent users do
            // not all press enter in the same microsecond.
            s.next_at = now + spread * i as u32 / n;
        }
        let warm_end = now + Duration::from_secs_f64(args.warmup);
        while Instant::now() < warm_end {
            self.send_due();
            self.turn(&mut events, Some(self.next_wait(warm_end)))?;
        }
        self.latency.reset();
        self.deliveries = 0;
        self.sent = 0;
        self.phase = Phase::Measure;
        self.measure_start_ns = self.t0.elapsed().as_nanos() as u64;
        let cpu_start = cpu_of(&args.server_pid);
        let machine_start = procfs::machine_busy_seconds();
        let load_start = procfs::cpu_seconds(std::process::id());
        let measure_start = Instant::now();
        let measure_end = measure_start + Duration::from_secs_f64(args.duration);
        let storm_at = measure_start + Duration::from_secs_f64(args.storm_at);
        let mut stormed = args.storm == 0;
        while Instant::now() < measure_end {
            if !stormed && Instant::now() >= storm_at {
                stormed = true;
                self.storm_window = Some((Instant::now(), None));
                self.queue.extend(args.clients..args.clients + args.storm);
                // All at once: the storm ignores the connect batch size.
                while let Some(i) = self.queue.pop_front() {
                    self.connect(i)?;
                }
            }
            while let Some(i) = self.queue.pop_front() {
                self.connect(i)?;
            }
            self.send_due();
            self.turn(&mut events, Some(self.next_wait(measure_end)))?;
        }
        let measured = measure_start.elapsed().as_secs_f64();
        let cpu = spent(cpu_start, cpu_of(&args.server_pid));
        let machine_cpu = spent(machine_start, procfs::machine_busy_seconds());
        let load_cpu = spent(load_start, procfs::cpu_seconds(std::process::id()));
        let rss_after = rss_of(&args.server_pid);
        if let (Some(timeline), Some(path)) = (&self.timeline, &args.timeline) {
            timeline.write(path, self.measure_start_ns)?;
        }
        if let Some(path) = &args.ready_file {
            std::fs::write(path, format!("{}\n", self.ready))?;
        }
        let mut probe_sent_unix_ms = None;
        let probing = !self.probe_read.is_empty();
        if probing {
            self.wait_for_go(&mut events)?;
        }
        if args.probe {
            probe_sent_unix_ms = Some(unix_ms());
            self.send_probe();
        }
        if probing {
            self.wait_for_probe(&mut events)?;
            if let Some(path) = &args.probe_times {
                let lines: String = self
                    .probe_reach_us
                    .iter()
                    .map(|us| format!("{us}\n"))
                    .collect();
                std::fs::write(path, lines)?;
            }
        }
        let probe_reach = probing.then(|| self.probe_reach.summary());
        let fanout_all_ms = probe_reach
            .filter(|_| args.probe)
            .map(|r| r.max as f64 / 1000.0);
        let mut close_reasons: Vec<(String, u64)> = self.close_reasons.drain().collect();
        close_reasons.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
        let storm = (args.storm > 0).then(|| StormReport {
            clients: args.storm,
            logged_in: self.clients[args.clients..]
                .iter()
                .filter(|c| c.state == State::Ready)
                .count(),
            login: self.storm_login.summary(),
            during: self.storm_latency.summary(),
            window_s: self
                .storm_window
                .and_then(|(a, b)| b.map(|b| (b - a).as_secs_f64())),
        });
        Ok(Report {
            proto: self.proto,
            clients: args.clients,
            senders: self.senders.len(),
            rate: args.rate,
            aligned: args.aligned && args.rate > 0.0,
            window: args.window,
            payload: args.payload,
            measured_s: measured,
            connect_all_s: connect_all.as_secs_f64(),
            login: self.login_times.summary(),
            sent: self.sent,
            deliveries: self.deliveries,
            latency: self.latency.summary(),
            errors: self.errors,
            closed: self.closed,
            gaps: self.gaps,
            retried: self.retried,
            server_cpu_s: cpu,
            machine_cpu_s: machine_cpu,
            load_cpu_s: load_cpu,
            rss_before_kib: rss_before,
            rss_loaded_kib: rss_loaded,
            rss_after_kib: rss_after,
            storm,
            fanout_all_ms,
            probe_sent_unix_ms,
            probe_reach,
            probe_missing: probing.then(|| self.probe_missing()),
            close_reasons,
            settle_s: settle,
        })
    }

    /// Waits for --go-file (if given), serving the connections meanwhile.
    fn wait_for_go(&mut self, events: &mut Events) -> Result<(), LoadError> {
        let Some(path) = &self.args.go_file else {
            return Ok(());
        };
        let secs = self.args.login_timeout;
        let deadline = Instant::now() + Duration::from_secs_f64(secs);
        while !path.exists() {
            if Instant::now() >= deadline {
                return Err(LoadError::Go {
                    path: path.display().to_string(),
                    secs,
                });
            }
            self.turn(events, Some(Duration::from_millis(50)))?;
        }
        Ok(())
    }

    /// One room message from client 0, stamped with the Unix time so that
    /// every load process can tell how long it took to reach its clients
    /// (chat/1 echoes it to its sender too).
    fn send_probe(&mut self) {
        let stamp = Stamp {
            sender: 0,
            seq: 0,
            sent_ns: unix_ns(),
        };
        self.scratch.clear();
        payload::encode(stamp, self.args.payload, &mut self.scratch);
        if self
            .proto
            .message(&self.scratch, &mut self.clients[0].out)
            .is_err()
        {
            self.errors += 1;
        }
        self.flush(0);
    }

    /// Serves the connections until every client still connected has read
    /// the probe, or --probe-wait is over.
    fn wait_for_probe(&mut self, events: &mut Events) -> Result<(), LoadError> {
        let deadline = Instant::now() + Duration::from_secs_f64(self.args.probe_wait);
        while self.probe_missing() > 0 && Instant::now() < deadline {
            self.turn(events, Some(Duration::from_millis(50)))?;
        }
        Ok(())
    }

    /// Clients still logged in that have not read the probe.
    fn probe_missing(&self) -> usize {
        self.clients
            .iter()
            .zip(&self.probe_read)
            .filter(|(c, read)| c.state == State::Ready && !**read)
            .count()
    }

    /// A room message in an idle run: the probe (nobody else speaks).
    fn on_probe(&mut self, receiver: usize, stamp: Stamp) {
        let Some(read) = self.probe_read.get_mut(receiver) else {
            return;
        };
        if std::mem::replace(read, true) {
            return;
        }
        let ns = unix_ns().saturating_sub(stamp.sent_ns);
        self.probe_reach.record_ns(ns);
        self.probe_reach_us.push(ns / 1_000);
    }

    /// How long the loop may sleep: until the next send is due, at most
    /// until `end`.
    fn next_wait(&self, end: Instant) -> Duration {
        let now = Instant::now();
        let mut at = end;
        if self.args.rate > 0.0 {
            for s in &self.senders {
                at = at.min(s.next_at);
            }
        } else if self.senders.iter().any(|s| self.can_send(s)) {
            return Duration::ZERO;
        }
        at.saturating_duration_since(now)
            .min(Duration::from_millis(20))
    }

    fn can_send(&self, s: &Sender) -> bool {
        self.clients[s.client].state == State::Ready && s.seq - s.seen < self.args.window
    }

    /// A login that made no progress for a while (a SYN lost to a full
    /// backlog, say) is dropped and tried again.
    fn retry_stuck(&mut self) {
        let now = Instant::now();
        for i in 0..self.clients.len() {
            let c = &self.clients[i];
            if matches!(c.state, State::Connecting | State::LoggingIn)
                && now.duration_since(c.login_started) > STUCK
            {
                self.close(i, "login stuck");
            }
        }
    }

    /// The server client `i` connects to: --addr and --also-addr in turn.
    fn addr_of(&self, i: usize) -> std::net::SocketAddr {
        let also = &self.args.also_addr;
        match i % (also.len() + 1) {
            0 => self.args.addr,
            k => also[k - 1],
        }
    }

    fn start_connects(&mut self) -> io::Result<()> {
        while self.logging_in < self.args.connect_batch.max(1) {
            let Some(i) = self.queue.pop_front() else {
                break;
            };
            self.connect(i)?;
        }
        Ok(())
    }

    fn connect(&mut self, i: usize) -> io::Result<()> {
        let mut stream = match self.args.sources {
            0 | 1 => TcpStream::connect(self.addr_of(i))?,
            n => connect_from(source_addr(i, n), self.addr_of(i))?,
        };
        self.poll.registry().register(
            &mut stream,
            Token(i),
            Interest::READABLE | Interest::WRITABLE,
        )?;
        let wire = if self.tls.is_some() || self.args.ws {
            Some(Wire::new(self.tls.as_ref(), self.args.ws)?)
        } else {
            None
        };
        let c = &mut self.clients[i];
        c.stream = Some(stream);
        c.wire = wire;
        c.state = State::Connecting;
        c.login_started = Instant::now();
        self.logging_in += 1;
        Ok(())
    }

    /// Sends what is due: at the rate, or up to the window.
    fn send_due(&mut self) {
        let now = Instant::now();
        let interval =
            (self.args.rate > 0.0).then(|| Duration::from_secs_f64(1.0 / self.args.rate));
        for si in 0..self.senders.len() {
            let mut budget = 64;
            loop {
                let s = &self.senders[si];
                let due = match interval {
                    Some(_) => s.next_at <= now && self.clients[s.client].state == State::Ready,
                    None => self.can_send(s),
                };
                if !due || budget == 0 {
                    break;
                }
                budget -= 1;
                let stamp = Stamp {
                    sender: si as u32,
                    seq: s.seq,
                    sent_ns: self.t0.elapsed().as_nanos() as u64,
                };
                let client = s.client;
                self.scratch.clear();
                payload::encode(stamp, self.args.payload, &mut self.scratch);
                let c = &mut self.clients[client];
                if self.proto.message(&self.scratch, &mut c.out).is_err() {
                    // The payload is ASCII without line breaks; never here.
                    self.errors += 1;
                }
                let s = &mut self.senders[si];
                s.seq += 1;
                if let Some(iv) = interval {
                    s.next_at += iv;
                    // Far behind (a stall): do not burst to catch up.
                    if s.next_at + iv * 100 < now {
                        s.next_at = now;
                    }
                }
                if self.phase == Phase::Measure {
                    self.sent += 1;
                }
            }
            let client = self.senders[si].client;
            self.flush(client);
        }
    }

    fn turn(&mut self, events: &mut Events, timeout: Option<Duration>) -> io::Result<()> {
        let timeout = if self.args.busy_poll && self.phase != Phase::Login {
            Some(Duration::ZERO)
        } else {
            timeout
        };
        if let Err(e) = self.poll.poll(events, timeout) {
            if e.kind() != io::ErrorKind::Interrupted {
                return Err(e);
            }
        }
        let ready: Vec<(usize, bool, bool)> = events
            .iter()
            .map(|e| {
                (
                    e.token().0,
                    e.is_readable() || e.is_read_closed(),
                    e.is_writable(),
                )
            })
            .collect();
        for (i, readable, writable) in ready {
            if writable {
                self.on_writable(i);
            }
            if readable {
                self.on_readable(i);
            }
        }
        Ok(())
    }

    fn on_writable(&mut self, i: usize) {
        let c = &mut self.clients[i];
        if c.state == State::Connecting {
            let Some(stream) = c.stream.as_ref() else {
                return;
            };
            if let Ok(Some(_)) | Err(_) = stream.take_error() {
                return self.close(i, "connect failed");
            }
            match stream.peer_addr() {
                Ok(_) => {
                    let _ = stream.set_nodelay(true);
                    c.state = State::LoggingIn;
                    let name = c.name.clone();
                    let register = !self.args.login;
                    // Idle IRC clients stay out of the channel (see Proto::login).
                    let join = !self.args.idle;
                    let sent = self.proto.login(
                        &name,
                        &self.args.password,
                        register,
                        join,
                        &mut self.clients[i].out,
                    );
                    if sent.is_err() {
                        // A password with a line break cannot be sent.
                        self.errors += 1;
                        return self.close(i, "bad password");
                    }
                }
                Err(e) if e.kind() == io::ErrorKind::NotConnected => return,
                Err(_) => return self.close(i, "connect failed"),
            }
        }
        self.flush(i);
    }

    fn flush(&mut self, i: usize) {
        let c = &mut self.clients[i];
        let Some(stream) = c.stream.as_mut() else {
            return;
        };
        if c.state == State::Connecting {
            return;
        }
        if let Some(wire) = c.wire.as_mut() {
            wire.push(&c.out[c.out_pos..]);
            c.out.clear();
            c.out_pos = 0;
            if wire.write(stream).is_err() {
                self.close(i, "write failed");
            }
            return;
        }
        while c.out_pos < c.out.len() {
            match stream.write(&c.out[c.out_pos..]) {
                Ok(0) => return self.close(i, "write failed"),
                Ok(n) => c.out_pos += n,
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => return,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(_) => return self.close(i, "write failed"),
            }
        }
        c.out.clear();
        c.out_pos = 0;
    }

    /// Drops client `i`'s connection; `how` says what ended it.
    fn close(&mut self, i: usize, how: &'static str) {
        let c = &mut self.clients[i];
        if c.state == State::Ready {
            let last = if c.last_line.is_empty() {
                "no line"
            } else {
                c.last_line.as_str()
            };
            let reason = format!("{how}, after: {last}");
            *self.close_reasons.entry(reason).or_default() += 1;
        }
        if let Some(mut s) = c.stream.take() {
            let _ = self.poll.registry().deregister(&mut s);
        }
        if matches!(c.state, State::Connecting | State::LoggingIn) {
            self.logging_in = self.logging_in.saturating_sub(1);
            // A connection lost while logging in (a full accept queue, a
            // reset) is tried again a few times before it counts.
            if c.retries < MAX_RETRIES {
                c.retries += 1;
                c.relogged = false;
                c.state = State::Waiting;
                c.out.clear();
                c.out_pos = 0;
                c.partial.clear();
                self.retried += 1;
                self.queue.push_back(i);
                return;
            }
        }
        if c.state == State::Ready {
            self.ready = self.ready.saturating_sub(1);
        }
        c.state = State::Closed;
        self.closed += 1;
    }

    fn on_readable(&mut self, i: usize) {
        loop {
            let Some(stream) = self.clients[i].stream.as_mut() else {
                return;
            };
            let n = match stream.read(&mut self.read_buf) {
                Ok(0) => return self.close(i, "closed by the server"),
                Ok(n) => {
                    self.received += n as u64;
                    n
                }
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => return,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(_) => return self.close(i, "read failed"),
            };
            // Every line of one read arrived together: one clock reading
            // for all of them (a reading a line cost the generator more
            // than its parsing).
            let now_ns = self.t0.elapsed().as_nanos() as u64;
            let buf = std::mem::take(&mut self.read_buf);
            if let Some(wire) = self.clients[i].wire.as_mut() {
                let mut lines = std::mem::take(&mut self.lines);
                lines.clear();
                let ok = wire.read(&buf[..n], &mut lines).is_ok();
                self.on_bytes(i, &lines, now_ns);
                self.lines = lines;
                if !ok {
                    self.read_buf = buf;
                    return self.close(i, "bad wire data");
                }
                // TLS may have something to say back (its handshake).
                self.flush(i);
            } else {
                self.on_bytes(i, &buf[..n], now_ns);
            }
            let drained = n < buf.len();
            self.read_buf = buf;
            // A short read took all the socket had; with edge-triggered
            // epoll, new data raises a new event, so skip the EAGAIN read.
            if drained {
                return;
            }
        }
    }

    /// Splits bytes read at `now_ns` into lines, joining a line split
    /// across reads.
    fn on_bytes(&mut self, i: usize, mut bytes: &[u8], now_ns: u64) {
        if !self.clients[i].partial.is_empty() {
            match memchr::memchr(b'\n', bytes) {
                Some(p) => {
                    let mut line = std::mem::take(&mut self.clients[i].partial);
                    line.extend_from_slice(&bytes[..p]);
                    self.on_line(i, &line, now_ns);
                    line.clear();
                    self.clients[i].partial = line;
                    bytes = &bytes[p + 1..];
                }
                None => {
                    self.clients[i].partial.extend_from_slice(bytes);
                    return;
                }
            }
        }
        while let Some(p) = memchr::memchr(b'\n', bytes) {
            self.on_line(i, &bytes[..p], now_ns);
            bytes = &bytes[p + 1..];
        }
        if !bytes.is_empty() {
            self.clients[i].partial.extend_from_slice(bytes);
        }
    }

    fn on_line(&mut self, i: usize, line: &[u8], now_ns: u64) {
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        match self.proto.classify(line) {
            Seen::Message(text) => {
                let Some(stamp) = payload::decode(text) else {
                    return;
                };
                return self.on_message(i, stamp, now_ns);
            }
            Seen::Registered if !self.args.idle => {}
            Seen::Ready | Seen::Registered => {
                let c = &mut self.clients[i];
                if c.state == State::LoggingIn {
                    c.state = State::Ready;
                    self.logging_in -= 1;
                    self.ready += 1;
                    let took = c.login_started.elapsed().as_nanos() as u64;
                    if c.storm {
                        self.storm_login.record_ns(took);
                        let storm_ready = self.clients[self.args.clients..]
                            .iter()
                            .all(|c| matches!(c.state, State::Ready | State::Closed));
                        if storm_ready {
                            if let Some((_, end @ None)) = &mut self.storm_window {
                                *end = Some(Instant::now());
                            }
                        }
                    } else {
                        self.login_times.record_ns(took);
                    }
                }
            }
            Seen::Error => {
                // A registration tried again after its connection was lost
                // may have landed the first time: its `ERR name-taken` is
                // then ours, and logging in is what the client would do.
                let c = &self.clients[i];
                let retried_registration = c.state == State::LoggingIn
                    && c.retries > 0
                    && !c.relogged
                    && !self.args.login
                    && self.proto == Proto::Chat;
                if retried_registration {
                    self.clients[i].relogged = true;
                    let name = self.clients[i].name.clone();
                    let join = !self.args.idle;
                    let out = &mut self.clients[i].out;
                    if self
                        .proto
                        .login(&name, &self.args.password, false, join, out)
                        .is_ok()
                    {
                        self.flush(i);
                        return;
                    }
                }
                self.errors += 1;
            }
            Seen::Ping(token) => {
                let c = &mut self.clients[i];
                c.out.extend_from_slice(b"PONG ");
                c.out.extend_from_slice(token);
                c.out.extend_from_slice(b"\r\n");
                self.flush(i);
            }
            Seen::Other => {}
        }
        let c = &mut self.clients[i];
        if c.state == State::Ready {
            // The first word (what kind of line, not names or times:
            // reasons then group), in the client's reused buffer: JOIN
            // lines come by the million in a large room.
            let text = std::str::from_utf8(line).unwrap_or("(not UTF-8)");
            let end = text.find(' ').unwrap_or(text.len());
            c.last_line.clear();
            c.last_line.push_str(&text[..end]);
        }
    }

    fn on_message(&mut self, receiver: usize, stamp: Stamp, now_ns: u64) {
        if self.args.idle {
            return self.on_probe(receiver, stamp);
        }
        let si = stamp.sender as usize;
        let Some(sender) = self.senders.get_mut(si) else {
            return;
        };
        let observer = self.observer.unwrap_or(sender.client);
        if receiver == observer {
            sender.seen = sender.seen.max(stamp.seq + 1);
        }
        let expected = &mut self.expected[receiver][si];
        if *expected != GAP_UNSET && stamp.seq > *expected {
            self.gaps += stamp.seq - *expected;
        }
        *expected = stamp.seq + 1;
        if self.phase != Phase::Measure {
            return;
        }
        self.deliveries += 1;
        let latency = now_ns.saturating_sub(stamp.sent_ns);
        if stamp.sent_ns >= self.measure_start_ns {
            if let Some(timeline) = &mut self.timeline {
                timeline.record(stamp, now_ns);
            }
        }
        match self.storm_window {
            Some((start, end))
                if Instant::now() >= start && end.is_none_or(|e| Instant::now() <= e) =>
            {
                self.storm_latency.record_ns(latency)
            }
            _ => self.latency.record_ns(latency),
        }
    }
}

/// The loopback source address of client `i` of `sources`: 127.0.0.2 on.
fn source_addr(i: usize, sources: u8) -> std::net::IpAddr {
    let k = (i % usize::from(sources)) as u8;
    std::net::Ipv4Addr::new(127, 0, 0, 2 + k).into()
}

/// A non-blocking connect from `source` (any port) to `to`.
fn connect_from(source: std::net::IpAddr, to: std::net::SocketAddr) -> io::Result<TcpStream> {
    use socket2::{Domain, Socket, Type};
    let socket = Socket::new(Domain::for_address(to), Type::STREAM, None)?;
    socket.set_nonblocking(true)?;
    socket.bind(&std::net::SocketAddr::new(source, 0).into())?;
    match socket.connect(&to.into()) {
        Ok(()) => {}
        Err(e) if e.raw_os_error() == Some(libc::EINPROGRESS) => {}
        Err(e) => return Err(e),
    }
    Ok(TcpStream::from_std(socket.into()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sources_go_round_the_loopback_addresses() {
        let got: Vec<_> = (0..4).map(|i| source_addr(i, 3).to_string()).collect();
        assert_eq!(got, ["127.0.0.2", "127.0.0.3", "127.0.0.4", "127.0.0.2"]);
    }

    #[test]
    fn a_connection_from_another_loopback_address_arrives_from_it() {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let _stream = connect_from(source_addr(1, 2), listener.local_addr().unwrap()).unwrap();
        let (_, peer) = listener.accept().unwrap();
        assert_eq!(peer.ip().to_string(), "127.0.0.3");
    }
}
