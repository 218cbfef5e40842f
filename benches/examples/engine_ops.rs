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
//! 1,000), `join` (join a room and get its last 50 lines, then part).

use benches::engine_ops::{den_with_history, join_and_part, lobby_line, private_message, room_of};
use chat_core::Engine;

/// The measured part: only this is counted.
#[inline(never)]
fn repeat(engine: &mut Engine, count: usize, op: fn(&mut Engine)) {
    for _ in 0..count {
        op(engine);
    }
}

fn main() {
    let mut args = std::env::args().skip(1);
    let (Some(op), Some(count)) = (args.next(), args.next()) else {
        eprintln!("usage: engine_ops line|pm|join COUNT");
        std::process::exit(2);
    };
    let Ok(count) = count.parse() else {
        eprintln!("COUNT must be a number, not {count:?}");
        std::process::exit(2);
    };
    let (mut engine, op): (Engine, fn(&mut Engine)) = match op.as_str() {
        "line" => (room_of(1_000), |e| lobby_line(e, 1_000)),
        "pm" => (room_of(1_000), private_message),
        "join" => (den_with_history(), join_and_part),
        other => {
            eprintln!("no operation {other:?}: line, pm or join");
            std::process::exit(2);
        }
    };
    repeat(&mut engine, count, op);
}
