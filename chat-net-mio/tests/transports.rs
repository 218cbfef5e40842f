//! TLS and WebSocket listeners (issue 10), over real loopback sockets:
//! chat/1 over TLS and over WebSocket beside plain TCP, the refusals, the
//! certificate reload, the page.

mod support;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::Path;
use std::time::Duration;

use chat_client::{Auth, Client, ClientError, TlsConnector, Transport};
use chat_net_mio::{ListenerConfig, Protocol, ServerConfig, TlsFiles, TransportKind};
use support::tls::{cert, IrcTls};
use support::{config, expect, TestServer, PASSWORD};

fn listener(transport: TransportKind) -> ListenerConfig {
    ListenerConfig {
        bind: "127.0.0.1:0".parse().unwrap(),
        transport,
        protocol: Protocol::Chat1,
    }
}

/// A server with a TLS, a WebSocket and a WebSocket-over-TLS listener,
/// whose certificate is in `certs`; returns it and the three addresses.
fn start(certs: &Path, mut cfg: ServerConfig) -> (TestServer, TlsFiles, [SocketAddr; 3]) {
    let files = cert(certs, "server");
    cfg.tls = Some(files.clone());
    cfg.listeners = vec![
        listener(TransportKind::Tls),
        listener(TransportKind::Ws),
        listener(TransportKind::Wss),
    ];
    let s = TestServer::start(cfg);
    let a = s.listener_addrs.clone();
    (s, files, [a[0], a[1], a[2]])
}

/// Waits for `from`'s room message `text` (skipping others, echoes too).
fn msg(c: &mut Client, from: &str, text: &str) {
    while !expect(c, "MSG ").ends_with(&format!(" {from} {text}")) {}
}

/// Whether a TLS handshake trusting `ca` succeeds (and HELLO comes).
fn handshake(addr: SocketAddr, ca: &Path) -> bool {
    let mut tls = support::tls::connect(addr, ca);
    let mut hello = [0u8; 5];
    tls.read_exact(&mut hello).is_ok() && &hello == b"HELLO"
}

fn tls_to(ca: &Path) -> Transport {
    Transport::Tls(TlsConnector::new(Some(ca), "localhost").unwrap())
}

#[test]
fn chat1_over_tls_beside_plain_tcp() {
    let certs = tempfile::tempdir().unwrap();
    let (s, files, [tls, _, _]) = start(certs.path(), config(&[]));
    let mut alice =
        Client::enter_via(tls, "alice", PASSWORD, Auth::Register, tls_to(&files.cert)).unwrap();
    let mut bob = s.register("bob");
    expect(&mut alice, "JOIN ");
    alice.send("hello over tls").unwrap();
    msg(&mut bob, "alice", "hello over tls");
    bob.send("hello in clear").unwrap();
    msg(&mut alice, "bob", "hello in clear");
}

#[test]
fn wrong_certificates_and_plain_text_are_refused_cleanly() {
    let certs = tempfile::tempdir().unwrap();
    let (s, files, [tls, _, _]) = start(certs.path(), config(&[]));
    // A client that trusts another certificate gives up in the handshake.
    let other = cert(certs.path(), "other");
    let err = Client::enter_via(
        tls,
        "mallory",
        PASSWORD,
        Auth::Register,
        tls_to(&other.cert),
    )
    .unwrap_err();
    assert!(matches!(err, ClientError::Io(_)), "{err}");
    // Plain chat/1 on the TLS port: closed without a HELLO.
    let mut raw = TcpStream::connect(tls).unwrap();
    raw.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    raw.write_all(format!("/register eve {PASSWORD}\n").as_bytes())
        .unwrap();
    let mut got = Vec::new();
    let _ = raw.read_to_end(&mut got);
    assert!(!got.windows(5).any(|w| w == b"HELLO"), "{got:?}");
    // Nobody else noticed: a good client gets in, and the engine never saw
    // the others.
    let mut alice =
        Client::enter_via(tls, "alice", PASSWORD, Auth::Register, tls_to(&files.cert)).unwrap();
    alice.send("/viewusers").unwrap();
    let (_, rows) = alice.wait_for("END users").unwrap();
    assert_eq!(rows.iter().filter(|r| r.starts_with("USER ")).count(), 1);
    drop(s);
}

