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
        vec![":chat CAP * LS :sasl=PLAIN multi-prefix echo-message cap-notify server-time message-tags away-notify userhost-in-names account-tag extended-join batch draft/chathistory labeled-response"]
    );
    h.send(label, "CAP REQ :sasl multi-prefix");
    assert_eq!(
        h.take(label),
        vec![":chat CAP alice ACK :sasl multi-prefix"]
    );
    h.send(label, "AUTHENTICATE PLAIN");
    assert_eq!(h.take(label), vec!["AUTHENTICATE +"]);
    h.send(label, &format!("AUTHENTICATE {ALICE_PLAIN}"));
    // Logged in, but not greeted before registration is complete.
    assert_eq!(
        h.take(label),
        vec![
            ":chat 900 alice alice!alice@chat alice :You are now logged in as alice",
            ":chat 903 alice :SASL authentication successful",
        ]
    );
    h.send(label, "CAP END");
    h.take(label)
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
        lines[0],
        ":chat 001 alice :Welcome to the chat network, alice"
    );
    let isupport = lines.iter().find(|l| l.starts_with(":chat 005 ")).unwrap();
    for token in [
        "CASEMAPPING=ascii",
        "CHANTYPES=#",
        "NICKLEN=32",
        "PREFIX=(ov)@+",
        "NETWORK=chat",
        "UTF8ONLY",
    ] {
        assert!(isupport.contains(token), "{isupport}");
    }
    assert!(isupport.contains("WHOX"));
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
    // The mask carries USER's user name.
    assert_eq!(h.take("irc"), vec![":alice!a@chat PRIVMSG #lobby :me too"]);
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
            ":chat 352 root #lobby root chat chat root H*@ :0 Root",
            ":chat 315 root #lobby :End of WHO list",
        ]
    );
    h.send("op", "MODE #lobby b");
    assert_eq!(
        h.take("op"),
        vec![":chat 368 root #lobby :End of channel ban list"]
    );
    h.send("op", "USERHOST root");
    // An admin is an IRC operator: `*`.
    assert_eq!(h.take("op"), vec![":chat 302 root :root*=+root@chat"]);
    h.send("op", "JOIN #lobby");
    assert_eq!(h.take("op"), Vec::<String>::new());
    h.send("op", "JOIN elsewhere");
    assert_eq!(
        h.take("op"),
        vec![":chat 403 root elsewhere :No such channel"]
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
    // The room sees the kick with its actor and reason; chat/1's line is
    // unchanged.
    assert_eq!(
        h.take("op"),
        vec![":root!root@chat KICK #lobby bob :behave"]
    );
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
    // A refusal without a numeric is a notice with its text, made from
    // the typed refusal (never chat/1's `ERR` line cut apart).
    h.send_bytes("irc", b"\xff\xfe\r\n");
    assert_eq!(
        h.take("irc"),
        vec![":chat FAIL * INVALID_UTF8 :Line is not valid UTF-8; it was dropped"]
    );
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
        vec![":chat 411 erin :No recipient given (PRIVMSG)"]
    );
    h.send("irc", "NICK other");
    assert!(has(&h.take("irc"), ":chat 447 erin "));
    h.send("irc", "PRIVMSG #lobby :a\u{7}b");
    assert_eq!(
        h.take("irc"),
        vec![":chat NOTICE erin :no control or invisible formatting characters in messages"]
    );
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
    assert!(has(&h.take("irc"), ":chat 903 alice "));
    // Not greeted before registration is complete: CAP END, then USER.
    h.send("irc", "CAP END");
    assert_eq!(h.take("irc"), Vec::<String>::new());
    h.send("irc", "USER alice 0 * :Alice");
    assert!(has(&h.take("irc"), ":chat 001 alice "));
    h.send("irc", "USER alice 0 * :Alice");
    assert_eq!(
        h.take("irc"),
        vec![":chat 462 alice :You may not reregister"]
    );
}

/// An IRC client that asks for `caps` (if any), then logs in as `nick`
/// (an existing account, password [`PW`]) with `PASS`; its greeting is
/// taken.
fn irc_login(h: &mut Harness, label: &str, nick: &str, caps: &str) {
    h.connect_irc(label);
    if !caps.is_empty() {
        h.send(label, "CAP LS 302");
        h.send(label, &format!("CAP REQ :{caps}"));
    }
    h.send(label, &format!("PASS {nick}:{PW}"));
    h.send(label, &format!("NICK {nick}"));
    h.send(label, &format!("USER {nick} 0 * :{nick}"));
    if !caps.is_empty() {
        h.send(label, "CAP END");
    }
    let lines = h.take(label);
    let join = format!(":{nick}!{nick}@chat JOIN #lobby");
    assert!(lines.iter().any(|l| l.ends_with(&join)), "{lines:?}");
}

/// Accounts `names` exist (registered over chat/1, then gone).
fn accounts(h: &mut Harness, names: &[&str]) {
    for name in names {
        h.register("tmp", name);
        h.send("tmp", "/quit");
    }
}

#[test]
fn server_time_tags_room_lines_and_private_messages_with_the_event_time() {
    let mut h = Harness::new();
    accounts(&mut h, &["carol", "dave"]);
    h.register("bob", "bob");
    irc_login(&mut h, "tagged", "carol", "server-time");
    irc_login(&mut h, "plain", "dave", "");
    h.take("bob");
    h.take("tagged");
    // The harness clock starts at 1 000 000 ms after the epoch.
    h.send("bob", "hi all");
    assert_eq!(
        h.take("tagged"),
        vec!["@time=1970-01-01T00:16:40.000Z :bob!bob@chat PRIVMSG #lobby :hi all"]
    );
    assert_eq!(
        h.take("plain"),
        vec![":bob!bob@chat PRIVMSG #lobby :hi all"]
    );
    h.send("bob", "/msg carol psst");
    assert_eq!(
        h.take("tagged"),
        vec!["@time=1970-01-01T00:16:40.000Z :bob!bob@chat PRIVMSG carol :psst"]
    );
    // Client tags are read past, TAGMSG is taken quietly.
    h.send("tagged", "@+draft/typing=active TAGMSG #lobby");
    h.send("tagged", "@+example=1 PRIVMSG #lobby :tagged hello");
    assert_eq!(h.take("tagged"), Vec::<String>::new());
    assert!(has(&h.take("bob"), "MSG 1000000 carol tagged hello"));

    // Held lines keep the time they were said, replayed later.
    h.send("tagged", "AWAY :lunch");
    assert_eq!(
        h.take("tagged"),
        vec![":chat 306 carol :You have been marked as being away"]
    );
    h.advance(std::time::Duration::from_millis(1_500));
    h.send("bob", "while you were out");
    h.advance(std::time::Duration::from_secs(60));
    h.send("tagged", "AWAY");
    let lines = h.take("tagged");
    assert!(
        lines.contains(
            &"@time=1970-01-01T00:16:41.500Z :bob!bob@chat PRIVMSG #lobby :while you were out"
                .to_string()
        ),
        "{lines:?}"
    );

    // Asked for after login: the member moves to the tagged rendering.
    h.take("plain");
    h.send("plain", "CAP REQ :server-time");
    assert_eq!(h.take("plain"), vec![":chat CAP dave ACK :server-time"]);
    h.send("bob", "now tagged");
    assert_eq!(
        h.take("plain"),
        vec!["@time=1970-01-01T00:17:41.500Z :bob!bob@chat PRIVMSG #lobby :now tagged"]
    );
    h.send("plain", "CAP LIST");
    assert_eq!(h.take("plain"), vec![":chat CAP dave LIST :server-time"]);
}

#[test]
fn away_notify_shows_others_going_busy_and_free_to_those_who_asked() {
    let mut h = Harness::new();
    accounts(&mut h, &["carol", "dave", "erin"]);
    h.register("bob", "bob");
    irc_login(&mut h, "carol", "carol", "away-notify");
    irc_login(&mut h, "both", "erin", "away-notify server-time");
    irc_login(&mut h, "dave", "dave", "");
    h.take("carol");
    h.take("both");
    h.take("bob");
    h.send("dave", "AWAY :lunch");
    assert_eq!(
        h.take("dave"),
        vec![":chat 306 dave :You have been marked as being away"]
    );
    assert_eq!(h.take("carol"), vec![":dave!dave@chat AWAY :lunch"]);
    assert_eq!(
        h.take("both"),
        vec!["@time=1970-01-01T00:16:40.000Z :dave!dave@chat AWAY :lunch"]
    );
    // chat/1 has no such line.
    assert_eq!(h.take("bob"), Vec::<String>::new());
    // Away with another message: told again; with the same, not.
    h.send("dave", "AWAY :still");
    h.take("dave");
    assert_eq!(h.take("carol"), vec![":dave!dave@chat AWAY :still"]);
    h.send("dave", "AWAY :still");
    h.take("dave");
    assert_eq!(h.take("carol"), Vec::<String>::new());
    h.send("bob", "/busy");
    assert_eq!(h.take("bob"), vec!["CTL busy"]);
    assert_eq!(h.take("carol"), vec![":bob!bob@chat AWAY :busy"]);
    h.send("dave", "AWAY");
    assert!(has(&h.take("dave"), ":chat 305 dave "));
    assert_eq!(h.take("carol"), vec![":dave!dave@chat AWAY"]);
    // bob is busy: he holds nothing for an away change (chat/1 shows none).
    h.send("bob", "/free");
    assert_eq!(h.take("bob"), vec!["CTL free", "END held 0 0"]);
    assert_eq!(h.take("carol"), vec![":bob!bob@chat AWAY"]);
}

/// An IRC client that registers as `nick` without logging in (a guest,
/// when the server takes them); what it heard is returned.
fn register_as_guest(h: &mut Harness, label: &str, nick: &str) -> Vec<String> {
    h.connect_irc(label);
    h.send(label, &format!("NICK {nick}"));
    h.send(label, &format!("USER {nick} 0 * :{nick}"));
    h.take(label)
}

fn guest_harness() -> Harness {
    let mut config = harness::unlimited();
    config.irc_guests = true;
    config.admins = vec!["root".into()];
    Harness::with(config, harness::admin_snapshot(&["root"]))
}

#[test]
fn guests_chat_under_a_free_nick_and_leave_nothing_behind() {
    let mut h = guest_harness();
    h.register("bob", "bob");
    h.take("bob");
    let lines = register_as_guest(&mut h, "g", "visitor");
    assert!(has(&lines, ":chat 001 visitor "), "{lines:?}");
    assert!(
        !has(&lines, ":chat 900 "),
        "a guest is not logged in: {lines:?}"
    );
    assert!(has(&lines, ":visitor!visitor@chat JOIN #lobby"));
    assert!(has(&lines, ":chat 353 visitor = #lobby :bob visitor"));
    assert!(has(&h.take("bob"), "JOIN 1000000 visitor"));
    // In the room like anyone; chat/1 lists it with the presence word guest.
    h.send("g", "PRIVMSG #lobby :hello from outside");
    assert!(has(
        &h.take("bob"),
        "MSG 1000000 visitor hello from outside"
    ));
    h.send("bob", "/viewusers");
    let rows = h.take("bob");
    assert!(
        rows.contains(&"USER visitor 1 guest".to_string()),
        "{rows:?}"
    );
    h.send("g", "AWAY :brb");
    h.take("g");
    h.send("bob", "/viewusers");
    assert!(h
        .take("bob")
        .contains(&"USER visitor 1 guest-busy".to_string()));
    h.send("g", "AWAY");
    h.take("g");
    h.send("bob", "/msg visitor hi guest");
    assert_eq!(h.take("g"), vec![":bob!bob@chat PRIVMSG visitor :hi guest"]);
    // No account, no password, never an operator.
    h.send("g", "PRIVMSG NickServ :SET PASSWORD a b");
    assert!(has(&h.take("g"), ":chat NOTICE visitor :"));
    h.connect("reg");
    h.send("reg", &format!("/register visitor {PW}"));
    assert!(has(&h.take("reg"), "ERR name-taken"));
    irc_login(&mut h, "op", "root", "");
    h.send("op", "MODE #lobby +o visitor");
    assert_eq!(
        h.take("op"),
        vec![":chat 401 root visitor :No such nick/channel"]
    );
    h.send("g", "QUIT");
    assert!(h.closed("g").is_some());
    assert!(h.engine.account(&harness::user("visitor")).is_none());
    // What it said stays in the room's history, like anyone's lines;
    // nothing else of it is stored.
    assert!(h
        .persisted
        .iter()
        .filter(|c| !matches!(c, chat_core::StoreChange::AppendLine { .. }))
        .all(|c| !format!("{c:?}").contains("visitor")));
    // Nor its private messages: whoever registers the name next does not
    // inherit its conversations.
    assert!(!h.persisted.iter().any(|c| matches!(
        c,
        chat_core::StoreChange::AppendLine {
            conversation: chat_core::Conversation::Private(..),
            ..
        }
    )));
    h.connect("heir");
    h.send("heir", &format!("/register visitor {PW}"));
    h.take("heir");
    h.send("heir", "/history @bob");
    let page = h.take("heir");
    assert!(!has(&page, "hi guest"), "{page:?}");
    assert!(has(&page, "END history 0"), "{page:?}");
}

#[test]
fn a_guest_nick_that_is_an_account_or_reserved_is_refused_then_another_works() {
    let mut h = guest_harness();
    h.register("bob", "bob");
    let lines = register_as_guest(&mut h, "g", "bob");
    assert!(has(&lines, ":chat 001 bob "), "{lines:?}");
    assert!(
        has(&lines, ":chat 433 bob bob :Nickname is already in use"),
        "{lines:?}"
    );
    assert!(!has(&lines, ":bob!bob@chat JOIN"), "{lines:?}");
    h.send("g", "NICK root");
    let lines = h.take("g");
    assert!(
        has(&lines, ":chat 432 root root :Erroneous nickname"),
        "{lines:?}"
    );
    h.send("g", "PRIVMSG #lobby :let me in");
    assert!(has(
        &h.take("g"),
        ":NickServ!NickServ@chat NOTICE root :Log in first"
    ));
    h.send("g", "NICK bob2");
    let lines = h.take("g");
    assert!(has(&lines, ":root!bob@chat NICK :bob2"), "{lines:?}");
    assert!(has(&lines, ":bob2!bob@chat JOIN #lobby"), "{lines:?}");
    // Two guests cannot share a nick: the second is not registered until
    // it picks another (as IRC does for a nick in use).
    assert_eq!(
        register_as_guest(&mut h, "g2", "bob2"),
        vec![":chat 433 * bob2 :Nickname is already in use"]
    );
    h.send("g2", "NICK bob3");
    let lines = h.take("g2");
    assert!(has(&lines, ":chat 001 bob3 "), "{lines:?}");
    // Off by default: no guests, the NickServ hint instead.
    let mut plain = Harness::new();
    plain.connect_irc("g");
    plain.send("g", "NICK visitor");
    plain.send("g", "USER v 0 * :V");
    let lines = plain.take("g");
    assert!(!has(&lines, ":visitor!visitor@chat JOIN"), "{lines:?}");
    assert!(has(
        &lines,
        ":NickServ!NickServ@chat NOTICE visitor :Your nick is your account"
    ));
}

