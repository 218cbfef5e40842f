//! Restart, persistence, shutdown, and the handle's announcements and
//! events.

mod support;

use std::time::Duration;

use chat_client::{Client, ClientError};
use chat_core::ChatEvent;
use support::{config, expect, TestServer, PASSWORD};

#[test]
fn restart_keeps_address_and_data() {
    let s = TestServer::start(config(&["root"]));
    let mut root = s.login("root").unwrap();
    let mut bob = s.register("bob");
    root.send("/changegrant bob 0").unwrap();
    expect(&mut root, "OK grant bob 0");
    root.send("/restart").unwrap();
    expect(&mut root, "CTL restart");
    expect(&mut bob, "CTL restart");
    assert!(root.read_to_close().is_ok());
    assert!(bob.read_to_close().is_ok());
    // Same address, same data: bob is still an admin.
    let mut bob = s.login("bob").unwrap();
    bob.send("/users").unwrap();
    assert_eq!(expect(&mut bob, "USER "), "USER bob 0 free");
}

#[test]
fn data_survives_a_full_stop_and_start() {
    let s = TestServer::start(config(&["root"]));
    let mut root = s.login("root").unwrap();
    s.register("carol");
    root.send("/kickuser carol bye").unwrap();
    expect(&mut root, "OK kicked carol");
    let dir = s.stop();
    let s = TestServer::start_in(dir, config(&["root"]));
    match s.login("carol") {
        Err(ClientError::Refused { code, .. }) => assert_eq!(code, "kicked"),
        other => panic!("expected kicked, got {other:?}"),
    }
    let mut root = s.login("root").unwrap();
    root.send("/viewkickusers").unwrap();
    assert!(expect(&mut root, "KICKED carol root ").ends_with(" bye"));
    match Client::register(s.addr, "Carol", PASSWORD) {
        Err(ClientError::Refused { code, .. }) => assert_eq!(code, "name-taken"),
        other => panic!("expected name-taken, got {other:?}"),
    }
}

#[test]
fn shutdown_tells_every_client_and_returns() {
    let mut s = TestServer::start(config(&[]));
    let mut a = s.register("alice");
    let mut waiting = Client::connect(s.addr).unwrap();
    expect(&mut waiting, "ASK account");
    s.handle.shutdown();
    expect(&mut a, "CTL shutdown");
    expect(&mut waiting, "CTL shutdown");
    assert!(a.read_to_close().is_ok());
    s.join().unwrap();
    assert!(Client::connect(s.addr).is_err());
}

#[test]
fn handle_announces_and_observes() {
    let s = TestServer::start(config(&[]));
    let events = s.handle.subscribe();
    let mut a = s.register("alice");
    a.send("hello observers").unwrap();
    expect(&mut a, "MSG ");
    s.handle.announce("maintenance at noon");
    assert_eq!(expect(&mut a, "INFO "), "INFO maintenance at noon");
    let mut seen = Vec::new();
    while seen.len() < 3 {
        seen.push(events.recv_timeout(Duration::from_secs(10)).unwrap());
    }
    assert!(matches!(&seen[0], ChatEvent::Joined { user, .. } if user.as_str() == "alice"));
    assert!(
        matches!(&seen[1], ChatEvent::Message { from, text, .. } if from.as_str() == "alice" && &**text == "hello observers")
    );
    assert!(matches!(&seen[2], ChatEvent::Announcement { .. }));
}

/// A backup through the handle while the server runs holds what was
/// acknowledged before it; restored into the stopped server's folder, the
/// next start has exactly that.
#[test]
fn handle_backup_while_running_then_restore() {
    use chat_net_mio::store::{KeySource, Store};
    let s = TestServer::start(config(&[]));
    s.register("alice");
    let out = tempfile::tempdir().unwrap();
    let backup = out.path().join("chat.backup");
    s.handle.backup(&backup).unwrap();
    s.register("bob");
    let dir = s.stop();
    Store::restore(dir.path(), &backup, KeySource::Raw(support::KEY)).unwrap();
    let s = TestServer::start_in(dir, config(&[]));
    s.login("alice").unwrap();
    assert!(s.login("bob").is_err(), "bob came after the backup");
    // A stopped server's handle says so instead of waiting forever.
    let handle = s.handle.clone();
    drop(s);
    assert!(handle.backup(out.path().join("late")).is_err());
}
