//! Output amplification over chat/1, alone in its process so the
//! server's resident memory is its own.

mod support;

use std::io::Write;

use support::attack::{assert_within_bound, others, output_attack_server, Peak};
use support::{resident_bytes, PASSWORD};

/// Hole 1 over chat/1, at twice its size: 200 accounts from four
/// addresses each pipeline 20 `/join`s and 12 `/history`s of those rooms
/// and read nothing (found adding 395 MiB at 100 accounts, never
/// dropped). Each is sent a window, its next lines wait (past the queue:
/// refused, then closed), and others go on.
#[test]
fn pipelined_joins_and_history_cost_a_window_per_connection() {
    support::raise_file_limit();
    let certs = tempfile::tempdir().unwrap();
    let (s, addrs) = output_attack_server(certs.path());
    let ca = certs.path().join("server.crt");
    let names: Vec<String> = (0..200).map(|i| format!("amp{i}")).collect();
    for name in &names {
        drop(s.register(name));
    }
    let mut burst = String::new();
    for r in 0..20 {
        burst.push_str(&format!("/join h{r}\n"));
    }
    for r in 0..12 {
        burst.push_str(&format!("/history h{r}\n"));
    }
    let before = resident_bytes();
    let peak = Peak::start();
    let mut attackers = Vec::new();
    for (i, name) in names.iter().enumerate() {
        let from = format!("127.0.0.{}", i % 4 + 2);
        let mut c = support::connect_small(s.addr, &from, Some(4096)).unwrap();
        c.write_all(format!("/login {name} {PASSWORD}\n{burst}").as_bytes())
            .unwrap();
        attackers.push(c);
    }
    let most = peak.finish();
    others(&addrs, &ca, 1);
    let n = attackers.len() as u64;
    assert_within_bound("20 /join + 12 /history", before, most, n);
    drop(attackers);
}
