//! The client's modes and main loop: the interactive dialog, script mode,
//! then lines both ways until the session ends.

use std::collections::VecDeque;
use std::io::{self, IsTerminal, Write};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError, Sender};
use std::time::{Duration, Instant};

use chat_client::{Auth, Credentials, Ended, Event as SessionEvent, LoginForm, Session};
use chat_core::wire::{parse, ServerLine, Word};
use chat_core::Command;
use chrono::Local;

use crate::cli::Args;
use crate::conn::{spawn_stdin, Connection, Event};
use crate::render::render;
use crate::ClientError;

/// How a session ended; `main` maps it to the exit status.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Outcome {
    /// Stdin ended, /quit, or the server shut down.
    Done,
    /// The connection dropped without a word from the server.
    Lost,
    /// The login or registration was refused.
    Refused,
    /// An admin kicked us.
    Kicked,
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
    StdinEnd,
    Tick,
}

pub(crate) struct App {
    addr: String,
    raw: bool,
    tx: Sender<Event>,
    rx: Receiver<Event>,
    conn: Connection,
    /// The protocol: login, typed events, the password for a re-login.
    session: Session,
    /// Lines typed while logging in again after a restart, sent after.
    typed_ahead: VecDeque<String>,
    quitting: Option<Instant>,
}

pub(crate) fn run(args: Args) -> Result<Outcome, ClientError> {
    let addr = if args.host.contains(':') {
        format!("[{}]:{}", args.host, args.port)
    } else {
        format!("{}:{}", args.host, args.port)
    };
    let session = match &args.user {
        Some(name) => {
            let password = script_password(&args)?;
            let auth = if args.register {
                Auth::Register
            } else {
                Auth::Login
            };
            Session::new(Credentials::new(name, &password), auth, LoginForm::OneLine)
        }
        None => Session::manual(),
    };
    let (tx, rx) = mpsc::channel();
    let conn = Connection::open(&addr, 0, tx.clone())?;
    let mut app = App {
        addr,
        raw: args.raw,
        tx,
        rx,
        conn,
        session,
        typed_ahead: VecDeque::new(),
        quitting: None,
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
    app.main_loop()
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
    fn show(&self, line: &str) {
        let text = if self.raw {
            Some(line.to_owned())
        } else {
            render(line, &Local)
        };
        if let Some(text) = text {
            let mut out = io::stdout().lock();
            // A closed stdout (a pipe whose reader left) is not our failure.
            let _ = writeln!(out, "{text}");
            let _ = out.flush();
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
                self.flush()?;
                return Ok(Next::Session(event));
            }
            match self.rx.recv_timeout(TICK) {
                Ok(Event::Server(g, bytes)) if g == self.conn.generation => {
                    self.session.receive(&bytes)
                }
                Ok(Event::ServerClosed(g)) if g == self.conn.generation => {
                    self.session.on_closed();
                    return Ok(Next::Closed);
                }
                // Bytes or the end of an earlier connection.
                Ok(Event::Server(..) | Event::ServerClosed(_)) => {}
                Ok(Event::Stdin(line)) => return Ok(Next::Stdin(line)),
                Ok(Event::StdinEnd) => return Ok(Next::StdinEnd),
                Err(RecvTimeoutError::Timeout) => return Ok(Next::Tick),
                Err(RecvTimeoutError::Disconnected) => return Err(ClientError::Lost),
            }
        }
    }

    /// Script mode (and re-login after a restart): wait for `WELCOME`.
    /// `Some(outcome)` ends the session.
    fn wait_for_welcome(&mut self) -> Result<Option<Outcome>, ClientError> {
        loop {
            match self.next()? {
                Next::Session(SessionEvent::Line(line)) => match line.line() {
                    Ok(ServerLine::Ask { .. } | ServerLine::Hello { .. }) if !self.raw => {}
                    // Reported below, with the refusal.
                    Ok(ServerLine::Err { .. }) => {}
                    _ => self.show(line.text()),
                },
                Next::Session(SessionEvent::LoggedIn { .. }) => return Ok(None),
                Next::Session(SessionEvent::LoginRefused(line)) => {
                    let (code, why) = line.error().unwrap_or((Word::Unknown("?"), ""));
                    eprintln!("chat-client: refused ({}): {why}", code.as_str());
                    return Ok(Some(Outcome::Refused));
                }
                Next::Closed => return Ok(Some(Outcome::Lost)),
                Next::Stdin(line) => self.typed_ahead.push_back(line),
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
                Next::Closed => return Ok(Some(Outcome::Lost)),
                _ => continue,
            };
            match line.line() {
                Ok(ServerLine::Ask { step, prompt }) => {
                    let secret = step.known().is_some_and(|s| s.is_password());
                    let answer = if secret {
                        rpassword::prompt_password(format!("{prompt} ")).map_err(ClientError::Io)?
                    } else {
                        print!("{prompt} ");
                        let _ = io::stdout().flush();
                        let mut answer = String::new();
                        if io::stdin()
                            .read_line(&mut answer)
                            .map_err(ClientError::Io)?
                            == 0
                        {
                            return Ok(Some(Outcome::Done));
                        }
                        answer.trim_end_matches(['\r', '\n']).to_owned()
                    };
                    self.send_line(&answer)?;
                }
                Ok(ServerLine::Welcome { .. }) => {
                    self.show(line.text());
                    println!("Type to talk; /help lists the commands.");
                    return Ok(None);
                }
                _ => self.show(line.text()),
            }
        }
    }

    fn send_line(&mut self, line: &str) -> Result<(), ClientError> {
        let line = line.trim_end_matches('\r');
        if self.session.send_line(line).is_err() {
            // Only a line break could be refused, and lines have none.
            return Ok(());
        }
        self.flush()
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
                Next::Session(SessionEvent::Line(line)) => self.show(line.text()),
                Next::Session(SessionEvent::Ended(Ended::Kicked { .. })) => {
                    return Ok(Outcome::Kicked)
                }
                Next::Session(SessionEvent::Ended(_)) => return Ok(Outcome::Done),
                Next::Session(SessionEvent::Restarting) => {
                    if let Some(outcome) = self.reconnect()? {
                        return Ok(outcome);
                    }
                }
                Next::Session(_) | Next::Tick => {}
                Next::Closed => {
                    return Ok(if self.quitting.is_some() {
                        Outcome::Done
                    } else {
                        Outcome::Lost
                    });
                }
                Next::Stdin(line) => {
                    if matches!(parse(line.trim()), Ok(Command::Quit)) {
                        self.quitting = Some(Instant::now() + QUIT_WAIT);
                    }
                    self.send_line(&line)?;
                }
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
        self.conn = Connection::reopen(&self.addr, generation, &self.tx, RESTART_PATIENCE)?;
        self.session.on_connected();
        self.flush()?;
        if self.session.user().is_some() {
            self.wait_for_welcome()
        } else {
            Ok(None)
        }
    }
}
