//! Criterion benches on the engine's hot paths.
//!
//! `cargo bench -p benches --bench core`

use std::hint::black_box;

use benches::engine_ops::{
    den_with_history, drain, join_and_part, lobby_line, mixed_caps, private_message as send_pm,
    room_of, room_with, type_line,
};
use chat_core::codec::Protocol;
use chat_core::framing::Framer;
use chat_core::wire::parse;
use chat_core::{ConnId, Engine, Input, Millis, Output};
use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};

fn frame_and_parse(c: &mut Criterion) {
    // The lines come from the heap, as a socket's bytes do: the UTF-8
    // check's cost follows their alignment, and a literal's moves with
    // every build of the binary (5 ns either way here).
    let line = b"hello everyone, this is a fairly ordinary chat line\n".to_vec();
    let msg = b"/msg bob are you coming to lunch?\n".to_vec();
    let mut framer = Framer::new(4096);
    c.bench_function("frame+parse chat line", |b| {
        b.iter(|| {
            let mut input: &[u8] = black_box(&line);
            let l = framer.next_line(&mut input).unwrap().unwrap();
            black_box(parse(&l).unwrap());
        })
    });
    c.bench_function("frame+parse /msg", |b| {
        b.iter(|| {
            let mut input: &[u8] = black_box(&msg);
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
            b.iter(|| lobby_line(&mut engine, n))
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
    c.bench_function("private message", |b| b.iter(|| send_pm(&mut engine)));
}

/// `/join` a room whose last 50 lines are replayed (the default
/// `history_on_join`), then `/part` so the next iteration can join again.
fn join_with_history(c: &mut Criterion) {
    let mut engine = den_with_history();
    c.bench_function("join a room + 50 lines of history (then part)", |b| {
        b.iter(|| join_and_part(&mut engine))
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
