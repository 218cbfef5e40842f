//! The input line: editing keys, a history of what was sent, and Tab
//! completion of commands and names.

use unicode_width::UnicodeWidthStr;

/// The most lines the history keeps.
const HISTORY: usize = 500;

/// One line being typed, with its cursor (a char index) and the history.
#[derive(Debug, Default)]
pub(crate) struct Editor {
    chars: Vec<char>,
    cursor: usize,
    history: Vec<String>,
    /// Where Up/Down are in the history; `None` at the line being typed.
    browsing: Option<usize>,
    /// The line being typed while browsing the history.
    draft: Vec<char>,
}

fn is_word(c: char) -> bool {
    !c.is_whitespace()
}

impl Editor {
    /// The text typed.
    pub(crate) fn text(&self) -> String {
        self.chars.iter().collect()
    }

    /// The cursor's column on screen (wide characters count twice).
    pub(crate) fn cursor_column(&self) -> usize {
        let before: String = self.chars[..self.cursor].iter().collect();
        before.width()
    }

    /// The cursor as a char index.
    #[cfg(test)]
    pub(crate) fn cursor(&self) -> usize {
        self.cursor
    }

    pub(crate) fn insert(&mut self, c: char) {
        self.chars.insert(self.cursor, c);
        self.cursor += 1;
    }

    pub(crate) fn backspace(&mut self) {
        if self.cursor > 0 {
            self.cursor -= 1;
            self.chars.remove(self.cursor);
        }
    }

    pub(crate) fn delete(&mut self) {
        if self.cursor < self.chars.len() {
            self.chars.remove(self.cursor);
        }
    }

    pub(crate) fn left(&mut self) {
        self.cursor = self.cursor.saturating_sub(1);
    }

    pub(crate) fn right(&mut self) {
        self.cursor = (self.cursor + 1).min(self.chars.len());
    }

    pub(crate) fn home(&mut self) {
        self.cursor = 0;
    }

    pub(crate) fn end(&mut self) {
        self.cursor = self.chars.len();
    }

    /// To the start of this or the previous word.
    pub(crate) fn word_left(&mut self) {
        while self.cursor > 0 && !is_word(self.chars[self.cursor - 1]) {
            self.cursor -= 1;
        }
        while self.cursor > 0 && is_word(self.chars[self.cursor - 1]) {
            self.cursor -= 1;
        }
    }

    /// To the end of this or the next word.
    pub(crate) fn word_right(&mut self) {
        let n = self.chars.len();
        while self.cursor < n && !is_word(self.chars[self.cursor]) {
            self.cursor += 1;
        }
        while self.cursor < n && is_word(self.chars[self.cursor]) {
            self.cursor += 1;
        }
    }

    /// Ctrl-W: deletes the word before the cursor.
    pub(crate) fn delete_word(&mut self) {
        let end = self.cursor;
        self.word_left();
        self.chars.drain(self.cursor..end);
    }

    /// Ctrl-U: deletes everything before the cursor.
    pub(crate) fn kill_to_start(&mut self) {
        self.chars.drain(..self.cursor);
        self.cursor = 0;
    }

    /// Ctrl-K: deletes everything from the cursor.
    pub(crate) fn kill_to_end(&mut self) {
        self.chars.truncate(self.cursor);
    }

    /// Enter: the line, which is cleared; `remember` puts it in the
    /// history (never a password).
    pub(crate) fn take(&mut self, remember: bool) -> String {
        let line = self.text();
        self.chars.clear();
        self.cursor = 0;
        self.browsing = None;
        self.draft.clear();
        if remember && !line.trim().is_empty() && self.history.last() != Some(&line) {
            if self.history.len() == HISTORY {
                self.history.remove(0);
            }
            self.history.push(line.clone());
        }
        line
    }

    /// Up: the line sent before the one shown.
    pub(crate) fn older(&mut self) {
        let at = match self.browsing {
            Some(0) => return,
            Some(i) => i - 1,
            None if self.history.is_empty() => return,
            None => {
                self.draft = std::mem::take(&mut self.chars);
                self.history.len() - 1
            }
        };
        self.show_history(Some(at));
    }

    /// Down: the line sent after the one shown, then the draft.
    pub(crate) fn newer(&mut self) {
        match self.browsing {
            None => {}
            Some(i) if i + 1 < self.history.len() => self.show_history(Some(i + 1)),
            Some(_) => self.show_history(None),
        }
    }

    fn show_history(&mut self, at: Option<usize>) {
        self.browsing = at;
        self.chars = match at {
            Some(i) => self.history[i].chars().collect(),
            None => std::mem::take(&mut self.draft),
        };
        self.cursor = self.chars.len();
    }

