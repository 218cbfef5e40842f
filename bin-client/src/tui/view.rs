//! What the full-screen interface shows, and drawing it: the message pane,
//! the status bar and the input line.

use std::collections::BTreeSet;

use chrono::{DateTime, Local, TimeZone};
use ratatui::layout::{Constraint, Layout, Position};
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Wrap};
use ratatui::Frame;

use chat_core::Grant;

use super::editor::Editor;

/// The most lines the message pane keeps.
const SCROLLBACK: usize = 5000;

/// What a line in the message pane is, for its looks.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Kind {
    /// A room message.
    Room,
    /// A private message received.
    PrivateIn,
    /// A private message we sent.
    PrivateOut,
    /// Someone joined or left.
    Presence,
    /// The client or the server telling something.
    Notice,
    /// An error.
    Error,
    /// A row of a listing (`/users`, the kick list, `/help`).
    Listing,
}

/// One line of the message pane.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Entry {
    /// `HH:MM` when the line is about a moment.
    pub(crate) stamp: Option<String>,
    pub(crate) kind: Kind,
    /// The sender, or the other side of a private message.
    pub(crate) who: Option<String>,
    pub(crate) text: String,
}

/// `HH:MM` of a Unix-milliseconds time, in `tz`.
pub(crate) fn clock<Tz: TimeZone>(millis: u64, tz: &Tz) -> String
where
    Tz::Offset: std::fmt::Display,
{
    i64::try_from(millis)
        .ok()
        .and_then(DateTime::from_timestamp_millis)
        .map(|t| t.with_timezone(tz).format("%H:%M").to_string())
        .unwrap_or_else(|| "--:--".to_owned())
}

/// A question being answered on the input line (the login dialog, the
/// password change).
#[derive(Clone, Debug)]
pub(crate) struct Ask {
    pub(crate) prompt: String,
    /// Shown as `*`s and never kept in the history.
    pub(crate) secret: bool,
}

/// Everything on screen.
#[derive(Debug, Default)]
pub(crate) struct View {
    pub(crate) server: String,
    pub(crate) user: Option<String>,
    pub(crate) grant: Option<Grant>,
    pub(crate) busy: bool,
    /// `connected`, `connecting`, `offline`...
    pub(crate) link: String,
    pub(crate) online: BTreeSet<String>,
    /// How many are online when the server said more than we know by name.
    pub(crate) online_total: Option<u64>,
    pub(crate) entries: Vec<Entry>,
    /// Rows scrolled back from the bottom (Page Up/Down).
    pub(crate) scroll: usize,
    pub(crate) editor: Editor,
    pub(crate) ask: Option<Ask>,
}

impl View {
    /// Adds a line to the pane.
    pub(crate) fn push(&mut self, entry: Entry) {
        if self.entries.len() == SCROLLBACK {
            self.entries.remove(0);
        }
        self.entries.push(entry);
    }

    /// A notice from the client itself, stamped now.
    pub(crate) fn notice(&mut self, kind: Kind, text: impl Into<String>) {
        self.push(Entry {
            stamp: Some(Local::now().format("%H:%M").to_string()),
            kind,
            who: None,
            text: text.into(),
        });
    }

    /// Whether a line mentions our name (as a word, any case).
    fn mentions_me(&self, text: &str) -> bool {
        let Some(me) = &self.user else { return false };
        let me = me.to_lowercase();
        text.to_lowercase()
            .split(|c: char| !c.is_alphanumeric() && c != '_' && c != '-')
            .any(|w| w == me)
    }

