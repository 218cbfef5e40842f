//! Rooms besides the lobby and history, as engine transcripts: creating,
//! joining, talking, listing, topics, operators, limits, busy across rooms,
//! history replay and paging, and a restart from the store's snapshot.

mod harness;

use std::time::Duration;

use chat_core::{ChatEvent, Config, Conversation, RoomName, StoreChange, StoreSnapshot};
use harness::{has, unlimited, Harness, Persist};

/// alice (admin by configuration), bob and carol, all in the lobby, with
/// nothing left to read.
fn three() -> Harness {
    three_with(Config {
        admins: vec!["alice".into()],
        ..unlimited()
    })
}

fn three_with(config: Config) -> Harness {
    let snapshot =
        harness::admin_snapshot(&config.admins.iter().map(String::as_str).collect::<Vec<_>>());
    let mut h = Harness::with(config, snapshot);
    h.register("a", "alice");
    h.register("b", "bob");
    h.register("c", "carol");
    for l in ["a", "b", "c"] {
        h.take(l);
    }
    h
}

/// The snapshot a store would hold after the changes the engine made
/// durable so far.
fn snapshot_of(h: &Harness) -> StoreSnapshot {
    let mut snap = harness::admin_snapshot(&["alice"]);
    for change in &h.persisted {
        // The admin's own account is in the snapshot already.
        let _ = snap.apply(change);
    }
    snap
}

#[test]
fn create_join_talk_part() {
    let mut h = three();
    h.send("b", "/create Rust");
    let ts = h.now.0;
    assert_eq!(
        h.take("b"),
        vec![
            "OK created Rust".to_owned(),
            "OK joined Rust".to_owned(),
            "END history 0".to_owned(),
            format!("RJOIN Rust {ts} bob"),
        ]
    );
    assert!(h.take("a").is_empty(), "the lobby does not see other rooms");
    h.send("c", "/join rust");
    assert_eq!(
        h.take("c"),
        vec![
            "OK joined Rust".to_owned(),
            "END history 0".to_owned(),
            format!("RJOIN Rust {ts} carol"),
        ]
    );
    assert_eq!(h.take("b"), vec![format!("RJOIN Rust {ts} carol")]);
    h.send("c", "/say rust hi  there");
    let line = format!("RMSG Rust {ts} carol hi  there");
    assert_eq!(h.take("b"), vec![line.clone()]);
    assert_eq!(h.take("c"), vec![line]);
    assert!(h.take("a").is_empty());
    // Lobby lines are as before, to everyone.
    h.send("c", "plain");
    assert_eq!(h.take("a"), vec![format!("MSG {ts} carol plain")]);
    h.take("b");
    h.take("c");
    h.send("c", "/part Rust");
    assert_eq!(h.take("c"), vec!["OK parted Rust".to_owned()]);
    assert_eq!(h.take("b"), vec![format!("RLEAVE Rust {ts} carol part")]);
    h.send("c", "/say rust back?");
    assert_eq!(h.last("c"), "ERR not-in-room you are not in rust");
    assert!(h.take("b").is_empty());
}

#[test]
fn names_lists_who_is_in_a_room() {
    let mut h = three();
    h.send("b", "/create Rust");
    h.send("c", "/join rust");
    h.take("b");
    h.take("c");
    // Anyone may ask, in the room or not; the rows are sorted by name.
    h.send("a", "/names rust");
    assert_eq!(
        h.take("a"),
        vec![
            "USER bob 1 free".to_owned(),
            "USER carol 1 free".to_owned(),
            "END users 2 2".to_owned(),
        ]
    );
    h.send("a", "/names nosuch");
    let refused = h.take("a");
    assert!(
        refused.len() == 1 && refused[0].starts_with("ERR no-such-room "),
        "{refused:?}"
    );
}

