//! The engine as nodes of a cluster, over the simulated broker: lines in
//! one order on every node, one winner for a name registered twice at
//! once, kicks and takeovers across nodes, private messages and history
//! across nodes, busy users, lines sent right after a join, large rooms'
//! quiet joins, a node gone, lost acknowledgements, a node without the
//! broker; and the cluster simulator's invariants over many seeds.

use chat_core::sim::cluster::{run, Cluster, ClusterSimOptions, Faults};
use chat_core::Config;

fn config() -> Config {
    let mut config = Config::default();
    config.limits.messages_per_second = 0;
    config.limits.command_units_per_second = 0;
    config.limits.exempt_loopback = true;
    config.admins = vec!["root".into()];
    config
}

/// Three nodes; `alice` on node 0, `bob` on node 1, `carol` on node 2,
/// with nothing left to read.
fn three() -> Cluster {
    let mut c = Cluster::new(3, config(), 7);
    for (i, name) in ["alice", "bob", "carol"].iter().enumerate() {
        c.connect(i, name);
        c.send(name, &format!("/register {name} pass-{name}-1"));
        c.settle();
    }
    // Online lists go out a few times a second.
    c.advance(1_000);
    for name in ["alice", "bob", "carol"] {
        c.take(name);
    }
    c
}

/// The texts of the lobby lines in `lines`.
fn said(lines: &[String]) -> Vec<String> {
    lines
        .iter()
        .filter_map(|l| {
            let rest = l.strip_prefix("MSG ")?;
            let mut parts = rest.splitn(3, ' ');
            parts.next()?;
            let from = parts.next()?;
            Some(format!("{from}: {}", parts.next()?))
        })
        .collect()
}

fn has(lines: &[String], prefix: &str) -> bool {
    lines.iter().any(|l| l.starts_with(prefix))
}

#[test]
fn registration_on_one_node_is_seen_by_the_others_in_the_lobby() {
    let mut c = Cluster::new(3, config(), 1);
    c.connect(0, "a");
    c.send("a", "/register alice pass-alice-1");
    c.settle();
    let a = c.take("a");
    assert!(has(&a, "OK registered alice"), "{a:?}");
    assert!(has(&a, "WELCOME alice"), "{a:?}");
    assert!(
        a.iter()
            .any(|l| l.starts_with("JOIN ") && l.ends_with(" alice")),
        "{a:?}"
    );
    c.connect(2, "b");
    c.send("b", "/register bob pass-bob-1");
    c.settle();
    let a = c.take("a");
    assert!(
        a.iter()
            .any(|l| l.starts_with("JOIN ") && l.ends_with(" bob")),
        "{a:?}"
    );
    // alice's account is known on node 1, where she logs in again later.
    c.connect(1, "a2");
    c.send("a2", "/login alice pass-alice-1");
    c.settle();
    assert!(has(&c.take("a2"), "WELCOME alice"));
}

#[test]
fn lines_said_on_every_node_reach_everyone_in_one_order() {
    let mut c = three();
    for round in 0..5 {
        for name in ["alice", "bob", "carol"] {
            c.send(name, &format!("round {round} by {name}"));
        }
    }
    c.settle();
    let a = said(&c.take("alice"));
    assert_eq!(a.len(), 15, "{a:?}");
    assert_eq!(said(&c.take("bob")), a);
    assert_eq!(said(&c.take("carol")), a);
    c.check().unwrap();
}

#[test]
fn one_name_registered_on_two_nodes_at_once_has_one_winner() {
    let mut c = Cluster::new(3, config(), 2);
    c.connect(0, "x");
    c.connect(1, "y");
    c.send("x", "/register dave pass-dave-1");
    c.send("y", "/register Dave pass-dave-2");
    c.settle();
    let (x, y) = (c.take("x"), c.take("y"));
    let won = [&x, &y]
        .iter()
        .filter(|t| t.iter().any(|l| l.starts_with("OK registered")))
        .count();
    assert_eq!(won, 1, "{x:?} {y:?}");
    assert!(
        has(&x, "ERR name-taken") || has(&y, "ERR name-taken"),
        "{x:?} {y:?}"
    );
}

