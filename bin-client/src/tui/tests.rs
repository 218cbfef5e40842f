//! The interface drawn through ratatui's TestBackend.

use chrono::FixedOffset;
use ratatui::backend::TestBackend;
use ratatui::Terminal;

use super::complete;
use super::editor::Editor;
use super::screen::{Entered, Screen};
use super::windows::Place;
use crate::clock::Clock;

// 2023-11-14 14:04:05 UTC: 15:04 at +01:00.
const TS: u64 = 1_699_970_645_000;

fn tz() -> FixedOffset {
    FixedOffset::east_opt(3600).unwrap()
}

fn feed(s: &mut Screen, lines: &[&str]) {
    for l in lines {
        s.on_read(chat_core::wire::parse_reply(l), l, &tz());
    }
}

/// The screen's rows as text, trailing blanks trimmed.
fn rows(s: &mut Screen, width: u16, height: u16) -> Vec<String> {
    let mut t = Terminal::new(TestBackend::new(width, height)).unwrap();
    t.draw(|f| s.view.draw(f)).unwrap();
    let buf = t.backend().buffer().clone();
    (0..height)
        .map(|y| {
            (0..width)
                .map(|x| buf[(x, y)].symbol().to_owned())
                .collect::<String>()
                .trim_end()
                .to_owned()
        })
        .collect()
}

/// What the user typed and Enter gave.
fn type_line(s: &mut Screen, line: &str) -> Option<Entered> {
    line.chars().for_each(|c| s.view.editor.insert(c));
    s.enter_line()
}

fn logged_in() -> Screen {
    let mut s = Screen::new("127.0.0.1:9797", false);
    // The lines' own stamps are in the test's zone; notices from the
    // client are stamped now, which the tests do not look at.
    s.view.clock = Clock::H24;
    feed(&mut s, &["HELLO chat/1 lab", "WELCOME alice 1"]);
    s
}

/// Joined `room` as the user asked: its window is shown.
fn join(s: &mut Screen, room: &str) {
    s.sent(&format!("/join {room}"));
    feed(
        s,
        &[
            &format!("OK joined {room}"),
            &format!("RJOIN {room} {TS} alice"),
        ],
    );
}

#[test]
fn each_kind_of_line_looks_its_own() {
    let mut s = logged_in();
    s.sent("/msg bob see you");
    feed(
        &mut s,
        &[
            &format!("MSG {TS} bob hello there"),
            &format!("JOIN {TS} dave"),
            &format!("LEAVE {TS} dave quit"),
            "INFO the server says hi",
            "ERR bad-argument no such user",
        ],
    );
    let r = rows(&mut s, 60, 12);
    assert!(
        r[1].ends_with("-- Welcome, alice! You are in the room as user."),
        "{r:?}"
    );
    assert_eq!(r[2], "15:04 <bob> hello there");
    assert_eq!(r[3], "15:04 * dave joined");
    assert_eq!(r[4], "15:04 * dave left (quit)");
    assert!(r[5].ends_with("-- the server says hi"), "{r:?}");
    assert!(
        r[6].ends_with("!! error (bad-argument): no such user"),
        "{r:?}"
    );
}

#[test]
fn private_messages_have_their_own_window() {
    let mut s = logged_in();
    s.sent("/msg bob see you");
    feed(&mut s, &[&format!("PM {TS} carol psst"), "OK sent bob"]);
    let r = rows(&mut s, 110, 5);
    // What we sent is not unread.
    assert!(r[3].ends_with("act: 2:@carol(1) | 0 online"), "{r:?}");
    assert_eq!(s.view.windows.all().len(), 3);
    s.view.windows.show(1);
    let r = rows(&mut s, 60, 5);
    assert_eq!(r[0], "15:04 [carol → you] psst");
    assert_eq!(r[4], "[@carol]");
    // A plain line here is a private message to carol.
    assert_eq!(
        type_line(&mut s, "hi carol"),
        Some(Entered::Line("/msg carol hi carol".into()))
    );
    s.view.windows.show_place(Place::Private("bob".into()));
    assert!(rows(&mut s, 60, 5)[0].ends_with("[you → bob] see you"));
}

