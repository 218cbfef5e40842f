//! The handshake flood, alone in its process so the server's resident
//! memory is its own: 2,200 silent connections from one address against
//! the TLS listeners, then as many again.

mod support;

use support::attack::{attack_config, others, silent_flood, start_with_every_listener};
use support::resident_bytes;

/// Hole 2: 1,100 silent connections from one address against the page's
/// TLS listener and as many against chat/1 over TLS (twice the attack as
/// found, whose half took every handshake slot) leave other people's page
/// loads, TLS and IRC-over-TLS logins working, and cost the server next
/// to nothing: an address holds its share of the handshake slots, no
/// more, and the rest are reset at accept.
#[test]
fn a_handshake_flood_from_one_address_shuts_nobody_else_out() {
    support::raise_file_limit();
    let certs = tempfile::tempdir().unwrap();
    let (s, addrs) = start_with_every_listener(certs.path(), attack_config());
    let [_, wss, tls, _, _] = addrs;
    let ca = certs.path().join("server.crt");
    drop(s.register("alice"));
    let before = resident_bytes();
    let mut flood = silent_flood(&[wss, tls], 2_200);
    others(&addrs, &ca, 1);
    // The attacker opens as many again while the first wave still stands.
    flood.extend(silent_flood(&[wss, tls], 2_200));
    others(&addrs, &ca, 2);
    let after = resident_bytes();
    eprintln!(
        "handshake flood of {} connections: resident {} -> {} KiB",
        flood.len(),
        before / 1024,
        after / 1024
    );
    let grown = after.saturating_sub(before);
    assert!(
        grown < 16 << 20,
        "the flood cost the server {} KiB of resident memory",
        grown / 1024
    );
    drop(flood);
}