#[test]
fn refusals_are_typed() {
    let mut h = three();
    for (line, code) in [
        ("/create #x", "ERR bad-name "),
        ("/create lobby", "ERR name-taken "),
        ("/join nowhere", "ERR no-such-room "),
        ("/join lobby", "ERR bad-argument "),
        ("/part lobby", "ERR not-permitted "),
        ("/closeroom lobby", "ERR not-permitted "),
        ("/topic lobby hi", "ERR not-permitted "),
        ("/history nowhere", "ERR no-such-room "),
    ] {
        h.send("b", line);
        let last = h.last("b");
        assert!(last.starts_with(code), "{line}: {last}");
    }
    h.send("b", "/create x");
    h.take("b");
    h.send("b", "/create X");
    assert_eq!(h.last("b"), "ERR name-taken the room X exists");
    h.send("b", "/join x");
    assert_eq!(h.last("b"), "ERR bad-argument you are in x already");
    h.send("c", "/topic x mine now");
    assert_eq!(
        h.last("c"),
        "ERR not-permitted only the operator of x or an admin may do that"
    );
    h.send("c", "/remove x bob");
    assert!(h.last("c").starts_with("ERR not-permitted "));
    h.send("b", "/remove x carol");
    assert_eq!(h.last("b"), "ERR not-in-room carol is not in x");
    h.send("c", "/history x");
    assert_eq!(h.last("c"), "ERR not-in-room you are not in x");
}

#[test]
fn limits_on_rooms() {
    let mut config = Config {
        admins: vec!["alice".into()],
        ..unlimited()
    };
    config.limits.max_rooms = 2;
    config.limits.max_rooms_per_user = 1;
    config.limits.max_room_members = 2;
    let mut h = three_with(config);
    h.send("b", "/create one");
    h.send("b", "/create two");
    assert_eq!(
        h.last("b"),
        "ERR limit-reached you are in 1 rooms, the most you may"
    );
    h.send("c", "/create two");
    h.send("a", "/create three");
    assert_eq!(
        h.last("a"),
        "ERR limit-reached the server has 2 rooms, the most it may"
    );
    h.send("a", "/join one");
    assert!(h.take("a").contains(&"OK joined one".to_owned()));
    h.send("c", "/part two");
    h.take("c");
    h.send("c", "/join one");
    assert_eq!(
        h.last("c"),
        "ERR limit-reached the room has 2 members, the most it may"
    );
    assert_eq!(h.engine.stats().rooms, 2);
}

#[test]
fn creation_waits_for_the_store_and_names_stay_taken_meanwhile() {
    let mut h = three();
    h.persist = Persist::Hold;
    h.send("b", "/create slow");
    assert!(h.take("b").is_empty(), "nothing before the store answers");
    h.send("c", "/create SLOW");
    assert_eq!(h.last("c"), "ERR name-taken the room SLOW exists");
    h.send("b", "/rooms");
    assert!(h.take("b").is_empty(), "later lines wait their turn");
    h.release_persists(true);
    let lines = h.take("b");
    assert_eq!(lines[0], "OK created slow");
    assert!(has(&lines, "ROOM slow 1 bob"), "{lines:?}");
    // A failed creation frees the name.
    h.send("c", "/create gone");
    h.release_persists(false);
    assert_eq!(h.last("c"), "ERR server-error could not save the change");
    h.persist = Persist::Ack;
    h.send("a", "/create gone");
    assert!(h.take("a").contains(&"OK created gone".to_owned()));
}

#[test]
fn listing_is_paged_and_sorted() {
    let mut config = Config {
        admins: vec!["alice".into()],
        ..unlimited()
    };
    config.limits.rooms_page_rows = 2;
    let mut h = three_with(config);
    h.send("b", "/create zeta");
    h.send("b", "/topic zeta all about z");
    h.send("c", "/create Alpha");
    h.take("b");
    h.take("c");
    h.send("a", "/rooms");
    assert_eq!(
        h.take("a"),
        vec!["ROOM Alpha 1 carol", "ROOM lobby 3 -", "END rooms 2 3 2"]
    );
    h.send("a", "/rooms 2");
    assert_eq!(
        h.take("a"),
        vec!["ROOM zeta 1 bob all about z", "END rooms 1 3"]
    );
}

