//! The full-screen interface: the message pane, a status bar and an input
//! line, with the login dialog inside it.

mod editor;
mod screen;
mod view;

#[cfg(test)]
mod tests;

use std::io::{self, Stdout};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError, Sender};
use std::time::{Duration, Instant};

use ratatui::backend::CrosstermBackend;
use ratatui::crossterm::event::{self as term, KeyCode, KeyEvent, KeyEventKind, KeyModifiers};
use ratatui::crossterm::{cursor, execute, terminal};
use ratatui::Terminal;

use chat_client::{Ended, Event as SessionEvent, Session};
use chat_core::reply::Reply;
use chat_core::wire::parse;
use chat_core::{Command, HistoryTarget};

use crate::app::{session_for, Outcome};
use crate::cli::Args;
use crate::conn::{Connection, Dialer, Event, Link};
use crate::ClientError;
use screen::Screen;
use view::Kind;

/// How long to wait for the server to close after /quit.
const QUIT_WAIT: Duration = Duration::from_secs(5);
/// How long to keep trying to reconnect after `CTL restart`.
const RESTART_PATIENCE: Duration = Duration::from_secs(30);
/// How often the loop looks at the clock when nothing happens.
const TICK: Duration = Duration::from_millis(250);

/// The commands Tab completes: every name of the command catalogue a
/// logged-in user may type, and the client's own `/older`.
fn commands() -> &'static [String] {
    static COMMANDS: std::sync::OnceLock<Vec<String>> = std::sync::OnceLock::new();
    COMMANDS.get_or_init(|| {
        let mut names = chat_core::command::typed_names();
        names.push("/older".to_owned());
        names
    })
}

/// The terminal in raw mode on the alternate screen, given back on drop
/// (every way out: return, error, unwinding panic).
struct Screenful {
    terminal: Terminal<CrosstermBackend<Stdout>>,
}

impl Screenful {
    fn enter() -> io::Result<Screenful> {
        terminal::enable_raw_mode()?;
        // A panic restores the terminal before its message is printed.
        let hook = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            restore();
            hook(info);
        }));
        execute!(io::stdout(), terminal::EnterAlternateScreen)?;
        let terminal = Terminal::new(CrosstermBackend::new(io::stdout()))?;
        Ok(Screenful { terminal })
    }
}

fn restore() {
    let _ = execute!(io::stdout(), terminal::LeaveAlternateScreen, cursor::Show);
    let _ = terminal::disable_raw_mode();
}

impl Drop for Screenful {
    fn drop(&mut self) {
        restore();
    }
}

/// Forwards the terminal's keys and resizes to the loop.
fn spawn_keys(events: Sender<Event>) {
    std::thread::spawn(move || {
        while let Ok(ev) = term::read() {
            if events.send(Event::Term(ev)).is_err() {
                return;
            }
        }
    });
}

/// Runs the interface until the session ends; what ended it is printed
/// after the terminal is back to normal.
pub(crate) fn run(args: Args) -> Result<Outcome, ClientError> {
    let dialer = args.dialer()?;
    let session = session_for(&args)?;
    let (tx, rx) = mpsc::channel();
    // Before the screen is taken: a failure here prints as usual.
    let conn = Connection::open(&dialer, 0, tx.clone())?;
    let addr = dialer.current_addr().to_owned();
    let mut screen = Screenful::enter().map_err(ClientError::Io)?;
    spawn_keys(tx.clone());
    let mut ui = Ui {
        dialer,
        tx,
        rx,
        conn,
        session,
        screen: Screen::new(&addr),
        quitting: None,
        refused: false,
        farewell: None,
        redraw_all: false,
        held: Vec::new(),
    };
    // Lines carry their ids, so /older pages history without a gap.
    ui.session.request_ids();
    ui.session.on_connected();
    let result = ui.run(&mut screen.terminal);
    drop(screen);
    if let Some(text) = &ui.farewell {
        eprintln!("chat-client: {text}");
    }
    result
}