    /// The word before the cursor (where it starts, as a char index, and
    /// its text) and the words of the line before it.
    pub(crate) fn word_before_cursor(&self) -> (usize, String, Vec<String>) {
        let mut start = self.cursor;
        while start > 0 && is_word(self.chars[start - 1]) {
            start -= 1;
        }
        let word = self.chars[start..self.cursor].iter().collect();
        let before: String = self.chars[..start].iter().collect();
        let words = before.split_whitespace().map(str::to_owned).collect();
        (start, word, words)
    }

    /// Tab: completes the word before the cursor from `candidates` (any
    /// case) to the longest prefix they share; a single one gets `end`
    /// after it. Returns the candidates when there is more than one, for
    /// the screen to list.
    pub(crate) fn complete(&mut self, candidates: &[String], end: &str) -> Vec<String> {
        let (start, word, _) = self.word_before_cursor();
        let lower = word.to_lowercase();
        let found: Vec<&String> = candidates
            .iter()
            .filter(|c| c.to_lowercase().starts_with(&lower))
            .collect();
        let Some(first_found) = found.first() else {
            return Vec::new();
        };
        let mut common: String = (*first_found).clone();
        for f in &found[1..] {
            let n = common
                .chars()
                .zip(f.chars())
                .take_while(|(a, b)| a.to_lowercase().eq(b.to_lowercase()))
                .count();
            common = common.chars().take(n).collect();
        }
        let mut replacement: Vec<char> = common.chars().collect();
        if found.len() == 1 {
            replacement.extend(end.chars());
        }
        if replacement.len() >= self.cursor - start {
            self.chars
                .splice(start..self.cursor, replacement.iter().copied());
            self.cursor = start + replacement.len();
        }
        if found.len() > 1 {
            found.into_iter().cloned().collect()
        } else {
            Vec::new()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn typed(s: &str) -> Editor {
        let mut e = Editor::default();
        s.chars().for_each(|c| e.insert(c));
        e
    }

    #[test]
    fn cursor_moves_by_char_word_and_line() {
        let mut e = typed("hello big world");
        e.word_left();
        assert_eq!(e.cursor(), 10);
        e.word_left();
        assert_eq!(e.cursor(), 6);
        e.insert('X');
        assert_eq!(e.text(), "hello Xbig world");
        e.home();
        e.delete();
        e.end();
        e.backspace();
        assert_eq!(e.text(), "ello Xbig worl");
        e.home();
        e.word_right();
        assert_eq!(e.cursor(), 4);
        e.kill_to_end();
        assert_eq!(e.text(), "ello");
        e.left();
        e.kill_to_start();
        assert_eq!((e.text().as_str(), e.cursor()), ("o", 0));
        let mut e = typed("one two  ");
        e.delete_word();
        assert_eq!(e.text(), "one ");
    }

    #[test]
    fn wide_characters_move_the_cursor_two_columns() {
        let e = typed("日本");
        assert_eq!(e.cursor_column(), 4);
    }

    #[test]
    fn history_goes_back_and_returns_to_the_draft() {
        let mut e = typed("first");
        e.take(true);
        "second".chars().for_each(|c| e.insert(c));
        e.take(true);
        "secret".chars().for_each(|c| e.insert(c));
        e.take(false);
        "draft".chars().for_each(|c| e.insert(c));
        e.older();
        assert_eq!(e.text(), "second");
        e.older();
        e.older();
        assert_eq!(e.text(), "first");
        e.newer();
        assert_eq!(e.text(), "second");
        e.newer();
        assert_eq!(e.text(), "draft");
    }

    #[test]
    fn tab_completes_to_the_common_prefix() {
        let names: Vec<String> = ["alice", "albert", "bob"].map(String::from).to_vec();
        let mut e = typed("/msg B");
        assert!(e.complete(&names, " ").is_empty());
        assert_eq!(e.text(), "/msg bob ");
        let mut e = typed("al");
        assert_eq!(e.complete(&names, ": "), vec!["alice", "albert"]);
        assert_eq!(e.text(), "al");
        let mut e = typed("ali");
        e.complete(&names, ": ");
        assert_eq!(e.text(), "alice: ");
        let mut e = typed("x");
        assert!(e.complete(&names, " ").is_empty());
        assert_eq!(e.text(), "x");
        let (start, word, before) = typed("/remove rust bo").word_before_cursor();
        assert_eq!((start, word.as_str()), (13, "bo"));
        assert_eq!(before, ["/remove", "rust"]);
    }
}
