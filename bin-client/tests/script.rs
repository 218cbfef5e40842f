//! The client binary in script mode against a real server on loopback.

use std::io::{BufRead, BufReader, Write};
use std::net::SocketAddr;
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use chat_client::Client;
use chat_core::password::HashParams;
use chat_core::password::Password;
use chat_net_mio::store::KeySource;
use chat_net_mio::{ListenerConfig, Protocol, Server, ServerConfig, ServerHandle};
use chat_net_mio::{TlsFiles, TransportKind};

const PW: &str = "password-123";

struct TestServer {
    addr: SocketAddr,
    /// The listeners of `config.listeners`, in order.
    listener_addrs: Vec<SocketAddr>,
    handle: ServerHandle,
    thread: Option<JoinHandle<()>>,
    _dir: tempfile::TempDir,
}

impl TestServer {
    fn start() -> TestServer {
        TestServer::start_with(|_| {})
    }

    /// A server whose configuration `adjust` changes first (listeners, TLS).
    fn start_with(adjust: impl FnOnce(&mut ServerConfig)) -> TestServer {
        let dir = tempfile::tempdir().unwrap();
        let mut config = ServerConfig {
            admins: vec!["root".into()],
            hash: HashParams::cheap(),
            ..ServerConfig::default()
        };
        // Every test client is on loopback.
        config.limits.exempt_loopback = true;
        config.limits.command_units_per_second = 0;
        adjust(&mut config);
        let server = Server::builder()
            .bind("127.0.0.1:0".parse().unwrap())
            .data_dir(dir.path())
            .config(config)
            .store_key(KeySource::Raw([1; 32]))
            // The configured admin gets PW at start, as the operator sets it.
            .admin_password(Password::new(PW))
            .build()
            .unwrap();
        let (addr, handle) = (server.local_addr(), server.handle());
        let listener_addrs = server.listener_addrs();
        let thread = std::thread::spawn(move || server.run().unwrap());
        TestServer {
            addr,
            listener_addrs,
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

/// A running chat-client with its output collected as it comes.
struct Running {
    child: Child,
    stdin: Option<ChildStdin>,
    out: Arc<Mutex<Vec<String>>>,
    err: Arc<Mutex<Vec<String>>>,
}

fn collect(r: impl std::io::Read + Send + 'static) -> Arc<Mutex<Vec<String>>> {
    let lines = Arc::new(Mutex::new(Vec::new()));
    let sink = Arc::clone(&lines);
    std::thread::spawn(move || {
        for l in BufReader::new(r).lines().map_while(Result::ok) {
            sink.lock().unwrap().push(l);
        }
    });
    lines
}

fn client(addr: SocketAddr, args: &[&str], password: Option<&str>) -> Running {
    let target = [addr.ip().to_string(), addr.port().to_string()];
    client_at(&target, args, password)
}

/// A client given the server as `target` (HOST PORT, or HOST:PORT).
fn client_at(target: &[String], args: &[&str], password: Option<&str>) -> Running {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_chat-client"));
    cmd.args(target)
        .args(args)
        .env_remove("CHAT_PASSWORD")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    if let Some(p) = password {
        cmd.env("CHAT_PASSWORD", p);
    }
    let mut child = cmd.spawn().unwrap();
    let out = collect(child.stdout.take().unwrap());
    let err = collect(child.stderr.take().unwrap());
    Running {
        stdin: child.stdin.take(),
        child,
        out,
        err,
    }
}

impl Running {
    fn type_line(&mut self, line: &str) {
        let stdin = self.stdin.as_mut().unwrap();
        stdin.write_all(format!("{line}\n").as_bytes()).unwrap();
        stdin.flush().unwrap();
    }

    fn type_bytes(&mut self, bytes: &[u8]) {
        let stdin = self.stdin.as_mut().unwrap();
        // The client may have left already (the test then says why).
        let _ = stdin.write_all(bytes).and_then(|()| stdin.flush());
    }

    fn close_stdin(&mut self) {
        self.stdin = None;
    }

    fn wait_out(&self, needle: &str) {
        self.wait_out_times(needle, 1);
    }

    /// Waits until `needle` has shown `n` times on stdout.
    fn wait_out_times(&self, needle: &str, n: usize) {
        let deadline = Instant::now() + Duration::from_secs(20);
        while Instant::now() < deadline {
            if self.out.lock().unwrap().join("\n").matches(needle).count() >= n {
                return;
            }
            std::thread::sleep(Duration::from_millis(5));
        }
        panic!(
            "{needle:?} not {n} times in {:?} / {:?}",
            self.out.lock().unwrap(),
            self.err.lock().unwrap()
        );
    }

    fn exit_code(&mut self) -> i32 {
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                return status.code().unwrap_or(-1);
            }
            assert!(
                Instant::now() < deadline,
                "client did not exit: {:?}",
                self.out.lock().unwrap()
            );
            std::thread::sleep(Duration::from_millis(5));
        }
    }

    fn stdout(&self) -> Vec<String> {
        self.out.lock().unwrap().clone()
    }

    fn stderr(&self) -> Vec<String> {
        // Give the reader thread a moment to take the last lines.
        let deadline = Instant::now() + Duration::from_secs(5);
        while self.err.lock().unwrap().is_empty() && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(5));
        }
        self.err.lock().unwrap().clone()
    }
}

