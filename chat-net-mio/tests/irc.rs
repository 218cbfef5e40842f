//! IRC over TCP: the listener, registration and login, and IRC users
//! beside chat/1 users in the room.

mod support;

use std::io::{BufRead, BufReader, Write};
use std::net::TcpStream;
use std::time::Duration;

use support::{config, expect, TestServer, PASSWORD};

/// A line-at-a-time IRC peer.
struct Irc {
    reader: BufReader<TcpStream>,
    writer: TcpStream,
}

impl Irc {
    fn connect(server: &TestServer) -> Irc {
        let stream = TcpStream::connect(server.irc_addr.expect("an IRC listener")).unwrap();
        stream
            .set_read_timeout(Some(Duration::from_secs(10)))
            .unwrap();
        Irc {
            writer: stream.try_clone().unwrap(),
            reader: BufReader::new(stream),
        }
    }

    fn send(&mut self, line: &str) {
        self.writer
            .write_all(format!("{line}\r\n").as_bytes())
            .unwrap();
    }

    /// The next line, without its `\r\n`; `None` at the end.
    fn line(&mut self) -> Option<String> {
        let mut line = String::new();
        match self.reader.read_line(&mut line).unwrap() {
            0 => None,
            _ => Some(line.trim_end_matches(['\r', '\n']).to_owned()),
        }
    }

    /// Reads until a line containing `part`; panics with what came if the
    /// connection ends first.
    fn until(&mut self, part: &str) -> String {
        let mut seen = Vec::new();
        while let Some(line) = self.line() {
            if line.contains(part) {
                return line;
            }
            seen.push(line);
        }
        panic!("no line with {part:?}; got {seen:?}");
    }
}

fn irc_config(admins: &[&str]) -> chat_net_mio::ServerConfig {
    let mut c = config(admins);
    c.irc_bind = Some("127.0.0.1:0".parse().unwrap());
    c
}

#[test]
fn the_irc_listener_is_off_unless_configured() {
    let server = TestServer::start(config(&[]));
    assert!(server.irc_addr.is_none());
}

#[test]
fn irc_and_chat1_users_share_the_room_and_private_messages() {
    let server = TestServer::start(irc_config(&["root"]));
    let mut bob = server.register("bob");
    let mut irc = Irc::connect(&server);
    irc.send("CAP LS 302");
    irc.send("NICK carol");
    irc.send("USER carol 0 * :Carol");
    irc.until("CAP * LS :sasl=PLAIN");
    irc.send("CAP END");
    irc.until(" 422 carol ");
    irc.until("NOTICE carol :Your nick is your account");
    irc.send(&format!("PRIVMSG NickServ :REGISTER {PASSWORD}"));
    irc.until(":carol!carol@chat JOIN #lobby");
    irc.until(" 353 carol = #lobby :bob carol");
    irc.until(" 366 carol #lobby ");
    expect(&mut bob, "JOIN ");

    irc.send("PRIVMSG #lobby :hi from irc");
    let line = expect(&mut bob, "MSG ");
    assert!(line.ends_with(" carol hi from irc"), "{line}");
    bob.send("hi from chat/1").unwrap();
    assert_eq!(
        irc.until("PRIVMSG #lobby"),
        ":bob!bob@chat PRIVMSG #lobby :hi from chat/1"
    );
    irc.send("PRIVMSG bob :psst");
    let line = expect(&mut bob, "PM ");
    assert!(line.ends_with(" carol psst"), "{line}");
    bob.send("/msg carol back").unwrap();
    assert_eq!(
        irc.until("PRIVMSG carol"),
        ":bob!bob@chat PRIVMSG carol :back"
    );

    // An admin kicks the IRC user: KICK, ERROR, then the close.
    let mut root = server.register("root");
    root.send("/kickuser carol enough").unwrap();
    assert_eq!(
        irc.until(" KICK "),
        ":root!root@chat KICK #lobby carol :enough"
    );
    assert!(irc.until("ERROR ").starts_with("ERROR :Closing link"));
    assert_eq!(irc.line(), None);
    expect(&mut bob, "LEAVE ");
}