struct Ui {
    dialer: Dialer,
    tx: Sender<Event>,
    rx: Receiver<Event>,
    conn: Connection,
    session: Session,
    screen: Screen,
    quitting: Option<Instant>,
    /// Not logged in and the server's last word was an `ERR`.
    refused: bool,
    /// Said on stderr once the screen is gone.
    farewell: Option<String>,
    redraw_all: bool,
    /// Lines typed while reconnecting after a restart, sent once back in.
    held: Vec<String>,
}

/// The most lines held while reconnecting.
const MAX_HELD: usize = 100;

impl Ui {
    fn run(
        &mut self,
        terminal: &mut Terminal<CrosstermBackend<Stdout>>,
    ) -> Result<Outcome, ClientError> {
        let mut dirty = true;
        loop {
            self.flush();
            while let Some(ev) = self.session.poll_event() {
                if let Some(outcome) = self.on_session(ev)? {
                    return Ok(outcome);
                }
                self.flush();
            }
            if std::mem::take(&mut self.redraw_all) {
                terminal.clear().map_err(ClientError::Io)?;
            }
            // Only when something happened: an idle client writes nothing.
            if std::mem::take(&mut dirty) {
                terminal
                    .draw(|f| self.screen.view.draw(f))
                    .map_err(ClientError::Io)?;
            }
            if self.quitting.is_some_and(|t| Instant::now() >= t) {
                return Ok(Outcome::Done);
            }
            let page = terminal
                .size()
                .map(|s| s.height.saturating_sub(3) as isize)
                .unwrap_or(10)
                .max(1);
            match self.rx.recv_timeout(TICK) {
                Ok(Event::Server(g, bytes)) if g == self.conn.generation => {
                    self.session.receive(&bytes)
                }
                Ok(Event::ServerClosed(g)) if g == self.conn.generation => {
                    self.session.on_closed();
                    // Events the last bytes caused come first.
                    while let Some(ev) = self.session.poll_event() {
                        if let Some(outcome) = self.on_session(ev)? {
                            return Ok(outcome);
                        }
                    }
                    if self.quitting.is_some() {
                        return Ok(Outcome::Done);
                    }
                    if self.refused && !self.session.is_logged_in() {
                        self.farewell = Some("the login was refused".into());
                        return Ok(Outcome::Refused);
                    }
                    if self.dialer.has_others() && self.session.user().is_some() {
                        // Another server of the cluster will do.
                        self.screen
                            .view
                            .notice(Kind::Notice, "connection lost; moving to another server");
                        if let Some(outcome) = self.reconnect()? {
                            return Ok(outcome);
                        }
                        continue;
                    }
                    self.farewell = Some("connection lost".into());
                    return Ok(Outcome::Lost);
                }
                Ok(Event::Reconnected(g, result)) => {
                    if let Some(outcome) = self.reconnected(g, result)? {
                        return Ok(outcome);
                    }
                }
                Ok(Event::Term(term::Event::Key(key))) if key.kind != KeyEventKind::Release => {
                    if let Some(outcome) = self.on_key(key, page) {
                        return Ok(outcome);
                    }
                }
                Ok(_) => {}
                Err(RecvTimeoutError::Timeout) => continue,
                Err(RecvTimeoutError::Disconnected) => return Err(ClientError::Lost),
            }
            dirty = true;
        }
    }

    /// Sends what the session has for the server; a failed send shows up
    /// as the connection closing.
    fn flush(&mut self) {
        if let Some(bytes) = self.session.poll_transmit() {
            let _ = self.conn.send(&bytes);
        }
    }