#[test]
fn register_talk_and_quit_when_stdin_ends() {
    let s = TestServer::start();
    let mut c = client(s.addr, &["--user", "alice", "--register"], Some(PW));
    c.wait_out("Welcome, alice!");
    c.type_line("hello from a script");
    c.type_line("/msg alice note to self");
    c.wait_out("(private) alice: note to self");
    c.close_stdin();
    assert_eq!(c.exit_code(), 0);
    let out = c.stdout();
    assert!(
        out.iter()
            .any(|l| l.ends_with("] alice: hello from a script")),
        "{out:?}"
    );
    assert!(
        out.iter()
            .any(|l| l.starts_with('[') && l.contains(" * alice joined")),
        "{out:?}"
    );
    assert!(!out.join("\n").contains(PW), "the password was printed");
}

#[test]
fn raw_mode_prints_protocol_lines_and_password_file_works() {
    let s = TestServer::start();
    Client::register(s.addr, "bob", PW).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("pw");
    std::fs::write(&file, format!("{PW}\n")).unwrap();
    let mut c = client(
        s.addr,
        &[
            "--user",
            "BOB",
            "--password-file",
            file.to_str().unwrap(),
            "--raw",
        ],
        None,
    );
    c.wait_out("WELCOME bob 1");
    c.type_line("/ping abc");
    c.wait_out("PONG abc");
    c.close_stdin();
    assert_eq!(c.exit_code(), 0);
    assert!(c.stdout().iter().any(|l| l == "CTL disconnect"));
}

#[test]
fn a_refused_login_exits_2() {
    let s = TestServer::start();
    Client::register(s.addr, "carol", PW).unwrap();
    let mut c = client(s.addr, &["--user", "carol"], Some("wrong-password"));
    assert_eq!(c.exit_code(), 2);
    assert!(c.stderr().iter().any(|l| l.contains("bad-credentials")));
    let mut c = client(s.addr, &["--user", "dave"], None);
    assert_eq!(c.exit_code(), 1);
    assert!(c.stderr()[0].contains("CHAT_PASSWORD"));
}

#[test]
fn a_kick_exits_3_with_a_message() {
    let s = TestServer::start();
    let mut root = Client::login(s.addr, "root", PW).unwrap();
    let mut c = client(s.addr, &["--user", "eve", "--register"], Some(PW));
    c.wait_out("Welcome, eve!");
    root.send("/kickuser eve no spam").unwrap();
    assert_eq!(c.exit_code(), 3);
    assert!(c
        .stdout()
        .iter()
        .any(|l| l == "You were kicked by root: no spam"));
}