#[test]
fn a_kick_on_one_node_ends_the_session_on_another() {
    let mut c = three();
    // The operator made the admin's account (the network cannot).
    c.add_account("root", "pass-root-1", true);
    c.settle();
    c.connect(0, "root");
    c.send("root", "/login root pass-root-1");
    c.settle();
    c.take("root");
    c.send("root", "/kickuser bob spamming");
    c.settle();
    let root = c.take("root");
    assert!(has(&root, "OK kicked bob"), "{root:?}");
    let bob = c.take("bob");
    assert!(has(&bob, "CTL kick root spamming"), "{bob:?}");
    assert!(c.client("bob").unwrap().closed);
    let carol = c.take("carol");
    assert!(
        carol
            .iter()
            .any(|l| l.starts_with("LEAVE ") && l.ends_with(" bob kicked")),
        "{carol:?}"
    );
    // Nor may bob come back through another node.
    c.connect(2, "bob2");
    c.send("bob2", "/login bob pass-bob-1");
    c.settle();
    assert!(has(&c.take("bob2"), "ERR kicked"));
}

#[test]
fn a_login_on_another_node_takes_the_session_over() {
    let mut c = three();
    c.connect(2, "alice2");
    c.send("alice2", "/login alice pass-alice-1");
    c.settle();
    assert!(has(&c.take("alice2"), "WELCOME alice"));
    let old = c.take("alice");
    assert!(has(&old, "CTL takeover"), "{old:?}");
    assert!(c.client("alice").unwrap().closed);
    assert_eq!(c.sessions().get("alice"), Some(&1));
    // The others see the new session come in; the old one's leave names
    // a session that is no longer alice's, so it shows nothing.
    let bob = c.take("bob");
    assert!(
        bob.iter()
            .any(|l| l.starts_with("JOIN ") && l.ends_with(" alice")),
        "{bob:?}"
    );
    assert!(!bob.iter().any(|l| l.starts_with("LEAVE ")), "{bob:?}");
    c.advance(1_000);
    c.send("bob", "/viewusers");
    c.settle();
    let rows = c.take("bob");
    assert_eq!(
        rows.iter().filter(|l| l.starts_with("USER alice ")).count(),
        1,
        "{rows:?}"
    );
}

#[test]
fn private_messages_and_their_history_cross_nodes() {
    let mut c = three();
    c.send("alice", "/msg bob hello over there");
    c.settle();
    let alice = c.take("alice");
    assert!(has(&alice, "OK sent bob"), "{alice:?}");
    let bob = c.take("bob");
    assert!(
        bob.iter()
            .any(|l| l.starts_with("PM ") && l.ends_with("alice hello over there")),
        "{bob:?}"
    );
    c.send("bob", "/history @alice");
    c.settle();
    let bob = c.take("bob");
    assert!(
        bob.iter().any(|l| l.contains("hello over there")),
        "{bob:?}"
    );
    c.send("carol", "/msg nobody hi");
    c.settle();
    assert!(has(&c.take("carol"), "ERR no-such-user"));
}

#[test]
fn a_busy_user_is_busy_on_every_node() {
    let mut c = three();
    c.send("alice", "/busy");
    c.settle();
    assert!(has(&c.take("alice"), "CTL busy"));
    c.advance(1_000);
    // Writers on other nodes hear she is busy; lists say so.
    c.send("bob", "/msg alice are you there");
    c.settle();
    let bob = c.take("bob");
    assert!(has(&bob, "OK sent alice"), "{bob:?}");
    assert!(has(&bob, "INFO alice is busy"), "{bob:?}");
    c.send("bob", "/viewusers");
    c.settle();
    let rows = c.take("bob");
    assert!(has(&rows, "USER alice 1 busy"), "{rows:?}");
    // A room line from another node is held for her, then replayed.
    c.send("carol", "while you were busy");
    c.settle();
    let alice = c.take("alice");
    assert!(
        !alice.iter().any(|l| l.contains("while you were busy")),
        "{alice:?}"
    );
    c.send("alice", "/free");
    c.settle();
    let alice = c.take("alice");
    let held = alice
        .iter()
        .position(|l| l.ends_with("carol while you were busy"));
    let end = alice.iter().position(|l| l.starts_with("END held 1 "));
    assert!(held.is_some() && held < end, "{alice:?}");
    c.check().unwrap();
}

#[test]
fn the_users_of_a_gone_node_leave_everywhere() {
    let mut c = three();
    c.crash(1);
    c.advance(5_000);
    let alice = c.take("alice");
    assert!(
        alice
            .iter()
            .any(|l| l.starts_with("LEAVE ") && l.ends_with("bob lost")),
        "{alice:?}"
    );
    // Once, though both other nodes noticed.
    let n = alice.iter().filter(|l| l.ends_with("bob lost")).count();
    assert_eq!(n, 1, "{alice:?}");
    c.send("alice", "/viewusers");
    c.settle();
    let rows = c.take("alice");
    assert!(!rows.iter().any(|l| l.contains("bob")), "{rows:?}");
}

