//! The full-screen interface: a window per conversation (the lobby, each
//! room, each private conversation), a status bar and an input line, with
//! the login dialog inside it.

mod complete;
mod editor;
mod screen;
mod view;
mod windows;

#[cfg(test)]
mod tests;

use std::io::{self, Stdout};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError, Sender};
use std::sync::Arc;
use std::time::{Duration, Instant};

use ratatui::backend::CrosstermBackend;
use ratatui::crossterm::event::{self as term, KeyCode, KeyEvent, KeyEventKind, KeyModifiers};
use ratatui::crossterm::{cursor, execute, terminal};
use ratatui::Terminal;

use chat_client::{Ended, Event as SessionEvent, Session};
use chat_core::reply::Reply;
use chat_core::wire::parse;
use chat_core::Command;

use crate::app::{session_for, Outcome};
use crate::cli::Args;
use crate::conn::{Connection, Dialer, Event, Link as Socket};
use crate::greeting::Greeting;
use crate::older::{self, parse_older, Older};
use crate::ClientError;
use screen::{Entered, Screen};
use view::{Kind, Link};
use windows::Place;

/// How long to wait for the server to close after /quit.
const QUIT_WAIT: Duration = Duration::from_secs(5);
/// How often the loop looks at the clock when nothing happens.
const TICK: Duration = Duration::from_millis(250);
/// The most lines held while reconnecting.
const MAX_HELD: usize = 100;

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
    let tls = dialer.tls.is_some();
    let session = session_for(&args)?;
    let (tx, rx) = mpsc::channel();
    // Before the screen is taken: a failure here prints as usual.
    let conn = Connection::open(&dialer, 0, tx.clone())?;
    let addr = dialer.current_addr().to_owned();
    let mut screen = Screenful::enter().map_err(ClientError::Io)?;
    spawn_keys(tx.clone());
    let mut ui = Ui {
        greeting: Greeting::new(&addr, tls),
        dialer,
        tx,
        rx,
        conn,
        session,
        screen: Screen::new(&addr, tls),
        quitting: None,
        refused: false,
        farewell: None,
        redraw_all: false,
        held: Vec::new(),
        ever_greeted: false,
        lost: false,
        wanted: Arc::new(AtomicU64::new(0)),
    };
    ui.screen.view.clock = args.clock;
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
    /// Whether this connection's server said `HELLO chat/1`.
    greeting: Greeting,
    /// A server at this address greeted us once: later silences and
    /// closes are a lost connection, not a wrong port.
    ever_greeted: bool,
    quitting: Option<Instant>,
    /// Not logged in and the server's last word was an `ERR`.
    refused: bool,
    /// Said on stderr once the screen is gone.
    farewell: Option<String>,
    redraw_all: bool,
    /// Lines typed while reconnecting, sent once back in.
    held: Vec<String>,
    /// The connection was lost and is being made again.
    lost: bool,
    /// The generation a reconnect in the background is for; moving it on
    /// stops that reconnect.
    wanted: Arc<AtomicU64>,
}

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
            if std::mem::take(&mut self.screen.refresh_users) {
                self.quiet_users();
            }
            if std::mem::take(&mut self.redraw_all) {
                terminal.clear().map_err(ClientError::Io)?;
            }
            // Only when something happened (or a countdown shows): an idle
            // client writes nothing.
            let counting = matches!(self.screen.view.link, Link::Retrying(Some(_)));
            if std::mem::take(&mut dirty) || counting {
                terminal
                    .draw(|f| self.screen.view.draw(f))
                    .map_err(ClientError::Io)?;
            }
            if self.quitting.is_some_and(|t| Instant::now() >= t) {
                return Ok(Outcome::Done);
            }
            if let Err(wrong) = self.greeting.on_tick(Instant::now()) {
                if let Some(outcome) = self.not_chat1(wrong) {
                    return Ok(outcome);
                }
            }
            let page = terminal
                .size()
                .map(|s| s.height.saturating_sub(3) as isize)
                .unwrap_or(10)
                .max(1);
            match self.rx.recv_timeout(TICK) {
                Ok(Event::Server(g, bytes)) if g == self.conn.generation => {
                    if let Err(wrong) = self.greeting.on_bytes(&bytes) {
                        if let Some(outcome) = self.not_chat1(wrong) {
                            return Ok(outcome);
                        }
                        continue;
                    }
                    self.session.receive(&bytes)
                }
                Ok(Event::ServerClosed(g)) if g == self.conn.generation => {
                    if let Some(outcome) = self.closed()? {
                        return Ok(outcome);
                    }
                }
                Ok(Event::Retry(g, wait)) if g == self.conn.generation => {
                    self.screen.view.link = Link::Retrying(Some(Instant::now() + wait));
                }
                Ok(Event::Reconnected(g, result)) => self.reconnected(g, result),
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

    /// The server closed the connection.
    fn closed(&mut self) -> Result<Option<Outcome>, ClientError> {
        self.session.on_closed();
        // Events the last bytes caused come first.
        while let Some(ev) = self.session.poll_event() {
            if let Some(outcome) = self.on_session(ev)? {
                return Ok(Some(outcome));
            }
        }
        if self.quitting.is_some() {
            return Ok(Some(Outcome::Done));
        }
        if self.refused && !self.session.is_logged_in() {
            self.farewell = Some("the login was refused".into());
            return Ok(Some(Outcome::Refused));
        }
        if let Err(wrong) = self.greeting.on_close() {
            if let Some(outcome) = self.not_chat1(wrong) {
                return Ok(Some(outcome));
            }
            return Ok(None);
        }
        self.lose(self.lost_text());
        Ok(None)
    }

    /// The server is not a chat/1 server: the end, on the first
    /// connection; later, a connection to be made again.
    fn not_chat1(&mut self, wrong: String) -> Option<Outcome> {
        if !self.ever_greeted {
            self.farewell = Some(wrong);
            return Some(Outcome::Failed);
        }
        self.lose(self.lost_text());
        None
    }

    /// What to say when the connection is lost: with other servers of
    /// a cluster given, the reconnect goes to the next one.
    fn lost_text(&self) -> &'static str {
        if self.dialer.has_others() {
            "Connection to the server lost; moving to another server (Ctrl-C stops)."
        } else {
            "Connection to the server lost; reconnecting (Ctrl-C stops)."
        }
    }

    /// The connection is gone: say so (once; `said` is empty when a line
    /// from the server said it already), keep the screen, and connect
    /// again in the background, waiting longer after each failure.
    fn lose(&mut self, said: &str) {
        self.session.on_closed();
        // The old connection's bytes and end are ignored from now on.
        self.conn.generation += 1;
        self.greeting = Greeting::new(&self.dialer.addr, self.dialer.tls.is_some());
        self.screen.view.link = Link::Retrying(None);
        if !self.lost && !said.is_empty() {
            self.screen.view.notice_in(Place::Lobby, Kind::Error, said);
            if !matches!(self.screen.view.windows.current().place, Place::Lobby) {
                self.screen.view.notice(Kind::Error, said);
            }
        }
        self.lost = true;
        self.wanted.store(self.conn.generation, Ordering::Relaxed);
        Connection::reopen_in_background(
            &self.dialer,
            self.conn.generation,
            &self.tx,
            &self.wanted,
        );
    }

    /// A reconnect made a connection: greet and log in on it.
    fn reconnected(&mut self, generation: u64, socket: Socket) {
        if generation != self.conn.generation {
            return;
        }
        match Connection::adopt(socket, generation, &self.tx) {
            Ok(conn) => self.conn = conn,
            Err(_) => return self.lose(""),
        }
        self.screen.view.link = Link::Connecting;
        // With several servers, the one it moved to.
        let addr = self.dialer.current_addr().to_owned();
        self.greeting = Greeting::new(&addr, self.dialer.tls.is_some());
        self.screen.view.server = addr;
        self.session.on_connected();
    }

    /// Asks for who is online without showing the rows (the status bar's
    /// count).
    fn quiet_users(&mut self) {
        if self.session.send(&Command::ViewUsers { page: 1 }).is_ok() {
            self.screen.quiet_users = true;
        }
    }

    fn on_session(&mut self, ev: SessionEvent) -> Result<Option<Outcome>, ClientError> {
        match ev {
            SessionEvent::Line(line) => {
                if let Err(wrong) = self.greeting.on_line(line.text()) {
                    return Ok(self.not_chat1(wrong));
                }
                self.ever_greeted |= self.greeting.greeted();
                if !self.session.is_logged_in() {
                    self.refused = line.error().is_some();
                    // The session answers the dialog itself (--user, or a
                    // re-login after a reconnect): no question for the user.
                    let asked = matches!(line.reply(), Ok(Reply::Ask { .. }));
                    if asked && self.session.user().is_some() {
                        return Ok(None);
                    }
                    // Said once already, before the connection was lost.
                    let hello = matches!(line.reply(), Ok(Reply::Hello { .. }));
                    if hello && self.lost {
                        return Ok(None);
                    }
                }
                self.screen.on_line(&line);
            }
            SessionEvent::LoggedIn { .. } => {
                self.refused = false;
                if std::mem::take(&mut self.lost) {
                    self.screen
                        .view
                        .notice_in(Place::Lobby, Kind::Notice, "Reconnected.");
                    if !matches!(self.screen.view.windows.current().place, Place::Lobby) {
                        self.screen.view.notice(Kind::Notice, "Reconnected.");
                    }
                }
                for line in std::mem::take(&mut self.held) {
                    self.send(&line);
                }
                self.quiet_users();
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
            // The CTL line said so on screen.
            SessionEvent::Restarting => self.lose(""),
            SessionEvent::Unreadable(e) => {
                self.screen
                    .view
                    .notice(Kind::Error, format!("a server line was skipped: {e}"));
            }
            SessionEvent::PasswordChanged | _ => {}
        }
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
                if matches!(view.link, Link::Retrying(_)) {
                    self.farewell = Some(format!(
                        "connection to {} lost; stopped reconnecting",
                        self.dialer.addr
                    ));
                    return Some(Outcome::Failed);
                }
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
            // Windows as irssi and weechat have them: Alt-1..9, Alt-0 for
            // 10, Alt-Left/Right and Ctrl-P/N for the one before or after.
            KeyCode::Char(c @ '0'..='9') if alt => {
                let n = c.to_digit(10).unwrap_or(0) as usize;
                view.windows.show(if n == 0 { 9 } else { n - 1 });
            }
            KeyCode::Left if alt => view.windows.step(-1),
            KeyCode::Right if alt => view.windows.step(1),
            KeyCode::Char('p') if ctrl => view.windows.step(-1),
            KeyCode::Char('n') if ctrl => view.windows.step(1),
            KeyCode::Char('b') if alt => e.word_left(),
            KeyCode::Char('f') if alt => e.word_right(),
            KeyCode::Left if ctrl => e.word_left(),
            KeyCode::Right if ctrl => e.word_right(),
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
                let (_, word, before) = view.editor.word_before_cursor();
                let (candidates, end) = complete::candidates(view, &before, &word);
                let found = view.editor.complete(&candidates, end);
                if !found.is_empty() {
                    view.notice(Kind::Notice, found.join(" "));
                }
            }
            KeyCode::Enter => self.enter(),
            _ => {}
        }
        None
    }

    fn enter(&mut self) {
        match self.screen.enter_line() {
            Some(Entered::Answer(answer)) => {
                let _ = self.session.send_line(&answer);
            }
            Some(Entered::Line(line)) => self.send(&line),
            None => {}
        }
    }

    fn send(&mut self, line: &str) {
        if matches!(self.screen.view.link, Link::Retrying(_)) {
            let v = &mut self.screen.view;
            if self.held.len() < MAX_HELD {
                self.held.push(line.to_owned());
                v.notice(Kind::Notice, "(held until the server is back)");
            } else {
                v.notice(Kind::Error, "too many lines held; this one was dropped");
            }
            return;
        }
        if let Some(older) = parse_older(line) {
            return self.older(older);
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

impl Ui {
    /// `/older <room|@user> [count]`: the lines before the oldest one
    /// shown of a conversation, paged by id.
    fn older(&mut self, older: Result<Older<'_>, ()>) {
        let sent = older.map(|o| self.session.older_lines(o.of, o.count));
        if !matches!(sent, Ok(Ok(()))) {
            self.screen.view.notice(Kind::Error, older::USAGE);
        }
    }
}
