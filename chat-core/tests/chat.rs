//! Logged-in users: the room, private messages, busy/free, listings, and
//! leaving.

mod harness;

use chat_core::{ChatEvent, CloseCause, CloseReason, Config, Input, Limits, StoreSnapshot};
use harness::{has, Harness};

fn two() -> Harness {
    let mut h = Harness::new();
    h.register("a", "alice");
    h.register("b", "bob");
    h.take("a");
    h.take("b");
    h
}

#[test]
fn room_messages_reach_everyone_including_the_sender() {
    let mut h = two();
    h.send("a", "hello there");
    let ts = h.now.0;
    assert_eq!(h.take("a"), vec![format!("MSG {ts} alice hello there")]);
    assert_eq!(h.take("b"), vec![format!("MSG {ts} alice hello there")]);
    h.send("b", "//me waves");
    assert_eq!(h.last("a"), format!("MSG {ts} bob /me waves"));
}

#[test]
fn a_steady_room_hands_out_the_same_recipient_list() {
    // The runtime joins consecutive broadcasts with the same list into one
    // frame; that is only right if the list changes whenever its members do.
    let mut h = two();
    let first = h.broadcast_list("a", "one");
    let second = h.broadcast_list("b", "two");
    assert!(first.same_list(&second));
    assert_eq!(first.len(), 2);
    h.send("b", "/busy");
    let busy = h.broadcast_list("a", "three");
    assert!(!busy.same_list(&first));
    assert_eq!(busy.iter().collect::<Vec<_>>(), [h.conn("a")]);
    h.send("b", "/free");
    h.connect("c");
    let back = h.broadcast_list("a", "four");
    assert!(!back.same_list(&busy));
    assert_eq!(back.len(), 2, "a connection not logged in is not a member");
}

#[test]
fn join_is_sent_to_all_including_the_newcomer() {
    let mut h = two();
    h.register("c", "carol");
    assert!(h.last("a").ends_with(" carol"));
    assert!(h.last("b").starts_with("JOIN "));
}

#[test]
fn a_broadcast_is_one_shared_frame() {
    let mut h = two();
    h.register("c", "carol");
    h.send("a", "shared");
    let ptrs: Vec<*const u8> = ["a", "b", "c"]
        .iter()
        .map(|l| h.client(l).frames.last().unwrap().as_bytes().as_ptr())
        .collect();
    assert!(
        ptrs.windows(2).all(|w| w[0] == w[1]),
        "frames were copied per recipient"
    );
}

#[test]
fn private_messages() {
    let mut h = two();
    h.send("a", "/msg BOB psst");
    assert_eq!(h.take("a"), vec!["OK sent bob"]);
    assert_eq!(h.take("b"), vec![format!("PM {} alice psst", h.now.0)]);
    h.send("a", "/messageto nobody hi");
    assert!(h.last("a").starts_with("ERR no-such-user"));
    h.send("b", "/busy");
    h.send("a", "/msg bob still?");
    assert_eq!(h.take("a"), vec!["OK sent bob", "INFO bob is busy"]);
    assert!(h.last("b").starts_with("PM "), "PMs are not held");
}

#[test]
fn busy_holds_room_lines_and_free_replays_them() {
    let mut h = two();
    h.send("b", "/busy");
    assert_eq!(h.take("b"), vec!["CTL busy"]);
    h.send("a", "one");
    h.send("a", "two");
    h.register("c", "carol");
    assert!(h.take("b").is_empty());
    h.send("b", "/free");
    let lines = h.take("b");
    assert_eq!(lines[0], "CTL free");
    assert!(lines[1].ends_with(" alice one"));
    assert!(lines[2].ends_with(" alice two"));
    assert!(lines[3].starts_with("JOIN ") && lines[3].ends_with(" carol"));
    assert_eq!(lines[4], "END held 3 0");
    h.send("b", "/free");
    assert_eq!(h.take("b"), vec!["ERR bad-argument you are not busy"]);
}

#[test]
fn held_lines_are_capped_oldest_dropped() {
    let mut h = two();
    h.send("b", "/busy");
    for i in 0..105 {
        h.send("a", &format!("m{i}"));
    }
    h.send("b", "/free");
    let lines = h.take("b");
    assert!(lines[2].ends_with(" m5"), "{}", lines[2]);
    assert_eq!(lines.last().unwrap(), "END held 100 5");
}

#[test]
fn viewusers_lists_everyone_online_sorted() {
    let mut h = two();
    h.send("b", "/busy");
    h.send("a", "/viewusers");
    assert_eq!(
        h.take("a"),
        vec!["USER alice 1 free", "USER bob 1 busy", "END users 2 2"]
    );
    h.send("a", "/users");
    assert_eq!(h.take("a").len(), 3);
}

#[test]
fn help_differs_for_admins() {
    let mut h = Harness::with_admins(&["root"]);
    h.register("r", "root");
    h.register("u", "user");
    h.send("u", "/help");
    let user = h.take("u");
    h.send("r", "/help");
    let admin = h.take("r");
    assert!(user
        .iter()
        .all(|l| l.starts_with("INFO ") || l == "END help"));
    assert!(!user.iter().any(|l| l.contains("/kickuser")));
    assert!(admin.iter().any(|l| l.contains("/kickuser")));
    assert!(admin.len() > user.len());
}