#[test]
fn restart_reconnects_and_logs_in_again() {
    let s = TestServer::start();
    let mut root = Client::login(s.addr, "root", PW).unwrap();
    let mut c = client(s.addr, &["--user", "frank", "--register"], Some(PW));
    c.wait_out("Welcome, frank!");
    root.send("/restart").unwrap();
    c.wait_out("The server is restarting");
    drop(root);
    // The client logs in again by itself; then the room works as before.
    let mut root = login_after_restart(s.addr, "root");
    c.wait_out_times("Welcome, frank!", 2);
    root.send("welcome back").unwrap();
    c.wait_out("root: welcome back");
    c.close_stdin();
    assert_eq!(c.exit_code(), 0);
}

/// Regression: the re-login after a restart used the password the client
/// started with, not the one changed since.
#[test]
fn restart_after_a_password_change_logs_in_with_the_new_password() {
    let s = TestServer::start();
    let mut root = Client::login(s.addr, "root", PW).unwrap();
    let mut c = client(s.addr, &["--user", "gina", "--register"], Some(PW));
    c.wait_out("Welcome, gina!");
    c.type_line(&format!("/changepassword {PW} a new password"));
    c.wait_out("Password changed.");
    root.send("/restart").unwrap();
    c.wait_out("The server is restarting");
    drop(root);
    c.wait_out_times("Welcome, gina!", 2);
    c.close_stdin();
    assert_eq!(c.exit_code(), 0);
}

#[test]
fn dialog_answers_come_from_stdin_when_it_is_not_a_terminal() {
    let s = TestServer::start();
    let mut c = client(s.addr, &["--raw"], None);
    for line in ["y", "grace", PW, PW, "hi from the dialog"] {
        c.type_line(line);
    }
    c.wait_out("MSG ");
    c.close_stdin();
    assert_eq!(c.exit_code(), 0);
    assert!(c.stdout().iter().any(|l| l == "WELCOME grace 1"));
}

#[test]
fn shutdown_ends_the_client_cleanly() {
    let s = TestServer::start();
    let mut c = client(s.addr, &["--user", "heidi", "--register"], Some(PW));
    c.wait_out("Welcome, heidi!");
    s.handle.shutdown();
    assert_eq!(c.exit_code(), 0);
    assert!(c
        .stdout()
        .iter()
        .any(|l| l == "The server is shutting down."));
}

#[test]
fn connection_refused_is_one_line_and_exit_1() {
    let free = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = free.local_addr().unwrap();
    drop(free);
    let mut c = client(addr, &["--user", "x"], Some(PW));
    assert_eq!(c.exit_code(), 1);
    let err = c.stderr();
    assert_eq!(err.len(), 1, "{err:?}");
    assert!(
        err[0].starts_with(&format!("chat-client: cannot connect to {addr}")),
        "{err:?}"
    );
}

#[test]
fn a_line_that_is_not_utf8_is_refused_and_the_rest_still_sent() {
    let s = TestServer::start();
    let mut c = client(s.addr, &["--user", "ivy", "--register"], Some(PW));
    c.wait_out("Welcome, ivy!");
    c.type_bytes(b"caf\xe9\nafter the bad line\n");
    c.wait_out("ivy: after the bad line");
    c.close_stdin();
    assert_eq!(c.exit_code(), 4);
    let err = c.stderr();
    assert!(
        err.iter()
            .any(|l| l.contains("line 1 of standard input is not UTF-8")),
        "{err:?}"
    );
}

#[test]
fn host_and_port_in_one_argument() {
    let s = TestServer::start();
    let mut c = client_at(
        &[s.addr.to_string()],
        &["--user", "jack", "--register"],
        Some(PW),
    );
    c.wait_out("Welcome, jack!");
    c.close_stdin();
    assert_eq!(c.exit_code(), 0);
}

#[test]
fn an_empty_kick_list_says_so() {
    let s = TestServer::start();
    let mut c = client(s.addr, &["--user", "judy", "--register"], Some(PW));
    c.wait_out("Welcome, judy!");
    c.type_line("/viewkickusers");
    c.wait_out("nobody is on the kick list");
    c.close_stdin();
    assert_eq!(c.exit_code(), 0);
}

