//! The connection: a socket (plain, or TLS through [`tls::Pump`]), a
//! thread that forwards the server's bytes as events, and (re)connecting.

use std::io::{self, BufRead, Read, Write};
use std::net::TcpStream;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{self, Sender};
use std::sync::Arc;
use std::time::Duration;

use chat_client::TlsConnector;

use crate::tls;
use crate::ClientError;

/// Something for the main loop.
#[derive(Debug)]
pub(crate) enum Event {
    /// Bytes from the server, from the connection of that generation.
    Server(u64, Vec<u8>),
    /// The connection of that generation ended.
    ServerClosed(u64),
    /// A line typed or piped in.
    Stdin(String),
    /// Line number N (from 1) of standard input was not UTF-8.
    StdinNotUtf8(u64),
    /// Standard input ended.
    StdinEnd,
    /// A reconnect started with [`Connection::reopen_in_background`]
    /// made the link for that generation.
    Reconnected(u64, Link),
    /// An attempt of that reconnect failed; the next one in this long.
    Retry(u64, Duration),
    /// A key or resize on the terminal (the full-screen interface).
    Term(ratatui::crossterm::event::Event),
}

/// The wait after the first failed reconnect, doubled after each next.
const FIRST_RETRY: Duration = Duration::from_secs(1);
/// The longest wait between two reconnect attempts.
const LAST_RETRY: Duration = Duration::from_secs(30);

/// Where the server is and how to reach it: plain TCP, or TLS checked
/// with `tls`; with several addresses (nodes of one cluster), a reconnect
/// goes to the next that answers.
#[derive(Debug, Clone)]
pub(crate) struct Dialer {
    /// `host:port` for the resolver: the first address.
    pub(crate) addr: String,
    /// The other servers of the same cluster.
    pub(crate) others: Vec<String>,
    /// Which address the last connection went to (0: `addr`), shared by
    /// the clones that reconnect on a thread.
    pub(crate) current: std::sync::Arc<std::sync::atomic::AtomicUsize>,
    /// Set for `--tls`/`--ca-file`.
    pub(crate) tls: Option<TlsConnector>,
}

/// A connected socket, its TLS handshake (if any) done.
#[derive(Debug)]
pub(crate) enum Link {
    Tcp(TcpStream),
    Tls(Box<tls::Pump>),
}

impl Dialer {
    /// Whether there are other servers to move to.
    pub(crate) fn has_others(&self) -> bool {
        !self.others.is_empty()
    }

    /// The address the last connection went to.
    pub(crate) fn current_addr(&self) -> &str {
        self.nth(self.current.load(std::sync::atomic::Ordering::Relaxed))
    }

    /// Address `i` (0: the first).
    fn nth(&self, i: usize) -> &str {
        match i {
            0 => &self.addr,
            i => &self.others[i - 1],
        }
    }

    /// Connects once: the first address that answers.
    fn dial(&self) -> Result<Link, ClientError> {
        self.dial_from(0)
    }

    /// Connects once, trying each address in turn from the one after
    /// the last connection's (so a lost server of a cluster is tried last).
    fn dial_next(&self) -> Result<Link, ClientError> {
        self.dial_from(self.current.load(std::sync::atomic::Ordering::Relaxed) + 1)
    }

    /// Connects once, trying each address in turn from address `first`.
    fn dial_from(&self, first: usize) -> Result<Link, ClientError> {
        let n = self.others.len() + 1;
        let mut last = None;
        for k in 0..n {
            let i = (first + k) % n;
            match TcpStream::connect(self.nth(i)) {
                Ok(stream) => {
                    self.current.store(i, std::sync::atomic::Ordering::Relaxed);
                    return self.finish(stream);
                }
                Err(e) => last = Some(e),
            }
        }
        Err(self.refused(last.unwrap_or_else(|| io::ErrorKind::NotFound.into())))
    }

    /// Connects again after a restart or a lost connection, retrying for
    /// up to `patience`: the same server, or with several the next one
    /// that answers (the one just lost last).
    fn redial(&self, patience: Duration) -> Result<Link, ClientError> {
        if self.others.is_empty() {
            let stream = chat_client::connect_retrying(self.addr.as_str(), patience)
                .map_err(|source| self.refused(source))?;
            return self.finish(stream);
        }
        let deadline = std::time::Instant::now() + patience;
        let mut wait = Duration::from_millis(20);
        loop {
            let err = match self.dial_next() {
                Err(ClientError::Connect { source, .. }) => source,
                other => return other,
            };
            if std::time::Instant::now() + wait > deadline {
                return Err(self.refused(err));
            }
            std::thread::sleep(wait);
            wait = (wait * 2).min(Duration::from_secs(1));
        }
    }

    fn refused(&self, source: io::Error) -> ClientError {
        ClientError::Connect {
            addr: self.addr.clone(),
            source,
        }
    }

    fn finish(&self, stream: TcpStream) -> Result<Link, ClientError> {
        let _ = stream.set_nodelay(true);
        match &self.tls {
            None => Ok(Link::Tcp(stream)),
            Some(connector) => tls::Pump::handshake(stream, connector)
                .map(|p| Link::Tls(Box::new(p)))
                .map_err(|reason| ClientError::Tls {
                    addr: self.addr.clone(),
                    reason,
                }),
        }
    }
}

