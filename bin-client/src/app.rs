//! The client's modes and main loop: the interactive dialog, script mode,
//! then lines both ways until the session ends.

use std::collections::VecDeque;
use std::io::{self, IsTerminal, Write};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError, Sender};
use std::time::{Duration, Instant};

use chat_client::Received;
use chat_client::{Auth, Credentials, Ended, Event as SessionEvent, LoginForm, Session};
use chat_core::reply::{Done, HistoryOf, Listing, Reply, Word};
use chat_core::wire::parse;
use chat_core::Command;
use chrono::Local;

use crate::cli::Args;
use crate::clock::Clock;
use crate::conn::{spawn_stdin, Connection, Dialer, Event};
use crate::greeting::Greeting;
use crate::older::{self, parse_older, target_text, Older};
use crate::render::{history_end, render};
use crate::ClientError;

/// How a session ended; `main` maps it to the exit status.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Outcome {
    /// Stdin ended, /quit, or the server shut down.
    Done,
    /// The connection dropped without a word from the server.
    Lost,
    /// It could not go on, and the client said why (exit status 1).
    Failed,
    /// The login or registration was refused.
    Refused,
    /// An admin kicked us, or another login took the account over.
    Kicked,
    /// A line of standard input was not UTF-8 (and was not sent).
    NotUtf8,
}

/// How long to wait for the server to close after /quit.
const QUIT_WAIT: Duration = Duration::from_secs(5);
/// How long to keep trying to reconnect after `CTL restart`.
const RESTART_PATIENCE: Duration = Duration::from_secs(30);
/// How often the main loop looks at the clock (for the /quit wait).
const TICK: Duration = Duration::from_millis(100);

/// What the loops react to: the session's events, the connection closing,
/// and standard input.
enum Next {
    Session(SessionEvent),
    Closed,
    Stdin(String),
    StdinNotUtf8(u64),
    StdinEnd,
    Tick,
}

pub(crate) struct App {
    dialer: Dialer,
    raw: bool,
    tx: Sender<Event>,
    rx: Receiver<Event>,
    conn: Connection,
    /// The protocol: login, typed events, the password for a re-login.
    session: Session,
    /// Lines typed while logging in again after a restart, sent after.
    typed_ahead: VecDeque<String>,
    quitting: Option<Instant>,
    /// A line of standard input was refused for not being UTF-8.
    bad_input: bool,
    /// Not logged in and the server's last word was an `ERR`: a close now
    /// is a refusal (the dialog's last failed attempt), not a lost link.
    refused: bool,
    /// Rows of the listing being received, to say so when it is empty.
    listing_rows: u64,
    clock: Clock,
    /// Whether the first connection's server said `HELLO chat/1`.
    greeting: Greeting,
    /// The conversation of the last `HIST` line (`rust`, `@bob`), for the
    /// line that ends them.
    history_of: Option<String>,
}

/// The session for the command line: logging in by itself with --user,
/// else by hand.
pub(crate) fn session_for(args: &Args) -> Result<Session, ClientError> {
    Ok(match &args.user {
        Some(name) => {
            let password = script_password(args)?;
            let auth = if args.register {
                Auth::Register
            } else {
                Auth::Login
            };
            Session::new(Credentials::new(name, &password), auth, LoginForm::OneLine)
        }
        None => Session::manual(),
    })
}

/// Line mode: what the server says on stdout, stdin lines to the server.
pub(crate) fn run(args: Args) -> Result<Outcome, ClientError> {
    let dialer = args.dialer()?;
    let mut session = session_for(&args)?;
    if !args.raw {
        // Ids let a reconnection catch up on what was said meanwhile,
        // each line once (raw mode shows lines as sent: no tags there).
        session.request_ids();
    }
    let (tx, rx) = mpsc::channel();
    let conn = Connection::open(&dialer, 0, tx.clone())?;
    let mut app = App {
        dialer,
        raw: args.raw,
        tx,
        rx,
        conn,
        session,
        typed_ahead: VecDeque::new(),
        quitting: None,
        bad_input: false,
        refused: false,
        listing_rows: 0,
        clock: args.clock,
        greeting: Greeting::new(&args.address(), args.tls()),
        history_of: None,
    };
    app.session.on_connected();
    app.flush()?;
    if args.user.is_some() {
        if let Some(outcome) = app.wait_for_welcome()? {
            return Ok(outcome);
        }
    } else if io::stdin().is_terminal() {
        if let Some(outcome) = app.dialog()? {
            return Ok(outcome);
        }
    }
    spawn_stdin(app.tx.clone());
    let outcome = app.main_loop()?;
    Ok(if outcome == Outcome::Done && app.bad_input {
        Outcome::NotUtf8
    } else {
        outcome
    })
}

