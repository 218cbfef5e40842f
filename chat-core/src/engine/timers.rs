//! Deadlines: login timeouts, idle timeouts and server pings, earliest
//! first.

use std::cmp::Reverse;
use std::collections::BinaryHeap;

use crate::{ConnId, Millis};

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum TimerKind {
    Login,
    Idle,
    /// Ping an idle connection, or close it when its ping went unanswered.
    Ping,
}

/// A heap of deadlines. Entries are not removed when a connection closes or
/// logs in: each carries the connection's serial, and a stale entry is
/// skipped when it comes due. Each connection has at most one entry of each
/// kind, so the heap stays as small as the connection table.
#[derive(Debug, Default)]
pub(crate) struct Timers {
    heap: BinaryHeap<Reverse<(Millis, ConnId, u64, TimerKind)>>,
}

impl Timers {
    pub(crate) fn arm(&mut self, at: Millis, conn: ConnId, serial: u64, kind: TimerKind) {
        self.heap.push(Reverse((at, conn, serial, kind)));
    }

    pub(crate) fn next_deadline(&self) -> Option<Millis> {
        self.heap.peek().map(|Reverse((at, ..))| *at)
    }

    /// Pops the next entry due at `now`.
    pub(crate) fn pop_due(&mut self, now: Millis) -> Option<(ConnId, u64, TimerKind)> {
        match self.heap.peek() {
            Some(Reverse((at, ..))) if *at <= now => {
                self.heap.pop().map(|Reverse((_, c, s, k))| (c, s, k))
            }
            _ => None,
        }
    }

    pub(crate) fn len(&self) -> usize {
        self.heap.len()
    }

    pub(crate) fn clear(&mut self) {
        self.heap.clear();
    }
}

impl Timers {
    /// Drops stale entries; called when the heap has grown well past the
    /// connection table (many short-lived connections), so churn cannot
    /// grow it without bound.
    pub(crate) fn retain(&mut self, mut live: impl FnMut(ConnId, u64) -> bool) {
        self.heap.retain(|Reverse((_, c, s, _))| live(*c, *s));
    }
}
