//! The attacks of the second hardening pass that are about limits, not
//! memory, over real loopback sockets from 127.0.0.2 (standing for an
//! attacker's host). The memory attacks each run alone, in a test binary
//! of their own (`attack_*.rs`), so that one's memory is not another's.

mod support;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

use chat_client::Client;
use chat_net_mio::ServerConfig;
use support::attack::{attack_config, http_get, start_with_every_listener};
use support::{connect_from, expect, TestServer, PASSWORD};

/// A connection that sends nothing is closed after the short first-byte
/// timeout, long before the handshake's whole time; one that began its
/// handshake gets that whole time.
#[test]
fn a_silent_connection_is_closed_at_the_first_byte_timeout() {
    let certs = tempfile::tempdir().unwrap();
    let mut cfg = attack_config();
    cfg.net.first_byte_timeout_ms = 200;
    cfg.net.handshake_timeout_ms = 60_000;
    let (_s, [ws, wss, tls, _, _]) = start_with_every_listener(certs.path(), cfg);
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
    let (_s, [ws, _, tls, _, _]) = start_with_every_listener(certs.path(), cfg);
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
    let (s, [_, wss, _, _, _]) = start_with_every_listener(certs.path(), cfg);
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
