//! Recent lines of one conversation, bounded by count, bytes and age, and
//! the private histories of pairs of users, bounded in number.

use std::collections::VecDeque;
use std::ops::Range;

use crate::{Conversation, HistoryLine, HistoryPoint, HistoryRange, Millis, MsgId};

use super::seeded::{map, Map};

/// What one conversation keeps at most.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Bounds {
    pub(crate) lines: usize,
    pub(crate) bytes: usize,
    pub(crate) max_age_ms: u64,
}

/// Which lines of a [`History`] a page shows, and the one to continue
/// from when more remain in the page's direction.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Page {
    pub(crate) lines: Range<usize>,
    pub(crate) next: Option<usize>,
}

/// A conversation's kept lines, oldest first. Lines arrive in the order
/// of their ids and of time (the engine's clock never goes back), so the
/// stale ones are at the front and a search by id or time is a binary
/// search.
#[derive(Debug, Default)]
pub(crate) struct History {
    lines: VecDeque<HistoryLine>,
    /// Bytes of sender and text held, the bound a client can push.
    bytes: usize,
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

    pub(crate) fn bytes(&self) -> usize {
        self.bytes
    }

    /// The page of `range`, at most `count` lines, none before `oldest`
    /// (older ones are past the retention's age).
    pub(crate) fn page(&self, range: HistoryRange, count: usize, oldest: Millis) -> Page {
        let lines = &self.lines;
        page_in(
            lines.len(),
            |i| (lines[i].id, lines[i].at),
            range,
            count,
            oldest,
        )
    }

    /// The lines of `range` (from [`History::page`]), oldest first (for
    /// the simulator's checks and the tests; answers go by id, see
    /// [`History::lines_from`]).
    #[cfg(any(test, feature = "sim"))]
    pub(crate) fn lines(&self, range: Range<usize>) -> impl Iterator<Item = &HistoryLine> {
        self.lines.range(range)
    }

    /// The lines from id `from` on, oldest first (the id need not be
    /// kept: a reader goes on where it stopped though lines went).
    pub(crate) fn lines_from(&self, from: MsgId) -> impl Iterator<Item = &HistoryLine> {
        let start = self.lines.partition_point(|l| l.id < from);
        self.lines.range(start..)
    }

    /// The newest line.
    pub(crate) fn last(&self) -> Option<&HistoryLine> {
        self.lines.back()
    }

    /// When the newest line was said.
    pub(crate) fn last_at(&self) -> Option<Millis> {
        self.lines.back().map(|l| l.at)
    }

    /// The line at `index` (from [`History::page`]).
    pub(crate) fn get(&self, index: usize) -> Option<&HistoryLine> {
        self.lines.get(index)
    }

    /// The lines, oldest first.
    #[cfg(test)]
    pub(crate) fn iter(&self) -> impl Iterator<Item = &HistoryLine> {
        self.lines.iter()
    }
}

/// The page of `range` in a timeline of `len` entries ordered by id and
/// by time (a history's lines; the latest lines of a user's
/// conversations), `stamp` giving each one's id and time: at most `count`
/// entries, none before `oldest`.
pub(crate) fn page_in(
    len: usize,
    stamp: impl Fn(usize) -> (MsgId, Millis),
    range: HistoryRange,
    count: usize,
    oldest: Millis,
) -> Page {
    // The first index whose entry is not `below` (they are ordered).
    let partition = |below: &dyn Fn(MsgId, Millis) -> bool| {
        let (mut lo, mut hi) = (0, len);
        while lo < hi {
            let mid = lo + (hi - lo) / 2;
            let (id, at) = stamp(mid);
            if below(id, at) {
                lo = mid + 1;
            } else {
                hi = mid;
            }
        }
        lo
    };
    let first = partition(&|_, at| at < oldest);
    // The entries strictly before a point end at `upto`; those strictly
    // after it start at `past`.
    let upto = |p: HistoryPoint| {
        let end = match p {
            HistoryPoint::Id(id) => partition(&|i, _| i < id),
            HistoryPoint::Time(t) => partition(&|_, at| at < t),
        };
        end.max(first)
    };
    let past = |p: HistoryPoint| {
        let start = match p {
            HistoryPoint::Id(id) => partition(&|i, _| i <= id),
            HistoryPoint::Time(t) => partition(&|_, at| at <= t),
        };
        start.max(first)
    };
    // Backwards from `end`: the last `count` entries of `lo..end`; more
    // remain when the page starts after `lo`.
    let backwards = |lo: usize, end: usize| {
        let start = end.saturating_sub(count).max(lo).min(end);
        Page {
            lines: start..end,
            next: (start > lo && start < end).then_some(start),
        }
    };
    // Forwards from `start`: the first `count` entries of `start..hi`.
    let forwards = |start: usize, hi: usize| {
        let end = start.saturating_add(count).min(hi).max(start);
        Page {
            lines: start..end,
            next: (end < hi && start < end).then(|| end - 1),
        }
    };
    match range {
        HistoryRange::Latest(None) => backwards(first, len),
        HistoryRange::Latest(Some(p)) => backwards(past(p), len),
        HistoryRange::Before(p) => backwards(first, upto(p)),
        HistoryRange::After(p) => forwards(past(p), len),
        HistoryRange::Around(p) => {
            let at = upto(p);
            let start = at.saturating_sub(count / 2).max(first);
            let end = start.saturating_add(count).min(len);
            let start = end.saturating_sub(count).max(first);
            Page {
                lines: start..end,
                next: (start > first && start < end).then_some(start),
            }
        }
        HistoryRange::Between(a, b) => {
            let (from_a, to_b) = (past(a), upto(b));
            if from_a <= to_b {
                forwards(from_a, to_b)
            } else {
                backwards(past(b), upto(a))
            }
        }
    }
}

