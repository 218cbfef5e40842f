//! The sans-IO client session, driven line by line.

use chat_core::client::{Auth, Credentials, Ended, Event, LoginForm, Session};
use chat_core::reply::{Reply, Word};
use chat_core::{Command, ErrorCode, Grant, HistoryTarget, MsgId};

fn sent(s: &mut Session) -> String {
    String::from_utf8(s.poll_transmit().unwrap_or_default()).unwrap()
}

fn events(s: &mut Session) -> Vec<Event> {
    std::iter::from_fn(|| s.poll_event()).collect()
}

fn derived(s: &mut Session) -> Vec<Event> {
    events(s)
        .into_iter()
        .filter(|e| !matches!(e, Event::Line(_)))
        .collect()
}

#[test]
fn registers_through_the_dialog() {
    let creds = Credentials::new("alice", "pass word 1");
    let mut s = Session::new(creds, Auth::Register, LoginForm::Dialog);
    s.on_connected();
    assert_eq!(sent(&mut s), "");
    s.receive(b"HELLO chat/1 lab\nASK account Do you want to create a new user? [y/n]\n");
    assert_eq!(sent(&mut s), "y\n");
    s.receive(b"ASK username (1/3) Write your user name:\n");
    assert_eq!(sent(&mut s), "alice\n");
    s.receive(b"ASK password (2/3) Write your password:\nASK password-again (3/3) again:\n");
    assert_eq!(sent(&mut s), "pass word 1\npass word 1\n");
    s.receive(b"OK registered alice\r\nWELCOME alice 1\n");
    assert_eq!(
        derived(&mut s),
        vec![Event::LoggedIn {
            user: "alice".into(),
            grant: Grant::User
        }]
    );
    assert!(s.is_logged_in());
}

