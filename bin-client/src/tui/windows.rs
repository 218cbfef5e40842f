//! The windows of the full-screen client, as irssi and weechat have them:
//! the lobby (window 1), then each room joined and each private
//! conversation, in the order they came. One is shown; the others count
//! the lines that came while it was not.

use std::collections::BTreeSet;

use super::view::Entry;

/// The most lines one window keeps.
const SCROLLBACK: usize = 5000;

/// What a window is the conversation of.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Place {
    /// The lobby, where everyone is.
    Lobby,
    /// A room besides the lobby, by the name the server gave it.
    Room(String),
    /// Private messages with one user.
    Private(String),
}

impl Place {
    /// `lobby`, `#rust`, `@bob`.
    pub(crate) fn title(&self) -> String {
        match self {
            Place::Lobby => "lobby".to_owned(),
            Place::Room(r) => format!("#{r}"),
            Place::Private(u) => format!("@{u}"),
        }
    }

    /// The same place, names compared without regard to case.
    fn is(&self, other: &Place) -> bool {
        match (self, other) {
            (Place::Lobby, Place::Lobby) => true,
            (Place::Room(a), Place::Room(b)) | (Place::Private(a), Place::Private(b)) => {
                a.eq_ignore_ascii_case(b)
            }
            _ => false,
        }
    }

    /// The room of a line: the lobby is a room named `lobby`.
    pub(crate) fn room(name: &str) -> Place {
        if name.eq_ignore_ascii_case(chat_core::LOBBY) {
            Place::Lobby
        } else {
            Place::Room(name.to_owned())
        }
    }
}

/// One conversation on screen.
#[derive(Debug)]
pub(crate) struct Window {
    pub(crate) place: Place,
    pub(crate) entries: Vec<Entry>,
    /// Rows scrolled back from the bottom (Page Up/Down).
    pub(crate) scroll: usize,
    /// Lines said here while another window was shown.
    pub(crate) unread: u32,
    /// One of them named us, or was a private message.
    pub(crate) mentioned: bool,
    /// A room we are (still) in.
    pub(crate) joined: bool,
    /// People seen in the room (for Tab).
    pub(crate) members: BTreeSet<String>,
}

impl Window {
    fn new(place: Place) -> Window {
        Window {
            place,
            entries: Vec::new(),
            scroll: 0,
            unread: 0,
            mentioned: false,
            joined: true,
            members: BTreeSet::new(),
        }
    }

    /// Adds a line.
    pub(crate) fn push(&mut self, entry: Entry) {
        if self.entries.len() == SCROLLBACK {
            self.entries.remove(0);
        }
        self.entries.push(entry);
    }
}

/// Every window, and which is shown.
#[derive(Debug)]
pub(crate) struct Windows {
    list: Vec<Window>,
    current: usize,
}

impl Default for Windows {
    fn default() -> Windows {
        Windows {
            list: vec![Window::new(Place::Lobby)],
            current: 0,
        }
    }
}

impl Windows {
    /// The window shown.
    pub(crate) fn current(&self) -> &Window {
        &self.list[self.current]
    }

    pub(crate) fn current_mut(&mut self) -> &mut Window {
        &mut self.list[self.current]
    }

    /// The shown window's number, from 1.
    pub(crate) fn number(&self) -> usize {
        self.current + 1
    }

    pub(crate) fn all(&self) -> &[Window] {
        &self.list
    }

    /// The window of `place`, if there is one.
    pub(crate) fn find(&self, place: &Place) -> Option<usize> {
        self.list.iter().position(|w| w.place.is(place))
    }

    /// The window of `place`, opened at the end if there is none.
    pub(crate) fn open(&mut self, place: Place) -> &mut Window {
        let i = match self.find(&place) {
            Some(i) => i,
            None => {
                self.list.push(Window::new(place));
                self.list.len() - 1
            }
        };
        &mut self.list[i]
    }

    /// Shows the window of `place` (opening it).
    pub(crate) fn show_place(&mut self, place: Place) {
        self.open(place.clone());
        if let Some(i) = self.find(&place) {
            self.show(i);
        }
    }

    /// Shows window `i` (from 0), if there is one.
    pub(crate) fn show(&mut self, i: usize) -> bool {
        if i >= self.list.len() {
            return false;
        }
        self.current = i;
        let w = &mut self.list[i];
        w.unread = 0;
        w.mentioned = false;
        true
    }

    /// The window `by` places after the shown one, round.
    pub(crate) fn step(&mut self, by: isize) {
        let n = self.list.len() as isize;
        let i = (self.current as isize + by).rem_euclid(n);
        self.show(i as usize);
    }

    /// Closes the window of `place` (never the lobby's).
    pub(crate) fn close(&mut self, place: &Place) {
        let Some(i) = self.find(place).filter(|&i| i > 0) else {
            return;
        };
        self.list.remove(i);
        if self.current >= i {
            self.current -= 1;
        }
    }

    /// A line for `place` (its window opened if need be); `live` lines of
    /// others count as unread while the window is not shown, and
    /// `important` ones mark it.
    pub(crate) fn say(&mut self, place: Place, entry: Entry, live: bool, important: bool) {
        let shown = self.current().place.is(&place);
        let w = self.open(place);
        w.push(entry);
        if live && !shown {
            w.unread += 1;
            w.mentioned |= important;
        }
    }

    /// The other windows with unread lines: (number, title, count, marked).
    pub(crate) fn activity(&self) -> Vec<(usize, String, u32, bool)> {
        self.list
            .iter()
            .enumerate()
            .filter(|(i, w)| *i != self.current && w.unread > 0)
            .map(|(i, w)| (i + 1, w.place.title(), w.unread, w.mentioned))
            .collect()
    }

    /// The rooms we are in, for Tab.
    pub(crate) fn rooms(&self) -> impl Iterator<Item = &str> {
        self.list.iter().filter_map(|w| match &w.place {
            Place::Room(r) if w.joined => Some(r.as_str()),
            _ => None,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tui::view::Kind;

    fn line(text: &str) -> Entry {
        Entry {
            stamp: None,
            kind: Kind::Notice,
            who: None,
            text: text.to_owned(),
            earlier: false,
            how: chat_core::MessageKind::Said,
        }
    }

    #[test]
    fn windows_open_switch_count_and_close() {
        let mut w = Windows::default();
        w.say(Place::Room("rust".into()), line("a"), true, false);
        w.say(Place::Room("RUST".into()), line("b"), true, true);
        w.say(Place::Private("bob".into()), line("c"), true, false);
        w.say(Place::Lobby, line("d"), true, false);
        assert_eq!(w.all().len(), 3);
        assert_eq!(w.current().entries.len(), 1);
        assert_eq!(
            w.activity(),
            vec![(2, "#rust".into(), 2, true), (3, "@bob".into(), 1, false)]
        );
        w.step(1);
        assert_eq!((w.number(), w.current().unread), (2, 0));
        w.step(-2);
        assert_eq!(w.number(), 3);
        w.close(&Place::Room("Rust".into()));
        assert_eq!(w.number(), 2);
        assert_eq!(w.current().place, Place::Private("bob".into()));
        w.close(&Place::Lobby);
        assert_eq!(w.all().len(), 2);
        assert!(!w.show(5));
    }
}