#[test]
fn an_admin_kicks_a_guest_and_the_room_sees_who_and_why() {
    let mut h = guest_harness();
    h.register("bob", "bob");
    register_as_guest(&mut h, "g", "visitor");
    h.login("root", "root", PW);
    h.take("bob");
    h.take("g");
    h.send("root", "/kickuser visitor spam");
    assert!(has(&h.take("root"), "OK kicked visitor"));
    assert_eq!(
        h.take("g"),
        vec![
            ":root!root@chat KICK #lobby visitor :spam",
            "ERROR :Closing link: kicked by root (spam)",
        ]
    );
    assert!(h.closed("g").is_some());
    assert!(has(&h.take("bob"), "LEAVE 1000000 visitor kicked"));
    // No kick-list entry: there is no account to ban.
    h.send("root", "/viewkickusers");
    assert_eq!(h.take("root"), vec!["END kicked 0 0"]);
}

#[test]
fn kicks_and_grants_reach_other_members_with_the_admin_and_reason() {
    let mut h = Harness::with_admins(&["root"]);
    h.register("root", "root");
    accounts(&mut h, &["bob", "carol"]);
    h.register("watcher", "wendy");
    irc_login(&mut h, "bob", "bob", "");
    irc_login(&mut h, "carol", "carol", "server-time");
    h.take("bob");
    h.take("watcher");
    h.take("root");
    h.send("root", "/changegrant bob 0");
    assert!(has(&h.take("root"), "OK grant bob 0"));
    assert_eq!(
        h.take("carol"),
        vec!["@time=1970-01-01T00:16:40.000Z :root!root@chat MODE #lobby +o bob"]
    );
    assert_eq!(
        h.take("bob"),
        vec![
            ":root!root@chat MODE #lobby +o bob",
            ":chat 381 bob :You are now an IRC operator",
        ]
    );
    // chat/1 bystanders see nothing new for a grant.
    assert_eq!(h.take("watcher"), Vec::<String>::new());
    h.send("root", "/changegrant bob 1");
    h.take("root");
    assert_eq!(h.take("bob"), vec![":root!root@chat MODE #lobby -o bob"]);
    h.take("carol");
    h.send("root", "/kickuser bob too loud");
    assert_eq!(
        h.take("carol"),
        vec!["@time=1970-01-01T00:16:40.000Z :root!root@chat KICK #lobby bob :too loud"]
    );
    // chat/1's line is as it always was.
    assert_eq!(h.take("watcher"), vec!["LEAVE 1000000 bob kicked"]);
    assert!(h.closed("bob").is_some());
}

#[test]
fn idle_irc_connections_are_pinged_and_dropped_without_an_answer() {
    let mut config = harness::unlimited();
    config.limits.irc_ping_interval_ms = 10_000;
    config.limits.irc_ping_timeout_ms = 5_000;
    let mut h = Harness::with(config, chat_core::StoreSnapshot::default());
    accounts(&mut h, &["carol", "dave"]);
    h.register("bob", "bob");
    irc_login(&mut h, "carol", "carol", "");
    irc_login(&mut h, "dave", "dave", "");
    h.take("bob");
    h.take("carol");
    // carol talks every few seconds, so only dave is ever idle.
    let step = |h: &mut Harness, secs: u64| {
        h.advance(std::time::Duration::from_secs(secs));
        h.send("carol", "PONG :still here");
    };
    step(&mut h, 5);
    assert_eq!(h.take("dave"), Vec::<String>::new());
    step(&mut h, 5);
    assert_eq!(h.take("dave"), vec!["PING :1010000"]);
    // Any line answers it; the next ping comes an interval after it.
    step(&mut h, 4);
    h.send("dave", "PONG :1010000");
    step(&mut h, 5);
    assert_eq!(h.take("dave"), Vec::<String>::new());
    step(&mut h, 5);
    assert_eq!(h.take("dave"), vec!["PING :1024000"]);
    step(&mut h, 4);
    assert!(h.closed("dave").is_none());
    step(&mut h, 1);
    assert_eq!(
        h.take("dave"),
        vec!["ERROR :Closing Link: dave (Ping timeout)"]
    );
    assert!(h.closed("dave").is_some());
    assert_eq!(h.take("carol"), vec![":dave!dave@chat QUIT :Ping timeout"]);
    assert!(h.closed("carol").is_none());
    // chat/1 is never pinged; it sees the leave with reason timeout.
    assert_eq!(h.take("bob"), vec!["LEAVE 1029000 dave timeout"]);
    h.advance(std::time::Duration::from_secs(60));
    assert!(h.closed("bob").is_none());
    // carol stopped talking: pinged, then dropped.
    assert_eq!(h.take("carol"), vec!["PING :1089000"]);
}

#[test]
fn rooms_are_channels_joined_listed_and_talked_in_beside_chat1() {
    let mut h = Harness::new();
    accounts(&mut h, &["carol"]);
    h.register("bob", "bob");
    irc_login(&mut h, "irc", "carol", "");
    h.take("bob");
    // JOIN creates a room that does not exist; the creator is its operator.
    h.send("irc", "JOIN #rust");
    assert_eq!(
        h.take("irc"),
        vec![
            ":carol!carol@chat JOIN #rust",
            ":chat 353 carol = #rust :@carol",
            ":chat 366 carol #rust :End of /NAMES list",
        ]
    );
    h.send("bob", "/join rust");
    h.take("bob");
    assert_eq!(h.take("irc"), vec![":bob!bob@chat JOIN #rust"]);
    h.send("bob", "/say rust hello");
    h.take("bob");
    assert_eq!(h.take("irc"), vec![":bob!bob@chat PRIVMSG #rust :hello"]);
    h.send("irc", "PRIVMSG #rust :hi bob");
    assert_eq!(h.take("bob"), vec!["RMSG rust 1000000 carol hi bob"]);
    assert!(h.take("irc").is_empty(), "no echo-message, no echo");
    // The topic: set by the operator, seen as TOPIC; asked for as 332/333.
    h.send("irc", "TOPIC #rust :Rust talk");
    assert_eq!(
        h.take("irc"),
        vec![":carol!carol@chat TOPIC #rust :Rust talk"]
    );
    assert_eq!(h.take("bob"), vec!["TOPIC rust 1000000 carol Rust talk"]);
    h.send("irc", "TOPIC #rust");
    assert_eq!(
        h.take("irc"),
        vec![
            ":chat 332 carol #rust :Rust talk",
            ":chat 333 carol #rust carol 1000",
        ]
    );
    h.send("irc", "LIST");
    assert_eq!(
        h.take("irc"),
        vec![
            ":chat 321 carol Channel :Users  Name",
            ":chat 322 carol #rust 2 :Rust talk",
            ":chat 323 carol :End of /LIST",
        ]
    );
    // The lobby, where everyone is, only when asked for; a channel that
    // is not there, nothing.
    h.send("irc", "LIST #lobby,#nope");
    assert_eq!(
        h.take("irc"),
        vec![
            ":chat 321 carol Channel :Users  Name",
            ":chat 322 carol #lobby 2 :",
            ":chat 323 carol :End of /LIST",
        ]
    );
    h.send("irc", "NAMES #rust");
    assert_eq!(
        h.take("irc"),
        vec![
            ":chat 353 carol = #rust :bob @carol",
            ":chat 366 carol #rust :End of /NAMES list",
        ]
    );
    // NAMES of no room is its end alone; the next one is the lobby's.
    h.send("irc", "NAMES #nope");
    assert_eq!(
        h.take("irc"),
        vec![":chat 366 carol #nope :End of /NAMES list"]
    );
    h.send("irc", "NAMES");
    assert_eq!(
        h.take("irc"),
        vec![
            ":chat 353 carol = #lobby :bob carol",
            ":chat 366 carol #lobby :End of /NAMES list",
        ]
    );
    // The operator removes bob from the room (not from the server).
    h.send("irc", "KICK #rust bob :off topic");
    assert_eq!(
        h.take("irc"),
        vec![":carol!carol@chat KICK #rust bob :off topic"]
    );
    assert!(has(&h.take("bob"), "CTL removed rust carol"));
    h.send("bob", "/join rust");
    h.take("bob");
    h.take("irc");
    h.send("bob", "/part rust");
    h.take("bob");
    assert_eq!(h.take("irc"), vec![":bob!bob@chat PART #rust"]);
    h.send("irc", "PART #rust");
    assert_eq!(h.take("irc"), vec![":carol!carol@chat PART #rust"]);
    h.send("irc", "PRIVMSG #rust :anyone?");
    assert_eq!(
        h.take("irc"),
        vec![":chat 442 carol #rust :You're not on that channel"]
    );
    h.send("irc", "PART #lobby");
    assert_eq!(
        h.take("irc"),
        vec![":chat 442 carol #lobby :Everyone is in #lobby; QUIT to leave"]
    );
}

#[test]
fn joining_replays_history_tagged_with_its_time_when_asked() {
    let mut h = Harness::new();
    accounts(&mut h, &["carol", "dave"]);
    h.register("bob", "bob");
    h.send("bob", "/create news");
    h.send("bob", "/say news first");
    h.advance(std::time::Duration::from_secs(60));
    h.send("bob", "/say news second");
    h.take("bob");
    irc_login(&mut h, "tagged", "carol", "server-time");
    irc_login(&mut h, "plain", "dave", "");
    h.take("tagged");
    h.take("bob");
    h.send("tagged", "JOIN #news");
    assert_eq!(
        h.take("tagged"),
        vec![
            ":carol!carol@chat JOIN #news",
            ":chat 353 carol = #news :@bob carol",
            ":chat 366 carol #news :End of /NAMES list",
            "@time=1970-01-01T00:16:40.000Z :bob!bob@chat PRIVMSG #news :first",
            "@time=1970-01-01T00:17:40.000Z :bob!bob@chat PRIVMSG #news :second",
        ]
    );
    assert_eq!(h.take("bob"), vec!["RJOIN news 1060000 carol"]);
    h.send("plain", "JOIN #news");
    let lines = h.take("plain");
    assert_eq!(
        lines[3..],
        [
            ":bob!bob@chat PRIVMSG #news :first",
            ":bob!bob@chat PRIVMSG #news :second",
        ]
    );
    assert_eq!(
        h.take("tagged"),
        vec!["@time=1970-01-01T00:17:40.000Z :dave!dave@chat JOIN #news"]
    );
}

#[test]
fn several_channels_in_one_join_and_room_operators_only_kick() {
    let mut h = Harness::new();
    accounts(&mut h, &["carol", "dave"]);
    irc_login(&mut h, "carol", "carol", "");
    irc_login(&mut h, "dave", "dave", "");
    h.take("carol");
    // One command a channel: both rooms created, the lobby passed over.
    h.send("carol", "JOIN #lobby,#one,#two");
    let lines = h.take("carol");
    assert!(has(&lines, ":carol!carol@chat JOIN #one"), "{lines:?}");
    assert!(has(&lines, ":carol!carol@chat JOIN #two"), "{lines:?}");
    h.send("dave", "JOIN #one,#two");
    let lines = h.take("dave");
    assert!(has(&lines, ":dave!dave@chat JOIN #one"), "{lines:?}");
    assert!(has(&lines, ":dave!dave@chat JOIN #two"), "{lines:?}");
    h.take("carol");
    h.send("dave", "KICK #one carol");
    assert_eq!(
        h.take("dave"),
        vec![":chat 482 dave #one :You're not channel operator"]
    );
    h.send("dave", "JOIN #two");
    assert!(h.take("dave").is_empty(), "joining again is no error");
    h.send("carol", "KICK #two dave :bye");
    assert_eq!(
        h.take("dave"),
        vec![":carol!carol@chat KICK #two dave :bye"]
    );
    assert_eq!(
        h.take("carol"),
        vec![":carol!carol@chat KICK #two dave :bye"]
    );
    h.send("carol", "KICK #two dave");
    assert_eq!(
        h.take("carol"),
        vec![":chat 441 carol dave #two :They aren't on that channel"]
    );
    // dave leaves the server: the lobby's QUIT takes him out of #one.
    h.send("dave", "QUIT");
    assert_eq!(h.take("carol"), vec![":dave!dave@chat QUIT :Quit"]);
}

// ---- conformance: one transcript per item fixed ---------------------------

/// A server that takes guests and lets them make rooms, as an open IRC
/// server does.
fn open_harness() -> Harness {
    let mut config = harness::unlimited();
    config.irc_guests = true;
    config.irc_guest_rooms = true;
    config.admins = vec!["root".into()];
    Harness::with(config, harness::admin_snapshot(&["root"]))
}

/// A guest registered as `nick` (USER `user`, real name `real`), its
/// greeting taken.
fn guest(h: &mut Harness, label: &str, nick: &str, user: &str, real: &str) {
    h.connect_irc(label);
    h.send(label, &format!("NICK {nick}"));
    h.send(label, &format!("USER {user} 0 * :{real}"));
    let lines = h.take(label);
    assert!(has(&lines, &format!(":chat 001 {nick} ")), "{lines:?}");
}

/// Whether any line holds `part`.
fn holds(lines: &[String], part: &str) -> bool {
    lines.iter().any(|l| l.contains(part))
}

/// A guest's rooms count against the room limits as anyone's do while
/// they last: a guest cannot hoard rooms by joining new channels.
#[test]
fn guests_rooms_obey_the_room_limits() {
    let mut config = harness::unlimited();
    config.irc_guests = true;
    config.irc_guest_rooms = true;
    config.limits.max_rooms_per_creator = 2;
    config.limits.room_creations_per_user = 3;
    config.limits.room_creation_window_ms = 60_000;
    let mut h = Harness::with(config, harness::admin_snapshot(&["root"]));
    guest(&mut h, "foo", "foo", "foo", "Foo");
    h.send("foo", "JOIN #a,#b,#c");
    let lines = h.take("foo");
    assert!(has(&lines, ":foo!foo@chat JOIN #a"), "{lines:?}");
    assert!(has(&lines, ":foo!foo@chat JOIN #b"), "{lines:?}");
    assert!(!holds(&lines, "JOIN #c"), "{lines:?}");
    assert!(holds(&lines, "the most you may have"), "{lines:?}");
    // A room gone (its last member left) gives its place back, not its
    // place in the creation rate.
    h.send("foo", "PART #a");
    h.send("foo", "JOIN #c");
    assert!(has(&h.take("foo"), ":foo!foo@chat JOIN #c"));
    h.send("foo", "PART #c");
    h.send("foo", "JOIN #d");
    let lines = h.take("foo");
    assert!(!holds(&lines, "JOIN #d"), "{lines:?}");
    assert!(holds(&lines, "too many rooms created"), "{lines:?}");
}

#[test]
fn guests_make_rooms_that_live_while_they_have_members() {
    let mut h = open_harness();
    guest(&mut h, "foo", "foo", "foo", "Foo");
    guest(&mut h, "bar", "bar", "bar", "Bar");
    h.take("foo");
    h.send("foo", "JOIN #chan");
    assert_eq!(
        h.take("foo"),
        vec![
            ":foo!foo@chat JOIN #chan",
            ":chat 353 foo = #chan :@foo",
            ":chat 366 foo #chan :End of /NAMES list",
        ]
    );
    h.send("bar", "JOIN #chan");
    h.take("bar");
    assert_eq!(h.take("foo"), vec![":bar!bar@chat JOIN #chan"]);
    // Its maker runs it; nothing of it is stored.
    h.send("foo", "TOPIC #chan :guests' corner");
    assert_eq!(
        h.take("bar"),
        vec![":foo!foo@chat TOPIC #chan :guests' corner"]
    );
    assert!(h
        .persisted
        .iter()
        .all(|c| !format!("{c:?}").contains("chan")));
    // Gone once empty: a new maker runs a new room.
    h.send("foo", "PART #chan");
    h.send("bar", "PART #chan");
    h.take("foo");
    h.take("bar");
    h.send("bar", "LIST");
    assert!(!holds(&h.take("bar"), " #chan "));
    h.send("bar", "JOIN #chan");
    assert!(has(&h.take("bar"), ":chat 353 bar = #chan :@bar"));
    // Off (the default): a guest cannot make one.
    let mut closed = guest_harness();
    guest(&mut closed, "g", "visitor", "v", "V");
    closed.send("g", "JOIN #new");
    assert!(has(&closed.take("g"), ":chat NOTICE visitor :log in first"));
}

