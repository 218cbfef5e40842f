//! Output amplification over IRC, alone in its process so the server's
//! resident memory is its own.

mod support;

use std::io::Write;

use support::attack::{assert_within_bound, others, output_attack_server, Peak};
use support::resident_bytes;

/// Hole 1 over IRC, at twice its size: 480 guests from eight addresses
/// each send one `JOIN` of twenty rooms whose history holds 4,000-byte
/// lines (4 MB each to render, found taking the server from 58 MB to
/// 1,030 MB at 240) and read nothing. The server holds a window for each,
/// and others still load the page and log in.
#[test]
fn irc_joins_of_many_rooms_cost_a_window_per_connection() {
    support::raise_file_limit();
    let certs = tempfile::tempdir().unwrap();
    let (_s, addrs) = output_attack_server(certs.path());
    let irc = addrs[4];
    let ca = certs.path().join("server.crt");
    let join = (0..20)
        .map(|r| format!("#h{r}"))
        .collect::<Vec<_>>()
        .join(",");
    let before = resident_bytes();
    let peak = Peak::start();
    let mut attackers = Vec::new();
    for a in 0..8 {
        let from = format!("127.0.0.{}", a + 2);
        for n in 0..60 {
            let mut c = support::connect_small(irc, &from, Some(4096)).unwrap();
            let lines = format!("NICK g{a}x{n}\r\nUSER g 0 * :g\r\nJOIN {join}\r\n");
            c.write_all(lines.as_bytes()).unwrap();
            attackers.push(c);
        }
    }
    let most = peak.finish();
    others(&addrs, &ca, 1);
    let n = attackers.len() as u64;
    assert_within_bound("IRC JOIN of 20 rooms", before, most, n);
    drop(attackers);
}
