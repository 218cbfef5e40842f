//! The attacks of the second hardening pass: a server with every kind of
//! listener, what other people do meanwhile and must still manage, and
//! the server's resident memory at its peak. Loopback addresses from
//! 127.0.0.2 stand for other hosts.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::Path;
use std::time::{Duration, Instant};

use chat_client::{Auth, Client, TlsConnector, Transport};
use chat_net_mio::{ListenerConfig, Protocol, ServerConfig, TransportKind};

use super::tls::{cert, https_get, IrcTls};
use super::{config, connect_from, expect, resident_bytes, TestServer, PASSWORD};

pub fn listener(transport: TransportKind, protocol: Protocol) -> ListenerConfig {
    ListenerConfig {
        bind: "127.0.0.1:0".parse().unwrap(),
        transport,
        protocol,
    }
}

/// Per-address limits on for loopback too, so 127.0.0.2 is a host of its
/// own; registrations are not what these tests are about.
pub fn attack_config() -> ServerConfig {
    let mut cfg = config(&[]);
    cfg.limits.exempt_loopback = false;
    cfg.limits.registrations_per_address = u32::MAX;
    cfg
}

/// A server with the page (WebSocket and WebSocket over TLS), chat/1 over
/// TLS, IRC over TLS and plain IRC; the certificate's files are in
/// `certs`.
pub fn start_with_every_listener(
    certs: &Path,
    mut cfg: ServerConfig,
) -> (TestServer, [SocketAddr; 5]) {
    cfg.tls = Some(cert(certs, "server"));
    cfg.listeners = vec![
        listener(TransportKind::Ws, Protocol::Chat1),
        listener(TransportKind::Wss, Protocol::Chat1),
        listener(TransportKind::Tls, Protocol::Chat1),
        listener(TransportKind::Tls, Protocol::Irc),
        listener(TransportKind::Tcp, Protocol::Irc),
    ];
    let s = TestServer::start(cfg);
    let a = s.listener_addrs.clone();
    (s, [a[0], a[1], a[2], a[3], a[4]])
}

/// `GET path` over plain HTTP: the status line, or the error.
pub fn http_get(addr: SocketAddr, path: &str) -> std::io::Result<String> {
    let mut c = TcpStream::connect(addr)?;
    c.set_read_timeout(Some(Duration::from_secs(10)))?;
    c.write_all(format!("GET {path} HTTP/1.1\r\nHost: localhost\r\n\r\n").as_bytes())?;
    let mut page = String::new();
    c.read_to_string(&mut page)?;
    Ok(page)
}

/// Opens `n` silent connections from 127.0.0.2, alternating over
/// `targets`; those the server refuses at once are counted as opened too
/// (the attacker does not care).
pub fn silent_flood(targets: &[SocketAddr], n: usize) -> Vec<TcpStream> {
    (0..n)
        .filter_map(|i| connect_from(targets[i % targets.len()], "127.0.0.2").ok())
        .collect()
}

/// What other people do during an attack, from 127.0.0.1, and must
/// still be able to: 50 page loads (half over TLS), a chat/1 login over
/// TLS, an IRC login over TLS (as alice, who must exist).
pub fn others(addrs: &[SocketAddr; 5], ca: &Path, round: usize) {
    let [ws, wss, tls, irc_tls, _] = *addrs;
    let mut pages = 0;
    for i in 0..50 {
        let path = ["/", "/app.js", "/style.css"][i % 3];
        let over_tls = i % 2 == 0;
        let page = if over_tls {
            https_get(wss, ca, path)
        } else {
            http_get(ws, path)
        };
        match page {
            Ok(p) if p.starts_with("HTTP/1.1 200 OK") => pages += 1,
            Ok(p) => panic!("page load {i} answered {:?}", p.lines().next()),
            Err(e) => panic!("page load {i} failed: {e}"),
        }
    }
    assert_eq!(pages, 50);
    let tls_to = Transport::Tls(TlsConnector::new(Some(ca), "localhost").unwrap());
    let name = format!("bob{round}");
    let mut bob = Client::enter_via(tls, &name, PASSWORD, Auth::Register, tls_to)
        .unwrap_or_else(|e| panic!("a TLS login during the attack: {e}"));
    bob.send("/ping p").unwrap();
    expect(&mut bob, "PONG p");
    let mut irc = IrcTls::connect(irc_tls, ca);
    irc.send(&format!("PASS alice:{PASSWORD}"));
    irc.send("NICK alice");
    irc.send("USER alice 0 * :Alice");
    irc.until(" 001 alice ");
    irc.send("QUIT");
}