#[test]
fn operators_and_admins_run_rooms() {
    let mut h = three();
    h.send("b", "/create den");
    h.send("c", "/join den");
    h.send("a", "/join den");
    for l in ["a", "b", "c"] {
        h.take(l);
    }
    let ts = h.now.0;
    h.send("b", "/topic den welcome");
    assert_eq!(
        h.take("b"),
        vec![
            "OK topic den".to_owned(),
            format!("TOPIC den {ts} bob welcome")
        ]
    );
    assert_eq!(h.take("c"), vec![format!("TOPIC den {ts} bob welcome")]);
    h.take("a");
    h.send("b", "/remove den carol spamming");
    assert_eq!(h.take("c"), vec!["CTL removed den bob spamming".to_owned()]);
    assert_eq!(
        h.take("b"),
        vec![
            format!("RLEAVE den {ts} carol removed"),
            "OK removed den carol".to_owned()
        ]
    );
    // Not kicked: carol may come back, and the topic greets her.
    h.send("c", "/join den");
    let lines = h.take("c");
    assert_eq!(lines[1], format!("TOPIC den {ts} bob welcome"));
    // The admin removes the operator from the operator's own room.
    h.take("a");
    h.take("b");
    h.send("a", "/remove den bob");
    assert_eq!(h.take("b"), vec!["CTL removed den alice".to_owned()]);
    h.take("a");
    h.send("a", "/cleartopic den");
    assert_eq!(
        h.take("a"),
        vec!["OK topic den".to_owned(), format!("TOPIC den {ts} alice")]
    );
    h.send("c", "/topic den");
    assert_eq!(h.last("c"), format!("TOPIC den {ts} bob"));
    h.send("b", "/closeroom den");
    assert_eq!(h.last("b"), "OK closed den");
    assert_eq!(h.last("c"), format!("RLEAVE den {ts} carol closed"));
    assert_eq!(h.last("a"), format!("RLEAVE den {ts} alice closed"));
    h.send("c", "/say den hello?");
    assert!(h.last("c").starts_with("ERR no-such-room "));
    assert_eq!(h.engine.stats().rooms, 0);
    assert!(h
        .persisted
        .iter()
        .any(|c| matches!(c, StoreChange::RemoveRoom { room } if room.as_str() == "den")));
}

#[test]
fn leaving_the_server_leaves_every_room() {
    let mut h = three();
    h.send("b", "/create one");
    h.send("b", "/create two");
    h.send("c", "/join one");
    h.send("c", "/join two");
    h.take("b");
    h.take("c");
    h.send("c", "/quit");
    let lines = h.take("b");
    let ts = h.now.0;
    assert!(
        lines.contains(&format!("RLEAVE one {ts} carol quit")),
        "{lines:?}"
    );
    assert!(lines.contains(&format!("RLEAVE two {ts} carol quit")));
    assert!(lines.contains(&format!("LEAVE {ts} carol quit")));
    h.send("b", "/rooms");
    assert!(has(&h.take("b"), "ROOM one 1 bob"));
}

#[test]
fn busy_holds_lines_of_every_room() {
    let mut h = three();
    h.send("b", "/create den");
    h.send("c", "/join den");
    h.send("c", "/busy");
    h.take("b");
    h.take("c");
    h.send("b", "/say den one");
    h.send("b", "lobby two");
    h.send("b", "/create later");
    h.take("b");
    h.send("c", "/join later");
    h.send("b", "/say later three");
    let joined = h.take("c");
    assert!(!has(&joined, "RMSG"), "held while busy: {joined:?}");
    h.send("c", "/free");
    let ts = h.now.0;
    let lines = h.take("c");
    assert_eq!(lines.first().map(String::as_str), Some("CTL free"));
    let rest: Vec<&String> = lines
        .iter()
        .filter(|l| l.starts_with("RMSG") || l.starts_with("MSG"))
        .collect();
    assert_eq!(
        rest,
        vec![
            &format!("RMSG den {ts} bob one"),
            &format!("MSG {ts} bob lobby two"),
            &format!("RMSG later {ts} bob three"),
        ]
    );
    assert_eq!(lines.last().map(String::as_str), Some("END held 4 0"));
}

