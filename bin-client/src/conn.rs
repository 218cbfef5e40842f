//! The connection: a socket, a reader thread that turns server lines into
//! events, and (re)connecting.

use std::io::{self, BufRead, BufReader, Write};
use std::net::TcpStream;
use std::sync::mpsc::Sender;
use std::time::{Duration, Instant};

use crate::ClientError;

/// Something for the main loop.
#[derive(Debug)]
pub(crate) enum Event {
    /// A server line, from the connection of that generation.
    Server(u64, String),
    /// The connection of that generation ended.
    ServerClosed(u64),
    /// A line typed or piped in.
    Stdin(String),
    /// Standard input ended.
    StdinEnd,
}

/// One connection to the server. Each reconnect is a new generation, so
/// lines from an old socket are told apart from the new one's.
pub(crate) struct Connection {
    stream: TcpStream,
    pub(crate) generation: u64,
}

impl Connection {
    pub(crate) fn open(
        addr: &str,
        generation: u64,
        events: Sender<Event>,
    ) -> Result<Connection, ClientError> {
        let stream = TcpStream::connect(addr).map_err(|source| ClientError::Connect {
            addr: addr.to_owned(),
            source,
        })?;
        let _ = stream.set_nodelay(true);
        let reader = stream.try_clone().map_err(ClientError::Io)?;
        std::thread::spawn(move || read_lines(reader, generation, &events));
        Ok(Connection { stream, generation })
    }

    /// Connects again after a restart, retrying for up to `patience`.
    pub(crate) fn reopen(
        addr: &str,
        generation: u64,
        events: &Sender<Event>,
        patience: Duration,
    ) -> Result<Connection, ClientError> {
        let deadline = Instant::now() + patience;
        let mut wait = Duration::from_millis(50);
        loop {
            match Connection::open(addr, generation, events.clone()) {
                Ok(c) => return Ok(c),
                Err(e) if Instant::now() + wait > deadline => return Err(e),
                Err(_) => {
                    std::thread::sleep(wait);
                    wait = (wait * 2).min(Duration::from_secs(1));
                }
            }
        }
    }

    pub(crate) fn send(&mut self, line: &str) -> Result<(), ClientError> {
        let mut buf = Vec::with_capacity(line.len() + 1);
        buf.extend_from_slice(line.as_bytes());
        buf.push(b'\n');
        self.stream.write_all(&buf).map_err(|_| ClientError::Lost)
    }
}

fn read_lines(stream: TcpStream, generation: u64, events: &Sender<Event>) {
    let mut reader = BufReader::new(stream);
    let mut buf = Vec::new();
    loop {
        buf.clear();
        match reader.read_until(b'\n', &mut buf) {
            Ok(0) | Err(_) => break,
            Ok(_) => {
                while matches!(buf.last(), Some(b'\n' | b'\r')) {
                    buf.pop();
                }
                let line = String::from_utf8_lossy(&buf).into_owned();
                if events.send(Event::Server(generation, line)).is_err() {
                    return;
                }
            }
        }
    }
    let _ = events.send(Event::ServerClosed(generation));
}

/// Reads standard input on a thread, line by line, until it ends.
pub(crate) fn spawn_stdin(events: Sender<Event>) {
    std::thread::spawn(move || {
        let stdin = io::stdin();
        for line in stdin.lock().lines() {
            match line {
                Ok(l) => {
                    if events.send(Event::Stdin(l)).is_err() {
                        return;
                    }
                }
                Err(_) => break,
            }
        }
        let _ = events.send(Event::StdinEnd);
    });
}
