//! Message ids: one sequence for every room line and private message,
//! started above the store's history and the clock.

use crate::{HistoryLine, MessageKind, MsgId, UserName};

use super::Engine;

/// How far a new engine's message ids start above the clock: ids from
/// `now × IDS_PER_MS` on. 1,024 keeps the ids below 2^53 (exact in a
/// JavaScript number) until the year 2248.
pub(super) const IDS_PER_MS: u64 = 1024;

impl Engine {
    /// Draws the id of a new room line or private message. One sequence
    /// serves every conversation, so an id is never reused, in a room
    /// closed and made again or a pair whose history was forgotten.
    ///
    /// An engine starts above the ids of the store's history and, at its
    /// first id, above the clock's milliseconds times [`IDS_PER_MS`]:
    /// lines shown but never made durable before a crash (history lines
    /// are saved without waiting) had ids below that, unless the last run
    /// said more than 1,024 lines per millisecond it ran. After that the
    /// ids count up one by one.
    pub(super) fn next_msg_id(&mut self) -> MsgId {
        if !self.ids_started {
            self.ids_started = true;
            let floor = MsgId(self.now.0.saturating_mul(IDS_PER_MS));
            self.next_msg = self.next_msg.max(floor);
        }
        let id = self.next_msg;
        self.next_msg = id.next();
        id
    }

    /// A line said now, of `kind`, for a history.
    pub(super) fn history_line(
        &self,
        id: MsgId,
        from: &UserName,
        text: &str,
        kind: MessageKind,
    ) -> HistoryLine {
        HistoryLine {
            id,
            at: self.now,
            from: from.clone(),
            text: text.to_owned(),
            kind,
        }
    }
}
