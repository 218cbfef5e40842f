//! Every command of protocol v1 through the real server, over loopback.

mod support;

use chat_client::Client;
use support::{config, expect, next, TestServer, PASSWORD};

#[test]
fn login_dialog_register_then_login() {
    let s = TestServer::start(config(&[]));
    let mut c = Client::connect(s.addr).unwrap();
    next(&mut c, "HELLO chat/1 chat");
    next(&mut c, "ASK account");
    c.send("y").unwrap();
    next(&mut c, "ASK username (1/3)");
    c.send("alice").unwrap();
    next(&mut c, "ASK password (2/3)");
    c.send(PASSWORD).unwrap();
    next(&mut c, "ASK password-again (3/3)");
    c.send("not the same").unwrap();
    next(&mut c, "ERR password-mismatch");
    // A typo asks for the password again, not the whole dialog.
    next(&mut c, "ASK password (2/3)");
    c.send(PASSWORD).unwrap();
    next(&mut c, "ASK password-again");
    c.send(PASSWORD).unwrap();
    assert_eq!(next(&mut c, "OK registered"), "OK registered alice");
    assert_eq!(next(&mut c, "WELCOME"), "WELCOME alice 1");
    assert!(next(&mut c, "JOIN ").ends_with(" alice"));
    c.send("/quit").unwrap();
    next(&mut c, "CTL disconnect");
    assert_eq!(c.next_line().unwrap(), None);

    let mut c = Client::connect(s.addr).unwrap();
    next(&mut c, "HELLO");
    next(&mut c, "ASK account");
    c.send("n").unwrap();
    next(&mut c, "ASK username (1/2)");
    c.send("ALICE").unwrap();
    next(&mut c, "ASK password (2/2)");
    c.send("wrong password").unwrap();
    next(&mut c, "ERR bad-credentials");
    next(&mut c, "ASK account");
    c.send("n").unwrap();
    next(&mut c, "ASK username");
    c.send("alice").unwrap();
    next(&mut c, "ASK password");
    c.send(PASSWORD).unwrap();
    assert_eq!(next(&mut c, "OK login"), "OK login alice");
    assert_eq!(next(&mut c, "WELCOME"), "WELCOME alice 1");
}

#[test]
fn room_private_busy_free_help_users_ping() {
    let s = TestServer::start(config(&[]));
    let mut a = s.register("alice");
    let mut b = s.register("bob");
    expect(&mut a, "JOIN ");
    expect(&mut a, "JOIN "); // bob's
    expect(&mut b, "JOIN ");

    a.send("hello room").unwrap();
    assert!(expect(&mut b, "MSG ").ends_with(" alice hello room"));
    assert!(expect(&mut a, "MSG ").ends_with(" alice hello room"));
    a.send("//slash").unwrap();
    assert!(expect(&mut b, "MSG ").ends_with(" alice /slash"));

    a.send("/msg bob psst").unwrap();
    assert!(expect(&mut b, "PM ").ends_with(" alice psst"));
    assert_eq!(expect(&mut a, "OK sent"), "OK sent bob");
    a.send("/messageto nobody hi").unwrap();
    expect(&mut a, "ERR no-such-user");

    b.send("/busy").unwrap();
    next(&mut b, "CTL busy");
    a.send("/msg bob are you there").unwrap();
    expect(&mut a, "OK sent bob");
    assert_eq!(next(&mut a, "INFO"), "INFO bob is busy");
    expect(&mut b, "PM ");
    a.send("/users").unwrap();
    assert_eq!(next(&mut a, "USER"), "USER alice 1 free");
    assert_eq!(next(&mut a, "USER"), "USER bob 1 busy");
    next(&mut a, "END users");
    a.send("held one").unwrap();
    a.send("held two").unwrap();
    expect(&mut a, "MSG ");
    expect(&mut a, "MSG ");
    b.send("/ping tok").unwrap();
    assert_eq!(next(&mut b, "PONG"), "PONG tok");
    b.send("/free").unwrap();
    next(&mut b, "CTL free");
    assert!(next(&mut b, "MSG ").ends_with("held one"));
    assert!(next(&mut b, "MSG ").ends_with("held two"));
    assert_eq!(next(&mut b, "END held"), "END held 2 0");

    b.send("/help").unwrap();
    let (_, help) = b.wait_for("END help").unwrap();
    assert!(help.iter().all(|l| l.starts_with("INFO ")));
    assert!(!help.iter().any(|l| l.contains("/restart")));
    b.send("/viewusers").unwrap();
    expect(&mut b, "END users");
    b.send("/bogus").unwrap();
    next(&mut b, "ERR unknown-command");
    b.send("/msg").unwrap();
    next(&mut b, "ERR bad-argument");
    b.send("/kickuser alice").unwrap();
    next(&mut b, "ERR not-permitted");
    b.send("/viewkickusers").unwrap();
    next(&mut b, "END kicked");

    b.send("/disconnect").unwrap();
    next(&mut b, "CTL disconnect");
    assert!(expect(&mut a, "LEAVE ").ends_with(" bob quit"));
}

#[test]
fn admin_grants_kicks_and_password_change() {
    let s = TestServer::start(config(&["root"]));
    let mut root = s.login("root").unwrap();
    root.send("/help").unwrap();
    assert_eq!(
        expect(&mut root, "INFO /restart"),
        "INFO /restart - restart the server (admin)"
    );
    let mut bob = s.register("bob");
    let mut carol = s.register("carol");

    root.send("/changegrant bob 0").unwrap();
    assert_eq!(expect(&mut root, "OK grant"), "OK grant bob 0");
    assert_eq!(expect(&mut bob, "CTL grant"), "CTL grant 0");
    bob.send("/changegrant root 1").unwrap();
    expect(&mut bob, "ERR not-permitted");
    bob.send("/changegrant bob 1").unwrap();
    assert_eq!(expect(&mut bob, "OK grant"), "OK grant bob 1");
    expect(&mut bob, "CTL grant 1");
    root.send("/changegrant nobody 1").unwrap();
    expect(&mut root, "ERR no-such-user");

    root.send("/kickuser carol spamming").unwrap();
    assert_eq!(expect(&mut root, "OK kicked"), "OK kicked carol");
    assert_eq!(expect(&mut carol, "CTL kick"), "CTL kick root spamming");
    assert_eq!(carol.read_to_close().unwrap(), Vec::<String>::new());
    assert!(expect(&mut bob, "LEAVE ").ends_with(" carol kicked"));
    match s.login("carol") {
        Err(chat_client::ClientError::Refused { code, .. }) => assert_eq!(code, "kicked"),
        other => panic!("kicked user logged in: {other:?}"),
    }
    bob.send("/viewkickusers").unwrap();
    let row = expect(&mut bob, "KICKED ");
    assert!(row.starts_with("KICKED carol root ") && row.ends_with(" spamming"));
    root.send("/unkick carol").unwrap();
    assert_eq!(expect(&mut root, "OK unkicked"), "OK unkicked carol");
    let _carol = s.login("carol").unwrap();

    bob.send(&format!(
        "/changepassword {} new-password-1",
        support::PASSWORD
    ))
    .unwrap();
    expect(&mut bob, "OK password-changed");
    bob.send("/quit").unwrap();
    bob.read_to_close().unwrap();
    Client::login(s.addr, "bob", "new-password-1").unwrap();
}