#[test]
fn history_pages_name_their_room_and_older_pages_back_by_id() {
    let s = TestServer::start_with(|c| c.limits.history_on_join = 2);
    let mut alice = client(s.addr, &["--user", "alice", "--register"], Some(PW));
    alice.wait_out("Welcome, alice!");
    alice.type_line("/create den");
    // An empty page still says whose it was.
    alice.wait_out("-- no earlier lines of #den");
    for line in ["one", "two", "three"] {
        alice.type_line(&format!("/say den {line}"));
    }
    alice.wait_out("alice: three");
    let mut bob = client(s.addr, &["--user", "bob", "--register"], Some(PW));
    bob.wait_out("Welcome, bob!");
    bob.type_line("/join den");
    bob.wait_out("-- 2 earlier lines of #den; older ones: /older den");
    bob.type_line("/older den");
    bob.wait_out("-- 1 earlier line: the start of #den");
    bob.type_line("/older");
    bob.wait_out("-- usage: /older <room|@user> [count]");
    bob.close_stdin();
    assert_eq!(bob.exit_code(), 0);
    let out = bob.stdout();
    let said: Vec<&String> = out
        .iter()
        .filter(|l| {
            ["one", "two", "three"]
                .iter()
                .any(|w| l.ends_with(&format!(": {w}")))
        })
        .collect();
    assert_eq!(said.len(), 3, "each line once: {out:?}");
    assert!(
        said[2].ends_with(": one"),
        "the older page came last: {out:?}"
    );
    alice.close_stdin();
    assert_eq!(alice.exit_code(), 0);
}

#[test]
fn failed_dialog_logins_until_the_server_closes_exit_2() {
    let s = TestServer::start();
    Client::register(s.addr, "kim", PW).unwrap();
    let mut c = client(s.addr, &[], None);
    // One wrong attempt per dialog until the server gives up (its limit
    // is 5); stdin stays open.
    for attempt in 1..=5 {
        let deadline = Instant::now() + Duration::from_secs(20);
        while c
            .out
            .lock()
            .unwrap()
            .iter()
            .filter(|l| l.contains("create a new user"))
            .count()
            < attempt
        {
            assert!(Instant::now() < deadline, "{:?}", c.stdout());
            std::thread::sleep(Duration::from_millis(5));
        }
        // A new name each time: the per-name throttle is not what ends it.
        c.type_bytes(format!("n\nghost{attempt}\nwrong-password\n").as_bytes());
    }
    assert_eq!(c.exit_code(), 2, "{:?}", c.stdout());
}

/// Collects everything as one growing string: a full-screen program
/// draws without line ends.
fn collect_raw(mut r: impl std::io::Read + Send + 'static) -> Arc<Mutex<Vec<String>>> {
    let all = Arc::new(Mutex::new(vec![String::new()]));
    let sink = Arc::clone(&all);
    std::thread::spawn(move || {
        let mut buf = [0; 4096];
        while let Ok(n) = r.read(&mut buf) {
            if n == 0 {
                break;
            }
            sink.lock().unwrap()[0].push_str(&String::from_utf8_lossy(&buf[..n]));
        }
    });
    all
}

/// Runs `script` (a shell line) under a pseudo-terminal with script(1);
/// returns the child with its output collected.
fn under_pty(line: &str) -> Running {
    let mut cmd = Command::new("script");
    cmd.args(["-qfec", line, "/dev/null"])
        .env("TERM", "xterm")
        .env_remove("CHAT_PASSWORD")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = cmd.spawn().expect("script(1) from util-linux");
    let out = collect_raw(child.stdout.take().unwrap());
    let err = collect(child.stderr.take().unwrap());
    Running {
        stdin: child.stdin.take(),
        child,
        out,
        err,
    }
}

