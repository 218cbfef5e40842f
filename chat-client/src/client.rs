//! The blocking driver: one `TcpStream`, one [`Session`].

use std::io::{self, Read, Write};
use std::net::{SocketAddr, TcpStream, ToSocketAddrs};
use std::time::{Duration, Instant};

use chat_core::client::{Auth, Credentials, Event, LoginForm, Session};
use chat_core::reply::Word;
use chat_core::{Command, HistoryTarget};

use crate::tls::Stream;
use crate::{ClientError, Transport};

/// How long reads wait by default.
const DEFAULT_TIMEOUT: Duration = Duration::from_secs(10);
/// The longest wait between two connection attempts.
const MAX_BACKOFF: Duration = Duration::from_secs(1);

/// Connects to `addr`, retrying with a growing pause for up to `patience`
/// (a restarting server is briefly not listening).
pub fn connect_retrying<A: ToSocketAddrs>(
    addr: A,
    patience: Duration,
) -> Result<TcpStream, io::Error> {
    let deadline = Instant::now() + patience;
    let mut wait = Duration::from_millis(20);
    loop {
        match TcpStream::connect(&addr) {
            Ok(stream) => {
                stream.set_nodelay(true)?;
                return Ok(stream);
            }
            Err(e) if Instant::now() + wait > deadline => return Err(e),
            Err(_) => {
                std::thread::sleep(wait);
                wait = (wait * 2).min(MAX_BACKOFF);
            }
        }
    }
}

/// A connection speaking protocol v1, driven by a [`Session`].
///
/// ```no_run
/// use chat_client::{Client, Event};
/// use chat_core::reply::Reply;
/// # fn main() -> Result<(), chat_client::ClientError> {
/// let addr = "127.0.0.1:9797".parse().unwrap();
/// let mut bot = Client::register(addr, "timebot", "a-long-password")?;
/// bot.send("hello, I tell the time")?;
/// while let Some(event) = bot.next_event()? {
///     if let Event::Line(line) = event {
///         if let Ok(Reply::RoomMsg { text: "!time", .. }) = line.reply() {
///             bot.send("it is time")?;
///         }
///     }
/// }
/// # Ok(()) }
/// ```
#[derive(Debug)]
pub struct Client {
    addr: SocketAddr,
    /// Other servers of the same cluster, tried in turn when the current
    /// one is lost (see [`with_fallbacks`](Client::with_fallbacks)).
    fallbacks: Vec<SocketAddr>,
    stream: Stream,
    transport: Transport,
    session: Session,
    timeout: Duration,
    buf: Vec<u8>,
}

impl Client {
    /// Connects without logging in; the server's `HELLO` and first `ASK`
    /// are the first lines. Answers sent with [`send`](Client::send) are
    /// remembered for a reconnect.
    pub fn connect(addr: SocketAddr) -> Result<Client, ClientError> {
        Client::start(addr, Session::manual())
    }

    /// Connects with `session`, which starts its login; does not wait.
    pub fn start(addr: SocketAddr, session: Session) -> Result<Client, ClientError> {
        Client::start_via(addr, session, Transport::Tcp)
    }

    /// [`start`](Client::start) over a transport (TLS, for one); a
    /// reconnect uses the same.
    pub fn start_via(
        addr: SocketAddr,
        mut session: Session,
        transport: Transport,
    ) -> Result<Client, ClientError> {
        let sock = TcpStream::connect(addr)?;
        sock.set_nodelay(true)?;
        let stream = Stream::new(sock, &transport)?;
        session.on_connected();
        let mut c = Client {
            addr,
            fallbacks: Vec::new(),
            stream,
            transport,
            session,
            timeout: DEFAULT_TIMEOUT,
            buf: vec![0; 16 * 1024],
        };
        c.set_timeout(DEFAULT_TIMEOUT)?;
        c.flush()?;
        Ok(c)
    }

    /// Connects and registers a new account with `/register`; returns once
    /// the server says `WELCOME`.
    pub fn register(addr: SocketAddr, name: &str, password: &str) -> Result<Client, ClientError> {
        Client::logged_in(addr, name, password, Auth::Register)
    }

    /// Connects and logs in with `/login`; returns once the server says
    /// `WELCOME`.
    pub fn login(addr: SocketAddr, name: &str, password: &str) -> Result<Client, ClientError> {
        Client::logged_in(addr, name, password, Auth::Login)
    }