/// The private histories of pairs of users, at most `max` pairs: beyond it
/// the pair that started talking first is forgotten (order of first line,
/// so an eviction is O(1) and a pair's place does not move).
#[derive(Debug)]
pub(crate) struct PrivateHistories {
    pairs: Map<Conversation, History>,
    order: VecDeque<Conversation>,
    /// Each user's pairs, by folded name (for `/conversations`, without
    /// a walk over everyone's).
    by_user: Map<String, Vec<Conversation>>,
}

impl PrivateHistories {
    pub(crate) fn new(seed: u64) -> PrivateHistories {
        PrivateHistories {
            pairs: map(seed),
            order: VecDeque::new(),
            by_user: map(seed),
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
            for user in users(&old) {
                if let Some(pairs) = self.by_user.get_mut(user) {
                    pairs.retain(|p| *p != old);
                    if pairs.is_empty() {
                        self.by_user.remove(user);
                    }
                }
            }
        }
        let mut h = History::default();
        h.push(line, bounds);
        self.pairs.insert(pair.clone(), h);
        self.order.push_back(pair.clone());
        // A new pair (an evicted one left its users' lists).
        for user in users(pair) {
            self.by_user
                .entry(user.to_owned())
                .or_default()
                .push(pair.clone());
        }
    }

    /// Forgets every pair `user` (a side, see `private_pairs`) is one of.
    pub(crate) fn forget_user(&mut self, user: &str) {
        let Some(pairs) = self.by_user.remove(user) else {
            return;
        };
        for pair in &pairs {
            self.pairs.remove(pair);
            for other in users(pair).filter(|u| *u != user) {
                if let Some(theirs) = self.by_user.get_mut(other) {
                    theirs.retain(|p| p != pair);
                    if theirs.is_empty() {
                        self.by_user.remove(other);
                    }
                }
            }
        }
        self.order.retain(|p| !pairs.contains(p));
    }

    /// The pairs `user` (a folded name) is one of, with their histories.
    pub(crate) fn of_user<'s>(
        &'s self,
        user: &str,
    ) -> impl Iterator<Item = (&'s Conversation, &'s History)> + 's {
        self.by_user
            .get(user)
            .into_iter()
            .flatten()
            .filter_map(|pair| Some((pair, self.pairs.get(pair)?)))
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