#[test]
fn a_room_is_a_window_its_lines_look_like_the_lobby_s_stamped_once() {
    let mut s = logged_in();
    join(&mut s, "rust");
    feed(
        &mut s,
        &[
            &format!("TOPIC rust {TS} bob all about rust"),
            &format!("HIST rust {TS} bob said before"),
            "END history 1",
            &format!("RMSG rust {TS} bob hello rust"),
            &format!("RLEAVE rust {TS} bob part"),
        ],
    );
    let r = rows(&mut s, 70, 9);
    assert!(r[0].ends_with("-- You joined #rust."), "{r:?}");
    assert_eq!(r[1], "15:04 * alice joined");
    assert_eq!(r[2], "15:04 * topic: all about rust (set by bob)");
    assert_eq!(r[3], "15:04 <bob> said before");
    assert!(
        r[4].ends_with("-- 1 earlier line: the start of #rust"),
        "{r:?}"
    );
    assert_eq!(r[5], "15:04 <bob> hello rust");
    assert_eq!(r[6], "15:04 * bob left (part)");
    assert!(r[7].contains("[2] #rust"), "{r:?}");
    assert_eq!(r[8], "[#rust]");
}

#[test]
fn plain_lines_go_to_the_current_room_and_commands_name_it() {
    let mut s = logged_in();
    join(&mut s, "rust");
    let line = |s: &mut Screen, l: &str| type_line(s, l);
    assert_eq!(
        line(&mut s, "hello all"),
        Some(Entered::Line("/say rust hello all".into()))
    );
    assert_eq!(
        line(&mut s, "//shrug"),
        Some(Entered::Line("/say rust /shrug".into()))
    );
    assert_eq!(
        line(&mut s, "/part"),
        Some(Entered::Line("/part rust".into()))
    );
    assert_eq!(
        line(&mut s, "/topic"),
        Some(Entered::Line("/topic rust".into()))
    );
    assert_eq!(
        line(&mut s, "/history 20"),
        Some(Entered::Line("/history rust 20".into()))
    );
    // In a room already: shown, not joined again.
    s.view.windows.show(0);
    assert_eq!(line(&mut s, "/join #rust"), None);
    assert_eq!(s.view.windows.number(), 2);
    assert_eq!(line(&mut s, "/window 1"), None);
    assert_eq!(s.view.windows.number(), 1);
    assert_eq!(
        line(&mut s, "hi lobby"),
        Some(Entered::Line("hi lobby".into()))
    );
    assert_eq!(line(&mut s, "/window 9"), None);
    assert!(rows(&mut s, 70, 6)
        .iter()
        .any(|r| r.contains("no window \"9\"")));
}

#[test]
fn the_status_bar_shows_the_room_and_the_others_unread_lines() {
    let mut s = logged_in();
    s.quiet_users = true;
    feed(
        &mut s,
        &["USER alice 1 free", "USER root 0 busy", "END users"],
    );
    join(&mut s, "rust");
    feed(
        &mut s,
        &[
            &format!("MSG {TS} root one"),
            &format!("MSG {TS} root alice, two"),
            "CTL busy",
        ],
    );
    let r = rows(&mut s, 110, 5);
    assert_eq!(
        r[3],
        " 127.0.0.1:9797 plain connected | alice (user) busy | [2] #rust | act: 1:lobby(2) | 2 online"
    );
    assert!(
        !r.iter().any(|l| l.contains("admin")),
        "the client's own listing is not shown"
    );
    // Alt-1: the lobby, its lines read.
    s.view.windows.show(0);
    let r = rows(&mut s, 110, 8);
    assert!(r[6].ends_with("| [1] lobby | 2 online"), "{r:?}");
}

#[test]
fn the_status_bar_tells_the_truth_before_login() {
    let mut s = Screen::new("chat.example:9798", true);
    let r = rows(&mut s, 80, 3);
    assert_eq!(
        r[1],
        " chat.example:9798 TLS connecting | not logged in | [1] lobby"
    );
    feed(
        &mut s,
        &[
            "HELLO chat/1 x",
            "ASK account Do you want to create a new user? [y/n]",
        ],
    );
    let r = rows(&mut s, 80, 3);
    assert!(!r[1].contains("free"), "{r:?}");
    assert_eq!(r[2], "Do you want to create a new user? [y/n]");
}

