//! The engine's hot operations, driven in-process with every output
//! answered at once: what the criterion benches (`benches/core.rs`) time
//! and what `examples/engine_ops.rs` repeats under callgrind to count
//! instructions per operation.

use std::hint::black_box;

use chat_core::codec::Protocol;
use chat_core::{
    Config, ConnId, Engine, Input, Limits, Millis, Output, PasswordAnswer, StoreSnapshot,
};

/// A stand-in for argon2: benches measure the engine, not the hash.
pub const PHC: &str = "$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHRzYWx0c2FsdA$aGFzaGhhc2hoYXNoaGFzaGhhc2hoYXNoaGFzaGhhc2g";

/// Drains outputs, answering password work with the stand-in and store
/// changes at once; returns how many frames were sent.
pub fn drain(engine: &mut Engine, now: Millis) -> usize {
    let mut sent = 0;
    loop {
        let mut feed = Vec::new();
        while let Some(out) = engine.poll_output() {
            match out {
                Output::Send { frame, .. } => {
                    black_box(&frame);
                    sent += 1;
                }
                Output::Broadcast { to, frame } => {
                    black_box(&frame);
                    sent += to.len();
                }
                Output::Password(job) => {
                    let answer = match &job.work {
                        chat_core::PasswordWork::Hash { .. } => PasswordAnswer::Hashed(PHC.into()),
                        _ => PasswordAnswer::Verified(true),
                    };
                    feed.push(Input::PasswordDone {
                        job: job.id,
                        answer: Ok(answer),
                    });
                }
                Output::Persist(req) => feed.push(Input::Persisted {
                    id: req.id,
                    result: Ok(()),
                }),
                // Every bench client reads all it is sent at once.
                Output::WhenDrained { conn } => feed.push(Input::Drained { conn }),
                _ => {}
            }
        }
        if feed.is_empty() {
            return sent;
        }
        for input in feed {
            engine.handle(now, input);
        }
    }
}

/// Feeds one client line and answers everything it leads to.
pub fn type_line(engine: &mut Engine, now: Millis, conn: ConnId, line: &str) {
    engine.handle(
        now,
        Input::Received {
            conn,
            bytes: line.as_bytes(),
        },
    );
    drain(engine, now);
}

/// An engine with `n` logged-in members (connections 0..n).
pub fn room_of(n: usize) -> Engine {
    room_with(n, |_| None)
}

/// The IRC capabilities of the mixed room's members: a quarter each of
/// chat/1, IRC, IRC with `server-time`, IRC with `server-time` and
/// `away-notify` (IRC members are guests, so no login is needed).
pub fn mixed_caps(i: usize) -> Option<&'static str> {
    match i % 4 {
        0 => None,
        1 => Some(""),
        2 => Some("server-time"),
        _ => Some("server-time away-notify"),
    }
}

/// An engine with `n` members; member `i` speaks IRC (as a guest, with
/// the capabilities given) when `irc(i)` is `Some`, chat/1 otherwise.
pub fn room_with(n: usize, irc: impl Fn(usize) -> Option<&'static str>) -> Engine {
    let limits = Limits {
        max_connections: n + 16,
        // The bench sends thousands of messages at one instant, all from
        // one address.
        messages_per_second: 0,
        command_units_per_second: 0,
        exempt_loopback: true,
        registrations_per_window: u32::MAX,
        max_password_jobs: usize::MAX,
        ..Limits::default()
    };
    let mut engine = Engine::new(
        Config {
            limits,
            irc_guests: true,
            ..Config::default()
        },
        StoreSnapshot::default(),
    )
    .expect("config");
    let now = Millis(1);
    for i in 0..n {
        let conn = ConnId(i as u64);
        let caps = irc(i);
        engine.handle(
            now,
            Input::Opened {
                conn,
                peer: "127.0.0.1".parse().unwrap(),
                protocol: if caps.is_some() {
                    Protocol::Irc
                } else {
                    Protocol::Chat1
                },
            },
        );
        let login = match caps {
            None => format!("/register u{i} password-123\n"),
            Some("") => format!("NICK u{i}\r\nUSER u 0 * :u\r\n"),
            Some(caps) => format!("CAP REQ :{caps}\r\nNICK u{i}\r\nUSER u 0 * :u\r\nCAP END\r\n"),
        };
        type_line(&mut engine, now, conn, &login);
    }
    assert_eq!(engine.stats().online, n);
    engine
}

/// Member 0 of a lobby of `n` says a line; every member gets it.
pub fn lobby_line(engine: &mut Engine, n: usize) {
    engine.handle(
        Millis(2),
        Input::Received {
            conn: ConnId(0),
            bytes: b"hello room\n",
        },
    );
    assert_eq!(drain(engine, Millis(2)), n);
}

/// Member 0 of [`room_of`]`(1_000)` sends a private message to member
/// 999 (who gets it, and 0 its `OK sent`).
pub fn private_message(engine: &mut Engine) {
    engine.handle(
        Millis(2),
        Input::Received {
            conn: ConnId(0),
            bytes: b"/msg u999 psst\n",
        },
    );
    assert_eq!(drain(engine, Millis(2)), 2);
}

/// 100 members, and a room `den` (made by member 0) with 200 lines said
/// in it: what [`join_and_part`] joins.
pub fn den_with_history() -> Engine {
    let mut engine = room_of(100);
    let now = Millis(2);
    type_line(&mut engine, now, ConnId(0), "/create den\n");
    for i in 0..200 {
        type_line(
            &mut engine,
            now,
            ConnId(0),
            &format!("/say den line {i} of an ordinary length for a chat message\n"),
        );
    }
    engine
}

/// Member 1 `/join`s `den` (its last 50 lines replayed, the default
/// `history_on_join`), then `/part`s so the next one can join again.
pub fn join_and_part(engine: &mut Engine) {
    type_line(engine, Millis(2), ConnId(1), "/join den\n");
    type_line(engine, Millis(2), ConnId(1), "/part den\n");
}
