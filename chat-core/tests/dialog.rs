//! The login dialog: ASK steps, one-line forms, failures and throttles.

mod harness;

use std::time::Duration;

use chat_core::{CloseReason, Config, Limits, StoreSnapshot};
use harness::{has, Harness, PW};

#[test]
fn hello_then_ask_account() {
    let mut h = Harness::new();
    h.connect("a");
    assert_eq!(
        h.take("a"),
        vec![
            "HELLO chat/1 chat".to_string(),
            "ASK account Do you want to create a new user? [y/n]".to_string()
        ]
    );
}

#[test]
fn register_by_the_dialog_steps() {
    let mut h = Harness::new();
    h.connect("a");
    h.take("a");
    h.send("a", "Y");
    assert_eq!(
        h.take("a"),
        vec!["ASK username (1/3) Write your user name:"]
    );
    h.send("a", "alice");
    assert_eq!(h.take("a"), vec!["ASK password (2/3) Write your password:"]);
    h.send("a", PW);
    assert_eq!(
        h.take("a"),
        vec!["ASK password-again (3/3) Write your password again:"]
    );
    h.send("a", PW);
    let lines = h.take("a");
    assert_eq!(lines[0], "OK registered alice");
    assert_eq!(lines[1], "WELCOME alice 1");
    assert!(lines[2].starts_with("JOIN ") && lines[2].ends_with(" alice"));
    assert_eq!(lines.len(), 3);
}

#[test]
fn login_by_the_dialog_steps_and_wrong_password() {
    let mut h = Harness::new();
    h.register("a", "alice");
    h.send("a", "/quit");
    h.connect("b");
    h.take("b");
    h.send("b", "n");
    assert_eq!(
        h.take("b"),
        vec!["ASK username (1/2) Write your user name:"]
    );
    h.send("b", "alice");
    assert_eq!(h.take("b"), vec!["ASK password (2/2) Write your password:"]);
    h.send("b", "not-the-password");
    let lines = h.take("b");
    assert!(lines[0].starts_with("ERR bad-credentials "));
    assert!(lines[1].starts_with("ASK account"));
    h.send("b", "no");
    h.send("b", "ALICE");
    h.send("b", PW);
    assert_eq!(
        h.take("b")[2..4],
        ["OK login alice".to_string(), "WELCOME alice 1".to_string()]
    );
}

#[test]
fn dialog_answers_that_are_wrong() {
    let mut h = Harness::new();
    h.register("x", "alice");
    h.connect("a");
    h.take("a");
    h.send("a", "maybe");
    let lines = h.take("a");
    assert!(lines[0].starts_with("ERR bad-argument"));
    assert!(lines[1].starts_with("ASK account"));
    for (name, code) in [
        ("9lives", "bad-name"),
        ("Alice", "name-taken"),
        ("a b", "bad-name"),
    ] {
        h.send("a", "y");
        h.send("a", name);
        let lines = h.take("a");
        assert!(
            lines[1].starts_with(&format!("ERR {code} ")),
            "{name}: {lines:?}"
        );
        // A typo asks that step again.
        assert!(lines[2].starts_with("ASK username"), "{lines:?}");
        h.send("a", "/quit");
        h.connect("a");
        h.take("a");
    }
    h.send("a", "y");
    h.send("a", "bob");
    h.send("a", "short");
    let lines = h.take("a");
    assert!(lines[2].starts_with("ERR bad-password "));
    assert!(lines[3].starts_with("ASK password "), "{lines:?}");
}

#[test]
fn five_wrong_credentials_then_rate_limited_and_closed() {
    let mut h = Harness::new();
    h.connect("a");
    for i in 0..4 {
        h.send("a", &format!("/login user{i} wrong-password"));
        assert!(h.closed("a").is_none());
    }
    h.take("a");
    h.send("a", "/login user9 wrong-password");
    let lines = h.take("a");
    assert!(lines[0].starts_with("ERR bad-credentials"));
    assert!(lines[1].starts_with("ERR rate-limited"));
    assert_eq!(h.closed("a"), Some(CloseReason::RateLimited));
}

#[test]
fn password_mismatch_counts_as_a_failure() {
    let mut h = Harness::new();
    h.connect("a");
    h.send("a", "y");
    h.send("a", "alice");
    h.send("a", PW);
    h.send("a", "something-else");
    assert!(has(&h.take("a"), "ERR password-mismatch"));
}

