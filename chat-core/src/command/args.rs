//! The arguments of a typed command, both ways: each kind of argument
//! reads itself from the rest of the line ([`Args`]) and writes itself to
//! a line ([`Line`]), so a form declared with its kinds parses and
//! encodes alike.

use super::spec::Trailing;
use super::{HistoryPoint, HistoryRange, HistoryTarget, TopicChange};
use crate::{Grant, Millis, ModeEdit, MsgId};

/// Why a command cannot be written as one line that parses back to it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum EncodeError {
    /// A field holds a line break, which would end the line early (and let
    /// the rest pass as a second command).
    #[error("the {0} contains a line break")]
    LineBreak(&'static str),
    /// A one-word field (a name, a password before another field) is
    /// empty or holds a space.
    #[error("the {0} must be one word")]
    NotOneWord(&'static str),
    /// A field that may not be empty is, or a trailing field has spaces at
    /// its ends (the server trims them).
    #[error("the {0} is empty or has spaces at its ends")]
    BadText(&'static str),
    /// The command has no typed form (an IRC guest's login, IRC's `JOIN`
    /// and `NAMES` of a room); the name is its variant's.
    #[error("the {0} command has no chat/1 form")]
    NoChat1Form(&'static str),
}

/// The arguments of a typed command, read left to right.
#[derive(Debug)]
pub struct Args<'a> {
    rest: &'a str,
}

impl<'a> Args<'a> {
    /// The arguments after a command's name (leading spaces dropped).
    pub(crate) fn new(args: &'a str) -> Args<'a> {
        Args {
            rest: args.trim_start_matches(' '),
        }
    }

    /// The next word, up to the next space (which is dropped); a second
    /// space starts an empty word.
    pub(crate) fn word(&mut self) -> &'a str {
        let (word, rest) = self.rest.split_once(' ').unwrap_or((self.rest, ""));
        self.rest = rest;
        word
    }

    /// Everything left, as it is.
    pub(crate) fn rest(&mut self) -> &'a str {
        std::mem::take(&mut self.rest)
    }

    /// The next word after any spaces, without taking it.
    pub(crate) fn peek_spaced(&self) -> Option<&'a str> {
        self.rest.split(' ').find(|w| !w.is_empty())
    }

    /// Takes the next word after any spaces.
    pub(crate) fn take_spaced(&mut self) -> Option<&'a str> {
        self.rest = self.rest.trim_start_matches(' ');
        let word = self.word();
        (!word.is_empty()).then_some(word)
    }

    /// Whether what is left may end the line.
    pub(crate) fn end(&self, trailing: Trailing) -> bool {
        trailing == Trailing::Ignored || self.rest.trim().is_empty()
    }
}

/// A client line being written: `/name` and its arguments.
#[derive(Debug)]
pub struct Line {
    text: String,
}

impl Line {
    /// A line starting with `/name`.
    pub(crate) fn start(name: &str) -> Line {
        let mut text = String::with_capacity(64);
        text.push('/');
        text.push_str(name);
        Line { text }
    }

    fn push(&mut self, part: &str) {
        self.text.push(' ');
        self.text.push_str(part);
    }

    /// The line, with its ending.
    pub(crate) fn finish(mut self) -> String {
        self.text.push('\n');
        self.text
    }
}

fn no_break(label: &'static str, s: &str) -> Result<(), EncodeError> {
    if s.contains(['\n', '\r']) {
        Err(EncodeError::LineBreak(label))
    } else {
        Ok(())
    }
}

/// A kind of argument: how it reads and writes itself.
pub trait Kind<'a> {
    /// What it reads as.
    type Value;
    /// Whether it may be left out.
    const OPTIONAL: bool;
    /// A value as typed, for examples and for the test that reads and
    /// writes every form.
    const SAMPLE: &'static str;
    /// Reads it, `None` when the line does not hold one.
    fn read(args: &mut Args<'a>) -> Option<Self::Value>;
    /// Writes it (nothing for a value left out), `Ok(false)` when this
    /// value is another form's to write.
    fn write(
        value: &Self::Value,
        label: &'static str,
        line: &mut Line,
    ) -> Result<bool, EncodeError>;
}