/// The password for script mode: --password-file, else CHAT_PASSWORD.
fn script_password(args: &Args) -> Result<String, ClientError> {
    if let Some(path) = &args.password_file {
        let text = std::fs::read_to_string(path).map_err(|e| ClientError::PasswordFile {
            path: path.display().to_string(),
            source: e,
        })?;
        return Ok(text.lines().next().unwrap_or_default().to_owned());
    }
    std::env::var("CHAT_PASSWORD").map_err(|_| ClientError::NoPassword)
}

impl App {
    fn show(&mut self, line: &Received) {
        let parsed = line.reply();
        if !self.session.is_logged_in() {
            self.refused = matches!(parsed, Ok(Reply::Err { .. }));
        }
        let text = if self.raw {
            Some(line.text().to_owned())
        } else {
            match parsed {
                // Asked for by the client itself on every connection.
                Ok(Reply::Ok(Done::Tags(_))) => return,
                Ok(Reply::User { .. } | Reply::GuestUser { .. } | Reply::Kicked { .. }) => {
                    self.listing_rows += 1
                }
                // A join's page of history follows its `OK joined`.
                Ok(Reply::Ok(Done::Joined(room))) => self.history_of = Some(room.to_owned()),
                Ok(Reply::Hist { of, .. }) => {
                    self.history_of = Some(match of {
                        HistoryOf::Room(room) => room.to_owned(),
                        HistoryOf::Private(user) => format!("@{user}"),
                    })
                }
                Ok(Reply::End(Listing::History { shown, next })) => {
                    let target = self.history_of.take().unwrap_or_else(|| "lobby".into());
                    self.print(&format!("-- {}", history_end(&target, shown, next)));
                    return;
                }
                Ok(Reply::End(list)) => {
                    let rows = std::mem::take(&mut self.listing_rows);
                    if let Some(text) = crate::render::empty_listing(list, rows) {
                        self.print(text);
                        return;
                    }
                }
                _ => {}
            }
            render(line, &Local, self.clock)
        };
        if let Some(text) = text {
            self.print(&text);
        }
    }

    fn print(&self, text: &str) {
        let mut out = io::stdout().lock();
        // A closed stdout (a pipe whose reader left) is not our failure.
        let _ = writeln!(out, "{text}");
        let _ = out.flush();
    }

    /// A line of stdin that is not UTF-8: said on stderr, never sent.
    fn not_utf8(&mut self, number: u64) {
        eprintln!("chat-client: line {number} of standard input is not UTF-8; not sent");
        self.bad_input = true;
    }

    /// The connection closed: lost, or the end of a refused login.
    fn closed(&self) -> Outcome {
        if self.refused && !self.session.is_logged_in() {
            Outcome::Refused
        } else {
            Outcome::Lost
        }
    }

    /// Sends what the session has for the server.
    fn flush(&mut self) -> Result<(), ClientError> {
        match self.session.poll_transmit() {
            Some(bytes) => self.conn.send(&bytes),
            None => Ok(()),
        }
    }

    /// The next thing to react to, feeding the current connection's bytes
    /// to the session on the way.
    fn next(&mut self) -> Result<Next, ClientError> {
        loop {
            if let Some(event) = self.session.poll_event() {
                if let SessionEvent::Line(line) = &event {
                    self.greeting
                        .on_line(line.text())
                        .map_err(ClientError::NotChat1)?;
                }
                self.flush()?;
                return Ok(Next::Session(event));
            }
            match self.rx.recv_timeout(TICK) {
                Ok(Event::Server(g, bytes)) if g == self.conn.generation => {
                    self.greeting
                        .on_bytes(&bytes)
                        .map_err(ClientError::NotChat1)?;
                    self.session.receive(&bytes);
                    // The session may ask by itself (catching up); a failed
                    // send shows up as the connection's end.
                    let _ = self.flush();
                }
                Ok(Event::ServerClosed(g)) if g == self.conn.generation => {
                    self.session.on_closed();
                    self.greeting.on_close().map_err(ClientError::NotChat1)?;
                    return Ok(Next::Closed);
                }
                // Bytes or the end of an earlier connection.
                Ok(Event::Server(..) | Event::ServerClosed(_)) => {}
                Ok(Event::Stdin(line)) => return Ok(Next::Stdin(line)),
                Ok(Event::StdinNotUtf8(n)) => return Ok(Next::StdinNotUtf8(n)),
                Ok(Event::StdinEnd) => return Ok(Next::StdinEnd),
                Ok(Event::Term(_) | Event::Reconnected(..) | Event::Retry(..)) => {}
                Err(RecvTimeoutError::Timeout) => {
                    self.greeting
                        .on_tick(Instant::now())
                        .map_err(ClientError::NotChat1)?;
                    return Ok(Next::Tick);
                }
                Err(RecvTimeoutError::Disconnected) => return Err(ClientError::Lost),
            }
        }
    }

