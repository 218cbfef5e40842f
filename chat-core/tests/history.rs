//! Message ids and history paged by them, as engine transcripts: ids on
//! every room line and private message (with `/tags on`), increasing per
//! conversation, the same live and replayed; and paging that neither
//! loses nor repeats a line however many share a millisecond, across a
//! restart too.

mod harness;

use chat_core::{Config, StoreSnapshot};
use harness::{unlimited, Harness};

fn config() -> Config {
    Config {
        admins: vec!["alice".into()],
        ..unlimited()
    }
}

/// alice (admin), bob and carol, logged in with tags on; bob runs `den`,
/// carol is in it.
fn room() -> Harness {
    let config = config();
    let mut h = Harness::with(config, harness::admin_snapshot(&["alice"]));
    h.register("b", "bob");
    h.register("c", "carol");
    for l in ["b", "c"] {
        h.send(l, "/tags on");
    }
    h.send("b", "/create den");
    h.send("c", "/join den");
    h.take("b");
    h.take("c");
    h
}

/// The snapshot a store holds after what the engine made durable.
fn snapshot_of(h: &Harness) -> StoreSnapshot {
    let mut snap = harness::admin_snapshot(&["alice"]);
    for change in &h.persisted {
        let _ = snap.apply(change);
    }
    snap
}

/// A tagged line's id and the line without its tags.
fn id_of(line: &str) -> (u64, &str) {
    let (tag, rest) = line.split_once(' ').expect("a tagged line");
    let id = tag.strip_prefix("@id=").expect("an id tag");
    (id.parse().expect("a number"), rest)
}

/// The `HIST` lines of a page (ids and texts) and where `END history`
/// says to continue.
fn page(lines: &[String]) -> (Vec<(u64, String)>, Option<String>) {
    let (end, hist) = lines.split_last().expect("END history");
    let mut parts = end
        .strip_prefix("END history ")
        .expect("END history")
        .split(' ');
    let shown: usize = parts.next().unwrap().parse().unwrap();
    let next = parts.next().map(str::to_owned);
    let hist: Vec<(u64, String)> = hist
        .iter()
        .filter(|l| l.contains(" HIST "))
        .map(|l| {
            let (id, rest) = id_of(l);
            (id, rest.rsplit(' ').next().unwrap().to_owned())
        })
        .collect();
    assert_eq!(hist.len(), shown, "{lines:?}");
    (hist, next)
}

/// Pages `/history <of>` back from the newest line to the start, by the
/// point each `END history` gives, and returns every line in order.
fn page_back(h: &mut Harness, who: &str, of: &str, count: usize) -> Vec<(u64, String)> {
    h.send(who, &format!("/history {of} {count}"));
    let (mut all, mut next) = page(&h.take(who));
    while let Some(point) = next {
        assert!(point.starts_with("id="), "ids with tags on: {point}");
        h.send(who, &format!("/history {of} {count} before {point}"));
        let (older, n) = page(&h.take(who));
        assert!(!older.is_empty(), "a page that says more remain has lines");
        all.splice(0..0, older);
        next = n;
    }
    all
}

#[test]
fn room_lines_carry_ids_that_increase_and_history_shows_the_same_ids() {
    let mut h = room();
    h.send("b", "/say den one");
    h.send("c", "/say den two");
    let b = h.take("b");
    let c = h.take("c");
    assert_eq!(b, c, "everyone sees the same lines, ids included");
    let (one, line) = id_of(&b[0]);
    assert!(line.starts_with("RMSG den ") && line.ends_with(" bob one"));
    let (two, _) = id_of(&b[1]);
    assert!(two > one);
    h.send("c", "/history den");
    let lines = h.take("c");
    assert_eq!(
        page(&lines),
        (vec![(one, "one".into()), (two, "two".into())], None)
    );
    // The lobby's lines keep their form, with the tag before it.
    h.send("b", "lobby line");
    let lobby = h.take("c");
    let (_, line) = id_of(&lobby[0]);
    assert!(line.starts_with("MSG ") && line.ends_with(" bob lobby line"));
}