/// Ctrl-C at the password prompt, full screen and `--plain`: the terminal
/// has its echo and line editing back afterwards.
#[test]
fn ctrl_c_at_the_password_prompt_restores_the_terminal() {
    let s = TestServer::start();
    for mode in ["", "--plain"] {
        let bin = env!("CARGO_BIN_EXE_chat-client");
        let mut c = under_pty(&format!(
            "stty rows 24 cols 80; {bin} {} {mode}; echo EXIT=$?; stty -a",
            s.addr
        ));
        // Words, not phrases: the screen is drawn in pieces.
        c.wait_out("create");
        c.type_bytes(b"n\r");
        c.wait_out("name:");
        c.type_bytes(b"root\r");
        c.wait_out("password:");
        c.type_bytes(b"half-typed\x03");
        c.wait_out("EXIT=0");
        c.wait_out("icanon");
        let out = c.stdout().join("\n");
        let words: Vec<&str> = out.split_whitespace().collect();
        assert!(words.contains(&"echo"), "{mode}: {out}");
        assert!(words.contains(&"icanon"), "{mode}: {out}");
        assert!(!words.contains(&"-echo"), "{mode}: {out}");
        assert!(!out.contains("half-typed"), "{mode}: the password showed");
        c.close_stdin();
        c.exit_code();
    }
}

/// Regression (issue 12): after `/changepassword` by its dialog, the
/// re-login after the next restart used the old password and was refused.
#[test]
fn restart_after_a_change_password_dialog_logs_in_with_the_new_password() {
    let s = TestServer::start();
    let mut root = Client::login(s.addr, "root", PW).unwrap();
    // Logged in by the dialog from stdin, as a person would.
    let mut c = client(s.addr, &[], None);
    for line in ["y", "lena", PW, PW] {
        c.type_line(line);
    }
    c.wait_out("Welcome, lena!");
    for line in ["/changepassword", PW, "a new password", "a new password"] {
        c.type_line(line);
    }
    c.wait_out("Password changed.");
    root.send("/restart").unwrap();
    c.wait_out("The server is restarting");
    drop(root);
    c.wait_out_times("Welcome, lena!", 2);
    c.close_stdin();
    assert_eq!(c.exit_code(), 0);
    assert!(!c.stdout().join("\n").contains("a new password"));
}

#[test]
fn a_takeover_exits_3_without_reconnecting() {
    let s = TestServer::start();
    let mut c = client(s.addr, &["--user", "mia", "--register"], Some(PW));
    c.wait_out("Welcome, mia!");
    let _other = Client::login(s.addr, "mia", PW).unwrap();
    assert_eq!(c.exit_code(), 3);
    assert!(c
        .stdout()
        .iter()
        .any(|l| l.contains("logged in from somewhere else")));
}

/// Regression (issue 12): what was typed but not sent when the client
/// ended was run by the shell.
#[test]
fn a_half_typed_line_does_not_reach_the_shell() {
    let s = TestServer::start();
    let bin = env!("CARGO_BIN_EXE_chat-client");
    for mode in ["", "--plain"] {
        let mut c = under_pty(&format!(
            "stty rows 24 cols 80; CHAT_PASSWORD={PW} {bin} {} --user nia{} --register {mode}; \
             echo EXIT=$?; read -t 1 REST; echo \"REST=[$REST]\"",
            s.addr,
            if mode.is_empty() { "a" } else { "b" },
        ));
        c.wait_out("Welcome");
        c.type_bytes(b"echo HALF");
        // Let the terminal take the keys before the server ends the session.
        // (Full screen draws it a key at a time.)
        c.wait_out(if mode.is_empty() { "[1mF" } else { "HALF" });
        let mut root = Client::login(s.addr, "root", PW).unwrap();
        root.send(&format!(
            "/kickuser nia{}",
            if mode.is_empty() { "a" } else { "b" }
        ))
        .unwrap();
        c.wait_out("REST=[");
        let out = c.stdout().join("");
        assert!(out.contains("EXIT=3"), "{mode}: {out}");
        assert!(out.contains("REST=[]"), "{mode}: {out}");
        c.close_stdin();
        c.exit_code();
    }
}