    /// Script mode (and re-login after a restart): wait for `WELCOME`.
    /// `Some(outcome)` ends the session.
    fn wait_for_welcome(&mut self) -> Result<Option<Outcome>, ClientError> {
        loop {
            match self.next()? {
                Next::Session(SessionEvent::Line(line)) => match line.reply() {
                    Ok(Reply::Ask { .. } | Reply::Hello { .. }) if !self.raw => {}
                    // Reported below, with the refusal.
                    Ok(Reply::Err { .. }) => {}
                    _ => self.show(&line),
                },
                Next::Session(SessionEvent::LoggedIn { .. }) => return Ok(None),
                Next::Session(SessionEvent::LoginRefused(line)) => {
                    let (code, why) = line.error().unwrap_or((Word::Unknown("?"), ""));
                    eprintln!("chat-client: refused ({}): {why}", code.as_str());
                    return Ok(Some(Outcome::Refused));
                }
                Next::Closed => return Ok(Some(Outcome::Lost)),
                Next::Stdin(line) => self.typed_ahead.push_back(line),
                Next::StdinNotUtf8(n) => self.not_utf8(n),
                Next::StdinEnd => self.typed_ahead.push_back("/quit".into()),
                Next::Session(_) | Next::Tick => {}
            }
        }
    }

    /// The interactive login dialog, answering the server's `ASK`s from
    /// the terminal (passwords without echo).
    fn dialog(&mut self) -> Result<Option<Outcome>, ClientError> {
        loop {
            let line = match self.next()? {
                Next::Session(SessionEvent::Line(line)) => line,
                Next::Closed => return Ok(Some(self.closed())),
                _ => continue,
            };
            match line.reply() {
                Ok(Reply::Ask { step, prompt }) => {
                    let secret = step.known().is_some_and(|s| s.is_password());
                    let answer = match self.read_answer(prompt, secret)? {
                        Hidden::Answer(a) => a,
                        Hidden::Interrupted => return Ok(Some(Outcome::Done)),
                        Hidden::Closed => return Ok(Some(self.closed())),
                    };
                    self.send_line(&answer)?;
                }
                Ok(Reply::Welcome { .. }) => {
                    self.show(&line);
                    println!("Type to talk; /help lists the commands.");
                    return Ok(None);
                }
                Ok(Reply::Err { .. }) => {
                    self.show(&line);
                    self.refused = true;
                }
                _ => self.show(&line),
            }
        }
    }

    /// An answer from the terminal (a password not echoed), in raw mode so
    /// that Ctrl-C restores the terminal before the client ends; the
    /// server's lines still show meanwhile (a login timeout at once, not
    /// after the answer).
    fn read_answer(&mut self, prompt: &str, secret: bool) -> Result<Hidden, ClientError> {
        use ratatui::crossterm::event::{self, Event as Term, KeyCode, KeyEventKind, KeyModifiers};
        print!("{prompt} ");
        let _ = io::stdout().flush();
        let _raw = RawMode::enter().map_err(ClientError::Io)?;
        let mut answer = zeroize_string();
        loop {
            if event::poll(TICK).map_err(ClientError::Io)? {
                let Term::Key(key) = event::read().map_err(ClientError::Io)? else {
                    continue;
                };
                if key.kind == KeyEventKind::Release {
                    continue;
                }
                let ctrl = key.modifiers.contains(KeyModifiers::CONTROL);
                match key.code {
                    KeyCode::Enter => break,
                    KeyCode::Char('c' | 'd') if ctrl => {
                        print!("\r\n");
                        return Ok(Hidden::Interrupted);
                    }
                    KeyCode::Backspace => {
                        let erased = answer.pop().is_some();
                        if erased && !secret {
                            print!("\u{8} \u{8}");
                        }
                    }
                    KeyCode::Char(c) if !ctrl => {
                        answer.push(c);
                        if !secret {
                            print!("{c}");
                        }
                    }
                    _ => {}
                }
                let _ = io::stdout().flush();
                continue;
            }
            // The server's lines, shown while the user types.
            while let Ok(ev) = self.rx.try_recv() {
                match ev {
                    Event::Server(g, bytes) if g == self.conn.generation => {
                        self.session.receive(&bytes);
                        while let Some(SessionEvent::Line(line)) = self.session.poll_event() {
                            if let Some(text) = render(&line, &Local, self.clock) {
                                print!("\r\n{text}\r\n");
                            }
                            self.refused |= line.error().is_some();
                        }
                        let _ = io::stdout().flush();
                    }
                    Event::ServerClosed(g) if g == self.conn.generation => {
                        print!("\r\n");
                        self.session.on_closed();
                        return Ok(Hidden::Closed);
                    }
                    _ => {}
                }
            }
        }
        print!("\r\n");
        Ok(Hidden::Answer(answer.to_string()))
    }

