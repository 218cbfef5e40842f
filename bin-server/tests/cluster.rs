//! A cluster as processes: NATS servers (Debian's nats-server) and
//! `chat-server` nodes, with clients of every protocol (chat/1, IRC, the
//! page's WebSocket) spread over the nodes in one room. Nodes and NATS
//! servers are killed (-9) during traffic; a checker reads every client's
//! transcript: one order per room for everyone, every line at every member
//! connected across it, none twice.

#[path = "../../chat-net-mio/tests/broker/mod.rs"]
mod broker;

use std::collections::{HashMap, HashSet};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::Ordering::Relaxed;
use std::sync::mpsc::{self, Receiver};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// Every node's store key: a cluster seals with one key.
const KEY: &str = "7f3a9c0e5b1d2f4a6c8e0b2d4f6a8c0e1f3a5c7e9b1d3f5a7c9e1b3d5f7a9c0e";
const PASSWORD: &str = "password-123";
const CHEAP: &str = "hash: (memory_kib: 8, iterations: 1, parallelism: 1), \
                     limits: (exempt_loopback: true, command_units_per_second: 0, \
                     messages_per_second: 0)";

/// A node process.
struct Node {
    log: Arc<Mutex<Vec<String>>>,
    child: Child,
    chat: SocketAddr,
    irc: SocketAddr,
    ws: SocketAddr,
    _dir: tempfile::TempDir,
}

impl Drop for Node {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Node {
    /// Starts node `name` on the brokers `urls`, and waits until it has
    /// caught up with the cluster.
    fn start(name: &str, urls: &str, extra_config: &str) -> Node {
        let dir = tempfile::tempdir().unwrap();
        let cfg = dir.path().join("node.ron");
        std::fs::write(&cfg, format!("({CHEAP}, {extra_config})")).unwrap();
        let mut child = Command::new(env!("CARGO_BIN_EXE_chat-server"))
            .args([
                "--bind",
                "127.0.0.1:0",
                "--irc-bind",
                "127.0.0.1:0",
                "--ws",
                "127.0.0.1:0",
            ])
            .arg("--data-dir")
            .arg(dir.path().join("data"))
            .arg("--config")
            .arg(&cfg)
            .args(["--cluster", urls, "--node", name, "--log-level", "info"])
            .args(["--io-threads", "2"])
            .env("CHAT_STORE_KEY", KEY)
            .env("CHAT_ADMIN_PASSWORD", PASSWORD)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let (rx, log) = collect(&mut child);
        let (mut chat, mut irc, mut ws) = (None, None, None);
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            let line = rx.recv_timeout(left).unwrap_or_else(|_| {
                panic!("node {name} did not come up: {:?}", log.lock().unwrap())
            });
            if let Some(rest) = line.split("listening on ").nth(1) {
                let addr: SocketAddr = rest.split(' ').next().unwrap().parse().unwrap();
                if rest.contains("Irc") {
                    irc = Some(addr);
                } else if rest.contains("Ws") {
                    ws = Some(addr);
                } else {
                    chat = Some(addr);
                }
            }
            if line.contains("caught up; taking logins") {
                break;
            }
        }
        Node {
            log,
            child,
            chat: chat.unwrap(),
            irc: irc.unwrap(),
            ws: ws.unwrap(),
            _dir: dir,
        }
    }

    fn kill9(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn collect(child: &mut Child) -> (Receiver<String>, Arc<Mutex<Vec<String>>>) {
    let stderr = child.stderr.take().unwrap();
    let (tx, rx) = mpsc::channel();
    let log = Arc::new(Mutex::new(Vec::new()));
    let all = Arc::clone(&log);
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            all.lock().unwrap().push(line.clone());
            let _ = tx.send(line);
        }
    });
    (rx, log)
}

/// How a client talks.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Proto {
    Chat,
    Irc,
    Ws,
}

/// A client with a reader thread keeping its transcript (room lines as
/// the room and `from: text`, in the order received).
struct Client {
    name: String,
    proto: Proto,
    out: TcpStream,
    said: Arc<Mutex<Vec<(String, String)>>>,
    lines: Arc<Mutex<Vec<String>>>,
    closed: Arc<Mutex<bool>>,
}

impl Client {
    fn connect(name: &str, proto: Proto, node: &Node, register: bool) -> Client {
        let addr = match proto {
            Proto::Chat => node.chat,
            Proto::Irc => node.irc,
            Proto::Ws => node.ws,
        };
        let stream = TcpStream::connect(addr).unwrap();
        let mut out = stream.try_clone().unwrap();
        let mut reader = BufReader::new(stream);
        let verb = if register { "register" } else { "login" };
        match proto {
            Proto::Chat => {
                writeln!(out, "/{verb} {name} {PASSWORD}").unwrap();
            }
            Proto::Irc => {
                write!(out, "PASS {name}:{PASSWORD}\r\nNICK {name}\r\nUSER {name} 0 * :{name}\r\nCAP REQ :echo-message\r\n").unwrap();
            }
            Proto::Ws => {
                write!(
                    out,
                    "GET /chat HTTP/1.1\r\nHost: localhost\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"
                )
                .unwrap();
                loop {
                    let mut h = String::new();
                    reader.read_line(&mut h).unwrap();
                    if h == "\r\n" || h.is_empty() {
                        break;
                    }
                }
                ws_send(&mut out, &format!("/{verb} {name} {PASSWORD}"));
            }
        }
        let said = Arc::new(Mutex::new(Vec::new()));
        let lines = Arc::new(Mutex::new(Vec::new()));
        let closed = Arc::new(Mutex::new(false));
        let (s, l, c) = (Arc::clone(&said), Arc::clone(&lines), Arc::clone(&closed));
        std::thread::spawn(move || {
            let mut reader = reader;
            loop {
                let line = match proto {
                    Proto::Ws => ws_read(&mut reader),
                    _ => {
                        let mut line = String::new();
                        match reader.read_line(&mut line) {
                            Ok(0) | Err(_) => None,
                            Ok(_) => Some(line.trim_end_matches(['\r', '\n']).to_owned()),
                        }
                    }
                };
                let Some(line) = line else {
                    break;
                };
                if let Some(said) = room_line(proto, &line) {
                    s.lock().unwrap().push(said);
                }
                l.lock().unwrap().push(line);
            }
            *c.lock().unwrap() = true;
        });
        let c = Client {
            name: name.into(),
            proto,
            out,
            said,
            lines,
            closed,
        };
        let welcome = match proto {
            Proto::Irc => " 366 ",
            _ => "WELCOME ",
        };
        c.wait_line(welcome);
        c
    }