#[test]
fn viewusers_lists_the_users_of_every_node() {
    let mut c = three();
    c.advance(1_000);
    c.send("alice", "/viewusers");
    c.settle();
    let rows = c.take("alice");
    for name in ["alice", "bob", "carol"] {
        assert!(
            rows.iter().any(|l| l.starts_with(&format!("USER {name}"))),
            "{rows:?}"
        );
    }
}

#[test]
fn a_lost_acknowledgement_is_retried_and_the_line_stored_once() {
    let mut c = three();
    c.faults = Faults {
        lose_ack: 1000,
        ..Faults::default()
    };
    c.send("alice", "said once");
    c.settle();
    c.faults = Faults::default();
    c.advance(3_000);
    let a = said(&c.take("alice"));
    assert_eq!(a, ["alice: said once"]);
    assert_eq!(said(&c.take("bob")), a);
    assert_eq!(c.lobby_log(), ["said once"]);
}

#[test]
fn a_line_the_broker_never_takes_is_refused_in_time() {
    let mut c = three();
    c.faults = Faults {
        lose_append: 1000,
        ..Faults::default()
    };
    c.send("alice", "lost on the way");
    c.advance(8_000);
    let a = c.take("alice");
    assert!(has(&a, "ERR server-error not delivered"), "{a:?}");
    assert!(c.lobby_log().is_empty());
}

#[test]
fn rooms_span_nodes() {
    let mut c = three();
    c.send("alice", "/create Rust");
    c.settle();
    let a = c.take("alice");
    assert!(has(&a, "OK created Rust"), "{a:?}");
    assert!(has(&a, "OK joined Rust"), "{a:?}");
    c.send("bob", "/join rust");
    c.settle();
    assert!(has(&c.take("bob"), "OK joined Rust"));
    assert!(c
        .take("alice")
        .iter()
        .any(|l| l.starts_with("RJOIN Rust ") && l.ends_with(" bob")));
    c.send("bob", "/say Rust hello room");
    c.settle();
    for who in ["alice", "bob"] {
        let t = c.take(who);
        assert!(
            t.iter()
                .any(|l| l.starts_with("RMSG Rust ") && l.ends_with("bob hello room")),
            "{who}: {t:?}"
        );
    }
    assert!(!c.take("carol").iter().any(|l| l.contains("hello room")));
    c.send("alice", "/topic Rust borrow checking");
    c.settle();
    assert!(c
        .take("bob")
        .iter()
        .any(|l| l.starts_with("TOPIC Rust ") && l.ends_with("borrow checking")));
    c.send("carol", "/join Rust");
    c.settle();
    let carol = c.take("carol");
    assert!(
        carol.iter().any(|l| l.contains("hello room")),
        "history on join: {carol:?}"
    );
    c.send("alice", "/closeroom Rust");
    c.settle();
    let alice = c.take("alice");
    assert!(has(&alice, "OK closed Rust"), "{alice:?}");
    let bob = c.take("bob");
    assert!(
        bob.iter()
            .any(|l| l.starts_with("RLEAVE Rust ") && l.ends_with("bob closed")),
        "{bob:?}"
    );
}

/// A client's lines after a join or a create, sent without waiting for
/// its answer, are taken once the join is in (as on a single server): a
/// node holds them while the room's log brings the join back.
#[test]
fn lines_sent_right_after_a_join_wait_for_it() {
    let mut c = three();
    c.send("alice", "/create Rust\n/say Rust first words");
    c.settle();
    let alice = c.take("alice");
    assert!(!has(&alice, "ERR "), "{alice:?}");
    let created = alice.iter().position(|l| l == "OK created Rust");
    let joined = alice.iter().position(|l| l == "OK joined Rust");
    let said = alice
        .iter()
        .position(|l| l.starts_with("RMSG Rust ") && l.ends_with("alice first words"));
    assert!(created < joined && joined < said, "{alice:?}");
    c.send("bob", "/join Rust\n/say Rust me too");
    c.settle();
    let bob = c.take("bob");
    assert!(!has(&bob, "ERR "), "{bob:?}");
    assert!(
        bob.iter()
            .any(|l| l.starts_with("RMSG Rust ") && l.ends_with("bob me too")),
        "{bob:?}"
    );
    // A join the broker never takes ends the wait with its refusal; the
    // line held behind it is then refused as on a single server.
    c.set_reachable(2, false);
    c.send("carol", "/join Rust\n/say Rust lost");
    c.advance(30_000);
    let carol = c.take("carol");
    let refusals = carol.iter().filter(|l| l.starts_with("ERR ")).count();
    assert!(refusals >= 2, "{carol:?}");
    // So do lines sent right after a registration or a login, behind the
    // lobby's join.
    c.connect(0, "dora");
    c.send("dora", "/register dora pass-dora-1\n/history lobby");
    c.settle();
    let dora = c.take("dora");
    assert!(!has(&dora, "ERR "), "{dora:?}");
    assert!(has(&dora, "END history"), "{dora:?}");
    c.connect(1, "dora2");
    c.send("dora2", "/login dora pass-dora-1\n/history lobby");
    c.settle();
    let dora = c.take("dora2");
    assert!(!has(&dora, "ERR "), "{dora:?}");
    assert!(has(&dora, "END history"), "{dora:?}");
    c.check().unwrap();
}

