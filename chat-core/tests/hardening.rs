//! Regression tests for the holes of issue 7 (engine side): each fails on
//! the engine before its fix.

mod harness;

use std::net::IpAddr;
use std::time::Duration;

use chat_core::{CloseReason, Config, Engine, Limits, StoreSnapshot};
use harness::{admin_snapshot, has, unlimited, Harness, Persist, PW};

fn ip(s: &str) -> IpAddr {
    s.parse().unwrap()
}

/// The 256 addresses 10.0.<hi>.<lo>.
fn addr(i: usize) -> IpAddr {
    ip(&format!("10.0.{}.{}", i / 250, i % 250 + 1))
}

fn with_limits(f: impl FnOnce(&mut Limits)) -> Harness {
    let mut config = unlimited();
    f(&mut config.limits);
    Harness::with(config, StoreSnapshot::default())
}

/// The `<n>` of a line ending `retry in <n> s`.
fn retry_secs(line: &str) -> u64 {
    let rest = line
        .rsplit_once("retry in ")
        .unwrap_or_else(|| panic!("no retry time: {line}"))
        .1;
    rest.strip_suffix(" s").unwrap().parse().unwrap()
}

/// Registers alice from a remote address and logs her out again.
fn alice_offline(h: &mut Harness) {
    h.connect_from("owner0", ip("203.0.113.9"));
    h.send("owner0", &format!("/register alice {PW}"));
    assert!(has(&h.take("owner0"), "WELCOME alice"));
    h.send("owner0", "/quit");
}

// ---- 2: attempts count when they arrive --------------------------------

#[test]
fn parallel_guesses_are_counted_as_they_arrive() {
    let mut h = with_limits(|l| l.exempt_loopback = false);
    alice_offline(&mut h);
    h.hold_password = true;
    // 300 guesses at once from 300 addresses, the right one last.
    for i in 0..300 {
        let label = format!("g{i}");
        h.connect_from(&label, addr(i));
        let pw = if i == 299 { PW } else { "wrong-guess" };
        h.send(&label, &format!("/login alice {pw}"));
    }
    let ceiling = Limits::default().account_ceiling_per_window as usize;
    assert_eq!(h.held_jobs.len(), ceiling, "only the ceiling is checked");
    let last = h.take("g299");
    assert!(has(&last, "ERR rate-limited"), "{last:?}");
    h.release_jobs();
    assert!(!h
        .engine
        .account(&harness::user("alice"))
        .is_some_and(|a| a.online));
}

// ---- 3: no lock-out of the owner by strangers --------------------------

#[test]
fn a_stranger_cannot_lock_the_owner_out() {
    let mut h = with_limits(|l| l.exempt_loopback = false);
    alice_offline(&mut h);
    let stranger = ip("192.0.2.66");
    for i in 0..3 {
        let label = format!("s{i}");
        h.connect_from(&label, stranger);
        h.send(&label, "/login alice wrong-guess");
        assert!(has(&h.take(&label), "ERR bad-credentials"));
    }
    h.connect_from("s3", stranger);
    h.send("s3", &format!("/login alice {PW}"));
    let lines = h.take("s3");
    let refusal = lines
        .iter()
        .find(|l| l.starts_with("ERR rate-limited "))
        .unwrap_or_else(|| panic!("{lines:?}"));
    assert_eq!(retry_secs(refusal), 60);
    // The owner, from her own address, is not locked out.
    h.connect_from("owner", ip("198.51.100.7"));
    h.send("owner", &format!("/login alice {PW}"));
    let lines = h.take("owner");
    assert!(has(&lines, "WELCOME alice"), "{lines:?}");
    // The stranger's window passes.
    h.advance(Duration::from_secs(61));
    h.connect_from("s4", stranger);
    h.send("s4", "/login alice wrong-guess");
    assert!(has(&h.take("s4"), "ERR bad-credentials"));
}

// ---- 4: password work bounded per address and in total -----------------