#[test]
fn joining_replays_the_last_lines_with_their_time() {
    let mut config = Config {
        admins: vec!["alice".into()],
        ..unlimited()
    };
    config.limits.history_on_join = 2;
    let mut h = three_with(config);
    h.send("b", "/create den");
    let mut times = Vec::new();
    for i in 0..3 {
        h.advance(Duration::from_millis(10));
        times.push(h.now.0);
        h.send("b", &format!("/say den line {i}"));
    }
    h.advance(Duration::from_secs(1));
    h.send("c", "/join den");
    assert_eq!(
        h.take("c"),
        vec![
            "OK joined den".to_owned(),
            format!("HIST den {} bob line 1", times[1]),
            format!("HIST den {} bob line 2", times[2]),
            format!("END history 2 {}", times[1]),
            format!("RJOIN den {} carol", h.now.0),
        ]
    );
    // Older lines, by time, then the last N.
    h.send("c", &format!("/history den before {}", times[1]));
    assert_eq!(
        h.take("c"),
        vec![
            format!("HIST den {} bob line 0", times[0]),
            "END history 1".to_owned(),
        ]
    );
    h.send("c", "/history den 1");
    assert_eq!(
        h.take("c"),
        vec![
            format!("HIST den {} bob line 2", times[2]),
            format!("END history 1 {}", times[2]),
        ]
    );
    // The lobby keeps its lines too, shown on demand only.
    h.send("b", "in the lobby");
    h.send("a", "/history lobby");
    let ts = h.now.0;
    assert_eq!(
        h.take("a")[1..],
        [
            format!("HIST lobby {ts} bob in the lobby"),
            "END history 1".to_owned()
        ]
    );
}

#[test]
fn history_is_bounded_by_count_bytes_and_age() {
    let mut config = Config {
        admins: vec!["alice".into()],
        ..unlimited()
    };
    config.retention.room_lines = 5;
    config.retention.max_age_ms = 60_000;
    config.limits.history_bytes_per_room = 100;
    let mut h = three_with(config);
    h.send("b", "/create den");
    for i in 0..20 {
        h.send("b", &format!("/say den {i}"));
    }
    h.send("b", "/history den");
    let lines = h.take("b");
    let hist: Vec<&String> = lines.iter().filter(|l| l.starts_with("HIST")).collect();
    assert_eq!(hist.len(), 5);
    assert!(hist[4].ends_with(" bob 19"));
    let long = "x".repeat(40);
    for _ in 0..3 {
        h.send("b", &format!("/say den {long}"));
    }
    h.send("b", "/history den");
    let n = h.take("b").iter().filter(|l| l.starts_with("HIST")).count();
    assert_eq!(n, 2, "100 bytes hold two lines of 43");
    assert!(h.engine.stats().history_bytes <= 100 + 100);
    h.advance(Duration::from_secs(61));
    h.send("b", "/history den");
    assert_eq!(h.take("b"), vec!["END history 0"]);
}

#[test]
fn private_history_is_shown_only_to_the_pair() {
    let mut h = three();
    h.send("b", "/msg carol psst");
    h.send("c", "/msg bob what");
    let ts = h.now.0;
    h.take("b");
    h.take("c");
    // The other is named as they spell their name, however typed.
    h.send("b", "/history @Carol");
    assert_eq!(
        h.take("b"),
        vec![
            format!("HIST @carol {ts} bob psst"),
            format!("HIST @carol {ts} carol what"),
            "END history 2".to_owned(),
        ]
    );
    h.send("a", "/history @carol");
    assert_eq!(h.take("a"), vec!["END history 0"]);
    h.send("a", "/history @9x");
    assert!(h.last("a").starts_with("ERR bad-name "));
}

#[test]
fn every_line_asks_the_store_and_nobody_waits() {
    let mut h = three();
    h.send("b", "/create den");
    h.take("b");
    h.persist = Persist::Hold;
    h.send("b", "/say den one");
    h.send("b", "/say den two");
    h.send("b", "/msg carol three");
    // Lines went out although the store has not answered.
    assert_eq!(h.take("b").len(), 3);
    let appended: Vec<&StoreChange> = h
        .held_persists
        .iter()
        .map(|r| &r.change)
        .filter(|c| matches!(c, StoreChange::AppendLine { .. }))
        .collect();
    assert_eq!(appended.len(), 3);
    let den = Conversation::Room(RoomName::parse("den").unwrap().key());
    assert!(
        matches!(appended[0], StoreChange::AppendLine { conversation, .. } if *conversation == den)
    );
    // A failed append changes nothing for anyone.
    h.release_persists(false);
    assert!(h.take("b").is_empty());
}

