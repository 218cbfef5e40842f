//! IRC transcripts: registration, the three ways to log in, the room as
//! `#lobby` beside chat/1 users, private messages, away, operators.

mod harness;

use harness::{has, Harness, PW};

/// base64("\0alice\0password-1"), a SASL PLAIN payload.
const ALICE_PLAIN: &str = "AGFsaWNlAHBhc3N3b3JkLTE=";

fn lines_of(h: &mut Harness, label: &str) -> Vec<String> {
    h.take(label)
}

/// A chat/1 user `alice` exists; an IRC client logs in as her with SASL.
fn sasl_alice(h: &mut Harness, label: &str) -> Vec<String> {
    h.connect_irc(label);
    assert_eq!(
        lines_of(h, label),
        Vec::<String>::new(),
        "IRC hears nothing first"
    );
    h.send(label, "CAP LS 302");
    h.send(label, "NICK alice");
    h.send(label, "USER alice 0 * :Alice");
    assert_eq!(
        h.take(label),
        vec![":chat CAP * LS :sasl=PLAIN multi-prefix echo-message cap-notify"]
    );
    h.send(label, "CAP REQ :sasl multi-prefix");
    assert_eq!(
        h.take(label),
        vec![":chat CAP alice ACK :sasl multi-prefix"]
    );
    h.send(label, "AUTHENTICATE PLAIN");
    assert_eq!(h.take(label), vec!["AUTHENTICATE +"]);
    h.send(label, &format!("AUTHENTICATE {ALICE_PLAIN}"));
    let lines = h.take(label);
    h.send(label, "CAP END");
    assert_eq!(
        h.take(label),
        Vec::<String>::new(),
        "CAP END after login is quiet"
    );
    lines
}

#[test]
fn sasl_login_greets_joins_and_lists_the_room() {
    let mut h = Harness::new();
    h.register("c1", "alice");
    h.register("bob", "bob");
    h.take("bob");
    // alice's chat/1 session quits so the IRC login is not a takeover.
    h.send("c1", "/quit");
    h.take("bob");
    let lines = sasl_alice(&mut h, "irc");
    assert_eq!(
        lines[..3],
        [
            ":chat 900 alice alice!alice@chat alice :You are now logged in as alice",
            ":chat 903 alice :SASL authentication successful",
            ":chat 001 alice :Welcome to the chat network, alice",
        ]
    );
    let isupport = lines.iter().find(|l| l.starts_with(":chat 005 ")).unwrap();
    for token in [
        "CASEMAPPING=ascii",
        "CHANTYPES=#",
        "NICKLEN=32",
        "PREFIX=(o)@",
        "NETWORK=chat",
    ] {
        assert!(isupport.contains(token), "{isupport}");
    }
    assert!(!isupport.contains("WHOX"));
    let after_motd: Vec<&str> = lines
        .iter()
        .skip_while(|l| !l.starts_with(":chat 422 "))
        .map(String::as_str)
        .collect();
    assert_eq!(
        after_motd,
        [
            ":chat 422 alice :MOTD File is missing",
            ":alice!alice@chat JOIN #lobby",
            ":chat 331 alice #lobby :No topic is set",
            ":chat 353 alice = #lobby :alice bob",
            ":chat 366 alice #lobby :End of /NAMES list",
        ]
    );
    // The chat/1 user sees the IRC user come in.
    assert!(has(&h.take("bob"), "JOIN "));
}

