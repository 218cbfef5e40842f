//! chat-load's command line.

use std::net::SocketAddr;

use clap::{Parser, ValueEnum};

use crate::proto::Proto;

/// The protocol to speak.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum ProtoArg {
    /// Our protocol, chat/1.
    Chat,
    /// IRC: our server's IRC listener (`--irc-bind`), or a reference IRC
    /// server such as ngircd.
    Irc,
}

impl From<ProtoArg> for Proto {
    fn from(p: ProtoArg) -> Proto {
        match p {
            ProtoArg::Chat => Proto::Chat,
            ProtoArg::Irc => Proto::Irc,
        }
    }
}

/// Load generator for the chat server: N clients over loopback, S of them
/// sending room messages, measuring deliveries per second, one-way latency
/// percentiles, login times and (with --server-pid) the server's CPU and
/// memory. Always stops by itself.
#[derive(Clone, Debug, Parser)]
#[command(name = "chat-load", version)]
pub struct Args {
    /// The server's address.
    #[arg(long, default_value = "127.0.0.1:9797")]
    pub addr: SocketAddr,
    /// More servers (nodes of one cluster): client i connects to the i-th
    /// of --addr and these, round robin, so senders and receivers spread
    /// over the nodes and most deliveries cross from one node to another.
    #[arg(long = "also-addr", value_name = "ADDR")]
    pub also_addr: Vec<SocketAddr>,
    /// Client connections to open and log in.
    #[arg(long, default_value_t = 100)]
    pub clients: usize,
    /// How many of them send room messages.
    #[arg(long, default_value_t = 10)]
    pub senders: usize,
    /// Messages per second per sender; 0 sends as fast as --window allows.
    #[arg(long, default_value_t = 0.0)]
    pub rate: f64,
    /// With --rate: start every sender at the same instant, so the room
    /// gets bursts of one message per sender at once, instead of spreading
    /// the senders' first messages evenly over one interval (independent
    /// users, the default).
    #[arg(long)]
    pub aligned: bool,
    /// Messages a sender may have in flight (sent, not yet seen back).
    #[arg(long, default_value_t = 8)]
    pub window: u64,
    /// Payload bytes per message.
    #[arg(long, default_value_t = 64)]
    pub payload: usize,
    /// Seconds measured.
    #[arg(long, default_value_t = 10.0)]
    pub duration: f64,
    /// Seconds of load before measuring.
    #[arg(long, default_value_t = 2.0)]
    pub warmup: f64,
    /// Print one JSON object instead of a table.
    #[arg(long)]
    pub json: bool,
    /// Protocol.
    #[arg(long, value_enum, default_value = "chat")]
    pub proto: ProtoArg,
    /// The server's process id: report its CPU time and memory. Repeat it
    /// for every process of a cluster (its nodes and its broker): their
    /// CPU and memory are summed.
    #[arg(long)]
    pub server_pid: Vec<u32>,
    /// Login storm: this many extra clients connect and log in at once
    /// while the load runs.
    #[arg(long, default_value_t = 0)]
    pub storm: usize,
    /// Seconds into the measured window at which the storm starts.
    #[arg(long, default_value_t = 3.0)]
    pub storm_at: f64,
    /// Idle mode: log the clients in and hold them, no messages; report
    /// memory per connection (with --server-pid).
    #[arg(long)]
    pub idle: bool,
    /// Spin on the event loop instead of sleeping in it: the server's
    /// writes then need no wake-up (an inter-processor interrupt, costly in
    /// a VM) to reach the load generator. Uses a whole core.
    #[arg(long)]
    pub busy_poll: bool,
    /// Logins in flight at once while connecting.
    #[arg(long, default_value_t = 256)]
    pub connect_batch: usize,
    /// Name clients `<prefix><i>` instead of a fresh name per run, and with
    /// --login log in to those accounts instead of registering.
    #[arg(long, value_name = "PREFIX")]
    pub names: Option<String>,
    /// Log in to existing accounts (see --names) instead of registering.
    #[arg(long, requires = "names")]
    pub login: bool,
    /// Password used to register (at least 8 bytes).
    #[arg(long, default_value = "load-password")]
    pub password: String,
    /// Speak TLS (the server's TLS or wss listener at --addr), trusting
    /// the certificate of --ca-file for the name localhost.
    #[arg(long, requires = "ca_file")]
    pub tls: bool,
    /// Speak WebSocket (subprotocol chat.v1, one line per message) to the
    /// server's ws listener (or wss, with --tls).
    #[arg(long)]
    pub ws: bool,
    /// The CA (or self-signed) certificate for --tls, PEM.
    #[arg(long, value_name = "FILE.pem")]
    pub ca_file: Option<std::path::PathBuf>,
    /// Spread the clients over this many loopback source addresses
    /// (127.0.0.2, 127.0.0.3, ...), each with its own range of ports, to
    /// open more connections than one address's ephemeral ports allow
    /// (about 28,000). 1 lets the kernel choose, as usual.
    #[arg(long, default_value_t = 1)]
    pub sources: u8,
    /// With --idle: once everyone is in, one client sends one room message
    /// (stamped with the Unix time), and the time until each client has it
    /// is reported (`probe_reach_*`; `fanout_all_ms` is the slowest).
    #[arg(long, requires = "idle")]
    pub probe: bool,
    /// With --idle: send nothing; count one room message (another
    /// chat-load's --probe, whenever it comes) and report when each of
    /// these clients had it, from the Unix time it was stamped with. With
    /// the clients split over several load processes (each under the
    /// open-file limit), their `probe_reach_*` together are the line's
    /// reach to everyone (see --probe-times).
    #[arg(long, requires = "idle", conflicts_with = "probe")]
    pub probe_listen: bool,
    /// Seconds --probe and --probe-listen wait for the probe to reach every
    /// client still connected; whoever has not got it by then is counted in
    /// `probe_missing`.
    #[arg(long, default_value_t = 120.0)]
    pub probe_wait: f64,
    /// With --idle: once every client is in and the idle window is over,
    /// write this file (the number of clients in), so a script running
    /// several load processes knows when all of them are ready.
    #[arg(long, value_name = "FILE", requires = "idle")]
    pub ready_file: Option<std::path::PathBuf>,
    /// With --probe: send the probe only once this file exists (a script
    /// creates it when every load process wrote its --ready-file); with
    /// --probe-listen: --probe-wait starts only then.
    #[arg(long, value_name = "FILE", requires = "idle")]
    pub go_file: Option<std::path::PathBuf>,
    /// With --probe or --probe-listen: write each client's reach time
    /// (microseconds from the probe's send until that client read it), one
    /// per line, so reach over several load processes can be summed.
    #[arg(long, value_name = "FILE")]
    pub probe_times: Option<std::path::PathBuf>,
    /// Seconds allowed to connect and log everyone in.
    #[arg(long, default_value_t = 120.0)]
    pub login_timeout: f64,
    /// Write one CSV row per message sent while measuring: when it was
    /// sent, when its first and last receivers read it, and how many did
    /// (microseconds from the start of the measured window);
    /// `benches/load/timeline.py` reads it.
    #[arg(long, value_name = "FILE.csv")]
    pub timeline: Option<std::path::PathBuf>,
}