#[test]
fn a_silent_handshake_times_out() {
    let certs = tempfile::tempdir().unwrap();
    let mut cfg = config(&[]);
    cfg.net.handshake_timeout_ms = 200;
    let (_s, _, [tls, ws, _]) = start(certs.path(), cfg);
    for addr in [tls, ws] {
        let mut raw = TcpStream::connect(addr).unwrap();
        raw.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
        let mut got = Vec::new();
        raw.read_to_end(&mut got)
            .expect("closed by the server, not timed out here");
        assert!(got.is_empty());
    }
}

#[test]
fn handshakes_in_progress_are_limited() {
    let certs = tempfile::tempdir().unwrap();
    let mut cfg = config(&[]);
    cfg.net.max_handshakes = 1;
    let (s, files, [tls, _, _]) = start(certs.path(), cfg);
    // One connection sits in its handshake; the next is closed at accept.
    let _first = TcpStream::connect(tls).unwrap();
    let mut second = TcpStream::connect(tls).unwrap();
    second
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    let mut got = Vec::new();
    match second.read_to_end(&mut got) {
        // Reset at accept: no handshake begun.
        Err(e) if e.kind() == std::io::ErrorKind::ConnectionReset => {}
        other => panic!("not closed at accept: {other:?}"),
    }
    assert!(got.is_empty());
    // Plain TCP is not held up by it.
    let mut bob = s.register("bob");
    bob.send("/ping p").unwrap();
    expect(&mut bob, "PONG p");
    drop(_first);
    support::eventually("a handshake once the first is gone", || {
        handshake(tls, &files.cert)
    });
}

#[test]
fn a_reload_serves_the_new_certificate_and_keeps_open_connections() {
    let certs = tempfile::tempdir().unwrap();
    let (s, files, [tls, _, _]) = start(certs.path(), config(&[]));
    let old_ca = certs.path().join("old.crt");
    std::fs::copy(&files.cert, &old_ca).unwrap();
    let mut alice =
        Client::enter_via(tls, "alice", PASSWORD, Auth::Register, tls_to(&old_ca)).unwrap();
    // New files in place, then the reload.
    let new = cert(certs.path(), "new");
    std::fs::copy(&new.cert, &files.cert).unwrap();
    std::fs::copy(&new.key, &files.key).unwrap();
    s.handle.reload_tls();
    // Polls: the reload is asynchronous.
    support::eventually("a handshake with the new certificate", || {
        handshake(tls, &new.cert)
    });
    let mut bob =
        Client::enter_via(tls, "bob", PASSWORD, Auth::Register, tls_to(&new.cert)).unwrap();
    // The old certificate is not offered any more.
    assert!(Client::enter_via(tls, "carol", PASSWORD, Auth::Register, tls_to(&old_ca)).is_err());
    // Alice's connection, made with the old certificate, still works.
    alice.send("still here").unwrap();
    msg(&mut bob, "alice", "still here");
    // Unusable files keep the current certificate.
    std::fs::write(&files.key, "not a key").unwrap();
    s.handle.reload_tls();
    let mut carol =
        Client::enter_via(tls, "carol", PASSWORD, Auth::Register, tls_to(&new.cert)).unwrap();
    carol.send("/ping x").unwrap();
    expect(&mut carol, "PONG x");
}

/// A minimal WebSocket client: the upgrade, masked text frames out, text
/// frames in.
struct Ws {
    r: BufReader<TcpStream>,
    w: TcpStream,
}

