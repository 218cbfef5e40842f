//! The `chat-server` binary end to end: real processes, real sockets, real
//! files in temporary folders, real signals.

use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::mpsc::{self, Receiver};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use chat_client::{Client, ClientError};

const PASSWORD: &str = "password-123";
/// Cheap hashing; every test client is on loopback, so it is exempt from
/// the per-address limits here.
const CHEAP: &str = "(hash: (memory_kib: 8, iterations: 1, parallelism: 1), \
                     limits: (exempt_loopback: true, command_units_per_second: 0))";

struct Proc {
    child: Child,
    addr: SocketAddr,
    log: Arc<Mutex<Vec<String>>>,
}

impl Drop for Proc {
    /// A test that ends (or fails) with its server running leaves no
    /// process behind.
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill();
        }
        let _ = self.child.wait();
    }
}

/// An admin password file in `dir`.
fn admin_password_file(dir: &Path) -> PathBuf {
    let path = dir.join("admin.pw");
    std::fs::write(&path, format!("{PASSWORD}\n")).unwrap();
    path
}

fn config_file(dir: &Path) -> PathBuf {
    let path = dir.join("test.ron");
    std::fs::write(&path, CHEAP).unwrap();
    path
}

fn command(data: &Path, level: &str, extra: &[&str]) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_chat-server"));
    cmd.arg("--bind")
        .arg("127.0.0.1:0")
        .arg("--data-dir")
        .arg(data)
        .arg("--log-level")
        .arg(level)
        .arg("--io-threads")
        .arg(std::env::var("CHAT_TEST_IO_THREADS").unwrap_or_else(|_| "3".into()))
        .args(extra)
        .env_remove("CHAT_STORE_KEY")
        .env_remove("CHAT_ADMIN_PASSWORD")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    cmd
}

/// Collects stderr lines on a thread; returns them as they come.
fn collect(child: &mut Child) -> (Receiver<String>, Arc<Mutex<Vec<String>>>) {
    let stderr = child.stderr.take().unwrap();
    let (tx, rx) = mpsc::channel();
    let log = Arc::new(Mutex::new(Vec::new()));
    let all = Arc::clone(&log);
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            all.lock().unwrap().push(line.clone());
            let _ = tx.send(line);
        }
    });
    (rx, log)
}

fn start(data: &Path, extra: &[&str]) -> Proc {
    let cfg = config_file(data.parent().unwrap());
    let mut args = vec!["--config", cfg.to_str().unwrap()];
    args.extend_from_slice(extra);
    started(command(data, "debug", &args).spawn().unwrap())
}

/// Waits for a spawned server's `listening on` line.
fn started(mut child: Child) -> Proc {
    let (rx, log) = collect(&mut child);
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        let line = rx
            .recv_timeout(left)
            .unwrap_or_else(|_| panic!("no 'listening on' line; log: {:?}", log.lock().unwrap()));
        if let Some(addr) = line.split("listening on ").nth(1) {
            assert!(
                child.try_wait().unwrap().is_none(),
                "the server exited; log: {:?}",
                log.lock().unwrap()
            );
            return Proc {
                child,
                addr: addr.trim().parse().unwrap(),
                log,
            };
        }
    }
}

/// Runs a server that must fail at start (at the default log level);
/// returns its status and stderr. Killed if it does not exit.
fn run_to_end(data: &Path, env: &[(&str, &str)], extra: &[&str]) -> (ExitStatus, String) {
    let mut cmd = command(data, "info", extra);
    for (k, v) in env {
        cmd.env(k, v);
    }
    let mut child = cmd.spawn().unwrap();
    let (_, log) = collect(&mut child);
    let deadline = Instant::now() + Duration::from_secs(20);
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if Instant::now() >= deadline {
            child.kill().unwrap();
            panic!(
                "the server started instead of failing: {:?}",
                log.lock().unwrap()
            );
        }
        std::thread::sleep(Duration::from_millis(5));
    };
    // The reader thread may still be taking the last lines.
    let deadline = Instant::now() + Duration::from_secs(5);
    let stderr = loop {
        let text = log.lock().unwrap().join("\n");
        if !text.is_empty() || Instant::now() >= deadline {
            break text;
        }
        std::thread::sleep(Duration::from_millis(5));
    };
    (status, stderr)
}

