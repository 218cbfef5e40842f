//! Property tests: no input panics the engine, buffers stay bounded, and
//! the invariants hold after every step.

mod harness;

use std::collections::HashSet;
use std::time::Duration;

use chat_core::codec::Protocol;
use chat_core::{CloseCause, Config, ConnId, Engine, Input, Limits, Millis, StoreSnapshot};
use harness::{admin_snapshot, Harness, Persist, PW};
use proptest::prelude::*;

fn small_limits() -> Limits {
    Limits {
        max_line_bytes: 128,
        max_held_lines: 5,
        max_queued_lines: 4,
        max_queued_lines_before_login: 2,
        max_held_bytes: 300,
        ..Limits::default()
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    /// Random bytes in random chunks: no panic, no buffer past the limits.
    #[test]
    fn random_bytes_never_panic_or_overgrow(
        chunks in prop::collection::vec(prop::collection::vec(any::<u8>(), 0..300), 1..40),
        newline_bias in any::<bool>(),
    ) {
        let limits = small_limits();
        let bound = limits.max_line_bytes * (limits.max_queued_lines + 1);
        let mut engine = Engine::new(
            Config { limits, ..Config::default() },
            StoreSnapshot::default(),
        ).unwrap();
        let conn = ConnId(1);
        engine.handle(Millis(0), Input::Opened { conn, peer: "127.0.0.1".parse().unwrap(), protocol: Protocol::Chat1 });
        for mut chunk in chunks {
            if newline_bias {
                for b in chunk.iter_mut().step_by(17) {
                    *b = b'\n';
                }
            }
            engine.handle(Millis(1), Input::Received { conn, bytes: &chunk });
            // Password work is never answered: lines queue, bounded.
            while engine.poll_output().is_some() {}
            prop_assert!(engine.conn_stats(conn).unwrap_or_default().buffered_bytes <= bound);
            let s = engine.conn_stats(conn).unwrap_or_default();
            let (queued, held) = (s.queued_lines, s.held_lines);
            prop_assert!(queued <= 4 && held <= 5);
            prop_assert!(engine.conn_stats(conn).unwrap_or_default().held_bytes <= 300);
        }
    }
}

#[derive(Clone, Debug)]
enum Step {
    Connect(usize),
    Register(usize, usize),
    Login(usize, usize),
    Say(usize),
    Grant(usize, usize, bool),
    Kick(usize, usize),
    Unkick(usize, usize),
    Busy(usize),
    Free(usize),
    Quit(usize),
    Lose(usize),
    Garbage(usize, Vec<u8>),
    PersistMode(u8),
    Release(bool),
    Wait(u16),
}

fn step() -> impl Strategy<Value = Step> {
    let c = 0..5usize;
    let u = 0..4usize;
    prop_oneof![
        c.clone().prop_map(Step::Connect),
        (c.clone(), u.clone()).prop_map(|(c, u)| Step::Register(c, u)),
        (c.clone(), u.clone()).prop_map(|(c, u)| Step::Login(c, u)),
        c.clone().prop_map(Step::Say),
        (c.clone(), u.clone(), any::<bool>()).prop_map(|(c, u, a)| Step::Grant(c, u, a)),
        (c.clone(), u.clone()).prop_map(|(c, u)| Step::Kick(c, u)),
        (c.clone(), u.clone()).prop_map(|(c, u)| Step::Unkick(c, u)),
        c.clone().prop_map(Step::Busy),
        c.clone().prop_map(Step::Free),
        c.clone().prop_map(Step::Quit),
        c.clone().prop_map(Step::Lose),
        (c, prop::collection::vec(any::<u8>(), 0..40)).prop_map(|(c, b)| Step::Garbage(c, b)),
        (0..3u8).prop_map(Step::PersistMode),
        any::<bool>().prop_map(Step::Release),
        (0..90u16).prop_map(Step::Wait),
    ]
}

const NAMES: [&str; 4] = ["root", "alice", "Bob", "carol"];

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    /// Random sessions of several clients: the invariants hold throughout.
    #[test]
    fn random_sessions_keep_the_invariants(steps in prop::collection::vec(step(), 1..60)) {
        let config = Config {
            admins: vec!["root".into()],
            limits: small_limits(),
            ..Config::default()
        };
        // root exists as the operator set it; the network cannot register it.
        let mut h = Harness::with(config, admin_snapshot(&["root"]));
        let label = |c: usize| format!("c{c}");
        let mut opened = HashSet::new();
        for step in steps {
            match step {
                Step::Connect(c) => {
                    if opened.insert(c) {
                        h.connect(&label(c));
                    }
                }
                Step::PersistMode(m) => {
                    h.persist = [Persist::Ack, Persist::Hold, Persist::Fail][m as usize];
                }
                Step::Release(ok) => h.release_persists(ok),
                Step::Wait(s) => h.advance(Duration::from_secs(u64::from(s))),
                other => {
                    let c = match &other {
                        Step::Register(c, _) | Step::Login(c, _) | Step::Say(c)
                        | Step::Grant(c, _, _) | Step::Kick(c, _) | Step::Unkick(c, _)
                        | Step::Busy(c) | Step::Free(c) | Step::Quit(c) | Step::Lose(c)
                        | Step::Garbage(c, _) => *c,
                        _ => unreachable!(),
                    };
                    if !opened.contains(&c) || h.closed(&label(c)).is_some() {
                        continue;
                    }
                    let l = label(c);
                    match other {
                        Step::Register(_, u) => h.send(&l, &format!("/register {} {PW}", NAMES[u])),
                        Step::Login(_, u) => h.send(&l, &format!("/login {} {PW}", NAMES[u])),
                        Step::Say(_) => h.send(&l, "hello"),
                        Step::Grant(_, u, admin) => {
                            h.send(&l, &format!("/changegrant {} {}", NAMES[u], if admin { 0 } else { 1 }))
                        }
                        Step::Kick(_, u) => h.send(&l, &format!("/kickuser {}", NAMES[u])),
                        Step::Unkick(_, u) => h.send(&l, &format!("/unkick {}", NAMES[u])),
                        Step::Busy(_) => h.send(&l, "/busy"),
                        Step::Free(_) => h.send(&l, "/free"),
                        Step::Quit(_) => h.send(&l, "/quit"),
                        Step::Lose(_) => h.drop_conn(&l, CloseCause::Lost),
                        Step::Garbage(_, bytes) => h.send_bytes(&l, &bytes),
                        _ => {}
                    }
                }
            }
            // A user is online at most once: one session per account, and
            // every session is in the room exactly once.
            let stats = h.engine.stats();
            prop_assert!(stats.online <= NAMES.len());
            prop_assert_eq!(stats.online, stats.in_room);
            prop_assert!(stats.connections <= 5);
            prop_assert!(stats.timers <= 2 * stats.connections + 1024);
            // Every table a client can grow is bounded.
            let cap = Limits::default().throttle_capacity;
            prop_assert!(stats.throttle_entries <= 3 * cap);
            prop_assert!(stats.registration_entries <= cap);
            prop_assert!(stats.password_addresses <= stats.work_in_flight);
            prop_assert!(stats.carried_busy == 0);
            // The configured admin stays admin once registered.
            if h.engine.stats().users > 0 && h.engine.account(&harness::user("root")).map(|a| a.grant).is_some() {
                prop_assert_eq!(h.engine.account(&harness::user("root")).map(|a| a.grant), Some(chat_core::Grant::Admin));
                prop_assert!(!h.engine.account(&harness::user("root")).is_some_and(|a| a.kicked));
            }
            // A kicked user is never online.
            for n in NAMES {
                if h.engine.account(&harness::user(n)).is_some_and(|a| a.kicked) {
                    prop_assert!(!h.engine.account(&harness::user(n)).is_some_and(|a| a.online), "{} kicked but online", n);
                }
            }
        }
    }
}

#[test]
fn welcome_never_reaches_a_kicked_user() {
    let mut h = Harness::with_admins(&["root"]);
    h.register("r", "root");
    h.register("v", "victim");
    h.send("r", "/kickuser victim");
    for i in 0..5 {
        let lines = h.login(&format!("v{i}"), "victim", PW);
        assert!(!lines.iter().any(|l| l.starts_with("WELCOME")), "{lines:?}");
    }
}