#[test]
fn password_work_is_bounded_per_address_and_in_total() {
    let mut h = with_limits(|l| {
        l.exempt_loopback = false;
        l.max_password_jobs = 6;
    });
    h.hold_password = true;
    let flood = ip("192.0.2.1");
    for i in 0..10 {
        let label = format!("f{i}");
        h.connect_from(&label, flood);
        h.send(&label, &format!("/login user{i} wrong-guess"));
    }
    let per_address = Limits::default().max_password_jobs_per_address;
    assert_eq!(h.held_jobs.len(), per_address);
    assert!(h.held_jobs.iter().all(|j| j.peer == flood));
    let lines = h.take("f9");
    let refusal = lines.iter().find(|l| l.starts_with("ERR ")).unwrap();
    assert!(refusal.starts_with("ERR rate-limited "), "{refusal}");
    assert_eq!(retry_secs(refusal), 1);
    // A quiet address still gets its check, until the total is reached.
    h.connect_from("q1", ip("198.51.100.1"));
    h.send("q1", "/login quiet1 wrong-guess");
    h.connect_from("q2", ip("198.51.100.2"));
    h.send("q2", "/login quiet2 wrong-guess");
    assert_eq!(h.held_jobs.len(), 6);
    h.connect_from("q3", ip("198.51.100.3"));
    h.send("q3", "/login quiet3 wrong-guess");
    assert!(has(&h.take("q3"), "ERR server-busy"));
    assert_eq!(h.held_jobs.len(), 6);
    h.hold_password = false;
    h.release_jobs();
    assert_eq!(h.engine.stats().password_addresses, 0);
    h.send("q3", &format!("/register quiet3 {PW}"));
    let lines = h.take("q3");
    assert!(has(&lines, "WELCOME quiet3"), "{lines:?}");
}

// ---- 5: registration throttle ------------------------------------------

#[test]
fn registrations_are_throttled_per_address_and_overall() {
    let mut h = with_limits(|l| {
        l.exempt_loopback = false;
        l.registrations_per_address = 2;
        l.registrations_per_window = 3;
    });
    let a = ip("192.0.2.1");
    for i in 0..2 {
        let label = format!("a{i}");
        h.connect_from(&label, a);
        h.send(&label, &format!("/register user{i} {PW}"));
        assert!(has(&h.take(&label), "WELCOME"));
    }
    h.connect_from("a2", a);
    h.send("a2", &format!("/register user2 {PW}"));
    let lines = h.take("a2");
    assert!(has(&lines, "ERR rate-limited"), "{lines:?}");
    assert!(h.closed("a2").is_none());
    h.connect_from("b0", ip("192.0.2.2"));
    h.send("b0", &format!("/register userb0 {PW}"));
    assert!(has(&h.take("b0"), "WELCOME"));
    h.connect_from("c0", ip("192.0.2.3"));
    h.send("c0", &format!("/register userc0 {PW}"));
    assert!(has(&h.take("c0"), "ERR rate-limited"));
    h.advance(Duration::from_millis(
        Limits::default().registration_window_ms,
    ));
    h.connect_from("c1", ip("192.0.2.3"));
    h.send("c1", &format!("/register userc0 {PW}"));
    assert!(has(&h.take("c1"), "WELCOME"));
    assert!(h.engine.stats().registration_entries <= 4);
}

// ---- 6: configured admin names are reserved ----------------------------

#[test]
fn a_configured_admin_name_cannot_be_registered() {
    let config = Config {
        admins: vec!["root".into()],
        ..unlimited()
    };
    let mut h = Harness::with(config, StoreSnapshot::default());
    h.connect("a");
    h.send("a", &format!("/register Root {PW}"));
    assert!(has(&h.take("a"), "ERR name-taken Root is reserved"));
    h.send("a", "y");
    h.send("a", "root");
    let lines = h.take("a");
    assert!(has(&lines, "ERR name-taken"), "{lines:?}");
    assert_eq!(h.engine.stats().users, 0);
    // Once the operator has set it, the admin logs in.
    let mut h = Harness::with_admins(&["root"]);
    let lines = h.login("r", "root", PW);
    assert!(has(&lines, "WELCOME root 0"), "{lines:?}");
}

// ---- 9: names are checked before any table -----------------------------

#[test]
fn bad_login_names_never_reach_a_table() {
    let mut h = with_limits(|l| l.exempt_loopback = false);
    h.hold_password = true;
    h.connect_from("a", ip("192.0.2.1"));
    let long = "x".repeat(4000);
    h.send("a", &format!("/login {long} wrong-guess"));
    assert!(has(&h.take("a"), "ERR bad-name"));
    h.send("a", "n");
    h.send("a", "9nine");
    let lines = h.take("a");
    assert!(has(&lines, "ERR bad-name"), "{lines:?}");
    assert!(lines.last().unwrap().starts_with("ASK username"));
    assert_eq!(h.engine.stats().throttle_entries, 0);
    assert!(h.held_jobs.is_empty());
}

// ---- 11: few lines queue before login -----------------------------------