fn wait_exit(child: &mut Child) -> ExitStatus {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            return status;
        }
        assert!(Instant::now() < deadline, "server did not exit");
        std::thread::sleep(Duration::from_millis(5));
    }
}

fn signal(child: &Child, sig: &str) {
    let ok = Command::new("kill")
        .arg(format!("-{sig}"))
        .arg(child.id().to_string())
        .status()
        .unwrap()
        .success();
    assert!(ok, "kill -{sig} failed");
}

#[test]
fn help_documents_every_option() {
    let out = Command::new(env!("CARGO_BIN_EXE_chat-server"))
        .arg("--help")
        .output()
        .unwrap();
    assert!(out.status.success());
    let help = String::from_utf8(out.stdout).unwrap();
    for opt in [
        "--bind",
        "--data-dir",
        "--admin",
        "--config",
        "--log-level",
        "127.0.0.1:9797",
        "./chat-data",
    ] {
        assert!(help.contains(opt), "--help lacks {opt}:\n{help}");
    }
}

#[test]
fn sigterm_tells_clients_and_exits_zero() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    let pw = admin_password_file(tmp.path());
    let mut p = start(
        &data,
        &[
            "--admin",
            "root",
            "--admin-password-file",
            pw.to_str().unwrap(),
        ],
    );
    let mut alice = Client::register(p.addr, "alice", PASSWORD).unwrap();
    let mut root = Client::login(p.addr, "root", PASSWORD).unwrap();
    signal(&p.child, "TERM");
    assert_eq!(alice.wait_for("CTL ").unwrap().0, "CTL shutdown");
    assert_eq!(root.wait_for("CTL ").unwrap().0, "CTL shutdown");
    assert!(wait_exit(&mut p.child).success());
    let log = p.log.lock().unwrap().join("\n");
    // 'listening on' comes once the store (and its new key) is ready.
    let key_at = log.find("created a new store key").expect("key line");
    let listening_at = log.find("listening on 127.0.0.1:").expect("listening line");
    assert!(key_at < listening_at, "{log}");
    assert!(!log.contains(PASSWORD), "the log holds a password:\n{log}");
    assert!(!log.contains("$argon2"), "the log holds a hash:\n{log}");
    // The key file was created private.
    use std::os::unix::fs::PermissionsExt;
    let mode = std::fs::metadata(data.join("store.key"))
        .unwrap()
        .permissions()
        .mode();
    assert_eq!(mode & 0o777, 0o600);
}

#[test]
fn sigint_also_stops_gracefully() {
    let tmp = tempfile::tempdir().unwrap();
    let mut p = start(&tmp.path().join("data"), &[]);
    let mut c = Client::connect(p.addr).unwrap();
    c.wait_for("ASK account").unwrap();
    signal(&p.child, "INT");
    assert_eq!(c.wait_for("CTL ").unwrap().0, "CTL shutdown");
    assert!(wait_exit(&mut p.child).success());
}

/// Kills the server with SIGKILL while registrations and room traffic are
/// in flight, then checks that every registration that was acknowledged is
/// there, twice: the server restarts on its journal without help each time.
#[test]
fn crash_loses_no_acknowledged_registration() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    let mut acked_all = Vec::new();
    for round in 0..2 {
        let mut p = start(&data, &[]);
        let addr = p.addr;
        let acked = Arc::new(Mutex::new(Vec::new()));
        let registering = (0..6).map(|t| {
            let acked = Arc::clone(&acked);
            std::thread::spawn(move || {
                for i in 0.. {
                    let name = format!("r{round}t{t}u{i}");
                    match Client::register(addr, &name, PASSWORD) {
                        Ok(_) => acked.lock().unwrap().push(name),
                        Err(_) => return,
                    }
                }
            })
        });
        let talking = (0..2).map(|t| {
            std::thread::spawn(move || {
                let Ok(mut c) = Client::register(addr, &format!("r{round}talker{t}"), PASSWORD)
                else {
                    return;
                };
                for i in 0.. {
                    if c.send(&format!("line {i} from talker {t}")).is_err() {
                        return;
                    }
                    if i % 50 == 0 && c.wait_for("MSG ").is_err() {
                        return;
                    }
                }
            })
        });
        let threads: Vec<_> = registering.chain(talking).collect();
        // Let some registrations land, then pull the plug mid-flight.
        let deadline = Instant::now() + Duration::from_secs(20);
        while acked.lock().unwrap().len() < 40 {
            assert!(Instant::now() < deadline, "registrations too slow");
            std::thread::sleep(Duration::from_millis(2));
        }
        p.child.kill().unwrap();
        p.child.wait().unwrap();
        for t in threads {
            t.join().unwrap();
        }
        let acked = acked.lock().unwrap().clone();
        assert!(acked.len() >= 40);
        acked_all.extend(acked);
    }
    let p = start(&data, &[]);
    for name in &acked_all {
        Client::login(p.addr, name, PASSWORD)
            .unwrap_or_else(|e| panic!("acknowledged {name} lost after a crash: {e}"));
    }
    drop(p);
}