#[test]
fn ping_without_a_token_is_an_error_and_pings_over_the_budget_are_answered() {
    let mut config = harness::unlimited();
    config.limits.command_units_per_second = 1;
    config.limits.command_burst = 5;
    let mut h = Harness::with(config, chat_core::StoreSnapshot::default());
    accounts(&mut h, &["carol"]);
    irc_login(&mut h, "irc", "carol", "");
    h.send("irc", "PING");
    assert_eq!(
        h.take("irc"),
        vec![":chat 461 carol PING :Not enough parameters"]
    );
    h.send("irc", "PING :");
    assert_eq!(h.take("irc"), vec![":chat PONG chat :"]);
    // Past the budget a line is refused, a ping still answered.
    for _ in 0..5 {
        h.send("irc", "MOTD");
    }
    h.take("irc");
    h.send("irc", "MOTD");
    assert!(holds(&h.take("irc"), "over the command budget"));
    h.send("irc", "PING :sync1");
    assert_eq!(h.take("irc"), vec![":chat PONG chat :sync1"]);
}

#[test]
fn an_empty_message_is_412_and_a_missing_recipient_411() {
    let mut h = open_harness();
    guest(&mut h, "foo", "foo", "foo", "Foo");
    h.send("foo", "JOIN #chan");
    h.take("foo");
    h.send("foo", "PRIVMSG #chan :");
    assert_eq!(h.take("foo"), vec![":chat 412 foo :No text to send"]);
    h.send("foo", "PRIVMSG");
    assert_eq!(
        h.take("foo"),
        vec![":chat 411 foo :No recipient given (PRIVMSG)"]
    );
}

#[test]
fn the_server_calls_itself_by_its_configured_name() {
    let mut config = harness::unlimited();
    config.server_name = "irc.example.org".into();
    config.irc_guests = true;
    let mut h = Harness::with(config, chat_core::StoreSnapshot::default());
    h.connect_irc("g");
    h.send("g", "PING :early");
    assert_eq!(
        h.take("g"),
        vec![":irc.example.org PONG irc.example.org :early"]
    );
    h.send("g", "NICK visitor");
    h.send("g", "USER v 0 * :V");
    let lines = h.take("g");
    assert!(
        has(&lines, ":irc.example.org 004 visitor irc.example.org "),
        "{lines:?}"
    );
    assert!(holds(&lines, "NETWORK=irc.example.org"), "{lines:?}");
    assert!(has(&lines, ":visitor!v@irc.example.org JOIN #lobby"));
    assert!(lines
        .iter()
        .all(|l| !l.contains(":chat ") && !l.contains("@chat ")));
    h.send("g", "PING :late");
    assert_eq!(
        h.take("g"),
        vec![":irc.example.org PONG irc.example.org :late"]
    );
}

#[test]
fn who_of_a_channel_ends_with_it_and_masks_match_nicks() {
    let mut h = open_harness();
    guest(
        &mut h,
        "cool",
        "coolNick",
        "myusernam",
        "My UniqueReal Name",
    );
    guest(&mut h, "other", "otherNick", "other", "Other");
    h.send("cool", "JOIN #chan");
    h.send("other", "JOIN #chan");
    h.take("cool");
    h.take("other");
    h.send("other", "WHO #CHAN");
    assert_eq!(
        h.take("other"),
        vec![
            ":chat 352 otherNick #chan myusernam chat chat coolNick H@ :0 My UniqueReal Name",
            ":chat 352 otherNick #chan other chat chat otherNick H :0 Other",
            ":chat 315 otherNick #CHAN :End of WHO list",
        ]
    );
    for mask in ["coolNick", "coolnick", "coolni*", "c?olN*"] {
        h.send("other", &format!("WHO {mask}"));
        assert_eq!(
            h.take("other"),
            vec![
                ":chat 352 otherNick * myusernam chat chat coolNick H :0 My UniqueReal Name"
                    .to_owned(),
                format!(":chat 315 otherNick {mask} :End of WHO list"),
            ]
        );
    }
    h.send("other", "WHO nobody*");
    assert_eq!(
        h.take("other"),
        vec![":chat 315 otherNick nobody* :End of WHO list"]
    );
    h.send("other", "WHO #nochan");
    assert_eq!(
        h.take("other"),
        vec![":chat 315 otherNick #nochan :End of WHO list"]
    );
}

#[test]
fn a_user_line_that_is_not_utf8_is_told_and_a_user_name_made_safe() {
    let mut h = open_harness();
    h.connect_irc("latin");
    h.send("latin", "NICK foo");
    h.send_bytes("latin", b"USER username * * :i\xe8rc\xe9\r\n");
    assert_eq!(
        h.take("latin"),
        vec![":chat FAIL * INVALID_UTF8 :Line is not valid UTF-8; it was dropped"]
    );
    // A user name with what a mask cannot hold is made safe, not refused.
    guest(&mut h, "emoji", "bar", "😊😊x😊", "realname");
    h.send("emoji", "WHOIS bar");
    let lines = h.take("emoji");
    assert!(
        has(&lines, ":chat 311 bar bar ~x chat * :realname"),
        "{lines:?}"
    );
}

#[test]
fn cap_list_lists_what_was_acknowledged() {
    let mut h = Harness::new();
    h.connect_irc("c");
    h.send("c", "CAP LS");
    h.take("c");
    h.send("c", "CAP LIST");
    assert_eq!(h.take("c"), vec![":chat CAP * LIST :"]);
    h.send("c", "CAP REQ :multi-prefix sasl");
    h.send("c", "CAP LIST");
    assert_eq!(
        h.take("c"),
        vec![
            ":chat CAP * ACK :multi-prefix sasl",
            ":chat CAP * LIST :sasl multi-prefix",
        ]
    );
    h.send("c", "CAP REQ :-sasl");
    h.send("c", "CAP LIST");
    assert_eq!(
        h.take("c"),
        vec![":chat CAP * ACK :-sasl", ":chat CAP * LIST :multi-prefix"]
    );
}

#[test]
fn a_notice_stays_a_notice_and_is_never_answered_with_an_error() {
    let mut h = open_harness();
    h.register("bob", "bob");
    guest(&mut h, "bot", "bot", "bot", "Bot");
    guest(&mut h, "foo", "foo", "foo", "Foo");
    h.send("foo", "CAP REQ :echo-message");
    h.send("foo", "JOIN #chan");
    h.send("bot", "JOIN #chan");
    h.take("foo");
    h.take("bot");
    h.take("bob");
    h.send("bot", "NOTICE #chan :I am a bot");
    assert_eq!(
        h.take("foo"),
        vec![":bot!bot@chat NOTICE #chan :I am a bot"]
    );
    h.send("foo", "NOTICE #chan :echoed as a notice");
    assert_eq!(
        h.take("foo"),
        vec![":foo!foo@chat NOTICE #chan :echoed as a notice"]
    );
    h.take("bot");
    h.send("bot", "NOTICE foo :psst");
    assert_eq!(h.take("foo"), vec![":bot!bot@chat NOTICE foo :psst"]);
    h.send("bot", "NOTICE #lobby :to everyone");
    assert_eq!(h.take("bob"), vec!["MSG 1000000 bot to everyone"]);
    h.take("foo");
    // Nothing answers a notice: no such channel, nick, membership, text.
    for line in [
        "NOTICE #nonexistent :hello",
        "NOTICE nobody :hello",
        "NOTICE #chan :",
        "NOTICE",
        "NOTICE #chan :bell\u{7}",
    ] {
        h.send("bot", line);
        assert_eq!(h.take("bot"), Vec::<String>::new(), "{line}");
    }
    h.send("bob", "/busy");
    h.send("bot", "NOTICE bob :no 301 for a notice");
    assert_eq!(h.take("bot"), Vec::<String>::new());
    // An action is an action.
    h.send("bot", "PRIVMSG #chan :\u{1}ACTION waves\u{1}");
    assert_eq!(
        h.take("foo"),
        vec![":bot!bot@chat PRIVMSG #chan :\u{1}ACTION waves\u{1}"]
    );
}

#[test]
fn a_rooms_operator_has_its_at_in_names_and_who() {
    let mut h = open_harness();
    guest(&mut h, "nick1", "nick1", "n1", "One");
    guest(&mut h, "nick2", "nick2", "n2", "Two");
    h.send("nick1", "JOIN #chan");
    h.send("nick2", "JOIN #chan");
    let lines = h.take("nick2");
    assert!(
        has(&lines, ":chat 353 nick2 = #chan :@nick1 nick2"),
        "{lines:?}"
    );
    h.send("nick2", "NAMES #chan");
    assert_eq!(
        h.take("nick2"),
        vec![
            ":chat 353 nick2 = #chan :@nick1 nick2",
            ":chat 366 nick2 #chan :End of /NAMES list",
        ]
    );
    h.send("nick2", "WHO #chan");
    let lines = h.take("nick2");
    assert!(holds(&lines, " nick1 H@ :0 One"), "{lines:?}");
    assert!(holds(&lines, " nick2 H :0 Two"), "{lines:?}");
}

#[test]
fn a_kick_names_its_actor_and_reason() {
    let mut h = open_harness();
    for nick in ["foo", "bar", "baz"] {
        guest(&mut h, nick, nick, nick, nick);
        h.send(nick, "JOIN #chan");
    }
    for nick in ["foo", "bar", "baz"] {
        h.take(nick);
    }
    h.send("foo", "KICK #chan bar :bye");
    for nick in ["foo", "baz"] {
        assert_eq!(h.take(nick), vec![":foo!foo@chat KICK #chan bar :bye"]);
    }
    assert_eq!(h.take("bar"), vec![":foo!foo@chat KICK #chan bar :bye"]);
    // Without a reason, the kicker's nick (RFC 2812).
    h.send("bar", "JOIN #chan");
    h.take("bar");
    h.take("foo");
    h.take("baz");
    h.send("foo", "KICK #chan bar");
    assert_eq!(h.take("baz"), vec![":foo!foo@chat KICK #chan bar :foo"]);
    assert_eq!(h.take("bar"), vec![":foo!foo@chat KICK #chan bar :foo"]);
    h.take("foo");
    // No such channel: 403.
    h.send("foo", "KICK #nochan baz");
    assert_eq!(
        h.take("foo"),
        vec![":chat 403 foo #nochan :No such channel"]
    );
}

#[test]
fn part_and_quit_messages_reach_the_room() {
    let mut h = open_harness();
    h.register("watch", "wendy");
    guest(&mut h, "bar", "bar", "bar", "Bar");
    guest(&mut h, "baz", "baz", "baz", "Baz");
    h.send("bar", "JOIN #chan");
    h.send("baz", "JOIN #chan");
    h.take("bar");
    h.take("baz");
    h.take("watch");
    h.send("bar", "PART #chan :bye everyone");
    assert_eq!(
        h.take("bar"),
        vec![":bar!bar@chat PART #chan :bye everyone"]
    );
    assert_eq!(
        h.take("baz"),
        vec![":bar!bar@chat PART #chan :bye everyone"]
    );
    h.send("bar", "JOIN #chan");
    h.take("bar");
    h.take("baz");
    h.send("bar", "QUIT :gone fishing");
    assert_eq!(
        h.take("baz"),
        vec![":bar!bar@chat QUIT :Quit: gone fishing"]
    );
    // chat/1 has its reason word, as ever.
    assert_eq!(h.take("watch"), vec!["LEAVE 1000000 bar quit"]);
}

#[test]
fn away_text_is_carried_to_301_away_notify_whois_and_userhost() {
    let mut h = open_harness();
    guest(&mut h, "bar", "bar", "bar", "Bar");
    guest(&mut h, "qux", "qux", "qux", "Qux");
    h.take("bar");
    h.send("qux", "CAP REQ :away-notify");
    h.send("qux", "USERHOST bar");
    assert_eq!(
        h.take("qux"),
        vec![
            ":chat CAP qux ACK :away-notify",
            ":chat 302 qux :bar=+bar@chat",
        ]
    );
    h.send("bar", "AWAY :I'm not here right now");
    assert_eq!(
        h.take("bar"),
        vec![":chat 306 bar :You have been marked as being away"]
    );
    assert_eq!(
        h.take("qux"),
        vec![":bar!bar@chat AWAY :I'm not here right now"]
    );
    h.send("qux", "PRIVMSG bar :what's up");
    assert_eq!(
        h.take("qux"),
        vec![":chat 301 qux bar :I'm not here right now"]
    );
    h.send("qux", "USERHOST bar");
    assert_eq!(h.take("qux"), vec![":chat 302 qux :bar=-bar@chat"]);
    h.send("qux", "WHOIS bar");
    assert!(has(
        &h.take("qux"),
        ":chat 301 qux bar :I'm not here right now"
    ));
    h.send("bar", "AWAY :");
    h.take("bar");
    assert_eq!(h.take("qux"), vec![":bar!bar@chat AWAY"]);
    h.send("qux", "WHOIS bar");
    assert!(!holds(&h.take("qux"), " 301 "));
}

#[test]
fn whois_tells_who_where_and_since_when() {
    let mut h = open_harness();
    accounts(&mut h, &["carol"]);
    irc_login(&mut h, "carol", "carol", "");
    guest(&mut h, "g", "visitor", "vis", "A Visitor");
    h.send("g", "JOIN #den");
    h.take("g");
    h.take("carol");
    h.send("carol", "WHOIS visitor");
    assert_eq!(
        h.take("carol"),
        vec![
            ":chat 311 carol visitor vis chat * :A Visitor",
            ":chat 319 carol visitor :#lobby @#den",
            ":chat 312 carol visitor chat :chat-irc",
            ":chat 317 carol visitor 0 1000 :seconds idle, signon time",
            ":chat 318 carol visitor :End of /WHOIS list",
        ]
    );
    // An account says so; an admin is an operator.
    irc_login(&mut h, "root", "root", "");
    h.send("g", "WHOIS root");
    let lines = h.take("g");
    assert!(
        has(&lines, ":chat 313 visitor root :is an IRC operator"),
        "{lines:?}"
    );
    assert!(
        has(&lines, ":chat 330 visitor root root :is logged in as"),
        "{lines:?}"
    );
    assert!(has(&lines, ":chat 319 visitor root :@#lobby"), "{lines:?}");
    h.send("g", "WHOIS nobody");
    assert_eq!(
        h.take("g"),
        vec![
            ":chat 401 visitor nobody :No such nick/channel",
            ":chat 318 visitor nobody :End of /WHOIS list",
        ]
    );
}