#[test]
fn tab_completes_rooms_after_room_commands() {
    let mut s = logged_in();
    join(&mut s, "rust");
    feed(
        &mut s,
        &["ROOM rustaceans 4 bob", "ROOM tea 2 carol", "END rooms 3 3"],
    );
    s.view.windows.show(0);
    let tab = |s: &mut Screen| {
        let (_, word, before) = s.view.editor.word_before_cursor();
        let (candidates, end) = complete::candidates(&s.view, &before, &word);
        s.view.editor.complete(&candidates, end)
    };
    "/jo".chars().for_each(|c| s.view.editor.insert(c));
    tab(&mut s);
    assert_eq!(s.view.editor.text(), "/join ");
    "te".chars().for_each(|c| s.view.editor.insert(c));
    tab(&mut s);
    assert_eq!(s.view.editor.text(), "/join tea ");
    s.view.editor.take(false);
    "/part ru".chars().for_each(|c| s.view.editor.insert(c));
    assert_eq!(tab(&mut s), vec!["rust", "rustaceans"]);
    assert_eq!(s.view.editor.text(), "/part rust");
}

#[test]
fn a_password_is_masked_as_typed_and_kept_nowhere() {
    let mut s = Screen::new("127.0.0.1:9797", false);
    feed(
        &mut s,
        &[
            "HELLO chat/1 x",
            "ASK account Do you want to create a new user? [y/n]",
        ],
    );
    // The README's way for an admin: /login at the first question.
    "/login root a long admin password"
        .chars()
        .for_each(|c| s.view.editor.insert(c));
    let r = rows(&mut s, 80, 4);
    assert_eq!(
        r[3],
        "Do you want to create a new user? [y/n] /login root * **** ***** ********"
    );
    assert_eq!(
        s.enter_line(),
        Some(Entered::Answer("/login root a long admin password".into()))
    );
    let mut s2 = logged_in();
    for line in [
        "/register bob pw-of-bob",
        "/changepassword old-pw new-pw",
        "/join rust",
    ] {
        assert!(type_line(&mut s2, line).is_some());
    }
    for screen in [&mut s, &mut s2] {
        let shown = rows(screen, 80, 8).join("\n");
        for secret in ["admin password", "pw-of-bob", "old-pw", "new-pw"] {
            assert!(!shown.contains(secret), "{secret} on screen:\n{shown}");
        }
        // Up brings back only what holds no password.
        let e: &mut Editor = &mut screen.view.editor;
        let mut back = Vec::new();
        for _ in 0..5 {
            e.older();
            back.push(e.text());
        }
        assert!(
            back.iter()
                .all(|l| !l.contains("pw") && !l.contains("password")),
            "{back:?}"
        );
    }
}

#[test]
fn passwords_asked_for_are_stars() {
    let mut s = logged_in();
    feed(&mut s, &["ASK new-password Your new password:"]);
    "s3cret".chars().for_each(|c| s.view.editor.insert(c));
    let r = rows(&mut s, 40, 4);
    assert_eq!(r[3], "Your new password: ******");
    assert_eq!(s.enter_line(), Some(Entered::Answer("s3cret".into())));
    assert!(!rows(&mut s, 40, 4).join("").contains("s3cret"));
}

#[test]
fn tagged_lines_look_the_same_and_history_says_how_to_page_back() {
    let mut s = logged_in();
    join(&mut s, "rust");
    feed(
        &mut s,
        &[
            "OK tags on",
            &format!("@id=7 HIST rust {TS} bob said before"),
            "END history 1 id=7",
            &format!("@id=9 RMSG rust {TS} bob hello rust"),
        ],
    );
    let r = rows(&mut s, 70, 8);
    assert_eq!(r[2], "15:04 <bob> said before");
    assert!(
        r[3].ends_with("-- 1 earlier line of #rust; older ones: /older rust"),
        "{r:?}"
    );
    assert_eq!(r[4], "15:04 <bob> hello rust");
    // /older alone: the room shown.
    assert_eq!(
        type_line(&mut s, "/older"),
        Some(Entered::Line("/older rust".into()))
    );
}

/// A notice and an action (the `kind` tag) look as they do live when they
/// come from history, in a room and in a private window.
#[test]
fn notices_and_actions_look_the_same_live_and_from_history() {
    let mut s = logged_in();
    join(&mut s, "rust");
    feed(
        &mut s,
        &[
            "OK tags on",
            &format!("@id=7;kind=notice HIST rust {TS} bob heads up"),
            &format!("@id=8;kind=action HIST rust {TS} bob waves"),
            "END history 2",
            &format!("@id=9;kind=notice RMSG rust {TS} bob heads up"),
            &format!("@id=10;kind=action RMSG rust {TS} bob waves"),
        ],
    );
    let r = rows(&mut s, 70, 9);
    assert_eq!(r[2..4], ["15:04 -bob- heads up", "15:04 * bob waves"]);
    assert_eq!(r[5..7], r[2..4], "{r:?}");
    feed(
        &mut s,
        &[
            &format!("@id=11;kind=action HIST @carol {TS} carol nods"),
            &format!("@id=12;kind=notice HIST @carol {TS} alice noted"),
            "END history 2",
            &format!("@id=13;kind=action PM {TS} carol nods"),
        ],
    );
    s.view.windows.show_place(Place::Private("carol".into()));
    let r = rows(&mut s, 70, 6);
    assert_eq!(
        r[..2],
        [
            "15:04 [carol → you] * carol nods",
            "15:04 [you → carol] (notice) noted",
        ],
        "{r:?}"
    );
    assert_eq!(r[3], r[0], "{r:?}");
}