/// Resident memory sampled on a thread until [`Peak::finish`]: the most
/// seen, and once it stopped growing.
pub struct Peak {
    stop: std::sync::Arc<std::sync::atomic::AtomicBool>,
    thread: std::thread::JoinHandle<u64>,
}

impl Peak {
    pub fn start() -> Peak {
        let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
        let flag = std::sync::Arc::clone(&stop);
        let thread = std::thread::spawn(move || {
            let mut most = resident_bytes();
            while !flag.load(std::sync::atomic::Ordering::Relaxed) {
                most = most.max(resident_bytes());
                std::thread::sleep(Duration::from_millis(20));
            }
            most
        });
        Peak { stop, thread }
    }

    /// Waits until resident memory has not grown for two seconds (the
    /// server worked through the attack), then returns the most seen.
    pub fn finish(self) -> u64 {
        let mut most = resident_bytes();
        let mut since = Instant::now();
        let give_up = Instant::now() + Duration::from_secs(120);
        while since.elapsed() < Duration::from_secs(2) && Instant::now() < give_up {
            std::thread::sleep(Duration::from_millis(50));
            let now = resident_bytes();
            if now > most {
                most = now;
                since = Instant::now();
            }
        }
        self.stop.store(true, std::sync::atomic::Ordering::Relaxed);
        self.thread.join().unwrap().max(most)
    }
}

/// The rooms of the output attacks: `h0`, `h1`... made by root (an admin:
/// no creation limits), each holding as many 4,000-byte lines as a room's
/// history keeps (256 KiB).
pub fn rooms_full_of_history(addr: SocketAddr, rooms: usize) {
    let mut root = Client::login(addr, "root", PASSWORD).unwrap();
    let text = "y".repeat(4_000);
    for r in 0..rooms {
        root.send(&format!("/create h{r}")).unwrap();
        expect(&mut root, &format!("OK created h{r}"));
        for i in 0..70 {
            root.send(&format!("/say h{r} {i:02}{text}")).unwrap();
        }
        root.send(&format!("/ping h{r}")).unwrap();
        expect(&mut root, &format!("PONG h{r}"));
    }
}

/// A server for the output attacks: guests on, root an admin, no flood
/// control for root's filling of the rooms.
pub fn output_attack_server(certs: &Path) -> (TestServer, [SocketAddr; 5]) {
    let mut cfg = attack_config();
    cfg.irc_guests = true;
    cfg.admins = vec!["root".into()];
    cfg.limits.messages_per_second = 0;
    let (s, addrs) = start_with_every_listener(certs, cfg);
    drop(s.register("alice"));
    rooms_full_of_history(s.addr, 20);
    (s, addrs)
}

/// What a connection may cost the server under these attacks, as
/// SECURITY.md states it: the outbound cap (`net.max_outbound_bytes`,
/// what may wait for one connection before it is dropped as too slow; the
/// engine produces history and listings a window at a time within it),
/// plus its own state (codec, session, twenty room memberships, queued
/// lines) and allocator slack.
pub const PER_CONNECTION: u64 = 256 * 1024 + 64 * 1024;

/// Reports the resident peak an attack of `n` connections reached over
/// `before`, and asserts it stays within [`PER_CONNECTION`] each.
pub fn assert_within_bound(what: &str, before: u64, most: u64, n: u64) {
    let grown = most.saturating_sub(before);
    eprintln!(
        "{what} from {n} connections: resident {} -> {} KiB at most ({} KiB a connection)",
        before / 1024,
        most / 1024,
        grown / 1024 / n
    );
    assert!(
        grown < n * PER_CONNECTION,
        "{} KiB for {n} connections",
        grown / 1024
    );
}
