//! Repeats one of the engine's hot operations, for counting its
//! instructions under callgrind (wall-clock figures are criterion's):
//!
//! ```text
//! cargo build --release -p benches --example engine_ops
//! valgrind --tool=callgrind --collect-atstart=no \
//!     --toggle-collect='engine_ops::repeat' \
//!     target/release/examples/engine_ops join 2000
//! ```
//!
//! then divide the collected instructions by the count. Operations:
//! `line` (a lobby line to 1,000 members), `pm` (a private message among
//! 1,000), `join` (join a room and get its last 50 lines, then part),
//! and chat/1's framing and parse of a typed line, as the criterion
//! benches `frame+parse chat line` (`parse-line`) and `frame+parse /msg`
//! (`parse-msg`) do.

use std::hint::black_box;

use benches::engine_ops::{den_with_history, join_and_part, lobby_line, private_message, room_of};
use chat_core::framing::Framer;
use chat_core::wire::parse;
use chat_core::Engine;

/// The measured part: only this is counted.
#[inline(never)]
fn repeat(engine: &mut Engine, count: usize, op: fn(&mut Engine)) {
    for _ in 0..count {
        op(engine);
    }
}

/// The measured part of a parse: one line framed and parsed, `count`
/// times.
#[inline(never)]
fn repeat_parse(line: &[u8], count: usize) {
    // From the heap, as a socket's bytes come: the UTF-8 check's cost
    // follows the bytes' alignment, and a literal's moves with the binary.
    let line = line.to_vec();
    let mut framer = Framer::new(4096);
    for _ in 0..count {
        let mut input: &[u8] = black_box(&line);
        if let Some(Ok(l)) = framer.next_line(&mut input) {
            let _ = black_box(parse(&l));
        }
    }
}

fn main() {
    let mut args = std::env::args().skip(1);
    let (Some(op), Some(count)) = (args.next(), args.next()) else {
        eprintln!("usage: engine_ops line|pm|join|parse-line|parse-msg COUNT");
        std::process::exit(2);
    };
    let Ok(count) = count.parse() else {
        eprintln!("COUNT must be a number, not {count:?}");
        std::process::exit(2);
    };
    let typed: Option<&[u8]> = match op.as_str() {
        "parse-line" => Some(b"hello everyone, this is a fairly ordinary chat line\n"),
        "parse-msg" => Some(b"/msg bob are you coming to lunch?\n"),
        _ => None,
    };
    if let Some(line) = typed {
        return repeat_parse(line, count);
    }
    let (mut engine, op): (Engine, fn(&mut Engine)) = match op.as_str() {
        "line" => (room_of(1_000), |e| lobby_line(e, 1_000)),
        "pm" => (room_of(1_000), private_message),
        "join" => (den_with_history(), join_and_part),
        other => {
            eprintln!("no operation {other:?}: line, pm, join, parse-line or parse-msg");
            std::process::exit(2);
        }
    };
    repeat(&mut engine, count, op);
}