/// The two users of a private pair (folded names); none for a room.
fn users(pair: &Conversation) -> impl Iterator<Item = &str> {
    let (a, b) = match pair {
        Conversation::Private(a, b) => (Some(a.as_str()), (a != b).then_some(b.as_str())),
        Conversation::Room(_) => (None, None),
    };
    a.into_iter().chain(b)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{MessageKind, MsgId, UserName};

    fn line(at: u64, text: &str) -> HistoryLine {
        HistoryLine {
            id: MsgId(at + 1),
            at: Millis(at),
            from: UserName::parse("al").unwrap(),
            text: text.into(),
            kind: MessageKind::Said,
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

    /// Ten lines with ids 1..=10, said at 10, 20, ... 100.
    fn ten() -> History {
        let mut h = History::default();
        let b = Bounds {
            lines: 10,
            max_age_ms: 1_000,
            ..WIDE
        };
        for i in 1..=10 {
            h.push(
                HistoryLine {
                    id: MsgId(i),
                    at: Millis(i * 10),
                    from: UserName::parse("al").unwrap(),
                    text: "x".into(),
                    kind: MessageKind::Said,
                },
                b,
            );
        }
        h
    }

    /// The ids of a page and the id to continue from.
    fn ids(h: &History, range: HistoryRange, count: usize, oldest: u64) -> (Vec<u64>, Option<u64>) {
        let page = h.page(range, count, Millis(oldest));
        let lines = h.lines(page.lines).map(|l| l.id.0).collect();
        (lines, page.next.map(|i| h.get(i).unwrap().id.0))
    }

    #[test]
    fn pages_every_way_by_id_and_time() {
        use HistoryPoint::{Id, Time};
        use HistoryRange::*;
        let h = ten();
        assert_eq!(ids(&h, Latest(None), 3, 0), (vec![8, 9, 10], Some(8)));
        assert_eq!(
            ids(&h, Before(Id(MsgId(8))), 3, 0),
            (vec![5, 6, 7], Some(5))
        );
        assert_eq!(ids(&h, Before(Id(MsgId(3))), 3, 0), (vec![1, 2], None));
        assert_eq!(ids(&h, Before(Time(Millis(35))), 9, 15), (vec![2, 3], None));
        assert_eq!(ids(&h, After(Id(MsgId(2))), 3, 0), (vec![3, 4, 5], Some(5)));
        assert_eq!(ids(&h, After(Time(Millis(80))), 3, 0), (vec![9, 10], None));
        assert_eq!(
            ids(&h, Latest(Some(Id(MsgId(6)))), 3, 0),
            (vec![8, 9, 10], Some(8))
        );
        assert_eq!(
            ids(&h, Latest(Some(Id(MsgId(8)))), 3, 0),
            (vec![9, 10], None)
        );
        assert_eq!(
            ids(&h, Around(Id(MsgId(5))), 5, 0),
            (vec![3, 4, 5, 6, 7], Some(3))
        );
        assert_eq!(
            ids(&h, Around(Id(MsgId(10))), 4, 0),
            (vec![7, 8, 9, 10], Some(7))
        );
        assert_eq!(
            ids(&h, Around(Time(Millis(5))), 3, 0),
            (vec![1, 2, 3], None)
        );
        assert_eq!(
            ids(&h, Between(Id(MsgId(2)), Id(MsgId(9))), 3, 0),
            (vec![3, 4, 5], Some(5))
        );
        assert_eq!(
            ids(&h, Between(Id(MsgId(9)), Time(Millis(20))), 3, 0),
            (vec![6, 7, 8], Some(6))
        );
        assert_eq!(
            ids(&h, Between(Id(MsgId(4)), Id(MsgId(4))), 3, 0),
            (vec![], None)
        );
        // An id no longer kept still marks its place.
        assert_eq!(ids(&h, Before(Id(MsgId(0))), 3, 0), (vec![], None));
        assert_eq!(ids(&h, After(Id(MsgId(99))), 3, 0), (vec![], None));
    }

    #[test]
    fn lines_of_one_millisecond_page_without_loss_or_repeat() {
        let mut h = History::default();
        let b = Bounds {
            lines: 1_000,
            bytes: 1 << 20,
            max_age_ms: 1_000,
        };
        for i in 1..=120 {
            h.push(
                HistoryLine {
                    id: MsgId(i * 3),
                    at: Millis(7),
                    from: UserName::parse("al").unwrap(),
                    text: i.to_string(),
                    kind: MessageKind::Said,
                },
                b,
            );
        }
        let mut seen = Vec::new();
        let mut range = HistoryRange::Latest(None);
        loop {
            let page = h.page(range, 50, Millis(0));
            let lines: Vec<u64> = h.lines(page.lines).map(|l| l.id.0).collect();
            seen.splice(0..0, lines);
            match page.next {
                Some(i) => range = HistoryRange::Before(HistoryPoint::Id(h.get(i).unwrap().id)),
                None => break,
            }
        }
        let all: Vec<u64> = (1..=120).map(|i| i * 3).collect();
        assert_eq!(seen, all);
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
        // Each user's pairs follow: `a`'s first pair went with its history.
        let of = |p: &PrivateHistories, u: &str| {
            p.of_user(u).map(|(c, _)| c.clone()).collect::<Vec<_>>()
        };
        assert_eq!(of(&p, "a"), [pair("a", "c")]);
        assert_eq!(of(&p, "b"), []);
        assert_eq!(of(&p, "d"), [pair("c", "d")]);
        p.push(&pair("e", "e"), line(5, "x"), WIDE, 2);
        assert_eq!(of(&p, "e"), [pair("e", "e")], "a pair with oneself, once");
        assert_eq!(of(&p, "a"), []);
        // A side forgotten takes its pairs with it, from the other's list too.
        p.forget_user("c");
        assert_eq!((of(&p, "c"), of(&p, "d")), (vec![], vec![]));
        assert_eq!(p.len(), 1);
        p.push(&pair("f", "g"), line(6, "x"), WIDE, 2);
        assert_eq!(p.len(), 2, "the order forgot it too: nothing evicted early");
        assert!(p.get(&pair("e", "e")).is_some());
    }
}
