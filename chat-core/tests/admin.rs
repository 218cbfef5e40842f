//! Admin commands: grants and the last-admin rule, kicks, restart,
//! shutdown. Every check is the engine's.

mod harness;

use chat_core::{CloseReason, Grant, Input};
use harness::{has, Harness, PW};

fn setup() -> Harness {
    let mut h = Harness::with_admins(&["root"]);
    h.register("r", "root");
    h.register("b", "bob");
    h.register("c", "carol");
    for l in ["r", "b", "c"] {
        h.take(l);
    }
    h
}

#[test]
fn users_may_not_run_admin_commands() {
    let mut h = setup();
    for cmd in [
        "/changegrant carol 0",
        "/kickuser carol",
        "/unkick carol",
        "/restart",
    ] {
        h.send("b", cmd);
        assert!(h.last("b").starts_with("ERR not-permitted"), "{cmd}");
    }
    assert!(h.stops.is_empty());
}

#[test]
fn grants_change_durably_and_reach_the_user() {
    let mut h = setup();
    h.send("r", "/changegrant bob 0");
    assert_eq!(h.take("r"), vec!["OK grant bob 0"]);
    assert_eq!(h.take("b"), vec!["CTL grant 0"]);
    assert_eq!(
        h.engine.account(&harness::user("bob")).map(|a| a.grant),
        Some(Grant::Admin)
    );
    h.send("b", "/users");
    assert!(has(&h.take("b"), "USER bob 0 free"));
    // Now bob may act as an admin.
    h.send("b", "/changegrant carol 0");
    assert_eq!(h.take("b"), vec!["OK grant carol 0"]);
    h.send("b", "/changegrant carol 0");
    assert_eq!(h.take("b"), vec!["OK grant carol 0"], "no-op is still OK");
    h.send("r", "/changegrant nobody 1");
    assert!(h.last("r").starts_with("ERR no-such-user"));
}

#[test]
fn the_last_admin_cannot_be_demoted() {
    // An admin from the store, not from the configuration.
    let snapshot = chat_core::StoreSnapshot {
        users: vec![chat_core::UserRecord {
            name: chat_core::UserName::parse("boss").unwrap(),
            phc: chat_core::password::hash(
                &chat_core::password::HashParams::cheap(),
                &chat_core::password::Password::new(PW),
                &[1; 16],
            )
            .unwrap(),
            grant: Grant::Admin,
            created: chat_core::Millis(0),
        }],
        kicked: vec![],
        ..Default::default()
    };
    let mut h = Harness::with(chat_core::Config::default(), snapshot);
    let lines = h.login("boss", "boss", PW);
    assert!(has(&lines, "WELCOME boss 0"), "{lines:?}");
    h.send("boss", "/changegrant boss 1");
    assert!(h.last("boss").starts_with("ERR last-admin"));
    h.register("b", "bob");
    h.send("boss", "/changegrant bob 0");
    h.send("boss", "/changegrant boss 1");
    assert!(has(&h.take("boss"), "OK grant boss 1"));
    h.send("b", "/changegrant bob 1");
    assert!(h.last("b").starts_with("ERR last-admin"));
}

#[test]
fn configured_admins_cannot_be_demoted_or_kicked() {
    let mut h = setup();
    h.send("r", "/changegrant bob 0");
    h.take("r");
    h.send("b", "/changegrant root 1");
    assert!(h.last("b").starts_with("ERR not-permitted"));
    h.send("b", "/kickuser root");
    assert!(h.last("b").starts_with("ERR not-permitted"));
}

#[test]
fn kick_disconnects_bars_and_lists() {
    let mut h = setup();
    h.send("r", "/kickuser carol too loud");
    assert_eq!(h.take("r")[0], "OK kicked carol");
    assert_eq!(h.take("c"), vec!["CTL kick root too loud"]);
    assert_eq!(h.closed("c"), Some(CloseReason::Kicked));
    assert!(h.last("b").ends_with(" carol kicked"));
    let lines = h.login("c2", "carol", PW);
    assert!(has(&lines, "ERR kicked"), "{lines:?}");
    h.send("b", "/viewkickusers");
    let rows = h.take("b");
    assert_eq!(rows[0], format!("KICKED carol root {} too loud", h.now.0));
    assert_eq!(rows[1], "END kicked 1 1");
    h.send("r", "/unkick carol");
    assert_eq!(h.take("r"), vec!["OK unkicked carol"]);
    h.send("r", "/unkick carol");
    assert!(h.last("r").starts_with("ERR bad-argument"));
    h.send("r", "/kickuser nobody");
    assert!(h.last("r").starts_with("ERR no-such-user"));
    let lines = h.login("c3", "carol", PW);
    assert!(has(&lines, "WELCOME carol"), "{lines:?}");
}

#[test]
fn kick_of_an_offline_user() {
    let mut h = setup();
    h.send("c", "/quit");
    h.take("r");
    h.send("r", "/kickuser carol");
    assert_eq!(h.take("r")[..1], ["OK kicked carol".to_string()]);
    assert!(h
        .engine
        .account(&harness::user("CAROL"))
        .is_some_and(|a| a.kicked));
}

#[test]
fn restart_and_shutdown_tell_everyone() {
    let mut h = setup();
    h.connect("pending");
    h.take("pending");
    h.send("r", "/restart");
    for l in ["r", "b", "c", "pending"] {
        assert_eq!(h.take(l), vec!["CTL restart"], "{l}");
        assert_eq!(h.closed(l), Some(CloseReason::Restart));
    }
    assert_eq!(h.stops, vec![true]);

    let mut h = setup();
    h.input(Input::Shutdown);
    for l in ["r", "b", "c"] {
        assert_eq!(h.take(l), vec!["CTL shutdown"]);
        assert_eq!(h.closed(l), Some(CloseReason::Shutdown));
    }
    assert_eq!(h.stops, vec![false]);
    h.connect("late");
    assert!(has(&h.take("late"), "ERR server-full"));
}

#[test]
fn a_second_change_to_the_same_user_waits_its_turn() {
    let mut h = setup();
    h.send("r", "/changegrant bob 0");
    h.take("r");
    h.persist = harness::Persist::Hold;
    h.send("r", "/changegrant carol 0");
    h.send("b", "/kickuser carol");
    assert!(h.last("b").starts_with("ERR try-again"));
    h.release_persists(true);
    assert_eq!(h.take("r"), vec!["OK grant carol 0"]);
}
