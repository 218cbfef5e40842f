//! The blocking driver against a real server on loopback.

use std::net::SocketAddr;
use std::thread::JoinHandle;
use std::time::Duration;

use chat_client::{Auth, Client, ClientError, Credentials, Event, LoginForm, Session};
use chat_core::password::{HashParams, Password};
use chat_core::reply::Reply;
use chat_core::{Command, ErrorCode, Grant};
use chat_net_mio::store::KeySource;
use chat_net_mio::{Server, ServerConfig, ServerHandle};

const PW: &str = "password-123";

struct TestServer {
    addr: SocketAddr,
    handle: ServerHandle,
    thread: Option<JoinHandle<()>>,
    _dir: tempfile::TempDir,
}

impl TestServer {
    fn start() -> TestServer {
        let dir = tempfile::tempdir().unwrap();
        let server = Server::builder()
            .bind("127.0.0.1:0".parse().unwrap())
            .data_dir(dir.path())
            .config(ServerConfig {
                admins: vec!["root".into()],
                hash: HashParams::cheap(),
                limits: chat_core::Limits {
                    // Every test client is on loopback.
                    exempt_loopback: true,
                    ..chat_core::Limits::default()
                },
                ..ServerConfig::default()
            })
            .store_key(KeySource::Raw([3; 32]))
            // The configured admin gets PW at start (the network cannot
            // register it).
            .admin_password(Password::new(PW))
            .build()
            .unwrap();
        let (addr, handle) = (server.local_addr(), server.handle());
        let thread = std::thread::spawn(move || server.run().unwrap());
        TestServer {
            addr,
            handle,
            thread: Some(thread),
            _dir: dir,
        }
    }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        self.handle.shutdown();
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// Reads events until `want` matches one; panics if the connection closes.
fn until(c: &mut Client, want: impl Fn(&Event) -> bool) -> Event {
    loop {
        let event = c.next_event().unwrap().expect("connection closed");
        if want(&event) {
            return event;
        }
    }
}

#[test]
fn the_dialog_registers_and_a_refusal_is_typed() {
    let s = TestServer::start();
    let creds = Credentials::new("alice", PW);
    let session = Session::new(creds, Auth::Register, LoginForm::Dialog);
    let mut alice = Client::start(s.addr, session).unwrap();
    alice.wait_logged_in().unwrap();
    assert!(alice.session().is_logged_in());

    match Client::login(s.addr, "alice", "wrong-password") {
        Err(e @ ClientError::Refused { .. }) => {
            assert_eq!(e.code(), Some(ErrorCode::BadCredentials))
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn typed_commands_and_lines_both_ways() {
    let s = TestServer::start();
    let mut root = Client::login(s.addr, "root", PW).unwrap();
    let mut bob = Client::register(s.addr, "bob", PW).unwrap();
    root.send_command(&Command::MessageTo {
        to: "bob",
        text: "psst, a secret",
        kind: chat_core::MessageKind::Said,
        tags: chat_core::ClientTags::NONE,
    })
    .unwrap();
    let pm = until(
        &mut bob,
        |e| matches!(e, Event::Line(l) if matches!(l.reply(), Ok(Reply::Pm { .. }))),
    );
    let Event::Line(pm) = pm else { unreachable!() };
    match pm.reply().unwrap() {
        Reply::Pm { from, text, .. } => assert_eq!((from, text), ("root", "psst, a secret")),
        other => panic!("{other:?}"),
    }
    root.send_command(&Command::ChangeGrant {
        user: "bob",
        grant: Grant::Admin,
    })
    .unwrap();
    until(&mut bob, |e| {
        matches!(e, Event::Line(l)
            if l.reply() == Ok(Reply::Ctl(chat_core::reply::Control::Grant(Grant::Admin))))
    });
}

/// After `/changepassword` and a restart, the reconnect logs in with the
/// new password.
#[test]
fn reconnects_after_a_restart_with_the_changed_password() {
    let s = TestServer::start();
    let mut root = Client::login(s.addr, "root", PW).unwrap();
    let mut bot = Client::register(s.addr, "bot", PW).unwrap();
    bot.send_command(&Command::ChangePassword {
        old: PW,
        new: "another password",
    })
    .unwrap();
    until(&mut bot, |e| *e == Event::PasswordChanged);
    root.send("/restart").unwrap();
    until(&mut bot, |e| *e == Event::Restarting);
    while bot.next_event().unwrap().is_some() {}
    assert!(bot.session().wants_reconnect());
    bot.reconnect(Duration::from_secs(20)).unwrap();
    bot.send("back again").unwrap();
    let (line, _) = bot.wait_for("MSG ").unwrap();
    assert!(line.ends_with(" bot back again"), "{line}");
    // The old password no longer works; the new one does.
    drop(bot);
    assert!(Client::login(s.addr, "bot", PW).is_err());
}