#[test]
fn sasl_waits_for_registration_and_answers_the_nick_or_star() {
    let mut h = Harness::new();
    accounts(&mut h, &["jilles"]);
    h.connect_irc("c");
    h.send("c", "CAP LS 302");
    h.send("c", "CAP REQ :sasl");
    h.take("c");
    h.send("c", "AUTHENTICATE PLAIN");
    h.send("c", "AUTHENTICATE AGppbGxlcwBwYXNzd29yZC0x"); // \0jilles\0password-1
                                                          // No NICK yet: addressed to `*`; no greeting before registration.
    assert_eq!(
        h.take("c"),
        vec![
            "AUTHENTICATE +",
            ":chat 900 * jilles!jilles@chat jilles :You are now logged in as jilles",
            ":chat 903 * :SASL authentication successful",
        ]
    );
    h.send("c", "AUTHENTICATE PLAIN");
    assert_eq!(
        h.take("c"),
        vec![":chat 907 * :You have already authenticated using SASL"]
    );
    // The client's NICK is not refused: it is not logged in to it yet.
    h.send("c", "NICK foo");
    h.send("c", "USER foo 0 * :Foo");
    assert_eq!(h.take("c"), Vec::<String>::new());
    h.send("c", "CAP END");
    let lines = h.take("c");
    assert_eq!(
        lines[0],
        ":chat 001 jilles :Welcome to the chat network, jilles"
    );
    assert!(has(&lines, ":jilles!foo@chat JOIN #lobby"), "{lines:?}");
}

#[test]
fn sasl_payloads_come_in_chunks_and_too_long_ones_fail_once() {
    let mut config = harness::unlimited();
    config.limits.max_password_bytes = 1024;
    let mut h = Harness::with(config, chat_core::StoreSnapshot::default());
    let password = "x".repeat(592);
    h.connect("reg");
    h.send("reg", &format!("/register foo {password}"));
    h.send("reg", "/quit");
    // base64("foo\0foo\0" + 592 x): exactly 800 bytes, so `+` ends it.
    let blob = base64(format!("foo\0foo\0{password}").as_bytes());
    assert_eq!(blob.len(), 800);
    h.connect_irc("c");
    h.send("c", "CAP REQ :sasl");
    h.send("c", "AUTHENTICATE PLAIN");
    h.send("c", &format!("AUTHENTICATE {}", &blob[..400]));
    h.send("c", &format!("AUTHENTICATE {}", &blob[400..]));
    assert_eq!(h.take("c"), vec![":chat CAP * ACK :sasl", "AUTHENTICATE +"]);
    h.send("c", "AUTHENTICATE +");
    assert!(has(&h.take("c"), ":chat 903 * "));
    // One chunk over 400 bytes: 905.
    h.connect_irc("long");
    h.send("long", "AUTHENTICATE PLAIN");
    h.send("long", &format!("AUTHENTICATE {}", "A".repeat(450)));
    assert_eq!(
        h.take("long"),
        vec!["AUTHENTICATE +", ":chat 905 * :SASL message too long"]
    );
    // Chunks on and on: 904 once, the rest passed over until the last.
    h.connect_irc("flood");
    h.send("flood", "AUTHENTICATE PLAIN");
    for _ in 0..10 {
        h.send("flood", &format!("AUTHENTICATE {}", "A".repeat(400)));
    }
    h.send("flood", "AUTHENTICATE +");
    assert_eq!(
        h.take("flood"),
        vec![
            "AUTHENTICATE +",
            ":chat 904 * :SASL authentication failed: payload too long",
        ]
    );
    h.send("flood", "AUTHENTICATE PLAIN");
    assert_eq!(h.take("flood"), vec!["AUTHENTICATE +"]);
}

#[test]
fn registering_during_sasl_aborts_it_and_registers() {
    let mut h = open_harness();
    h.connect_irc("c");
    h.send("c", "CAP LS 302");
    h.send("c", "CAP REQ :sasl");
    h.send("c", "AUTHENTICATE PLAIN");
    h.take("c");
    h.send("c", "NICK reguser");
    h.send("c", "USER reguser 0 * :Test");
    h.send("c", "CAP END");
    let lines = h.take("c");
    assert_eq!(lines[0], ":chat 906 reguser :SASL authentication aborted");
    assert!(has(&lines, ":chat 001 reguser "), "{lines:?}");
    // A guest did not authenticate, and has no account to authenticate
    // again: a later AUTHENTICATE is neither 907 nor an exchange.
    h.send("c", "AUTHENTICATE PLAIN");
    assert_eq!(
        h.take("c"),
        vec![":chat 462 reguser :You may not reregister"]
    );
}

/// An IRC client logged in with SASL as `account` under `nick`, in
/// `#lobby` and `#den`; what it was told is taken.
fn sasl_in_den(h: &mut Harness, label: &str, nick: &str, account: &str) {
    h.connect_irc(label);
    h.send(label, "CAP LS 302");
    h.send(label, "CAP REQ :sasl");
    h.send(label, &format!("NICK {nick}"));
    h.send(label, &format!("USER u{nick} 0 * :{nick}"));
    h.send(label, "AUTHENTICATE PLAIN");
    h.send(label, &format!("AUTHENTICATE {}", plain(account)));
    h.send(label, "CAP END");
    h.send(label, "JOIN #den");
    let lines = h.take(label);
    assert!(
        has(&lines, &format!(":{account}!u{nick}@chat JOIN #den")),
        "{lines:?}"
    );
}

/// A SASL PLAIN payload for `account` with the tests' password.
fn plain(account: &str) -> String {
    base64(format!("\0{account}\0{PW}").as_bytes())
}

#[test]
fn sasl_reauthentication_as_another_account_switches_the_session() {
    let mut h = open_harness();
    accounts(&mut h, &["foo", "jilles", "watcher"]);
    sasl_in_den(&mut h, "c", "user", "foo");
    sasl_in_den(&mut h, "w", "watcher", "watcher");
    h.take("c");
    // jilles is logged in elsewhere too: the switch takes it over.
    h.connect("old");
    h.send("old", &format!("/login jilles {PW}"));
    assert!(has(&h.take("old"), "WELCOME jilles 1"));
    h.take("w");
    h.take("c");

    // Reauthenticating as foo again only confirms it.
    h.send("c", "AUTHENTICATE PLAIN");
    assert_eq!(h.take("c"), vec!["AUTHENTICATE +"]);
    h.send("c", &format!("AUTHENTICATE {}", plain("foo")));
    assert_eq!(
        h.take("c"),
        vec![
            ":chat 900 foo foo!uuser@chat foo :You are now logged in as foo",
            ":chat 903 foo :SASL authentication successful",
        ]
    );
    assert_eq!(h.take("w"), Vec::<String>::new());

    // A wrong password: 904, and the session is foo's still.
    h.send("c", "AUTHENTICATE PLAIN");
    h.send(
        "c",
        &format!("AUTHENTICATE {}", base64(b"\0jilles\0wrong-password")),
    );
    let lines = h.take("c");
    assert_eq!(
        lines[1], ":chat 904 foo :SASL authentication failed: wrong user name or password",
        "{lines:?}"
    );
    h.send("c", "PRIVMSG #den :still foo");
    assert!(has(&h.take("w"), ":foo!uuser@chat PRIVMSG #den :still foo"));

    // As jilles: 900 and 903 first, then out of foo's channels, the nick
    // made jilles's, and into the lobby as jilles. A user mode (`+i`) is
    // the connection's, and stays.
    h.send("c", "MODE foo +i");
    h.take("c");
    h.send("c", "AUTHENTICATE PLAIN");
    h.send("c", &format!("AUTHENTICATE {}", plain("jilles")));
    let lines = h.take("c");
    assert_eq!(
        lines[..7],
        [
            "AUTHENTICATE +",
            ":chat 900 foo jilles!uuser@chat jilles :You are now logged in as jilles",
            ":chat 903 foo :SASL authentication successful",
            ":foo!uuser@chat PART #den :Logged in as another account",
            ":foo!uuser@chat PART #lobby :Logged in as another account",
            ":foo!uuser@chat NICK :jilles",
            ":jilles!uuser@chat JOIN #lobby",
        ],
        "{lines:?}"
    );
    assert!(h.take("old").iter().any(|l| l.starts_with("CTL takeover")));
    // The others see foo quit; jilles was in #lobby already (taken over,
    // which IRC does not show).
    assert_eq!(
        h.take("w"),
        vec![":foo!uuser@chat QUIT :Quit: Logged in as another account"]
    );
    // jilles now: its lines are jilles's, and foo is offline.
    h.send("c", "PRIVMSG #lobby :now jilles");
    assert!(has(
        &h.take("w"),
        ":jilles!uuser@chat PRIVMSG #lobby :now jilles"
    ));
    h.send("c", "NICK foo");
    assert_eq!(
        h.take("c"),
        vec![":chat 447 jilles :Cannot change nickname: the nick is the account"]
    );
    h.send("w", "WHOIS foo");
    assert!(has(&h.take("w"), ":chat 401 watcher foo "));
    h.send("w", "WHO jil*");
    assert_eq!(h.take("w"), vec![":chat 315 watcher jil* :End of WHO list"]);
}

