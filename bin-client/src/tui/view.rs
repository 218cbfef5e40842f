//! What the full-screen interface shows, and drawing it: the shown
//! window's lines, a status bar and the input line.

use std::collections::BTreeSet;
use std::time::Instant;

use ratatui::layout::{Constraint, Layout, Position};
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Wrap};
use ratatui::Frame;

use chat_core::{Grant, MessageKind};

use super::editor::Editor;
use super::windows::{Place, Windows};
use crate::clock::Clock;
use crate::secret;

/// What a line in a window is, for its looks.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Kind {
    /// A line said in a room (the lobby too).
    Room,
    /// A private message received.
    PrivateIn,
    /// A private message we sent.
    PrivateOut,
    /// Someone joined or left, a topic.
    Presence,
    /// The client or the server telling something.
    Notice,
    /// An error.
    Error,
    /// A row of a listing (`/users`, the kick list, `/rooms`, `/help`).
    Listing,
}

/// One line of a window.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Entry {
    /// The time, when the line is about a moment.
    pub(crate) stamp: Option<String>,
    pub(crate) kind: Kind,
    /// The sender, or the other side of a private message.
    pub(crate) who: Option<String>,
    pub(crate) text: String,
    /// Said before we came (history): shown dimmer.
    pub(crate) earlier: bool,
    /// How a message was meant: said, a notice (`-alice- hi`) or an
    /// action (`* alice waves`); said for anything else.
    pub(crate) how: MessageKind,
}

/// A question being answered on the input line (the login dialog, the
/// password change).
#[derive(Clone, Debug)]
pub(crate) struct Ask {
    pub(crate) prompt: String,
    /// Shown as `*`s and never kept in the history.
    pub(crate) secret: bool,
}

/// The state of the connection, as the status bar says it.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) enum Link {
    #[default]
    Connecting,
    Connected,
    /// Lost; the next attempt at this instant (none: trying now).
    Retrying(Option<Instant>),
}

/// Everything on screen.
#[derive(Debug, Default)]
pub(crate) struct View {
    pub(crate) server: String,
    pub(crate) tls: bool,
    pub(crate) user: Option<String>,
    pub(crate) grant: Option<Grant>,
    pub(crate) busy: bool,
    pub(crate) link: Link,
    pub(crate) online: BTreeSet<String>,
    /// How many are online when the server said more than we know by name.
    pub(crate) online_total: Option<u64>,
    pub(crate) windows: Windows,
    pub(crate) editor: Editor,
    pub(crate) ask: Option<Ask>,
    pub(crate) clock: Clock,
    /// Rooms a `/rooms` listing showed (for Tab).
    pub(crate) known_rooms: Vec<String>,
}

impl View {
    /// A notice from the client itself, in the shown window, stamped now.
    pub(crate) fn notice(&mut self, kind: Kind, text: impl Into<String>) {
        let entry = Entry {
            stamp: Some(self.clock.now()),
            kind,
            who: None,
            text: text.into(),
            earlier: false,
            how: MessageKind::Said,
        };
        self.windows.current_mut().push(entry);
    }

    /// A notice in the window of `place`.
    pub(crate) fn notice_in(&mut self, place: Place, kind: Kind, text: impl Into<String>) {
        let entry = Entry {
            stamp: Some(self.clock.now()),
            kind,
            who: None,
            text: text.into(),
            earlier: false,
            how: MessageKind::Said,
        };
        self.windows.say(place, entry, false, false);
    }

    /// Whether a line mentions our name (as a word, any case).
    pub(crate) fn mentions_me(&self, text: &str) -> bool {
        let Some(me) = &self.user else { return false };
        let me = me.to_lowercase();
        text.to_lowercase()
            .split(|c: char| !c.is_alphanumeric() && c != '_' && c != '-' && c != '.')
            .any(|w| w.trim_end_matches('.') == me)
    }