/// `chat-server backup` while the server runs, `restore` refused while it
/// runs and done once it stopped.
#[test]
fn backup_while_running_and_restore_once_stopped() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    let backup = tmp.path().join("chat.backup");
    let mut p = start(&data, &[]);
    Client::register(p.addr, "alice", PASSWORD).unwrap();
    let store_cmd = |args: &[&str]| {
        Command::new(env!("CARGO_BIN_EXE_chat-server"))
            .arg("--data-dir")
            .arg(&data)
            .args(args)
            .env_remove("CHAT_STORE_KEY")
            .output()
            .unwrap()
    };
    let out = store_cmd(&["backup", "--out", backup.to_str().unwrap()]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    Client::register(p.addr, "bob", PASSWORD).unwrap();
    let out = store_cmd(&["restore", "--from", backup.to_str().unwrap()]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("in use"));
    signal(&p.child, "TERM");
    assert!(wait_exit(&mut p.child).success());
    let out = store_cmd(&["restore", "--from", backup.to_str().unwrap()]);
    let said = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{said}");
    assert_eq!(
        said.matches("restored from").count(),
        1,
        "said once: {said}"
    );
    let p = start(&data, &[]);
    Client::login(p.addr, "alice", PASSWORD).unwrap();
    assert!(
        Client::login(p.addr, "bob", PASSWORD).is_err(),
        "bob came after the backup"
    );
}

fn store_with_one_user(data: &Path) {
    let mut p = start(data, &[]);
    Client::register(p.addr, "alice", PASSWORD).unwrap();
    signal(&p.child, "TERM");
    assert!(wait_exit(&mut p.child).success());
}

#[test]
fn tampered_store_is_refused_and_not_overwritten() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    store_with_one_user(&data);
    let file = data.join("store.snapshot");
    let mut bytes = std::fs::read(&file).unwrap();
    let mid = bytes.len() / 2;
    bytes[mid] ^= 0x01;
    std::fs::write(&file, &bytes).unwrap();
    let cfg = config_file(tmp.path());
    let (status, stderr) = run_to_end(&data, &[], &["--config", cfg.to_str().unwrap()]);
    assert!(!status.success());
    assert!(
        stderr.contains("store.snapshot"),
        "error does not name the file: {stderr}"
    );
    assert_eq!(
        std::fs::read(&file).unwrap(),
        bytes,
        "the store was rewritten"
    );
}

#[test]
fn wrong_key_is_refused_and_not_overwritten() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    store_with_one_user(&data);
    let file = data.join("store.snapshot");
    let before = std::fs::read(&file).unwrap();
    let cfg = config_file(tmp.path());
    let zeros = "0".repeat(64);
    let (status, stderr) = run_to_end(
        &data,
        &[("CHAT_STORE_KEY", &zeros)],
        &["--config", cfg.to_str().unwrap()],
    );
    assert!(!status.success());
    assert!(stderr.contains("store.snapshot"), "{stderr}");
    assert_eq!(std::fs::read(&file).unwrap(), before);
}

