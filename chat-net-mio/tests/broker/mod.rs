//! NATS servers for the cluster tests: the one `.ci/run` started (its
//! address in `CHAT_TEST_NATS_URL`), or one of our own from `nats-server`
//! on the PATH. A missing broker fails the test; it never skips.

#![allow(dead_code)]

use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

/// A name no other test (in this process or another) uses: streams and
/// buckets on a shared broker are kept apart by it.
pub fn unique(prefix: &str) -> String {
    static NEXT: AtomicU64 = AtomicU64::new(0);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .subsec_nanos();
    format!(
        "{prefix}_{}_{}_{nanos}",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::Relaxed)
    )
}

/// The shared broker's address: `.ci/run`'s, or one started for this test
/// process (kept running until the process ends).
pub fn shared_url() -> String {
    if let Ok(url) = std::env::var("CHAT_TEST_NATS_URL") {
        return url;
    }
    static OWN: std::sync::OnceLock<(String, NatsServer)> = std::sync::OnceLock::new();
    OWN.get_or_init(|| {
        let server = NatsServer::start(free_port(), &tempfile::tempdir().unwrap().keep());
        (server.url(), server)
    })
    .0
    .clone()
}

/// A loopback port free a moment ago.
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// The `nats-server` binary: on the PATH, or Debian's place for it.
pub fn nats_server_binary() -> PathBuf {
    let candidates = std::env::var_os("PATH")
        .map(|p| std::env::split_paths(&p).collect::<Vec<_>>())
        .unwrap_or_default()
        .into_iter()
        .chain([PathBuf::from("/usr/sbin"), PathBuf::from("/usr/bin")]);
    for dir in candidates {
        let path = dir.join("nats-server");
        if path.is_file() {
            return path;
        }
    }
    panic!(
        "nats-server is not installed: the cluster tests need a NATS broker \
         (apt-get install nats-server, or set CHAT_TEST_NATS_URL)"
    );
}

/// A `nats-server` process with JetStream, killed when dropped.
pub struct NatsServer {
    child: Option<Child>,
    pub port: u16,
    pub dir: PathBuf,
    args: Vec<String>,
}

impl NatsServer {
    /// A single server with JetStream storing in `dir`, ready to serve.
    pub fn start(port: u16, dir: &Path) -> NatsServer {
        NatsServer::start_with(port, dir, &[])
    }

    /// [`start`](NatsServer::start) with more arguments (a cluster's
    /// names and routes).
    pub fn start_with(port: u16, dir: &Path, extra: &[String]) -> NatsServer {
        let mut args = vec![
            "-js".into(),
            "-a".into(),
            "127.0.0.1".into(),
            "-p".into(),
            port.to_string(),
            "-sd".into(),
            dir.display().to_string(),
        ];
        args.extend_from_slice(extra);
        let mut server = NatsServer {
            child: None,
            port,
            dir: dir.to_owned(),
            args,
        };
        server.restart();
        server
    }

    /// The client address.
    pub fn url(&self) -> String {
        format!("nats://127.0.0.1:{}", self.port)
    }

    /// kill -9.
    pub fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Starts it again with the same port and storage, and waits until it
    /// accepts connections.
    pub fn restart(&mut self) {
        self.kill();
        let child = Command::new(nats_server_binary())
            .args(&self.args)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start nats-server");
        self.child = Some(child);
        let addr: SocketAddr = ([127, 0, 0, 1], self.port).into();
        let deadline = Instant::now() + Duration::from_secs(20);
        while TcpStream::connect_timeout(&addr, Duration::from_millis(200)).is_err() {
            assert!(Instant::now() < deadline, "nats-server did not start");
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for NatsServer {
    fn drop(&mut self) {
        self.kill();
    }
}
