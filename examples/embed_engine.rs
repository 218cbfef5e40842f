//! Embeds the engine with no network at all: two simulated clients
//! register, talk, one goes busy and comes back, and each one's transcript
//! is printed.
//!
//! `cargo run -p examples --example embed-engine`

use std::collections::BTreeMap;

use chat_core::codec::Protocol;
use chat_core::password::HashParams;
use chat_core::{Config, ConnId, Engine, Input, Millis, Output, StoreSnapshot};

/// The whole "runtime": a clock, transcripts, and the work the engine asks
/// for, done inline.
struct Sim {
    engine: Engine,
    now: Millis,
    transcripts: BTreeMap<ConnId, String>,
}

impl Sim {
    fn feed(&mut self, input: Input<'_>) {
        self.engine.handle(self.now, input);
        let mut work = Vec::new();
        loop {
            while let Some(out) = self.engine.poll_output() {
                match out {
                    Output::Send { conn, frame } => self.record(conn, &frame),
                    Output::Broadcast { to, frame } => {
                        for conn in to.iter() {
                            self.record(conn, &frame);
                        }
                    }
                    // A real runtime hashes on a worker thread with a random
                    // salt, and cheap parameters are for examples only.
                    Output::Password(job) => work.push(Input::PasswordDone {
                        job: job.id,
                        answer: job.run(&HashParams::cheap(), &[7; 16]),
                    }),
                    // A real runtime writes the store and answers once durable.
                    Output::Persist(req) => work.push(Input::Persisted {
                        id: req.id,
                        result: Ok(()),
                    }),
                    // A real runtime answers once the socket took what was
                    // queued; a transcript takes everything at once.
                    Output::WhenDrained { conn } => work.push(Input::Drained { conn }),
                    _ => {}
                }
            }
            if work.is_empty() {
                break;
            }
            for input in work.drain(..) {
                self.engine.handle(self.now, input);
            }
        }
    }

    fn record(&mut self, conn: ConnId, frame: &[u8]) {
        self.transcripts
            .entry(conn)
            .or_default()
            .push_str(&String::from_utf8_lossy(frame));
    }

    fn say(&mut self, conn: ConnId, line: &str) {
        self.now.0 += 1_000;
        let bytes = format!("{line}\n");
        self.feed(Input::Received {
            conn,
            bytes: bytes.as_bytes(),
        });
    }
}

fn main() {
    let engine = Engine::new(Config::default(), StoreSnapshot::default()).expect("valid config");
    let mut sim = Sim {
        engine,
        now: Millis(1_700_000_000_000),
        transcripts: BTreeMap::new(),
    };
    let (alice, bob) = (ConnId(1), ConnId(2));
    let peer = "127.0.0.1".parse().expect("address");
    sim.feed(Input::Opened {
        conn: alice,
        peer,
        protocol: Protocol::Chat1,
    });
    sim.feed(Input::Opened {
        conn: bob,
        peer,
        protocol: Protocol::Chat1,
    });
    // Alice walks the dialog; Bob uses the one-line form.
    for line in ["y", "alice", "wonderland-1", "wonderland-1"] {
        sim.say(alice, line);
    }
    sim.say(bob, "/register bob builder-123");
    sim.say(alice, "hi bob!");
    sim.say(bob, "/busy");
    sim.say(alice, "are you there?");
    sim.say(alice, "/msg bob ping me when you are back");
    sim.say(bob, "/free");
    sim.say(bob, "back now");
    sim.say(bob, "/quit");

    for (conn, name) in [(alice, "alice"), (bob, "bob")] {
        println!("--- what {name}'s connection ({conn}) received ---");
        print!("{}", sim.transcripts.get(&conn).map_or("", String::as_str));
    }
}