/// One word (a name): up to the next space.
#[derive(Debug)]
pub struct OneWord;

impl<'a> Kind<'a> for OneWord {
    type Value = &'a str;
    const OPTIONAL: bool = false;
    const SAMPLE: &'static str = "bob";
    fn read(args: &mut Args<'a>) -> Option<&'a str> {
        let word = args.word();
        (!word.is_empty()).then_some(word)
    }
    fn write(value: &&'a str, label: &'static str, line: &mut Line) -> Result<bool, EncodeError> {
        one_word(label, value)?;
        line.push(value);
        Ok(true)
    }
}

fn one_word(label: &'static str, s: &str) -> Result<(), EncodeError> {
    no_break(label, s)?;
    if s.is_empty() || s.contains(' ') {
        return Err(EncodeError::NotOneWord(label));
    }
    Ok(())
}

/// The rest of the line as it is, spaces included (a message, a
/// password); not empty.
#[derive(Debug)]
pub struct Text;

impl<'a> Kind<'a> for Text {
    type Value = &'a str;
    const OPTIONAL: bool = false;
    const SAMPLE: &'static str = "hi there";
    fn read(args: &mut Args<'a>) -> Option<&'a str> {
        let text = args.rest();
        (!text.is_empty()).then_some(text)
    }
    fn write(value: &&'a str, label: &'static str, line: &mut Line) -> Result<bool, EncodeError> {
        no_break(label, value)?;
        if value.is_empty() {
            return Err(EncodeError::BadText(label));
        }
        line.push(value);
        Ok(true)
    }
}

/// The rest of the line, trimmed; left out when blank (a reason, a
/// token).
#[derive(Debug)]
pub struct OptText;

impl<'a> Kind<'a> for OptText {
    type Value = Option<&'a str>;
    const OPTIONAL: bool = true;
    const SAMPLE: &'static str = "too loud";
    fn read(args: &mut Args<'a>) -> Option<Option<&'a str>> {
        let text = args.rest().trim();
        Some((!text.is_empty()).then_some(text))
    }
    fn write(
        value: &Option<&'a str>,
        label: &'static str,
        line: &mut Line,
    ) -> Result<bool, EncodeError> {
        if let Some(text) = value {
            no_break(label, text)?;
            if text.trim() != *text || text.is_empty() {
                return Err(EncodeError::BadText(label));
            }
            line.push(text);
        }
        Ok(true)
    }
}

/// A page of a listing, from 1; page 1 when left out (and written so).
#[derive(Debug)]
pub struct Page;

impl<'a> Kind<'a> for Page {
    type Value = u64;
    const OPTIONAL: bool = true;
    const SAMPLE: &'static str = "2";
    fn read(args: &mut Args<'a>) -> Option<u64> {
        let text = args.rest().trim();
        if text.is_empty() {
            return Some(1);
        }
        text.parse().ok().filter(|n| *n >= 1)
    }
    fn write(value: &u64, _: &'static str, line: &mut Line) -> Result<bool, EncodeError> {
        if *value != 1 {
            line.push(&value.to_string());
        }
        Ok(true)
    }
}

/// A grant as chat/1 writes it: `0` (admin) or `1` (user).
#[derive(Debug)]
pub struct GrantWord;

impl<'a> Kind<'a> for GrantWord {
    type Value = Grant;
    const OPTIONAL: bool = false;
    const SAMPLE: &'static str = "0";
    fn read(args: &mut Args<'a>) -> Option<Grant> {
        Grant::from_wire(args.rest().trim())
    }
    fn write(value: &Grant, _: &'static str, line: &mut Line) -> Result<bool, EncodeError> {
        line.push(value.as_wire());
        Ok(true)
    }
}

/// A topic's new text, or none to show it. Clearing it is another form's
/// (`/cleartopic`).
#[derive(Debug)]
pub struct TopicText;

impl<'a> Kind<'a> for TopicText {
    type Value = TopicChange<'a>;
    const OPTIONAL: bool = true;
    const SAMPLE: &'static str = "all about it";
    fn read(args: &mut Args<'a>) -> Option<TopicChange<'a>> {
        let text = args.rest();
        Some(if text.trim().is_empty() {
            TopicChange::Show
        } else {
            TopicChange::Set(text)
        })
    }
    fn write(
        value: &TopicChange<'a>,
        label: &'static str,
        line: &mut Line,
    ) -> Result<bool, EncodeError> {
        match *value {
            TopicChange::Show => {}
            // Blank text would read back as showing the topic.
            TopicChange::Set(text) if text.trim().is_empty() => {
                return Err(EncodeError::BadText(label))
            }
            TopicChange::Set(text) => {
                Text::write(&text, label, line)?;
            }
            TopicChange::Clear => return Ok(false),
        }
        Ok(true)
    }
}

/// Whose history: a room by name, or `@user` for private messages.
#[derive(Debug)]
pub struct Target;

impl<'a> Kind<'a> for Target {
    type Value = HistoryTarget<'a>;
    const OPTIONAL: bool = false;
    const SAMPLE: &'static str = "@bob";
    fn read(args: &mut Args<'a>) -> Option<HistoryTarget<'a>> {
        let word = args.take_spaced()?;
        Some(match word.strip_prefix('@') {
            Some(user) if !user.is_empty() => HistoryTarget::Private(user),
            Some(_) => return None,
            None => HistoryTarget::Room(word),
        })
    }
    fn write(
        value: &HistoryTarget<'a>,
        _: &'static str,
        line: &mut Line,
    ) -> Result<bool, EncodeError> {
        match *value {
            HistoryTarget::Room(room) if room.starts_with('@') => {
                Err(EncodeError::NotOneWord("room"))
            }
            HistoryTarget::Room(room) => OneWord::write(&room, "room", line),
            HistoryTarget::Private(user) => {
                one_word("user", user)?;
                line.push(&format!("@{user}"));
                Ok(true)
            }
        }
    }
}

/// How many lines at most: a number from 1, when the next word starts
/// with a digit (else the range follows, or nothing).
#[derive(Debug)]
pub struct Count;

impl<'a> Kind<'a> for Count {
    type Value = Option<u64>;
    const OPTIONAL: bool = true;
    const SAMPLE: &'static str = "5";
    fn read(args: &mut Args<'a>) -> Option<Option<u64>> {
        match args.peek_spaced() {
            Some(w) if w.starts_with(|c: char| c.is_ascii_digit()) => {
                let n = digits(args.take_spaced()?)?;
                (n >= 1).then_some(Some(n))
            }
            _ => Some(None),
        }
    }
    fn write(
        value: &Option<u64>,
        label: &'static str,
        line: &mut Line,
    ) -> Result<bool, EncodeError> {
        match *value {
            Some(0) => return Err(EncodeError::BadText(label)),
            Some(n) => line.push(&n.to_string()),
            None => {}
        }
        Ok(true)
    }
}

/// Which lines of a history: `before`, `after`, `around` or `since` a
/// point, or `between` two; the latest when left out.
#[derive(Debug)]
pub struct Range;

impl<'a> Kind<'a> for Range {
    type Value = HistoryRange;
    const OPTIONAL: bool = true;
    const SAMPLE: &'static str = "before id=5";
    fn read(args: &mut Args<'a>) -> Option<HistoryRange> {
        let Some(word) = args.take_spaced() else {
            return Some(HistoryRange::Latest(None));
        };
        let mut point = || args.take_spaced().and_then(parse_point);
        Some(match word {
            "before" => HistoryRange::Before(point()?),
            "after" => HistoryRange::After(point()?),
            "around" => HistoryRange::Around(point()?),
            "since" => HistoryRange::Latest(Some(point()?)),
            "between" => {
                let first = point()?;
                HistoryRange::Between(first, point()?)
            }
            _ => return None,
        })
    }
    fn write(value: &HistoryRange, _: &'static str, line: &mut Line) -> Result<bool, EncodeError> {
        let (word, points) = match *value {
            HistoryRange::Latest(None) => return Ok(true),
            HistoryRange::Latest(Some(p)) => ("since", [Some(p), None]),
            HistoryRange::Before(p) => ("before", [Some(p), None]),
            HistoryRange::After(p) => ("after", [Some(p), None]),
            HistoryRange::Around(p) => ("around", [Some(p), None]),
            HistoryRange::Between(a, b) => ("between", [Some(a), Some(b)]),
        };
        line.push(word);
        for p in points.into_iter().flatten() {
            line.push(&point_text(p));
        }
        Ok(true)
    }
}

/// Reads a history point: `id=<id>` or `<ts>`.
///
/// ```
/// use chat_core::wire::parse_point;
/// use chat_core::{HistoryPoint, Millis, MsgId};
/// assert_eq!(parse_point("id=42"), Some(HistoryPoint::Id(MsgId(42))));
/// assert_eq!(parse_point("1700000000000"), Some(HistoryPoint::Time(Millis(1_700_000_000_000))));
/// assert_eq!(parse_point("id="), None);
/// ```
pub fn parse_point(word: &str) -> Option<HistoryPoint> {
    match word.strip_prefix("id=") {
        Some(id) => digits(id).map(|n| HistoryPoint::Id(MsgId(n))),
        None => digits(word).map(|n| HistoryPoint::Time(Millis(n))),
    }
}

/// A history point as it is typed (and as `END history` writes it).
pub fn point_text(point: HistoryPoint) -> String {
    match point {
        HistoryPoint::Id(id) => format!("id={id}"),
        HistoryPoint::Time(at) => at.0.to_string(),
    }
}

/// `on` or `off`, in any case.
#[derive(Debug)]
pub struct OnOff;

impl<'a> Kind<'a> for OnOff {
    type Value = bool;
    const OPTIONAL: bool = false;
    const SAMPLE: &'static str = "on";
    fn read(args: &mut Args<'a>) -> Option<bool> {
        match args.rest().trim_matches(' ') {
            w if w.eq_ignore_ascii_case("on") => Some(true),
            w if w.eq_ignore_ascii_case("off") => Some(false),
            _ => None,
        }
    }
    fn write(value: &bool, _: &'static str, line: &mut Line) -> Result<bool, EncodeError> {
        line.push(if *value { "on" } else { "off" });
        Ok(true)
    }
}

/// A number written in digits only (no sign).
fn digits(word: &str) -> Option<u64> {
    if word.is_empty() || !word.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    word.parse().ok()
}

/// A change of a room's modes, `+sk-t key` ([`ModeEdit`]); left out to
/// show them.
#[derive(Debug)]
pub struct ModeText;

impl<'a> Kind<'a> for ModeText {
    type Value = Option<ModeEdit<'a>>;
    const OPTIONAL: bool = true;
    const SAMPLE: &'static str = "+s-t";
    fn read(args: &mut Args<'a>) -> Option<Option<ModeEdit<'a>>> {
        let text = args.rest().trim();
        if text.is_empty() {
            return Some(None);
        }
        ModeEdit::parse(text).ok().map(Some)
    }
    fn write(
        value: &Option<ModeEdit<'a>>,
        label: &'static str,
        line: &mut Line,
    ) -> Result<bool, EncodeError> {
        match value {
            None => {}
            // An empty change would read back as showing the modes.
            Some(edit) if edit.is_empty() => return Err(EncodeError::BadText(label)),
            Some(edit) => line.push(&edit.to_string()),
        }
        Ok(true)
    }
}
