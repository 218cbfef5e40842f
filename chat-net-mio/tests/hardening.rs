//! The runtime's answers to a hostile network (issue 7), each over real
//! loopback TCP.

mod support;

use std::io::{BufRead, BufReader, Write};
use std::net::{Shutdown, SocketAddr, TcpStream};
use std::sync::{Arc, Barrier};
use std::time::{Duration, Instant};

use chat_client::Client;
use chat_core::password::HashParams;
use support::{config, eventually, expect, TestServer, PASSWORD};

/// A raw connection, optionally from another loopback address and with a
/// small receive buffer: what `Client` cannot do.
fn raw(addr: SocketAddr, from: Option<&str>, rcvbuf: Option<usize>) -> TcpStream {
    use socket2::{Domain, Socket, Type};
    let s = Socket::new(Domain::IPV4, Type::STREAM, None).unwrap();
    if let Some(n) = rcvbuf {
        s.set_recv_buffer_size(n).unwrap();
    }
    if let Some(ip) = from {
        let local: SocketAddr = format!("{ip}:0").parse().unwrap();
        s.bind(&local.into()).unwrap();
    }
    s.connect(&addr.into()).unwrap();
    let s: TcpStream = s.into();
    s.set_read_timeout(Some(Duration::from_secs(20))).unwrap();
    s
}

/// Reads lines until one starts with `prefix`.
fn wait_line(r: &mut BufReader<TcpStream>, prefix: &str) -> String {
    loop {
        let mut line = String::new();
        let n = r
            .read_line(&mut line)
            .unwrap_or_else(|e| panic!("waiting for {prefix:?}: {e}"));
        assert!(n > 0, "closed while waiting for {prefix:?}");
        if line.starts_with(prefix) {
            return line.trim_end().to_owned();
        }
    }
}

/// Logs in (`verb` "login") or registers on a raw connection.
fn raw_enter(
    addr: SocketAddr,
    from: Option<&str>,
    rcvbuf: Option<usize>,
    verb: &str,
    name: &str,
) -> TcpStream {
    let mut s = raw(addr, from, rcvbuf);
    s.write_all(format!("/{verb} {name} {PASSWORD}\n").as_bytes())
        .unwrap();
    let mut r = BufReader::new(s.try_clone().unwrap());
    wait_line(&mut r, "WELCOME ");
    s
}

/// Waits for `name`'s JOIN.
fn joined(c: &mut Client, name: &str) {
    while !expect(c, "JOIN ").ends_with(&format!(" {name}")) {}
}

/// Hole 1: six users send their whole allowed burst (20 lines of ~4,000
/// bytes) at once, 480 KB to every member in one turn, over the 256 KiB
/// cap. Every member reads promptly, so nobody may be dropped.
#[test]
fn a_burst_does_not_drop_readers_that_keep_up() {
    let s = TestServer::start(config(&[]));
    let names: Vec<String> = (0..6).map(|i| format!("u{i}")).collect();
    let mut clients: Vec<Client> = names.iter().map(|n| s.register(n)).collect();
    for c in &mut clients {
        // Everyone's JOIN has reached everyone.
        joined(c, "u5");
    }
    let body = "x".repeat(3_980);
    let burst: String = (0..20).map(|i| format!("{i:02}{body}\n")).collect();
    let start = Arc::new(Barrier::new(names.len()));
    let threads: Vec<_> = clients
        .into_iter()
        .map(|mut c| {
            let (start, burst) = (Arc::clone(&start), burst.clone());
            std::thread::spawn(move || {
                start.wait();
                c.send_raw(burst.as_bytes()).unwrap();
                let mut got = 0;
                while got < 6 * 20 {
                    match c.next_line() {
                        Ok(Some(l)) if l.starts_with("MSG ") => got += 1,
                        Ok(Some(l)) if l.starts_with("LEAVE ") => panic!("someone left: {l}"),
                        Ok(Some(_)) => {}
                        Ok(None) => panic!("dropped after {got} messages"),
                        Err(e) => panic!("after {got} messages: {e}"),
                    }
                }
            })
        })
        .collect();
    for t in threads {
        t.join().unwrap();
    }
}

/// Hole 16: a reader that takes nothing is dropped as too slow, and the
/// others see its LEAVE with no further input from anyone.
#[test]
fn a_too_slow_drop_is_announced_at_once() {
    let mut cfg = config(&[]);
    cfg.net.max_outbound_bytes = 32 * 1024;
    cfg.limits.messages_per_second = 0;
    let s = TestServer::start(cfg);
    let alice = raw_enter(s.addr, None, None, "register", "alice");
    let mut bob = s.register("bob");
    // On a connection that reads nothing, with a tiny window.
    let _sloth = raw_enter(s.addr, None, Some(4096), "register", "sloth");
    joined(&mut bob, "sloth");
    // More than the kernel's buffers for it can hold (up to 4 MiB to send);
    // alice reads her echoes meanwhile, so only the sloth falls behind.
    // (With several I/O threads the sloth's drop is found on its own
    // thread, so more of alice's echoes may come before its LEAVE.)
    let mut writer = alice.try_clone().unwrap();
    let reader = std::thread::spawn(move || {
        wait_line(&mut BufReader::with_capacity(1 << 20, alice), "LEAVE ")
    });
    let sender = std::thread::spawn(move || {
        let line = format!("{}\n", "y".repeat(3_000)).repeat(2_500);
        // Fails once the test stops reading and alice is dropped in turn.
        let _ = writer.write_all(line.as_bytes());
    });
    let leave = expect(&mut bob, "LEAVE ");
    assert!(leave.ends_with(" sloth too-slow"), "{leave}");
    let leave = reader.join().unwrap();
    assert!(leave.ends_with(" sloth too-slow"), "{leave}");
    sender.join().unwrap();
}