#[test]
fn one_line_forms_and_commands_before_login() {
    let mut h = Harness::new();
    h.connect("a");
    h.take("a");
    h.send("a", "/ping x");
    assert_eq!(h.take("a"), vec!["PONG x"]);
    h.send("a", "/help");
    let help = h.take("a");
    assert_eq!(help.last().unwrap(), "END help");
    h.send("a", "/users");
    assert!(h.take("a")[0].starts_with("ERR not-logged-in"));
    h.send("a", "/nope");
    assert!(h.take("a")[0].starts_with("ERR unknown-command"));
    h.send("a", "/register alice");
    assert!(h.take("a")[0].starts_with("ERR bad-argument"));
    h.send("a", &format!("/register alice {PW}"));
    assert!(has(&h.take("a"), "WELCOME alice 1"));
    h.send("a", &format!("/register bob {PW}"));
    assert!(h.take("a")[0].starts_with("ERR already-online"));
    // Logging in again as oneself only confirms the login.
    h.send("a", &format!("/login alice {PW}"));
    assert_eq!(h.take("a"), vec!["OK login alice"]);
}

#[test]
fn a_password_may_start_with_a_slash() {
    let mut h = Harness::new();
    h.connect("a");
    h.send("a", "y");
    h.send("a", "alice");
    h.send("a", "/not-a-command");
    h.send("a", "/not-a-command");
    assert!(has(&h.take("a"), "WELCOME alice"));
    h.send("a", "/quit");
    let lines = h.login("b", "alice", "/not-a-command");
    assert!(has(&lines, "WELCOME alice"), "{lines:?}");
}

#[test]
fn quit_during_the_dialog() {
    let mut h = Harness::new();
    h.connect("a");
    h.take("a");
    h.send("a", "/quit");
    assert_eq!(h.take("a"), vec!["CTL disconnect"]);
    assert_eq!(h.closed("a"), Some(CloseReason::Quit));
}

#[test]
fn a_second_login_takes_the_account_over() {
    let mut h = Harness::new();
    h.register("a", "alice");
    h.register("w", "walter");
    h.take("w");
    h.take("a");
    let lines = h.login("b", "alice", PW);
    assert!(has(&lines, "OK login alice"), "{lines:?}");
    assert!(has(&lines, "WELCOME alice 1"), "{lines:?}");
    assert_eq!(h.take("a"), vec!["CTL takeover"]);
    assert_eq!(h.closed("a"), Some(CloseReason::TakenOver));
    let seen = h.take("w");
    assert!(seen[0].ends_with(" alice takeover"), "{seen:?}");
    assert!(seen[1].starts_with("JOIN ") && seen[1].ends_with(" alice"));
    assert!(h
        .engine
        .account(&harness::user("alice"))
        .is_some_and(|a| a.online));
    assert_eq!(h.engine.stats().online, 2);
    h.send("b", "still me");
    assert!(h.last("w").ends_with(" alice still me"));
    // The wrong password takes nothing over.
    let lines = h.login("c", "alice", "wrong-password");
    assert!(has(&lines, "ERR bad-credentials"), "{lines:?}");
    assert!(h.closed("b").is_none());
}

#[test]
fn account_throttle_spans_connections() {
    let mut h = Harness::new();
    h.register("a", "alice");
    for i in 0..3 {
        let lines = h.login(&format!("x{i}"), "alice", "wrong-password");
        assert!(has(&lines, "ERR bad-credentials"), "{lines:?}");
    }
    // Even the right password is refused until the window passes.
    h.send("a", "/quit");
    let lines = h.login("y", "alice", PW);
    assert!(has(&lines, "ERR rate-limited"), "{lines:?}");
    h.advance(Duration::from_secs(61));
    let lines = h.login("z", "alice", PW);
    assert!(has(&lines, "WELCOME alice"), "{lines:?}");
}