    /// Connects over `transport` and registers (`Auth::Register`) or logs
    /// in (`Auth::Login`); returns once the server says `WELCOME`.
    pub fn enter_via(
        addr: SocketAddr,
        name: &str,
        password: &str,
        auth: Auth,
        transport: Transport,
    ) -> Result<Client, ClientError> {
        let session = Session::new(Credentials::new(name, password), auth, LoginForm::OneLine);
        let mut c = Client::start_via(addr, session, transport)?;
        c.wait_logged_in()?;
        Ok(c)
    }

    fn logged_in(
        addr: SocketAddr,
        name: &str,
        password: &str,
        auth: Auth,
    ) -> Result<Client, ClientError> {
        let session = Session::new(Credentials::new(name, password), auth, LoginForm::OneLine);
        let mut c = Client::start(addr, session)?;
        c.wait_logged_in()?;
        Ok(c)
    }

    /// Reads until the session is logged in; a refusal is an error.
    pub fn wait_logged_in(&mut self) -> Result<(), ClientError> {
        loop {
            match self.next_event()?.ok_or(ClientError::Closed)? {
                Event::LoggedIn { .. } => return Ok(()),
                Event::CannotLogIn(e) => return Err(ClientError::Encode(e)),
                Event::LoginRefused(line) => {
                    let (code, text) = line.error().unwrap_or((Word::Unknown(""), ""));
                    return Err(ClientError::Refused {
                        code: code.as_str().to_owned(),
                        text: text.to_owned(),
                    });
                }
                _ => {}
            }
        }
    }

    /// Other servers of the same cluster (nodes that serve the same rooms
    /// and accounts): [`reconnect`](Client::reconnect) moves to the next of
    /// them when the current one is lost or sends its clients away, and
    /// the session joins its rooms again there. With message ids
    /// ([`request_ids`](Client::request_ids)) it also catches up on what
    /// was said meanwhile in its rooms and the lobby, by id: each line
    /// once, in order (without, the join's replay of a room's last lines
    /// is all it gets).
    ///
    /// ```no_run
    /// # fn main() -> Result<(), chat_client::ClientError> {
    /// let a = "127.0.0.1:9797".parse().unwrap();
    /// let b = "127.0.0.1:9798".parse().unwrap();
    /// let mut bot = chat_client::Client::login(a, "bot", "a-long-password")?.with_fallbacks(vec![b]);
    /// bot.request_ids()?;
    /// loop {
    ///     match bot.next_event() {
    ///         Ok(Some(_)) => {}
    ///         // Node a is gone: on to b, logged in again, rooms joined.
    ///         Ok(None) | Err(_) => bot.reconnect(std::time::Duration::from_secs(30))?,
    ///     }
    /// }
    /// # }
    /// ```
    pub fn with_fallbacks(mut self, addrs: Vec<SocketAddr>) -> Client {
        self.fallbacks = addrs;
        self
    }

    /// The server connected to now.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Where to try, in order: the other servers from the one after the
    /// current, then the current one (a single server: just it).
    fn candidates(&self) -> Vec<SocketAddr> {
        let mut all: Vec<SocketAddr> = std::iter::once(self.addr)
            .chain(self.fallbacks.iter().copied().filter(|a| *a != self.addr))
            .collect();
        let step = 1.min(all.len().saturating_sub(1));
        all.rotate_left(step);
        all
    }

    /// Connects to the first candidate that answers, going round them with
    /// a growing pause for up to `patience`.
    fn connect_any(&mut self, patience: Duration) -> Result<TcpStream, ClientError> {
        let candidates = self.candidates();
        if candidates.len() == 1 {
            return Ok(connect_retrying(self.addr, patience)?);
        }
        let deadline = Instant::now() + patience;
        let mut wait = Duration::from_millis(20);
        loop {
            let mut last = None;
            for addr in &candidates {
                match TcpStream::connect_timeout(addr, Duration::from_secs(2)) {
                    Ok(stream) => {
                        stream.set_nodelay(true)?;
                        self.addr = *addr;
                        return Ok(stream);
                    }
                    Err(e) => last = Some(e),
                }
            }
            if Instant::now() + wait > deadline {
                return Err(last.map_or(ClientError::Closed, ClientError::Io));
            }
            std::thread::sleep(wait);
            wait = (wait * 2).min(MAX_BACKOFF);
        }
    }