#[test]
fn sasl_login_over_tcp_and_quit() {
    let server = TestServer::start(irc_config(&[]));
    drop(server.register("dave"));
    let mut irc = Irc::connect(&server);
    irc.send("CAP LS 302");
    irc.send("NICK dave");
    irc.send("USER dave 0 * :Dave");
    irc.send("CAP REQ :sasl");
    irc.until("CAP dave ACK :sasl");
    irc.send("AUTHENTICATE PLAIN");
    irc.until("AUTHENTICATE +");
    // base64("\0dave\0password-123")
    irc.send("AUTHENTICATE AGRhdmUAcGFzc3dvcmQtMTIz");
    irc.until(" 903 dave ");
    irc.send("CAP END");
    irc.until(" 366 dave #lobby ");
    irc.send("PING :abc");
    assert_eq!(irc.until("PONG"), ":chat PONG chat :abc");
    irc.send("QUIT :bye");
    assert_eq!(irc.until("ERROR"), "ERROR :Closing link: quit");
    assert_eq!(irc.line(), None);
}

/// Room lines of several IRC senders, joined into one frame per loop turn
/// when they arrive together: each sender gets the others' lines in order
/// and never its own (no echo-message); a chat/1 member gets them all.
#[test]
fn irc_senders_get_the_others_lines_and_never_their_own() {
    let server = TestServer::start(irc_config(&[]));
    let mut bob = server.register("bob");
    let mut peers: Vec<(String, Irc)> = ["ann", "cy", "dee"]
        .iter()
        .map(|nick| {
            let mut irc = Irc::connect(&server);
            irc.send(&format!("NICK {nick}"));
            irc.send(&format!("USER {nick} 0 * :{nick}"));
            irc.send(&format!("PRIVMSG NickServ :REGISTER {PASSWORD}"));
            irc.until(&format!(" 366 {nick} #lobby "));
            (nick.to_string(), irc)
        })
        .collect();
    for _ in &peers {
        expect(&mut bob, "JOIN ");
    }
    const LINES: usize = 20;
    // Every sender's lines in one write each, back to back.
    for (nick, irc) in &mut peers {
        let burst: String = (0..LINES)
            .map(|i| format!("PRIVMSG #lobby :{nick} {i}\r\n"))
            .collect();
        irc.writer.write_all(burst.as_bytes()).unwrap();
    }
    for (me, irc) in &mut peers {
        let mut next: Vec<(&str, usize)> = ["ann", "cy", "dee"]
            .into_iter()
            .filter(|n| n != me)
            .map(|n| (n, 0))
            .collect();
        while next.iter().any(|(_, i)| *i < LINES) {
            let line = irc.until(" PRIVMSG #lobby :");
            let text = line.rsplit(" :").next().unwrap();
            let (from, i) = text.split_once(' ').unwrap();
            assert_ne!(from, me, "{me} got its own line back: {line}");
            let slot = next.iter_mut().find(|(n, _)| *n == from).unwrap();
            assert_eq!(i, slot.1.to_string(), "{me}: {from}'s lines out of order");
            slot.1 += 1;
        }
    }
    for _ in 0..3 * LINES {
        expect(&mut bob, "MSG ");
    }
}

#[test]
fn a_guest_chats_over_tcp_when_the_server_takes_guests() {
    let mut c = irc_config(&[]);
    c.irc_guests = true;
    let server = TestServer::start(c);
    let mut bob = server.register("bob");
    let mut irc = Irc::connect(&server);
    irc.send("NICK bob");
    irc.send("USER b 0 * :B");
    // bob is an account: the nick is refused, another one works.
    irc.until(" 433 bob bob ");
    irc.send("NICK visitor");
    irc.until(":visitor!b@chat JOIN #lobby");
    irc.until(" 366 visitor #lobby ");
    expect(&mut bob, "JOIN ");
    bob.send("/viewusers").unwrap();
    expect(&mut bob, "USER visitor 1 guest");
    irc.send("PRIVMSG #lobby :hello as a guest");
    let line = expect(&mut bob, "MSG ");
    assert!(line.ends_with(" visitor hello as a guest"), "{line}");
    irc.send("QUIT");
    assert_eq!(irc.until("ERROR"), "ERROR :Closing link: quit");
    assert_eq!(irc.line(), None);
    expect(&mut bob, "LEAVE ");
}

