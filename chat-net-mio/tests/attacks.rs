//! The attacks of the second hardening pass, each over real loopback
//! sockets from 127.0.0.2 (standing for an attacker's host) at twice the
//! size it was found at, with the server's resident memory read from
//! /proc before and after. Other users, from 127.0.0.1, must not notice.

mod support;

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::Path;
use std::time::{Duration, Instant};

use chat_client::{Auth, Client, TlsConnector, Transport};
use chat_net_mio::{ListenerConfig, Protocol, ServerConfig, TransportKind};
use support::tls::{cert, https_get, IrcTls};
use support::{config, connect_from, expect, resident_bytes, TestServer, PASSWORD};

fn listener(transport: TransportKind, protocol: Protocol) -> ListenerConfig {
    ListenerConfig {
        bind: "127.0.0.1:0".parse().unwrap(),
        transport,
        protocol,
    }
}

/// Per-address limits on for loopback too, so 127.0.0.2 is a host of its
/// own; registrations are not what these tests are about.
fn attack_config() -> ServerConfig {
    let mut cfg = config(&[]);
    cfg.limits.exempt_loopback = false;
    cfg.limits.registrations_per_address = u32::MAX;
    cfg
}

/// A server with the page (WebSocket and WebSocket over TLS), chat/1 over
/// TLS and IRC over TLS; the certificate's files are in `certs`.
fn start_with_every_listener(certs: &Path, mut cfg: ServerConfig) -> (TestServer, [SocketAddr; 4]) {
    cfg.tls = Some(cert(certs, "server"));
    cfg.listeners = vec![
        listener(TransportKind::Ws, Protocol::Chat1),
        listener(TransportKind::Wss, Protocol::Chat1),
        listener(TransportKind::Tls, Protocol::Chat1),
        listener(TransportKind::Tls, Protocol::Irc),
    ];
    let s = TestServer::start(cfg);
    let a = s.listener_addrs.clone();
    (s, [a[0], a[1], a[2], a[3]])
}