    /// After the session saw `CTL restart` and the server closed, or the
    /// connection was lost: connects again (to the next server of
    /// [`with_fallbacks`](Client::with_fallbacks), if any) and waits until
    /// logged in again, with the current password. Keeps trying for up to
    /// `patience` while the servers are away (a connection closed before
    /// the login is tried again); a refusal is returned at once.
    pub fn reconnect(&mut self, patience: Duration) -> Result<(), ClientError> {
        let deadline = Instant::now() + patience;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            let sock = self.connect_any(left)?;
            self.stream = Stream::new(sock, &self.transport)?;
            self.set_timeout(self.timeout)?;
            self.session.on_connected();
            self.flush()?;
            match self.wait_logged_in() {
                Err(ClientError::Closed | ClientError::Io(_)) if Instant::now() < deadline => {
                    std::thread::sleep(Duration::from_millis(20));
                }
                other => return other,
            }
        }
    }

    /// The session, for its state.
    pub fn session(&self) -> &Session {
        &self.session
    }

    /// How long a read waits for the server.
    pub fn set_timeout(&mut self, timeout: Duration) -> Result<(), ClientError> {
        self.timeout = timeout;
        self.stream.set_read_timeout(Some(timeout))?;
        Ok(())
    }

    /// Sends one line as typed (the `\n` is added): a room message, a
    /// `/command`, or an answer to an `ASK`.
    pub fn send(&mut self, line: &str) -> Result<(), ClientError> {
        self.session.send_line(line)?;
        self.flush()
    }

    /// Sends a typed command.
    pub fn send_command(&mut self, cmd: &Command<'_>) -> Result<(), ClientError> {
        self.session.send(cmd)?;
        self.flush()
    }

    /// Asks for message ids, now and on every reconnection
    /// ([`Session::request_ids`]).
    pub fn request_ids(&mut self) -> Result<(), ClientError> {
        self.session.request_ids();
        self.flush()
    }

    /// Asks for the lines of a conversation older than the oldest one
    /// received, by id ([`Session::older_lines`]): `HIST` lines, then
    /// `END history`, whose `next` says whether to ask again.
    pub fn older_lines(
        &mut self,
        of: HistoryTarget<'_>,
        count: Option<u64>,
    ) -> Result<(), ClientError> {
        self.session.older_lines(of, count)?;
        self.flush()
    }

    /// Sends bytes as they are, past the session (for tests of the
    /// server's framing).
    pub fn send_raw(&mut self, bytes: &[u8]) -> Result<(), ClientError> {
        self.stream.write_all(bytes)?;
        self.stream.flush()?;
        Ok(())
    }

    fn flush(&mut self) -> Result<(), ClientError> {
        if let Some(bytes) = self.session.poll_transmit() {
            self.stream.write_all(&bytes)?;
            self.stream.flush()?;
        }
        Ok(())
    }

    /// The next event; `None` once the server closed the connection. Waits
    /// at most the timeout for the server.
    pub fn next_event(&mut self) -> Result<Option<Event>, ClientError> {
        loop {
            if let Some(event) = self.session.poll_event() {
                // The session may have answered (an ASK of the dialog).
                self.flush()?;
                return Ok(Some(event));
            }
            let n = match self.stream.read(&mut self.buf) {
                Ok(n) => n,
                Err(e)
                    if matches!(
                        e.kind(),
                        io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
                    ) =>
                {
                    return Err(ClientError::Timeout("a line".into()))
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) if e.kind() == io::ErrorKind::ConnectionReset => 0,
                Err(e) => return Err(e.into()),
            };
            if n == 0 {
                self.session.on_closed();
                return Ok(None);
            }
            self.session.receive(&self.buf[..n]);
            // The session may ask by itself (the next page of a catch-up)
            // without an event to show for it.
            self.flush()?;
        }
    }

    /// The next line without its ending; `None` once the server closed the
    /// connection. Waits at most the timeout.
    pub fn next_line(&mut self) -> Result<Option<String>, ClientError> {
        while let Some(event) = self.next_event()? {
            if let Event::Line(line) = event {
                return Ok(Some(line.text().to_owned()));
            }
        }
        Ok(None)
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