#[test]
fn a_silent_irc_client_is_pinged_then_dropped() {
    let mut c = irc_config(&[]);
    c.limits.irc_ping_interval_ms = 200;
    c.limits.irc_ping_timeout_ms = 300;
    let server = TestServer::start(c);
    drop(server.register("dave"));
    let mut bob = server.register("bob");
    let mut irc = Irc::connect(&server);
    irc.send(&format!("PASS dave:{PASSWORD}"));
    irc.send("NICK dave");
    irc.send("USER dave 0 * :Dave");
    irc.until(" 366 dave #lobby ");
    // Answered: still there, pinged again later.
    let ping = irc.until("PING :");
    irc.send(&ping.replacen("PING", "PONG", 1));
    irc.until("PING :");
    // Not answered: ERROR, then the close.
    assert_eq!(
        irc.until("ERROR"),
        "ERROR :Closing Link: dave (Ping timeout)"
    );
    assert_eq!(irc.line(), None);
    let leave = expect(&mut bob, "LEAVE ");
    assert!(leave.ends_with(" dave timeout"), "{leave}");
}

#[test]
fn whois_over_chat1_and_irc_tells_the_same() {
    let server = TestServer::start(irc_config(&["root"]));
    let mut root = server.register("root");
    root.send("/create rust").unwrap();
    expect(&mut root, "OK joined rust");
    root.send("/busy at lunch").unwrap();
    expect(&mut root, "CTL busy");
    let mut irc = Irc::connect(&server);
    irc.send("NICK carol");
    irc.send("USER carol 0 * :Carol Smith");
    irc.until(" 422 carol ");
    irc.send(&format!("PRIVMSG NickServ :REGISTER {PASSWORD}"));
    irc.until(" 366 carol #lobby ");
    irc.send("JOIN #rust");
    irc.until(" 366 carol #rust ");

    // chat/1 asks about the IRC user: one WHOIS line.
    root.send("/whois CAROL").unwrap();
    let line = expect(&mut root, "WHOIS ");
    let f: Vec<&str> = line.splitn(8, ' ').collect();
    assert_eq!(f[1..4], ["carol", "1", "free"], "{line}");
    assert!(
        f[4].parse::<u64>().is_ok() && f[5].parse::<u64>().is_ok(),
        "{line}"
    );
    assert_eq!(f[6], "rust", "{line}");
    assert_eq!(f.len(), 7, "no away message: {line}");
    // What the client library reads it as.
    match chat_core::wire::parse_reply(&line).unwrap() {
        chat_core::reply::Reply::WhoIs(w) => {
            assert_eq!((w.name, w.grant), ("carol", chat_core::Grant::User));
            assert_eq!(w.rooms[0].0, "rust");
        }
        other => panic!("{other:?}"),
    }

    // IRC asks about the chat/1 user: its numerics, from the same reply.
    irc.send("WHOIS root");
    assert_eq!(irc.until(" 311 "), ":chat 311 carol root root chat * :root");
    assert_eq!(irc.until(" 319 "), ":chat 319 carol root :@#lobby @#rust");
    assert_eq!(irc.until(" 301 "), ":chat 301 carol root :at lunch");
    irc.until(" 318 carol root ");

    // Back over chat/1: the admin, busy with a message, operator of #rust.
    let mut bob = server.register("bob");
    bob.send("/whois root").unwrap();
    let line = expect(&mut bob, "WHOIS ");
    let f: Vec<&str> = line.splitn(8, ' ').collect();
    assert_eq!(f[1..4], ["root", "0", "busy"], "{line}");
    assert_eq!(f[6..], ["@rust", "at lunch"], "{line}");
    bob.send("/whois nobody").unwrap();
    assert_eq!(
        expect(&mut bob, "ERR "),
        "ERR no-such-user nobody is not online"
    );
    bob.send("/whois").unwrap();
    assert_eq!(
        expect(&mut bob, "ERR "),
        "ERR bad-argument usage: /whois <user>"
    );
    bob.send("/help").unwrap();
    let (_, help) = bob.wait_for("END help").unwrap();
    assert!(
        help.iter().any(|l| l.starts_with("INFO /whois <user> ")),
        "{help:?}"
    );
}