#[test]
fn before_login_only_a_few_lines_queue() {
    let mut h = Harness::with(Config::default(), StoreSnapshot::default());
    h.hold_password = true;
    h.connect("a");
    let conn = h.conn("a");
    let line = "y".repeat(4000);
    let mut bytes = format!("/register alice {PW}\n").into_bytes();
    for _ in 0..32 {
        bytes.extend_from_slice(format!("{line}\n").as_bytes());
    }
    h.send_bytes("a", &bytes);
    let cap = Limits::default().max_queued_lines_before_login;
    assert_eq!(
        h.engine.conn_stats(conn).unwrap_or_default().queued_lines,
        cap
    );
    assert!(h.engine.conn_stats(conn).unwrap_or_default().buffered_bytes <= cap * 4096);
}

// ---- 12: every command under a budget ------------------------------------

#[test]
fn commands_spend_a_budget_listings_more() {
    let mut h = Harness::with(Config::default(), StoreSnapshot::default());
    h.register("a", "alice");
    h.take("a");
    let l = Limits::default();
    // The registration line cost one unit.
    let helps = ((l.command_burst - l.command_cost) / l.listing_cost) as usize;
    let lines: String = (0..40).map(|_| "/help\n").collect();
    h.send_bytes("a", lines.as_bytes());
    let got = h.take("a");
    assert_eq!(got.iter().filter(|l| *l == "END help").count(), helps);
    let refused: Vec<_> = got
        .iter()
        .filter(|l| l.starts_with("ERR rate-limited over the command budget"))
        .collect();
    assert_eq!(refused.len(), 40 - helps);
    assert!(retry_secs(refused[0]) >= 1);
    assert!(h.closed("a").is_none());
    // The budget refills.
    h.advance(Duration::from_secs(1));
    h.send("a", "/users");
    assert!(h.take("a").last().unwrap().starts_with("END users"));
    // Pushing on far past it ends the connection.
    let pings: String = (0..500).map(|_| "/ping\n").collect();
    h.send_bytes("a", pings.as_bytes());
    assert_eq!(h.closed("a"), Some(CloseReason::RateLimited));
}

#[test]
fn an_answer_dropped_for_the_budget_is_still_asked_for() {
    // The codec reads a line after `ASK account` as its answer; a dropped
    // answer must leave the question open, or the next `y` would be read
    // as a room message and the dialog would stall.
    let mut h = Harness::with(Config::default(), StoreSnapshot::default());
    h.connect("a");
    h.take("a");
    let burst = Limits::default().command_burst as usize;
    let pings: String = (0..burst).map(|_| "/ping\n").collect();
    h.send_bytes("a", pings.as_bytes());
    h.send("a", "y");
    let got = h.take("a");
    assert!(got
        .last()
        .unwrap()
        .starts_with("ERR rate-limited over the command budget"));
    h.advance(Duration::from_secs(1));
    h.send("a", "y");
    assert!(h.last("a").starts_with("ASK username "));
}

// ---- 13: Unicode format characters are refused ---------------------------

#[test]
fn format_characters_are_refused_like_control_characters() {
    let mut h = Harness::with_admins(&["root"]);
    h.register("r", "root");
    h.register("b", "bob");
    h.take("r");
    h.take("b");
    for c in [
        '\u{202E}', '\u{200B}', '\u{2028}', '\u{FEFF}', '\u{2067}', '\u{061C}',
    ] {
        h.send("r", &format!("evil{c}text"));
        assert!(
            h.last("r").starts_with("ERR bad-argument"),
            "{:X}",
            c as u32
        );
        h.send("r", &format!("/msg bob evil{c}text"));
        assert!(h.last("r").starts_with("ERR bad-argument"));
        h.send("r", &format!("/kickuser bob evil{c}text"));
        assert!(h.last("r").starts_with("ERR bad-argument"));
    }
    assert!(h.take("b").is_empty());
    h.send("r", "plain ✓ مرحبا");
    assert!(h.last("b").ends_with(" root plain ✓ مرحبا"));
}

// ---- issue 20: fillers and blank-looking text are refused ----------------

#[test]
fn fillers_and_blank_looking_text_are_refused_everywhere() {
    let mut h = Harness::with_admins(&["root"]);
    h.register("r", "root");
    h.register("b", "bob");
    h.send("r", "/create den");
    h.send("b", "/join den");
    h.take("r");
    h.take("b");
    // Hangul fillers, the Braille blank, and a filler between spaces:
    // each looks like an empty line.
    for text in [
        "\u{3164}",
        "\u{115F}\u{1160}",
        "\u{FFA0}",
        "\u{2800}\u{2800}",
        " \u{3164} ",
        "a\u{3164}b",
    ] {
        for line in [
            text.to_owned(),
            format!("/say den {text}"),
            format!("/msg bob {text}"),
            format!("/topic den {text}"),
            format!("/remove den bob {text}"),
            format!("/kickuser bob {text}"),
        ] {
            h.send("r", &line);
            assert!(
                h.last("r").starts_with("ERR bad-argument"),
                "{line:?} was not refused"
            );
        }
    }
    assert!(h.take("b").is_empty(), "bob saw something");
    // Braille art and emoji with their selectors are still text.
    h.send("r", "/say den \u{2800}\u{28FF}\u{2764}\u{FE0F}");
    assert!(h
        .last("b")
        .ends_with(" root \u{2800}\u{28FF}\u{2764}\u{FE0F}"));
}

