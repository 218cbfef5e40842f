//! IRCv3 `draft/chathistory`: reading `CHATHISTORY <subcommand> <target>
//! <reference>... <limit>` as the engine's `/history`, and the batch
//! that carries its answer.
//!
//! A reference is `msgid=<id>` (the ids of `message-tags`) or
//! `timestamp=<ISO 8601>` (the times of `server-time`); `LATEST` also
//! takes `*`, for no bound. The engine never shows more than its page
//! (`005`'s `CHATHISTORY=`), whatever the limit asks.

use std::io::Write;
use std::ops::Range;

use super::lines::fail;
use super::listing::ListKind;
use super::message::Message;
use super::parse::{range_in, Note, Reading};
use super::policy::room_of;
use crate::{HistoryPoint, HistoryRange, Millis, MsgId};

/// The subcommands answered, as `FAIL` lines name them.
const SUBCOMMANDS: [&str; 5] = ["LATEST", "BEFORE", "AFTER", "AROUND", "BETWEEN"];

/// Whose history a `CHATHISTORY` asks for, as ranges into its line.
#[derive(Clone, Debug)]
pub(super) struct Asked {
    /// The target: a channel (its room, without `#`) or a nick.
    pub(super) target: Range<usize>,
    /// Whether the target is a channel.
    pub(super) room: bool,
    /// Which lines.
    pub(super) range: HistoryRange,
    /// How many at most.
    pub(super) limit: u64,
}

/// A `CHATHISTORY` line: the engine's `/history`, or a `FAIL` to `out`.
pub(super) fn read(server: &str, line: &str, msg: &Message<'_>, out: &mut Vec<u8>) -> Reading {
    let sub = msg
        .params
        .first()
        .map(|s| s.to_ascii_uppercase())
        .unwrap_or_default();
    if sub == "TARGETS" {
        return targets(server, msg, out);
    }
    let Some(&sub) = SUBCOMMANDS.iter().find(|s| **s == sub) else {
        let code = if sub.is_empty() {
            "NEED_MORE_PARAMS"
        } else {
            "UNKNOWN_COMMAND"
        };
        let code = format!("{code} {}", if sub.is_empty() { "*" } else { &sub });
        fail(out, server, "CHATHISTORY", &code, "Unknown subcommand");
        return Reading::default();
    };
    let bounds = if sub == "BETWEEN" { 2 } else { 1 };
    // The subcommand, the target, the references, the limit.
    if msg.params.len() < 3 + bounds {
        let code = format!("NEED_MORE_PARAMS {sub}");
        fail(out, server, "CHATHISTORY", &code, "Not enough parameters");
        return Reading::default();
    }
    let target = msg.params[1];
    let invalid = |out: &mut Vec<u8>, what: &str| {
        let code = format!("INVALID_PARAMS {sub}");
        fail(out, server, "CHATHISTORY", &code, what);
        Reading::default()
    };
    let mut points = Vec::with_capacity(bounds);
    for word in &msg.params[2..2 + bounds] {
        match reference(word) {
            Ok(point) => points.push(point),
            Err(Bad::Type) => {
                let code = format!("INVALID_MSGREFTYPE {sub} {word}");
                fail(out, server, "CHATHISTORY", &code, "Unknown reference type");
                return Reading::default();
            }
            Err(Bad::Value) => return invalid(out, "Invalid message reference"),
        }
    }
    let Ok(limit) = msg.params[2 + bounds].parse::<u64>() else {
        return invalid(out, "Invalid limit");
    };
    let range = match (sub, &points[..]) {
        ("LATEST", &[point]) => HistoryRange::Latest(point),
        ("BEFORE", &[Some(p)]) => HistoryRange::Before(p),
        ("AFTER", &[Some(p)]) => HistoryRange::After(p),
        ("AROUND", &[Some(p)]) => HistoryRange::Around(p),
        ("BETWEEN", &[Some(a), Some(b)]) => HistoryRange::Between(a, b),
        // `*` is LATEST's alone.
        _ => return invalid(out, "Invalid message reference"),
    };
    let (target_word, room) = match room_of(target) {
        Some(room) => (room, true),
        None => (target, false),
    };
    let asked = Asked {
        target: range_in(line, target_word),
        room,
        range,
        limit,
    };
    Reading::listing(
        Note::History(asked),
        ListKind::ChatHistory {
            sub,
            target: target.to_owned(),
        },
    )
}