#[test]
fn rooms_topics_and_history_survive_a_restart() {
    let mut h = three();
    h.send("b", "/create den");
    h.send("b", "/topic den kept");
    h.send("b", "/say den before the restart");
    h.send("b", "/msg carol private too");
    h.send("b", "lobby line");
    let ts = h.now.0;
    let snapshot = snapshot_of(&h);
    let config = Config {
        admins: vec!["alice".into()],
        ..unlimited()
    };
    let mut h = Harness::with(config, snapshot);
    h.login("b", "bob", harness::PW);
    h.login("c", "carol", harness::PW);
    h.take("b");
    h.send("c", "/rooms");
    assert_eq!(
        h.take("c"),
        vec!["ROOM den 0 bob kept", "ROOM lobby 2 -", "END rooms 2 2"]
    );
    h.send("c", "/join den");
    let lines = h.take("c");
    assert_eq!(lines[1], format!("TOPIC den {ts} bob kept"));
    assert_eq!(lines[2], format!("HIST den {ts} bob before the restart"));
    h.send("c", "/history @bob");
    assert_eq!(h.take("c")[0], format!("HIST @bob {ts} bob private too"));
    h.send("c", "/history lobby");
    assert_eq!(h.take("c")[0], format!("HIST lobby {ts} bob lobby line"));
}

/// Hoarding: a user may have only so many rooms they created, create them
/// only so fast, and admins are held by the server's room count alone.
#[test]
fn rooms_created_are_limited_per_creator_and_in_rate() {
    let mut config = Config {
        admins: vec!["alice".into()],
        ..unlimited()
    };
    config.limits.max_rooms_per_creator = 2;
    config.limits.room_creations_per_user = 3;
    config.limits.room_creation_window_ms = 60_000;
    let mut h = three_with(config);
    h.send("b", "/create one");
    h.send("b", "/create two");
    h.send("b", "/part one");
    h.send("b", "/part two");
    h.take("b");
    // Leaving them does not free their places: closing them does.
    h.send("b", "/create three");
    assert_eq!(
        h.last("b"),
        "ERR limit-reached you created 2 rooms, the most you may have; close one first"
    );
    h.send("b", "/closeroom one");
    h.take("b");
    h.send("b", "/create three");
    assert!(h.take("b").contains(&"OK created three".to_owned()));
    h.send("b", "/closeroom three");
    h.take("b");
    // Three creations in the window: the fourth waits for the next one.
    h.send("b", "/create four");
    let last = h.last("b");
    assert!(
        last.starts_with("ERR rate-limited too many rooms created; retry in "),
        "{last}"
    );
    // Others are not held up by bob's rate, nor are admins by any of it.
    h.send("c", "/create mine");
    assert!(h.take("c").contains(&"OK created mine".to_owned()));
    for room in ["a1", "a2", "a3", "a4"] {
        h.send("a", &format!("/create {room}"));
        assert!(
            h.take("a").contains(&format!("OK created {room}")),
            "{room}"
        );
    }
    h.advance(Duration::from_secs(60));
    h.send("b", "/create four");
    assert!(h.take("b").contains(&"OK created four".to_owned()));
    // A failed creation gives its place back (not its place in the rate).
    h.send("b", "/closeroom two");
    h.take("b");
    h.persist = Persist::Fail;
    h.send("b", "/create five");
    assert_eq!(h.last("b"), "ERR server-error could not save the change");
    h.persist = Persist::Ack;
    h.send("b", "/create six");
    assert!(h.take("b").contains(&"OK created six".to_owned()));
}