impl Ws {
    /// Upgrades; returns the client or the status line of the refusal.
    fn connect(addr: SocketAddr, subprotocols: Option<&str>) -> Result<Ws, String> {
        let w = TcpStream::connect(addr).unwrap();
        w.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
        let mut r = BufReader::new(w.try_clone().unwrap());
        let mut w2 = w.try_clone().unwrap();
        let proto = subprotocols
            .map(|p| format!("Sec-WebSocket-Protocol: {p}\r\n"))
            .unwrap_or_default();
        write!(
            w2,
            "GET /chat HTTP/1.1\r\nHost: localhost\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n{proto}\r\n"
        )
        .unwrap();
        let mut status = String::new();
        r.read_line(&mut status).unwrap();
        let mut headers = Vec::new();
        loop {
            let mut h = String::new();
            r.read_line(&mut h).unwrap();
            if h == "\r\n" || h.is_empty() {
                break;
            }
            headers.push(h);
        }
        if !status.starts_with("HTTP/1.1 101") {
            return Err(status);
        }
        assert!(headers
            .iter()
            .any(|h| h.trim_end() == "Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo="));
        Ok(Ws { r, w })
    }

    fn send_frame(&mut self, opcode: u8, payload: &[u8]) {
        let mask = [9, 8, 7, 6];
        let mut f = vec![0x80 | opcode];
        match payload.len() {
            n if n < 126 => f.push(0x80 | n as u8),
            n if n <= 65535 => {
                f.push(0x80 | 126);
                f.extend_from_slice(&(n as u16).to_be_bytes());
            }
            n => {
                f.push(0x80 | 127);
                f.extend_from_slice(&(n as u64).to_be_bytes());
            }
        }
        f.extend_from_slice(&mask);
        f.extend(payload.iter().enumerate().map(|(i, b)| b ^ mask[i & 3]));
        // The server may have closed already: the test reads what it said.
        let _ = self.w.write_all(&f);
    }

    fn send(&mut self, line: &str) {
        self.send_frame(1, line.as_bytes());
    }

    /// The next frame: (opcode, payload); `None` at end of stream.
    fn frame(&mut self) -> Option<(u8, Vec<u8>)> {
        let mut h = [0u8; 2];
        self.r.read_exact(&mut h).ok()?;
        assert_eq!(h[1] & 0x80, 0, "server frames are not masked");
        let len = match h[1] & 0x7F {
            126 => {
                let mut n = [0u8; 2];
                self.r.read_exact(&mut n).unwrap();
                u16::from_be_bytes(n) as usize
            }
            127 => {
                let mut n = [0u8; 8];
                self.r.read_exact(&mut n).unwrap();
                u64::from_be_bytes(n) as usize
            }
            n => n as usize,
        };
        let mut p = vec![0; len];
        self.r.read_exact(&mut p).unwrap();
        Some((h[0] & 0x0F, p))
    }

    /// Text messages until one starts with `prefix`.
    fn expect(&mut self, prefix: &str) -> String {
        loop {
            let (op, p) = self
                .frame()
                .unwrap_or_else(|| panic!("closed before {prefix:?}"));
            assert_eq!(op, 1, "a text frame");
            let text = String::from_utf8(p).unwrap();
            assert!(
                !text.contains(['\r', '\n']),
                "one line per message: {text:?}"
            );
            if text.starts_with(prefix) {
                return text;
            }
        }
    }

    /// Frames until a close; returns its code.
    fn close_code(&mut self) -> u16 {
        while let Some((op, p)) = self.frame() {
            if op == 8 {
                return u16::from_be_bytes([p[0], p[1]]);
            }
        }
        panic!("no close frame");
    }
}

#[test]
fn websocket_carries_chat1_one_line_per_message() {
    let certs = tempfile::tempdir().unwrap();
    let (s, _, [_, ws, _]) = start(certs.path(), config(&[]));
    // Our subprotocol, offered after one we do not speak.
    let mut alice = Ws::connect(ws, Some("mqtt, chat.v1")).unwrap();
    assert!(alice.expect("HELLO ").starts_with("HELLO chat/1"));
    alice.send(&format!("/register alice {PASSWORD}"));
    alice.expect("WELCOME alice");
    // No subprotocol: the listener's own (chat/1).
    let mut bob = Ws::connect(ws, None).unwrap();
    bob.send(&format!("/register bob {PASSWORD}"));
    bob.expect("WELCOME bob");
    let mut carol = s.register("carol");
    alice.send("hi from the web");
    msg(&mut carol, "alice", "hi from the web");
    assert!(bob.expect("MSG ").ends_with(" alice hi from the web"));
    carol.send("hi from tcp").unwrap();
    while !alice.expect("MSG ").ends_with(" carol hi from tcp") {}
    // A ping is answered with a pong carrying its payload.
    alice.send_frame(9, b"are you there");
    loop {
        let (op, p) = alice.frame().unwrap();
        if op == 0xA {
            assert_eq!(p, b"are you there");
            break;
        }
    }
    // A close is answered, and the room sees the user leave.
    bob.send_frame(8, &1000u16.to_be_bytes());
    assert_eq!(bob.close_code(), 1000);
    assert!(expect(&mut carol, "LEAVE ").contains(" bob "));
}

