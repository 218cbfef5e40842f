//! What an idle logged-in connection costs the server's heap: live bytes,
//! counted by the allocator (the raw test clients allocate next to
//! nothing), the accounts' own cost left out by registering them on an
//! earlier run of the server, as `benches/load/load.sh` does.
#![allow(unsafe_code)]

mod support;

use std::alloc::{GlobalAlloc, Layout, System};
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::sync::atomic::{AtomicIsize, Ordering};
use std::time::Duration;

use support::{config, TestServer, PASSWORD};

/// Connections measured.
const CONNS: usize = 500;
/// The live heap an idle logged-in connection may cost, engine and
/// runtime together (see BENCHMARKS.md for the breakdown).
const MAX_BYTES_PER_CONN: isize = 1024;

struct Counting;

static LIVE: AtomicIsize = AtomicIsize::new(0);

// SAFETY: every call is handed to the system allocator unchanged; only a
// counter is kept beside it.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        LIVE.fetch_add(layout.size() as isize, Ordering::Relaxed);
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        LIVE.fetch_sub(layout.size() as isize, Ordering::Relaxed);
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        LIVE.fetch_add(
            new_size as isize - layout.size() as isize,
            Ordering::Relaxed,
        );
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

/// Logs in (or registers) on a raw connection and waits for `WELCOME`,
/// reading into a buffer on the stack.
fn enter(addr: SocketAddr, verb: &str, name: &str) -> TcpStream {
    let mut s = TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
    s.write_all(format!("/{verb} {name} {PASSWORD}\n").as_bytes())
        .unwrap();
    let mut buf = [0u8; 4096];
    let mut tail = [0u8; 8];
    loop {
        let n = s.read(&mut buf).unwrap();
        assert!(n > 0, "{name} closed before WELCOME");
        // "WELCOME" may straddle two reads.
        let mut seen = tail.to_vec();
        seen.extend_from_slice(&buf[..n]);
        if seen.windows(8).any(|w| w == b"WELCOME ") {
            return s;
        }
        let keep = seen.len().min(8);
        tail = [0; 8];
        tail[..keep].copy_from_slice(&seen[seen.len() - keep..]);
    }
}

#[test]
fn an_idle_logged_in_connection_costs_little_heap() {
    let mut cfg = config(&[]);
    cfg.limits.max_connections = CONNS * 2;
    cfg.limits.max_connections_per_address = CONNS * 2;
    let s = TestServer::start(cfg.clone());
    let names: Vec<String> = (0..CONNS).map(|i| format!("idle{i}")).collect();
    for name in &names {
        drop(enter(s.addr, "register", name));
    }
    let dir = s.stop();
    let s = TestServer::start_in(dir, cfg);
    // Warm the server's pools and tables with a first login.
    drop(enter(s.addr, "login", &names[0]));
    let before = settled();
    let conns: Vec<TcpStream> = names[1..]
        .iter()
        .map(|n| enter(s.addr, "login", n))
        .collect();
    let after = settled();
    let per_conn = (after - before) / conns.len() as isize;
    eprintln!("live heap per idle logged-in connection: {per_conn} bytes");
    assert!(
        per_conn <= MAX_BYTES_PER_CONN,
        "{per_conn} bytes of heap per idle connection, over {MAX_BYTES_PER_CONN}"
    );
}

/// The live heap once it stops moving (the last JOINs written, the
/// workers' buffers freed).
fn settled() -> isize {
    let mut last = LIVE.load(Ordering::Relaxed);
    let mut same = 0;
    while same < 20 {
        std::thread::sleep(Duration::from_millis(5));
        let now = LIVE.load(Ordering::Relaxed);
        same = if now == last { same + 1 } else { 0 };
        last = now;
    }
    last
}