/// Where [`Connection::send`] puts bytes: the socket itself, or the TLS
/// pump thread that owns the stream (a TLS stream cannot be shared by a
/// reader and a writer thread).
enum Outbox {
    Tcp(TcpStream),
    Tls(Sender<Vec<u8>>),
}

/// One connection to the server. Each reconnect is a new generation, so
/// lines from an old socket are told apart from the new one's.
pub(crate) struct Connection {
    outbox: Outbox,
    pub(crate) generation: u64,
}

impl Connection {
    pub(crate) fn open(
        dialer: &Dialer,
        generation: u64,
        events: Sender<Event>,
    ) -> Result<Connection, ClientError> {
        Connection::adopt(dialer.dial()?, generation, &events)
    }

    /// Connects again after a restart, retrying for up to `patience`.
    pub(crate) fn reopen(
        dialer: &Dialer,
        generation: u64,
        events: &Sender<Event>,
        patience: Duration,
    ) -> Result<Connection, ClientError> {
        Connection::adopt(dialer.redial(patience)?, generation, events)
    }

    /// Connects again on a thread, so the screen stays alive meanwhile:
    /// at once, then after 1, 2, 4 ... up to 30 s between attempts, each
    /// failure said as [`Event::Retry`], until a link is made
    /// ([`Event::Reconnected`]) or `wanted` moves past `generation` (the
    /// client gave up, or started another reconnect).
    pub(crate) fn reopen_in_background(
        dialer: &Dialer,
        generation: u64,
        events: &Sender<Event>,
        wanted: &Arc<AtomicU64>,
    ) {
        let (dialer, events, wanted) = (dialer.clone(), events.clone(), Arc::clone(wanted));
        std::thread::spawn(move || {
            let mut wait = FIRST_RETRY;
            while wanted.load(Ordering::Relaxed) == generation {
                if let Ok(link) = dialer.dial_next() {
                    let _ = events.send(Event::Reconnected(generation, link));
                    return;
                }
                if events.send(Event::Retry(generation, wait)).is_err() {
                    return;
                }
                std::thread::sleep(wait);
                wait = (wait * 2).min(LAST_RETRY);
            }
        });
    }

    /// A connection on a link [`Dialer`] made: starts the thread that
    /// forwards the server's bytes.
    pub(crate) fn adopt(
        link: Link,
        generation: u64,
        events: &Sender<Event>,
    ) -> Result<Connection, ClientError> {
        let events = events.clone();
        let outbox = match link {
            Link::Tcp(stream) => {
                let reader = stream.try_clone().map_err(ClientError::Io)?;
                std::thread::spawn(move || read_bytes(reader, generation, &events));
                Outbox::Tcp(stream)
            }
            Link::Tls(pump) => {
                let (tx, rx) = mpsc::channel();
                std::thread::spawn(move || pump.run(generation, &rx, &events));
                Outbox::Tls(tx)
            }
        };
        Ok(Connection { outbox, generation })
    }

    pub(crate) fn send(&mut self, bytes: &[u8]) -> Result<(), ClientError> {
        match &mut self.outbox {
            Outbox::Tcp(stream) => stream.write_all(bytes).map_err(|_| ClientError::Lost),
            Outbox::Tls(tx) => tx.send(bytes.to_vec()).map_err(|_| ClientError::Lost),
        }
    }
}

/// Forwards the socket's bytes as they come; the session frames them.
fn read_bytes(mut stream: TcpStream, generation: u64, events: &Sender<Event>) {
    let mut buf = vec![0; 16 * 1024];
    loop {
        match stream.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => {
                if events
                    .send(Event::Server(generation, buf[..n].to_vec()))
                    .is_err()
                {
                    return;
                }
            }
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(_) => break,
        }
    }
    let _ = events.send(Event::ServerClosed(generation));
}

/// Reads standard input on a thread, line by line, until it ends. A line
/// that is not UTF-8 is reported by number and the reading goes on, so
/// nothing after it is lost.
pub(crate) fn spawn_stdin(events: Sender<Event>) {
    std::thread::spawn(move || {
        let mut stdin = io::stdin().lock();
        let mut buf = Vec::new();
        let mut number = 0u64;
        loop {
            buf.clear();
            match stdin.read_until(b'\n', &mut buf) {
                Ok(0) | Err(_) => break,
                Ok(_) => {}
            }
            number += 1;
            let line = buf.strip_suffix(b"\n").unwrap_or(&buf);
            let line = line.strip_suffix(b"\r").unwrap_or(line);
            let event = match std::str::from_utf8(line) {
                Ok(l) => Event::Stdin(l.to_owned()),
                Err(_) => Event::StdinNotUtf8(number),
            };
            if events.send(event).is_err() {
                return;
            }
        }
        let _ = events.send(Event::StdinEnd);
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    /// With several servers, the one connected to is the first that
    /// answers, and a reconnection moves on from it.
    #[test]
    fn the_current_address_follows_the_connection() {
        let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let gone = closed.local_addr().unwrap().to_string();
        drop(closed);
        let a = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let b = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let (a, b, _keep) = (
            a.local_addr().unwrap().to_string(),
            b.local_addr().unwrap().to_string(),
            (a, b),
        );
        let dialer = Dialer {
            addr: gone,
            others: vec![a.clone(), b.clone()],
            current: Default::default(),
            tls: None,
        };
        dialer.dial().unwrap();
        assert_eq!(dialer.current_addr(), a);
        dialer.redial(Duration::from_secs(5)).unwrap();
        assert_eq!(dialer.current_addr(), b);
    }
}