#[test]
fn ping_quit_and_leave_reasons() {
    let mut h = two();
    h.register("c", "carol");
    h.register("d", "dave");
    h.take("a");
    h.take("b");
    h.send("a", "/ping");
    assert_eq!(h.take("a"), vec!["PONG"]);
    h.send("b", "/disconnect");
    assert_eq!(h.take("b"), vec!["CTL disconnect"]);
    assert_eq!(h.closed("b"), Some(CloseReason::Quit));
    assert!(h.last("a").ends_with(" bob quit"));
    h.drop_conn("c", CloseCause::Lost);
    assert!(h.last("a").ends_with(" carol lost"));
    h.drop_conn("d", CloseCause::TooSlow);
    assert!(h.last("a").ends_with(" dave too-slow"));
    assert_eq!(h.engine.stats().online, 1);
}

#[test]
fn bad_lines_after_login() {
    let mut h = two();
    h.send("a", "/frob");
    assert!(h.last("a").starts_with("ERR unknown-command"));
    h.send("a", "/changegrant bob 7");
    assert!(h.last("a").starts_with("ERR bad-argument"));
    h.send("a", "bell \u{7} ring");
    assert!(h.last("a").starts_with("ERR bad-argument"));
    h.send("a", "   ");
    assert!(h.take("a").is_empty(), "blank lines are ignored");
    assert!(h.take("b").is_empty());
}

#[test]
fn events_for_observers_when_enabled() {
    let config = Config {
        emit_events: true,
        ..harness::unlimited()
    };
    let mut h = Harness::with(config, StoreSnapshot::default());
    h.register("a", "alice");
    h.register("b", "bob");
    h.send("a", "hi");
    h.send("a", "/msg bob psst");
    h.input(Input::Announce {
        text: "line one\nline two",
    });
    assert_eq!(
        h.take("b")[2..],
        ["INFO line one".to_string(), "INFO line two".to_string()]
    );
    h.send("b", "/quit");
    let kinds: Vec<&str> = h
        .events
        .iter()
        .map(|e| match e {
            ChatEvent::Joined { .. } => "joined",
            ChatEvent::Left { .. } => "left",
            ChatEvent::Message { .. } => "message",
            ChatEvent::Private { .. } => "private",
            ChatEvent::Announcement { .. } => "announcement",
            _ => "other",
        })
        .collect();
    assert_eq!(
        kinds,
        [
            "joined",
            "joined",
            "message",
            "private",
            "announcement",
            "left"
        ]
    );
}

#[test]
fn no_events_unless_enabled() {
    let mut h = two();
    h.send("a", "hi");
    assert!(h.events.is_empty());
}

#[test]
fn queued_lines_are_bounded() {
    let limits = Limits {
        max_queued_lines_before_login: 3,
        ..Limits::default()
    };
    let config = Config {
        limits,
        ..Config::default()
    };
    let mut h = Harness::with(config, StoreSnapshot::default());
    h.hold_password = true;
    h.connect("a");
    h.take("a");
    h.send_bytes("a", b"/register alice password-1\n1\n2\n3\n4\n5\n");
    let lines = h.take("a");
    assert_eq!(lines.len(), 2);
    assert!(has(&lines, "ERR rate-limited"));
    h.release_jobs();
    let lines = h.take("a");
    assert_eq!(lines.iter().filter(|l| l.starts_with("MSG ")).count(), 3);
}

#[test]
fn flood_control_drops_messages_past_the_burst_with_an_error() {
    let mut h = Harness::with(Config::default(), StoreSnapshot::default());
    h.register("a", "alice");
    h.register("b", "bob");
    h.take("b");
    for i in 0..20 {
        h.send("a", &format!("m{i}"));
    }
    h.take("a");
    h.send("a", "one too many");
    let last = h.last("a");
    assert!(last.starts_with("ERR rate-limited slow down"), "{last}");
    h.send("a", "/msg bob also too many");
    assert!(h.last("a").starts_with("ERR rate-limited"));
    assert_eq!(h.take("b").len(), 20, "bob got exactly the burst");
    // 10 a second: after 100 ms there is room for one more.
    h.advance(std::time::Duration::from_millis(100));
    h.send("a", "after a pause");
    assert!(h.last("b").ends_with(" alice after a pause"));
    // Commands other than messages are never throttled.
    h.send("a", "/ping");
    assert_eq!(h.last("a"), "PONG");
}

#[test]
fn busy_part_and_quit_take_a_message() {
    let mut h = two();
    h.send("b", "/busy at lunch, back at two");
    assert_eq!(h.take("b"), vec!["CTL busy"]);
    h.send("a", "/msg bob still?");
    assert_eq!(
        h.take("a"),
        vec!["OK sent bob", "INFO bob is busy: at lunch, back at two"]
    );
    h.send("b", "/free");
    h.take("b");
    h.send("a", "/create den");
    h.send("b", "/join den");
    h.take("a");
    h.take("b");
    // chat/1's lines have no field for the message: as they always were.
    h.send("b", "/part den see you");
    assert_eq!(h.take("b"), vec!["OK parted den"]);
    assert_eq!(
        h.take("a"),
        vec![format!("RLEAVE den {} bob part", h.now.0)]
    );
    h.send("b", "/quit gone fishing");
    assert_eq!(h.take("b"), vec!["CTL disconnect"]);
    assert_eq!(h.take("a"), vec![format!("LEAVE {} bob quit", h.now.0)]);
}
