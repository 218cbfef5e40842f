//! What the engine logs: who did what from where, never a password or a
//! message body. (Its own test binary: the logger is process-wide.)

mod harness;

use std::sync::Mutex;

use harness::{Harness, PW};

static LINES: Mutex<Vec<String>> = Mutex::new(Vec::new());

struct Capture;

impl log::Log for Capture {
    fn enabled(&self, _: &log::Metadata<'_>) -> bool {
        true
    }
    fn log(&self, record: &log::Record<'_>) {
        LINES
            .lock()
            .unwrap()
            .push(format!("{} {}", record.level(), record.args()));
    }
    fn flush(&self) {}
}

#[test]
fn the_log_answers_who_did_what_and_never_holds_a_secret() {
    log::set_logger(&Capture).unwrap();
    log::set_max_level(log::LevelFilter::Trace);
    let mut h = Harness::with_admins(&["root"]);
    h.register("r", "root");
    h.connect_from("a", "192.0.2.5".parse().unwrap());
    h.send("a", &format!("/register alice {PW}"));
    h.send("a", "a secret message body");
    h.connect_from("x", "192.0.2.9".parse().unwrap());
    h.send("x", "/login alice guessed-password");
    h.send("r", "/changegrant alice 0");
    h.send("r", "/changegrant alice 1");
    h.send("a", &format!("/changepassword {PW} another-password"));
    h.send("r", "/kickuser alice spam");
    h.send("r", "/unkick alice");
    h.send("r", "/restart");
    let lines = LINES.lock().unwrap().clone();
    let find = |needle: &str| {
        assert!(
            lines.iter().any(|l| l.contains(needle)),
            "no {needle:?} in {lines:#?}"
        )
    };
    find("INFO login root from 127.0.0.1");
    find("INFO registered alice from 192.0.2.5");
    find("WARN failed login to alice from 192.0.2.9");
    find("INFO grant of alice set to 0 by root");
    find("INFO password of alice changed");
    find("INFO alice kicked by root");
    find("INFO alice unkicked by root");
    find("INFO restart requested by root");
    for secret in [PW, "guessed-password", "another-password", "secret message"] {
        assert!(
            !lines.iter().any(|l| l.contains(secret)),
            "{secret:?} logged"
        );
    }
}