/// The full-screen client under a pseudo-terminal: the dialog, a restart
/// with its re-login, and /quit; no password ever reaches the screen.
#[test]
fn full_screen_dialog_and_reconnect_after_a_restart() {
    let s = TestServer::start();
    let bin = env!("CARGO_BIN_EXE_chat-client");
    let mut c = under_pty(&format!(
        "stty rows 24 cols 80; {bin} {}; echo EXIT=$?",
        s.addr
    ));
    c.wait_out("create");
    c.type_bytes(b"y\r");
    c.wait_out("name:");
    c.type_bytes(b"olga\r");
    c.wait_out("(2/3)");
    c.type_bytes(format!("{PW}\r").as_bytes());
    c.wait_out("(3/3)");
    c.type_bytes(format!("{PW}\r").as_bytes());
    c.wait_out("olga!");
    let mut root = Client::login(s.addr, "root", PW).unwrap();
    root.send("/restart").unwrap();
    c.wait_out("reconnecting");
    drop(root);
    // Back in by itself: a line from root after the restart shows.
    let mut root = login_after_restart(s.addr, "root");
    c.wait_out_times("Welcome,", 2);
    root.send("welcome-back").unwrap();
    c.wait_out("welcome-back");
    c.type_bytes(b"/quit\r");
    c.wait_out("EXIT=0");
    assert!(!c.stdout().join("").contains(PW), "a password was drawn");
    c.close_stdin();
    c.exit_code();
}

/// Logs `name` in once the restarted server takes connections again.
fn login_after_restart(addr: SocketAddr, name: &str) -> Client {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        match Client::login(addr, name, PW) {
            Ok(c) => return c,
            Err(e) => {
                assert!(Instant::now() < deadline, "no login after restart: {e}");
                std::thread::sleep(Duration::from_millis(10));
            }
        }
    }
}

/// A self-signed certificate for 127.0.0.1 written as PEM into `dir`
/// under `name`.
fn cert(dir: &std::path::Path, name: &str) -> TlsFiles {
    let ck = rcgen::generate_simple_self_signed(vec!["127.0.0.1".to_owned()]).unwrap();
    let files = TlsFiles {
        cert: dir.join(format!("{name}.pem")),
        key: dir.join(format!("{name}.key")),
    };
    std::fs::write(&files.cert, ck.cert.pem()).unwrap();
    std::fs::write(&files.key, ck.key_pair.serialize_pem()).unwrap();
    files
}

/// A server with a chat/1 TLS listener (certificate in `certs`) beside
/// plain TCP; returns it, its certificate and the TLS address.
fn start_tls(certs: &std::path::Path) -> (TestServer, TlsFiles, SocketAddr) {
    let files = cert(certs, "server");
    let tls = files.clone();
    let s = TestServer::start_with(move |config| {
        config.tls = Some(tls);
        config.listeners = vec![ListenerConfig {
            bind: "127.0.0.1:0".parse().unwrap(),
            transport: TransportKind::Tls,
            protocol: Protocol::Chat1,
        }];
    });
    let addr = s.listener_addrs[0];
    (s, files, addr)
}

/// Waits for `from`'s room message `text` on a library client.
fn room_message(c: &mut Client, from: &str, text: &str) {
    loop {
        let line = c.next_line().unwrap().expect("the server closed");
        if line.starts_with("MSG ") && line.ends_with(&format!(" {from} {text}")) {
            return;
        }
    }
}

#[test]
fn tls_with_a_ca_file_logs_in_talks_and_reconnects_after_a_restart() {
    let certs = tempfile::tempdir().unwrap();
    let (s, files, tls) = start_tls(certs.path());
    let mut bob = Client::register(s.addr, "bob", PW).unwrap();
    let ca = files.cert.to_str().unwrap();
    let target = [tls.to_string()];
    let mut c = client_at(
        &target,
        &["--ca-file", ca, "--user", "ursula", "--register"],
        Some(PW),
    );
    c.wait_out("Welcome, ursula!");
    c.type_line("hello over tls");
    room_message(&mut bob, "ursula", "hello over tls");
    bob.send("hello back").unwrap();
    c.wait_out("bob: hello back");

    // The reconnect after a restart is over TLS too.
    let mut root = Client::login(s.addr, "root", PW).unwrap();
    root.send("/restart").unwrap();
    c.wait_out("The server is restarting");
    drop((root, bob));
    let mut bob = login_after_restart(s.addr, "bob");
    c.wait_out_times("Welcome, ursula!", 2);
    c.type_line("still over tls");
    room_message(&mut bob, "ursula", "still over tls");
    c.close_stdin();
    assert_eq!(c.exit_code(), 0);
}