#[test]
fn chat1_and_irc_users_talk_in_one_room_and_in_private() {
    let mut h = Harness::new();
    h.register("bob", "bob");
    h.connect_irc("irc");
    h.send("irc", "PASS carol-pass-1");
    h.send("irc", "NICK carol");
    h.send("irc", "USER carol 0 * :Carol");
    // No such account: PASS fails, the client is greeted and told how.
    let lines = h.take("irc");
    assert!(
        has(&lines, ":chat 464 carol :Password incorrect"),
        "{lines:?}"
    );
    assert!(has(&lines, ":chat 001 carol "));
    assert!(has(&lines, ":NickServ!NickServ@chat NOTICE carol :Log in"));
    // Not logged in: only NickServ.
    h.send("irc", "PRIVMSG #lobby :hi");
    assert!(has(
        &h.take("irc"),
        ":NickServ!NickServ@chat NOTICE carol :Log in first"
    ));
    h.send("irc", "WHO #lobby");
    assert!(has(
        &h.take("irc"),
        ":chat 451 carol :You have not registered"
    ));
    h.send(
        "irc",
        &format!("PRIVMSG NickServ :REGISTER {PW} carol@example.org"),
    );
    let lines = h.take("irc");
    assert!(
        has(
            &lines,
            ":NickServ!NickServ@chat NOTICE carol :Account carol registered"
        ),
        "{lines:?}"
    );
    assert!(has(&lines, ":chat 900 carol "));
    assert!(has(&lines, ":carol!carol@chat JOIN #lobby"));
    assert!(has(&lines, ":chat 353 carol = #lobby :bob carol"));
    h.take("bob");

    // Room lines both ways; no echo to the IRC sender without echo-message.
    h.send("irc", "PRIVMSG #lobby :hello from irc");
    assert_eq!(h.take("irc"), Vec::<String>::new());
    let ts = h.now.0;
    assert_eq!(
        h.take("bob"),
        vec![format!("MSG {ts} carol hello from irc")]
    );
    h.send("bob", "hello from chat/1");
    assert_eq!(
        h.take("irc"),
        vec![":bob!bob@chat PRIVMSG #lobby :hello from chat/1"]
    );
    h.take("bob");

    // Private messages both ways; 401 for nobody.
    h.send("irc", "PRIVMSG bob :psst");
    assert_eq!(h.take("bob"), vec![format!("PM {ts} carol psst")]);
    h.send("bob", "/msg carol back at you");
    assert_eq!(
        h.take("irc"),
        vec![":bob!bob@chat PRIVMSG carol :back at you"]
    );
    h.send("irc", "PRIVMSG nobody :hi");
    assert_eq!(
        h.take("irc"),
        vec![":chat 401 carol nobody :No such nick/channel"]
    );

    // Away: 306, 301 to whoever writes, lines held and replayed, 305.
    h.send("irc", "AWAY :lunch");
    assert_eq!(
        h.take("irc"),
        vec![":chat 306 carol :You have been marked as being away"]
    );
    h.send("bob", "/msg carol are you there");
    assert!(has(&h.take("bob"), "OK sent carol"));
    assert_eq!(
        h.take("irc"),
        vec![":bob!bob@chat PRIVMSG carol :are you there"]
    );
    h.send("bob", "while you were out");
    assert_eq!(h.take("irc"), Vec::<String>::new());
    h.send("irc", "AWAY");
    assert_eq!(
        h.take("irc"),
        vec![
            ":chat 305 carol :You are no longer marked as being away",
            ":bob!bob@chat PRIVMSG #lobby :while you were out",
        ]
    );
    h.send("bob", "/busy");
    h.take("bob");
    h.send("irc", "PRIVMSG bob :ping?");
    assert_eq!(h.take("irc"), vec![":chat 301 carol bob :is away (busy)"]);

    // The IRC user quits; chat/1 sees the leave.
    h.send("bob", "/free");
    h.take("bob");
    h.send("irc", "QUIT :bye");
    assert_eq!(h.take("irc"), vec!["ERROR :Closing link: quit"]);
    assert!(h.closed("irc").is_some());
    assert!(has(&h.take("bob"), "LEAVE "));
}

#[test]
fn echo_message_returns_the_senders_own_lines() {
    let mut h = Harness::new();
    h.register("x", "alice");
    h.send("x", "/quit");
    h.connect_irc("irc");
    h.send("irc", "CAP LS 302");
    h.send("irc", "CAP REQ :echo-message");
    h.send("irc", "NICK alice");
    h.send("irc", "USER a 0 * :A");
    h.send("irc", &format!("PASS alice:{PW}"));
    h.send("irc", "CAP END");
    let lines = h.take("irc");
    assert!(has(&lines, ":chat 001 alice "), "{lines:?}");
    h.send("irc", "PRIVMSG #lobby :me too");
    assert_eq!(
        h.take("irc"),
        vec![":alice!alice@chat PRIVMSG #lobby :me too"]
    );
}

#[test]
fn an_irc_line_leaves_its_sender_out_of_the_shared_list() {
    // The runtime joins a turn's broadcasts with the same list into one
    // frame: an IRC sender is left out of the room's list, not copied out.
    let mut h = Harness::new();
    for (label, name) in [("x", "alice"), ("y", "bob")] {
        h.register(label, name);
        h.send(label, "/quit");
    }
    for (label, name) in [("ia", "alice"), ("ib", "bob")] {
        h.connect_irc(label);
        h.send(label, &format!("PASS {name}:{PW}"));
        h.send(label, &format!("NICK {name}"));
        h.send(label, &format!("USER {name} 0 * :{name}"));
        let lines = h.take(label);
        assert!(has(&lines, &format!(":chat 001 {name} ")), "{lines:?}");
    }
    let from_a = h.broadcast_list("ia", "PRIVMSG #lobby :one");
    let from_b = h.broadcast_list("ib", "PRIVMSG #lobby :two");
    assert!(from_a.same_list(&from_b), "one list, whoever sent");
    assert_eq!(from_a.iter().collect::<Vec<_>>(), [h.conn("ib")]);
    assert_eq!(from_b.iter().collect::<Vec<_>>(), [h.conn("ia")]);
    assert_eq!((from_a.len(), from_a.except()), (1, Some(h.conn("ia"))));
    // A busy sender is not in the free list: nobody to leave out.
    h.send("ia", "AWAY :out");
    let busy = h.broadcast_list("ia", "PRIVMSG #lobby :three");
    assert_eq!(busy.except(), None);
    assert_eq!(busy.iter().collect::<Vec<_>>(), [h.conn("ib")]);
}

