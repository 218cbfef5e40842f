//! `/conversations` (IRC's `CHATHISTORY TARGETS`): the rooms a user is in
//! and the users it has private history with, each by its latest line,
//! oldest first, paged by those lines as a history is by its own.

use std::collections::VecDeque;

use crate::command::HistoryRange;
use crate::reply::Listing;
use crate::{ConnId, Conversation, Millis, MsgId, NameKey};

use super::history::page_in;
use super::owed::Owed;
use super::private_pairs::party_name;
use super::Engine;

/// A row of `/conversations`: where, as the asker's lines name it, and
/// the latest line there.
#[derive(Debug)]
pub(crate) struct ConversationRow {
    /// The room's name, or the other user's.
    pub(crate) place: Place,
    pub(crate) id: MsgId,
    pub(crate) at: Millis,
}

/// A room or a user, by name as spelled.
#[derive(Debug)]
pub(crate) enum Place {
    Room(String),
    Private(String),
}

impl Engine {
    pub(super) fn conversations(&mut self, id: ConnId, count: Option<u64>, range: HistoryRange) {
        let limit = self.config.limits.history_page_lines;
        let count = count.map_or(limit, |n| {
            usize::try_from(n).unwrap_or(usize::MAX).min(limit)
        });
        let Some(session) = self.session(id) else {
            return;
        };
        let Some(me) = self.party(id) else {
            return;
        };
        let lobby = self.rooms.lobby_key();
        let mut rows = Vec::new();
        for key in std::iter::once(lobby).chain(&session.rooms) {
            let Some(room) = self.rooms.get(key) else {
                continue;
            };
            if let Some(last) = room.history.last() {
                rows.push(ConversationRow {
                    place: Place::Room(room.name().to_owned()),
                    id: last.id,
                    at: last.at,
                });
            }
        }
        for (pair, history) in self.private.of_user(&me) {
            let (Conversation::Private(a, b), Some(last)) = (pair, history.last()) else {
                continue;
            };
            let other = party_name(if *a == me { b } else { a });
            rows.push(ConversationRow {
                place: Place::Private(
                    self.spelled(&NameKey::of(other))
                        .unwrap_or_else(|| other.to_owned()),
                ),
                id: last.id,
                at: last.at,
            });
        }
        // Ids go with time across conversations (one clock), so one order
        // serves points of either kind.
        rows.sort_unstable_by_key(|r| r.id);
        let page = page_in(
            rows.len(),
            |i| (rows[i].id, rows[i].at),
            range,
            count,
            self.oldest_kept(),
        );
        let rows: VecDeque<ConversationRow> = rows.drain(page.lines).collect();
        let shown = rows.len() as u64;
        self.owe(
            id,
            Owed::Conversations {
                rows,
                end: Listing::Conversations { shown },
            },
        );
    }
}