    fn styled(&self, e: &Entry) -> Line<'static> {
        let dim = Style::default().fg(Color::DarkGray);
        let mut spans = Vec::new();
        if let Some(s) = &e.stamp {
            spans.push(Span::styled(format!("{s} "), dim));
        }
        let who = e.who.clone().unwrap_or_default();
        let mine = self.user.as_deref() == Some(who.as_str());
        match e.kind {
            Kind::Room => {
                let name_style = if mine {
                    Style::default()
                        .fg(Color::Green)
                        .add_modifier(Modifier::BOLD)
                } else {
                    Style::default()
                        .fg(Color::Cyan)
                        .add_modifier(Modifier::BOLD)
                };
                spans.push(Span::styled(format!("<{who}> "), name_style));
                let text_style = if !mine && self.mentions_me(&e.text) {
                    Style::default()
                        .fg(Color::Black)
                        .bg(Color::Yellow)
                        .add_modifier(Modifier::BOLD)
                } else {
                    Style::default()
                };
                spans.push(Span::styled(e.text.clone(), text_style));
            }
            Kind::PrivateIn | Kind::PrivateOut => {
                let style = Style::default().fg(Color::Magenta);
                let arrow = if e.kind == Kind::PrivateIn {
                    format!("[{who} → you] ")
                } else {
                    format!("[you → {who}] ")
                };
                spans.push(Span::styled(arrow, style.add_modifier(Modifier::BOLD)));
                spans.push(Span::styled(e.text.clone(), style));
            }
            Kind::Presence => spans.push(Span::styled(
                format!("* {}", e.text),
                Style::default().fg(Color::Blue),
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

    fn status(&self) -> Line<'static> {
        let bar = Style::default().bg(Color::Blue).fg(Color::White);
        let user = match (&self.user, self.grant) {
            (Some(u), Some(Grant::Admin)) => format!("{u} (admin)"),
            (Some(u), _) => format!("{u} (user)"),
            (None, _) => "not logged in".to_owned(),
        };
        let presence = if self.busy { "busy" } else { "free" };
        let count = self.online_total.unwrap_or(self.online.len() as u64);
        let names: Vec<&str> = self.online.iter().map(String::as_str).collect();
        let scrolled = if self.scroll > 0 {
            format!(" | scrolled back {} rows (PgDn)", self.scroll)
        } else {
            String::new()
        };
        Line::from(vec![
            Span::styled(format!(" {} [{}]", self.server, self.link), bar),
            // Before the names, which may not fit.
            Span::styled(scrolled, bar.fg(Color::Yellow)),
            Span::styled(
                format!(
                    " | {user} | {presence} | room | {count} online: {}",
                    names.join(" ")
                ),
                bar,
            ),
        ])
        .style(bar)
    }

    /// Draws the whole screen.
    pub(crate) fn draw(&mut self, frame: &mut Frame<'_>) {
        let [pane, status, input] = Layout::vertical([
            Constraint::Min(1),
            Constraint::Length(1),
            Constraint::Length(1),
        ])
        .areas(frame.area());

        let lines: Vec<Line<'static>> = self.entries.iter().map(|e| self.styled(e)).collect();
        let para = Paragraph::new(lines).wrap(Wrap { trim: false });
        // Rows after wrapping, so the newest line sits at the bottom and a
        // resize reflows.
        let rows = para.line_count(pane.width);
        let bottom = rows.saturating_sub(pane.height as usize);
        self.scroll = self.scroll.min(bottom);
        let top = bottom - self.scroll;
        let top = u16::try_from(top).unwrap_or(u16::MAX);
        frame.render_widget(para.scroll((top, 0)), pane);
        frame.render_widget(Paragraph::new(self.status()), status);

        let (prompt, shown) = match &self.ask {
            Some(a) if a.secret => (
                format!("{} ", a.prompt),
                "*".repeat(self.editor.text().chars().count()),
            ),
            Some(a) => (format!("{} ", a.prompt), self.editor.text()),
            None => ("> ".to_owned(), masked(&self.editor.text())),
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
        self.scroll = self.scroll.saturating_add_signed(rows);
    }
}

/// A typed `/changepassword old new` never shows its passwords.
fn masked(text: &str) -> String {
    let trimmed = text.trim_start();
    let indent = &text[..text.len() - trimmed.len()];
    match trimmed.split_once(' ') {
        Some((cmd, rest)) if cmd.eq_ignore_ascii_case("/changepassword") => {
            let stars: String = rest
                .chars()
                .map(|c| if c == ' ' { ' ' } else { '*' })
                .collect();
            format!("{indent}{cmd} {stars}")
        }
        _ => text.to_owned(),
    }
}