#[test]
fn without_tags_nothing_changes_on_the_wire() {
    let mut h = room();
    h.send("c", "/tags off");
    assert_eq!(h.take("c"), vec!["OK tags off"]);
    h.send("b", "/say den plain");
    h.send("b", "hello lobby");
    let ts = h.now.0;
    assert_eq!(
        h.take("c"),
        vec![
            format!("RMSG den {ts} bob plain"),
            format!("MSG {ts} bob hello lobby")
        ]
    );
    // bob still has tags on: the same line, rendered once for each.
    let b = h.take("b");
    assert!(b.iter().all(|l| l.starts_with("@id=")), "{b:?}");
    h.send("c", "/history den");
    let lines = h.take("c");
    assert_eq!(
        lines,
        vec![format!("HIST den {ts} bob plain"), "END history 1".into()]
    );
}

#[test]
fn tags_can_be_turned_on_before_logging_in() {
    let mut h = Harness::with(config(), harness::admin_snapshot(&["alice"]));
    h.register("b", "bob");
    h.connect("x");
    h.send("x", "/tags on");
    h.send("x", "/register carol a-long-password");
    let lines = h.take("x");
    assert!(lines.contains(&"OK tags on".to_owned()), "{lines:?}");
    h.take("b");
    h.send("b", "/msg carol psst");
    assert_eq!(h.take("b"), vec!["OK sent carol"], "bob has no tags");
    let got = h.take("x");
    let (_, pm) = id_of(&got[0]);
    assert!(pm.starts_with("PM ") && pm.ends_with(" bob psst"));
}

#[test]
fn private_messages_carry_the_pairs_ids() {
    let mut h = room();
    h.send("b", "/msg carol first");
    h.send("c", "/msg bob second");
    let to_carol = h.take("c");
    let to_bob = h.take("b");
    let (first, pm) = id_of(&to_carol[0]);
    assert!(pm.starts_with("PM ") && pm.ends_with(" bob first"));
    let (first_sent, ok) = id_of(&to_bob[0]);
    assert_eq!((first_sent, ok), (first, "OK sent carol"));
    let (second, _) = id_of(&to_bob[1]);
    assert!(second > first);
    h.send("b", "/history @carol");
    let (lines, next) = page(&h.take("b"));
    assert_eq!(
        lines,
        vec![(first, "first".into()), (second, "second".into())]
    );
    assert_eq!(next, None);
}

#[test]
fn a_burst_in_one_millisecond_pages_back_without_loss_or_repeat() {
    let mut h = room();
    for i in 1..=120 {
        h.send("b", &format!("/say den line{i}"));
    }
    h.take("b");
    h.take("c");
    // Joining shows the last 50 and where to go on.
    h.send("c", "/part den");
    h.send("c", "/join den");
    let lines = h.take("c");
    let end = lines.iter().find(|l| l.starts_with("END history")).unwrap();
    assert!(end.starts_with("END history 50 id="), "{end}");
    let all = page_back(&mut h, "c", "den", 50);
    let texts: Vec<String> = all.iter().map(|(_, t)| t.clone()).collect();
    let expected: Vec<String> = (1..=120).map(|i| format!("line{i}")).collect();
    assert_eq!(texts, expected);
    assert!(all.windows(2).all(|w| w[0].0 < w[1].0), "ids increase");
    // 100 before the oldest of the last 50: the 70 before it, not 0-29.
    let oldest_shown = all[70].0;
    h.send("c", &format!("/history den 100 before id={oldest_shown}"));
    let (older, next) = page(&h.take("c"));
    assert_eq!((older.len(), next), (70, None));
}

#[test]
fn every_range_form_by_id() {
    let mut h = room();
    for i in 1..=10 {
        h.send("b", &format!("/say den l{i}"));
    }
    h.take("c");
    h.send("b", "/history den 10");
    let (all, _) = page(&h.take("b"));
    let id = |i: usize| all[i - 1].0;
    let texts =
        |lines: Vec<(u64, String)>| -> Vec<String> { lines.into_iter().map(|(_, t)| t).collect() };
    let ask = |h: &mut Harness, q: String| {
        h.send("b", &q);
        page(&h.take("b"))
    };
    let (lines, next) = ask(&mut h, format!("/history den 3 after id={}", id(2)));
    assert_eq!(texts(lines), ["l3", "l4", "l5"]);
    assert_eq!(next, Some(format!("id={}", id(5))));
    let (lines, _) = ask(&mut h, format!("/history den 3 around id={}", id(5)));
    assert_eq!(texts(lines), ["l4", "l5", "l6"]);
    let (lines, next) = ask(&mut h, format!("/history den 2 since id={}", id(7)));
    assert_eq!(
        (texts(lines), next),
        (
            vec!["l9".into(), "l10".into()],
            Some(format!("id={}", id(9)))
        )
    );
    let (lines, _) = ask(
        &mut h,
        format!("/history den 9 between id={} id={}", id(8), id(4)),
    );
    assert_eq!(texts(lines), ["l5", "l6", "l7"]);
}

