//! What one connection is owed of its long answers (history, listings)
//! and how much it was sent since it last drained. The engine produces a
//! long answer a part at a time, only while the connection has room in
//! its window (`limits.output_window_bytes`), so no input makes it hold
//! more than the window for one connection; the caller says when the
//! connection drained ([`crate::Input::Drained`]).

use std::collections::VecDeque;
use std::ops::RangeInclusive;

use crate::reply::{HistoryMark, Listing};
use crate::{ConnId, Conversation, Frame, MsgId, NameKey, RoomKey};

/// A connection's output window and what it is owed.
#[derive(Debug, Default)]
pub(crate) struct Flow {
    /// Bytes sent to the connection (room lines aside) since it last
    /// drained.
    unacked: usize,
    /// Asked to hear when it drains, not heard yet.
    watching: bool,
    /// Owed answers, oldest first. Boxed: most connections owe nothing,
    /// and an idle one then pays a pointer for it, not a whole queue.
    #[allow(clippy::box_collection)]
    owed: Option<Box<VecDeque<Owed>>>,
}

/// A long answer not sent yet, as a cursor into what it shows.
#[derive(Debug)]
pub(crate) enum Owed {
    /// The history lines of a page, by id (those that go meanwhile are
    /// skipped), then `END history`.
    History {
        source: HistorySource,
        /// The ids left to send, if any.
        ids: Option<RangeInclusive<MsgId>>,
        /// Lines sent so far.
        shown: u64,
        /// The `next` of its `END`: where more lines continue.
        next: Option<HistoryMark>,
    },
    /// Rows of users (online ones, a room's members, or users found),
    /// then `end`.
    Members {
        /// The room's name, as it spells it, for a room's listing: its
        /// header goes out before the first row.
        header: Option<String>,
        /// The room whose standing the rows show, if any.
        room: Option<RoomKey>,
        rows: VecDeque<Member>,
        end: Listing<'static>,
    },
    /// Rows of rooms, then `end`.
    Rooms {
        rows: VecDeque<RoomKey>,
        end: Listing<'static>,
    },
    /// Rows of `/conversations`, then `end`.
    Conversations {
        rows: VecDeque<super::conversations::ConversationRow>,
        end: Listing<'static>,
    },
    /// Rows of the kick list, then `end`.
    Kicked {
        rows: VecDeque<NameKey>,
        end: Listing<'static>,
    },
    /// Lines rendered already, owed after what comes before them (a
    /// user's own `RJOIN` after the room's history).
    Frame(Frame),
}

/// A user row of a listing owed.
#[derive(Debug)]
pub(crate) enum Member {
    /// A connection of this server: its row as it is when sent.
    Local(ConnId),
    /// A user of another node of a cluster, as the listing found it
    /// (boxed: most rows are local).
    Remote(Box<super::cluster::RemoteRow>),
}

/// Whose history is owed, and how its lines name it.
#[derive(Debug)]
pub(crate) enum HistorySource {
    Room(RoomKey),
    /// A pair's, as the asker named the other user.
    Private {
        pair: Conversation,
        with: String,
    },
}

impl Flow {
    /// Whether the connection's next lines must wait: it is owed output,
    /// or it was sent its whole window and has not drained since. Never
    /// with a window of 0 (no flow control).
    pub(crate) fn holds_lines(&self, window: usize) -> bool {
        window > 0 && (self.owed.is_some() || self.unacked >= window)
    }

    /// Bytes were sent to the connection.
    pub(crate) fn sent(&mut self, bytes: usize) {
        self.unacked = self.unacked.saturating_add(bytes);
    }

    /// Bytes it may still be sent before it must drain; `None` without a
    /// window.
    pub(crate) fn room_left(&self, window: usize) -> Option<usize> {
        (window > 0).then(|| window.saturating_sub(self.unacked))
    }

    /// Whether to ask to hear when it drains: its window is used up and
    /// nobody asked yet. Asking is then noted.
    pub(crate) fn should_watch(&mut self, window: usize) -> bool {
        if window == 0 || self.unacked < window || self.watching {
            return false;
        }
        self.watching = true;
        true
    }

    /// Everything sent before the last ask was written.
    pub(crate) fn drained(&mut self) {
        self.unacked = 0;
        self.watching = false;
    }

    /// Owes `item` after what is owed already.
    pub(crate) fn owe(&mut self, item: Owed) {
        self.owed.get_or_insert_with(Box::default).push_back(item);
    }

    /// Takes the oldest owed answer out (to produce some of it; see
    /// [`Flow::put_back`]).
    pub(crate) fn take_front(&mut self) -> Option<Owed> {
        let owed = self.owed.as_mut()?;
        let item = owed.pop_front();
        if owed.is_empty() {
            self.owed = None;
        }
        item
    }

    /// Puts back, first in line, an answer taken out and not finished.
    pub(crate) fn put_back(&mut self, item: Owed) {
        self.owed.get_or_insert_with(Box::default).push_front(item);
    }

    /// Answers owed.
    pub(crate) fn owed_len(&self) -> usize {
        self.owed.as_ref().map_or(0, |o| o.len())
    }

    /// Bytes sent since the connection last drained.
    pub(crate) fn unacked(&self) -> usize {
        self.unacked
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_wait_while_owed_or_past_the_window_and_never_without_one() {
        let mut f = Flow::default();
        assert!(!f.holds_lines(100));
        f.sent(99);
        assert!(!f.holds_lines(100) && !f.should_watch(100));
        f.sent(1);
        assert!(f.holds_lines(100));
        assert!(f.should_watch(100), "asks once");
        assert!(!f.should_watch(100));
        assert!(!f.holds_lines(0), "no window, no flow control");
        f.drained();
        assert!(!f.holds_lines(100));
        assert_eq!(f.room_left(100), Some(100));
        f.owe(Owed::Frame(Frame::from(b"x\n".to_vec())));
        assert!(f.holds_lines(100));
        assert_eq!(f.owed_len(), 1);
        let item = f.take_front().unwrap();
        assert!(!f.holds_lines(100));
        f.put_back(item);
        assert!(f.take_front().is_some() && f.take_front().is_none());
        assert_eq!(f.room_left(0), None);
    }
}
