//! The connection: a socket, a reader thread that forwards the server's
//! bytes as events, and (re)connecting.

use std::io::{self, BufRead, Read, Write};
use std::net::TcpStream;
use std::sync::mpsc::Sender;
use std::time::Duration;

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
    /// ended: the new socket for that generation, or why there is none.
    Reconnected(u64, Result<TcpStream, String>),
    /// A key or resize on the terminal (the full-screen interface).
    Term(ratatui::crossterm::event::Event),
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
        Connection::with_stream(stream, generation, events)
    }

    /// Connects again after a restart, retrying for up to `patience`.
    pub(crate) fn reopen(
        addr: &str,
        generation: u64,
        events: &Sender<Event>,
        patience: Duration,
    ) -> Result<Connection, ClientError> {
        let stream = chat_client::connect_retrying(addr, patience).map_err(|source| {
            ClientError::Connect {
                addr: addr.to_owned(),
                source,
            }
        })?;
        Connection::with_stream(stream, generation, events.clone())
    }

    /// Like [`reopen`](Connection::reopen) on a thread, so the screen
    /// stays alive meanwhile; the result comes as [`Event::Reconnected`].
    pub(crate) fn reopen_in_background(
        addr: &str,
        generation: u64,
        events: &Sender<Event>,
        patience: Duration,
    ) {
        let (addr, events) = (addr.to_owned(), events.clone());
        std::thread::spawn(move || {
            let result = chat_client::connect_retrying(addr.as_str(), patience)
                .map_err(|e| format!("cannot connect to {addr}: {e}"));
            let _ = events.send(Event::Reconnected(generation, result));
        });
    }

    /// A connection on a socket [`reopen_in_background`] made.
    pub(crate) fn adopt(
        stream: TcpStream,
        generation: u64,
        events: &Sender<Event>,
    ) -> Result<Connection, ClientError> {
        Connection::with_stream(stream, generation, events.clone())
    }

    fn with_stream(
        stream: TcpStream,
        generation: u64,
        events: Sender<Event>,
    ) -> Result<Connection, ClientError> {
        let reader = stream.try_clone().map_err(ClientError::Io)?;
        std::thread::spawn(move || read_bytes(reader, generation, &events));
        Ok(Connection { stream, generation })
    }

    pub(crate) fn send(&mut self, bytes: &[u8]) -> Result<(), ClientError> {
        self.stream.write_all(bytes).map_err(|_| ClientError::Lost)
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