#[test]
fn busy_port_and_bad_config_fail_with_one_line() {
    let tmp = tempfile::tempdir().unwrap();
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = taken.local_addr().unwrap().to_string();
    let cfg = config_file(tmp.path());
    let out = Command::new(env!("CARGO_BIN_EXE_chat-server"))
        .args(["--bind", &port, "--config", cfg.to_str().unwrap()])
        .arg("--data-dir")
        .arg(tmp.path().join("d1"))
        .env("CHAT_STORE_KEY", "1".repeat(64))
        .output()
        .unwrap();
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_one_line_reason(&stderr, "cannot listen on");

    let bad = tmp.path().join("bad.ron");
    std::fs::write(&bad, "(limits: (max_line_bytes: \"lots\"))").unwrap();
    let (status, stderr) = run_to_end(
        &tmp.path().join("d2"),
        &[],
        &["--config", bad.to_str().unwrap()],
    );
    assert!(!status.success());
    assert_one_line_reason(&stderr, "bad.ron");

    let (status, stderr) = run_to_end(&tmp.path().join("d3"), &[], &["--admin", "9bad"]);
    assert!(!status.success());
    assert_one_line_reason(&stderr, "9bad");
}

/// The reason is one `chat-server: ...` line, the last thing printed, and
/// no panic or backtrace.
fn assert_one_line_reason(stderr: &str, needle: &str) {
    let reasons: Vec<&str> = stderr
        .lines()
        .filter(|l| l.starts_with("chat-server: "))
        .collect();
    assert_eq!(reasons.len(), 1, "{stderr}");
    assert_eq!(stderr.lines().last(), Some(reasons[0]), "{stderr}");
    assert!(reasons[0].contains(needle), "{stderr}");
    assert!(
        !stderr.contains("panicked") && !stderr.contains("backtrace"),
        "{stderr}"
    );
}

#[test]
fn restart_command_comes_back_on_the_same_port() {
    let tmp = tempfile::tempdir().unwrap();
    let mut p = start(&tmp.path().join("data"), &["--admin", "root"]);
    p.child.kill().unwrap();
    p.child.wait().unwrap();
    // The operator's password comes from the environment this time.
    let cfg = config_file(tmp.path());
    let child = command(
        &tmp.path().join("data"),
        "debug",
        &["--admin", "root", "--config", cfg.to_str().unwrap()],
    )
    .env("CHAT_ADMIN_PASSWORD", PASSWORD)
    .spawn()
    .unwrap();
    let mut p = started(child);
    let mut root = Client::login(p.addr, "root", PASSWORD).unwrap();
    root.send("/restart").unwrap();
    assert_eq!(root.wait_for("CTL ").unwrap().0, "CTL restart");
    drop(root);
    let deadline = Instant::now() + Duration::from_secs(10);
    let mut root = loop {
        match Client::login(p.addr, "root", PASSWORD) {
            Ok(c) => break c,
            Err(ClientError::Io(_)) | Err(ClientError::Closed) if Instant::now() < deadline => {
                std::thread::sleep(Duration::from_millis(5))
            }
            Err(e) => panic!("no login after restart: {e}"),
        }
    };
    root.send("/ping").unwrap();
    assert_eq!(root.wait_for("PONG").unwrap().0, "PONG");
    signal(&p.child, "TERM");
    assert!(wait_exit(&mut p.child).success());
}

#[test]
fn admin_password_creates_missing_admins_and_is_never_logged() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    let pw = admin_password_file(tmp.path());
    let pw = pw.to_str().unwrap();
    let mut p = start(
        &data,
        &[
            "--admin",
            "root",
            "--admin",
            "ops",
            "--admin-password-file",
            pw,
        ],
    );
    let mut root = Client::login(p.addr, "root", PASSWORD).unwrap();
    root.send("/whoami").unwrap();
    Client::login(p.addr, "ops", PASSWORD).unwrap();
    signal(&p.child, "TERM");
    assert!(wait_exit(&mut p.child).success());
    let log = p.log.lock().unwrap().join("\n");
    assert!(log.contains("admin account root created"), "{log}");
    assert!(
        !log.contains(PASSWORD),
        "the log holds the password:\n{log}"
    );

    // An existing admin keeps its password: a new one does not replace it.
    std::fs::write(tmp.path().join("admin.pw"), "another-password\n").unwrap();
    let mut p = start(&data, &["--admin", "root", "--admin-password-file", pw]);
    Client::login(p.addr, "root", PASSWORD).unwrap();
    signal(&p.child, "TERM");
    assert!(wait_exit(&mut p.child).success());
}

