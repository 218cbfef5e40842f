//! The interface drawn through ratatui's TestBackend.

use chrono::FixedOffset;
use ratatui::backend::TestBackend;
use ratatui::Terminal;

use super::editor::Editor;
use super::screen::Screen;

// 2023-11-14 14:04:05 UTC: 15:04 at +01:00.
const TS: u64 = 1_699_970_645_000;

fn tz() -> FixedOffset {
    FixedOffset::east_opt(3600).unwrap()
}

fn feed(s: &mut Screen, lines: &[&str]) {
    for l in lines {
        s.on_line_in(l, &tz());
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

fn logged_in() -> Screen {
    let mut s = Screen::new("127.0.0.1:9797");
    feed(&mut s, &["WELCOME alice 1"]);
    s
}

#[test]
fn each_kind_of_line_looks_its_own() {
    let mut s = logged_in();
    s.sent("/msg bob see you");
    feed(
        &mut s,
        &[
            &format!("MSG {TS} bob hello there"),
            &format!("PM {TS} carol psst"),
            "OK sent bob",
            &format!("JOIN {TS} dave"),
            &format!("LEAVE {TS} dave quit"),
            "INFO the server says hi",
            "ERR bad-argument no such user",
        ],
    );
    let r = rows(&mut s, 60, 12);
    assert!(r[0].ends_with("-- Welcome, alice! You are in the room as user."));
    assert_eq!(r[1], "15:04 <bob> hello there");
    assert_eq!(r[2], "15:04 [carol → you] psst");
    assert!(r[3].ends_with("[you → bob] see you"), "{}", r[3]);
    assert_eq!(r[4], "15:04 * dave joined");
    assert_eq!(r[5], "15:04 * dave left (quit)");
    assert!(r[6].ends_with("-- the server says hi"));
    assert!(
        r[7].ends_with("!! (bad-argument): no such user"),
        "{}",
        r[7]
    );
}

#[test]
fn lines_of_other_rooms_say_their_room_once_stamped() {
    let mut s = logged_in();
    feed(
        &mut s,
        &[
            &format!("HIST rust {TS} bob said before"),
            &format!("HIST @bob {TS} bob psst earlier"),
            &format!("RJOIN rust {TS} alice"),
            &format!("RMSG rust {TS} bob hello rust"),
            &format!("RLEAVE rust {TS} bob part"),
        ],
    );
    let r = rows(&mut s, 60, 8);
    assert_eq!(r[1], "15:04 <bob> [#rust] (history) said before");
    assert_eq!(r[2], "15:04 <bob> [@bob] (history) psst earlier");
    assert_eq!(r[3], "15:04 * alice joined #rust");
    assert_eq!(r[4], "15:04 <bob> [#rust] hello rust");
    assert_eq!(r[5], "15:04 * bob left #rust (part)");
}

#[test]
fn tagged_lines_look_the_same_and_history_says_how_to_page_back() {
    let mut s = logged_in();
    feed(
        &mut s,
        &[
            "OK tags on",
            &format!("@id=7 HIST rust {TS} bob said before"),
            "END history 1 id=7",
            &format!("@id=9 RMSG rust {TS} bob hello rust"),
        ],
    );
    assert_eq!(s.history_of.as_deref(), Some("rust"));
    let r = rows(&mut s, 60, 8);
    assert_eq!(r[1], "15:04 <bob> [#rust] (history) said before");
    assert!(
        r[2].ends_with("1 earlier lines; older ones: /older rust"),
        "{r:?}"
    );
    assert_eq!(r[3], "15:04 <bob> [#rust] hello rust");
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
    let mention = buf[(12, 1)].style();
    let plain = buf[(12, 2)].style();
    assert_ne!(mention.bg, plain.bg, "a mention has its own background");
}

#[test]
fn the_status_bar_says_who_is_here_and_whether_i_am_busy() {
    let mut s = logged_in();
    s.quiet_users = true;
    feed(
        &mut s,
        &[
            "USER alice 1 free",
            "USER root 0 busy",
            "END users",
            "CTL busy",
        ],
    );
    let r = rows(&mut s, 90, 5);
    assert_eq!(
        r[3],
        " 127.0.0.1:9797 [connected] | alice (user) | busy | room | 2 online: alice root"
    );
    assert!(
        !r.iter().any(|l| l.contains("admin")),
        "the client's own listing is not shown"
    );
    feed(&mut s, &["CTL free", &format!("LEAVE {TS} root quit")]);
    let r = rows(&mut s, 90, 5);
    assert!(r[3].contains("| free | room | 1 online: alice"), "{}", r[3]);
}

#[test]
fn users_view_has_aligned_columns_and_a_count() {
    let mut s = logged_in();
    feed(
        &mut s,
        &["USER alice 1 free", "USER root 0 busy", "END users 2 5 2"],
    );
    let r = rows(&mut s, 60, 8);
    assert_eq!(r[1], format!("   {:<20} user   free", "alice"));
    assert_eq!(r[2], format!("   {:<20} admin  busy", "root"));
    assert!(
        r[3].ends_with("-- 2 of 5 online; page 2 has more"),
        "{}",
        r[3]
    );
    feed(&mut s, &["END kicked"]);
    let r = rows(&mut s, 60, 8);
    assert!(r[4].ends_with("-- nobody is on the kick list"), "{}", r[4]);
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
    assert_eq!(r[3], "> >hello xworld");
}

#[test]
fn passwords_are_never_on_screen() {
    let mut s = logged_in();
    feed(&mut s, &["ASK new-password Your new password:"]);
    "s3cret".chars().for_each(|c| s.view.editor.insert(c));
    let r = rows(&mut s, 40, 4);
    assert_eq!(r[3], "Your new password: ******");
    s.view.ask = None;
    s.view.editor.take(false);
    "/changepassword old-pw new-pw"
        .chars()
        .for_each(|c| s.view.editor.insert(c));
    let r = rows(&mut s, 40, 4);
    assert_eq!(r[3], "> /changepassword ****** ******");
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