/// Standard base64 with padding.
fn base64(bytes: &[u8]) -> String {
    const ABC: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let n = chunk.iter().fold(0u32, |n, &b| n << 8 | u32::from(b)) << (8 * (3 - chunk.len()));
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(ABC[(n >> (18 - 6 * i) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

#[test]
fn whox_rows_carry_the_fields_asked_for_in_the_specs_order() {
    let mut h = open_harness();
    guest(
        &mut h,
        "cool",
        "coolNick",
        "myusernam",
        "My UniqueReal Name",
    );
    guest(&mut h, "other", "otherNick", "other", "Other");
    h.send("other", "JOIN #chan");
    h.send("cool", "JOIN #chan");
    h.take("cool");
    h.take("other");
    // Every field, asked in reverse: rows keep the spec's order, the
    // account of a guest is 0 and no address is shown.
    h.send("other", "WHO coolNick %roaldfnshiuct,123");
    assert_eq!(
        h.take("other"),
        vec![
            ":chat 354 otherNick 123 * myusernam 255.255.255.255 chat chat coolNick H 0 0 0 n/a :My UniqueReal Name",
            ":chat 315 otherNick coolNick :End of WHO list",
        ]
    );
    // A channel's rows name it and show standing; a token without `t`
    // is not shown, and one that is not 1-3 digits is `0`.
    h.send("other", "WHO #chan %cnf,7");
    h.send("other", "WHO otherNick %tn,abcd");
    assert_eq!(
        h.take("other"),
        vec![
            ":chat 354 otherNick #chan coolNick H",
            ":chat 354 otherNick #chan otherNick H@",
            ":chat 315 otherNick #chan :End of WHO list",
            ":chat 354 otherNick 0 otherNick",
            ":chat 315 otherNick otherNick :End of WHO list",
        ]
    );
    // An account shows its name.
    h.register("bob", "bob");
    h.take("other");
    h.send("other", "WHO bob %na");
    assert_eq!(
        h.take("other"),
        vec![
            ":chat 354 otherNick bob bob",
            ":chat 315 otherNick bob :End of WHO list",
        ]
    );
    // ISUPPORT says so.
    h.connect_irc("fourth");
    h.send("fourth", "NICK fourth");
    h.send("fourth", "USER fourth 0 * :Fourth");
    let lines = h.take("fourth");
    let isupport = lines.iter().find(|l| l.starts_with(":chat 005 ")).unwrap();
    assert!(isupport.contains(" WHOX "), "{isupport}");
}

#[test]
fn userhost_in_names_shows_each_name_as_its_mask() {
    let mut h = open_harness();
    guest(&mut h, "foo", "foo", "fooser", "Foo");
    guest(&mut h, "bar", "bar", "barser", "Bar");
    h.send("foo", "JOIN #chan");
    h.take("foo");
    h.send("bar", "CAP REQ :userhost-in-names multi-prefix");
    h.send("bar", "JOIN #chan");
    assert_eq!(
        h.take("bar"),
        vec![
            ":chat CAP bar ACK :userhost-in-names multi-prefix",
            ":bar!barser@chat JOIN #chan",
            ":chat 353 bar = #chan :bar!barser@chat @foo!fooser@chat",
            ":chat 366 bar #chan :End of /NAMES list",
        ]
    );
    // Without the capability, nicks alone.
    h.take("foo");
    h.send("foo", "NAMES #chan");
    assert_eq!(
        h.take("foo"),
        vec![
            ":chat 353 foo = #chan :bar @foo",
            ":chat 366 foo #chan :End of /NAMES list",
        ]
    );
}

#[test]
fn client_only_tags_are_not_refused_in_isupport() {
    let mut h = open_harness();
    h.connect_irc("c");
    h.send("c", "NICK c");
    h.send("c", "USER c 0 * :C");
    let lines = h.take("c");
    let isupport = lines.iter().find(|l| l.starts_with(":chat 005 ")).unwrap();
    // Client-only tags (`+typing`...) are relayed: no `CLIENTTAGDENY`.
    assert!(!isupport.contains("CLIENTTAGDENY"), "{isupport}");
}

/// A guest `nick` that asked for `caps`, in `#test`, its lines taken.
fn tags_guest(h: &mut Harness, nick: &str, caps: &str) {
    h.connect_irc(nick);
    h.send(nick, "CAP LS 302");
    if !caps.is_empty() {
        h.send(nick, &format!("CAP REQ :{caps}"));
    }
    h.send(nick, &format!("NICK {nick}"));
    h.send(nick, &format!("USER {nick} 0 * :{nick}"));
    h.send(nick, "CAP END");
    h.send(nick, "JOIN #test");
    let lines = h.take(nick);
    assert!(has(&lines, &format!(":chat 001 {nick} ")), "{lines:?}");
}

/// Lines with each message id written `N` (ids are the engine's to pick).
fn any_id(lines: Vec<String>) -> Vec<String> {
    lines
        .into_iter()
        .map(|l| match l.split_once("msgid=") {
            Some((before, after)) => {
                let rest = after.trim_start_matches(|c: char| c.is_ascii_digit());
                format!("{before}msgid=N{rest}")
            }
            None => l,
        })
        .collect()
}

/// The four clients of irctest's `message_tags.py` in `#test`: alice
/// reads message tags, bob too with `echo-message`, carol nothing, dave
/// `server-time`.
fn four_in_test() -> Harness {
    let mut h = open_harness();
    tags_guest(&mut h, "alice", "message-tags");
    tags_guest(&mut h, "bob", "message-tags echo-message");
    tags_guest(&mut h, "carol", "");
    tags_guest(&mut h, "dave", "server-time");
    for nick in ["alice", "bob", "carol", "dave"] {
        h.take(nick);
    }
    h
}

const T: &str = "time=1970-01-01T00:16:40.000Z";

/// Client-only tags go with the message to those who read message tags
/// (the sender's echo too), and to nobody else; other tags a client sends
/// are not relayed.
#[test]
fn client_tags_reach_only_those_who_read_message_tags() {
    let mut h = four_in_test();
    h.send("alice", "@+baz=bat;fizz=buzz PRIVMSG #test hi");
    assert_eq!(h.take("alice"), Vec::<String>::new());
    assert_eq!(
        any_id(h.take("bob")),
        [format!(
            "@{T};msgid=N;+baz=bat :alice!alice@chat PRIVMSG #test :hi"
        )]
    );
    assert_eq!(h.take("carol"), [":alice!alice@chat PRIVMSG #test :hi"]);
    assert_eq!(
        h.take("dave"),
        [format!("@{T} :alice!alice@chat PRIVMSG #test :hi")]
    );
    h.send("bob", "@+bat=baz;+fizz=buzz NOTICE #test :hi yourself");
    let want = [format!(
        "@{T};msgid=N;+bat=baz;+fizz=buzz :bob!bob@chat NOTICE #test :hi yourself"
    )];
    assert_eq!(any_id(h.take("bob")), want);
    assert_eq!(any_id(h.take("alice")), want);
    assert_eq!(h.take("carol"), [":bob!bob@chat NOTICE #test :hi yourself"]);
    // In private too: tags to a reader of message tags, none to others.
    h.send("alice", "@+draft/reply=7 PRIVMSG carol :hey");
    assert_eq!(h.take("carol"), [":alice!alice@chat PRIVMSG carol :hey"]);
    h.send("alice", "@+draft/reply=7 PRIVMSG bob :hey");
    assert_eq!(
        any_id(h.take("bob")),
        [format!(
            "@{T};msgid=N;+draft/reply=7 :alice!alice@chat PRIVMSG bob :hey"
        )]
    );
}

/// `TAGMSG` to a channel and to a nick: to those who read message tags,
/// echoed with `echo-message`, nothing at all to anyone else; never kept
/// in the room's history.
#[test]
fn tagmsg_reaches_only_those_who_read_message_tags() {
    let mut h = four_in_test();
    h.send(
        "bob",
        r"@+buzz=fizz\:buzz;cat=dog;+steel=wootz TAGMSG #test",
    );
    let want = [format!(
        r"@{T};msgid=N;+buzz=fizz\:buzz;+steel=wootz :bob!bob@chat TAGMSG #test"
    )];
    let echo = h.take("bob");
    let relay = h.take("alice");
    assert_eq!(any_id(echo.clone()), want);
    assert_eq!(echo, relay, "one id for the echo and the relay");
    assert_eq!(h.take("carol"), Vec::<String>::new());
    assert_eq!(h.take("dave"), Vec::<String>::new());
    // To a nick: the sender without echo-message hears nothing back.
    h.send("alice", "@+typing=active TAGMSG bob");
    assert_eq!(h.take("alice"), Vec::<String>::new());
    assert_eq!(
        any_id(h.take("bob")),
        [format!(
            "@{T};msgid=N;+typing=active :alice!alice@chat TAGMSG bob"
        )]
    );
    // To a nick that does not read tags: nothing; the echo still comes.
    h.send("bob", "@+typing=active TAGMSG carol");
    assert_eq!(h.take("carol"), Vec::<String>::new());
    assert_eq!(
        any_id(h.take("bob")),
        [format!(
            "@{T};msgid=N;+typing=active :bob!bob@chat TAGMSG carol"
        )]
    );
    // Without client tags a TAGMSG carries nothing; without a target 461.
    h.send("bob", "@cat=dog TAGMSG #test");
    h.send("bob", "@+a=b TAGMSG");
    assert_eq!(
        h.take("bob"),
        [":chat 461 bob TAGMSG :Not enough parameters"]
    );
    assert_eq!(h.take("alice"), Vec::<String>::new());
    // The room's history has the lines said, no empty line for tags.
    h.send("bob", "PRIVMSG #test :said");
    h.send("alice", "PART #test");
    h.send("alice", "JOIN #test");
    let lines = h.take("alice");
    assert!(holds(&lines, "PRIVMSG #test :said"), "{lines:?}");
    assert!(!holds(&lines, "TAGMSG"), "{lines:?}");
    assert!(!holds(&lines, "PRIVMSG #test :\r"), "{lines:?}");
}

/// Tag values are unescaped and escaped again the one IRCv3 way: what
/// arrives means what was sent, written alike whatever the sender's
/// spelling (a `\` before another character dropped, an empty value
/// without `=`, the last of a name kept).
#[test]
fn client_tag_values_are_unescaped_and_escaped_again() {
    let mut h = four_in_test();
    h.send(
        "alice",
        r"@+a=x\sy\\z\r\n\:;+b=tr\ail\;+c=;+d=1;+d=2 PRIVMSG #test :esc",
    );
    assert_eq!(
        any_id(h.take("bob")),
        [format!(
            r"@{T};msgid=N;+a=x\sy\\z\r\n\:;+b=trail;+c;+d=2 :alice!alice@chat PRIVMSG #test :esc"
        )]
    );
}

/// A line's tags may take 4,094 bytes (4,096 with `@` and the space),
/// its message 510 more; longer tags are `417` and nothing is relayed,
/// as are client tags over the engine's `max_client_tag_bytes`.
#[test]
fn over_long_tags_are_417_and_nothing_is_relayed() {
    let mut h = four_in_test();
    let max = format!("@foo=bar;+baz={} TAGMSG #test", "a".repeat(4081));
    assert_eq!(max.find("TAGMSG"), Some(4096));
    h.send("alice", &max);
    let relay = h.take("bob");
    assert_eq!(relay.len(), 1, "{relay:?}");
    assert!(relay[0].contains(&format!(";+baz={} ", "a".repeat(4081))));
    let longest = format!(
        "@foo=bar;+baz={} PRIVMSG #test {}",
        "a".repeat(4081),
        "b".repeat(496)
    );
    assert_eq!(longest.len(), 4096 + 510);
    h.send("alice", &longest);
    assert_eq!(h.take("bob").len(), 1);
    let over = format!("@foo=bar;+baz={} TAGMSG #test", "a".repeat(4082));
    h.send("alice", &over);
    let over = format!(
        "@foo=bar;+baz={} PRIVMSG #test {}",
        "a".repeat(4082),
        "b".repeat(495)
    );
    h.send("alice", &over);
    assert_eq!(
        h.take("alice"),
        [
            ":chat 417 alice :Input line was too long",
            ":chat 417 alice :Input line was too long"
        ]
    );
    assert_eq!(h.take("bob"), Vec::<String>::new());

    let mut config = harness::unlimited();
    config.irc_guests = true;
    config.irc_guest_rooms = true;
    config.limits.max_client_tag_bytes = 15;
    let mut h = Harness::with(config, harness::admin_snapshot(&["root"]));
    tags_guest(&mut h, "alice", "message-tags");
    tags_guest(&mut h, "bob", "message-tags");
    h.take("alice");
    h.send("alice", "@+a=0123456789ab PRIVMSG #test :fits");
    assert_eq!(h.take("bob").len(), 1);
    h.send("alice", "@+a=0123456789abc PRIVMSG #test :does not");
    h.send("alice", "@+a=0123456789abc TAGMSG bob");
    assert_eq!(
        h.take("alice"),
        [
            ":chat 417 alice :Input line was too long",
            ":chat 417 alice :Input line was too long"
        ]
    );
    assert_eq!(h.take("bob"), Vec::<String>::new());
}

/// chat/1 with tags on carries client tags after the id, and tags alone
/// as `TAGMSG`; chat/1 without tags sees the messages as ever and no
/// `TAGMSG`.
#[test]
fn chat1_with_tags_on_sees_client_tags_and_tagmsg() {
    let mut h = four_in_test();
    h.register("erin", "erin");
    h.register("fred", "fred");
    h.send("erin", "/tags on");
    h.send("erin", "/join test");
    h.send("fred", "/join test");
    for who in ["alice", "erin", "fred"] {
        h.take(who);
    }
    h.send("alice", r"@+draft/react=l\sol PRIVMSG #test :hi");
    h.send("alice", "@+typing=active TAGMSG #test");
    let lines: Vec<String> = h
        .take("erin")
        .into_iter()
        .map(|l| {
            let (id, rest) = l.split_once(';').unwrap();
            assert!(id.starts_with("@id="), "{l}");
            rest.to_owned()
        })
        .collect();
    assert_eq!(
        lines,
        [
            r"+draft/react=l\sol RMSG test 1000000 alice hi",
            "+typing=active TAGMSG test 1000000 alice",
        ]
    );
    assert_eq!(h.take("fred"), ["RMSG test 1000000 alice hi"]);
    // In private: tags alone to `@<from>`, nothing without tags.
    h.send("alice", "@+typing=active TAGMSG erin");
    h.send("alice", "@+typing=active TAGMSG fred");
    let lines = h.take("erin");
    assert_eq!(lines.len(), 1);
    assert!(
        lines[0].ends_with(";+typing=active TAGMSG @alice 1000000 alice"),
        "{lines:?}"
    );
    assert_eq!(h.take("fred"), Vec::<String>::new());
}

#[test]
fn oper_with_an_admins_password_makes_the_session_an_operator() {
    let mut h = open_harness();
    h.register("bob", "bob");
    guest(
        &mut h,
        "cool",
        "coolNick",
        "myusernam",
        "My UniqueReal Name",
    );
    guest(&mut h, "other", "otherNick", "other", "Other");
    h.take("cool");
    // A wrong password, or a user's account: refused, nothing changes.
    h.send("cool", "OPER root not-the-password");
    assert_eq!(
        h.take("cool"),
        vec![":chat 464 coolNick :Password incorrect"]
    );
    h.send("cool", &format!("OPER bob {}", harness::PW));
    assert_eq!(
        h.take("cool"),
        vec![":chat 491 coolNick :No O-lines for your host"]
    );
    h.send("cool", "OPER root");
    assert_eq!(
        h.take("cool"),
        vec![":chat 461 coolNick OPER :Not enough parameters"]
    );
    // The admin's password: an operator under its own nick.
    h.send("cool", &format!("OPER root {}", harness::PW));
    assert_eq!(
        h.take("cool"),
        vec![":chat 381 coolNick :You are now an IRC operator"]
    );
    h.send("other", "WHO coolNick");
    assert_eq!(
        h.take("other"),
        vec![
            ":chat 352 otherNick * myusernam chat chat coolNick H* :0 My UniqueReal Name",
            ":chat 315 otherNick coolNick :End of WHO list",
        ]
    );
    h.send("cool", "AWAY :be right back");
    h.take("cool");
    h.send("other", "WHO coolNick");
    assert!(has(
        &h.take("other"),
        ":chat 352 otherNick * myusernam chat chat coolNick G* :0 My UniqueReal Name"
    ));
    // With an admin's rights: it may kick.
    h.send("cool", "KICK #lobby otherNick :bye");
    assert!(holds(&h.take("other"), "KICK #lobby otherNick :bye"));
}

#[test]
fn room_operators_give_and_take_operator_and_voice_standing() {
    let mut h = open_harness();
    guest(&mut h, "foo", "foo", "foo", "Foo");
    guest(&mut h, "bar", "bar", "bar", "Bar");
    guest(&mut h, "baz", "baz", "baz", "Baz");
    h.register("carol", "carol");
    h.send("foo", "JOIN #chan");
    h.send("bar", "CAP REQ :multi-prefix");
    h.send("bar", "JOIN #chan");
    h.send("baz", "JOIN #chan");
    h.send("carol", "/join chan");
    for c in ["foo", "bar", "baz", "carol"] {
        h.take(c);
    }
    // A member who does not run the room may not.
    h.send("baz", "MODE #chan +o baz");
    assert_eq!(
        h.take("baz"),
        vec![":chat 482 baz #chan :You're not channel operator"]
    );
    // Its operator gives standings, told to the room as MODE (chat/1:
    // STANDING); several in one line are one command each.
    h.send("foo", "MODE #chan +ov baz bar");
    let room = vec![
        ":foo!foo@chat MODE #chan +o baz",
        ":foo!foo@chat MODE #chan +v bar",
    ];
    assert_eq!(h.take("foo"), room);
    assert_eq!(h.take("baz"), room);
    let lines = h.take("carol");
    assert!(has(&lines, "STANDING chan "), "{lines:?}");
    assert!(lines[0].ends_with(" foo baz op"), "{lines:?}");
    assert!(lines[1].ends_with(" foo bar voice"), "{lines:?}");
    // NAMES and WHO show them (all prefixes with multi-prefix).
    h.take("bar");
    h.send("bar", "MODE #chan +o bar");
    h.send("baz", "MODE #chan +o bar");
    h.take("baz");
    h.send("bar", "NAMES #chan");
    assert_eq!(
        h.take("bar"),
        vec![
            ":chat 482 bar #chan :You're not channel operator",
            ":baz!baz@chat MODE #chan +o bar",
            ":chat 353 bar = #chan :@+bar @baz carol @foo",
            ":chat 366 bar #chan :End of /NAMES list",
        ]
    );
    h.send("foo", "WHO #chan");
    assert!(has(
        &h.take("foo"),
        ":chat 352 foo #chan bar chat chat bar H@ :0 Bar"
    ));
    // An operator so made runs the room: it kicks, even the room's maker.
    h.send("baz", "KICK #chan foo :my turn");
    let lines = h.take("carol");
    assert!(holds(&lines, "RLEAVE"), "{lines:?}");
    assert_eq!(h.take("bar"), vec![":baz!baz@chat KICK #chan foo :my turn"]);
    // And takes standings away; chat/1's operators use /deop.
    h.send("carol", "/deop chan bar");
    assert!(has(&h.take("carol"), "ERR "));
    h.send("baz", "MODE #chan -v bar");
    h.send("baz", "MODE #chan +o carol");
    h.send("carol", "/deop chan bar");
    assert_eq!(
        h.take("bar"),
        vec![
            ":baz!baz@chat MODE #chan -v bar",
            ":baz!baz@chat MODE #chan +o carol",
            ":carol!carol@chat MODE #chan -o bar",
        ]
    );
}

#[test]
fn room_modes_are_shown_and_those_always_set_are_kept() {
    let mut h = open_harness();
    guest(&mut h, "foo", "foo", "foo", "Foo");
    h.send("foo", "JOIN #chan");
    h.take("foo");
    h.send("foo", "MODE #chan +n");
    h.send("foo", "MODE #chan -n");
    h.send("foo", "MODE #chan +v");
    h.send("foo", "MODE #chan +v nobody");
    assert_eq!(
        h.take("foo"),
        vec![
            ":chat 324 foo #chan +nt",
            ":chat 482 foo #chan :-n cannot be unset in this server's rooms",
            ":chat 461 foo MODE :Not enough parameters",
            ":chat 441 foo nobody #chan :They aren't on that channel",
        ]
    );
}

#[test]
fn an_invisible_user_is_found_by_name_not_by_mask_unless_in_a_room_together() {
    let mut h = open_harness();
    guest(&mut h, "evan", "evan", "evan", "Evan");
    guest(&mut h, "shiv", "shivaram", "shiv", "Shiv");
    h.take("evan");
    h.send("evan", "MODE evan +i");
    h.send("evan", "MODE evan");
    h.send("evan", "MODE evan +x");
    assert_eq!(
        h.take("evan"),
        vec![
            ":evan MODE evan :+i",
            ":chat 221 evan +i",
            ":chat 501 evan :Unknown MODE flag",
        ]
    );
    h.send("shiv", "WHO eva*");
    assert_eq!(
        h.take("shiv"),
        vec![":chat 315 shivaram eva* :End of WHO list"]
    );
    h.send("shiv", "WHO evan");
    assert_eq!(h.take("shiv").len(), 2);
    // Sharing a room (the lobby does not count) shows them.
    h.send("evan", "JOIN #test");
    h.send("shiv", "JOIN #test");
    h.take("shiv");
    h.send("shiv", "WHO eva*");
    assert!(has(
        &h.take("shiv"),
        ":chat 352 shivaram * evan chat chat evan H :0 Evan"
    ));
    h.send("evan", "PART #test");
    h.send("evan", "MODE evan -i");
    h.take("shiv");
    h.send("shiv", "WHO eva*");
    assert_eq!(h.take("shiv").len(), 2);
}

// ---- room modes -----------------------------------------------------------

/// Two guests in `#chan`, `foo` its maker (its operator), lines taken.
fn two_in_chan(h: &mut Harness) {
    guest(h, "foo", "foo", "foo", "Foo");
    guest(h, "bar", "bar", "bar", "Bar");
    h.send("foo", "JOIN #chan");
    h.send("bar", "JOIN #chan");
    h.take("foo");
    h.take("bar");
}

/// `+t` (a new room's): only its operators set the topic; `-t`: any
/// member does. `MODE #chan` shows which.
#[test]
fn topic_mode_t_is_set_and_unset_by_the_rooms_operator() {
    let mut h = open_harness();
    two_in_chan(&mut h);
    h.send("foo", "MODE #chan");
    assert_eq!(h.take("foo"), vec![":chat 324 foo #chan +nt"]);
    // Set already: no change; the modes are shown.
    h.send("foo", "MODE #chan +t");
    assert_eq!(h.take("foo"), vec![":chat 324 foo #chan +nt"]);
    h.send("bar", "TOPIC #chan :T0P1C");
    assert_eq!(
        h.take("bar"),
        vec![":chat 482 bar #chan :You're not channel operator"]
    );
    assert_eq!(h.take("foo"), Vec::<String>::new());
    // A member cannot change the modes either.
    h.send("bar", "MODE #chan -t");
    assert_eq!(
        h.take("bar"),
        vec![":chat 482 bar #chan :You're not channel operator"]
    );
    h.send("foo", "MODE #chan -t");
    assert_eq!(h.take("foo"), vec![":foo!foo@chat MODE #chan -t"]);
    assert_eq!(h.take("bar"), vec![":foo!foo@chat MODE #chan -t"]);
    h.send("bar", "TOPIC #chan :T0P1C");
    assert_eq!(h.take("foo"), vec![":bar!bar@chat TOPIC #chan :T0P1C"]);
    assert_eq!(h.take("bar"), vec![":bar!bar@chat TOPIC #chan :T0P1C"]);
    h.send("bar", "MODE #chan");
    assert_eq!(h.take("bar"), vec![":chat 324 bar #chan +n"]);
}

/// `+s`: `NAMES` says `@` (RFC 2812 3.2.5), and those outside the room
/// see it in no `LIST`, `NAMES` or `WHOIS`; its members do.
#[test]
fn a_secret_room_is_at_in_names_and_hidden_from_outsiders() {
    let mut h = open_harness();
    guest(&mut h, "nick1", "nick1", "n1", "One");
    guest(&mut h, "nick2", "nick2", "n2", "Two");
    h.send("nick1", "JOIN #chan");
    h.take("nick1");
    h.send("nick1", "MODE #chan +s");
    assert_eq!(h.take("nick1"), vec![":nick1!nick1@chat MODE #chan +s"]);
    h.send("nick1", "NAMES #chan");
    assert_eq!(
        h.take("nick1"),
        vec![
            ":chat 353 nick1 @ #chan :@nick1",
            ":chat 366 nick1 #chan :End of /NAMES list",
        ]
    );
    h.send("nick2", "LIST");
    assert!(!holds(&h.take("nick2"), "#chan"));
    h.send("nick2", "NAMES #chan");
    assert_eq!(
        h.take("nick2"),
        vec![":chat 366 nick2 #chan :End of /NAMES list"]
    );
    h.send("nick2", "WHOIS nick1");
    let whois = h.take("nick2");
    assert!(holds(&whois, ":chat 319 nick2 nick1 :"), "{whois:?}");
    assert!(!holds(&whois, "#chan"), "{whois:?}");
    // Joining by name is open (secret is not invite-only).
    h.send("nick2", "JOIN #chan");
    let lines = h.take("nick2");
    assert!(
        has(&lines, ":chat 353 nick2 @ #chan :@nick1 nick2"),
        "{lines:?}"
    );
    h.send("nick2", "LIST");
    assert!(holds(&h.take("nick2"), " #chan "));
    h.take("nick1");
    h.send("nick1", "MODE #chan");
    assert_eq!(h.take("nick1"), vec![":chat 324 nick1 #chan +nts"]);
}

/// `+m`: only the room's operators and voiced members speak; others get
/// `404`.
#[test]
fn a_moderated_room_hears_its_operators_and_voiced_members() {
    let mut h = open_harness();
    two_in_chan(&mut h);
    h.send("foo", "MODE #chan +m");
    h.take("foo");
    assert_eq!(h.take("bar"), vec![":foo!foo@chat MODE #chan +m"]);
    h.send("bar", "PRIVMSG #chan :hello?");
    assert_eq!(
        h.take("bar"),
        vec![":chat 404 bar #chan :Cannot send to channel (+m)"]
    );
    assert_eq!(h.take("foo"), Vec::<String>::new());
    // A notice is never answered, and not delivered either.
    h.send("bar", "NOTICE #chan :psst");
    assert_eq!(h.take("bar"), Vec::<String>::new());
    assert_eq!(h.take("foo"), Vec::<String>::new());
    h.send("foo", "MODE #chan +v bar");
    h.take("foo");
    h.take("bar");
    h.send("bar", "PRIVMSG #chan :hello!");
    assert_eq!(h.take("foo"), vec![":bar!bar@chat PRIVMSG #chan :hello!"]);
    h.send("foo", "PRIVMSG #chan :welcome");
    assert_eq!(h.take("bar"), vec![":foo!foo@chat PRIVMSG #chan :welcome"]);
}

/// `+k`: joining takes the key (`JOIN #chan key`, `475` without it);
/// `+l`: no more members than the limit (`471`). Both in one `MODE`.
#[test]
fn a_keyed_and_limited_room_takes_its_key_and_no_more_members() {
    let mut h = open_harness();
    guest(&mut h, "foo", "foo", "foo", "Foo");
    guest(&mut h, "bar", "bar", "bar", "Bar");
    guest(&mut h, "baz", "baz", "baz", "Baz");
    h.send("foo", "JOIN #chan");
    h.take("foo");
    h.take("bar");
    h.take("baz");
    h.send("foo", "MODE #chan +kl sesame 2");
    assert_eq!(h.take("foo"), vec![":foo!foo@chat MODE #chan +kl sesame 2"]);
    h.send("bar", "JOIN #chan");
    assert_eq!(
        h.take("bar"),
        vec![":chat 475 bar #chan :Cannot join channel (+k)"]
    );
    h.send("bar", "JOIN #chan nope");
    assert_eq!(
        h.take("bar"),
        vec![":chat 475 bar #chan :Cannot join channel (+k)"]
    );
    h.send("bar", "JOIN #chan sesame");
    assert!(has(&h.take("bar"), ":bar!bar@chat JOIN #chan"));
    h.send("baz", "JOIN #chan sesame");
    assert_eq!(
        h.take("baz"),
        vec![":chat 471 baz #chan :Cannot join channel (+l)"]
    );
    h.take("foo");
    h.send("foo", "MODE #chan -lk *");
    assert_eq!(h.take("foo"), vec![":foo!foo@chat MODE #chan -kl"]);
    h.send("baz", "JOIN #chan");
    assert!(has(&h.take("baz"), ":baz!baz@chat JOIN #chan"));
    // Bad arguments are told, and change nothing.
    h.take("foo");
    h.send("foo", "MODE #chan +l many");
    assert_eq!(
        h.take("foo"),
        vec![":chat 696 foo #chan l * :+l: that argument cannot be used"]
    );
    h.send("foo", "MODE #chan +k");
    assert_eq!(
        h.take("foo"),
        vec![":chat 461 foo MODE :Not enough parameters"]
    );
    h.send("foo", "MODE #chan +x");
    assert_eq!(
        h.take("foo"),
        vec![":chat 472 foo x :is unknown mode char to me"]
    );
}

// ---- IRCv3 ----------------------------------------------------------------

/// `message-tags`: messages carry the engine's id as `msgid` (and their
/// time, and the sender's account), in rooms, in private and replayed from
/// history (without the account: history keeps names); other lines only
/// their time.
#[test]
fn message_tags_give_each_message_its_id() {
    let mut h = Harness::new();
    accounts(&mut h, &["carol"]);
    h.register("bob", "bob");
    irc_login(&mut h, "tags", "carol", "message-tags");
    h.take("bob");
    h.send("bob", "/create den");
    h.send("tags", "JOIN #den");
    h.take("bob");
    h.take("tags");
    h.send("bob", "/say den one");
    h.send("bob", "/say den two");
    let lines = h.take("tags");
    let id = |line: &str| -> u64 {
        let tag = line.split(' ').next().unwrap();
        tag.split("msgid=")
            .nth(1)
            .unwrap()
            .split(';')
            .next()
            .unwrap()
            .parse()
            .unwrap()
    };
    let first = id(&lines[0]);
    assert_eq!(
        lines,
        vec![
            format!("@time=1970-01-01T00:16:40.000Z;msgid={first};account=bob :bob!bob@chat PRIVMSG #den :one"),
            format!(
                "@time=1970-01-01T00:16:40.000Z;msgid={};account=bob :bob!bob@chat PRIVMSG #den :two",
                first + 1
            ),
        ]
    );
    h.send("bob", "/msg carol psst");
    let lines = h.take("tags");
    assert_eq!(lines.len(), 1);
    assert!(
        lines[0].starts_with("@time=1970-01-01T00:16:40.000Z;msgid=")
            && lines[0].ends_with(";account=bob :bob!bob@chat PRIVMSG carol :psst"),
        "{lines:?}"
    );
    // Joined again: the replayed lines keep their ids.
    h.send("tags", "PART #den");
    h.send("tags", "JOIN #den");
    let lines = h.take("tags");
    assert!(
        lines.contains(&format!(
            "@time=1970-01-01T00:16:40.000Z;msgid={} :bob!bob@chat PRIVMSG #den :two",
            first + 1
        )),
        "{lines:?}"
    );
    // A join has a time, no id.
    h.send("bob", "/part den");
    h.send("bob", "/join den");
    assert!(has(
        &h.take("tags"),
        "@time=1970-01-01T00:16:40.000Z :bob!bob@chat JOIN #den"
    ));
}

/// `+i`: only those invited join (`473` for others); `INVITE` by its
/// operator (`341`, the invited user gets `INVITE`), once per invitation;
/// a member who does not run an invite-only room cannot invite (`482`),
/// nor anyone outside it (`442`), nor anyone already in (`443`).
#[test]
fn an_invite_only_room_takes_those_invited_once() {
    let mut h = open_harness();
    guest(&mut h, "foo", "foo", "foo", "Foo");
    guest(&mut h, "bar", "bar", "bar", "Bar");
    guest(&mut h, "baz", "baz", "baz", "Baz");
    h.send("foo", "JOIN #chan");
    h.send("foo", "MODE #chan +i");
    h.take("foo");
    h.take("bar");
    h.send("bar", "JOIN #chan");
    assert_eq!(
        h.take("bar"),
        vec![":chat 473 bar #chan :Cannot join channel (+i)"]
    );
    h.send("baz", "INVITE bar #chan");
    assert_eq!(
        h.take("baz"),
        vec![":chat 442 baz #chan :You're not on that channel"]
    );
    h.send("foo", "INVITE bar #chan");
    assert_eq!(h.take("foo"), vec![":chat 341 foo bar #chan"]);
    assert_eq!(h.take("bar"), vec![":foo!foo@chat INVITE bar #chan"]);
    h.send("bar", "JOIN #chan");
    assert!(has(&h.take("bar"), ":bar!bar@chat JOIN #chan"));
    h.send("foo", "INVITE bar #chan");
    assert_eq!(
        h.take("foo"),
        vec![
            ":bar!bar@chat JOIN #chan",
            ":chat 443 foo bar #chan :is already on channel"
        ]
    );
    // A member who does not run it cannot invite while it is +i.
    h.send("bar", "INVITE baz #chan");
    assert_eq!(
        h.take("bar"),
        vec![":chat 482 bar #chan :You're not channel operator"]
    );
    // Used once: out and back in takes another invitation.
    h.send("bar", "PART #chan");
    h.take("bar");
    h.send("bar", "JOIN #chan");
    assert_eq!(
        h.take("bar"),
        vec![":chat 473 bar #chan :Cannot join channel (+i)"]
    );
    h.take("foo");
    h.send("foo", "MODE #chan");
    assert_eq!(h.take("foo"), vec![":chat 324 foo #chan +nti"]);
}

/// `extended-join`: `JOIN` carries the account (`*` for a guest) and the
/// real name, one's own too; `account-tag`: a private message from an
/// account carries `@account=`.
#[test]
fn extended_join_and_account_tag_name_the_account() {
    let mut h = open_harness();
    accounts(&mut h, &["carol"]);
    h.connect_irc("ext");
    h.send("ext", "CAP LS 302");
    h.send("ext", "CAP REQ :extended-join account-tag");
    h.send("ext", "NICK ext");
    h.send("ext", "USER e 0 * :Ext Real");
    h.send("ext", "CAP END");
    assert!(has(&h.take("ext"), ":chat 001 ext "));
    guest(&mut h, "foo", "foo", "foo", "Foo");
    irc_login(&mut h, "carol", "carol", "");
    h.send("ext", "JOIN #chan");
    let lines = h.take("ext");
    assert!(
        lines.contains(&":ext!e@chat JOIN #chan * :Ext Real".to_owned()),
        "{lines:?}"
    );
    h.send("carol", "JOIN #chan");
    h.send("foo", "JOIN #chan");
    assert_eq!(
        h.take("ext"),
        vec![
            ":carol!carol@chat JOIN #chan carol :carol",
            ":foo!foo@chat JOIN #chan * :Foo",
        ]
    );
    h.take("carol");
    h.take("foo");
    h.send("carol", "PRIVMSG ext :hi");
    h.send("foo", "PRIVMSG ext :yo");
    assert_eq!(
        h.take("ext"),
        vec![
            "@account=carol :carol!carol@chat PRIVMSG ext :hi",
            ":foo!foo@chat PRIVMSG ext :yo",
        ]
    );
    // An invitation names the inviter's account as a message does.
    h.send("ext", "PART #chan");
    h.take("carol");
    h.take("foo");
    h.take("ext");
    h.send("carol", "INVITE ext #chan");
    h.send("foo", "INVITE ext #chan");
    assert_eq!(
        h.take("ext"),
        vec![
            "@account=carol :carol!carol@chat INVITE ext #chan",
            ":foo!foo@chat INVITE ext #chan",
        ]
    );
    h.take("carol");
    h.take("foo");
    // Without the capabilities, plain lines.
    h.send("ext", "PRIVMSG carol :back");
    assert_eq!(h.take("carol"), vec![":ext!e@chat PRIVMSG carol :back"]);
    h.send("ext", "JOIN #chan");
    h.send("carol", "PART #chan");
    h.take("carol");
    h.send("ext", "INVITE carol #chan");
    assert_eq!(h.take("carol"), vec![":ext!e@chat INVITE carol #chan"]);
}

/// `draft/chathistory` with `batch`: pages of a channel's history by id
/// and by time, in a `chathistory` batch whose lines keep their time and
/// id; private messages by nick; refusals as `FAIL`; `005` says the page.
#[test]
fn chathistory_pages_a_channel_and_a_pair_in_batches() {
    let mut h = Harness::new();
    accounts(&mut h, &["carol", "dave"]);
    h.register("bob", "bob");
    let caps = "message-tags batch draft/chathistory";
    h.connect_irc("hist");
    h.send("hist", "CAP LS 302");
    assert!(h.take("hist")[0].contains(" batch draft/chathistory"));
    h.send("hist", &format!("CAP REQ :{caps}"));
    h.send("hist", &format!("PASS carol:{PW}"));
    h.send("hist", "NICK carol");
    h.send("hist", "USER carol 0 * :carol");
    h.send("hist", "CAP END");
    let lines = h.take("hist");
    assert!(
        has(
            &lines,
            ":chat 005 carol CHATHISTORY=100 MSGREFTYPES=msgid,timestamp TARGMAX=PRIVMSG:4,NOTICE:4 :are supported by this server"
        ),
        "{lines:?}"
    );
    h.send("bob", "/create den");
    h.send("hist", "JOIN #den");
    for (i, word) in ["one", "two", "three", "four"].iter().enumerate() {
        h.advance(std::time::Duration::from_millis(10 + i as u64));
        h.send("bob", &format!("/say den {word}"));
    }
    h.take("bob");
    let lines = h.take("hist");
    let said: Vec<&String> = lines
        .iter()
        .filter(|l| l.contains(" PRIVMSG #den "))
        .collect();
    assert_eq!(said.len(), 4, "{lines:?}");
    // Each line's tags, as a client would send them back.
    let tag = |line: &str, name: &str| -> String {
        let tags = line.split(' ').next().unwrap().trim_start_matches('@');
        tags.split(';')
            .find_map(|t| t.strip_prefix(&format!("{name}=")))
            .unwrap()
            .to_owned()
    };
    let ids: Vec<String> = said.iter().map(|l| tag(l, "msgid")).collect();
    let times: Vec<String> = said.iter().map(|l| tag(l, "time")).collect();
    let history = |word: &str, time: &str, id: &str| {
        format!("@batch=h{{}};time={time};msgid={id} :bob!bob@chat PRIVMSG #den :{word}")
    };
    let batch = |n: u64, rows: &[usize]| -> Vec<String> {
        let words = ["one", "two", "three", "four"];
        let mut v = vec![format!(":chat BATCH +h{n} chathistory #den")];
        for &i in rows {
            v.push(history(words[i], &times[i], &ids[i]).replace("{}", &n.to_string()));
        }
        v.push(format!(":chat BATCH -h{n}"));
        v
    };
    h.send("hist", "CHATHISTORY LATEST #den * 2");
    assert_eq!(h.take("hist"), batch(1, &[2, 3]));
    h.send(
        "hist",
        &format!("CHATHISTORY BEFORE #den msgid={} 10", ids[2]),
    );
    assert_eq!(h.take("hist"), batch(2, &[0, 1]));
    h.send(
        "hist",
        &format!("CHATHISTORY AFTER #den timestamp={} 10", times[1]),
    );
    assert_eq!(h.take("hist"), batch(3, &[2, 3]));
    h.send(
        "hist",
        &format!("CHATHISTORY AROUND #den msgid={} 1", ids[1]),
    );
    assert_eq!(h.take("hist"), batch(4, &[1]));
    h.send(
        "hist",
        &format!(
            "CHATHISTORY BETWEEN #den msgid={} timestamp={} 10",
            ids[3], times[0]
        ),
    );
    assert_eq!(h.take("hist"), batch(5, &[1, 2]));
    h.send(
        "hist",
        &format!("CHATHISTORY LATEST #den msgid={} 10", ids[3]),
    );
    assert_eq!(h.take("hist"), batch(6, &[]));
    // Private messages, by the other's nick.
    h.send("bob", "/msg carol psst");
    h.send("hist", "PRIVMSG bob :hush");
    h.take("bob");
    h.take("hist");
    let lines = {
        h.send("hist", "CHATHISTORY LATEST bob * 10");
        h.take("hist")
    };
    assert_eq!(lines.len(), 4, "{lines:?}");
    assert_eq!(lines[0], ":chat BATCH +h7 chathistory bob");
    assert!(
        lines[1].starts_with("@batch=h7;time=")
            && lines[1].ends_with(" :bob!bob@chat PRIVMSG carol :psst")
    );
    assert!(
        lines[2].ends_with(" :carol!carol@chat PRIVMSG bob :hush"),
        "{lines:?}"
    );
    // The other's nick as they spell it, however it was typed.
    h.send("hist", "CHATHISTORY LATEST BOB * 1");
    let lines = h.take("hist");
    assert!(
        lines[1].ends_with(" :carol!carol@chat PRIVMSG bob :hush"),
        "{lines:?}"
    );
    // Refusals: a channel not joined or missing, bad references.
    h.send("bob", "/create lair");
    h.send("hist", "CHATHISTORY LATEST #lair * 10");
    h.send("hist", "CHATHISTORY LATEST #nowhere * 10");
    h.send("hist", "CHATHISTORY BEFORE #den * 10");
    h.send("hist", "CHATHISTORY BEFORE #den nonce=3 10");
    h.send("hist", "CHATHISTORY AFTER #den msgid=1 many");
    h.send("hist", "CHATHISTORY TWICE #den");
    h.send("hist", "CHATHISTORY AFTER #den");
    assert_eq!(
        h.take("hist"),
        vec![
            ":chat FAIL CHATHISTORY INVALID_TARGET LATEST #lair :you are not in lair",
            ":chat FAIL CHATHISTORY INVALID_TARGET LATEST #nowhere :no room named nowhere",
            ":chat FAIL CHATHISTORY INVALID_PARAMS BEFORE :Invalid message reference",
            ":chat FAIL CHATHISTORY INVALID_MSGREFTYPE BEFORE nonce=3 :Unknown reference type",
            ":chat FAIL CHATHISTORY INVALID_PARAMS AFTER :Invalid limit",
            ":chat FAIL CHATHISTORY UNKNOWN_COMMAND TWICE :Unknown subcommand",
            ":chat FAIL CHATHISTORY NEED_MORE_PARAMS AFTER :Not enough parameters",
        ]
    );
    // The join's own replay is no batch, and a CHATHISTORY after it
    // still is one.
    h.send("hist", "PART #den");
    h.send("hist", "JOIN #den");
    h.send("hist", "CHATHISTORY LATEST #den * 1");
    let lines = h.take("hist");
    assert_eq!(lines[lines.len() - 3], ":chat BATCH +h9 chathistory #den");
    assert!(
        lines[..lines.len() - 3]
            .iter()
            .all(|l| !l.contains("batch")),
        "{lines:?}"
    );
}

/// Without `batch`, a `CHATHISTORY` answer is its lines alone.
#[test]
fn chathistory_without_batch_is_the_lines() {
    let mut h = Harness::new();
    accounts(&mut h, &["carol"]);
    h.register("bob", "bob");
    irc_login(&mut h, "hist", "carol", "draft/chathistory");
    h.send("bob", "hi");
    h.take("hist");
    h.send("hist", "CHATHISTORY LATEST #lobby * 5");
    assert_eq!(h.take("hist"), vec![":bob!bob@chat PRIVMSG #lobby :hi"]);
}

/// `#lobby` is everyone's from login: an IRC client sees its own `JOIN`
/// of it, not others' (`NAMES` lists them, their lines and `QUIT` are
/// shown); chat/1 users still see everyone's `JOIN`; other channels show
/// every `JOIN`.
#[test]
fn others_joining_the_lobby_are_not_shown_to_irc_clients() {
    let mut h = Harness::new();
    accounts(&mut h, &["carol", "dave"]);
    h.register("bob", "bob");
    irc_login(&mut h, "carol", "carol", "server-time");
    h.take("bob");
    irc_login(&mut h, "dave", "dave", "");
    assert_eq!(h.take("carol"), Vec::<String>::new());
    assert!(has(&h.take("bob"), "JOIN 1000000 dave"));
    h.send("carol", "NAMES #lobby");
    assert_eq!(
        h.take("carol"),
        vec![
            ":chat 353 carol = #lobby :bob carol dave",
            ":chat 366 carol #lobby :End of /NAMES list",
        ]
    );
    h.send("dave", "PRIVMSG #lobby :hi");
    assert_eq!(
        h.take("carol"),
        vec!["@time=1970-01-01T00:16:40.000Z :dave!dave@chat PRIVMSG #lobby :hi"]
    );
    h.send("carol", "JOIN #den");
    h.take("carol");
    h.send("dave", "JOIN #den");
    assert_eq!(
        h.take("carol"),
        vec!["@time=1970-01-01T00:16:40.000Z :dave!dave@chat JOIN #den"]
    );
    h.send("dave", "QUIT :bye");
    assert_eq!(
        h.take("carol"),
        vec!["@time=1970-01-01T00:16:40.000Z :dave!dave@chat QUIT :Quit: bye"]
    );
}

/// The capabilities of a client that labels its lines.
const LABELS: &str = "batch labeled-response";

/// `labeled-response`: one line of answer comes labeled, none is `ACK`,
/// several are a labeled batch; an unknown command's error is labeled
/// too; a label too long, or one sent without the capability, is
/// ignored.
#[test]
fn a_labeled_line_is_answered_by_one_line_an_ack_or_a_batch() {
    let mut h = Harness::new();
    accounts(&mut h, &["carol", "dave"]);
    irc_login(&mut h, "carol", "carol", LABELS);
    h.send("carol", "@label=p1 PING tok");
    assert_eq!(h.take("carol"), vec!["@label=p1 :chat PONG chat :tok"]);
    h.send("carol", "@label=p2 PONG tok");
    assert_eq!(h.take("carol"), vec!["@label=p2 :chat ACK"]);
    h.send("carol", "@label=u;+x=y NONEXISTENT_COMMAND");
    assert_eq!(
        h.take("carol"),
        vec!["@label=u :chat 421 carol NONEXISTENT_COMMAND :Unknown command"]
    );
    h.send("carol", "@label=j1 JOIN #den");
    let lines = h.take("carol");
    assert_eq!(lines[0], "@label=j1 :chat BATCH +l1 labeled-response");
    assert_eq!(lines[1], "@batch=l1 :carol!carol@chat JOIN #den");
    assert!(lines[2..lines.len() - 1]
        .iter()
        .all(|l| l.starts_with("@batch=l1 :chat ")));
    assert!(has(&lines, "@batch=l1 :chat 366 carol #den "), "{lines:?}");
    assert_eq!(lines.last().unwrap(), ":chat BATCH -l1");
    // A second batch has a reference of its own.
    h.send("carol", "@label=j2 NAMES #den");
    let lines = h.take("carol");
    assert_eq!(
        lines,
        vec![
            "@label=j2 :chat BATCH +l2 labeled-response",
            "@batch=l2 :chat 353 carol = #den :@carol",
            "@batch=l2 :chat 366 carol #den :End of /NAMES list",
            ":chat BATCH -l2",
        ]
    );
    // Unlabeled lines are answered as ever.
    h.send("carol", "PING tok");
    assert_eq!(h.take("carol"), vec![":chat PONG chat :tok"]);
    let long = "x".repeat(chat_core::irc::MAX_LABEL + 1);
    h.send("carol", &format!("@label={long} PING tok"));
    assert_eq!(h.take("carol"), vec![":chat PONG chat :tok"]);
    // Without the capability (or without `batch`), a label is ignored.
    irc_login(&mut h, "dave", "dave", "labeled-response");
    h.send("dave", "@label=p1 PING tok");
    assert_eq!(h.take("dave"), vec![":chat PONG chat :tok"]);
    h.send("dave", "CAP REQ :-labeled-response batch");
    h.take("dave");
    h.send("dave", "@label=p1 PING tok");
    assert_eq!(h.take("dave"), vec![":chat PONG chat :tok"]);
}

/// A labeled message with `echo-message`: the sender's echo carries the
/// label (in a batch when it is to several targets, one line each);
/// recipients never see the label; to oneself, the copy received is not
/// the answer, the echo is.
#[test]
fn a_labeled_message_labels_the_senders_echo_only() {
    let mut h = Harness::new();
    accounts(&mut h, &["carol", "dave", "erin", "bob"]);
    let caps = "batch labeled-response echo-message";
    irc_login(&mut h, "carol", "carol", caps);
    irc_login(&mut h, "dave", "dave", caps);
    irc_login(&mut h, "erin", "erin", caps);
    irc_login(&mut h, "bob", "bob", "");
    h.send("carol", "@label=m1 PRIVMSG dave,erin,bob :hi all");
    assert_eq!(
        h.take("carol"),
        vec![
            "@label=m1 :chat BATCH +l1 labeled-response",
            "@batch=l1 :carol!carol@chat PRIVMSG dave :hi all",
            "@batch=l1 :carol!carol@chat PRIVMSG erin :hi all",
            "@batch=l1 :carol!carol@chat PRIVMSG bob :hi all",
            ":chat BATCH -l1",
        ]
    );
    for who in ["dave", "erin", "bob"] {
        assert_eq!(
            h.take(who),
            vec![format!(":carol!carol@chat PRIVMSG {who} :hi all")]
        );
    }
    h.send("carol", "@label=m2 NOTICE dave :psst");
    assert_eq!(
        h.take("carol"),
        vec!["@label=m2 :carol!carol@chat NOTICE dave :psst"]
    );
    assert_eq!(h.take("dave"), vec![":carol!carol@chat NOTICE dave :psst"]);
    // In a channel: the echo is labeled, the members' copies are not.
    h.send("carol", "JOIN #den");
    h.send("dave", "JOIN #den");
    h.send("bob", "JOIN #den");
    h.take("carol");
    h.take("dave");
    h.take("bob");
    h.send("carol", "@label=m3 PRIVMSG #den :hello den");
    assert_eq!(
        h.take("carol"),
        vec!["@label=m3 :carol!carol@chat PRIVMSG #den :hello den"]
    );
    assert_eq!(
        h.take("dave"),
        vec![":carol!carol@chat PRIVMSG #den :hello den"]
    );
    assert_eq!(
        h.take("bob"),
        vec![":carol!carol@chat PRIVMSG #den :hello den"]
    );
    // To oneself: the message received, then the labeled echo.
    h.send("carol", "@label=m4 PRIVMSG carol :note to self");
    assert_eq!(
        h.take("carol"),
        vec![
            ":carol!carol@chat PRIVMSG carol :note to self",
            "@label=m4 :carol!carol@chat PRIVMSG carol :note to self",
        ]
    );
    // Each target gets the line's client tags.
    h.send("carol", "CAP REQ :message-tags");
    h.send("dave", "CAP REQ :message-tags");
    h.send("erin", "CAP REQ :message-tags");
    for who in ["carol", "dave", "erin"] {
        h.take(who);
    }
    h.send("carol", "@+x=1 PRIVMSG dave,erin :tagged");
    for who in ["dave", "erin"] {
        let lines = h.take(who);
        assert_eq!(lines.len(), 1, "{lines:?}");
        assert!(lines[0].contains("+x=1"), "{lines:?}");
        assert!(
            lines[0].ends_with(&format!(" PRIVMSG {who} :tagged")),
            "{lines:?}"
        );
    }
    h.take("carol");
    // Too many targets: one error, nothing sent.
    h.send("carol", "@label=m5 PRIVMSG a,b,c,d,e :hi");
    assert_eq!(
        h.take("carol"),
        vec!["@label=m5 :chat 407 carol a,b,c,d,e :Too many targets"]
    );
}

/// A labeled `CHATHISTORY`: its `chathistory` batch is nested in the
/// labeled one (its `BATCH` lines in it, its lines in their own); a line
/// that waits for the store is answered once it is saved, and what
/// others send meanwhile is not part of the answer.
#[test]
fn a_labeled_answer_nests_batches_and_leaves_others_lines_out() {
    let mut h = Harness::new();
    accounts(&mut h, &["carol", "dave"]);
    irc_login(
        &mut h,
        "carol",
        "carol",
        "batch labeled-response draft/chathistory",
    );
    irc_login(&mut h, "dave", "dave", "");
    h.send("dave", "PRIVMSG #lobby :one");
    h.send("dave", "PRIVMSG #lobby :two");
    h.take("carol");
    h.send("carol", "@label=h CHATHISTORY LATEST #lobby * 5");
    assert_eq!(
        h.take("carol"),
        vec![
            "@label=h :chat BATCH +l1 labeled-response",
            "@batch=l1 :chat BATCH +h1 chathistory #lobby",
            "@batch=h1 :dave!dave@chat PRIVMSG #lobby :one",
            "@batch=h1 :dave!dave@chat PRIVMSG #lobby :two",
            "@batch=l1 :chat BATCH -h1",
            ":chat BATCH -l1",
        ]
    );
    // Creating a room waits for the store; dave's message meanwhile is
    // delivered as it is, and the lines carol sends after wait their turn.
    h.persist = harness::Persist::Hold;
    h.send("carol", "@label=w JOIN #new");
    h.send("carol", "@label=p PING after");
    assert_eq!(h.take("carol"), Vec::<String>::new());
    h.send("dave", "PRIVMSG carol :meanwhile");
    assert_eq!(
        h.take("carol"),
        vec![":dave!dave@chat PRIVMSG carol :meanwhile"]
    );
    h.persist = harness::Persist::Ack;
    h.release_persists(true);
    let lines = h.take("carol");
    assert_eq!(lines[0], "@label=w :chat BATCH +l2 labeled-response");
    assert_eq!(lines[1], "@batch=l2 :carol!carol@chat JOIN #new");
    let end = lines.iter().position(|l| l == ":chat BATCH -l2").unwrap();
    assert!(lines[1..end].iter().all(|l| l.starts_with("@batch=l2 ")));
    assert_eq!(lines[end + 1..], ["@label=p :chat PONG chat :after"]);
}

/// A labeled `QUIT`: its `ERROR` comes labeled before the connection
/// closes.
#[test]
fn a_labeled_quit_is_answered_before_the_close() {
    let mut h = Harness::new();
    accounts(&mut h, &["carol"]);
    irc_login(&mut h, "carol", "carol", LABELS);
    h.send("carol", "@label=q QUIT :bye");
    let lines = h.take("carol");
    assert_eq!(lines.len(), 1, "{lines:?}");
    assert!(lines[0].starts_with("@label=q ERROR "), "{lines:?}");
    assert!(h.closed("carol").is_some());
}

/// A labeled answer paced by the connection's drains (a `JOIN` whose
/// history is longer than the output window) goes out a window at a
/// time, in its batch, and ends once the last part is sent; a message
/// from someone else between two parts is outside the batch.
#[test]
fn a_labeled_answer_paced_by_drains_ends_after_its_last_part() {
    let mut config = harness::unlimited();
    config.limits.output_window_bytes = 2_048;
    config.limits.history_on_join = 50;
    let mut h = Harness::with(config, chat_core::StoreSnapshot::default());
    accounts(&mut h, &["carol", "dave"]);
    h.register("bob", "bob");
    h.send("bob", "/create den");
    let text = "x".repeat(300);
    for i in 0..20 {
        h.send("bob", &format!("/say den {i:02}{text}"));
    }
    irc_login(&mut h, "dave", "dave", "");
    irc_login(&mut h, "carol", "carol", LABELS);
    let carol = h.conn("carol");
    h.stalled.push(carol);
    h.send("carol", "@label=big JOIN #den");
    let mut lines = h.take("carol");
    assert_eq!(lines[0], "@label=big :chat BATCH +l1 labeled-response");
    assert!(!has(&lines, ":chat BATCH -l1"), "{lines:?}");
    h.send("dave", "PRIVMSG carol :between parts");
    for _ in 0..20 {
        h.drained("carol");
    }
    lines.extend(h.take("carol"));
    assert_eq!(lines.last().unwrap(), ":chat BATCH -l1");
    let said = lines
        .iter()
        .filter(|l| l.contains(" PRIVMSG #den :"))
        .count();
    assert_eq!(said, 20, "{lines:?}");
    let outside: Vec<&String> = lines[1..lines.len() - 1]
        .iter()
        .filter(|l| !l.starts_with("@batch=l1 "))
        .collect();
    assert_eq!(outside, [":dave!dave@chat PRIVMSG carol :between parts"]);
}

/// `CHATHISTORY TARGETS`: the channels joined and the nicks with private
/// history, by the time of their latest line (as its `time` tag said
/// it), oldest first, in a `draft/chathistory-targets` batch; both
/// bounds left out; only timestamps.
#[test]
fn chathistory_targets_lists_conversations_by_their_latest_line() {
    let mut h = Harness::new();
    accounts(&mut h, &["carol", "dave"]);
    let caps = "message-tags server-time batch draft/chathistory";
    irc_login(&mut h, "carol", "carol", caps);
    irc_login(&mut h, "dave", "dave", caps);
    h.send("carol", "JOIN #den");
    h.send("dave", "JOIN #den");
    h.take("carol");
    h.take("dave");
    let time = |line: &str| -> String {
        let tags = line.split(' ').next().unwrap().trim_start_matches('@');
        tags.split(';')
            .find_map(|t| t.strip_prefix("time="))
            .unwrap()
            .to_owned()
    };
    let mut times = Vec::new();
    for line in [
        "PRIVMSG #den :one",
        "PRIVMSG dave :psst",
        "PRIVMSG #lobby :hi",
    ] {
        h.advance(std::time::Duration::from_millis(3));
        h.send("carol", line);
        times.push(time(&h.take("dave")[0]));
    }
    h.take("carol");
    let (before, after) = (
        "timestamp=1970-01-01T00:00:00.000Z",
        "timestamp=2262-01-01T00:00:00.000Z",
    );
    let batch = |n: u64, rows: &[(&str, &str)]| -> Vec<String> {
        let mut v = vec![format!(":chat BATCH +h{n} draft/chathistory-targets")];
        for (target, at) in rows {
            v.push(format!(
                "@batch=h{n} :chat CHATHISTORY TARGETS {target} {at}"
            ));
        }
        v.push(format!(":chat BATCH -h{n}"));
        v
    };
    h.send("carol", &format!("CHATHISTORY TARGETS {before} {after} 10"));
    let all = [
        ("#den", times[0].as_str()),
        ("dave", times[1].as_str()),
        ("#lobby", times[2].as_str()),
    ];
    assert_eq!(h.take("carol"), batch(1, &all));
    h.send("carol", &format!("CHATHISTORY TARGETS {before} {after} 2"));
    assert_eq!(h.take("carol"), batch(2, &all[..2]));
    // Both bounds are left out.
    h.send(
        "carol",
        &format!(
            "CHATHISTORY TARGETS timestamp={} timestamp={} 10",
            times[0], times[2]
        ),
    );
    assert_eq!(h.take("carol"), batch(3, &all[1..2]));
    // dave names carol, not himself.
    h.send("dave", &format!("CHATHISTORY TARGETS {before} {after} 10"));
    let lines = h.take("dave");
    assert_eq!(
        lines[2],
        format!("@batch=h1 :chat CHATHISTORY TARGETS carol {}", times[1])
    );
    h.send("carol", &format!("CHATHISTORY TARGETS msgid=1 {after} 10"));
    h.send("carol", "CHATHISTORY TARGETS * *");
    assert_eq!(
        h.take("carol"),
        vec![
            ":chat FAIL CHATHISTORY INVALID_PARAMS TARGETS :Expected two timestamps and a limit",
            ":chat FAIL CHATHISTORY NEED_MORE_PARAMS TARGETS :Not enough parameters",
        ]
    );
}

/// A user who logs in again (taking its old session over) is still on
/// the server: IRC clients see no `QUIT` for it in `#lobby` (its new
/// `JOIN #lobby` is not shown either), and the channels the old session
/// was in see it `PART` them.
#[test]
fn a_takeover_is_no_quit_to_irc_clients() {
    let mut h = Harness::new();
    accounts(&mut h, &["carol"]);
    h.register("old", "dave");
    irc_login(&mut h, "carol", "carol", "");
    h.send("carol", "JOIN #den");
    h.send("old", "/join den");
    h.take("carol");
    h.take("old");
    h.connect("new");
    let lines = h.login("new", "dave", PW);
    assert!(has(&lines, "WELCOME"), "{lines:?}");
    assert_eq!(
        h.take("carol"),
        vec![":dave!dave@chat PART #den :Logged in elsewhere"]
    );
    // chat/1 still shows the old session leaving and the new one joining.
    h.register("bob", "bob");
    h.take("new");
    h.connect("again");
    h.login("again", "dave", PW);
    let lines = h.take("bob");
    assert!(has(&lines, "LEAVE ") && has(&lines, "JOIN "), "{lines:?}");
    assert_eq!(h.take("carol"), Vec::<String>::new());
}

/// A private conversation with a guest is kept for the guest's session:
/// both read it back (`CHATHISTORY`), it is never stored, and once the
/// guest leaves it is gone, so whoever registers the nick next reads
/// nothing of it, nor does its old partner under that nick.
#[test]
fn a_guests_private_history_lasts_its_session() {
    let mut h = guest_harness();
    accounts(&mut h, &["carol"]);
    irc_login(&mut h, "carol", "carol", "draft/chathistory");
    register_as_guest(&mut h, "g", "visitor");
    h.take("carol");
    h.send("carol", "PRIVMSG visitor :hello guest");
    h.send("g", "PRIVMSG carol :hello carol");
    h.take("carol");
    h.take("g");
    let said = |lines: &[String]| -> Vec<String> {
        lines
            .iter()
            .filter_map(|l| l.split_once(" PRIVMSG ").map(|(_, m)| m.to_owned()))
            .collect()
    };
    h.send("carol", "CHATHISTORY LATEST visitor * 10");
    assert_eq!(
        said(&h.take("carol")),
        ["visitor :hello guest", "carol :hello carol"]
    );
    h.send("g", "CHATHISTORY LATEST carol * 10");
    assert_eq!(
        said(&h.take("g")),
        ["visitor :hello guest", "carol :hello carol"]
    );
    assert!(!h.persisted.iter().any(|c| matches!(
        c,
        chat_core::StoreChange::AppendLine {
            conversation: chat_core::Conversation::Private(..),
            ..
        }
    )));
    h.send("g", "QUIT");
    h.take("carol");
    h.connect("heir");
    h.send("heir", &format!("/register visitor {PW}"));
    h.take("heir");
    h.send("heir", "/history @carol");
    let page = h.take("heir");
    assert!(has(&page, "END history 0"), "{page:?}");
    h.send("carol", "CHATHISTORY LATEST visitor * 10");
    assert_eq!(said(&h.take("carol")), Vec::<String>::new());
    // Between accounts, kept as ever.
    h.send("carol", "PRIVMSG visitor :now you are someone");
    h.send("carol", "CHATHISTORY LATEST visitor * 10");
    assert_eq!(said(&h.take("carol")), ["visitor :now you are someone"]);
}

/// A notice and an action come back from history as they were said, not
/// as plain lines a bot might answer: in a `CHATHISTORY` batch and in the
/// replay on `JOIN`, a `NOTICE` as `NOTICE` and an action as a CTCP
/// `ACTION`, each with the tags it had live (time, msgid) and the batch's;
/// a private pair's too, whichever side said them.
#[test]
fn history_replays_notices_and_actions_as_they_were_said() {
    let mut h = Harness::new();
    accounts(&mut h, &["carol", "dave"]);
    irc_login(&mut h, "dave", "dave", "");
    let caps = "server-time message-tags batch draft/chathistory";
    irc_login(&mut h, "hist", "carol", caps);
    h.send("dave", "JOIN #den");
    h.send("hist", "JOIN #den");
    h.take("dave");
    h.take("hist");
    let said = [
        "PRIVMSG #den :plain",
        "NOTICE #den :heads up",
        "PRIVMSG #den :\u{1}ACTION waves\u{1}",
    ];
    for line in said {
        h.advance(std::time::Duration::from_millis(5));
        h.send("dave", line);
    }
    let live = h.take("hist");
    assert_eq!(live.len(), 3, "{live:?}");
    for (line, sent) in live.iter().zip(said) {
        let shown = line.split_once(' ').unwrap().1;
        assert_eq!(shown, format!(":dave!dave@chat {sent}"));
    }
    // Kept lines carry no `account` tag (they never did: history keeps
    // who said a line, not whether they were logged in).
    let live: Vec<String> = live
        .iter()
        .map(|l| l.replace(";account=dave", ""))
        .collect();
    h.send("hist", "CHATHISTORY LATEST #den * 10");
    let mut batch = vec![":chat BATCH +h1 chathistory #den".to_owned()];
    batch.extend(live.iter().map(|l| l.replacen('@', "@batch=h1;", 1)));
    batch.push(":chat BATCH -h1".to_owned());
    assert_eq!(h.take("hist"), batch);
    // The replay on joining again: the lines as they were live.
    h.send("hist", "PART #den");
    h.send("hist", "JOIN #den");
    let lines = h.take("hist");
    assert_eq!(lines[lines.len() - 3..], live[..], "{lines:?}");
    // A private pair, each side's.
    h.send("dave", "NOTICE carol :psst");
    h.send("dave", "PRIVMSG carol :\u{1}ACTION nods\u{1}");
    h.send("hist", "NOTICE dave :noted");
    h.take("dave");
    h.take("hist");
    h.send("hist", "CHATHISTORY LATEST dave * 10");
    let lines: Vec<String> = h
        .take("hist")
        .iter()
        .map(|l| l.split_once(' ').unwrap().1.to_owned())
        .collect();
    assert_eq!(
        lines,
        [
            "BATCH +h2 chathistory dave",
            ":dave!dave@chat NOTICE carol :psst",
            ":dave!dave@chat PRIVMSG carol :\u{1}ACTION nods\u{1}",
            ":carol!carol@chat NOTICE dave :noted",
            "BATCH -h2",
        ]
    );
}

#[test]
fn observers_see_a_notice_and_an_action_as_they_were_meant() {
    use chat_core::{ChatEvent, MessageKind};
    let mut config = harness::unlimited();
    config.irc_guests = true;
    config.emit_events = true;
    let mut h = Harness::with(config, chat_core::StoreSnapshot::default());
    guest(&mut h, "bot", "buildbot", "bot", "Bot");
    guest(&mut h, "p", "person", "p", "P");
    h.events.clear();
    h.send("bot", "NOTICE #lobby :build passed");
    h.send("bot", "PRIVMSG #lobby :\u{1}ACTION deploys\u{1}");
    h.send("bot", "NOTICE person :your build");
    h.send("bot", "PRIVMSG #lobby :plain");
    let seen: Vec<(MessageKind, String)> = h
        .events
        .iter()
        .filter_map(|e| match e {
            ChatEvent::Message { kind, text, .. } | ChatEvent::Private { kind, text, .. } => {
                Some((*kind, text.to_string()))
            }
            _ => None,
        })
        .collect();
    assert_eq!(
        seen,
        [
            (MessageKind::Notice, "build passed".to_owned()),
            (MessageKind::Action, "deploys".to_owned()),
            (MessageKind::Notice, "your build".to_owned()),
            (MessageKind::Said, "plain".to_owned()),
        ]
    );
}