#[test]
fn queries_clients_send_on_join_are_answered() {
    let mut h = Harness::with_admins(&["root"]);
    h.register("bob", "bob");
    h.connect_irc("op");
    h.send("op", "NICK root");
    h.send("op", &format!("PASS {PW}"));
    h.send("op", "USER root 0 * :Root");
    let lines = h.take("op");
    assert!(
        has(&lines, ":chat 353 root = #lobby :bob @root"),
        "{lines:?}"
    );
    h.send("op", "MODE #lobby");
    assert_eq!(h.take("op"), vec![":chat 324 root #lobby +nt"]);
    h.send("op", "WHO #lobby");
    assert_eq!(
        h.take("op"),
        vec![
            ":chat 352 root #lobby bob chat chat bob H :0 bob",
            ":chat 352 root #lobby root chat chat root H@ :0 root",
            ":chat 315 root #lobby :End of WHO list",
        ]
    );
    h.send("op", "MODE #lobby b");
    assert_eq!(
        h.take("op"),
        vec![":chat 368 root #lobby :End of channel ban list"]
    );
    h.send("op", "USERHOST root");
    assert_eq!(h.take("op"), vec![":chat 302 root :root=+root@chat"]);
    h.send("op", "JOIN #lobby");
    assert_eq!(h.take("op"), Vec::<String>::new());
    h.send("op", "JOIN #elsewhere");
    assert_eq!(
        h.take("op"),
        vec![":chat 403 root #elsewhere :No such channel"]
    );
    h.send("op", "PING :token-1");
    assert_eq!(h.take("op"), vec![":chat PONG chat :token-1"]);
}

#[test]
fn operators_grant_kick_and_unban() {
    let mut h = Harness::with_admins(&["root"]);
    h.register("bob", "bob");
    h.connect_irc("op");
    h.send("op", &format!("PASS root:{PW}"));
    h.send("op", "NICK root");
    h.send("op", "USER root 0 * :Root");
    h.take("op");
    h.take("bob");
    h.send("op", "MODE #lobby +o bob");
    assert_eq!(h.take("op"), vec![":root!root@chat MODE #lobby +o bob"]);
    assert!(has(&h.take("bob"), "CTL grant 0"));
    h.send("op", "MODE #lobby -o bob");
    assert_eq!(h.take("op"), vec![":root!root@chat MODE #lobby -o bob"]);
    h.take("bob");
    h.send("op", "KICK #lobby bob :behave");
    assert_eq!(h.take("op"), vec![":chat KICK #lobby bob :kicked"]);
    assert!(has(&h.take("bob"), "CTL kick root behave"));
    h.send("op", "MODE #lobby b");
    let bans = h.take("op");
    assert!(
        bans[0].starts_with(":chat 367 root #lobby bob!*@* root "),
        "{bans:?}"
    );
    assert_eq!(bans[1], ":chat 368 root #lobby :End of channel ban list");
    h.send("op", "MODE #lobby -b bob!*@*");
    assert_eq!(h.take("op"), vec![":root!root@chat MODE #lobby -b bob!*@*"]);
    h.send("op", "MODE #lobby b");
    assert_eq!(
        h.take("op"),
        vec![":chat 368 root #lobby :End of channel ban list"]
    );
}

#[test]
fn an_irc_user_is_kicked_by_a_chat1_admin() {
    let mut h = Harness::with_admins(&["root"]);
    h.register("root", "root");
    h.register("x", "dave");
    h.send("x", "/quit");
    h.connect_irc("irc");
    h.send("irc", "NICK dave");
    h.send("irc", "USER dave 0 * :Dave");
    h.send("irc", &format!("PRIVMSG NickServ :IDENTIFY {PW}"));
    assert!(has(&h.take("irc"), ":dave!dave@chat JOIN #lobby"));
    h.send("irc", "KICK #lobby root");
    assert_eq!(
        h.take("irc"),
        vec![":chat 482 dave #lobby :You're not channel operator"]
    );
    h.send("root", "/kickuser dave spam");
    assert_eq!(
        h.take("irc"),
        vec![
            ":root!root@chat KICK #lobby dave :spam",
            "ERROR :Closing link: kicked by root (spam)",
        ]
    );
    assert!(h.closed("irc").is_some());
    // Banned: the next login fails the way it was asked.
    h.connect_irc("again");
    h.send("again", "CAP LS 302");
    h.send("again", "NICK dave");
    h.send("again", "USER dave 0 * :Dave");
    h.send("again", "AUTHENTICATE PLAIN");
    h.send("again", "AUTHENTICATE AGRhdmUAcGFzc3dvcmQtMQ==");
    let lines = h.take("again");
    assert!(
        has(&lines, ":chat 904 dave :SASL authentication failed"),
        "{lines:?}"
    );
}

