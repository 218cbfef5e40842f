//! Connections spread over several I/O threads: every recipient on every
//! shard gets every line, each connection in the engine's order, whatever
//! mix of room broadcasts and direct replies it gets.

mod support;

use std::collections::HashMap;

use chat_client::Client;
use support::{config, expect, TestServer};

const USERS: usize = 7;
const MESSAGES: usize = 40;

#[test]
fn every_shard_gets_every_line_in_order() {
    let mut cfg = config(&[]);
    // Seven clients round robin over three shards: every shard holds
    // senders and receivers, and the engine's own shard too.
    cfg.net.io_threads = 3;
    lines_reach_everyone_in_order(cfg);
}

#[test]
fn with_the_engine_thread_serving_no_sockets_every_line_arrives_in_order() {
    let mut cfg = config(&[]);
    // Two threads of their own serve the seven clients; the engine's
    // thread only runs the engine (the layout of a big machine).
    cfg.net.io_threads = 2;
    cfg.net.engine_serves_sockets = Some(false);
    assert_eq!(cfg.io_layout().threads_in_all(), 3);
    lines_reach_everyone_in_order(cfg);
}

fn lines_reach_everyone_in_order(mut cfg: chat_net_mio::ServerConfig) {
    cfg.limits.messages_per_second = 0;
    let s = TestServer::start(cfg);
    let names: Vec<String> = (0..USERS).map(|i| format!("u{i}")).collect();
    let mut clients: Vec<_> = names.iter().map(|n| s.register(n)).collect();
    for c in &mut clients {
        // Everyone's JOIN has reached everyone.
        let last = &names[USERS - 1];
        while !expect(c, "JOIN ").ends_with(&format!(" {last}")) {}
    }
    let threads: Vec<_> = clients
        .into_iter()
        .enumerate()
        .map(|(me, mut c): (usize, Client)| {
            std::thread::spawn(move || {
                let next = format!("u{}", (me + 1) % USERS);
                for k in 0..MESSAGES {
                    c.send(&format!("m{me}-{k}")).unwrap();
                    // A direct reply and a PM, between room broadcasts.
                    c.send(&format!("/msg {next} p{me}-{k}")).unwrap();
                }
                let mut room: HashMap<usize, usize> = HashMap::new();
                let mut pms = 0;
                let mut oks = 0;
                while room.values().sum::<usize>() < USERS * MESSAGES
                    || pms < MESSAGES
                    || oks < MESSAGES
                {
                    let line = c.next_line().unwrap().expect("connection closed");
                    let text = line.rsplit(' ').next().unwrap_or_default().to_owned();
                    if line.starts_with("MSG ") {
                        let (from, k) = parse(&text, 'm');
                        let seen = room.entry(from).or_default();
                        assert_eq!(k, *seen, "u{me}: room line out of order: {line}");
                        *seen += 1;
                    } else if line.starts_with("PM ") {
                        let (_, k) = parse(&text, 'p');
                        assert_eq!(k, pms, "u{me}: PM out of order: {line}");
                        pms += 1;
                    } else if line.starts_with("OK sent") {
                        oks += 1;
                    } else {
                        assert!(!line.starts_with("LEAVE "), "someone left: {line}");
                    }
                }
            })
        })
        .collect();
    for t in threads {
        t.join().unwrap();
    }
}

/// `m3-17` → (3, 17).
fn parse(text: &str, tag: char) -> (usize, usize) {
    let rest = text.strip_prefix(tag).unwrap_or_else(|| panic!("{text}"));
    let (from, k) = rest.split_once('-').unwrap();
    (from.parse().unwrap(), k.parse().unwrap())
}
