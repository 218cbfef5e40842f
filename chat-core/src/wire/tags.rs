//! Extension: line tags and history points.
//!
//! A client that sends `/tags on` gets server lines that may start with
//! tags: `@` and `key=value` pairs separated by `;`, then a space, then
//! the line as ever. The first tag is `id`, a message's id, on `MSG`,
//! `PM`, `RMSG`, `HIST` and `OK sent`; then `kind`, on a notice's or an
//! action's `MSG`, `RMSG`, `PM` or `HIST` (`kind=notice`, `kind=action`;
//! a line said plainly has none); after them come the message's
//! client-only tags (`+name=value`, as IRC's message tags write them),
//! and a message of tags alone is a `TAGMSG` line. A client ignores keys
//! it does not know. Without `/tags on` no line carries tags and no
//! `TAGMSG` comes, so a client that never asks sees chat/1 as it always
//! was.
//!
//! A history point names a place in a conversation: `id=<id>` (a line)
//! or `<ts>` (a moment, Unix milliseconds); `/history` takes either, and
//! `END history` writes an id to a client with tags on, else a time.

pub use crate::command::{parse_point, point_text};
use crate::reply::HistoryMark;
use crate::{ClientTags, HistoryPoint, MessageKind, MsgId};

/// The tags of a server line (empty when it has none).
///
/// ```
/// use chat_core::wire::split_tags;
/// use chat_core::MsgId;
/// let (tags, line) = split_tags("@id=17 MSG 5 ann hi");
/// assert_eq!((tags.id(), line), (Some(MsgId(17)), "MSG 5 ann hi"));
/// let (tags, line) = split_tags("MSG 5 ann hi");
/// assert_eq!((tags.id(), line), (None, "MSG 5 ann hi"));
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Tags<'a> {
    raw: &'a str,
}

impl<'a> Tags<'a> {
    /// The value of a tag, if the line has it.
    pub fn get(&self, key: &str) -> Option<&'a str> {
        self.raw
            .split(';')
            .filter_map(|pair| pair.split_once('='))
            .find_map(|(k, v)| (k == key).then_some(v))
    }

    /// The message id (`id=`), if the line has one.
    pub fn id(&self) -> Option<MsgId> {
        self.get("id").and_then(digits).map(MsgId)
    }

    /// How the message is meant (`kind=`): a notice or an action; said
    /// when the line has no kind, or one this side does not know.
    ///
    /// ```
    /// use chat_core::wire::split_tags;
    /// use chat_core::MessageKind;
    /// let (tags, _) = split_tags("@id=17;kind=action MSG 5 ann waves");
    /// assert_eq!(tags.kind(), MessageKind::Action);
    /// assert_eq!(split_tags("@id=17 MSG 5 ann hi").0.kind(), MessageKind::Said);
    /// ```
    pub fn kind(&self) -> MessageKind {
        match self.get("kind") {
            Some(NOTICE) => MessageKind::Notice,
            Some(ACTION) => MessageKind::Action,
            _ => MessageKind::Said,
        }
    }

    /// The client-only tags (`+name=value`, after the id and the kind),
    /// if the line has them in their one form.
    ///
    /// ```
    /// use chat_core::wire::split_tags;
    /// let (tags, _) = split_tags(r"@id=17;+typing=active;+draft/reply=3 TAGMSG lobby 5 ann");
    /// assert_eq!(tags.client().as_str(), "+typing=active;+draft/reply=3");
    /// ```
    pub fn client(&self) -> ClientTags<'a> {
        let start = match self.raw.find(";+") {
            _ if self.raw.starts_with('+') => 0,
            Some(i) => i + 1,
            None => return ClientTags::NONE,
        };
        ClientTags::new(&self.raw[start..]).unwrap_or_default()
    }

    /// Whether the line has no tags.
    pub fn is_empty(&self) -> bool {
        self.raw.is_empty()
    }
}

/// Splits a server line into its tags and the line after them.
pub fn split_tags(line: &str) -> (Tags<'_>, &str) {
    match line.strip_prefix('@').and_then(|l| l.split_once(' ')) {
        Some((raw, rest)) => (Tags { raw }, rest),
        None => (Tags::default(), line),
    }
}

/// The `kind` tag's value for a notice.
const NOTICE: &str = "notice";
/// The `kind` tag's value for an action.
const ACTION: &str = "action";

/// Writes the tags of a line with message id `id`, of `kind` and with the
/// client-only tags `client` (nothing when it has none of them: a line
/// said plainly has no `kind`, nor has one of tags alone, which is its
/// own line, `TAGMSG`).
pub(crate) fn write_tags(
    id: Option<MsgId>,
    kind: MessageKind,
    client: ClientTags<'_>,
    out: &mut Vec<u8>,
) {
    let kind = match kind {
        MessageKind::Notice => Some(NOTICE),
        MessageKind::Action => Some(ACTION),
        _ => None,
    };
    if id.is_none() && kind.is_none() && client.is_empty() {
        return;
    }
    out.push(b'@');
    let mut first = true;
    let mut sep = |out: &mut Vec<u8>| {
        if !std::mem::replace(&mut first, false) {
            out.push(b';');
        }
    };
    if let Some(id) = id {
        sep(out);
        out.extend_from_slice(b"id=");
        out.extend_from_slice(id.0.to_string().as_bytes());
    }
    if let Some(kind) = kind {
        sep(out);
        out.extend_from_slice(b"kind=");
        out.extend_from_slice(kind.as_bytes());
    }
    if !client.is_empty() {
        sep(out);
        out.extend_from_slice(client.as_str().as_bytes());
    }
    out.push(b' ');
}

/// Decimal digits only (`u64::from_str` would take a leading `+`).
fn digits(s: &str) -> Option<u64> {
    if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    s.parse().ok()
}

/// The point `END history` writes for a mark: its id if it has one (the
/// renderer leaves the id out for a client without tags), else its time.
pub(crate) fn mark_point(mark: HistoryMark) -> Option<HistoryPoint> {
    mark.id
        .map(HistoryPoint::Id)
        .or(mark.at.map(HistoryPoint::Time))
}
