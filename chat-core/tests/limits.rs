//! Framing limits and admission.

mod harness;

use std::time::Duration;

use chat_core::{CloseReason, Config, ConnId, Limits, StoreSnapshot};
use harness::{has, Harness};

fn with_limits(mut limits: Limits) -> Harness {
    limits.messages_per_second = 0;
    Harness::with(
        Config {
            limits,
            ..Config::default()
        },
        StoreSnapshot::default(),
    )
}

#[test]
fn long_lines_and_bad_utf8_are_errors_and_the_next_line_survives() {
    let mut h = Harness::new();
    h.register("a", "alice");
    let long = "x".repeat(5000);
    h.send_bytes("a", format!("{long}\nafter\n").as_bytes());
    let lines = h.take("a");
    assert!(lines[0].starts_with("ERR line-too-long"), "{lines:?}");
    assert!(lines[1].ends_with(" alice after"));
    h.send_bytes("a", b"\xff\xfe\n/ping\n");
    let lines = h.take("a");
    assert!(lines[0].starts_with("ERR bad-utf8"));
    assert_eq!(lines[1], "PONG");
    // 4096 bytes with the ending is allowed.
    let fits = "y".repeat(4095);
    h.send_bytes("a", format!("{fits}\n").as_bytes());
    assert!(h.last("a").starts_with("MSG "));
}

#[test]
fn a_client_cannot_grow_the_line_buffer() {
    let mut h = Harness::new();
    h.register("a", "alice");
    let conn = h.conn("a");
    for _ in 0..100 {
        h.send_bytes("a", &[b'z'; 1000]);
        assert!(h.engine.conn_stats(conn).unwrap_or_default().buffered_bytes < 4096);
    }
    h.send_bytes("a", b"\nok\n");
    let lines = h.take("a");
    assert!(lines[0].starts_with("ERR line-too-long"));
    assert!(lines[1].ends_with(" ok"));
}

#[test]
fn server_full_and_per_address_limits() {
    let mut h = with_limits(Limits {
        max_connections: 3,
        max_connections_per_address: 1,
        exempt_loopback: true,
        ..Limits::default()
    });
    let remote = "198.51.100.1".parse().unwrap();
    h.connect_from("r1", remote);
    h.connect_from("r2", remote);
    let lines = h.take("r2");
    assert_eq!(lines[0], "HELLO chat/1 chat");
    assert!(lines[1].starts_with("ERR server-full"));
    assert_eq!(h.closed("r2"), Some(CloseReason::Refused));
    // Loopback is exempt from the per-address limit, not the total.
    h.connect("l1");
    h.connect("l2");
    assert!(h.closed("l2").is_none());
    h.connect("l3");
    assert!(has(&h.take("l3"), "ERR server-full"));
    assert_eq!(h.engine.stats().connections, 3);
}

#[test]
fn idle_timeout_when_configured() {
    let mut h = with_limits(Limits {
        idle_timeout_ms: 10_000,
        ..Limits::default()
    });
    h.register("a", "alice");
    h.register("b", "bob");
    h.advance(Duration::from_secs(6));
    h.send("b", "/ping");
    h.advance(Duration::from_secs(5));
    let lines = h.take("a");
    assert!(has(&lines, "ERR timeout"), "{lines:?}");
    assert!(has(&lines, "CTL disconnect"));
    assert_eq!(h.closed("a"), Some(CloseReason::Timeout));
    assert!(h.last("b").ends_with(" alice timeout"));
    assert!(h.closed("b").is_none());
    h.advance(Duration::from_secs(6));
    assert_eq!(h.closed("b"), Some(CloseReason::Timeout));
}

#[test]
fn deadlines_are_reported_for_the_callers_sleep() {
    let mut h = Harness::new();
    assert_eq!(h.engine.poll_timeout(), None);
    h.connect("a");
    assert_eq!(
        h.engine.poll_timeout(),
        Some(h.now + Duration::from_secs(60))
    );
}

#[test]
fn bad_configuration_is_refused() {
    let bad = Config {
        admins: vec!["9nine".into()],
        ..Config::default()
    };
    assert!(chat_core::Engine::new(bad, StoreSnapshot::default()).is_err());
    let bad = Config {
        limits: Limits {
            max_line_bytes: 1,
            ..Limits::default()
        },
        ..Config::default()
    };
    assert!(chat_core::Engine::new(bad, StoreSnapshot::default()).is_err());
}

#[test]
fn unknown_connections_are_ignored() {
    let mut h = Harness::new();
    h.input(chat_core::Input::Received {
        conn: ConnId(999),
        bytes: b"hello\n",
    });
    h.input(chat_core::Input::Closed {
        conn: ConnId(999),
        cause: chat_core::CloseCause::Lost,
    });
    assert_eq!(h.engine.stats().connections, 0);
}