/// `GET path` over plain HTTP: the status line, or the error.
fn http_get(addr: SocketAddr, path: &str) -> std::io::Result<String> {
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
fn silent_flood(targets: &[SocketAddr], n: usize) -> Vec<TcpStream> {
    (0..n)
        .filter_map(|i| connect_from(targets[i % targets.len()], "127.0.0.2").ok())
        .collect()
}

/// Hole 2: 1,100 silent connections from one address against the page's
/// TLS listener and as many against chat/1 over TLS (twice the attack as
/// found, whose half took every handshake slot) leave other people's page
/// loads, TLS and IRC-over-TLS logins working, and cost the server next
/// to nothing: an address holds its share of the handshake slots, no
/// more, and the rest are reset at accept.
#[test]
fn a_handshake_flood_from_one_address_shuts_nobody_else_out() {
    support::raise_file_limit();
    let certs = tempfile::tempdir().unwrap();
    let (s, [ws, wss, tls, irc_tls]) = start_with_every_listener(certs.path(), attack_config());
    let ca = certs.path().join("server.crt");
    drop(s.register("alice"));
    let before = resident_bytes();
    let mut flood = silent_flood(&[wss, tls], 2_200);
    let others = |round: usize| {
        let mut pages = 0;
        for i in 0..50 {
            let path = ["/", "/app.js", "/style.css"][i % 3];
            let over_tls = i % 2 == 0;
            let page = if over_tls {
                https_get(wss, &ca, path)
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
        let tls_to = Transport::Tls(TlsConnector::new(Some(&ca), "localhost").unwrap());
        let name = format!("bob{round}");
        let mut bob = Client::enter_via(tls, &name, PASSWORD, Auth::Register, tls_to)
            .unwrap_or_else(|e| panic!("a TLS login during the flood: {e}"));
        bob.send("/ping p").unwrap();
        expect(&mut bob, "PONG p");
        let mut irc = IrcTls::connect(irc_tls, &ca);
        irc.send(&format!("PASS alice:{PASSWORD}"));
        irc.send("NICK alice");
        irc.send("USER alice 0 * :Alice");
        irc.until(" 001 alice ");
        irc.send("QUIT");
    };
    others(1);
    // The attacker opens as many again while the first wave still stands.
    flood.extend(silent_flood(&[wss, tls], 2_200));
    others(2);
    let after = resident_bytes();
    eprintln!(
        "handshake flood of {} connections: resident {} -> {} KiB",
        flood.len(),
        before / 1024,
        after / 1024
    );
    let grown = after.saturating_sub(before);
    assert!(
        grown < 16 << 20,
        "the flood cost the server {} KiB of resident memory",
        grown / 1024
    );
    drop(flood);
}

/// A connection that sends nothing is closed after the short first-byte
/// timeout, long before the handshake's whole time; one that began its
/// handshake gets that whole time.
#[test]
fn a_silent_connection_is_closed_at_the_first_byte_timeout() {
    let certs = tempfile::tempdir().unwrap();
    let mut cfg = attack_config();
    cfg.net.first_byte_timeout_ms = 200;
    cfg.net.handshake_timeout_ms = 60_000;
    let (_s, [ws, wss, tls, _]) = start_with_every_listener(certs.path(), cfg);
    for addr in [ws, wss, tls] {
        let start = Instant::now();
        let mut silent = connect_from(addr, "127.0.0.2").unwrap();
        let mut got = Vec::new();
        let _ = silent.read_to_end(&mut got);
        assert!(got.is_empty());
        assert!(
            start.elapsed() < Duration::from_secs(15),
            "a silent connection to {addr} stayed {:?}",
            start.elapsed()
        );
    }
    // The first bytes of an HTTP request: the connection stays for the
    // rest of it, past the first-byte timeout.
    let mut slow = connect_from(ws, "127.0.0.2").unwrap();
    slow.write_all(b"GET / HT").unwrap();
    std::thread::sleep(Duration::from_millis(600));
    slow.write_all(b"TP/1.1\r\nHost: localhost\r\n\r\n")
        .unwrap();
    let mut page = String::new();
    slow.read_to_string(&mut page).unwrap();
    assert!(page.starts_with("HTTP/1.1 200 OK"), "{page}");
}

/// An address gets at most its share of the handshake slots: the next
/// connection is reset at once, and another address still gets in.
#[test]
fn one_address_holds_only_its_share_of_handshakes() {
    let certs = tempfile::tempdir().unwrap();
    let mut cfg = attack_config();
    cfg.net.max_handshakes_per_address = 3;
    let (_s, [ws, _, tls, _]) = start_with_every_listener(certs.path(), cfg);
    let held: Vec<TcpStream> = (0..3)
        .map(|_| connect_from(tls, "127.0.0.2").unwrap())
        .collect();
    // Over every listener together.
    let mut next = connect_from(ws, "127.0.0.2").unwrap();
    let mut got = Vec::new();
    match next.read_to_end(&mut got) {
        Err(e) if e.kind() == std::io::ErrorKind::ConnectionReset => {}
        other => panic!("the fourth handshake was not refused: {other:?}"),
    }
    let page = http_get(ws, "/").unwrap();
    assert!(page.starts_with("HTTP/1.1 200 OK"), "{page}");
    drop(held);
}

/// Connections are counted per address from accept on every listener,
/// handshaking or not: a plain chat/1 client past the limit is told why,
/// in its protocol, and closed.
#[test]
fn connections_per_address_are_counted_from_accept() {
    let certs = tempfile::tempdir().unwrap();
    let mut cfg = attack_config();
    cfg.limits.max_connections_per_address = 4;
    let (s, [_, wss, _, _]) = start_with_every_listener(certs.path(), cfg);
    // Four in their TLS handshake: no more for this address, of any kind.
    let held: Vec<TcpStream> = (0..4)
        .map(|_| connect_from(wss, "127.0.0.2").unwrap())
        .collect();
    let mut plain = connect_from(s.addr, "127.0.0.2").unwrap();
    let mut got = String::new();
    plain.read_to_string(&mut got).unwrap();
    assert!(got.starts_with("HELLO "), "{got}");
    assert!(
        got.contains("ERR server-full") || got.contains("ERR "),
        "{got}"
    );
    assert!(
        got.contains("too many connections from your address"),
        "{got}"
    );
    // Another address is not counted with it.
    let mut bob = Client::register(s.addr, "bob", PASSWORD).unwrap();
    bob.send("/ping p").unwrap();
    expect(&mut bob, "PONG p");
    drop(held);
}

/// Hole 3: eight ordinary accounts (twice the four that took every room in
/// 34 s) each try to create and leave 250 rooms as fast as they can; each
/// gets its hourly few, and anyone else can still create a room.
#[test]
fn accounts_cannot_hoard_the_rooms() {
    use std::io::{BufRead, BufReader};
    let s = TestServer::start(attack_config());
    let mut created = 0;
    for a in 0..8 {
        let name = format!("hoarder{a}");
        drop(s.register(&name));
        let mut c = connect_from(s.addr, "127.0.0.2").unwrap();
        let mut r = BufReader::new(c.try_clone().unwrap());
        // Sends a line; its answer is the first line that starts with
        // `ok` or is an error.
        let mut answer = |c: &mut TcpStream, line: String, ok: &str| -> String {
            c.write_all(line.as_bytes()).unwrap();
            loop {
                let mut got = String::new();
                assert!(r.read_line(&mut got).unwrap() > 0, "closed");
                if got.starts_with(ok) || got.starts_with("ERR ") {
                    return got;
                }
            }
        };
        answer(&mut c, format!("/login {name} {PASSWORD}\n"), "WELCOME ");
        // A store write per creation: each waits for its answer, as lines
        // sent meanwhile would queue (and past the queue, be dropped).
        for n in 0..250 {
            let room = format!("h{a}x{n}");
            if answer(&mut c, format!("/create {room}\n"), "OK created ").starts_with("OK ") {
                created += 1;
                answer(&mut c, format!("/part {room}\n"), "OK parted ");
            }
        }
    }
    let per_user = ServerConfig::default().limits.room_creations_per_user as usize;
    assert_eq!(created, 8 * per_user, "rooms the hoarders created");
    let mut carol = s.register("carol");
    carol.send("/create mine").unwrap();
    expect(&mut carol, "OK created mine");
    carol.send("/rooms").unwrap();
    let end = expect(&mut carol, "END rooms ");
    assert!(end.contains(&format!(" {} ", 8 * per_user + 2)), "{end}");
}