#[test]
fn websocket_refusals() {
    let certs = tempfile::tempdir().unwrap();
    let (s, _, [_, ws, _]) = start(certs.path(), config(&[]));
    // Only subprotocols we do not speak offered: a clean HTTP refusal.
    let status = Ws::connect(ws, Some("mqtt, binary.ircv3.net"))
        .err()
        .unwrap();
    assert!(status.starts_with("HTTP/1.1 400"), "{status}");
    // A message over the line limit closes with 1009 (message too big).
    let mut alice = Ws::connect(ws, Some("chat.v1")).unwrap();
    alice.send(&format!("/register alice {PASSWORD}"));
    alice.expect("WELCOME alice");
    let mut bob = s.register("bob");
    // A line is at most 4,096 bytes with its `\n`: a message of 4,095.
    let longest = "x".repeat(4095);
    alice.send(&longest);
    msg(&mut bob, "alice", &longest);
    alice.send(&"x".repeat(4096));
    assert_eq!(alice.close_code(), 1009);
    assert!(expect(&mut bob, "LEAVE ").contains(" alice "));
    // A binary message: 1003.
    let mut carol = Ws::connect(ws, Some("chat.v1")).unwrap();
    carol.send_frame(2, b"bytes");
    assert_eq!(carol.close_code(), 1003);
}

#[test]
fn a_websocket_reader_that_stops_reading_is_dropped() {
    let certs = tempfile::tempdir().unwrap();
    let mut cfg = config(&[]);
    cfg.net.max_outbound_bytes = 32 * 1024;
    cfg.limits.messages_per_second = 0;
    let (s, _, [_, ws, _]) = start(certs.path(), cfg);
    let mut sloth = Ws::connect(ws, Some("chat.v1")).unwrap();
    sloth.send(&format!("/register sloth {PASSWORD}"));
    sloth.expect("WELCOME sloth");
    let mut bob = s.register("bob");
    let mut alice = s.register("alice");
    let sender = std::thread::spawn(move || {
        let line = "y".repeat(3_000);
        for _ in 0..2_500 {
            if alice.send(&line).is_err() {
                break;
            }
        }
        alice
    });
    loop {
        let leave = expect(&mut bob, "LEAVE ");
        if leave.contains(" sloth ") {
            assert!(leave.ends_with(" sloth too-slow"), "{leave}");
            break;
        }
    }
    drop(sender);
}

#[test]
fn the_page_is_served_with_a_strict_policy_over_tls_too() {
    let certs = tempfile::tempdir().unwrap();
    let (_s, files, [_, ws, wss]) = start(certs.path(), config(&[]));
    let mut raw = TcpStream::connect(ws).unwrap();
    raw.write_all(b"GET / HTTP/1.1\r\nHost: localhost\r\n\r\n")
        .unwrap();
    let mut page = String::new();
    raw.read_to_string(&mut page).unwrap();
    assert!(page.starts_with("HTTP/1.1 200 OK"), "{page}");
    assert!(page.contains("Content-Security-Policy: default-src 'none'; script-src 'self';"));
    assert!(page.contains("<script src=\"app.js\""));
    // The same over TLS, through rustls.
    let mut tls = support::tls::connect(wss, &files.cert);
    tls.write_all(b"GET /app.js HTTP/1.1\r\nHost: localhost\r\n\r\n")
        .unwrap();
    let mut js = Vec::new();
    let _ = tls.read_to_end(&mut js);
    let js = String::from_utf8(js).unwrap();
    assert!(js.starts_with("HTTP/1.1 200 OK"), "{js}");
    assert!(js.contains("text/javascript"));
}

