//! `chat-fanout-floor`: how long this machine's kernel takes to send one
//! line to each of N loopback TCP peers, the floor under W3's p99.
//!
//! W3's tail is a whole fan-out: one line to 1,000 members, one send
//! each, on the server's one core. This measures that fan-out with no
//! server at all: a writer pinned to one core sends a 90-byte IRC line to
//! N sockets, and a reader pinned to another drains the peers with epoll,
//! as `chat-load` does. Three ways to send are timed in turn: a `send`
//! per peer, a `writev` per peer (what the server does), and one
//! io_uring submission of all N sends (one system call for the lot).
//! Each is timed twice: until the last send returns (the writer's
//! floor), and until the reader has read every line (what a client on
//! the far end sees, so a reader slower than the writer would show).
//!
//! ```sh
//! taskset -c 0,1 target/release/chat-fanout-floor --peers 1000 --rounds 600
//! ```

#[cfg(target_os = "linux")]
fn main() {
    if let Err(e) = floor::run(&<floor::Args as clap::Parser>::parse()) {
        eprintln!("chat-fanout-floor: {e}");
        std::process::exit(1);
    }
}

#[cfg(not(target_os = "linux"))]
fn main() {
    eprintln!("chat-fanout-floor: Linux only (epoll, io_uring)");
    std::process::exit(1);
}

#[cfg(target_os = "linux")]
mod floor {
    use std::io::{self, IoSlice, Read, Write};
    use std::net::{TcpListener, TcpStream};
    use std::os::fd::{AsRawFd, RawFd};
    use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
    use std::sync::Arc;
    use std::time::{Duration, Instant};

    /// The line each peer gets: a channel line as our IRC listener
    /// renders it, 90 bytes.
    const LINE: &[u8] =
        b":alice!alice@chat.test PRIVMSG #lobby :0123456789 0123456789 0123456789 0123456789 01234\r\n";

    /// How long the writer waits for the reader to drain a round before
    /// it gives up on it.
    const DRAIN_LIMIT: Duration = Duration::from_secs(2);