// ---- issue 20: a room's operator cannot remove an admin ----------------

#[test]
fn a_room_operator_cannot_remove_an_admin_but_an_admin_can_remove_anyone() {
    let mut h = Harness::with_admins(&["root"]);
    h.register("r", "root");
    h.register("b", "bob");
    h.register("c", "carol");
    h.send("b", "/create den");
    h.send("r", "/join den");
    h.send("c", "/join den");
    h.take("r");
    h.take("b");
    h.send("b", "/remove den root spam");
    let err = h.last("b");
    assert!(err.starts_with("ERR not-permitted"), "{err}");
    assert!(err.contains("root is an admin"), "{err}");
    assert!(
        !h.take("r").iter().any(|l| l.contains("removed")),
        "root was told of a removal"
    );
    // The operator still runs the room for everyone else.
    h.send("b", "/remove den carol");
    assert!(h.last("b").starts_with("OK removed"), "{}", h.last("b"));
    // An admin runs every room, its operator included.
    h.send("r", "/remove den bob");
    assert!(h.last("r").starts_with("OK removed"), "{}", h.last("r"));
}

// ---- 15: loopback is not exempt by default ------------------------------

#[test]
fn loopback_is_limited_like_any_address_by_default() {
    let mut limits = Limits::default();
    assert!(!limits.exempt_loopback);
    limits.max_connections_per_address = 2;
    let config = Config {
        limits,
        ..Config::default()
    };
    let mut h = Harness::with(config, StoreSnapshot::default());
    h.connect("l1");
    h.connect("l2");
    h.connect("l3");
    assert!(has(&h.take("l3"), "ERR server-full"));
    assert_eq!(h.closed("l3"), Some(CloseReason::Refused));
}

// ---- 1: no reply bigger than the outbound cap ---------------------------

#[test]
fn listings_come_in_pages() {
    let mut h = with_limits(|l| l.users_page_rows = 2);
    for name in ["ann", "bea", "cid", "dan", "eve"] {
        h.register(name, name);
    }
    h.take("ann");
    h.send("ann", "/viewusers");
    assert_eq!(
        h.take("ann"),
        vec!["USER ann 1 free", "USER bea 1 free", "END users 2 5 2"]
    );
    h.send("ann", "/viewusers 3");
    assert_eq!(h.take("ann"), vec!["USER eve 1 free", "END users 1 5"]);
    h.send("ann", "/viewusers 9");
    assert_eq!(h.take("ann"), vec!["END users 0 5"]);
}

#[test]
fn the_kick_list_comes_in_pages_of_bounded_size() {
    let mut h = Harness::with(
        Config {
            admins: vec!["root".into()],
            ..unlimited()
        },
        admin_snapshot(&["root"]),
    );
    h.register("r", "root");
    let reason = "r".repeat(4000);
    for i in 0..120 {
        let name = format!("user{i}");
        h.register(&name, &name);
        h.send("r", &format!("/kickuser {name} {reason}"));
    }
    h.take("r");
    h.send("r", "/viewkickusers");
    let frames = h.client("r").frames.len();
    let biggest = h.client("r").frames[frames - 1].len();
    assert!(biggest < 256 * 1024, "{biggest} bytes in one reply");
    let lines = h.take("r");
    let rows = Limits::default().kicked_page_rows;
    assert_eq!(lines.len(), rows + 1);
    assert_eq!(lines[rows], format!("END kicked {rows} 120 2"));
    h.send("r", "/viewkickusers 3");
    assert_eq!(h.take("r").last().unwrap(), "END kicked 20 120");
}

#[test]
fn held_lines_are_bounded_in_bytes() {
    let mut h = Harness::new();
    h.register("a", "alice");
    h.register("b", "bob");
    h.send("b", "/busy");
    let text = "z".repeat(4000);
    for _ in 0..100 {
        h.send("a", &text);
    }
    let max = Limits::default().max_held_bytes;
    assert!(
        h.engine
            .conn_stats(h.conn("b"))
            .unwrap_or_default()
            .held_bytes
            <= max
    );
    h.take("b");
    h.send("b", "/free");
    let lines = h.take("b");
    let replayed = lines.len() - 2;
    assert!(replayed * 4000 <= max);
    assert_eq!(
        lines.last().unwrap(),
        &format!("END held {replayed} {}", 100 - replayed)
    );
}