/// Past `quiet_joins_above` members a room shows no joins and leaves one
/// by one, on any node (filling a room with N users is not N^2/2 lines);
/// its members still change.
#[test]
fn a_large_room_shows_no_joins_and_leaves() {
    let mut c = Cluster::with_settings(2, config(), 3, |s| s.quiet_joins_above = 2);
    for (i, name) in ["ann", "ben", "cat", "dan"].iter().enumerate() {
        c.connect(i % 2, name);
        c.send(name, &format!("/register {name} pass-{name}-1"));
        c.settle();
    }
    c.send("ann", "/create Big");
    c.settle();
    for name in ["ben", "cat", "dan"] {
        c.send(name, "/join Big");
        c.settle();
        assert!(has(&c.take(name), "OK joined Big"));
    }
    let ann = c.take("ann");
    let joins: Vec<&String> = ann.iter().filter(|l| l.starts_with("RJOIN Big ")).collect();
    // Shown while the room has at most 2 members (ann's, ben's, cat's);
    // dan's, into a room of 3, is not.
    assert_eq!(joins.len(), 3, "{ann:?}");
    assert!(joins[2].ends_with(" cat"), "{ann:?}");
    c.send("dan", "/part Big");
    c.settle();
    assert!(!c.take("ann").iter().any(|l| l.starts_with("RLEAVE Big ")));
    // cat, joined quietly on the other node, is a member; dan is not.
    c.send("ann", "/say Big still here");
    c.settle();
    assert!(c.take("cat").iter().any(|l| l.ends_with("ann still here")));
    assert!(!c.take("dan").iter().any(|l| l.contains("still here")));
    c.check().unwrap();
}

#[test]
fn a_node_without_the_broker_refuses_and_then_sends_its_clients_away() {
    let mut c = three();
    c.set_reachable(0, false);
    c.connect(0, "late");
    c.send("late", "/login bob pass-bob-1");
    c.settle();
    assert!(has(
        &c.take("late"),
        "ERR server-error this server cannot reach its cluster"
    ));
    c.send("alice", "not now");
    c.advance(12_000);
    let a = c.take("alice");
    assert!(has(&a, "ERR server-error not delivered"), "{a:?}");
    assert!(has(&a, "CTL restart"), "{a:?}");
    assert!(c.client("alice").unwrap().closed);
    // Back, it serves again and has missed nothing of the others.
    c.set_reachable(0, true);
    c.advance(1_000);
    c.connect(0, "alice2");
    c.send("alice2", "/login alice pass-alice-1");
    c.settle();
    assert!(has(&c.take("alice2"), "WELCOME alice"));
    c.check().unwrap();
}

#[test]
fn a_restarted_node_reads_the_logs_again_and_serves() {
    let mut c = three();
    c.send("bob", "before the crash");
    c.settle();
    c.crash(0);
    c.start_node(0);
    c.settle();
    c.connect(0, "alice2");
    c.send("alice2", "/login alice pass-alice-1");
    c.settle();
    assert!(has(&c.take("alice2"), "WELCOME alice"));
    c.send("alice2", "/history lobby");
    c.settle();
    assert!(c
        .take("alice2")
        .iter()
        .any(|l| l.contains("before the crash")));
    c.check().unwrap();
}

#[test]
fn the_cluster_simulator_keeps_its_invariants() {
    for seed in 0..30 {
        let report = run(&ClusterSimOptions::new(seed));
        assert!(report.failure.is_none(), "{report}");
    }
}

#[test]
fn the_cluster_simulator_catches_a_broker_that_ignores_message_ids() {
    let caught = (0..30).find_map(|seed| {
        let report = run(&ClusterSimOptions {
            planted_duplicates: true,
            ..ClusterSimOptions::new(seed)
        });
        report.failure
    });
    let why = caught.expect("a duplicated line is caught within 30 seeds");
    assert!(why.contains("twice") || why.contains("order"), "{why}");
}

#[test]
fn a_cluster_run_is_the_same_for_the_same_seed() {
    let a = run(&ClusterSimOptions::new(5));
    let b = run(&ClusterSimOptions::new(5));
    assert_eq!(a.hash, b.hash);
}