/// The start-up log says where the page is, and warns while no account
/// is an admin, saying how to make one.
#[test]
fn the_log_gives_the_page_address_and_warns_without_an_admin() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    let mut p = start(&data, &["--ws", "127.0.0.1:0"]);
    let web = listener_addr(&p, "Ws, Chat1");
    signal(&p.child, "TERM");
    assert!(wait_exit(&mut p.child).success());
    let log = p.log.lock().unwrap().join("\n");
    assert!(
        log.contains(&format!("the chat page is at http://{web}/")),
        "{log}"
    );
    let warning = log
        .lines()
        .find(|l| l.contains("no admin account"))
        .unwrap_or_else(|| panic!("no warning about the missing admin:\n{log}"));
    assert!(warning.contains("WARN"), "{warning}");
    for how in [
        "--admin NAME",
        "CHAT_ADMIN_PASSWORD",
        "--admin-password-file",
    ] {
        assert!(warning.contains(how), "{warning}");
    }

    // With an admin, no warning.
    let pw = admin_password_file(tmp.path());
    let mut p = start(
        &data,
        &[
            "--admin",
            "root",
            "--admin-password-file",
            pw.to_str().unwrap(),
        ],
    );
    signal(&p.child, "TERM");
    assert!(wait_exit(&mut p.child).success());
    let log = p.log.lock().unwrap().join("\n");
    assert!(!log.contains("no admin account"), "{log}");
}

#[test]
fn a_second_server_on_the_same_data_folder_is_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    let mut first = start(&data, &[]);
    let cfg = config_file(tmp.path());
    let (status, stderr) = run_to_end(&data, &[], &["--config", cfg.to_str().unwrap()]);
    assert!(!status.success());
    assert_one_line_reason(&stderr, &data.display().to_string());
    assert!(stderr.contains("in use by another"), "{stderr}");
    // The first one is untouched.
    Client::register(first.addr, "alice", PASSWORD).unwrap();
    signal(&first.child, "TERM");
    assert!(wait_exit(&mut first.child).success());
}

#[test]
fn a_data_folder_that_is_a_file_says_so() {
    let tmp = tempfile::tempdir().unwrap();
    let file = tmp.path().join("data");
    std::fs::write(&file, "not a folder").unwrap();
    let cfg = config_file(tmp.path());
    let (status, stderr) = run_to_end(&file, &[], &["--config", cfg.to_str().unwrap()]);
    assert!(!status.success());
    assert_one_line_reason(&stderr, "is not a folder");
    assert!(!stderr.contains("File exists"), "{stderr}");
    assert!(!stderr.contains("listening on"), "{stderr}");
}

#[test]
fn listening_is_logged_only_once_the_store_is_open() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    store_with_one_user(&data);
    let file = data.join("store.snapshot");
    let mut bytes = std::fs::read(&file).unwrap();
    bytes[10] ^= 0x01;
    std::fs::write(&file, &bytes).unwrap();
    let cfg = config_file(tmp.path());
    let (status, stderr) = run_to_end(&data, &[], &["--config", cfg.to_str().unwrap()]);
    assert!(!status.success());
    assert!(!stderr.contains("listening on"), "{stderr}");
}

#[test]
fn a_dropped_server_handle_leaves_no_process() {
    let tmp = tempfile::tempdir().unwrap();
    let p = start(&tmp.path().join("data"), &[]);
    let pid = p.child.id();
    drop(p);
    // Reaped, not a zombie: the pid is gone from /proc.
    assert!(
        !Path::new(&format!("/proc/{pid}")).exists(),
        "chat-server {pid} outlived its test handle"
    );
}

