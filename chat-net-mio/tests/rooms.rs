//! Rooms and history over real sockets, and across a restart of the
//! runtime that reuses its data folder.

mod support;

use support::{config, expect, next, TestServer};

#[test]
fn rooms_over_tcp() {
    let s = TestServer::start(config(&["root"]));
    let mut alice = s.register("alice");
    let mut bob = s.register("bob");
    let mut carol = s.register("carol");
    alice.send("/create Rust").unwrap();
    expect(&mut alice, "OK created Rust");
    next(&mut alice, "OK joined Rust");
    next(&mut alice, "END history 0");
    next(&mut alice, "RJOIN Rust ");
    alice.send("/say rust before bob").unwrap();
    expect(&mut alice, "RMSG Rust ");
    bob.send("/join rust").unwrap();
    expect(&mut bob, "OK joined Rust");
    let hist = next(&mut bob, "HIST Rust ");
    assert!(hist.ends_with(" alice before bob"), "{hist}");
    next(&mut bob, "END history 1");
    next(&mut bob, "RJOIN Rust ");
    expect(&mut alice, "RJOIN Rust ");
    bob.send("/say Rust hi alice").unwrap();
    assert!(expect(&mut alice, "RMSG Rust ").ends_with(" bob hi alice"));
    // carol is not in the room: the lobby line is the next she sees.
    alice.send("in the lobby").unwrap();
    assert!(expect(&mut carol, "MSG ").ends_with(" alice in the lobby"));
    carol.send("/rooms").unwrap();
    assert_eq!(next(&mut carol, "ROOM "), "ROOM lobby 3 -");
    assert_eq!(next(&mut carol, "ROOM "), "ROOM Rust 2 alice");
    next(&mut carol, "END rooms 2 2");
    // Leaving the server leaves the room.
    bob.send("/quit").unwrap();
    assert!(expect(&mut alice, "RLEAVE Rust ").ends_with(" bob quit"));
}

#[test]
fn rooms_topics_and_history_survive_a_restart() {
    let s = TestServer::start(config(&["root"]));
    let mut alice = s.register("alice");
    let mut bob = s.register("bob");
    alice.send("/create den").unwrap();
    expect(&mut alice, "RJOIN den ");
    alice.send("/topic den kept across restarts").unwrap();
    expect(&mut alice, "OK topic den");
    alice.send("/say den one").unwrap();
    alice.send("/say den two").unwrap();
    alice.send("/msg bob secret").unwrap();
    expect(&mut alice, "OK sent bob");
    expect(&mut bob, "PM ");
    let dir = s.stop();

    let s = TestServer::start_in(dir, config(&["root"]));
    let mut bob = s.login("bob").unwrap();
    bob.send("/join den").unwrap();
    expect(&mut bob, "OK joined den");
    assert!(next(&mut bob, "TOPIC den ").ends_with(" alice kept across restarts"));
    assert!(next(&mut bob, "HIST den ").ends_with(" alice one"));
    assert!(next(&mut bob, "HIST den ").ends_with(" alice two"));
    next(&mut bob, "END history 2");
    bob.send("/history @alice").unwrap();
    assert!(expect(&mut bob, "HIST @alice ").ends_with(" alice secret"));
    next(&mut bob, "END history 1");
    // The operator is still the operator.
    let mut alice = s.login("alice").unwrap();
    alice.send("/closeroom den").unwrap();
    expect(&mut alice, "OK closed den");
    assert!(expect(&mut bob, "RLEAVE den ").ends_with(" bob closed"));
    let dir = s.stop();
    let s = TestServer::start_in(dir, config(&["root"]));
    let mut bob = s.login("bob").unwrap();
    bob.send("/join den").unwrap();
    assert!(expect(&mut bob, "ERR ").starts_with("ERR no-such-room "));
}