#[test]
fn bad_input_gets_irc_errors_never_a_panic() {
    let mut h = Harness::new();
    h.connect_irc("irc");
    h.send("irc", "JOIN :");
    assert_eq!(h.take("irc"), vec![":chat 451 * :You have not registered"]);
    h.send("irc", "NICK 9lives");
    assert_eq!(
        h.take("irc"),
        vec![":chat 432 * 9lives :Erroneous nickname"]
    );
    h.send("irc", "NICK");
    assert_eq!(h.take("irc"), vec![":chat 431 * :No nickname given"]);
    h.send("irc", "USER x");
    assert_eq!(
        h.take("irc"),
        vec![":chat 461 * USER :Not enough parameters"]
    );
    h.send("irc", &format!("PRIVMSG #lobby :{}", "x".repeat(600)));
    assert_eq!(h.take("irc"), vec![":chat 417 * :Input line was too long"]);
    h.send("irc", "AUTHENTICATE SCRAM-SHA-256");
    assert_eq!(
        h.take("irc"),
        vec![
            ":chat 908 * PLAIN :are available SASL mechanisms",
            ":chat 904 * :SASL authentication failed",
        ]
    );
    h.send("irc", "AUTHENTICATE PLAIN");
    h.take("irc");
    h.send("irc", "AUTHENTICATE !!notbase64");
    assert_eq!(
        h.take("irc"),
        vec![":chat 904 * :SASL authentication failed"]
    );
    h.send_bytes("irc", b"\xff\xfe\r\n");
    let lines = h.take("irc");
    assert_eq!(lines.len(), 1, "{lines:?}");
    h.send("irc", "NICK erin");
    h.send("irc", "USER e 0 * :E");
    h.take("irc");
    h.send("irc", &format!("PRIVMSG NickServ :REGISTER {PW}"));
    h.take("irc");
    h.send("irc", "FROBNICATE now");
    assert_eq!(
        h.take("irc"),
        vec![":chat 421 erin FROBNICATE :Unknown command"]
    );
    h.send("irc", "PRIVMSG");
    assert_eq!(
        h.take("irc"),
        vec![":chat 461 erin PRIVMSG :Not enough parameters"]
    );
    h.send("irc", "NICK other");
    assert!(has(&h.take("irc"), ":chat 447 erin "));
    h.send("irc", "RESTART");
    assert_eq!(
        h.take("irc"),
        vec![":chat 482 erin #lobby :You're not channel operator"]
    );
}

#[test]
fn shutdown_reaches_irc_users_as_a_notice_and_error() {
    let mut h = Harness::new();
    h.register("bob", "bob");
    h.connect_irc("irc");
    h.send("irc", "NICK erin");
    h.send("irc", "USER e 0 * :E");
    h.send("irc", &format!("PRIVMSG NickServ :REGISTER {PW}"));
    h.take("irc");
    h.input(chat_core::Input::Shutdown);
    assert_eq!(
        h.take("irc"),
        vec![
            ":chat NOTICE #lobby :Server shutting down",
            "ERROR :Closing link: Server shutting down",
        ]
    );
    assert!(has(&h.take("bob"), "CTL shutdown"));
}

#[test]
fn a_user_line_after_a_sasl_login_is_welcome_once() {
    let mut h = Harness::new();
    h.register("c", "alice");
    h.send("c", "/quit");
    h.connect_irc("irc");
    h.send("irc", "CAP LS 302");
    h.send("irc", "NICK alice");
    h.send("irc", "CAP REQ :sasl");
    h.send("irc", "AUTHENTICATE PLAIN");
    h.send("irc", &format!("AUTHENTICATE {ALICE_PLAIN}"));
    assert!(has(&h.take("irc"), ":chat 001 alice "));
    h.send("irc", "CAP END");
    h.send("irc", "USER alice 0 * :Alice");
    assert_eq!(h.take("irc"), Vec::<String>::new());
    h.send("irc", "USER alice 0 * :Alice");
    assert_eq!(
        h.take("irc"),
        vec![":chat 462 alice :You may not reregister"]
    );
}