#[test]
fn a_refused_login_is_reported_once_and_not_retried() {
    let mut s = Session::new(
        Credentials::new("bob", "wrong-password"),
        Auth::Login,
        LoginForm::Dialog,
    );
    s.on_connected();
    s.receive(b"ASK account ?\n");
    assert_eq!(sent(&mut s), "n\n");
    s.receive(b"ASK username ?\nASK password ?\n");
    assert_eq!(sent(&mut s), "bob\nwrong-password\n");
    s.receive(b"ERR bad-credentials wrong name or password\nASK account ?\n");
    let ev = derived(&mut s);
    match ev.as_slice() {
        [Event::LoginRefused(line)] => {
            assert_eq!(
                line.error(),
                Some((
                    Word::Known(ErrorCode::BadCredentials),
                    "wrong name or password"
                ))
            );
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(sent(&mut s), "", "does not answer the dialog again");
}

#[test]
fn a_restart_logs_in_again_with_the_changed_password() {
    let mut s = Session::new(
        Credentials::new("carol", "old-password"),
        Auth::Register,
        LoginForm::OneLine,
    );
    s.on_connected();
    assert_eq!(sent(&mut s), "/register carol old-password\n");
    s.receive(b"WELCOME carol 0\n");
    s.send(&Command::ChangePassword {
        old: "old-password",
        new: "new password",
    })
    .unwrap();
    assert_eq!(sent(&mut s), "/changepassword old-password new password\n");
    s.receive(b"OK password-changed\nCTL restart\n");
    assert_eq!(
        derived(&mut s),
        vec![
            Event::LoggedIn {
                user: "carol".into(),
                grant: Grant::Admin
            },
            Event::PasswordChanged,
            Event::Restarting
        ]
    );
    assert!(s.on_closed(), "reconnects after a restart");
    s.on_connected();
    assert_eq!(sent(&mut s), "/login carol new password\n");
}

#[test]
fn an_unconfirmed_password_change_is_not_used() {
    let mut s = Session::new(
        Credentials::new("dan", "old-password"),
        Auth::Login,
        LoginForm::OneLine,
    );
    s.on_connected();
    sent(&mut s);
    s.receive(b"WELCOME dan 1\n");
    s.send_line("/changepassword nope new-password").unwrap();
    s.receive(b"ERR bad-credentials wrong password\nCTL restart\n");
    assert!(s.on_closed());
    s.on_connected();
    assert_eq!(sent(&mut s), "/login dan old-password\n");
}

#[test]
fn a_manual_login_is_remembered_for_the_restart() {
    let mut s = Session::manual();
    s.on_connected();
    s.receive(b"ASK account ?\n");
    s.send_line("n").unwrap();
    s.receive(b"ASK username ?\n");
    s.send_line("erin").unwrap();
    s.receive(b"ASK password ?\n");
    s.send_line("/slash-password").unwrap();
    assert_eq!(sent(&mut s), "n\nerin\n/slash-password\n");
    s.receive(b"WELCOME erin 1\nCTL restart\n");
    assert!(s.on_closed());
    s.on_connected();
    assert_eq!(sent(&mut s), "/login erin /slash-password\n");
}

#[test]
fn kicks_and_shutdowns_end_the_session() {
    let mut s = Session::manual();
    s.on_connected();
    s.receive(b"CTL kick root go away\n");
    let ev = events(&mut s);
    match &ev[0] {
        Event::Line(l) => assert!(matches!(l.reply(), Ok(Reply::Ctl(_)))),
        other => panic!("{other:?}"),
    }
    assert_eq!(
        ev[1],
        Event::Ended(Ended::Kicked {
            by: "root".into(),
            reason: Some("go away".into())
        })
    );
    assert!(!s.on_closed());
}

#[test]
fn line_breaks_are_never_sent() {
    let mut s = Session::manual();
    s.on_connected();
    assert!(s.send_line("hi\n/restart").is_err());
    assert!(s.send(&Command::Say("a\nb")).is_err());
    assert_eq!(sent(&mut s), "");
}

#[test]
fn credentials_that_cannot_be_sent_are_reported_not_sent() {
    let mut s = Session::new(
        Credentials::new("two words", "a-long-password"),
        Auth::Login,
        LoginForm::OneLine,
    );
    s.on_connected();
    assert_eq!(sent(&mut s), "");
    assert!(matches!(
        derived(&mut s).as_slice(),
        [Event::CannotLogIn(_)]
    ));
}

/// Regression: a re-login in the dialog form sent `/login` and then also
/// answered the new connection's `ASK account`, which the server took as a
/// room message once logged in.
#[test]
fn a_relogin_after_a_dialog_login_is_one_line_only() {
    let mut s = Session::new(
        Credentials::new("fay", "a-long-password"),
        Auth::Register,
        LoginForm::Dialog,
    );
    s.on_connected();
    s.receive(b"ASK account ?\n");
    assert_eq!(sent(&mut s), "y\n");
    s.receive(b"WELCOME fay 1\nCTL restart\n");
    assert!(s.on_closed());
    s.on_connected();
    s.receive(b"HELLO chat/1 lab\nASK account Do you want to create a new user? [y/n]\n");
    assert_eq!(sent(&mut s), "/login fay a-long-password\n");
}

#[test]
fn a_restart_after_a_change_password_dialog_uses_the_new_password() {
    let mut s = Session::new(
        Credentials::new("fay", "old-password"),
        Auth::Login,
        LoginForm::OneLine,
    );
    s.on_connected();
    sent(&mut s);
    s.receive(b"WELCOME fay 1\n");
    s.send_line("/changepassword").unwrap();
    s.receive(b"ASK old-password Your current password:\n");
    s.send_line("old-password").unwrap();
    s.receive(b"ASK new-password Your new password:\n");
    // A password may start with '/': it is still the answer.
    s.send_line("/new pass").unwrap();
    s.receive(b"ASK new-password-again Once more:\n");
    s.send_line("/new pass").unwrap();
    assert_eq!(
        sent(&mut s),
        "/changepassword\nold-password\n/new pass\n/new pass\n"
    );
    s.receive(b"OK password-changed\nCTL restart\n");
    assert!(s.on_closed());
    s.on_connected();
    assert_eq!(sent(&mut s), "/login fay /new pass\n");
}

#[test]
fn a_refused_change_password_dialog_keeps_the_old_password() {
    let mut s = Session::new(
        Credentials::new("gus", "old-password"),
        Auth::Login,
        LoginForm::OneLine,
    );
    s.on_connected();
    sent(&mut s);
    s.receive(b"WELCOME gus 1\n");
    s.send_line("/changepassword").unwrap();
    s.receive(b"ASK old-password ?\n");
    s.send_line("wrong").unwrap();
    s.receive(b"ASK new-password ?\n");
    s.send_line("new-password").unwrap();
    s.receive(b"ASK new-password-again ?\n");
    s.send_line("new-password").unwrap();
    s.receive(b"ERR bad-credentials wrong password\nCTL restart\n");
    assert!(s.on_closed());
    s.on_connected();
    assert_eq!(sent(&mut s), "/login gus old-password\n");
}

#[test]
fn a_takeover_ends_the_session_without_a_reconnect() {
    let mut s = Session::new(
        Credentials::new("hal", "a-password"),
        Auth::Login,
        LoginForm::OneLine,
    );
    s.on_connected();
    sent(&mut s);
    s.receive(b"WELCOME hal 1\nCTL takeover\n");
    assert_eq!(derived(&mut s).last(), Some(&Event::Ended(Ended::Takeover)));
    assert!(!s.on_closed(), "never takes the account back");
}

#[test]
fn change_password_answers_typed_ahead_of_the_asks_still_count() {
    let mut s = Session::new(
        Credentials::new("ike", "old-password"),
        Auth::Login,
        LoginForm::OneLine,
    );
    s.on_connected();
    sent(&mut s);
    s.receive(b"WELCOME ike 1\n");
    // A script sends every answer before the server's first ASK.
    for line in [
        "/changepassword",
        "old-password",
        "new-password",
        "new-password",
    ] {
        s.send_line(line).unwrap();
    }
    s.receive(b"ASK old-password ?\nASK new-password ?\nASK new-password-again ?\n");
    s.receive(b"OK password-changed\nCTL restart\n");
    assert!(s.on_closed());
    s.on_connected();
    assert_eq!(sent(&mut s).lines().last(), Some("/login ike new-password"));
}

#[test]
fn a_new_password_asked_again_after_a_mismatch_is_the_one_used() {
    let mut s = Session::new(
        Credentials::new("jo", "old-password"),
        Auth::Login,
        LoginForm::OneLine,
    );
    s.on_connected();
    sent(&mut s);
    s.receive(b"WELCOME jo 1\n");
    s.send_line("/changepassword").unwrap();
    s.receive(b"ASK old-password ?\n");
    s.send_line("old-password").unwrap();
    s.receive(b"ASK new-password ?\n");
    s.send_line("first-try").unwrap();
    s.receive(b"ASK new-password-again ?\n");
    s.send_line("first-tyr").unwrap();
    s.receive(b"ERR password-mismatch the passwords differ\nASK new-password ?\n");
    s.send_line("second-try").unwrap();
    s.receive(b"ASK new-password-again ?\n");
    s.send_line("second-try").unwrap();
    s.receive(b"OK password-changed\nCTL restart\n");
    assert!(s.on_closed());
    s.on_connected();
    assert_eq!(sent(&mut s).lines().last(), Some("/login jo second-try"));
}

#[test]
fn dialog_answers_piped_ahead_of_the_asks_are_remembered() {
    let mut s = Session::manual();
    s.on_connected();
    for line in ["y", "kai", "/pw with spaces", "/pw with spaces"] {
        s.send_line(line).unwrap();
    }
    s.receive(b"HELLO chat/1 lab\nASK account ?\nASK username ?\nASK password ?\n");
    s.receive(b"ASK password-again ?\nWELCOME kai 1\nCTL restart\n");
    assert!(s.on_closed());
    s.on_connected();
    assert_eq!(
        sent(&mut s).lines().last(),
        Some("/login kai /pw with spaces")
    );
}

#[test]
fn a_dialog_step_asked_again_after_an_error_is_read_as_that_step() {
    let mut s = Session::manual();
    s.on_connected();
    s.receive(b"ASK account ?\n");
    s.send_line("maybe").unwrap();
    s.receive(b"ERR bad-argument answer y or n\nASK account ?\n");
    s.send_line("n").unwrap();
    s.receive(b"ASK username ?\n");
    s.send_line("lou").unwrap();
    s.receive(b"ASK password ?\n");
    s.send_line("secret-1").unwrap();
    s.receive(b"WELCOME lou 1\nCTL restart\n");
    assert!(s.on_closed());
    s.on_connected();
    assert_eq!(sent(&mut s).lines().last(), Some("/login lou secret-1"));
}

#[test]
fn rooms_are_tracked_and_joined_again_after_a_restart() {
    let mut s = Session::new(
        Credentials::new("dave", "password-1"),
        Auth::Login,
        LoginForm::OneLine,
    );
    s.on_connected();
    sent(&mut s);
    s.receive(b"WELCOME dave 1\nOK created Rust\nOK joined Rust\nOK joined den\n");
    s.receive(b"OK joined gone\nRMSG Rust 5 bob hi\nOK joined old\nOK parted old\n");
    s.receive(b"RLEAVE gone 6 dave closed\nCTL removed den bob spam\n");
    assert_eq!(s.rooms(), ["Rust"]);
    let removed: Vec<Event> = derived(&mut s)
        .into_iter()
        .filter(|e| matches!(e, Event::RemovedFromRoom { .. }))
        .collect();
    assert_eq!(
        removed,
        vec![Event::RemovedFromRoom {
            room: "den".into(),
            by: "bob".into(),
            reason: Some("spam".into())
        }]
    );
    s.receive(b"CTL restart\n");
    assert!(s.on_closed());
    s.on_connected();
    assert_eq!(sent(&mut s), "/login dave password-1\n");
    s.receive(b"WELCOME dave 1\n");
    assert_eq!(sent(&mut s), "/join Rust\n");
    s.receive(b"OK joined Rust\n");
    assert_eq!(s.rooms(), ["Rust"]);
}

/// The text of the lines passed on.
fn lines(s: &mut Session) -> Vec<String> {
    events(s)
        .into_iter()
        .filter_map(|e| match e {
            Event::Line(line) => Some(line.text().to_owned()),
            _ => None,
        })
        .collect()
}

/// A session with ids in room `Rust` (last line 12) and the lobby (last
/// line 5), logged in again after a restart: returns what it sent.
fn relogged_with_ids() -> (Session, String) {
    let mut s = Session::new(
        Credentials::new("dave", "password-1"),
        Auth::Login,
        LoginForm::OneLine,
    );
    s.request_ids();
    s.on_connected();
    assert_eq!(sent(&mut s), "/tags on\n/login dave password-1\n");
    s.receive(b"OK tags on\nWELCOME dave 1\nOK joined Rust\n@id=10 HIST Rust 1 bob a\n");
    s.receive(b"@id=11 HIST Rust 2 bob b\nEND history 2\n@id=12 RMSG Rust 3 bob c\n");
    s.receive(b"@id=5 MSG 3 bob in-the-lobby\nCTL restart\n");
    assert_eq!(s.newest_id(HistoryTarget::Room("rust")), Some(MsgId(12)));
    assert_eq!(s.newest_id(HistoryTarget::Room("lobby")), Some(MsgId(5)));
    lines(&mut s);
    assert!(s.on_closed());
    s.on_connected();
    assert_eq!(sent(&mut s), "/tags on\n/login dave password-1\n");
    s.receive(b"OK tags on\nWELCOME dave 1\n");
    let asked = sent(&mut s);
    (s, asked)
}

#[test]
fn a_relogin_catches_up_by_id_without_loss_or_repeat() {
    let (mut s, asked) = relogged_with_ids();
    // Joins again; pages the lobby from its last line, fenced by a ping.
    assert_eq!(
        asked,
        "/ping catch-up-1\n/join Rust\n/history lobby after id=5\n"
    );
    // A live lobby line before the fence waits; the join's replay (the
    // room's last lines, one of them had already) is dropped; the lobby's
    // page brings what was missed, the held line too.
    s.receive(b"@id=7 MSG 5 bob live-lobby\nPONG catch-up-1\nOK joined Rust\n");
    s.receive(b"@id=12 HIST Rust 3 bob c\n@id=13 HIST Rust 4 bob d\nEND history 2 id=12\n");
    s.receive(b"RJOIN Rust 5 dave\n@id=14 RMSG Rust 6 bob e\n");
    s.receive(b"@id=6 HIST lobby 4 bob missed\n@id=7 HIST lobby 5 bob live-lobby\nEND history 2\n");
    // The room is paged from its last line once its join is in.
    assert_eq!(
        sent(&mut s),
        "/ping catch-up-2\n/history Rust after id=12\n"
    );
    assert!(s.is_catching_up());
    s.receive(b"PONG catch-up-2\n@id=13 HIST Rust 4 bob d\n@id=14 HIST Rust 6 bob e\n");
    s.receive(b"END history 2 id=14\n");
    // More may follow: the next page.
    assert_eq!(
        sent(&mut s),
        "/ping catch-up-3\n/history Rust after id=14\n"
    );
    s.receive(b"@id=16 RMSG Rust 8 bob g\nPONG catch-up-3\n@id=15 HIST Rust 7 bob f\n");
    s.receive(b"END history 1\n@id=17 RMSG Rust 9 bob h\n");
    assert!(!s.is_catching_up());
    assert_eq!(
        lines(&mut s),
        [
            "OK tags on",
            "WELCOME dave 1",
            "OK joined Rust",
            "RJOIN Rust 5 dave",
            "@id=6 HIST lobby 4 bob missed",
            "@id=7 HIST lobby 5 bob live-lobby",
            "@id=13 HIST Rust 4 bob d",
            "@id=14 HIST Rust 6 bob e",
            "@id=15 HIST Rust 7 bob f",
            "@id=16 RMSG Rust 8 bob g",
            "@id=17 RMSG Rust 9 bob h",
        ]
    );
    assert_eq!(s.newest_id(HistoryTarget::Room("Rust")), Some(MsgId(17)));
    assert_eq!(sent(&mut s), "");
}

#[test]
fn answers_to_earlier_commands_are_not_taken_for_the_catch_up() {
    let (mut s, _) = relogged_with_ids();
    // An answer to a command sent before the fence, and a PONG of the
    // user's own, pass as they are.
    s.receive(b"@id=30 HIST Rust 1 bob old\nEND history 1\nPONG mine\n");
    s.receive(b"PONG catch-up-1\nERR no-such-room no room Rust\n");
    // The room is gone: nothing to page there; the lobby is paged.
    s.receive(b"END history 0\n");
    assert!(!s.is_catching_up());
    assert_eq!(
        lines(&mut s),
        [
            "OK tags on",
            "WELCOME dave 1",
            "@id=30 HIST Rust 1 bob old",
            "END history 1",
            "PONG mine",
            "ERR no-such-room no room Rust",
        ]
    );
    // The history line of another command did not move the mark.
    assert_eq!(s.newest_id(HistoryTarget::Room("Rust")), Some(MsgId(12)));
}

#[test]
fn a_connection_lost_during_the_catch_up_starts_it_again_from_the_last_line_passed_on() {
    let (mut s, _) = relogged_with_ids();
    s.receive(b"PONG catch-up-1\nOK joined Rust\nEND history 0\n");
    s.receive(b"@id=6 HIST lobby 4 bob missed\n@id=9 MSG 5 bob held\n");
    s.on_closed();
    s.on_connected();
    sent(&mut s);
    s.receive(b"OK tags on\nWELCOME dave 1\n");
    assert_eq!(
        sent(&mut s),
        "/ping catch-up-2\n/join Rust\n/history lobby after id=6\n"
    );
}

#[test]
fn logging_in_as_another_account_is_the_one_used_from_then_on() {
    let mut s = Session::new(
        Credentials::new("dave", "password-1"),
        Auth::Login,
        LoginForm::OneLine,
    );
    s.on_connected();
    sent(&mut s);
    s.receive(b"WELCOME dave 1\nOK joined den\n");
    assert_eq!(s.rooms(), ["den"]);
    // A wrong password for erin: nothing changes.
    s.send_line("/login erin wrong-password").unwrap();
    sent(&mut s);
    s.receive(b"ERR bad-credentials wrong user name or password\n");
    assert_eq!(s.user(), Some("dave"));
    s.send_line("/login erin password-2").unwrap();
    assert_eq!(sent(&mut s), "/login erin password-2\n");
    s.receive(b"OK login erin\nWELCOME erin 1\n");
    // dave's rooms are not erin's: nothing is joined for her.
    assert_eq!(sent(&mut s), "");
    assert_eq!(s.user(), Some("erin"));
    assert!(s.rooms().is_empty());
    s.receive(b"CTL restart\n");
    assert!(s.on_closed());
    s.on_connected();
    assert_eq!(sent(&mut s), "/login erin password-2\n");
}