    /// The options.
    #[derive(clap::Parser, Debug)]
    #[command(
        about = "Times one line sent to each of N loopback TCP peers: send, writev, io_uring"
    )]
    pub struct Args {
        /// Peers (sockets) a fan-out writes to.
        #[arg(long, default_value_t = 1000)]
        peers: usize,
        /// Fan-outs timed per way of sending.
        #[arg(long, default_value_t = 600)]
        rounds: usize,
        /// Microseconds from one fan-out's start to the next (W3's ten
        /// senders at 20/s are one every 5 ms).
        #[arg(long, default_value_t = 5000)]
        gap_us: u64,
        /// The core the writer runs on.
        #[arg(long, default_value_t = 0)]
        writer_core: usize,
        /// The core the reader runs on.
        #[arg(long, default_value_t = 1)]
        reader_core: usize,
        /// The reader polls without sleeping, so no send has to wake it.
        #[arg(long)]
        busy_reader: bool,
        /// Ways of sending, timed in this order (send, writev, uring).
        #[arg(
            long,
            value_delimiter = ',',
            default_value = "send,writev,uring,send,writev,uring"
        )]
        ways: Vec<Way>,
    }

    /// A way of sending the fan-out.
    #[derive(clap::ValueEnum, Clone, Copy, Debug)]
    enum Way {
        /// One `send(2)` per peer.
        Send,
        /// One `writev(2)` of one slice per peer, as the server writes.
        Writev,
        /// One io_uring submission of every peer's send.
        Uring,
    }

    /// Opens the peers, starts the reader and times each way.
    pub fn run(args: &Args) -> io::Result<()> {
        // Two descriptors a peer: past a fresh machine's usual 1,024.
        if let Err(e) = rlimit::increase_nofile_limit(u64::MAX) {
            eprintln!("chat-fanout-floor: cannot raise the open-file limit: {e}");
        }
        let listener = TcpListener::bind("127.0.0.1:0")?;
        let addr = listener.local_addr()?;
        let mut readers = Vec::with_capacity(args.peers);
        let mut writers = Vec::with_capacity(args.peers);
        for _ in 0..args.peers {
            let reader = TcpStream::connect(addr)?;
            let (writer, _) = listener.accept()?;
            // As the server's sockets: no Nagle, never blocking.
            writer.set_nodelay(true)?;
            writer.set_nonblocking(true)?;
            reader.set_nonblocking(true)?;
            readers.push(reader);
            writers.push(writer);
        }
        let received = Arc::new(AtomicU64::new(0));
        let stop = Arc::new(AtomicBool::new(false));
        let drain = {
            let (received, stop) = (Arc::clone(&received), Arc::clone(&stop));
            let (core, busy) = (args.reader_core, args.busy_reader);
            std::thread::spawn(move || read_all(readers, core, busy, &received, &stop))
        };
        pin_or_say(args.writer_core, "writer");
        let fds: Vec<RawFd> = writers.iter().map(|w| w.as_raw_fd()).collect();
        // A kernel or sandbox may refuse io_uring: the other ways still
        // run, and its rows say why they are missing.
        let mut ring = io_uring::IoUring::builder()
            .setup_single_issuer()
            .build(1024);
        let per_round = (LINE.len() * args.peers) as u64;
        let mut sent = 0u64;
        println!(
            "{} peers, {} rounds a way, a fan-out every {} us, reader {}",
            args.peers,
            args.rounds,
            args.gap_us,
            if args.busy_reader {
                "polling"
            } else {
                "sleeping in epoll_wait"
            }
        );
        for &way in &args.ways {
            let name = format!("{way:?}").to_lowercase();
            if let (Way::Uring, Err(e)) = (way, &ring) {
                println!("{name:<7} not measured: io_uring is not available here ({e})");
                continue;
            }
            let mut times = Vec::with_capacity(args.rounds);
            let mut drained = Vec::with_capacity(args.rounds);
            for _ in 0..args.rounds {
                let start = Instant::now();
                match way {
                    Way::Send => send_each(&writers)?,
                    Way::Writev => writev_each(&writers)?,
                    Way::Uring => {
                        if let Ok(ring) = &mut ring {
                            uring_all(ring, &fds)?;
                        }
                    }
                }
                times.push(start.elapsed());
                sent += per_round;
                // The reader drains the round, then the next waits for its
                // time, as W3's messages do.
                let deadline = start + Duration::from_micros(args.gap_us);
                let limit = Instant::now() + DRAIN_LIMIT;
                while received.load(Ordering::Relaxed) < sent {
                    if Instant::now() > limit {
                        return Err(io::Error::other("the reader stopped draining"));
                    }
                    std::hint::spin_loop();
                }
                drained.push(start.elapsed());
                if let Some(rest) = deadline.checked_duration_since(Instant::now()) {
                    std::thread::sleep(rest);
                }
            }
            let (median, p99) = median_p99(&mut times);
            let (read_median, read_p99) = median_p99(&mut drained);
            println!(
                "{:<7} fan-out median {median:>8.1} us ({:.2} us a peer), p99 {p99:>8.1} us; \
                 all read by the reader: median {read_median:>8.1} us, p99 {read_p99:>8.1} us",
                name,
                median / args.peers as f64,
            );
        }
        stop.store(true, Ordering::Relaxed);
        drain
            .join()
            .map_err(|_| io::Error::other("the reader panicked"))?
    }

    /// The median and the 99th percentile of `times`, in microseconds.
    fn median_p99(times: &mut [Duration]) -> (f64, f64) {
        times.sort();
        let at = |i: usize| times[i.min(times.len() - 1)].as_secs_f64() * 1e6;
        (at(times.len() / 2), at(times.len() * 99 / 100))
    }

    /// One `send` per peer (std's `write` on a socket is `send(2)`).
    fn send_each(peers: &[TcpStream]) -> io::Result<()> {
        for mut peer in peers {
            whole(peer.write(LINE)?)?;
        }
        Ok(())
    }

    /// One `writev` of one slice per peer.
    fn writev_each(peers: &[TcpStream]) -> io::Result<()> {
        let slices = [IoSlice::new(LINE)];
        for mut peer in peers {
            whole(peer.write_vectored(&slices)?)?;
        }
        Ok(())
    }

    /// One submission of every peer's send (up to the ring's size at a
    /// time), waiting for all of them.
    #[allow(unsafe_code)]
    fn uring_all(ring: &mut io_uring::IoUring, fds: &[RawFd]) -> io::Result<()> {
        let size = ring.params().sq_entries() as usize;
        for chunk in fds.chunks(size) {
            {
                let mut sq = ring.submission();
                for &fd in chunk {
                    let send = io_uring::opcode::Send::new(
                        io_uring::types::Fd(fd),
                        LINE.as_ptr(),
                        LINE.len() as u32,
                    )
                    // A full socket answers EAGAIN rather than waiting.
                    .flags(libc::MSG_DONTWAIT | libc::MSG_NOSIGNAL)
                    .build();
                    // SAFETY: LINE is static and the call waits for every
                    // completion before returning.
                    unsafe { sq.push(&send) }.map_err(|_| io::Error::other("ring full"))?;
                }
            }
            ring.submit_and_wait(chunk.len())?;
            for done in ring.completion() {
                match done.result() {
                    n if n < 0 => return Err(io::Error::from_raw_os_error(-n)),
                    n => whole(n as usize)?,
                }
            }
        }
        Ok(())
    }

    /// A send's result: the whole line, or why not.
    fn whole(n: usize) -> io::Result<()> {
        match n {
            n if n == LINE.len() => Ok(()),
            n => Err(io::Error::other(format!(
                "sent {n} of {} bytes: the reader fell behind",
                LINE.len()
            ))),
        }
    }

    /// The reader: epoll over every peer, counting the bytes drained.
    fn read_all(
        peers: Vec<TcpStream>,
        core: usize,
        busy: bool,
        received: &AtomicU64,
        stop: &AtomicBool,
    ) -> io::Result<()> {
        pin_or_say(core, "reader");
        let poll = mio::Poll::new()?;
        let registry = poll.registry();
        let mut peers: Vec<mio::net::TcpStream> = peers
            .into_iter()
            .map(mio::net::TcpStream::from_std)
            .collect();
        for (i, peer) in peers.iter_mut().enumerate() {
            registry.register(peer, mio::Token(i), mio::Interest::READABLE)?;
        }
        let mut poll = poll;
        let mut events = mio::Events::with_capacity(256);
        let mut buf = vec![0u8; 64 * 1024];
        let timeout = if busy {
            Duration::ZERO
        } else {
            Duration::from_millis(100)
        };
        while !stop.load(Ordering::Relaxed) {
            poll.poll(&mut events, Some(timeout))?;
            for event in &events {
                let peer = &mut peers[event.token().0];
                loop {
                    match peer.read(&mut buf) {
                        Ok(0) => break,
                        Ok(n) => {
                            received.fetch_add(n as u64, Ordering::Relaxed);
                            // A short read took all there was: with
                            // edge-triggered epoll the next data raises a
                            // new event (chat-load skips the EAGAIN read
                            // too).
                            if n < buf.len() {
                                break;
                            }
                        }
                        Err(e) if e.kind() == io::ErrorKind::WouldBlock => break,
                        Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                        Err(e) => return Err(e),
                    }
                }
            }
        }
        Ok(())
    }

    /// Pins the calling thread to `core`, or says why it runs unpinned.
    fn pin_or_say(core: usize, who: &str) {
        if let Err(e) = pin(core) {
            eprintln!(
                "chat-fanout-floor: the {who} runs on any core: cannot pin it to core {core}: {e}"
            );
        }
    }

    /// Pins the calling thread to `core`.
    #[allow(unsafe_code)]
    fn pin(core: usize) -> io::Result<()> {
        // SAFETY: a zeroed cpu_set_t is an empty set; CPU_SET writes
        // within it for core < CPU_SETSIZE, checked first.
        unsafe {
            if core >= libc::CPU_SETSIZE as usize {
                return Err(io::Error::other(format!("no core {core}")));
            }
            let mut set: libc::cpu_set_t = std::mem::zeroed();
            libc::CPU_SET(core, &mut set);
            if libc::sched_setaffinity(0, std::mem::size_of_val(&set), &set) != 0 {
                return Err(io::Error::last_os_error());
            }
        }
        Ok(())
    }
}