#[test]
fn irc_over_tls_logs_in_and_talks_with_chat1() {
    let certs = tempfile::tempdir().unwrap();
    let files = cert(certs.path(), "server");
    let mut cfg = config(&[]);
    cfg.tls = Some(files.clone());
    cfg.listeners = vec![ListenerConfig {
        bind: "127.0.0.1:0".parse().unwrap(),
        transport: TransportKind::Tls,
        protocol: Protocol::Irc,
    }];
    let s = TestServer::start(cfg);
    drop(s.register("alice"));
    let mut bob = s.register("bob");
    let mut irc = IrcTls::connect(s.listener_addrs[0], &files.cert);
    irc.send(&format!("PASS alice:{PASSWORD}"));
    irc.send("NICK alice");
    irc.send("USER alice 0 * :Alice");
    irc.until(" 001 alice ");
    irc.until(":alice!alice@chat JOIN #lobby");
    expect(&mut bob, "JOIN ");
    irc.send("PRIVMSG #lobby :hi over tls");
    msg(&mut bob, "alice", "hi over tls");
    bob.send("hi in clear").unwrap();
    assert_eq!(
        irc.until("PRIVMSG #lobby"),
        ":bob!bob@chat PRIVMSG #lobby :hi in clear"
    );
}

#[test]
fn irc_over_websocket_one_message_per_line() {
    let certs = tempfile::tempdir().unwrap();
    let (s, _, [_, ws, _]) = start(certs.path(), config(&[]));
    drop(s.register("alice"));
    let mut bob = s.register("bob");
    // The listener's own protocol is chat/1: the subprotocol picks IRC.
    let mut irc = Ws::connect(ws, Some("text.ircv3.net")).unwrap();
    irc.send(&format!("PASS alice:{PASSWORD}"));
    irc.send("NICK alice");
    irc.send("USER alice 0 * :Alice");
    // `expect` checks each message holds no line end at all (no `\r`).
    irc.expect(":chat 001 alice ");
    let join = irc.expect(":alice!alice@chat JOIN");
    assert!(!join.ends_with('\r'), "{join:?}");
    expect(&mut bob, "JOIN ");
    irc.send("PRIVMSG #lobby :hi from web irc");
    msg(&mut bob, "alice", "hi from web irc");
    bob.send("hi from chat/1").unwrap();
    assert_eq!(
        irc.expect(":bob!bob@chat PRIVMSG"),
        ":bob!bob@chat PRIVMSG #lobby :hi from chat/1"
    );
}

#[test]
fn a_websocket_from_another_sites_page_is_refused() {
    let certs = tempfile::tempdir().unwrap();
    let mut cfg = config(&[]);
    cfg.net.allowed_origins = vec!["https://app.example".into()];
    let (_s, _, [_, ws, _]) = start(certs.path(), cfg);
    let upgrade = |origin: &str| {
        let mut c = TcpStream::connect(ws).unwrap();
        c.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
        write!(
            c,
            "GET /chat HTTP/1.1\r\nHost: localhost\r\nOrigin: {origin}\r\nUpgrade: websocket\r\n\
Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\
Sec-WebSocket-Version: 13\r\nSec-WebSocket-Protocol: chat.v1\r\n\r\n"
        )
        .unwrap();
        let mut status = String::new();
        BufReader::new(c).read_line(&mut status).unwrap();
        status
    };
    // A page elsewhere may not use its visitors' browsers to log in here.
    assert!(upgrade("https://evil.example").starts_with("HTTP/1.1 403"));
    // The page's own origin, and the operator's allowed one, may.
    assert!(upgrade("http://localhost").starts_with("HTTP/1.1 101"));
    assert!(upgrade("https://app.example").starts_with("HTTP/1.1 101"));
}
