//! A small blocking client of protocol v1, for bots, scripts and tests.
//!
//! Not the interactive client (that is the `chat-client` binary); this is
//! the few lines a program needs to log in and exchange lines.

use std::io::{self, BufRead, BufReader, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::{Duration, Instant};

/// What went wrong talking to the server.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ClientError {
    /// The socket failed.
    #[error("i/o: {0}")]
    Io(#[from] io::Error),
    /// The server closed the connection.
    #[error("the server closed the connection")]
    Closed,
    /// No expected line came within the time limit.
    #[error("timed out waiting for {0:?}")]
    Timeout(String),
    /// The server answered `ERR <code> <text>`.
    #[error("refused: {code} {text}")]
    Refused {
        /// The error code.
        code: String,
        /// The text.
        text: String,
    },
}

/// A connection speaking protocol v1 line by line.
///
/// ```no_run
/// use chat_net_mio::client::Client;
/// # fn main() -> Result<(), chat_net_mio::client::ClientError> {
/// let addr = "127.0.0.1:9797".parse().unwrap();
/// let mut bot = Client::register(addr, "timebot", "a-long-password")?;
/// bot.send("hello, I tell the time")?;
/// while let Some(line) = bot.next_line()? {
///     if line.starts_with("MSG ") && line.ends_with(" !time") {
///         bot.send("it is time")?;
///     }
/// }
/// # Ok(()) }
/// ```
#[derive(Debug)]
pub struct Client {
    writer: TcpStream,
    reader: BufReader<TcpStream>,
    timeout: Duration,
}

impl Client {
    /// Connects; the server's `HELLO` and first `ASK` are the first lines.
    pub fn connect(addr: SocketAddr) -> Result<Client, ClientError> {
        let stream = TcpStream::connect(addr)?;
        stream.set_nodelay(true)?;
        let reader = BufReader::new(stream.try_clone()?);
        let mut c = Client {
            writer: stream,
            reader,
            timeout: Duration::from_secs(10),
        };
        c.set_timeout(Duration::from_secs(10))?;
        Ok(c)
    }

    /// Connects and registers a new account with `/register`; returns once
    /// the server says `WELCOME`.
    pub fn register(addr: SocketAddr, name: &str, password: &str) -> Result<Client, ClientError> {
        let mut c = Client::connect(addr)?;
        c.send(&format!("/register {name} {password}"))?;
        c.wait_welcome()?;
        Ok(c)
    }

    /// Connects and logs in with `/login`; returns once the server says
    /// `WELCOME`.
    pub fn login(addr: SocketAddr, name: &str, password: &str) -> Result<Client, ClientError> {
        let mut c = Client::connect(addr)?;
        c.send(&format!("/login {name} {password}"))?;
        c.wait_welcome()?;
        Ok(c)
    }

    fn wait_welcome(&mut self) -> Result<String, ClientError> {
        loop {
            let line = self.next_line()?.ok_or(ClientError::Closed)?;
            if line.starts_with("WELCOME ") {
                return Ok(line);
            }
            if let Some(rest) = line.strip_prefix("ERR ") {
                let (code, text) = rest.split_once(' ').unwrap_or((rest, ""));
                return Err(ClientError::Refused {
                    code: code.to_owned(),
                    text: text.to_owned(),
                });
            }
        }
    }

    /// How long [`next_line`](Client::next_line) waits for a line.
    pub fn set_timeout(&mut self, timeout: Duration) -> Result<(), ClientError> {
        self.timeout = timeout;
        self.reader.get_ref().set_read_timeout(Some(timeout))?;
        Ok(())
    }

    /// Sends one line (the `\n` is added).
    pub fn send(&mut self, line: &str) -> Result<(), ClientError> {
        let mut buf = Vec::with_capacity(line.len() + 1);
        buf.extend_from_slice(line.as_bytes());
        buf.push(b'\n');
        self.send_raw(&buf)
    }

    /// Sends bytes as they are.
    pub fn send_raw(&mut self, bytes: &[u8]) -> Result<(), ClientError> {
        self.writer.write_all(bytes)?;
        Ok(())
    }

    /// The next line without its ending; `None` once the server closed the
    /// connection. Waits at most the timeout.
    pub fn next_line(&mut self) -> Result<Option<String>, ClientError> {
        let mut line = String::new();
        match self.reader.read_line(&mut line) {
            Ok(0) => Ok(None),
            Ok(_) => {
                while line.ends_with('\n') || line.ends_with('\r') {
                    line.pop();
                }
                Ok(Some(line))
            }
            Err(e)
                if matches!(
                    e.kind(),
                    io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
                ) =>
            {
                Err(ClientError::Timeout("a line".into()))
            }
            Err(e) if e.kind() == io::ErrorKind::ConnectionReset => Ok(None),
            Err(e) => Err(e.into()),
        }
    }

    /// Reads lines until one starts with `prefix`; returns it and the lines
    /// skipped before it.
    pub fn wait_for(&mut self, prefix: &str) -> Result<(String, Vec<String>), ClientError> {
        let deadline = Instant::now() + self.timeout;
        let mut skipped = Vec::new();
        loop {
            if Instant::now() >= deadline {
                return Err(ClientError::Timeout(prefix.to_owned()));
            }
            match self.next_line() {
                Ok(Some(line)) if line.starts_with(prefix) => return Ok((line, skipped)),
                Ok(Some(line)) => skipped.push(line),
                Ok(None) => return Err(ClientError::Closed),
                Err(ClientError::Timeout(_)) => {
                    return Err(ClientError::Timeout(prefix.to_owned()))
                }
                Err(e) => return Err(e),
            }
        }
    }

    /// Reads until the server closes the connection; returns what it sent.
    pub fn read_to_close(&mut self) -> Result<Vec<String>, ClientError> {
        let mut lines = Vec::new();
        while let Some(line) = self.next_line()? {
            lines.push(line);
        }
        Ok(lines)
    }
}