#[test]
fn ids_and_paging_survive_a_restart() {
    let mut h = room();
    for i in 1..=30 {
        h.send("b", &format!("/say den before{i}"));
    }
    h.send("b", "/msg carol kept");
    let snapshot = snapshot_of(&h);
    let mut h = Harness::with(config(), snapshot);
    h.now = chat_core::Millis(h.now.0 + 5);
    h.login("b", "bob", harness::PW);
    h.login("c", "carol", harness::PW);
    for l in ["b", "c"] {
        h.send(l, "/tags on");
    }
    h.send("b", "/join den");
    h.send("c", "/join den");
    for i in 1..=30 {
        h.send("b", &format!("/say den after{i}"));
    }
    h.take("b");
    h.take("c");
    let all = page_back(&mut h, "c", "den", 7);
    let texts: Vec<String> = all.iter().map(|(_, t)| t.clone()).collect();
    let expected: Vec<String> = (1..=30)
        .map(|i| format!("before{i}"))
        .chain((1..=30).map(|i| format!("after{i}")))
        .collect();
    assert_eq!(texts, expected);
    assert!(
        all.windows(2).all(|w| w[0].0 < w[1].0),
        "ids increase across the restart"
    );
    h.send("c", "/msg bob new");
    let pm = h.take("b");
    h.send("b", "/history @carol");
    let (lines, _) = page(&h.take("b"));
    assert_eq!(lines.len(), 2);
    assert!(lines[0].0 < lines[1].0, "{pm:?} {lines:?}");
}

/// `/conversations`: the rooms a user is in and the users it has private
/// history with, each by its latest line (its id with tags), oldest
/// first; a range of those latest lines as `/history`'s, by id or time.
#[test]
fn conversations_list_rooms_and_pairs_by_their_latest_line() {
    let mut h = room();
    h.register("a", "alice");
    h.take("b");
    h.take("c");
    let mut said = Vec::new();
    for (who, line) in [
        ("b", "/say den one"),
        ("b", "/msg carol psst"),
        ("c", "in the lobby"),
        ("c", "/say den two"),
    ] {
        h.advance(std::time::Duration::from_millis(5));
        h.send(who, line);
        let lines = h.take(who);
        said.push(id_of(lines.last().unwrap()).0);
    }
    for l in ["a", "b", "c"] {
        h.take(l);
    }
    let rows = |lines: Vec<String>| -> Vec<(u64, String)> {
        let (end, rows) = lines.split_last().expect("END conversations");
        assert_eq!(*end, format!("END conversations {}", rows.len()));
        rows.iter()
            .map(|l| {
                let (id, row) = id_of(l);
                let mut words = row.split(' ');
                assert_eq!(words.next(), Some("CONV"));
                (id, words.next().unwrap().to_owned())
            })
            .collect()
    };
    h.send("b", "/conversations");
    let (pm, lobby, den) = (said[1], said[2], said[3]);
    assert_eq!(
        rows(h.take("b")),
        vec![
            (pm, "@carol".to_owned()),
            (lobby, "lobby".to_owned()),
            (den, "den".to_owned())
        ]
    );
    h.send("c", "/conversations 2");
    assert_eq!(
        rows(h.take("c")),
        vec![(lobby, "lobby".to_owned()), (den, "den".to_owned())]
    );
    // alice is in no room but the lobby and has no private history.
    h.send("a", "/conversations");
    let lines = h.take("a");
    assert_eq!(lines, vec!["CONV lobby 1000015", "END conversations 1"]);
    // Ranges: after a line, between two (both left out), before a time.
    h.send("b", &format!("/conversations after id={pm}"));
    assert_eq!(
        rows(h.take("b")),
        vec![(lobby, "lobby".to_owned()), (den, "den".to_owned())]
    );
    h.send("b", &format!("/conversations between id={pm} id={den}"));
    assert_eq!(rows(h.take("b")), vec![(lobby, "lobby".to_owned())]);
    h.send("b", "/conversations 1 before 1000015");
    assert_eq!(rows(h.take("b")), vec![(pm, "@carol".to_owned())]);
}

