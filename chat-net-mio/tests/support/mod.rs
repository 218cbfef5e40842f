//! Runs a real server on a thread, on 127.0.0.1 with a free port, over a
//! temporary data folder, with cheap password hashing. Configured admins
//! get [`PASSWORD`] at start: log them in, they cannot register.

#![allow(dead_code)]

pub mod attack;
pub mod tls;

use std::net::SocketAddr;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use chat_client::{Client, ClientError};
use chat_core::password::{HashParams, Password};
use chat_net_mio::store::KeySource;
use chat_net_mio::{Server, ServerConfig, ServerError, ServerHandle};

pub const PASSWORD: &str = "password-123";
pub const KEY: [u8; 32] = [7; 32];

pub struct TestServer {
    pub addr: SocketAddr,
    /// The addresses of the configured listeners, in order.
    pub listener_addrs: Vec<SocketAddr>,
    /// The IRC listener's address, when the config asked for one.
    pub irc_addr: Option<SocketAddr>,
    pub handle: ServerHandle,
    pub dir: tempfile::TempDir,
    admins: Vec<String>,
    thread: Option<JoinHandle<Result<(), ServerError>>>,
}

/// Cheap hashing, and every test client comes from 127.0.0.1: loopback is
/// exempt from the per-address limits and the command budget is off here
/// (each has its own tests).
pub fn config(admins: &[&str]) -> ServerConfig {
    let mut config = ServerConfig {
        admins: admins.iter().map(|a| a.to_string()).collect(),
        hash: HashParams::cheap(),
        ..ServerConfig::default()
    };
    config.limits.exempt_loopback = true;
    config.limits.command_units_per_second = 0;
    config.limits.registrations_per_window = u32::MAX;
    config.net.io_threads = io_threads();
    config
}

/// I/O threads for test servers: `CHAT_TEST_IO_THREADS`, else 3, so the
/// connections of every test spread over shards (CI runs the tests again
/// with 1).
pub fn io_threads() -> usize {
    std::env::var("CHAT_TEST_IO_THREADS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(3)
}

impl TestServer {
    pub fn start(config: ServerConfig) -> TestServer {
        let dir = tempfile::tempdir().unwrap();
        Self::start_in(dir, config)
    }

    pub fn start_in(dir: tempfile::TempDir, config: ServerConfig) -> TestServer {
        let admins = config.admins.clone();
        let server = Server::builder()
            .bind("127.0.0.1:0".parse().unwrap())
            .data_dir(dir.path())
            .config(config)
            .store_key(KeySource::Raw(KEY))
            .admin_password(Password::new(PASSWORD))
            .build()
            .unwrap();
        let addr = server.local_addr();
        let listener_addrs = server.listener_addrs();
        let irc_addr = server.irc_addr();
        let handle = server.handle();
        let thread = std::thread::spawn(move || server.run());
        TestServer {
            addr,
            listener_addrs,
            irc_addr,
            handle,
            dir,
            admins,
            thread: Some(thread),
        }
    }

    /// Shuts down and waits; returns the data folder for a new start.
    pub fn stop(mut self) -> tempfile::TempDir {
        self.handle.shutdown();
        self.join().unwrap();
        let dir = tempfile::tempdir().unwrap();
        std::mem::replace(&mut self.dir, dir)
    }

    pub fn join(&mut self) -> Result<(), ServerError> {
        self.thread.take().map_or(Ok(()), |t| t.join().unwrap())
    }

    /// Registers `name`, or logs in a configured admin (created at start).
    pub fn register(&self, name: &str) -> Client {
        if self.admins.iter().any(|a| a == name) {
            return self.login(name).unwrap();
        }
        Client::register(self.addr, name, PASSWORD).unwrap()
    }

    pub fn login(&self, name: &str) -> Result<Client, ClientError> {
        Client::login(self.addr, name, PASSWORD)
    }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        if let Some(t) = self.thread.take() {
            self.handle.shutdown();
            let _ = t.join();
        }
    }
}

/// Polls `f` until it is true or the deadline passes.
pub fn eventually(what: &str, mut f: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(10);
    while Instant::now() < deadline {
        if f() {
            return;
        }
        std::thread::sleep(Duration::from_millis(2));
    }
    panic!("timed out waiting for {what}");
}

/// Reads until a line starting with `prefix`; panics with context if not.
pub fn expect(c: &mut Client, prefix: &str) -> String {
    match c.wait_for(prefix) {
        Ok((line, _)) => line,
        Err(e) => panic!("waiting for {prefix:?}: {e}"),
    }
}

/// The next line, which must start with `prefix`.
pub fn next(c: &mut Client, prefix: &str) -> String {
    let line = c.next_line().unwrap().expect("connection open");
    assert!(
        line.starts_with(prefix),
        "expected {prefix:?}, got {line:?}"
    );
    line
}

/// A valid user name.
pub fn name(s: &str) -> chat_core::UserName {
    chat_core::UserName::parse(s).unwrap()
}

/// A new account `s`, for the store's own tests.
pub fn user(s: &str) -> chat_core::StoreChange {
    chat_core::StoreChange::AddUser(chat_core::UserRecord {
        name: name(s),
        phc: format!("$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHRzYWx0$hash-of-{s}"),
        grant: chat_core::Grant::User,
        created: chat_core::Millis(42),
    })
}

/// The lobby's conversation.
pub fn lobby() -> chat_core::Conversation {
    chat_core::Conversation::Room(chat_core::RoomName::parse("lobby").unwrap().key())
}

/// The id of the next line of [`now_line`].
static NEXT_ID: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(1_000);

/// A line alice says in the lobby now (so age retention keeps it).
pub fn now_line(text: &str) -> chat_core::StoreChange {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as u64;
    chat_core::StoreChange::AppendLine {
        conversation: lobby(),
        line: chat_core::HistoryLine {
            // Later lines have larger ids, as the engine gives them.
            id: chat_core::MsgId(NEXT_ID.fetch_add(1, std::sync::atomic::Ordering::Relaxed)),
            at: chat_core::Millis(now),
            from: name("alice"),
            text: text.into(),
            kind: chat_core::MessageKind::Said,
        },
    }
}

/// A connection to `addr` from the loopback address `from` (127.0.0.2
/// and up stand for other hosts).
pub fn connect_from(addr: SocketAddr, from: &str) -> std::io::Result<std::net::TcpStream> {
    connect_small(addr, from, None)
}

/// [`connect_from`] with a receive buffer of `rcvbuf` bytes: a client that
/// does not read then leaves what it is sent in the server.
pub fn connect_small(
    addr: SocketAddr,
    from: &str,
    rcvbuf: Option<usize>,
) -> std::io::Result<std::net::TcpStream> {
    use socket2::{Domain, Socket, Type};
    let s = Socket::new(Domain::IPV4, Type::STREAM, None)?;
    if let Some(n) = rcvbuf {
        s.set_recv_buffer_size(n)?;
    }
    let local: SocketAddr = format!("{from}:0").parse().unwrap();
    s.bind(&local.into())?;
    s.connect(&addr.into())?;
    let s: std::net::TcpStream = s.into();
    s.set_read_timeout(Some(Duration::from_secs(20)))?;
    Ok(s)
}

/// This process's resident memory, from /proc (the test server runs in
/// it; its raw test clients hold next to nothing).
pub fn resident_bytes() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    let kib: u64 = status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .expect("VmRSS in /proc/self/status");
    kib * 1024
}

/// Lets the process use as many files as it may (a flood of test
/// connections needs thousands).
pub fn raise_file_limit() {
    let _ = rlimit::increase_nofile_limit(u64::MAX);
}