#[test]
fn address_throttle_applies_off_loopback_only() {
    let limits = Limits {
        address_failures_per_window: 4,
        account_failures_per_window: 100,
        exempt_loopback: true,
        ..Limits::default()
    };
    let config = Config {
        limits,
        ..Config::default()
    };
    let mut h = Harness::with(config, StoreSnapshot::default());
    h.register("a", "alice");
    let remote = "192.0.2.7".parse().unwrap();
    for i in 0..4 {
        h.connect_from(&format!("r{i}"), remote);
        h.send(&format!("r{i}"), &format!("/login user{i} wrong-password"));
        assert!(has(&h.take(&format!("r{i}")), "ERR bad-credentials"));
    }
    h.send("a", "/quit");
    h.connect_from("r", remote);
    h.send("r", &format!("/login alice {PW}"));
    assert!(has(&h.take("r"), "ERR rate-limited"));
    // Loopback failures never count.
    for i in 0..6 {
        let lines = h.login(&format!("l{i}"), &format!("user{i}"), "wrong-password");
        assert!(has(&lines, "ERR bad-credentials"));
    }
    let lines = h.login("l", "alice", PW);
    assert!(has(&lines, "WELCOME"), "{lines:?}");
}

#[test]
fn login_timeout_closes_unauthenticated_connections() {
    let mut h = Harness::new();
    h.connect("slow");
    h.register("fast", "alice");
    h.advance(Duration::from_secs(59));
    assert!(h.closed("slow").is_none());
    h.advance(Duration::from_secs(1));
    assert!(h.last("slow").starts_with("ERR timeout"));
    assert_eq!(h.closed("slow"), Some(CloseReason::Timeout));
    assert!(h.closed("fast").is_none());
}

#[test]
fn lines_sent_while_logging_in_are_answered_after_it_in_order() {
    let mut h = Harness::new();
    h.hold_password = true;
    h.connect("a");
    h.take("a");
    h.send_bytes(
        "a",
        format!("/register alice {PW}\nhello\n/ping 1\n").as_bytes(),
    );
    assert!(h.take("a").is_empty());
    h.release_jobs();
    let lines = h.take("a");
    assert_eq!(lines[0], "OK registered alice");
    assert_eq!(lines[1], "WELCOME alice 1");
    assert!(lines[2].starts_with("JOIN "));
    assert!(lines[3].starts_with("MSG ") && lines[3].ends_with(" alice hello"));
    assert_eq!(lines[4], "PONG 1");
}

#[test]
fn logging_in_again_as_another_account_switches_the_session() {
    let mut h = Harness::new();
    h.register("bob", "bob");
    h.send("bob", "/quit");
    h.register("a", "alice");
    h.register("c", "carol");
    h.send("a", "/create den");
    h.take("a");
    h.take("c");
    // A wrong password: refused, and alice is alice still.
    h.send("a", "/login bob wrong-password");
    assert!(h.take("a")[0].starts_with("ERR bad-credentials"));
    h.send("a", "still alice");
    assert!(h
        .take("c")
        .iter()
        .any(|l| l.ends_with(" alice still alice")));
    h.take("a");
    // As bob: told, out of alice's rooms, and welcomed as bob.
    h.send("a", &format!("/login bob {PW}"));
    let lines = h.take("a");
    assert_eq!(lines[..2], ["OK login bob", "WELCOME bob 1"], "{lines:?}");
    let seen = h.take("c");
    assert!(
        seen.iter()
            .any(|l| l.starts_with("LEAVE ") && l.contains(" alice quit")),
        "{seen:?}"
    );
    assert!(
        seen.iter()
            .any(|l| l.starts_with("JOIN ") && l.ends_with(" bob")),
        "{seen:?}"
    );
    h.send("a", "now bob");
    assert!(h.take("c").iter().any(|l| l.ends_with(" bob now bob")));
    h.send("c", "/users");
    let users = h.take("c");
    assert!(!users.iter().any(|l| l.contains("alice")), "{users:?}");
}

#[test]
fn wrong_passwords_while_logged_in_count_like_the_dialogs() {
    let mut config = harness::unlimited();
    config.limits.max_failed_attempts = 2;
    let mut h = Harness::with(config, StoreSnapshot::default());
    h.register("b", "bob");
    h.register("a", "alice");
    h.send("a", "/login bob nope-nope-nope");
    assert!(h.take("a")[0].starts_with("ERR bad-credentials"));
    assert_eq!(h.closed("a"), None);
    h.send("a", "/login bob nope-nope-nope");
    assert!(has(&h.take("a"), "ERR rate-limited"));
    assert_eq!(h.closed("a"), Some(CloseReason::RateLimited));
}