impl Args {
    /// Checks combinations clap cannot.
    pub fn check(&self) -> Result<(), String> {
        if self.clients == 0 {
            return Err("--clients must be at least 1".into());
        }
        if !self.idle && self.senders > self.clients {
            return Err("--senders cannot exceed --clients".into());
        }
        if !self.idle && self.senders == 0 {
            return Err("--senders must be at least 1 (or use --idle)".into());
        }
        if self.proto == ProtoArg::Irc && !self.idle && self.clients <= self.senders {
            return Err("IRC does not echo to the sender: --clients must exceed --senders".into());
        }
        if self.rate < 0.0 || self.duration <= 0.0 || self.warmup < 0.0 {
            return Err("--rate, --duration and --warmup must be positive".into());
        }
        if (self.tls || self.ws) && self.proto != ProtoArg::Chat {
            return Err("--tls and --ws speak chat/1 only".into());
        }
        if self.sources == 0 || self.sources > 250 {
            return Err("--sources must be 1 to 250".into());
        }
        if self.sources > 1
            && !std::iter::once(&self.addr)
                .chain(&self.also_addr)
                .all(|a| a.ip().is_loopback())
        {
            return Err(
                "--sources spreads over loopback addresses: --addr must be loopback".into(),
            );
        }
        if self.probe_times.is_some() && !(self.probe || self.probe_listen) {
            return Err("--probe-times needs --probe or --probe-listen".into());
        }
        if self.probe_wait <= 0.0 {
            return Err("--probe-wait must be positive".into());
        }
        if self.window == 0 {
            return Err("--window must be at least 1".into());
        }
        Ok(())
    }
}
