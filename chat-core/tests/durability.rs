//! Durable changes: answered only once persisted; a failure leaves memory
//! matching the store.

mod harness;

use chat_core::{ConnId, Grant};
use harness::{has, Harness, Persist, PW};

#[test]
fn registration_is_acknowledged_only_when_durable() {
    let mut h = Harness::new();
    h.persist = Persist::Hold;
    h.connect("a");
    h.take("a");
    h.send("a", &format!("/register alice {PW}"));
    assert!(h.take("a").is_empty());
    assert_eq!(h.held_persists.len(), 1);
    h.release_persists(true);
    let lines = h.take("a");
    assert_eq!(lines[0], "OK registered alice");
    assert_eq!(h.engine.stats().users, 1);
}

#[test]
fn a_failed_registration_leaves_no_account() {
    let mut h = Harness::new();
    h.persist = Persist::Fail;
    h.connect("a");
    h.take("a");
    h.send("a", &format!("/register alice {PW}"));
    let lines = h.take("a");
    assert!(lines[0].starts_with("ERR server-error"), "{lines:?}");
    assert!(lines[1].starts_with("ASK account"));
    assert_eq!(h.engine.stats().users, 0);
    h.persist = Persist::Ack;
    let lines = h.login("b", "alice", PW);
    assert!(has(&lines, "ERR bad-credentials"));
    h.send("a", &format!("/register alice {PW}"));
    assert!(has(&h.take("a"), "WELCOME alice"));
}

#[test]
fn concurrent_registrations_of_one_name_cannot_both_succeed() {
    let mut h = Harness::new();
    h.persist = Persist::Hold;
    h.connect("a");
    h.connect("b");
    h.send("a", &format!("/register alice {PW}"));
    h.send("b", &format!("/register Alice {PW}"));
    assert!(has(&h.take("b"), "ERR name-taken"));
    h.release_persists(true);
    assert!(has(&h.take("a"), "WELCOME alice"));
    assert_eq!(h.engine.stats().users, 1);
    assert_eq!(h.persisted.len(), 1);
}

#[test]
fn the_name_is_reserved_while_its_hash_is_computed() {
    let mut h = Harness::new();
    h.hold_password = true;
    h.connect("a");
    h.connect("b");
    h.send("a", &format!("/register alice {PW}"));
    h.send("b", &format!("/register ALICE {PW}"));
    assert!(has(&h.take("b"), "ERR name-taken"));
    h.release_jobs();
    assert!(has(&h.take("a"), "WELCOME alice"));
}

#[test]
fn a_failed_grant_leaves_the_grant() {
    let mut h = Harness::with_admins(&["root"]);
    h.register("r", "root");
    h.register("b", "bob");
    h.take("b");
    h.persist = Persist::Fail;
    h.send("r", "/changegrant bob 0");
    assert!(h.last("r").starts_with("ERR server-error"));
    assert_eq!(
        h.engine.account(&harness::user("bob")).map(|a| a.grant),
        Some(Grant::User)
    );
    assert!(
        h.take("b").is_empty(),
        "bob heard of a grant that did not happen"
    );
}

#[test]
fn password_change_is_durable_then_used() {
    let mut h = Harness::new();
    h.register("a", "alice");
    h.send("a", "/changepassword wrong-old new-password");
    assert!(h.last("a").starts_with("ERR bad-credentials"));
    h.send("a", "/changepassword password-1 short");
    assert!(h.last("a").starts_with("ERR bad-password"));
    h.persist = Persist::Hold;
    h.send("a", &format!("/changepassword {PW} new-password"));
    assert!(h.take("a").is_empty());
    h.release_persists(true);
    assert_eq!(h.take("a"), vec!["OK password-changed"]);
    h.persist = Persist::Ack;
    h.send("a", "/quit");
    assert!(has(&h.login("b", "alice", PW), "ERR bad-credentials"));
    assert!(has(&h.login("c", "alice", "new-password"), "WELCOME alice"));
}

#[test]
fn answers_never_reach_a_reused_connection_id() {
    let mut h = Harness::new();
    h.hold_password = true;
    h.connect_as("first", ConnId(77));
    h.send("first", &format!("/register alice {PW}"));
    h.drop_conn("first", chat_core::CloseCause::Lost);
    h.connect_as("second", ConnId(77));
    h.take("second");
    h.release_jobs();
    assert!(h.take("second").is_empty());
    // The name was released, not registered for nobody.
    assert_eq!(h.engine.stats().users, 0);
    h.hold_password = false;
    h.send("second", &format!("/register alice {PW}"));
    assert!(has(&h.take("second"), "WELCOME alice"));
}