#[test]
fn a_refused_connection_is_logged_at_warn_with_its_address() {
    let tmp = tempfile::tempdir().unwrap();
    let cfg = tmp.path().join("one.ron");
    std::fs::write(
        &cfg,
        "(hash: (memory_kib: 8, iterations: 1, parallelism: 1), \
         limits: (max_connections_per_address: 1, exempt_loopback: false))",
    )
    .unwrap();
    let data = tmp.path().join("data");
    let mut p = started(
        command(&data, "info", &["--config", cfg.to_str().unwrap()])
            .spawn()
            .unwrap(),
    );
    let mut first = Client::connect(p.addr).unwrap();
    first.wait_for("ASK account").unwrap();
    let mut second = Client::connect(p.addr).unwrap();
    second.wait_for("ERR ").unwrap();
    let deadline = Instant::now() + Duration::from_secs(10);
    while !p.log.lock().unwrap().iter().any(|l| l.contains("refused")) {
        assert!(Instant::now() < deadline, "{:?}", p.log.lock().unwrap());
        std::thread::sleep(Duration::from_millis(5));
    }
    let log = p.log.lock().unwrap().join("\n");
    let line = log.lines().find(|l| l.contains("refused")).unwrap();
    assert!(
        line.contains(" WARN ") && line.contains("127.0.0.1"),
        "{line}"
    );
    signal(&p.child, "TERM");
    assert!(wait_exit(&mut p.child).success());
}

/// The soft and hard "Max open files" of a running process.
fn open_file_limits(pid: u32) -> (String, String) {
    let limits = std::fs::read_to_string(format!("/proc/{pid}/limits")).unwrap();
    let line = limits
        .lines()
        .find(|l| l.starts_with("Max open files"))
        .unwrap_or_else(|| panic!("no open-file limit in {limits}"));
    let mut fields = line["Max open files".len()..].split_whitespace();
    let soft = fields.next().unwrap().to_owned();
    let hard = fields.next().unwrap().to_owned();
    (soft, hard)
}

#[test]
fn the_server_raises_its_open_file_limit_at_start() {
    let tmp = tempfile::tempdir().unwrap();
    let cfg = config_file(tmp.path());
    let data = tmp.path().join("data");
    // Started with a low soft limit; the shell execs, so the pid stays.
    let inner = command(&data, "info", &["--config", cfg.to_str().unwrap()]);
    let child = Command::new("sh")
        .arg("-c")
        .arg(r#"ulimit -Sn 64 && exec "$0" "$@""#)
        .arg(inner.get_program())
        .args(inner.get_args())
        .env_remove("CHAT_STORE_KEY")
        .env_remove("CHAT_ADMIN_PASSWORD")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut p = started(child);
    let (soft, hard) = open_file_limits(p.child.id());
    assert_ne!(soft, "64", "the soft limit was not raised");
    assert_eq!(soft, hard, "raised as far as the hard limit allows");
    signal(&p.child, "TERM");
    assert!(wait_exit(&mut p.child).success());
}

/// The address of the listener whose log line names `kind` (e.g.
/// "Tls, Chat1").
fn listener_addr(p: &Proc, kind: &str) -> SocketAddr {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let found = p.log.lock().unwrap().iter().find_map(|l| {
            let rest = l.split("listening on ").nth(1)?;
            let (addr, what) = rest.split_once(' ')?;
            what.starts_with(&format!("({kind})"))
                .then(|| addr.parse().unwrap())
        });
        if let Some(addr) = found {
            return addr;
        }
        assert!(Instant::now() < deadline, "no {kind} listener logged");
        std::thread::sleep(Duration::from_millis(5));
    }
}

fn tls_client(addr: SocketAddr, ca: &Path, name: &str) -> Result<Client, ClientError> {
    let tls = chat_client::TlsConnector::new(Some(ca), "localhost")?;
    Client::enter_via(
        addr,
        name,
        PASSWORD,
        chat_client::Auth::Register,
        chat_client::Transport::Tls(tls),
    )
}