/// Hole 8: clients that send some bytes and shut down their write side
/// at once are seen leaving, though their end of file came in the same
/// readiness event as the bytes.
#[test]
fn half_closed_clients_are_seen_leaving() {
    let s = TestServer::start(config(&[]));
    let mut alice = s.register("alice");
    let names: Vec<String> = (0..10).map(|i| format!("half{i}")).collect();
    let halves: Vec<TcpStream> = names
        .iter()
        .map(|n| raw_enter(s.addr, None, None, "register", n))
        .collect();
    let start = Arc::new(Barrier::new(halves.len()));
    let threads: Vec<_> = halves
        .into_iter()
        .map(|mut h| {
            let start = Arc::clone(&start);
            std::thread::spawn(move || {
                // Corked, the bytes and the FIN leave in one segment.
                socket2::SockRef::from(&h).set_cork(true).unwrap();
                start.wait();
                // Half a line: no reply, whose ACK would wake the loop again.
                h.write_all(b"and then").unwrap();
                h.shutdown(Shutdown::Write).unwrap();
                h
            })
        })
        .collect();
    let _halves: Vec<TcpStream> = threads.into_iter().map(|t| t.join().unwrap()).collect();
    let mut left = Vec::new();
    while left.len() < names.len() {
        match alice.wait_for("LEAVE ") {
            Ok((line, _)) => left.push(line),
            Err(e) => panic!("{} of {} left ({e})", left.len(), names.len()),
        }
    }
}

/// Hole 4: one address floods the password workers; a login from a quiet
/// address is still answered about as fast as a login alone.
#[test]
fn a_flooding_address_does_not_starve_a_quiet_one() {
    let mut cfg = config(&[]);
    cfg.hash = HashParams {
        memory_kib: 1024,
        iterations: 2,
        parallelism: 1,
    };
    cfg.net.password_workers = 1;
    cfg.net.password_queue_per_address = 4;
    let s = TestServer::start(cfg);
    Client::register(s.addr, "quiet", PASSWORD).unwrap();
    // What one login costs here, with nothing else going on.
    let mut alone = Vec::new();
    for _ in 0..3 {
        let t = Instant::now();
        drop(raw_enter(s.addr, Some("127.0.0.2"), None, "login", "quiet"));
        alone.push(t.elapsed());
    }
    alone.sort();
    let alone = alone[1];

    let flood: Vec<TcpStream> = (0..100)
        .map(|i| {
            let mut c = raw(s.addr, Some("127.0.0.1"), None);
            c.write_all(format!("/login ghost{i} wrong-password\n").as_bytes())
                .unwrap();
            c
        })
        .collect();
    let t = Instant::now();
    drop(raw_enter(s.addr, Some("127.0.0.2"), None, "login", "quiet"));
    let waited = t.elapsed();
    assert!(
        waited < alone * 25,
        "a quiet login took {waited:?} during a flood, {alone:?} alone"
    );
    // The flood was refused early, not queued: most already have an ERR.
    let mut answered = 0;
    for c in flood {
        c.set_read_timeout(Some(Duration::from_millis(1))).unwrap();
        let mut r = BufReader::new(c);
        let mut line = String::new();
        while let Ok(n) = r.read_line(&mut line) {
            if n == 0 || line.starts_with("ERR ") {
                break;
            }
            line.clear();
        }
        answered += usize::from(line.starts_with("ERR ") && line.contains("busy"));
    }
    assert!(answered >= 50, "only {answered} of 100 refused early");
}

/// Hole 11: a subscriber that does not read holds at most its queue; the
/// rest is counted as dropped, and the server goes on.
#[test]
fn a_slow_subscriber_is_bounded_and_its_losses_counted() {
    let mut cfg = config(&[]);
    cfg.net.subscriber_queue = 4;
    cfg.limits.messages_per_second = 0;
    let s = TestServer::start(cfg);
    let events = s.handle.subscribe();
    let mut alice = s.register("alice");
    for i in 0..20 {
        alice.send(&format!("message {i}")).unwrap();
    }
    for _ in 0..20 {
        expect(&mut alice, "MSG ");
    }
    eventually("dropped events counted", || s.handle.dropped_events() >= 17);
    assert_eq!(events.try_iter().count(), 4);
    // Reading makes room again.
    alice.send("after").unwrap();
    expect(&mut alice, "MSG ");
    eventually("a new event", || events.try_recv().is_ok());
}

/// Hole 17: a failed store write tells the client a generic text, never a
/// path of the server's disk.
#[test]
fn a_store_failure_shows_no_server_path() {
    let s = TestServer::start(config(&[]));
    // The writer cannot create its log's temporary file where a folder is.
    std::fs::create_dir(s.dir.path().join("store.log.tmp")).unwrap();
    let mut c = Client::connect(s.addr).unwrap();
    c.send(&format!("/register alice {PASSWORD}")).unwrap();
    let err = expect(&mut c, "ERR ");
    let dir = s.dir.path().display().to_string();
    assert!(
        !err.contains("store.log") && !err.contains(&dir),
        "the client saw the server's disk: {err}"
    );
}
