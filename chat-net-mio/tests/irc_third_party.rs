//! Our IRC listener driven by an IRC client nobody here wrote: the `irc`
//! package from PyPI, run by `tests/irc_client.py`. It needs `python3`
//! with that package, so it is ignored by default; `.ci/run` installs the
//! package and runs it with `--ignored`.

mod support;

use std::process::{Command, Stdio};

use support::{config, expect, TestServer, PASSWORD};

#[test]
#[ignore = "needs python3 with the `irc` package (pip install irc); .ci/run runs it"]
fn python_irc_client_logs_in_with_sasl_and_talks_to_a_chat1_user() {
    let mut c = config(&[]);
    c.irc_bind = Some("127.0.0.1:0".parse().unwrap());
    // The client must see a server PING and answer it (the package does).
    c.limits.irc_ping_interval_ms = 300;
    let server = TestServer::start(c);
    drop(server.register("alice"));
    let mut bob = server.register("bob");
    let port = server.irc_addr.unwrap().port();
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/irc_client.py");
    let child = Command::new("python3")
        .args([script, &port.to_string(), "alice", PASSWORD])
        .stdout(Stdio::piped())
        .spawn()
        .expect("python3 (with `pip install irc`) must be installed for this test");
    // bob answers what the Python client says.
    let line = expect(&mut bob, "MSG ");
    assert!(line.ends_with(" alice hello from python-irc"), "{line}");
    let line = expect(&mut bob, "PM ");
    assert!(line.ends_with(" alice pm from python-irc"), "{line}");
    bob.send("hello python").unwrap();
    bob.send("/msg alice pm back").unwrap();
    // It quit by itself: it answered the ping.
    let leave = expect(&mut bob, "LEAVE ");
    assert!(leave.ends_with(" alice quit"), "{leave}");
    let out = child.wait_with_output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "the Python IRC client failed:\n{stdout}"
    );
    assert!(stdout.contains("result ok"), "{stdout}");
}