#[test]
fn a_mention_of_my_name_stands_out() {
    let mut s = logged_in();
    feed(
        &mut s,
        &[
            &format!("MSG {TS} bob hi Alice!"),
            &format!("MSG {TS} bob hi all"),
        ],
    );
    let mut t = Terminal::new(TestBackend::new(40, 6)).unwrap();
    t.draw(|f| s.view.draw(f)).unwrap();
    let buf = t.backend().buffer();
    // The text after "15:04 <bob> " on each row.
    let mention = buf[(12, 2)].style();
    let plain = buf[(12, 3)].style();
    assert_ne!(mention.bg, plain.bg, "a mention has its own background");
}

#[test]
fn twelve_hours_when_asked() {
    let mut s = logged_in();
    s.view.clock = Clock::H12;
    feed(&mut s, &[&format!("MSG {TS} bob hi")]);
    assert!(rows(&mut s, 40, 5).contains(&"3:04 PM <bob> hi".to_owned()));
}

#[test]
fn users_view_has_aligned_columns_and_a_count() {
    let mut s = logged_in();
    feed(
        &mut s,
        &["USER alice 1 free", "USER root 0 busy", "END users 2 5 2"],
    );
    let r = rows(&mut s, 60, 8);
    assert_eq!(r[2], format!("   {:<20} user   free", "alice"));
    assert_eq!(r[3], format!("   {:<20} admin  busy", "root"));
    assert!(
        r[4].ends_with("-- 2 of 5 online; page 2 has more"),
        "{}",
        r[4]
    );
    feed(&mut s, &["END kicked"]);
    let r = rows(&mut s, 60, 8);
    assert!(r[5].ends_with("-- nobody is on the kick list"), "{}", r[5]);
}

#[test]
fn names_lists_a_room_s_members_and_counts_them_in_it() {
    let mut s = logged_in();
    join(&mut s, "rust");
    s.sent("/names rust");
    feed(
        &mut s,
        &["USER alice 1 free", "USER bob 1 busy", "END users 2 2"],
    );
    let r = rows(&mut s, 60, 8);
    assert!(r.iter().any(|l| l.ends_with("-- 2 in #rust")), "{r:?}");
    // The next /viewusers is the lobby's again.
    s.sent("/viewusers");
    feed(&mut s, &["USER alice 1 free", "END users 1 1"]);
    let r = rows(&mut s, 60, 8);
    assert!(r.iter().any(|l| l.ends_with("-- 1 online")), "{r:?}");
}

#[test]
fn the_input_line_after_editing_keys() {
    let mut s = logged_in();
    let e: &mut Editor = &mut s.view.editor;
    "hello world".chars().for_each(|c| e.insert(c));
    e.word_left();
    e.insert('x');
    e.home();
    e.insert('>');
    let r = rows(&mut s, 30, 4);
    assert_eq!(r[3], "[lobby] >hello xworld");
}

#[test]
fn resizing_reflows_and_page_up_scrolls_back() {
    let mut s = logged_in();
    for i in 0..20 {
        feed(
            &mut s,
            &[&format!("MSG {TS} bob line {i} {}", "word ".repeat(6))],
        );
    }
    let wide = rows(&mut s, 80, 6);
    assert!(wide[3].contains("line 19"));
    let narrow = rows(&mut s, 30, 6);
    // The last line wraps onto more rows; the newest text is at the bottom.
    assert!(narrow[3].contains("word"), "{narrow:?}");
    assert!(!narrow[3].contains("line 19"));
    s.view.scroll_by(10);
    let back = rows(&mut s, 80, 6);
    assert!(!back.iter().any(|l| l.contains("line 19")));
    assert!(back[4].contains("scrolled back"));
}
