//! Many clients at once, and a client that stops reading.

mod support;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use chat_client::Client;
use support::{config, expect, TestServer, PASSWORD};

#[test]
fn two_hundred_clients_all_get_every_message() {
    let s = TestServer::start(config(&[]));
    let mut clients: Vec<Client> = (0..200).map(|i| s.register(&format!("u{i}"))).collect();
    clients[0].send("one for all").unwrap();
    for c in &mut clients {
        assert!(expect(c, "MSG ").ends_with(" u0 one for all"));
    }
    clients[199].send("/users").unwrap();
    let (_, rows) = clients[199].wait_for("END users").unwrap();
    assert_eq!(rows.iter().filter(|l| l.starts_with("USER ")).count(), 200);
}

#[test]
fn a_slow_reader_is_dropped_and_the_others_are_served() {
    let mut cfg = config(&[]);
    cfg.net.max_outbound_bytes = 32 * 1024;
    // The talker floods on purpose.
    cfg.limits.messages_per_second = 0;
    let s = TestServer::start(cfg);
    // Logs in and then never reads.
    let mut slow = Client::register(s.addr, "slow", PASSWORD).unwrap();

    let mut reader = s.register("reader");
    let dropped = Arc::new(AtomicBool::new(false));
    // The talker stays a few lines ahead of the reader, so the reader
    // (and the talker's own echo) stay far below the cap while the slow
    // client's queue grows without bound.
    let read = Arc::new(AtomicUsize::new(0));
    let reader_thread = {
        let dropped = Arc::clone(&dropped);
        let read = Arc::clone(&read);
        std::thread::spawn(move || -> Vec<String> {
            let mut seen = Vec::new();
            loop {
                let line = reader.next_line().unwrap().expect("reader stays connected");
                if line.starts_with("LEAVE ") {
                    if line.ends_with(" slow too-slow") {
                        dropped.store(true, Ordering::SeqCst);
                    }
                    seen.push(line.clone());
                } else if line.starts_with("MSG ") {
                    read.fetch_add(1, Ordering::SeqCst);
                }
                if line.ends_with(" talker still here") {
                    seen.push(line);
                    return seen;
                }
            }
        })
    };

    // The talker reads its own echoes on a second thread, so it is not slow.
    let mut talker = TcpStream::connect(s.addr).unwrap();
    talker
        .write_all(format!("/register talker {PASSWORD}\n").as_bytes())
        .unwrap();
    let mut echo = BufReader::new(talker.try_clone().unwrap());
    let mut first = String::new();
    while !first.starts_with("WELCOME") {
        first.clear();
        echo.read_line(&mut first).unwrap();
    }
    let echo_thread = std::thread::spawn(move || {
        let mut sink = [0u8; 64 * 1024];
        while matches!(echo.get_mut().read(&mut sink), Ok(n) if n > 0) {}
    });

    let line = format!("{}\n", "x".repeat(1000));
    let deadline = Instant::now() + Duration::from_secs(60);
    let mut sent = 0usize;
    while !dropped.load(Ordering::SeqCst) {
        assert!(
            Instant::now() < deadline,
            "slow reader not dropped after {sent} lines"
        );
        if sent - read.load(Ordering::SeqCst) < 8 {
            talker.write_all(line.as_bytes()).unwrap();
            sent += 1;
        } else {
            std::thread::yield_now();
        }
    }
    talker.write_all(b"still here\n").unwrap();
    let seen = reader_thread.join().unwrap();
    assert!(
        seen.iter().any(|l| l.ends_with(" slow too-slow")),
        "{seen:?}"
    );

    // The slow client's connection ends after what the kernel had buffered.
    // (Everything written before the drop may be megabytes: read it all.)
    slow.set_timeout(Duration::from_secs(10)).unwrap();
    let rest = slow.read_to_close();
    assert!(rest.is_ok(), "the slow client's connection did not end");
    talker.shutdown(std::net::Shutdown::Both).unwrap();
    echo_thread.join().unwrap();
}

#[test]
fn lines_sent_together_arrive_in_order() {
    // The loop joins one turn's room messages into a shared frame; a
    // private message between them must still arrive between them.
    let s = TestServer::start(config(&[]));
    let mut alice = s.register("alice");
    let mut bob = s.register("bob");
    expect(&mut alice, "JOIN ");
    alice
        .send_raw(b"r1\n/msg bob p1\nr2\nr3\n/msg bob p2\nr4\n")
        .unwrap();
    let mut got = Vec::new();
    while got.len() < 6 {
        let line = bob.next_line().unwrap().expect("bob stays connected");
        if line.starts_with("MSG ") || line.starts_with("PM ") {
            got.push(line.rsplit(' ').next().unwrap().to_string());
        }
    }
    assert_eq!(got, ["r1", "p1", "r2", "r3", "p2", "r4"]);
}