/// `CHATHISTORY TARGETS <timestamp> <timestamp> <limit>`: the engine's
/// `/conversations` between two times (by time alone, as the
/// specification says: message ids are a conversation's, not a list's).
fn targets(server: &str, msg: &Message<'_>, out: &mut Vec<u8>) -> Reading {
    if msg.params.len() < 4 {
        fail(
            out,
            server,
            "CHATHISTORY",
            "NEED_MORE_PARAMS TARGETS",
            "Not enough parameters",
        );
        return Reading::default();
    }
    let time = |word: &str| match reference(word) {
        Ok(Some(point @ HistoryPoint::Time(_))) => Some(point),
        _ => None,
    };
    let (Some(a), Some(b), Ok(count)) = (
        time(msg.params[1]),
        time(msg.params[2]),
        msg.params[3].parse::<u64>(),
    ) else {
        fail(
            out,
            server,
            "CHATHISTORY",
            "INVALID_PARAMS TARGETS",
            "Expected two timestamps and a limit",
        );
        return Reading::default();
    };
    Reading::listing(
        Note::Conversations {
            count,
            range: HistoryRange::Between(a, b),
        },
        ListKind::ChatHistoryTargets,
    )
}

/// Why a reference was not read.
enum Bad {
    /// Neither `msgid=` nor `timestamp=` (nor `*`).
    Type,
    /// A known type with a value that is not one.
    Value,
}

/// A reference: `*` (none), `msgid=<id>` or `timestamp=<ISO 8601>`.
fn reference(word: &str) -> Result<Option<HistoryPoint>, Bad> {
    if word == "*" {
        return Ok(None);
    }
    let (kind, value) = word.split_once('=').ok_or(Bad::Type)?;
    match kind {
        "msgid" => value
            .parse::<u64>()
            .map(|id| Some(HistoryPoint::Id(MsgId(id))))
            .map_err(|_| Bad::Value),
        "timestamp" => Millis::parse_iso8601(value)
            .map(|at| Some(HistoryPoint::Time(at)))
            .ok_or(Bad::Value),
        _ => Err(Bad::Type),
    }
}

/// The `batch` of one `CHATHISTORY` answer: opened before its first
/// line (or its end, when it has none), closed at its end.
#[derive(Debug, Default)]
pub(super) struct HistoryBatch {
    /// The reference of the batch open, if one is.
    open: Option<u64>,
    /// The last reference given (each batch of a connection has its own).
    last: u64,
}

impl HistoryBatch {
    /// Opens the batch `kind` (its type and parameters:
    /// `chathistory #chan`) unless one is open; its reference.
    pub(super) fn open(&mut self, server: &str, kind: BatchKind<'_>, out: &mut Vec<u8>) -> u64 {
        if let Some(r) = self.open {
            return r;
        }
        self.last += 1;
        let r = self.last;
        self.open = Some(r);
        let _ = match kind {
            BatchKind::History(target) => {
                write!(out, ":{server} BATCH +h{r} chathistory {target}\r\n")
            }
            BatchKind::Targets => {
                write!(out, ":{server} BATCH +h{r} draft/chathistory-targets\r\n")
            }
        };
        r
    }

    /// Ends the batch `kind`, opening it first if no line came.
    pub(super) fn close(&mut self, server: &str, kind: BatchKind<'_>, out: &mut Vec<u8>) {
        let r = self.open(server, kind, out);
        self.open = None;
        let _ = write!(out, ":{server} BATCH -h{r}\r\n");
    }
}

/// Which batch a `CHATHISTORY` answer is in.
#[derive(Clone, Copy, Debug)]
pub(super) enum BatchKind<'t> {
    /// A target's lines: `chathistory <target>`.
    History(&'t str),
    /// `TARGETS`' rows: `draft/chathistory-targets`.
    Targets,
}

/// Writes `tags` (a line's tags as [`RoomCaps::tags`](super::RoomCaps)
/// wrote them, `@...` and a space, or nothing) with `batch=h<r>` first.
pub(super) fn in_batch(r: u64, tags: &[u8], out: &mut Vec<u8>) {
    let _ = write!(out, "@batch=h{r}");
    match tags.strip_prefix(b"@") {
        Some(rest) => {
            out.push(b';');
            out.extend_from_slice(rest);
        }
        None => out.push(b' '),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn references_are_ids_times_or_none() {
        assert!(matches!(reference("*"), Ok(None)));
        assert!(matches!(
            reference("msgid=42"),
            Ok(Some(HistoryPoint::Id(MsgId(42))))
        ));
        assert!(matches!(
            reference("timestamp=1970-01-01T00:00:01.000Z"),
            Ok(Some(HistoryPoint::Time(Millis(1000))))
        ));
        assert!(matches!(reference("msgid=abc"), Err(Bad::Value)));
        assert!(matches!(reference("timestamp=yesterday"), Err(Bad::Value)));
        assert!(matches!(reference("nonce=1"), Err(Bad::Type)));
        assert!(matches!(reference("42"), Err(Bad::Type)));
    }

    #[test]
    fn batch_tag_goes_first() {
        let mut out = Vec::new();
        in_batch(3, b"@time=x;msgid=1 ", &mut out);
        assert_eq!(out, b"@batch=h3;time=x;msgid=1 ");
        out.clear();
        in_batch(3, b"", &mut out);
        assert_eq!(out, b"@batch=h3 ");
    }
}