/// Every wrong port ends in one line that says what is wrong and what to
/// try, and exit status 1: a TLS port without --tls, a self-signed
/// certificate without --ca-file, a certificate from someone else, TLS
/// to the plain port, and the IRC port.
#[test]
fn each_wrong_port_is_one_line_that_says_what_to_try() {
    let certs = tempfile::tempdir().unwrap();
    let files = cert(certs.path(), "server");
    let tls_files = files.clone();
    let s = TestServer::start_with(move |config| {
        config.tls = Some(tls_files);
        config.irc_bind = Some("127.0.0.1:0".parse().unwrap());
        config.listeners = vec![ListenerConfig {
            bind: "127.0.0.1:0".parse().unwrap(),
            transport: TransportKind::Tls,
            protocol: Protocol::Chat1,
        }];
    });
    let tls = s.listener_addrs[0];
    let irc = s.listener_addrs[1];
    let other = cert(certs.path(), "other");
    let other = other.cert.to_str().unwrap();
    let cases: [(SocketAddr, &[&str], &str); 5] = [
        // It says so (a TLS alert), or says nothing: either way, --tls.
        (tls, &[], "connect with --tls"),
        (
            tls,
            &["--tls"],
            "give the certificate to trust with --ca-file FILE",
        ),
        (tls, &["--ca-file", other], "--ca-file"),
        (s.addr, &["--ca-file", other], "it does not speak TLS"),
        (irc, &[], "IRC"),
    ];
    for (addr, flags, says) in cases {
        for user in [true, false] {
            let mut args = flags.to_vec();
            if user {
                args.extend(["--user", "x"]);
            }
            let mut c = client_at(&[addr.to_string()], &args, user.then_some(PW));
            assert_eq!(c.exit_code(), 1, "{flags:?} to {addr}: {:?}", c.stdout());
            let err = c.stderr();
            assert_eq!(err.len(), 1, "{flags:?} to {addr}: {err:?}");
            assert!(err[0].starts_with("chat-client: "), "{err:?}");
            assert!(err[0].contains(says), "{flags:?} to {addr}: {err:?}");
            assert!(c.stdout().is_empty(), "{:?}", c.stdout());
        }
    }
}

/// The full-screen client under a pseudo-terminal: /login at the first
/// question (masked, kept nowhere), Tab completing a room, the current
/// room taking plain lines, Alt-1 back to the lobby.
#[test]
fn full_screen_current_room_completion_and_a_masked_login() {
    let s = TestServer::start();
    drop(Client::register(s.addr, "pia", PW).unwrap());
    let mut obs = Client::register(s.addr, "obs", PW).unwrap();
    obs.send("/create rustaceans").unwrap();
    obs.send("/create tea").unwrap();
    wait_for_line(&mut obs, "OK joined tea");
    let bin = env!("CARGO_BIN_EXE_chat-client");
    let mut c = under_pty(&format!(
        "stty rows 24 cols 100; {bin} {}; echo EXIT=$?",
        s.addr
    ));
    c.wait_out("create");
    c.type_bytes(format!("/login pia {PW}\r").as_bytes());
    c.wait_out("pia!");
    // Rooms a listing showed are completed.
    c.type_bytes(b"/rooms\r");
    c.wait_out("tea");
    c.type_bytes(b"/join ru\t\r");
    wait_for_line(&mut obs, "RJOIN rustaceans ");
    c.type_bytes(b"hello from the window\r");
    wait_for_line(&mut obs, "pia hello from the window");
    // Alt-1: the lobby.
    c.type_bytes(b"\x1b1");
    c.type_bytes(b"in the lobby\r");
    let line = wait_for_line(&mut obs, "pia in the lobby");
    assert!(line.starts_with("MSG "), "{line}");
    // Up, as far back as it goes (the /rooms typed first, which Enter
    // sends again): never the login line.
    let before = c.stdout().join("").len();
    c.type_bytes(b"\x1b[A\x1b[A\x1b[A\x1b[A\x1b[A\x1b[A\r");
    c.wait_out_times("operator", 6);
    let after = c.stdout().join("")[before..].to_owned();
    assert!(
        !after.contains("login"),
        "the login line came back: {after:?}"
    );
    c.type_bytes(b"\x15/quit\r");
    c.wait_out("EXIT=0");
    assert!(!c.stdout().join("").contains(PW), "a password was drawn");
    c.close_stdin();
    c.exit_code();
}

