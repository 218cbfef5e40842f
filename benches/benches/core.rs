//! Criterion benches on the engine's hot paths.
//!
//! `cargo bench -p benches --bench core`

use std::hint::black_box;

use chat_core::codec::Protocol;
use chat_core::framing::Framer;
use chat_core::wire::parse;
use chat_core::{
    Config, ConnId, Engine, Input, Limits, Millis, Output, PasswordAnswer, StoreSnapshot,
};
use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};

/// A stand-in for argon2: benches measure the engine, not the hash.
const PHC: &str = "$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHRzYWx0c2FsdA$aGFzaGhhc2hoYXNoaGFzaGhhc2hoYXNoaGFzaGhhc2g";

/// Drains outputs, answering password work with the stand-in and store
/// changes at once; returns how many frames were sent.
fn drain(engine: &mut Engine, now: Millis) -> usize {
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
fn type_line(engine: &mut Engine, now: Millis, conn: ConnId, line: &str) {
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
fn room_of(n: usize) -> Engine {
    room_with(n, |_| None)
}

/// The IRC capabilities of the mixed room's members: a quarter each of
/// chat/1, IRC, IRC with `server-time`, IRC with `server-time` and
/// `away-notify` (IRC members are guests, so no login is needed).
fn mixed_caps(i: usize) -> Option<&'static str> {
    match i % 4 {
        0 => None,
        1 => Some(""),
        2 => Some("server-time"),
        _ => Some("server-time away-notify"),
    }
}

/// An engine with `n` members; member `i` speaks IRC (as a guest, with
/// the capabilities given) when `irc(i)` is `Some`, chat/1 otherwise.
fn room_with(n: usize, irc: impl Fn(usize) -> Option<&'static str>) -> Engine {
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

fn frame_and_parse(c: &mut Criterion) {
    let line = b"hello everyone, this is a fairly ordinary chat line\n";
    let mut framer = Framer::new(4096);
    c.bench_function("frame+parse chat line", |b| {
        b.iter(|| {
            let mut input: &[u8] = black_box(line);
            let l = framer.next_line(&mut input).unwrap().unwrap();
            black_box(parse(&l).unwrap());
        })
    });
    c.bench_function("frame+parse /msg", |b| {
        b.iter(|| {
            let mut input: &[u8] = black_box(b"/msg bob are you coming to lunch?\n");
            let l = framer.next_line(&mut input).unwrap().unwrap();
            black_box(parse(&l).unwrap());
        })
    });
}

fn broadcast(c: &mut Criterion) {
    bench_broadcast(c, "broadcast", [10, 1_000, 10_000], room_of);
}

/// A room line to a room of four renderings (chat/1, IRC, IRC with
/// server-time, IRC with server-time and away-notify): rendered four
/// times, whatever the room's size. Member 0 (chat/1) says it.
fn broadcast_mixed(c: &mut Criterion) {
    bench_broadcast(c, "broadcast mixed renderings", [12, 1_000, 10_000], |n| {
        room_with(n, mixed_caps)
    });
}

/// Member 0 says a line to a room of each size built by `room`; every
/// member gets it.
fn bench_broadcast(
    c: &mut Criterion,
    name: &str,
    sizes: [usize; 3],
    room: impl Fn(usize) -> Engine,
) {
    let mut group = c.benchmark_group(name);
    for n in sizes {
        let mut engine = room(n);
        group.throughput(Throughput::Elements(n as u64));
        group.bench_with_input(BenchmarkId::from_parameter(n), &n, |b, &n| {
            b.iter(|| {
                engine.handle(
                    Millis(2),
                    Input::Received {
                        conn: ConnId(0),
                        bytes: b"hello room\n",
                    },
                );
                let sent = drain(&mut engine, Millis(2));
                assert_eq!(sent, n);
            })
        });
    }
    group.finish();
}

/// The broadcast plus what a runtime does with it: one shared frame pushed
/// onto every member's outbound queue (and dropped there, as a write would).
fn broadcast_fanout(c: &mut Criterion) {
    let mut group = c.benchmark_group("broadcast+fanout");
    for n in [10usize, 1_000, 10_000] {
        let mut engine = room_of(n);
        let mut queues: Vec<std::collections::VecDeque<chat_core::Frame>> = (0..n)
            .map(|_| std::collections::VecDeque::with_capacity(4))
            .collect();
        group.throughput(Throughput::Elements(n as u64));
        group.bench_with_input(BenchmarkId::from_parameter(n), &n, |b, _| {
            b.iter(|| {
                engine.handle(
                    Millis(2),
                    Input::Received {
                        conn: ConnId(0),
                        bytes: b"hello room\n",
                    },
                );
                while let Some(out) = engine.poll_output() {
                    if let Output::Broadcast { to, frame } = out {
                        for conn in to.iter() {
                            queues[conn.0 as usize].push_back(frame.clone());
                        }
                    }
                }
                for q in &mut queues {
                    q.clear();
                }
            })
        });
    }
    group.finish();
}

fn private_message(c: &mut Criterion) {
    let mut engine = room_of(1_000);
    c.bench_function("private message", |b| {
        b.iter(|| {
            engine.handle(
                Millis(2),
                Input::Received {
                    conn: ConnId(0),
                    bytes: b"/msg u999 psst\n",
                },
            );
            assert_eq!(drain(&mut engine, Millis(2)), 2);
        })
    });
}

/// `/join` a room whose last 50 lines are replayed (the default
/// `history_on_join`), then `/part` so the next iteration can join again.
fn join_with_history(c: &mut Criterion) {
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
    c.bench_function("join a room + 50 lines of history (then part)", |b| {
        b.iter(|| {
            type_line(&mut engine, now, ConnId(1), "/join den\n");
            type_line(&mut engine, now, ConnId(1), "/part den\n");
        })
    });
}

/// A line in a room other than the lobby, with `n` members.
fn room_broadcast(c: &mut Criterion) {
    let mut group = c.benchmark_group("room broadcast");
    for n in [10usize, 1_000] {
        let mut engine = room_of(n);
        let now = Millis(2);
        type_line(&mut engine, now, ConnId(0), "/create den\n");
        for i in 1..n {
            type_line(&mut engine, now, ConnId(i as u64), "/join den\n");
        }
        group.throughput(Throughput::Elements(n as u64));
        group.bench_with_input(BenchmarkId::from_parameter(n), &n, |b, &n| {
            b.iter(|| {
                engine.handle(
                    now,
                    Input::Received {
                        conn: ConnId(0),
                        bytes: b"/say den hello room\n",
                    },
                );
                assert_eq!(drain(&mut engine, now), n);
            })
        });
    }
    group.finish();
}

fn register_dialog(c: &mut Criterion) {
    let mut engine = room_of(0);
    let mut i = 0u64;
    let peer = "127.0.0.1".parse().unwrap();
    c.bench_function("register dialog (stand-in hasher)", |b| {
        b.iter(|| {
            let conn = ConnId(i);
            let now = Millis(3);
            engine.handle(
                now,
                Input::Opened {
                    conn,
                    peer,
                    protocol: Protocol::Chat1,
                },
            );
            for line in [
                "y\n".to_owned(),
                format!("user{i}\n"),
                "password-123\n".to_owned(),
                "password-123\n".to_owned(),
            ] {
                type_line(&mut engine, now, conn, &line);
            }
            // Leave so the room stays small; the directory keeps growing.
            engine.handle(
                now,
                Input::Closed {
                    conn,
                    cause: chat_core::CloseCause::Lost,
                },
            );
            drain(&mut engine, now);
            i += 1;
        })
    });
}

criterion_group!(
    benches,
    frame_and_parse,
    broadcast,
    broadcast_mixed,
    broadcast_fanout,
    private_message,
    join_with_history,
    room_broadcast,
    register_dialog
);
criterion_main!(benches);
