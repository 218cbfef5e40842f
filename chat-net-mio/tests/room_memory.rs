//! What a full room costs the server's resident memory, measured from the
//! process (alone in its test binary, so the memory is the server's): a
//! room whose history is at its bounds, in the engine and in the store's
//! copy. SECURITY.md states the bound this checks.

mod support;

use chat_client::Client;
use support::{config, expect, resident_bytes, TestServer, PASSWORD};

/// Rooms filled, enough that the figure per room is not noise.
const ROOMS: usize = 20;

/// The bound SECURITY.md states for a full room at the default limits:
/// twice (the engine's history and the store's copy) 256 KiB of names and
/// text plus 1,000 lines of about 110 bytes each (about 720 KiB of live
/// heap), and the allocator's overhead on top, which varies from run to
/// run (960 to 1,300 KiB resident measured): 1.5 MiB of resident memory.
const FULL_ROOM: u64 = 1_536 * 1024;

/// Fills `ROOMS` rooms with `lines` lines of `bytes` bytes each, from
/// root (an admin: no creation limits); returns resident memory per room.
fn per_room(lines: usize, bytes: usize) -> u64 {
    let mut cfg = config(&["root"]);
    cfg.limits.messages_per_second = 0;
    let s = TestServer::start(cfg);
    let mut root = Client::login(s.addr, "root", PASSWORD).unwrap();
    // Warm the server up with a room of the same kind, then measure.
    let text = "z".repeat(bytes);
    let fill = |root: &mut Client, room: &str| {
        root.send(&format!("/create {room}")).unwrap();
        expect(root, &format!("OK created {room}"));
        for i in 0..lines {
            root.send(&format!("/say {room} {i:05}{text}")).unwrap();
            if i % 200 == 199 {
                root.send("/ping p").unwrap();
                expect(root, "PONG p");
            }
        }
        root.send(&format!("/part {room}")).unwrap();
        expect(root, &format!("OK parted {room}"));
    };
    fill(&mut root, "warm");
    let before = settled();
    for r in 0..ROOMS {
        fill(&mut root, &format!("full{r}"));
    }
    let after = settled();
    let each = after.saturating_sub(before) / ROOMS as u64;
    eprintln!(
        "{ROOMS} rooms of {lines} lines of {bytes} bytes: resident {} -> {} KiB, {} KiB a room",
        before / 1024,
        after / 1024,
        each / 1024
    );
    each
}

/// Resident memory once the server, quiet for a second, gave its free
/// memory back (its trimmer): the least seen over three seconds.
fn settled() -> u64 {
    let mut least = resident_bytes();
    for _ in 0..30 {
        std::thread::sleep(std::time::Duration::from_millis(100));
        least = least.min(resident_bytes());
    }
    least
}

/// At both bounds at once, the costliest full room: 1,000 lines (the
/// line bound) of 250 bytes (256 KiB of text, the byte bound), each line
/// an allocation of its own in the engine and in the store. Longer lines
/// reach the byte bound with fewer lines, and cost less.
#[test]
fn a_full_room_costs_what_security_md_says() {
    let each = per_room(1_050, 250);
    assert!(
        each <= FULL_ROOM,
        "a full room costs {} KiB, over the {} KiB stated",
        each / 1024,
        FULL_ROOM / 1024
    );
}
