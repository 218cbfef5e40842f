//! Pages of history by message id (or time): `/history` of a room or a
//! pair, and the lines shown on joining a room.

use crate::command::{HistoryRange, HistoryTarget};
use crate::reply::{HistoryMark, Reason};
use crate::{ConnId, Millis, UserName};

use super::history::History;
use super::owed::{HistorySource, Owed};
use super::private_pairs::pair_of;
use super::Engine;

/// Which lines of a history to show: `range`, at most `count` of them,
/// none said before `oldest`.
#[derive(Clone, Copy)]
pub(super) struct Window {
    pub(super) range: HistoryRange,
    pub(super) count: usize,
    pub(super) oldest: Millis,
}

impl Engine {
    pub(super) fn history(
        &mut self,
        id: ConnId,
        of: HistoryTarget<'_>,
        count: Option<u64>,
        range: HistoryRange,
    ) {
        let limit = self.config.limits.history_page_lines;
        let count = count.map_or(limit, |n| {
            usize::try_from(n).unwrap_or(usize::MAX).min(limit)
        });
        let window = Window {
            range,
            count,
            oldest: self.oldest_kept(),
        };
        let source = match of {
            HistoryTarget::Room(typed) => {
                let Some(key) = self.existing_room(id, typed) else {
                    return;
                };
                if !self.in_room(id, &key) {
                    return self.refuse_not_in(id, typed);
                }
                HistorySource::Room(key)
            }
            HistoryTarget::Private(typed) => {
                let other = match UserName::parse(typed) {
                    Ok(name) => name,
                    Err(e) => return self.refuse(id, Reason::BadName(e)),
                };
                let Some(me) = self.party(id) else {
                    return;
                };
                // The other's side: the session online under the name (a
                // guest's is its own), else the account's.
                let key = other.key();
                let theirs = self
                    .online
                    .get(&key)
                    .and_then(|&c| self.party(c))
                    .unwrap_or_else(|| key.as_str().to_owned());
                // The other as they spell their name (online, or their
                // account), not as typed: lines name them so.
                let with = self.spelled(&key).unwrap_or_else(|| typed.to_owned());
                HistorySource::Private {
                    pair: pair_of(me, theirs),
                    with,
                }
            }
        };
        self.owe_history(id, source, window);
    }

    /// The time of the oldest line the retention keeps now.
    pub(super) fn oldest_kept(&self) -> Millis {
        Millis(self.now.0.saturating_sub(self.config.retention.max_age_ms))
    }

    /// Owes a connection the lines of a history `window` shows, then its
    /// `END history`: the ids of the page's first and last lines, sent
    /// as the connection drains.
    pub(super) fn owe_history(&mut self, id: ConnId, source: HistorySource, window: Window) {
        let empty = History::default();
        let history = match &source {
            HistorySource::Room(key) => self.rooms.get(key).map(|c| &c.history),
            HistorySource::Private { pair, .. } => self.private.get(pair),
        }
        .unwrap_or(&empty);
        let page = history.page(window.range, window.count, window.oldest);
        let next = page.next.and_then(|i| history.get(i)).map(|l| HistoryMark {
            id: Some(l.id),
            at: Some(l.at),
        });
        let ids = history
            .get(page.lines.start)
            .zip(page.lines.end.checked_sub(1).and_then(|i| history.get(i)))
            .filter(|_| !page.lines.is_empty())
            .map(|(first, last)| first.id..=last.id);
        let item = Owed::History {
            source,
            ids,
            shown: 0,
            next,
        };
        self.owe(id, item);
    }
}
