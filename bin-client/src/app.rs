//! The client's modes and main loop: the interactive dialog, script mode,
//! then lines both ways until the session ends.

use std::io::{self, IsTerminal, Write};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError, Sender};
use std::time::{Duration, Instant};

use chrono::Local;

use crate::cli::Args;
use crate::conn::{spawn_stdin, Connection, Event};
use crate::protocol::{parse, Ctl, ServerLine};
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

/// Remembered for the session only, to log in again after a restart.
struct Credentials {
    name: String,
    password: String,
}

/// How long to wait for the server to close after /quit.
const QUIT_WAIT: Duration = Duration::from_secs(5);
/// How long to keep trying to reconnect after `CTL restart`.
const RESTART_PATIENCE: Duration = Duration::from_secs(30);

pub(crate) struct App {
    addr: String,
    raw: bool,
    tx: Sender<Event>,
    rx: Receiver<Event>,
    conn: Connection,
    creds: Option<Credentials>,
    quitting: Option<Instant>,
}

pub(crate) fn run(args: Args) -> Result<Outcome, ClientError> {
    let addr = if args.host.contains(':') {
        format!("[{}]:{}", args.host, args.port)
    } else {
        format!("{}:{}", args.host, args.port)
    };
    let (tx, rx) = mpsc::channel();
    let conn = Connection::open(&addr, 0, tx.clone())?;
    let mut app = App {
        addr,
        raw: args.raw,
        tx,
        rx,
        conn,
        creds: None,
        quitting: None,
    };
    if let Some(name) = &args.user {
        let password = script_password(&args)?;
        let form = if args.register { "/register" } else { "/login" };
        app.conn.send(&format!("{form} {name} {password}"))?;
        app.creds = Some(Credentials {
            name: name.clone(),
            password,
        });
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
            render(&parse(line), &Local)
        };
        if let Some(text) = text {
            let mut out = io::stdout().lock();
            // A closed stdout (a pipe whose reader left) is not our failure.
            let _ = writeln!(out, "{text}");
            let _ = out.flush();
        }
    }

    /// Script mode (and re-login after a restart): wait for `WELCOME`.
    /// `Some(outcome)` ends the session.
    fn wait_for_welcome(&mut self) -> Result<Option<Outcome>, ClientError> {
        loop {
            match self.rx.recv().map_err(|_| ClientError::Lost)? {
                Event::Server(g, line) if g == self.conn.generation => {
                    let parsed = parse(&line);
                    if matches!(parsed, ServerLine::Ask { .. } | ServerLine::Hello { .. })
                        && !self.raw
                    {
                        continue;
                    }
                    match parsed {
                        ServerLine::Welcome { .. } => {
                            self.show(&line);
                            return Ok(None);
                        }
                        ServerLine::Err { code, text } => {
                            eprintln!("chat-client: refused ({code}): {text}");
                            return Ok(Some(Outcome::Refused));
                        }
                        _ => self.show(&line),
                    }
                }
                Event::ServerClosed(g) if g == self.conn.generation => {
                    return Ok(Some(Outcome::Lost));
                }
                _ => {}
            }
        }
    }

    /// The interactive login dialog, answering the server's `ASK`s from
    /// the terminal (passwords without echo).
    fn dialog(&mut self) -> Result<Option<Outcome>, ClientError> {
        let mut name = String::new();
        loop {
            let event = self.rx.recv().map_err(|_| ClientError::Lost)?;
            let line = match event {
                Event::Server(g, line) if g == self.conn.generation => line,
                Event::ServerClosed(g) if g == self.conn.generation => {
                    return Ok(Some(Outcome::Lost));
                }
                _ => continue,
            };
            match parse(&line) {
                ServerLine::Ask { step, prompt } => {
                    let answer = if step.starts_with("password") {
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
                    match step.as_str() {
                        "username" => name.clone_from(&answer),
                        "password" => {
                            self.creds = Some(Credentials {
                                name: name.clone(),
                                password: answer.clone(),
                            })
                        }
                        _ => {}
                    }
                    self.conn.send(&answer)?;
                }
                ServerLine::Welcome { .. } => {
                    self.show(&line);
                    println!("Type to talk; /help lists the commands.");
                    return Ok(None);
                }
                _ => self.show(&line),
            }
        }
    }

    fn main_loop(&mut self) -> Result<Outcome, ClientError> {
        loop {
            if self.quitting.is_some_and(|t| Instant::now() >= t) {
                return Ok(Outcome::Done);
            }
            let event = match self.rx.recv_timeout(Duration::from_millis(100)) {
                Ok(e) => e,
                Err(RecvTimeoutError::Timeout) => continue,
                Err(RecvTimeoutError::Disconnected) => return Ok(Outcome::Lost),
            };
            match event {
                Event::Server(g, line) if g == self.conn.generation => {
                    self.show(&line);
                    if let ServerLine::Ctl(ctl) = parse(&line) {
                        match ctl {
                            Ctl::Kick { .. } => return Ok(Outcome::Kicked),
                            Ctl::Disconnect | Ctl::Shutdown => return Ok(Outcome::Done),
                            Ctl::Restart => {
                                if let Some(outcome) = self.reconnect()? {
                                    return Ok(outcome);
                                }
                            }
                            _ => {}
                        }
                    }
                }
                Event::ServerClosed(g) if g == self.conn.generation => {
                    return Ok(if self.quitting.is_some() {
                        Outcome::Done
                    } else {
                        Outcome::Lost
                    });
                }
                Event::Stdin(line) => {
                    let word = line.trim().to_ascii_lowercase();
                    if word == "/quit" || word == "/disconnect" {
                        self.quitting = Some(Instant::now() + QUIT_WAIT);
                    }
                    self.conn.send(&line)?;
                }
                Event::StdinEnd if self.quitting.is_none() => {
                    self.quitting = Some(Instant::now() + QUIT_WAIT);
                    // The server may be gone already; then we are done.
                    if self.conn.send("/quit").is_err() {
                        return Ok(Outcome::Done);
                    }
                }
                _ => {}
            }
        }
    }

    /// After `CTL restart`: connect again and log in with the same
    /// credentials.
    fn reconnect(&mut self) -> Result<Option<Outcome>, ClientError> {
        let generation = self.conn.generation + 1;
        self.conn = Connection::reopen(&self.addr, generation, &self.tx, RESTART_PATIENCE)?;
        match &self.creds {
            Some(c) => {
                let line = format!("/login {} {}", c.name, c.password);
                self.conn.send(&line)?;
                self.wait_for_welcome()
            }
            None => Ok(None),
        }
    }
}