    fn on_session(&mut self, ev: SessionEvent) -> Result<Option<Outcome>, ClientError> {
        match ev {
            SessionEvent::Line(line) => {
                if !self.session.is_logged_in() {
                    self.refused = line.error().is_some();
                    // The session answers the dialog itself (--user, or a
                    // re-login after a restart): no question for the user.
                    let asked = matches!(line.reply(), Ok(Reply::Ask { .. }));
                    if asked && self.session.user().is_some() {
                        return Ok(None);
                    }
                }
                self.screen.on_line(&line);
            }
            SessionEvent::LoggedIn { .. } => {
                self.refused = false;
                for line in std::mem::take(&mut self.held) {
                    let _ = self.session.send_line(&line);
                }
                // Fill the status bar's list of who is online.
                if self.session.send(&Command::ViewUsers { page: 1 }).is_ok() {
                    self.screen.quiet_users = true;
                }
            }
            SessionEvent::LoginRefused(line) => {
                let (code, text) = line
                    .error()
                    .map(|(c, t)| (c.as_str().to_owned(), t.to_owned()))
                    .unwrap_or_default();
                self.farewell = Some(format!("refused ({code}): {text}"));
                return Ok(Some(Outcome::Refused));
            }
            SessionEvent::CannotLogIn(e) => {
                self.farewell = Some(format!("cannot log in: {e}"));
                return Ok(Some(Outcome::Refused));
            }
            SessionEvent::Ended(ended) => {
                let (text, outcome) = match ended {
                    Ended::Kicked { by, reason } => (
                        match reason {
                            Some(r) => format!("you were kicked by {by}: {r}"),
                            None => format!("you were kicked by {by}"),
                        },
                        Outcome::Kicked,
                    ),
                    Ended::Takeover => (
                        "your account logged in from somewhere else; not reconnecting".into(),
                        Outcome::Kicked,
                    ),
                    Ended::Shutdown => ("the server shut down".into(), Outcome::Done),
                    _ => return Ok(Some(Outcome::Done)),
                };
                self.farewell = Some(text);
                return Ok(Some(outcome));
            }
            SessionEvent::Restarting => return self.reconnect(),
            SessionEvent::Unreadable(e) => {
                self.screen
                    .view
                    .notice(Kind::Error, format!("a server line was skipped: {e}"));
            }
            SessionEvent::PasswordChanged | _ => {}
        }
        Ok(None)
    }

    /// After `CTL restart`: connect again; the session logs in with the
    /// current password.
    fn reconnect(&mut self) -> Result<Option<Outcome>, ClientError> {
        // The CTL line itself said so on screen.
        self.screen.view.link = "reconnecting".into();
        self.session.on_closed();
        // The old connection's bytes and end are ignored from now on.
        self.conn.generation += 1;
        Connection::reopen_in_background(
            &self.dialer,
            self.conn.generation,
            &self.tx,
            RESTART_PATIENCE,
        );
        Ok(None)
    }

    /// The reconnect ended: log in again on the new socket.
    fn reconnected(
        &mut self,
        generation: u64,
        result: Result<Link, String>,
    ) -> Result<Option<Outcome>, ClientError> {
        if generation != self.conn.generation {
            return Ok(None);
        }
        match result.and_then(|link| {
            Connection::adopt(link, generation, &self.tx).map_err(|e| e.to_string())
        }) {
            Ok(conn) => self.conn = conn,
            Err(e) => {
                self.farewell = Some(e);
                return Ok(Some(Outcome::Lost));
            }
        }
        self.screen.view.link = "connected".into();
        // With several servers, the one it moved to.
        self.screen.view.server = self.dialer.current_addr().to_owned();
        self.session.on_connected();
        Ok(None)
    }

    fn on_key(&mut self, key: KeyEvent, page: isize) -> Option<Outcome> {
        let ctrl = key.modifiers.contains(KeyModifiers::CONTROL);
        let alt = key.modifiers.contains(KeyModifiers::ALT);
        let view = &mut self.screen.view;
        let e = &mut view.editor;
        let secret = view.ask.as_ref().is_some_and(|a| a.secret);
        match key.code {
            KeyCode::Char('c') if ctrl => {
                // Leave at once; the server sees the connection close.
                return Some(Outcome::Done);
            }
            KeyCode::Char('d') if ctrl && e.text().is_empty() => self.send("/quit"),
            KeyCode::Char('l') if ctrl => self.redraw_all = true,
            KeyCode::Char('a') if ctrl => e.home(),
            KeyCode::Char('e') if ctrl => e.end(),
            KeyCode::Char('u') if ctrl => e.kill_to_start(),
            KeyCode::Char('k') if ctrl => e.kill_to_end(),
            KeyCode::Char('w') if ctrl => e.delete_word(),
            KeyCode::Char('b') if alt => e.word_left(),
            KeyCode::Char('f') if alt => e.word_right(),
            KeyCode::Left if ctrl || alt => e.word_left(),
            KeyCode::Right if ctrl || alt => e.word_right(),
            KeyCode::Char(c) if !ctrl => e.insert(c),
            KeyCode::Left => e.left(),
            KeyCode::Right => e.right(),
            KeyCode::Home => e.home(),
            KeyCode::End => e.end(),
            KeyCode::Backspace => e.backspace(),
            KeyCode::Delete => e.delete(),
            KeyCode::Up if !secret => e.older(),
            KeyCode::Down if !secret => e.newer(),
            KeyCode::PageUp => view.scroll_by(page),
            KeyCode::PageDown => view.scroll_by(-page),
            KeyCode::Tab if view.ask.is_none() => {
                let names: Vec<String> = view.online.iter().cloned().collect();
                let commands: Vec<&str> = commands().iter().map(String::as_str).collect();
                let found = e.complete(&commands, &names);
                if !found.is_empty() {
                    let list = found.join(" ");
                    view.notice(Kind::Notice, list);
                }
            }
            KeyCode::Enter => self.enter(),
            _ => {}
        }
        None
    }