/// Waits for a line containing `part` on a library client.
fn wait_for_line(c: &mut Client, part: &str) -> String {
    loop {
        let line = c.next_line().unwrap().expect("the server closed");
        if line.contains(part) {
            return line;
        }
    }
}

/// Not a test: the server of `a_killed_server`, in a process of its own
/// (this test binary run again with CHAT_TEST_SERVE=ADDR,DIR) so that it
/// can be killed.
#[test]
#[ignore = "the server process of another test"]
fn serve_in_a_child_process() {
    let Ok(spec) = std::env::var("CHAT_TEST_SERVE") else {
        return;
    };
    let (addr, dir) = spec.split_once(',').unwrap();
    let mut config = ServerConfig {
        hash: HashParams::cheap(),
        ..ServerConfig::default()
    };
    config.limits.exempt_loopback = true;
    let server = Server::builder()
        .bind(addr.parse().unwrap())
        .data_dir(dir)
        .config(config)
        .store_key(KeySource::Raw([1; 32]))
        .build()
        .unwrap();
    server.run().unwrap();
}

/// A server in a child process on `addr` with its data in `dir`.
fn spawn_server(addr: SocketAddr, dir: &std::path::Path) -> Child {
    let child = Command::new(std::env::current_exe().unwrap())
        .args([
            "--exact",
            "serve_in_a_child_process",
            "--ignored",
            "--quiet",
        ])
        .env("CHAT_TEST_SERVE", format!("{addr},{}", dir.display()))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(20);
    while std::net::TcpStream::connect(addr).is_err() {
        assert!(Instant::now() < deadline, "the server did not start");
        std::thread::sleep(Duration::from_millis(10));
    }
    child
}

/// The server is killed (no word to anyone) and started again: the
/// full-screen client keeps its screen, says so once, retries, and is back
/// in its room by itself; killed again, Ctrl-C stops the retrying.
#[test]
fn a_killed_server_started_again_is_reconnected_to() {
    let dir = tempfile::tempdir().unwrap();
    let addr = {
        let probe = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        probe.local_addr().unwrap()
    };
    let mut server = spawn_server(addr, dir.path());
    let bin = env!("CARGO_BIN_EXE_chat-client");
    let mut c = under_pty(&format!(
        "stty rows 24 cols 100; CHAT_PASSWORD={PW} {bin} {addr} --user quinn --register; echo EXIT=$?"
    ));
    c.wait_out("quinn!");
    c.type_bytes(b"/create rust\r");
    c.wait_out("operator");
    c.type_bytes(b"before the crash\r");
    server.kill().unwrap();
    server.wait().unwrap();
    c.wait_out("Ctrl-C stops");
    c.wait_out("lost");
    let mut server = spawn_server(addr, dir.path());
    c.wait_out("Reconnected.");
    let mut obs = Client::register(addr, "obs", PW).unwrap();
    obs.send("/join rust").unwrap();
    wait_for_line(&mut obs, "OK joined rust");
    // Still in #rust: a plain line is said there.
    c.type_bytes(b"after the crash\r");
    let line = wait_for_line(&mut obs, "quinn after the crash");
    assert!(line.starts_with("RMSG rust "), "{line}");
    let out = c.stdout().join("");
    assert_eq!(
        out.matches("Connection to the server lost").count(),
        1,
        "said once"
    );
    drop(obs);
    server.kill().unwrap();
    server.wait().unwrap();
    c.wait_out_times("Ctrl-C stops", 2);
    c.type_bytes(b"\x03");
    c.wait_out("EXIT=1");
    c.wait_out("stopped reconnecting");
    c.close_stdin();
    c.exit_code();
}