/// `--tls-self-signed` makes a certificate in the data folder that a
/// client can trust; SIGHUP reads the files again for new connections,
/// and open ones keep going.
#[test]
fn self_signed_tls_and_sighup_reload() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    let mut p = start(
        &data,
        &[
            "--tls",
            "127.0.0.1:0",
            "--ws",
            "127.0.0.1:0",
            "--tls-self-signed",
        ],
    );
    let tls = listener_addr(&p, "Tls, Chat1");
    listener_addr(&p, "Ws, Chat1");
    let ca = data.join("tls-cert.pem");
    let old_ca = tmp.path().join("old.pem");
    std::fs::copy(&ca, &old_ca).unwrap();
    let mut alice = tls_client(tls, &old_ca, "alice").unwrap();
    // A new certificate in the same files, then SIGHUP.
    let ck = rcgen::generate_simple_self_signed(vec!["localhost".to_owned()]).unwrap();
    std::fs::write(data.join("tls-key.pem"), ck.key_pair.serialize_pem()).unwrap();
    std::fs::write(&ca, ck.cert.pem()).unwrap();
    signal(&p.child, "HUP");
    let deadline = Instant::now() + Duration::from_secs(20);
    while !p
        .log
        .lock()
        .unwrap()
        .iter()
        .any(|l| l.contains("TLS certificate reloaded"))
    {
        assert!(Instant::now() < deadline, "no reload logged");
        std::thread::sleep(Duration::from_millis(5));
    }
    let mut bob = tls_client(tls, &ca, "bob").unwrap();
    assert!(tls_client(tls, &old_ca, "carol").is_err());
    alice.send("hello").unwrap();
    while !bob.wait_for("MSG ").unwrap().0.ends_with(" alice hello") {}
    signal(&p.child, "TERM");
    assert!(wait_exit(&mut p.child).success());
}

type IrcTls = BufReader<rustls::StreamOwned<rustls::ClientConnection, std::net::TcpStream>>;

/// IRC lines until one containing `part`, without its `\r\n`.
fn irc_until(irc: &mut IrcTls, part: &str) -> String {
    loop {
        let mut line = String::new();
        assert!(
            irc.read_line(&mut line).unwrap() > 0,
            "closed before {part:?}"
        );
        if line.contains(part) {
            return line.trim_end().to_owned();
        }
    }
}

/// `--irc-tls` listens for IRC over TLS: an IRC client that trusts the
/// self-signed certificate registers and talks with a chat/1 TCP client.
#[test]
fn irc_over_tls_from_the_command_line() {
    use std::io::Write;
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    let mut p = start(&data, &["--irc-tls", "127.0.0.1:0", "--tls-self-signed"]);
    let addr = listener_addr(&p, "Tls, Irc");
    let mut roots = rustls::RootCertStore::empty();
    {
        use rustls::pki_types::pem::PemObject;
        for c in
            rustls::pki_types::CertificateDer::pem_file_iter(data.join("tls-cert.pem")).unwrap()
        {
            roots.add(c.unwrap()).unwrap();
        }
    }
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let conf = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_root_certificates(roots)
        .with_no_client_auth();
    let conn =
        rustls::ClientConnection::new(Arc::new(conf), "localhost".try_into().unwrap()).unwrap();
    let sock = std::net::TcpStream::connect(addr).unwrap();
    sock.set_read_timeout(Some(Duration::from_secs(20)))
        .unwrap();
    let mut irc: IrcTls = BufReader::new(rustls::StreamOwned::new(conn, sock));
    for line in [
        "NICK dave",
        "USER dave 0 * :Dave",
        &format!("PRIVMSG NickServ :REGISTER {PASSWORD}"),
    ] {
        irc.get_mut()
            .write_all(format!("{line}\r\n").as_bytes())
            .unwrap();
    }
    irc_until(&mut irc, ":dave!dave@chat JOIN #lobby");
    // bob is in the lobby once registered (IRC clients are not shown
    // others' joins of it).
    let mut bob = Client::register(p.addr, "bob", PASSWORD).unwrap();
    irc.get_mut()
        .write_all(b"PRIVMSG #lobby :hi over 6697\r\n")
        .unwrap();
    while !bob
        .wait_for("MSG ")
        .unwrap()
        .0
        .ends_with(" dave hi over 6697")
    {}
    bob.send("hi back").unwrap();
    assert_eq!(
        irc_until(&mut irc, "PRIVMSG #lobby"),
        ":bob!bob@chat PRIVMSG #lobby :hi back"
    );
    signal(&p.child, "TERM");
    assert!(wait_exit(&mut p.child).success());
}