    fn is_me(&self, who: &str) -> bool {
        self.user
            .as_deref()
            .is_some_and(|u| u.eq_ignore_ascii_case(who))
    }

    fn styled(&self, e: &Entry) -> Line<'static> {
        let dim = Style::default().fg(Color::DarkGray);
        let mut spans = Vec::new();
        if let Some(s) = &e.stamp {
            spans.push(Span::styled(format!("{s} "), dim));
        }
        let who = e.who.clone().unwrap_or_default();
        let mine = self.is_me(&who);
        let earlier = if e.earlier {
            Modifier::DIM
        } else {
            Modifier::empty()
        };
        match e.kind {
            Kind::Room => {
                let name_style = if mine {
                    Style::default().fg(Color::Green)
                } else {
                    Style::default().fg(Color::Cyan)
                };
                let name = match e.how {
                    MessageKind::Notice => format!("-{who}- "),
                    MessageKind::Action => format!("* {who} "),
                    _ => format!("<{who}> "),
                };
                spans.push(Span::styled(
                    name,
                    name_style.add_modifier(Modifier::BOLD | earlier),
                ));
                let text_style = if !mine && !e.earlier && self.mentions_me(&e.text) {
                    Style::default()
                        .fg(Color::Black)
                        .bg(Color::Yellow)
                        .add_modifier(Modifier::BOLD)
                } else {
                    Style::default().add_modifier(earlier)
                };
                spans.push(Span::styled(e.text.clone(), text_style));
            }
            Kind::PrivateIn | Kind::PrivateOut => {
                let style = Style::default().fg(Color::Magenta).add_modifier(earlier);
                let (arrow, sender) = if e.kind == Kind::PrivateIn {
                    (format!("[{who} → you] "), who.as_str())
                } else {
                    (
                        format!("[you → {who}] "),
                        self.user.as_deref().unwrap_or("you"),
                    )
                };
                spans.push(Span::styled(arrow, style.add_modifier(Modifier::BOLD)));
                let text = match e.how {
                    MessageKind::Notice => format!("(notice) {}", e.text),
                    MessageKind::Action => format!("* {sender} {}", e.text),
                    _ => e.text.clone(),
                };
                spans.push(Span::styled(text, style));
            }
            Kind::Presence => spans.push(Span::styled(
                format!("* {}", e.text),
                Style::default().fg(Color::Blue).add_modifier(earlier),
            )),
            Kind::Notice => spans.push(Span::styled(
                format!("-- {}", e.text),
                Style::default()
                    .fg(Color::Gray)
                    .add_modifier(Modifier::ITALIC),
            )),
            Kind::Error => spans.push(Span::styled(
                format!("!! {}", e.text),
                Style::default().fg(Color::Red).add_modifier(Modifier::BOLD),
            )),
            Kind::Listing => spans.push(Span::raw(format!("   {}", e.text))),
        }
        Line::from(spans)
    }

    /// The status bar: the link, who we are, the window shown and the
    /// others' unread lines.
    fn status(&self, now: Instant) -> Line<'static> {
        let bar = Style::default().bg(Color::Blue).fg(Color::White);
        let link = match self.link {
            Link::Connecting => "connecting".to_owned(),
            Link::Connected => "connected".to_owned(),
            Link::Retrying(None) => "offline, reconnecting".to_owned(),
            Link::Retrying(Some(at)) => format!(
                "offline, retry in {} s (Ctrl-C stops)",
                at.saturating_duration_since(now).as_secs_f32().ceil() as u64
            ),
        };
        let tls = if self.tls { "TLS" } else { "plain" };
        let mut left = format!(" {} {tls} {link} | ", self.server);
        match (&self.user, self.grant) {
            (Some(u), grant) if self.link == Link::Connected => {
                let role = if grant == Some(Grant::Admin) {
                    "admin"
                } else {
                    "user"
                };
                let presence = if self.busy { "busy" } else { "free" };
                left.push_str(&format!("{u} ({role}) {presence} | "));
            }
            (Some(u), _) => left.push_str(&format!("{u} | ")),
            (None, _) => left.push_str("not logged in | "),
        }
        let w = self.windows.current();
        let parted = if matches!(w.place, Place::Room(_)) && !w.joined {
            " (left)"
        } else {
            ""
        };
        let here = format!("[{}] {}{parted}", self.windows.number(), w.place.title());
        let mut spans = vec![
            Span::styled(left, bar),
            Span::styled(here, bar.add_modifier(Modifier::BOLD)),
        ];
        if w.scroll > 0 {
            spans.push(Span::styled(
                format!(" | scrolled back {} rows (PgDn)", w.scroll),
                bar.fg(Color::Yellow),
            ));
        }
        let act = self.windows.activity();
        if !act.is_empty() {
            spans.push(Span::styled(" | act:", bar));
            for (n, title, count, marked) in act {
                let style = if marked {
                    bar.fg(Color::Yellow).add_modifier(Modifier::BOLD)
                } else {
                    bar
                };
                spans.push(Span::styled(format!(" {n}:{title}({count})"), style));
            }
        }
        if self.user.is_some() && self.link == Link::Connected {
            let count = self.online_total.unwrap_or(self.online.len() as u64);
            spans.push(Span::styled(format!(" | {count} online"), bar));
        }
        Line::from(spans).style(bar)
    }

    /// Draws the whole screen.
    pub(crate) fn draw(&mut self, frame: &mut Frame<'_>) {
        self.draw_at(frame, Instant::now());
    }

    pub(crate) fn draw_at(&mut self, frame: &mut Frame<'_>, now: Instant) {
        let [pane, status, input] = Layout::vertical([
            Constraint::Min(1),
            Constraint::Length(1),
            Constraint::Length(1),
        ])
        .areas(frame.area());

        let lines: Vec<Line<'static>> = self
            .windows
            .current()
            .entries
            .iter()
            .map(|e| self.styled(e))
            .collect();
        let para = Paragraph::new(lines).wrap(Wrap { trim: false });
        // Rows after wrapping, so the newest line sits at the bottom and a
        // resize reflows.
        let rows = para.line_count(pane.width);
        let bottom = rows.saturating_sub(pane.height as usize);
        let w = self.windows.current_mut();
        w.scroll = w.scroll.min(bottom);
        let top = u16::try_from(bottom - w.scroll).unwrap_or(u16::MAX);
        frame.render_widget(para.scroll((top, 0)), pane);
        frame.render_widget(Paragraph::new(self.status(now)), status);

        let (prompt, shown) = match &self.ask {
            Some(a) if a.secret => (
                format!("{} ", a.prompt),
                "*".repeat(self.editor.text().chars().count()),
            ),
            Some(a) => (
                format!("{} ", a.prompt),
                secret::masked(&self.editor.text()),
            ),
            None => (
                format!("[{}] ", self.windows.current().place.title()),
                secret::masked(&self.editor.text()),
            ),
        };
        let prompt_width = unicode_width::UnicodeWidthStr::width(prompt.as_str());
        let cursor = prompt_width + self.editor.cursor_column();
        // Scroll the input sideways so the cursor stays visible.
        let width = input.width as usize;
        let skip = (cursor + 1).saturating_sub(width);
        let text: String = format!("{prompt}{shown}");
        let visible: String = text.chars().skip(skip).collect();
        frame.render_widget(
            Paragraph::new(Line::from(vec![Span::styled(
                visible,
                Style::default().add_modifier(Modifier::BOLD),
            )])),
            input,
        );
        let x = input.x + u16::try_from(cursor - skip).unwrap_or(0);
        frame.set_cursor_position(Position::new(x, input.y));
    }

    /// Page Up/Down: by `rows`.
    pub(crate) fn scroll_by(&mut self, rows: isize) {
        let w = self.windows.current_mut();
        w.scroll = w.scroll.saturating_add_signed(rows);
    }
}