    fn enter(&mut self) {
        let view = &mut self.screen.view;
        if let Some(ask) = view.ask.take() {
            // An answer: a password is neither shown nor kept.
            let answer = view.editor.take(!ask.secret);
            let shown = if ask.secret {
                "*".repeat(answer.chars().count().min(8))
            } else {
                answer.clone()
            };
            view.notice(Kind::Notice, format!("{} {shown}", ask.prompt));
            let _ = self.session.send_line(&answer);
            return;
        }
        let with_password = view
            .editor
            .text()
            .trim_start()
            .to_lowercase()
            .starts_with("/changepassword ");
        let line = view.editor.take(!with_password);
        if line.trim().is_empty() {
            return;
        }
        view.scroll = 0;
        self.send(&line);
    }

    /// `/older [room|@user] [count]`: the lines before the oldest one
    /// shown of a conversation (by default the one whose history was shown
    /// last, else the lobby), paged by id.
    fn older(&mut self, args: &str) {
        let mut words = args.split_whitespace();
        let mut target = None;
        let mut count = None;
        for w in words.by_ref().take(2) {
            match w.parse::<u64>() {
                Ok(n) if n > 0 && count.is_none() => count = Some(n),
                _ if target.is_none() && count.is_none() => target = Some(w.to_owned()),
                _ => return self.older_usage(),
            }
        }
        if words.next().is_some() {
            return self.older_usage();
        }
        let target = target
            .or_else(|| self.screen.history_of.clone())
            .unwrap_or_else(|| chat_core::LOBBY.to_owned());
        let target = target.trim_start_matches('#');
        let of = match target.strip_prefix('@') {
            Some(user) => HistoryTarget::Private(user),
            None => HistoryTarget::Room(target),
        };
        if self.session.older_lines(of, count).is_err() {
            self.older_usage();
        }
    }

    fn older_usage(&mut self) {
        self.screen
            .view
            .notice(Kind::Error, "usage: /older [room|@user] [count]");
    }

    fn send(&mut self, line: &str) {
        if self.screen.view.link == "reconnecting" {
            if self.held.len() < MAX_HELD {
                self.held.push(line.to_owned());
                self.screen
                    .view
                    .notice(Kind::Notice, "(held until the server is back)");
            } else {
                self.screen
                    .view
                    .notice(Kind::Error, "too many lines held; this one was dropped");
            }
            return;
        }
        if let Some(args) = older_args(line) {
            return self.older(args);
        }
        if matches!(parse(line.trim()), Ok(Command::Quit { .. })) {
            self.quitting = Some(Instant::now() + QUIT_WAIT);
        }
        self.screen.sent(line);
        if self.session.send_line(line).is_err() {
            self.screen
                .view
                .notice(Kind::Error, "a line cannot hold a line break");
        }
    }
}

/// The arguments of an `/older` line, if it is one (the client's own
/// command: it pages history back by id).
fn older_args(line: &str) -> Option<&str> {
    let rest = line.trim().strip_prefix('/')?;
    let (name, args) = rest.split_once(' ').unwrap_or((rest, ""));
    name.eq_ignore_ascii_case("older").then_some(args)
}
