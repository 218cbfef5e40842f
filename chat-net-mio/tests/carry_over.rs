//! What one engine hands the next across a `/restart`, over TCP.

mod support;

use std::time::Duration;

use chat_client::ClientError;
use support::{config, expect, TestServer};

#[test]
fn a_busy_user_is_still_busy_after_a_restart() {
    let s = TestServer::start(config(&["root"]));
    let mut root = s.register("root");
    let mut bob = s.register("bob");
    bob.send("/busy").unwrap();
    expect(&mut bob, "CTL busy");
    root.send("/restart").unwrap();
    expect(&mut root, "CTL restart");
    expect(&mut bob, "CTL restart");
    assert!(root.read_to_close().is_ok());
    assert!(bob.read_to_close().is_ok());
    // The listener comes back on the same address: poll for it.
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    let mut bob = loop {
        match s.login("bob") {
            Ok(c) => break c,
            Err(ClientError::Io(_) | ClientError::Closed)
                if std::time::Instant::now() < deadline =>
            {
                std::thread::yield_now();
            }
            Err(e) => panic!("bob cannot log in again: {e}"),
        }
    };
    expect(&mut bob, "CTL busy");
    bob.send("/users").unwrap();
    assert_eq!(expect(&mut bob, "USER "), "USER bob 1 busy");
}