    fn say(&mut self, text: &str) {
        let _ = match self.proto {
            Proto::Chat => writeln!(self.out, "{text}"),
            Proto::Irc => write!(self.out, "PRIVMSG #lobby :{text}\r\n"),
            Proto::Ws => {
                ws_send(&mut self.out, text);
                Ok(())
            }
        };
    }

    /// Says `text` in `room` (not the lobby); as `say`, to a node that
    /// may be gone.
    fn say_in(&mut self, room: &str, text: &str) {
        let _ = match self.proto {
            Proto::Irc => write!(self.out, "PRIVMSG #{room} :{text}\r\n"),
            Proto::Chat => writeln!(self.out, "/say {room} {text}"),
            Proto::Ws => {
                ws_send(&mut self.out, &format!("/say {room} {text}"));
                Ok(())
            }
        };
    }

    /// Joins `room` (which exists) and waits until in.
    fn join(&mut self, room: &str) {
        let done = match self.proto {
            Proto::Irc => {
                self.command(&format!("JOIN #{room}"));
                format!(":{}!", self.name)
            }
            _ => {
                self.command(&format!("/join {room}"));
                format!("OK joined {room}")
            }
        };
        let deadline = Instant::now() + Duration::from_secs(30);
        let joined = |l: &String| match self.proto {
            Proto::Irc => l.starts_with(&done) && l.ends_with(&format!(" JOIN #{room}")),
            _ => *l == done,
        };
        while !self.lines.lock().unwrap().iter().any(joined) {
            assert!(
                Instant::now() < deadline,
                "{} never joined {room}: {:?}",
                self.name,
                self.lines.lock().unwrap()
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    fn command(&mut self, line: &str) {
        match self.proto {
            Proto::Chat => writeln!(self.out, "{line}").unwrap(),
            Proto::Ws => ws_send(&mut self.out, line),
            Proto::Irc => write!(self.out, "{line}\r\n").unwrap(),
        }
    }

    /// The lobby's lines seen.
    fn said(&self) -> Vec<String> {
        self.said_in("lobby")
    }

    /// A room's lines seen.
    fn said_in(&self, room: &str) -> Vec<String> {
        let room = room.to_ascii_lowercase();
        self.said
            .lock()
            .unwrap()
            .iter()
            .filter(|(r, _)| *r == room)
            .map(|(_, l)| l.clone())
            .collect()
    }

    fn wait_line(&self, part: &str) -> String {
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            if let Some(l) = self.lines.lock().unwrap().iter().find(|l| l.contains(part)) {
                return l.clone();
            }
            assert!(
                Instant::now() < deadline,
                "{} never got {part:?}: {:?}",
                self.name,
                self.lines.lock().unwrap()
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Waits until `f` holds of the transcript.
    fn wait_said(&self, what: &str, f: impl Fn(&[String]) -> bool) {
        let deadline = Instant::now() + Duration::from_secs(30);
        while !f(&self.said()) {
            assert!(
                Instant::now() < deadline,
                "{}: {what}; saw {:?}",
                self.name,
                self.said()
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

fn ws_send(w: &mut TcpStream, line: &str) {
    let mask = [1, 2, 3, 4];
    let p = line.as_bytes();
    let mut f = vec![0x81];
    if p.len() < 126 {
        f.push(0x80 | p.len() as u8);
    } else {
        f.push(0x80 | 126);
        f.extend_from_slice(&(p.len() as u16).to_be_bytes());
    }
    f.extend_from_slice(&mask);
    f.extend(p.iter().enumerate().map(|(i, b)| b ^ mask[i & 3]));
    let _ = w.write_all(&f);
}

fn ws_read(r: &mut BufReader<TcpStream>) -> Option<String> {
    let mut h = [0u8; 2];
    r.read_exact(&mut h).ok()?;
    let len = match h[1] & 0x7F {
        126 => {
            let mut n = [0u8; 2];
            r.read_exact(&mut n).ok()?;
            u16::from_be_bytes(n) as usize
        }
        127 => {
            let mut n = [0u8; 8];
            r.read_exact(&mut n).ok()?;
            u64::from_be_bytes(n) as usize
        }
        n => n as usize,
    };
    let mut p = vec![0; len];
    r.read_exact(&mut p).ok()?;
    if h[0] & 0x0F == 8 {
        return None;
    }
    Some(String::from_utf8_lossy(&p).into_owned())
}

/// A room line as its room (lower case) and `from: text`.
fn room_line(proto: Proto, line: &str) -> Option<(String, String)> {
    // Tags (`/tags on`) go before the line.
    let line = match line.strip_prefix('@') {
        Some(tagged) => tagged.split_once(' ')?.1,
        None => line,
    };
    match proto {
        Proto::Irc => {
            let (prefix, rest) = line.split_once(" PRIVMSG #")?;
            let (room, text) = rest.split_once(" :")?;
            let from = prefix.trim_start_matches(':').split('!').next()?;
            Some((room.to_ascii_lowercase(), format!("{from}: {text}")))
        }
        _ => {
            let (room, rest) = match line.strip_prefix("RMSG ") {
                Some(rest) => {
                    let (room, rest) = rest.split_once(' ')?;
                    (room.to_ascii_lowercase(), rest)
                }
                None => ("lobby".to_owned(), line.strip_prefix("MSG ")?),
            };
            let mut parts = rest.splitn(3, ' ');
            parts.next()?;
            let from = parts.next()?;
            Some((room, format!("{from}: {}", parts.next()?)))
        }
    }
}

/// The checker: no line twice; every pair of clients agrees on the order
/// of the lines both saw; a client connected throughout saw every line
/// that anyone saw between its first and last.
fn check(clients: &[&Client]) -> Vec<String> {
    let transcripts: Vec<Vec<String>> = clients.iter().map(|c| c.said()).collect();
    for (c, t) in clients.iter().zip(&transcripts) {
        let mut seen = HashSet::new();
        for l in t {
            assert!(seen.insert(l), "{} saw {l:?} twice: {t:?}", c.name);
        }
    }
    // One order: merge every transcript's order into a graph and check
    // it has no cycle, by positions in the longest transcript first.
    let mut order: Vec<String> = Vec::new();
    let mut position: HashMap<String, usize> = HashMap::new();
    let mut by_len: Vec<&Vec<String>> = transcripts.iter().collect();
    by_len.sort_by_key(|t| std::cmp::Reverse(t.len()));
    for t in by_len {
        for l in t {
            if !position.contains_key(l) {
                position.insert(l.clone(), order.len());
                order.push(l.clone());
            }
        }
    }
    for (c, t) in clients.iter().zip(&transcripts) {
        let pos: Vec<usize> = t.iter().map(|l| position[l]).collect();
        for w in pos.windows(2) {
            assert!(
                w[0] < w[1],
                "{} saw {:?} before {:?}, others the other way",
                c.name,
                order[w[0]],
                order[w[1]]
            );
        }
    }
    order
}

fn cluster_of(n: usize, url: &str, extra: &str) -> Vec<Node> {
    (0..n)
        .map(|i| Node::start(&format!("n{i}"), url, extra))
        .collect()
}

fn unique_prefix() -> String {
    broker::unique("t").replace('_', "")
}

#[test]
fn three_nodes_serve_one_room_to_every_protocol() {
    let url = broker::shared_url();
    let prefix = unique_prefix();
    let nodes = cluster_of(3, &url, &format!("cluster: Some((prefix: \"{prefix}\"))"));
    let mut alice = Client::connect("alice", Proto::Chat, &nodes[0], true);
    // IRC logs in to an account: bob registers first, on another node.
    drop(Client::connect("bob", Proto::Chat, &nodes[2], true));
    let mut bob = Client::connect("bob", Proto::Irc, &nodes[1], false);
    let mut carol = Client::connect("carol", Proto::Ws, &nodes[2], true);
    // carol is in the lobby once logged in (her join went through the
    // lobby's log first); chat/1 shows her join, IRC shows no one's.
    for c in [&alice, &carol] {
        c.wait_line("carol");
    }
    for i in 0..20 {
        alice.say(&format!("a{i}"));
        bob.say(&format!("b{i}"));
        carol.say(&format!("c{i}"));
    }
    for c in [&alice, &bob, &carol] {
        c.wait_said("all 60 lines", |t| t.len() >= 60);
    }
    let order = check(&[&alice, &bob, &carol]);
    assert_eq!(order.len(), 60);
    assert_eq!(alice.said(), carol.said());
    assert_eq!(alice.said(), bob.said());
    // /viewusers lists the users of every node, once their online lists
    // are out (a few times a second).
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        alice.command("/viewusers");
        std::thread::sleep(Duration::from_millis(300));
        let lines = alice.lines.lock().unwrap().clone();
        if ["alice", "bob", "carol"]
            .iter()
            .all(|n| lines.iter().any(|l| l.starts_with(&format!("USER {n} "))))
        {
            break;
        }
        assert!(Instant::now() < deadline, "{lines:?}");
    }
    // So do IRC's NAMES and WHO.
    bob.command("NAMES #lobby");
    bob.command("WHO #lobby");
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let lines = bob.lines.lock().unwrap().clone();
        let listed = |code: &str, name: &str| {
            lines.iter().any(|l| {
                l.contains(&format!(" {code} bob ")) && l.split([' ', ':']).any(|w| w == name)
            })
        };
        if ["alice", "carol"]
            .iter()
            .all(|n| listed("353", n) && listed("352", n))
        {
            break;
        }
        assert!(Instant::now() < deadline, "{lines:?}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// The checker of a room's traffic (its lines that contain `-<room>-`,
/// said once every client was in) after a node was killed: no transcript
/// has a line twice; the clients whose node lived (`kept`) saw the same
/// lines in the same order, every line anyone saw echoed among them; the
/// clients of the dead node (`lost`) saw a beginning of that order, with
/// no gap. Waits (up to 30 s) for the living to agree, as the log's last
/// lines may still be on their way.
fn check_after_a_kill(room: &str, kept: &[&Client], lost: &[&Client]) -> Vec<String> {
    let traffic = format!("-{}-", room.to_ascii_lowercase());
    let said = |c: &Client| -> Vec<String> {
        c.said_in(room)
            .into_iter()
            .filter(|l| l.contains(&traffic))
            .collect()
    };
    let deadline = Instant::now() + Duration::from_secs(30);
    let order = loop {
        let first = said(kept[0]);
        let agreed = kept.iter().all(|c| said(c) == first);
        // Every echo (a line in its sender's own transcript) is a line
        // that is in the log: the living must have it.
        let echoed: Vec<String> = kept
            .iter()
            .chain(lost)
            .flat_map(|c| {
                let mine = format!("{}: ", c.name);
                said(c).into_iter().filter(move |l| l.starts_with(&mine))
            })
            .collect();
        let complete = echoed.iter().all(|l| first.contains(l));
        if agreed && complete {
            break first;
        }
        if Instant::now() > deadline {
            for c in kept {
                let t = said(c);
                let missing: Vec<&String> = echoed.iter().filter(|l| !t.contains(l)).collect();
                let apart = t.iter().zip(&first).position(|(a, b)| a != b);
                eprintln!(
                    "{} in {room}: {} lines, first apart from {}'s at {apart:?}; lacks echoed {missing:?}",
                    c.name,
                    t.len(),
                    kept[0].name
                );
            }
            panic!("in {room}, the living do not agree: {first:?}");
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    let mut seen = HashSet::new();
    for l in &order {
        assert!(seen.insert(l), "{l:?} twice in {room}: {order:?}");
    }
    for c in lost {
        let t = said(c);
        assert!(
            order.starts_with(&t),
            "{} (on the killed node) saw in {room} {t:?}, not a beginning of {order:?}",
            c.name
        );
    }
    order
}

/// Two rooms (the lobby and another) with clients of chat/1, IRC and the
/// page's WebSocket on each of three nodes; one node is killed (-9) in
/// the middle of their traffic. Lines sent right after a join are taken
/// once the join is in, as on a single server.
#[test]
fn a_node_killed_during_traffic_loses_no_acknowledged_line() {
    let url = broker::shared_url();
    let prefix = unique_prefix();
    let mut nodes = cluster_of(
        3,
        &url,
        &format!("cluster: Some((prefix: \"{prefix}\", logs: 4))"),
    );
    let plan = [
        ("dave", Proto::Chat, 0),
        ("erin", Proto::Irc, 0),
        ("fred", Proto::Ws, 1),
        ("gail", Proto::Irc, 1),
        ("hugo", Proto::Chat, 2),
        ("iris", Proto::Ws, 2),
        ("jack", Proto::Irc, 2),
    ];
    let mut clients: Vec<Client> = plan
        .iter()
        .map(|&(name, proto, node)| {
            if proto == Proto::Irc {
                // IRC logs in to an account: registered on another node.
                drop(Client::connect(name, Proto::Chat, &nodes[node], true));
                Client::connect(name, proto, &nodes[node], false)
            } else {
                Client::connect(name, proto, &nodes[node], true)
            }
        })
        .collect();
    // The room's creator says a line straight after creating it.
    clients[0].command("/create Den\n/say Den open");
    clients[0].wait_line("OK joined Den");
    for c in clients.iter_mut().skip(1) {
        c.join("Den");
    }
    for c in &clients[..6] {
        c.wait_line("jack");
    }
    for i in 0..30 {
        for c in clients.iter_mut() {
            let name = c.name.clone();
            c.say(&format!("{name}-lobby-{i}"));
            c.say_in("Den", &format!("{name}-den-{i}"));
        }
        if i == 15 {
            nodes[2].kill9();
        }
        std::thread::sleep(Duration::from_millis(5));
    }
    // Lines of the living may still be on their way (a log of the killed
    // node's moving to another): the first of them sees the last line of
    // each before the transcripts are compared.
    for c in &clients[..4] {
        for room in ["lobby", "den"] {
            clients[0].wait_line(&format!("{0}-{room}-29", c.name));
        }
    }
    let (kept, lost) = clients.split_at(4);
    let kept: Vec<&Client> = kept.iter().collect();
    let lost: Vec<&Client> = lost.iter().collect();
    let lobby = check_after_a_kill("lobby", &kept, &lost);
    let den = check_after_a_kill("Den", &kept, &lost);
    // Every line of the living was taken (their node never failed).
    for c in &kept {
        for (room, order) in [("lobby", &lobby), ("den", &den)] {
            for i in 0..30 {
                let line = format!("{0}: {0}-{room}-{i}", c.name);
                assert!(order.contains(&line), "{line:?} is lost");
            }
        }
    }
    // The line said straight after the creation was taken.
    assert_eq!(
        clients[0].said_in("Den").first().map(String::as_str),
        Some("dave: open")
    );
    assert!(
        !clients[0]
            .lines
            .lock()
            .unwrap()
            .iter()
            .any(|l| l.starts_with("ERR ")),
        "{:?}",
        clients[0].lines
    );
    // The dead node's users leave everywhere within seconds, each once.
    for c in [&clients[0], &clients[2]] {
        for gone in ["hugo", "iris", "jack"] {
            let lost = format!(" {gone} lost");
            let deadline = Instant::now() + Duration::from_secs(30);
            let both = |l: &Vec<String>| {
                l.iter()
                    .any(|l| l.starts_with("LEAVE ") && l.ends_with(&lost))
                    && l.iter()
                        .any(|l| l.starts_with("RLEAVE Den ") && l.ends_with(&lost))
            };
            while !both(&c.lines.lock().unwrap()) {
                assert!(Instant::now() < deadline, "{}: {gone} never left", c.name);
                std::thread::sleep(Duration::from_millis(20));
            }
        }
    }
    let leaves = |c: &Client| {
        c.lines
            .lock()
            .unwrap()
            .iter()
            .filter(|l| l.ends_with(" lost"))
            .count()
    };
    assert_eq!(leaves(&clients[0]), 6, "{:?}", clients[0].lines);
    // Both living nodes give every line the same id (its place in the
    // room's log), in their history.
    let history = |c: &mut Client| {
        let from = c.lines.lock().unwrap().len();
        c.command("/tags on");
        c.command("/history Den 100");
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let lines = c.lines.lock().unwrap()[from..].to_vec();
            if lines.iter().any(|l| l.contains("END history")) {
                return lines
                    .into_iter()
                    .filter(|l| l.starts_with("@id=") && l.contains(" HIST Den "))
                    .map(|l| {
                        let (id, rest) = l.split_once(' ').unwrap();
                        let text = rest.splitn(5, ' ').skip(3).collect::<Vec<_>>().join(" ");
                        format!("{id} {text}")
                    })
                    .collect::<Vec<_>>();
            }
            assert!(Instant::now() < deadline, "{lines:?}");
            std::thread::sleep(Duration::from_millis(20));
        }
    };
    let on_n0 = history(&mut clients[0]);
    let on_n1 = history(&mut clients[2]);
    assert_eq!(on_n0.len(), den.len().min(100), "{on_n0:?}");
    assert_eq!(on_n0, on_n1);
}

#[test]
fn one_name_registered_on_two_nodes_at_once_has_one_winner() {
    let url = broker::shared_url();
    let prefix = unique_prefix();
    let nodes = cluster_of(2, &url, &format!("cluster: Some((prefix: \"{prefix}\"))"));
    let mut results = Vec::new();
    for round in 0..5 {
        let name = format!("twin{round}");
        let mut a = TcpStream::connect(nodes[0].chat).unwrap();
        let mut b = TcpStream::connect(nodes[1].chat).unwrap();
        writeln!(a, "/register {name} {PASSWORD}").unwrap();
        writeln!(b, "/register {name} {PASSWORD}").unwrap();
        let ra = first_answer(a);
        let rb = first_answer(b);
        let won = [&ra, &rb]
            .iter()
            .filter(|r| r.starts_with("OK registered"))
            .count();
        assert_eq!(won, 1, "{ra} / {rb}");
        results.push((ra, rb));
    }
    assert!(results
        .iter()
        .all(|(a, b)| a.contains("name-taken") || b.contains("name-taken")));
}

/// The first `OK registered` or `ERR` line.
fn first_answer(s: TcpStream) -> String {
    s.set_read_timeout(Some(Duration::from_secs(20))).unwrap();
    let mut r = BufReader::new(s);
    loop {
        let mut line = String::new();
        assert!(r.read_line(&mut line).unwrap() > 0);
        if line.starts_with("OK registered") || line.starts_with("ERR ") {
            return line.trim_end().to_owned();
        }
    }
}

/// `n` nodes of a cluster of their own on the shared broker, with `root`
/// an admin.
fn with_root(n: usize) -> Vec<Node> {
    let prefix = unique_prefix();
    let config = format!("admins: [\"root\"], cluster: Some((prefix: \"{prefix}\"))");
    cluster_of(n, &broker::shared_url(), &config)
}

#[test]
fn a_kick_and_a_takeover_cross_nodes() {
    let nodes = with_root(3);
    let mut root = Client::connect("root", Proto::Chat, &nodes[0], false);
    let mallory = Client::connect("mallory", Proto::Chat, &nodes[1], true);
    let alice = Client::connect("alice", Proto::Chat, &nodes[2], true);
    root.wait_line("alice");
    root.command("/kickuser mallory bye");
    mallory.wait_line("CTL kick root bye");
    let deadline = Instant::now() + Duration::from_secs(10);
    while !*mallory.closed.lock().unwrap() {
        assert!(Instant::now() < deadline, "mallory is still connected");
        std::thread::sleep(Duration::from_millis(20));
    }
    // alice logs in on node 0: her session on node 2 is taken over.
    let alice2 = Client::connect("alice", Proto::Chat, &nodes[0], false);
    alice.wait_line("CTL takeover");
    alice2.wait_line("WELCOME alice");
    // The room sees the new session come in (the old one's leave names a
    // session that is no longer alice's, and shows nothing).
    let deadline = Instant::now() + Duration::from_secs(10);
    while root
        .lines
        .lock()
        .unwrap()
        .iter()
        .filter(|l| l.starts_with("JOIN ") && l.ends_with(" alice"))
        .count()
        < 2
    {
        assert!(
            Instant::now() < deadline,
            "{:?}",
            root.lines.lock().unwrap()
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}
/// Waits for `line` at `c`, at most a second from now (the time an
/// admin's change has to reach every node); returns how long it took.
fn within_a_second(c: &Client, line: &str) -> Duration {
    let start = Instant::now();
    loop {
        if c.lines.lock().unwrap().iter().any(|l| l == line) {
            return start.elapsed();
        }
        assert!(
            start.elapsed() < Duration::from_secs(1),
            "{} did not get {line:?} within a second: {:?}",
            c.name,
            c.lines.lock().unwrap()
        );
        std::thread::sleep(Duration::from_millis(5));
    }
}

/// An admin's kick and grant change on one node reach the user's
/// connection on another within a second, and the other node acts on
/// them (the new admin sees the kick list there).
#[test]
fn a_kick_and_a_grant_change_reach_another_node_within_a_second() {
    let nodes = with_root(2);
    let mut root = Client::connect("root", Proto::Chat, &nodes[0], false);
    let mallory = Client::connect("mallory", Proto::Chat, &nodes[1], true);
    let mut trent = Client::connect("trent", Proto::Chat, &nodes[1], true);
    root.wait_line(" mallory");
    root.wait_line(" trent");
    root.command("/kickuser mallory bye");
    let kick = within_a_second(&mallory, "CTL kick root bye");
    root.command("/changegrant trent 0");
    let grant = within_a_second(&trent, "CTL grant 0");
    eprintln!("kick crossed in {kick:?}, grant change in {grant:?}");
    root.wait_line("OK grant trent 0");
    trent.command("/viewkickusers");
    trent.wait_line("KICKED mallory root ");
}

/// Three NATS servers in a cluster with JetStream, R3.
struct NatsCluster {
    servers: Vec<broker::NatsServer>,
}

impl NatsCluster {
    fn start() -> NatsCluster {
        let ports: Vec<(u16, u16)> = (0..3)
            .map(|_| (broker::free_port(), broker::free_port()))
            .collect();
        let routes: Vec<String> = ports
            .iter()
            .map(|(_, r)| format!("nats://127.0.0.1:{r}"))
            .collect();
        let servers = ports
            .iter()
            .enumerate()
            .map(|(i, (port, route))| {
                let dir = tempfile::tempdir().unwrap().keep();
                broker::NatsServer::start_with(
                    *port,
                    &dir,
                    &[
                        "--server_name".into(),
                        format!("s{i}"),
                        "--cluster_name".into(),
                        "chat".into(),
                        "--cluster".into(),
                        format!("nats://127.0.0.1:{route}"),
                        "--routes".into(),
                        routes.join(","),
                    ],
                )
            })
            .collect();
        NatsCluster { servers }
    }

    fn urls(&self) -> String {
        self.servers
            .iter()
            .map(|s| s.url())
            .collect::<Vec<_>>()
            .join(",")
    }
}

#[test]
fn a_nats_server_killed_during_traffic_loses_no_acknowledged_line() {
    let mut nats = NatsCluster::start();
    let urls = nats.urls();
    let nodes = cluster_of(
        3,
        &urls,
        "cluster: Some((replicas: 3, start_timeout_ms: 60000))",
    );
    let mut clients: Vec<Client> = ["gina", "hank", "ivy"]
        .iter()
        .enumerate()
        .map(|(i, n)| Client::connect(n, Proto::Chat, &nodes[i], true))
        .collect();
    clients[0].wait_line("ivy");
    for i in 0..40 {
        for c in clients.iter_mut() {
            let text = format!("{}{i}", &c.name[..1]);
            c.say(&text);
        }
        if i == 20 {
            nats.servers[1].kill();
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    // Every line anyone saw echoed (acknowledged) reached everyone.
    let refs: Vec<&Client> = clients.iter().collect();
    let acked: Vec<String> = refs
        .iter()
        .flat_map(|c| {
            c.said()
                .into_iter()
                .filter(|l| l.starts_with(&format!("{}:", c.name)))
                .collect::<Vec<_>>()
        })
        .collect();
    for c in &refs {
        let deadline = Instant::now() + Duration::from_secs(30);
        while !acked.iter().all(|l| c.said().contains(l)) {
            if Instant::now() > deadline {
                for (i, n) in nodes.iter().enumerate() {
                    for l in n.log.lock().unwrap().iter() {
                        if !l.contains(" INFO ") {
                            eprintln!("n{i}: {l}");
                        }
                    }
                }
                let said = c.said();
                let missing: Vec<&String> = acked.iter().filter(|l| !said.contains(l)).collect();
                panic!(
                    "{} lacks acknowledged lines {missing:?}; saw {said:?}",
                    c.name
                );
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }
    check(&refs);
}

#[test]
fn a_cluster_backup_restores_into_a_new_cluster() {
    let url = broker::shared_url();
    let prefix = unique_prefix();
    let config = format!("cluster: Some((prefix: \"{prefix}\"))");
    let nodes = cluster_of(1, &url, &config);
    let mut alice = Client::connect("alice", Proto::Chat, &nodes[0], true);
    alice.say("kept across the restore");
    alice.wait_said("her line", |t| t.len() == 1);
    drop(nodes);
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("cluster.backup");
    let tool = |args: &[&str], prefix: &str| {
        let cfg = dir.path().join(format!("{prefix}.ron"));
        std::fs::write(&cfg, format!("(cluster: Some((prefix: \"{prefix}\")))")).unwrap();
        let out = Command::new(env!("CARGO_BIN_EXE_chat-server"))
            .args(["--cluster", &url, "--config"])
            .arg(&cfg)
            .arg("--data-dir")
            .arg(dir.path().join("data"))
            .args(args)
            .env("CHAT_STORE_KEY", KEY)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    };
    tool(&["backup", "--out", file.to_str().unwrap()], &prefix);
    let restored = unique_prefix();
    tool(&["restore", "--from", file.to_str().unwrap()], &restored);
    let nodes = cluster_of(1, &url, &format!("cluster: Some((prefix: \"{restored}\"))"));
    let mut alice = Client::connect("alice", Proto::Chat, &nodes[0], false);
    alice.command("/history lobby");
    alice.wait_line("kept across the restore");
}

#[test]
fn a_client_moves_to_another_node_and_rejoins_its_rooms() {
    let url = broker::shared_url();
    let prefix = unique_prefix();
    let mut nodes = cluster_of(2, &url, &format!("cluster: Some((prefix: \"{prefix}\"))"));
    let mut bot = chat_client::Client::register(nodes[0].chat, "roamer", PASSWORD)
        .unwrap()
        .with_fallbacks(vec![nodes[1].chat]);
    bot.send("/create Den").unwrap();
    bot.wait_for("OK joined Den").unwrap();
    let mut other = Client::connect("stayer", Proto::Chat, &nodes[1], true);
    other.command("/join Den");
    other.wait_line("OK joined Den");
    nodes[0].kill9();
    // While the roamer is away, the room goes on.
    other.command("/say Den said while you moved");
    other.wait_line("said while you moved");
    bot.reconnect(Duration::from_secs(30)).unwrap();
    assert_eq!(bot.addr(), nodes[1].chat);
    // Rejoined by itself; the history replayed on join has the line.
    let (_, before) = bot.wait_for("END history").unwrap();
    assert!(
        before.iter().any(|l| l.contains("said while you moved")),
        "{before:?}"
    );
    bot.send("/say Den back").unwrap();
    other.wait_line("roamer back");
}

/// Reads `bot`'s events until `done` holds of the lines of `room` it
/// passed on (`from: text`, room lines and history alike), collecting them
/// into `seen`; `each` sees every line.
fn read_room(
    bot: &mut chat_client::Client,
    room: &str,
    seen: &mut Vec<String>,
    done: impl Fn(&[String], &chat_client::Session) -> bool,
    each: impl Fn(&str),
) {
    use chat_core::reply::{HistoryOf, Reply};
    let deadline = Instant::now() + Duration::from_secs(30);
    while !done(seen, bot.session()) {
        assert!(Instant::now() < deadline, "{room}: saw {seen:?}");
        let line = match bot.next_event() {
            Ok(Some(chat_client::Event::Line(line))) => line,
            Ok(Some(_)) | Err(chat_client::ClientError::Timeout(_)) => continue,
            other => panic!("{other:?}; {room}: saw {seen:?}"),
        };
        each(line.text());
        match line.reply() {
            Ok(Reply::RoomMsg {
                room: r,
                from,
                text,
                ..
            })
            | Ok(Reply::Hist {
                of: HistoryOf::Room(r),
                from,
                text,
                ..
            }) if r.eq_ignore_ascii_case(room) => {
                seen.push(format!("{from}: {text}"));
            }
            _ => {}
        }
    }
}

/// A client that moves to another node catches up by message id: every
/// line said in its room while it was away (more than a join replays and
/// than a page of history holds) and while it came back shows once, in
/// order.
#[test]
fn a_client_that_moves_catches_up_every_line_once_in_order() {
    let url = broker::shared_url();
    let prefix = unique_prefix();
    let mut nodes = cluster_of(2, &url, &format!("cluster: Some((prefix: \"{prefix}\"))"));
    let mut bot = chat_client::Client::register(nodes[0].chat, "roamer", PASSWORD)
        .unwrap()
        .with_fallbacks(vec![nodes[1].chat]);
    bot.request_ids().unwrap();
    bot.send("/create Den").unwrap();
    let mut other = Client::connect("stayer", Proto::Chat, &nodes[1], true);
    other.join("Den");
    for i in 0..10 {
        other.say_in("Den", &format!("before {i}"));
    }
    let mut seen = Vec::new();
    read_room(
        &mut bot,
        "Den",
        &mut seen,
        |seen, _| seen.last().is_some_and(|l| l == "stayer: before 9"),
        |_| {},
    );
    nodes[0].kill9();
    for i in 0..130 {
        other.say_in("Den", &format!("away {i}"));
    }
    let away = |c: &Client, last: &str| {
        let deadline = Instant::now() + Duration::from_secs(30);
        while !c.said_in("Den").iter().any(|l| l == last) {
            assert!(Instant::now() < deadline, "{:?}", c.said_in("Den"));
            std::thread::sleep(Duration::from_millis(20));
        }
    };
    away(&other, "stayer: away 129");
    // Lines go on while it comes back.
    let talker = std::thread::spawn(move || {
        for i in 0..40 {
            other.say_in("Den", &format!("during {i}"));
            std::thread::sleep(Duration::from_millis(5));
        }
        other
    });
    bot.reconnect(Duration::from_secs(30)).unwrap();
    assert_eq!(bot.addr(), nodes[1].chat);
    let other = talker.join().unwrap();
    away(&other, "stayer: during 39");
    let said = other.said_in("Den");
    assert_eq!(said.len(), 180, "{said:?}");
    read_room(
        &mut bot,
        "Den",
        &mut seen,
        |seen, session| seen.len() >= said.len() && !session.is_catching_up(),
        |_| {},
    );
    // Nothing more comes: a line twice would be here before the PONG.
    bot.send("/ping settled").unwrap();
    let pong = std::sync::atomic::AtomicBool::new(false);
    read_room(
        &mut bot,
        "Den",
        &mut seen,
        |_, _| pong.load(Relaxed),
        |l| pong.store(l == "PONG settled", Relaxed),
    );
    assert_eq!(seen, said);
}

/// What IRC says besides plain lines crosses nodes as it was sent: an
/// action (`/me`), a notice (kept as such in history), an away message,
/// the echo of a private message.
#[test]
fn irc_actions_notices_and_away_cross_nodes() {
    let url = broker::shared_url();
    let prefix = unique_prefix();
    let nodes = cluster_of(2, &url, &format!("cluster: Some((prefix: \"{prefix}\"))"));
    drop(Client::connect("erin", Proto::Chat, &nodes[0], true));
    drop(Client::connect("gail", Proto::Chat, &nodes[1], true));
    let mut erin = Client::connect("erin", Proto::Irc, &nodes[0], false);
    let mut gail = Client::connect("gail", Proto::Irc, &nodes[1], false);
    // Both in the lobby (IRC clients are not shown others' joins of it).
    erin.wait_line(" 366 erin ");
    gail.wait_line(" 366 gail ");
    // At login, as from a single server: the JOIN, then the members.
    let lines = erin.lines.lock().unwrap().clone();
    let joined = lines
        .iter()
        .position(|l| l.starts_with(":erin!") && l.ends_with(" JOIN #lobby"));
    let names = lines.iter().position(|l| l.contains(" 353 erin "));
    assert!(joined.is_some() && joined < names, "{lines:?}");
    erin.command("PRIVMSG #lobby :\u{1}ACTION waves\u{1}");
    erin.command("NOTICE #lobby :a notice");
    gail.wait_line("PRIVMSG #lobby :\u{1}ACTION waves\u{1}");
    gail.wait_line("NOTICE #lobby :a notice");
    // Kept as they were said on the other node too: chat/1 with tags on
    // reads their kinds in the lobby's history there.
    let mut reader = Client::connect("hana", Proto::Chat, &nodes[1], true);
    reader.command("/tags on");
    reader.command("/history lobby");
    reader.wait_line(";kind=action HIST lobby ");
    reader.wait_line(";kind=notice HIST lobby ");
    drop(reader);
    gail.command("AWAY :out to lunch");
    gail.wait_line(" 306 ");
    // Online lists go out a few times a second: once erin's node has
    // gail's, a message to her is answered with her away message.
    let deadline = Instant::now() + Duration::from_secs(10);
    for n in 1.. {
        let text = format!("PRIVMSG gail :are you there {n}");
        let from = erin.lines.lock().unwrap().len();
        erin.command(&text);
        // echo-message: erin's own line comes back (or 401 while her node
        // has no online list with gail yet).
        let (answer, lines) = loop {
            let lines = erin.lines.lock().unwrap()[from..].to_vec();
            if let Some(l) = lines
                .iter()
                .find(|l| l.ends_with(&text) || l.contains(" 401 erin gail "))
            {
                break (l.clone(), lines);
            }
            assert!(Instant::now() < deadline, "{lines:?}");
            std::thread::sleep(Duration::from_millis(20));
        };
        if answer.ends_with(&text) {
            assert!(answer.starts_with(":erin!"), "{answer}");
            gail.wait_line(&text);
            if lines
                .iter()
                .any(|l| l.contains(" 301 erin gail :out to lunch"))
            {
                break;
            }
        }
        assert!(Instant::now() < deadline, "{lines:?}");
        std::thread::sleep(Duration::from_millis(200));
    }
}

/// `WELCOME` means in the lobby, as on one server: a line said on
/// another node right after it reaches the new user (a node welcomes once
/// the lobby's log has the join).
#[test]
fn a_line_said_right_after_welcome_on_another_node_arrives() {
    let url = broker::shared_url();
    let prefix = unique_prefix();
    let nodes = cluster_of(2, &url, &format!("cluster: Some((prefix: \"{prefix}\"))"));
    for round in 0..20 {
        let mut north = Client::connect(&format!("north{round}"), Proto::Chat, &nodes[0], true);
        let south = Client::connect(&format!("south{round}"), Proto::Chat, &nodes[1], true);
        north.say("hello across the cluster");
        south.wait_said("the line said right after its WELCOME", |t| {
            t.iter()
                .any(|l| l == &format!("north{round}: hello across the cluster"))
        });
    }
}

/// The users `c`'s `/viewusers` lists now.
fn listed_users(c: &mut Client) -> Vec<String> {
    c.lines.lock().unwrap().clear();
    c.command("/viewusers");
    std::thread::sleep(Duration::from_millis(200));
    let lines = c.lines.lock().unwrap().clone();
    let mut names: Vec<String> = lines
        .iter()
        .filter_map(|l| l.strip_prefix("USER "))
        .filter_map(|l| l.split(' ').next())
        .map(str::to_owned)
        .collect();
    names.sort();
    names
}

#[test]
fn an_online_list_larger_than_one_value_reaches_every_node_in_parts() {
    let url = broker::shared_url();
    let prefix = unique_prefix();
    // Values of at most 64 bytes: six users' list is written in parts.
    let nodes = cluster_of(
        2,
        &url,
        &format!("cluster: Some((prefix: \"{prefix}\", presence_part_bytes: 64))"),
    );
    let names = ["pa", "pb", "pc", "pd", "pe", "pf"];
    let mut here: Vec<Client> = names
        .iter()
        .map(|n| Client::connect(n, Proto::Chat, &nodes[0], true))
        .collect();
    let mut zed = Client::connect("zed", Proto::Chat, &nodes[1], true);
    let mut want: Vec<String> = names.iter().map(|n| n.to_string()).collect();
    want.push("zed".into());
    let deadline = Instant::now() + Duration::from_secs(10);
    while listed_users(&mut zed) != want {
        assert!(Instant::now() < deadline, "{:?}", listed_users(&mut zed));
    }
    // One leaves: its part is written again, and the other node's list
    // follows.
    let pc = here.remove(2);
    pc.out.shutdown(std::net::Shutdown::Both).unwrap();
    want.retain(|n| n != "pc");
    while listed_users(&mut zed) != want {
        assert!(Instant::now() < deadline, "{:?}", listed_users(&mut zed));
    }
}