/// A room nobody has been in for the configured time is closed by the
/// server, also across a restart (its time then counts from its last use),
/// and a room with someone in it never is.
#[test]
fn rooms_nobody_is_in_are_closed_after_a_while() {
    let mut config = Config {
        admins: vec!["alice".into()],
        ..unlimited()
    };
    let day = Duration::from_secs(86_400);
    config.limits.empty_room_ttl_ms = 30 * 86_400_000;
    let mut h = three_with(config.clone());
    h.send("b", "/create quiet");
    h.send("b", "/create busy");
    h.send("b", "/say quiet last words");
    h.send("b", "/part quiet");
    h.take("b");
    h.advance(day * 29);
    h.send("b", "/rooms");
    assert!(has(&h.take("b"), "ROOM quiet "), "not yet");
    h.advance(day * 2);
    h.send("b", "/rooms");
    let rooms = h.take("b");
    assert!(!has(&rooms, "ROOM quiet "), "{rooms:?}");
    assert!(has(&rooms, "ROOM busy 1 bob"), "{rooms:?}");
    assert!(h.persisted.iter().any(|c| matches!(
        c,
        StoreChange::RemoveRoom { room } if room.as_str() == "quiet"
    )));
    // Its creator may create another in its place.
    assert_eq!(h.engine.stats().rooms, 1);

    // After a restart nobody is in any room: each counts as empty since it
    // was last used as far as the store tells, "busy" since its last line,
    // "fresh" since its topic was set.
    h.send("b", "/say busy still here");
    h.send("b", "/create fresh");
    h.send("b", "/topic fresh new");
    let mut snapshot = snapshot_of(&h);
    snapshot.rooms.retain(|r| r.name.as_str() != "quiet");
    let mut h2 = Harness::with(config, snapshot);
    h2.now = h.now;
    h2.advance(day * 29);
    assert_eq!(h2.engine.stats().rooms, 2);
    h2.advance(day * 2);
    assert_eq!(
        h2.engine.stats().rooms,
        0,
        "both closed 30 days after their last use"
    );
}

/// An admin lists a hoarder's rooms and closes them together: each is
/// closed once durable, in order, and its members see it closed; the
/// admin's next line waits until the last.
#[test]
fn an_admin_lists_and_closes_a_users_rooms() {
    let mut h = three();
    for room in ["h1", "h2", "h3"] {
        h.send("b", &format!("/create {room}"));
    }
    h.send("c", "/create mine");
    h.send("c", "/join h2");
    h.take("b");
    h.take("c");
    h.send("b", "/roomsof bob");
    assert_eq!(h.last("b"), "ERR not-permitted that command is for admins");
    h.send("a", "/roomsof bob");
    assert_eq!(
        h.take("a"),
        vec![
            "ROOM h1 1 bob",
            "ROOM h2 2 bob",
            "ROOM h3 1 bob",
            "END rooms 3 3"
        ]
    );
    h.persist = Persist::Hold;
    h.send("a", "/closeroomsof bob");
    h.send("a", "/ping after");
    // One removal at a time, each answered once durable, in order.
    let mut lines = Vec::new();
    for room in ["h1", "h2", "h3"] {
        assert!(h.take("a").is_empty(), "nothing before {room} is durable");
        h.release_persists(true);
        lines = h.take("a");
        assert_eq!(lines[0], format!("OK closed {room}"), "{lines:?}");
    }
    // The admin's next line came after the last.
    assert_eq!(lines, ["OK closed h3", "PONG after"]);
    h.persist = Persist::Ack;
    let ts = h.now.0;
    assert!(h
        .take("c")
        .contains(&format!("RLEAVE h2 {ts} carol closed")));
    h.send("a", "/rooms");
    let rooms = h.take("a");
    assert!(!has(&rooms, "ROOM h"), "{rooms:?}");
    assert!(has(&rooms, "ROOM mine 1 carol"));
    h.send("a", "/closeroomsof bob");
    assert_eq!(
        h.last("a"),
        "ERR no-such-room bob created no room that still exists"
    );
    // Bob may create again: closing freed his places.
    h.send("b", "/create again");
    assert!(h.take("b").contains(&"OK created again".to_owned()));
}

