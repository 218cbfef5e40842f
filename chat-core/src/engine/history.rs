//! Recent lines of one conversation, bounded by count, bytes and age, and
//! the private histories of pairs of users, bounded in number.

use std::collections::VecDeque;

use crate::{Conversation, HistoryLine, Millis};

use super::table::{map, Map};

/// What one conversation keeps at most.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Bounds {
    pub(crate) lines: usize,
    pub(crate) bytes: usize,
    pub(crate) max_age_ms: u64,
}

/// A conversation's kept lines, oldest first. Lines arrive in time order
/// (the engine's clock never goes back), so the stale ones are at the
/// front and a search by time is a binary search.
#[derive(Debug, Default)]
pub(crate) struct History {
    lines: VecDeque<HistoryLine>,
    /// Bytes of sender and text held, the bound a client can push.
    bytes: usize,
    /// Lines ever kept: the position after the newest. A line's position
    /// names it for as long as it is kept, whatever goes from the front,
    /// so a reader can go on where it stopped (see [`History::span`]).
    pushed: u64,
}

fn cost(line: &HistoryLine) -> usize {
    line.from.as_str().len() + line.text.len()
}

impl History {
    /// Appends a line, dropping the oldest past the bounds.
    pub(crate) fn push(&mut self, line: HistoryLine, bounds: Bounds) {
        if bounds.lines == 0 || cost(&line) > bounds.bytes {
            return;
        }
        let now = line.at;
        self.bytes += cost(&line);
        self.lines.push_back(line);
        self.pushed += 1;
        while self.lines.len() > bounds.lines || self.bytes > bounds.bytes {
            self.pop_front();
        }
        self.drop_stale(now, bounds.max_age_ms);
    }

    fn pop_front(&mut self) {
        if let Some(old) = self.lines.pop_front() {
            self.bytes -= cost(&old);
        }
    }

    /// Drops the lines older than `max_age_ms` at `now`.
    pub(crate) fn drop_stale(&mut self, now: Millis, max_age_ms: u64) {
        let oldest = now.0.saturating_sub(max_age_ms);
        while self.lines.front().is_some_and(|l| l.at.0 < oldest) {
            self.pop_front();
        }
    }

    pub(crate) fn len(&self) -> usize {
        self.lines.len()
    }

    /// When the newest line was said.
    pub(crate) fn last_at(&self) -> Option<Millis> {
        self.lines.back().map(|l| l.at)
    }

    pub(crate) fn bytes(&self) -> usize {
        self.bytes
    }

    /// The positions of the last `count` lines said before `before` (all,
    /// without it) and not before `oldest` (older ones are past the
    /// retention's age), and, if older ones remain, when the first of
    /// them was said (where an `END history` says to go on).
    pub(crate) fn span(
        &self,
        count: usize,
        before: Option<Millis>,
        oldest: Millis,
    ) -> (std::ops::Range<u64>, Option<Millis>) {
        let first = self.lines.partition_point(|l| l.at < oldest);
        let end = match before {
            Some(t) => self.lines.partition_point(|l| l.at < t),
            None => self.lines.len(),
        }
        .max(first);
        let start = end.saturating_sub(count).max(first);
        // Where to go on: the oldest line shown, if older ones remain.
        let more = (start > first && start < end).then(|| self.lines[start].at);
        let base = self.first_position();
        (base + start as u64..base + end as u64, more)
    }

    /// The position of the oldest line kept.
    fn first_position(&self) -> u64 {
        self.pushed - self.lines.len() as u64
    }

    /// The lines kept from position `from` on (those before it that went
    /// are skipped), with their positions, oldest first.
    pub(crate) fn from_position(&self, from: u64) -> impl Iterator<Item = (u64, &HistoryLine)> {
        let base = self.first_position();
        let skip = usize::try_from(from.saturating_sub(base)).unwrap_or(usize::MAX);
        (base..)
            .zip(self.lines.iter())
            .skip(skip.min(self.lines.len()))
    }

    /// The lines, oldest first.
    #[cfg(test)]
    pub(crate) fn iter(&self) -> impl Iterator<Item = &HistoryLine> {
        self.lines.iter()
    }
}

/// The private histories of pairs of users, at most `max` pairs: beyond it
/// the pair that started talking first is forgotten (order of first line,
/// so an eviction is O(1) and a pair's place does not move).
#[derive(Debug)]
pub(crate) struct PrivateHistories {
    pairs: Map<Conversation, History>,
    order: VecDeque<Conversation>,
}