    fn send_line(&mut self, line: &str) -> Result<(), ClientError> {
        let line = line.trim_end_matches('\r');
        if self.session.send_line(line).is_err() {
            // Only a line break could be refused, and lines have none.
            return Ok(());
        }
        self.flush()
    }

    /// A line typed by the user: the client's own `/older`, or a line
    /// for the server.
    fn typed(&mut self, line: &str) -> Result<(), ClientError> {
        if let Some(older) = parse_older(line) {
            let asked = older.map(|Older { of, count }| (of, self.session.older_lines(of, count)));
            let Ok((of, Ok(()))) = asked else {
                self.print(&format!("-- {}", older::USAGE));
                return Ok(());
            };
            self.history_of = Some(target_text(of));
            return self.flush();
        }
        match parse(line.trim()) {
            Ok(Command::Quit { .. }) => self.quitting = Some(Instant::now() + QUIT_WAIT),
            // The page's end names what it was of, even when it has no
            // line to tell.
            Ok(Command::History { of, .. }) => self.history_of = Some(target_text(of)),
            _ => {}
        }
        self.send_line(line)
    }

    fn main_loop(&mut self) -> Result<Outcome, ClientError> {
        loop {
            if self.quitting.is_some_and(|t| Instant::now() >= t) {
                return Ok(Outcome::Done);
            }
            let next = match self.typed_ahead.pop_front() {
                Some(line) => Next::Stdin(line),
                None => self.next()?,
            };
            match next {
                Next::Session(SessionEvent::Line(line)) => self.show(&line),
                Next::Session(SessionEvent::Ended(Ended::Kicked { .. } | Ended::Takeover)) => {
                    return Ok(Outcome::Kicked)
                }
                Next::Session(SessionEvent::Ended(_)) => return Ok(Outcome::Done),
                Next::Session(SessionEvent::Restarting) => {
                    if let Some(outcome) = self.reconnect()? {
                        return Ok(outcome);
                    }
                }
                Next::Session(_) | Next::Tick => {}
                // Lost, with other servers of the cluster to go to.
                Next::Closed
                    if self.quitting.is_none()
                        && self.dialer.has_others()
                        && self.session.is_logged_in() =>
                {
                    eprintln!("chat-client: connection lost; moving to another server");
                    if let Some(outcome) = self.reconnect()? {
                        return Ok(outcome);
                    }
                }
                Next::Closed => {
                    return Ok(if self.quitting.is_some() {
                        Outcome::Done
                    } else {
                        self.closed()
                    });
                }
                Next::StdinNotUtf8(n) => self.not_utf8(n),
                Next::Stdin(line) => self.typed(&line)?,
                Next::StdinEnd if self.quitting.is_none() => {
                    self.quitting = Some(Instant::now() + QUIT_WAIT);
                    // The server may be gone already; then we are done.
                    if self.send_line("/quit").is_err() {
                        return Ok(Outcome::Done);
                    }
                }
                Next::StdinEnd => {}
            }
        }
    }

    /// After `CTL restart`: connect again; the session logs in with the
    /// current credentials (the password of the last confirmed
    /// `/changepassword`), if it has any.
    fn reconnect(&mut self) -> Result<Option<Outcome>, ClientError> {
        let generation = self.conn.generation + 1;
        self.session.on_closed();
        self.conn = Connection::reopen(&self.dialer, generation, &self.tx, RESTART_PATIENCE)?;
        self.session.on_connected();
        self.flush()?;
        if self.session.user().is_some() {
            self.wait_for_welcome()
        } else {
            Ok(None)
        }
    }
}

/// What the hidden prompt got.
enum Hidden {
    Answer(String),
    /// Ctrl-C or Ctrl-D.
    Interrupted,
    /// The server closed meanwhile.
    Closed,
}

/// A buffer for a password that is wiped when dropped.
fn zeroize_string() -> zeroize::Zeroizing<String> {
    zeroize::Zeroizing::new(String::new())
}

/// Raw mode for as long as it lives: left on every way out.
pub(crate) struct RawMode;

impl RawMode {
    pub(crate) fn enter() -> io::Result<RawMode> {
        ratatui::crossterm::terminal::enable_raw_mode()?;
        Ok(RawMode)
    }
}

impl Drop for RawMode {
    fn drop(&mut self) {
        let _ = ratatui::crossterm::terminal::disable_raw_mode();
    }
}
