//! Long answers are produced as the connection drains: the engine sends a
//! connection at most its window (`output_window_bytes`) before it hears
//! the connection drained, whatever it asked for, and the connection's
//! next lines wait meanwhile (refused past the queue, closed past the
//! refusals).

mod harness;

use chat_core::{CloseReason, Config};
use harness::{has, unlimited, Harness, PW};

const WINDOW: usize = 16 * 1024;

/// alice (admin) made `rooms` rooms `r0`, `r1`... each with `lines` lines
/// of about 3,000 bytes in its history; bob is registered.
fn rooms_with_history(rooms: usize, lines: usize, window: usize) -> Harness {
    let mut config = Config {
        admins: vec!["alice".into()],
        ..unlimited()
    };
    config.limits.output_window_bytes = window;
    config.limits.history_on_join = 50;
    config.limits.max_rooms_per_user = 100;
    let snapshot = harness::admin_snapshot(&["alice"]);
    let mut h = Harness::with(config, snapshot);
    h.register("a", "alice");
    h.register("b", "bob");
    h.send("b", "/quit");
    let text = "x".repeat(3_000);
    for r in 0..rooms {
        h.send("a", &format!("/create r{r}"));
        for i in 0..lines {
            h.send("a", &format!("/say r{r} {i:03}{text}"));
        }
    }
    h.take("a");
    h
}

fn bytes(lines: &[String]) -> usize {
    lines.iter().map(|l| l.len() + 1).sum()
}

/// The attack of the issue, at twice its size: one IRC line joins twenty
/// rooms whose history holds 4,000-byte lines. A client that reads nothing
/// is sent one window, not the megabyte it asked for; as it drains it gets
/// the rest, in order, and all of it.
#[test]
fn one_irc_join_of_many_rooms_is_sent_a_window_at_a_time() {
    let mut h = rooms_with_history(20, 20, WINDOW);
    h.connect_irc("irc");
    let irc = h.conn("irc");
    h.stalled.push(irc);
    h.send("irc", &format!("PASS bob:{PW}"));
    h.send("irc", "NICK bob");
    h.send("irc", "USER bob 0 * :Bob");
    h.take("irc");
    h.drained("irc");
    h.take("irc");
    let chans: Vec<String> = (0..20).map(|r| format!("#r{r}")).collect();
    h.send("irc", &format!("JOIN {}", chans.join(",")));
    let first = h.take("irc");
    let sent = bytes(&first);
    assert!(
        sent <= WINDOW + 4_200,
        "{sent} bytes sent before the client drained"
    );
    assert!(h.engine.conn_stats(irc).unwrap().owed_answers > 0);
    // Draining, it gets every line of every room's history, in order.
    let mut all = first;
    for _ in 0..1_000 {
        h.drained("irc");
        let part = h.take("irc");
        if part.is_empty() {
            break;
        }
        assert!(
            bytes(&part) <= WINDOW + 4_200,
            "a part of {} bytes",
            bytes(&part)
        );
        all.extend(part);
    }
    for r in 0..20 {
        let said: Vec<&String> = all
            .iter()
            .filter(|l| l.contains(&format!("PRIVMSG #r{r} :")))
            .collect();
        assert_eq!(said.len(), 20, "#r{r}");
        assert!(said.windows(2).all(|w| w[0] < w[1]), "#r{r} in order");
        assert!(has(&all, &format!(":chat 366 bob #r{r} ")), "#r{r} names");
    }
    assert_eq!(h.engine.conn_stats(irc).unwrap().owed_answers, 0);
}

/// Over chat/1, pipelined `/join`s and `/history`s of a client that does
/// not read: each waits its turn (the queue is bounded), nothing is
/// rendered past the window, and a client that keeps sending past its
/// full queue is closed instead of answered line by line.
#[test]
fn a_chat1_client_that_does_not_read_gets_a_window_then_refusals_then_closed() {
    let mut h = rooms_with_history(20, 20, WINDOW);
    h.connect("b");
    let b = h.conn("b");
    h.stalled.push(b);
    h.send("b", &format!("/login bob {PW}"));
    h.drained("b");
    h.take("b");
    let mut burst = String::new();
    for r in 0..20 {
        burst.push_str(&format!("/join r{r}\n/history r{r}\n"));
    }
    h.send_bytes("b", burst.as_bytes());
    let sent = h.take("b");
    assert!(bytes(&sent) <= WINDOW + 4_200, "{} bytes", bytes(&sent));
    let stats = h.engine.conn_stats(b).unwrap();
    assert!(stats.queued_lines <= 32, "{stats:?}");
    // Past the queue: refusals, then the connection is closed.
    for _ in 0..200 {
        h.send("b", "/rooms");
        if h.closed("b").is_some() {
            break;
        }
    }
    assert_eq!(h.closed("b"), Some(CloseReason::RateLimited));
    let refusals = h.take("b");
    assert!(
        refusals.iter().all(|l| l.starts_with("ERR ")),
        "{refusals:?}"
    );
    assert!(refusals.len() <= 102, "{} refusals", refusals.len());
}

/// Produced in parts or at once, an answer is the same, line for line.
#[test]
fn an_answer_in_parts_is_the_answer_at_once() {
    let script = [
        "/join r0",
        "/history r0 7",
        "/rooms",
        "/viewusers",
        "/join r1",
        "/history r1 3",
    ];
    let answer = |window: usize| {
        let mut h = rooms_with_history(3, 12, window);
        h.register("c", "carol");
        h.take("c");
        for line in script {
            h.send("c", line);
        }
        h.take("c")
    };
    let whole = answer(0);
    assert!(has(&whole, "END history 12"), "{whole:?}");
    assert!(has(&whole, "END rooms 4 4"), "{whole:?}");
    for window in [1, 500, 4_000, WINDOW] {
        assert_eq!(answer(window), whole, "window {window}");
    }
}

/// The same over IRC, whose listings span parts: `NAMES` lines, `LIST`
/// and `WHO` come out as they would at once, each row with its standing
/// in the room and the room as it spells itself.
#[test]
fn an_irc_answer_in_parts_is_the_answer_at_once() {
    let script = [
        "JOIN #r0,#r1",
        "NAMES #R0",
        "LIST",
        "WHO #lobby",
        "WHO #R0",
        "NAMES",
    ];
    let answer = |window: usize| {
        let mut h = rooms_with_history(2, 5, window);
        // Enough users that the names take several 353 lines.
        for i in 0..60 {
            h.register(&format!("u{i}"), &format!("user-with-a-long-name-{i}"));
            h.send(&format!("u{i}"), "/join r0");
        }
        h.connect_irc("irc");
        h.send("irc", &format!("PASS bob:{PW}"));
        h.send("irc", "NICK bob");
        h.send("irc", "USER bob 0 * :Bob");
        h.take("irc");
        for line in script {
            h.send("irc", line);
        }
        h.take("irc")
    };
    let whole = answer(0);
    assert!(
        whole
            .iter()
            .filter(|l| l.contains(" 353 bob = #r0 "))
            .count()
            >= 8,
        "{whole:?}"
    );
    // alice made #r0: its operator, shown so in every listing of it.
    assert!(
        whole
            .iter()
            .any(|l| l.starts_with(":chat 353 bob = #r0 :@alice ")),
        "{whole:?}"
    );
    assert!(
        has(
            &whole,
            ":chat 352 bob #r0 alice chat chat alice H*@ :0 alice"
        ),
        "{whole:?}"
    );
    for window in [1, 300, 2_000] {
        assert_eq!(answer(window), whole, "window {window}");
    }
}