/// The kind tag (`notice`, `action`) of a chat/1 line, if it has one, and
/// its text after the sender.
fn kind_of<'a>(line: &'a str, from: &str) -> (Option<&'a str>, &'a str) {
    let (tags, rest) = line.split_once(' ').expect("a tagged line");
    let kind = tags
        .trim_start_matches('@')
        .split(';')
        .find_map(|t| t.strip_prefix("kind="));
    let text = rest.split_once(&format!(" {from} ")).expect("a sender").1;
    (kind, text)
}

/// A notice and an action (said over IRC) keep their kind in history: in
/// the engine's memory, in what it makes durable, after a restart. chat/1
/// with tags on shows the kind live and in `HIST` alike, as the `kind`
/// tag; without tags the lines are what they always were.
#[test]
fn history_keeps_each_lines_kind() {
    use chat_core::{Conversation, MessageKind, RoomName};
    let mut h = room();
    h.register("tmp", "dave");
    h.send("tmp", "/quit");
    h.connect_irc("d");
    for line in [
        &format!("PASS dave:{}", harness::PW),
        "NICK dave",
        "USER dave 0 * :dave",
        "JOIN #den",
    ] {
        h.send("d", line);
    }
    for l in ["b", "c", "d"] {
        h.take(l);
    }
    for line in [
        "PRIVMSG #den :plain",
        "NOTICE #den :heads up",
        "PRIVMSG #den :\u{1}ACTION waves\u{1}",
        "NOTICE carol :psst",
        "PRIVMSG carol :\u{1}ACTION nods\u{1}",
    ] {
        h.send("d", line);
    }
    let room_said = [
        (None, "plain"),
        (Some("notice"), "heads up"),
        (Some("action"), "waves"),
    ];
    let pair_said = [(Some("notice"), "psst"), (Some("action"), "nods")];
    let live = h.take("c");
    let live: Vec<_> = live.iter().map(|l| kind_of(l, "dave")).collect();
    assert_eq!(live[..3], room_said);
    assert_eq!(live[3..], pair_said);
    let hist = |h: &mut Harness, who: &str, of: &str| -> Vec<(Option<String>, String)> {
        h.send(who, &format!("/history {of}"));
        h.take(who)
            .iter()
            .filter(|l| l.contains(" HIST "))
            .map(|l| {
                let (kind, text) = kind_of(l, "dave");
                (kind.map(str::to_owned), text.to_owned())
            })
            .collect()
    };
    let owned = |said: &[(Option<&str>, &str)]| -> Vec<(Option<String>, String)> {
        said.iter()
            .map(|(k, t)| (k.map(str::to_owned), (*t).to_owned()))
            .collect()
    };
    assert_eq!(hist(&mut h, "c", "den"), owned(&room_said));
    assert_eq!(hist(&mut h, "c", "@dave"), owned(&pair_said));
    // What the engine made durable keeps the kinds.
    let snapshot = snapshot_of(&h);
    let kinds = |c: &Conversation| -> Vec<MessageKind> {
        let (_, lines) = snapshot.history.iter().find(|(k, _)| k == c).unwrap();
        lines.iter().map(|l| l.kind).collect()
    };
    let den = Conversation::Room(RoomName::parse("den").unwrap().key());
    let pair = Conversation::private(&harness::user("carol"), &harness::user("dave"));
    let (said, notice, action) = (MessageKind::Said, MessageKind::Notice, MessageKind::Action);
    assert_eq!(kinds(&den), [said, notice, action]);
    assert_eq!(kinds(&pair), [notice, action]);
    // Without tags, `HIST` is as it always was.
    h.send("b", "/tags off");
    h.take("b");
    h.send("b", "/history den");
    let plain = h.take("b");
    assert!(plain[1].starts_with("HIST den ") && plain[1].ends_with(" dave heads up"));
    // After a restart, from the store's snapshot.
    let mut h = Harness::with(config(), snapshot);
    h.now = chat_core::Millis(h.now.0 + 5);
    h.login("c", "carol", harness::PW);
    h.send("c", "/tags on");
    h.send("c", "/join den");
    let joined: Vec<_> = h
        .take("c")
        .iter()
        .filter(|l| l.contains(" HIST "))
        .map(|l| {
            let (kind, text) = kind_of(l, "dave");
            (kind.map(str::to_owned), text.to_owned())
        })
        .collect();
    assert_eq!(joined, owned(&room_said));
    assert_eq!(hist(&mut h, "c", "@dave"), owned(&pair_said));
}