/// Observers get an event for every room line, in every room: the lobby
/// and the others go the same way.
#[test]
fn every_room_line_is_an_event_for_observers() {
    let mut h = three_with(Config {
        admins: vec!["alice".into()],
        emit_events: true,
        ..unlimited()
    });
    h.events.clear();
    h.send("b", "/create den");
    h.send("c", "/join den");
    h.send("c", "/say den in the den");
    h.send("b", "in the lobby");
    h.send("c", "/part den");
    h.send("b", "/quit");
    let seen: Vec<String> = h
        .events
        .iter()
        .map(|e| match e {
            ChatEvent::Joined { room, user, .. } => format!("{user} joined {room}"),
            ChatEvent::Left {
                room, user, reason, ..
            } => format!("{user} left {room} ({reason:?})"),
            ChatEvent::Message {
                room, from, text, ..
            } => format!("{from} in {room}: {text}"),
            other => format!("{other:?}"),
        })
        .collect();
    assert_eq!(
        seen,
        [
            "bob joined den",
            "carol joined den",
            "carol in den: in the den",
            "bob in lobby: in the lobby",
            "carol left den (Parted)",
            "bob left den (Quit)",
            "bob left lobby (Quit)",
        ]
    );
    let ids: Vec<u64> = h
        .events
        .iter()
        .filter_map(|e| match e {
            ChatEvent::Message { id, .. } => Some(id.0),
            _ => None,
        })
        .collect();
    assert!(ids[0] < ids[1], "one sequence of ids: {ids:?}");
}

/// `/mode`: a room's operator sets its modes, once durable the room sees
/// `MODE`, and they are stored with the room: after a restart the room
/// is still secret (out of `/rooms` for those not in it), moderated and
/// keyed.
#[test]
fn room_modes_are_set_by_its_operator_and_survive_a_restart() {
    let mut h = three();
    h.send("b", "/create den");
    h.send("c", "/join den");
    h.take("b");
    h.take("c");
    h.send("b", "/mode den");
    assert_eq!(h.take("b"), vec!["MODES den +nt"]);
    h.send("c", "/mode den +s");
    assert_eq!(
        h.take("c"),
        vec!["ERR not-permitted only the operator of den or an admin may do that"]
    );
    h.send("b", "/mode den +smk-t sesame");
    let ts = h.now.0;
    let line = format!("MODE den {ts} bob +smk-t sesame");
    assert_eq!(h.take("b"), vec![line.clone()]);
    assert_eq!(h.take("c"), vec![line]);
    assert!(
        h.persisted
            .iter()
            .any(|c| matches!(c, StoreChange::SetModes { modes, .. } if modes.secret)),
        "stored"
    );
    h.send("b", "/mode den +q");
    assert!(h.last("b").starts_with("ERR bad-argument "));
    // Moderated: carol is no operator and not voiced.
    h.send("c", "/say den hi");
    assert_eq!(
        h.take("c"),
        vec!["ERR not-permitted den is moderated: only its operators and voiced members speak"]
    );
    let snapshot = snapshot_of(&h);
    let config = Config {
        admins: vec!["alice".into()],
        ..unlimited()
    };
    let mut h = Harness::with(config, snapshot);
    h.login("b", "bob", harness::PW);
    h.login("c", "carol", harness::PW);
    h.take("b");
    h.take("c");
    h.send("c", "/rooms");
    assert_eq!(h.take("c"), vec!["ROOM lobby 2 -", "END rooms 1 1"]);
    h.send("c", "/join den");
    assert_eq!(
        h.take("c"),
        vec!["ERR not-permitted den takes a key: /join den <key>"]
    );
    h.send("c", "/join den sesame");
    assert!(h.take("c").contains(&"OK joined den".to_owned()));
    h.send("c", "/mode den");
    assert_eq!(h.take("c"), vec!["MODES den +nsmk sesame"]);
    // Invite-only: an invitation lets alice in once, without the key.
    h.send("b", "/mode den +i");
    h.take("b");
    h.take("c");
    h.login("a", "alice", harness::PW);
    h.take("a");
    h.take("b");
    h.take("c");
    h.send("b", "/invite alice den");
    assert_eq!(h.take("b"), vec!["OK invited den alice"]);
    assert_eq!(h.take("a"), vec!["CTL invited den bob"]);
}