impl PrivateHistories {
    pub(crate) fn new(seed: u64) -> PrivateHistories {
        PrivateHistories {
            pairs: map(seed),
            order: VecDeque::new(),
        }
    }

    pub(crate) fn push(
        &mut self,
        pair: &Conversation,
        line: HistoryLine,
        bounds: Bounds,
        max: usize,
    ) {
        if max == 0 {
            return;
        }
        if let Some(h) = self.pairs.get_mut(pair) {
            return h.push(line, bounds);
        }
        while self.pairs.len() >= max {
            let Some(old) = self.order.pop_front() else {
                break;
            };
            self.pairs.remove(&old);
        }
        let mut h = History::default();
        h.push(line, bounds);
        self.pairs.insert(pair.clone(), h);
        self.order.push_back(pair.clone());
    }

    pub(crate) fn get(&self, pair: &Conversation) -> Option<&History> {
        self.pairs.get(pair)
    }

    pub(crate) fn len(&self) -> usize {
        self.pairs.len()
    }

    pub(crate) fn lines(&self) -> usize {
        self.pairs.values().map(History::len).sum()
    }

    pub(crate) fn bytes(&self) -> usize {
        self.pairs.values().map(History::bytes).sum()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::UserName;

    fn line(at: u64, text: &str) -> HistoryLine {
        HistoryLine {
            at: Millis(at),
            from: UserName::parse("al").unwrap(),
            text: text.into(),
        }
    }

    const WIDE: Bounds = Bounds {
        lines: 3,
        bytes: 1000,
        max_age_ms: 100,
    };

    #[test]
    fn keeps_the_newest_within_count_bytes_and_age() {
        let mut h = History::default();
        for t in 0..5 {
            h.push(line(t, "x"), WIDE);
        }
        let texts: Vec<u64> = h.iter().map(|l| l.at.0).collect();
        assert_eq!(texts, vec![2, 3, 4]);
        h.push(line(150, "y"), WIDE);
        assert_eq!(h.len(), 1, "lines older than the age are dropped");
        let tight = Bounds { bytes: 7, ..WIDE };
        h.push(line(151, "abcd"), tight);
        assert_eq!((h.len(), h.bytes()), (1, 6));
        h.push(line(152, &"z".repeat(10)), tight);
        assert_eq!(h.len(), 1, "a line over the byte bound is not kept");
    }

    #[test]
    fn pages_before_a_time() {
        let mut h = History::default();
        let b = Bounds { lines: 10, ..WIDE };
        for t in 1..=6 {
            h.push(line(t * 10, "x"), b);
        }
        let times = |h: &History, span: std::ops::Range<u64>| -> Vec<u64> {
            h.from_position(span.start)
                .take_while(|(p, _)| *p < span.end)
                .map(|(_, l)| l.at.0)
                .collect()
        };
        let (span, more) = h.span(2, None, Millis(0));
        assert_eq!(times(&h, span), vec![50, 60]);
        assert_eq!(more, Some(Millis(50)));
        let (span, more) = h.span(2, Some(Millis(30)), Millis(0));
        assert_eq!(times(&h, span), vec![10, 20]);
        assert_eq!(more, None);
        let (span, more) = h.span(9, Some(Millis(45)), Millis(20));
        assert_eq!(times(&h, span.clone()), vec![20, 30, 40]);
        assert_eq!(more, None, "lines past the age are not offered");
        // A reader goes on where it stopped though older lines went.
        let next = span.start + 1;
        for t in 7..=12 {
            h.push(line(t * 10, "x"), Bounds { lines: 4, ..b });
        }
        assert_eq!(
            times(&h, next..h.span(99, None, Millis(0)).0.end),
            vec![90, 100, 110, 120]
        );
    }

    #[test]
    fn private_pairs_are_bounded_in_number() {
        let mut p = PrivateHistories::new(1);
        let pair = |a: &str, b: &str| {
            Conversation::private(&UserName::parse(a).unwrap(), &UserName::parse(b).unwrap())
        };
        p.push(&pair("a", "b"), line(1, "x"), WIDE, 2);
        p.push(&pair("a", "c"), line(2, "x"), WIDE, 2);
        p.push(&pair("b", "a"), line(3, "x"), WIDE, 2);
        p.push(&pair("c", "d"), line(4, "x"), WIDE, 2);
        assert_eq!(p.len(), 2);
        assert!(p.get(&pair("a", "b")).is_none());
        assert_eq!(p.lines(), 2);
    }
}