// ---- 17: the smaller ones -------------------------------------------------

#[test]
fn a_failed_save_does_not_show_the_servers_error_text() {
    let mut h = Harness::new();
    h.persist = Persist::Fail;
    h.connect("a");
    h.send("a", &format!("/register alice {PW}"));
    let lines = h.take("a");
    assert!(
        lines.contains(&"ERR server-error could not save the change".to_string()),
        "{lines:?}"
    );
    assert!(!lines.iter().any(|l| l.contains("disk full")));
}

#[test]
fn dialog_typos_are_not_failed_logins() {
    let mut h = Harness::new();
    h.register("x", "taken");
    h.connect("a");
    h.send("a", "y");
    for _ in 0..10 {
        h.send("a", "9bad");
        h.send("a", "taken");
    }
    h.send("a", "alice");
    for _ in 0..10 {
        h.send("a", "short");
    }
    h.send("a", PW);
    for _ in 0..10 {
        h.send("a", "not-the-same");
        h.send("a", PW);
    }
    h.send("a", PW);
    let lines = h.take("a");
    assert!(h.closed("a").is_none());
    assert!(has(&lines, "WELCOME alice"), "{lines:?}");
    assert_eq!(
        lines
            .iter()
            .filter(|l| l.starts_with("ASK password-again"))
            .count(),
        11
    );
}

#[test]
fn change_password_by_ask_steps_takes_spaces() {
    let mut h = Harness::new();
    h.register("a", "alice");
    h.take("a");
    h.send("a", "/changepassword");
    assert_eq!(
        h.take("a"),
        vec!["ASK old-password (1/3) Write your current password:"]
    );
    h.send("a", PW);
    assert_eq!(
        h.take("a"),
        vec!["ASK new-password (2/3) Write your new password:"]
    );
    h.send("a", "a b");
    let lines = h.take("a");
    assert!(lines[0].starts_with("ERR bad-password"));
    assert!(lines[1].starts_with("ASK new-password "));
    h.send("a", "with some spaces");
    assert!(h.take("a")[0].starts_with("ASK new-password-again"));
    h.send("a", "with some spaces");
    assert_eq!(h.take("a"), vec!["OK password-changed"]);
    h.send("a", "/quit");
    let lines = h.login("b", "alice", "with some spaces");
    assert!(has(&lines, "WELCOME alice"), "{lines:?}");
    // A wrong old password changes nothing.
    h.send("b", "/changepassword");
    h.send("b", "wrong-old-pw");
    h.send("b", "another one");
    h.send("b", "another one");
    assert!(has(&h.take("b"), "ERR bad-credentials"));
    // The one-line form still works.
    h.register("c", "carol");
    h.send("c", &format!("/changepassword {PW} new-password-2"));
    assert!(has(&h.take("c"), "OK password-changed"));
}

#[test]
fn busy_survives_a_restart() {
    let mut h = Harness::with_admins(&["root"]);
    h.register("r", "root");
    h.register("b", "bob");
    h.send("b", "/busy");
    h.send("r", "/restart");
    assert_eq!(h.stops, vec![true]);
    let carried = h.engine.carry_over();
    assert_eq!(carried.busy.len(), 1);
    let mut next = Harness::with_admins(&["root"]);
    // The store kept bob; the next engine starts from it.
    next.engine = Engine::new(next.engine.config().clone(), {
        let mut snap = admin_snapshot(&["root"]);
        snap.users
            .extend(h.persisted.iter().filter_map(|c| match c {
                chat_core::StoreChange::AddUser(r) => Some(r.clone()),
                _ => None,
            }));
        snap
    })
    .unwrap();
    next.engine.resume_from(carried);
    assert_eq!(next.engine.stats().carried_busy, 1);
    // Not back yet: still carried by the engine after this one.
    assert_eq!(next.engine.carry_over().busy.len(), 1);
    let lines = next.login("b", "bob", PW);
    assert!(has(&lines, "CTL busy"), "{lines:?}");
    next.register("r", "root");
    next.send("r", "while you were away");
    assert!(next.take("b").is_empty(), "held for busy bob");
    next.send("b", "/free");
    assert!(has(&next.take("b"), "END held 2 0"));
    assert_eq!(next.engine.stats().carried_busy, 0);
}
