//! One turn's room traffic, joined into one shared frame.
//!
//! At load a loop turn reads many room messages, and each goes to the same
//! members. Queued one by one, every member's `writev` would carry one small
//! iovec per message, and the kernel pays per iovec and the runtime per
//! queue push. Consecutive broadcasts to the same recipient list are instead
//! joined, once per turn, into one frame that every member shares: one
//! queue push and one iovec per member, still no copy per recipient.
//!
//! A broadcast may leave one member of its list out (the sender of an IRC
//! line, which IRC does not echo). Those broadcasts join too: the members
//! left out of some of them (a turn's senders, a few) get a frame of their
//! own without those lines, everyone else the whole one.

use std::ops::Range;

use chat_core::{ConnId, Frame, Recipients};

/// Broadcasts waiting to be fanned out, all to the same recipients.
#[derive(Debug)]
pub(crate) struct BroadcastBatch {
    pending: Option<Pending>,
    /// The pending batch's bytes once a second frame joined it (empty
    /// until then); the allocation is kept between turns.
    joined: Vec<u8>,
    /// Once a second frame joined: where each joined frame is in `joined`
    /// and whom it leaves out.
    parts: Vec<(Range<usize>, Option<ConnId>)>,
    /// A batch this large is released at once, so one turn's frame stays
    /// small next to the outbound cap.
    max_bytes: usize,
}

#[derive(Debug)]
struct Pending {
    to: Recipients,
    /// The first frame, handed on as it is if nothing joins it.
    first: Frame,
}

/// A released batch: who gets what. Cloned for each I/O thread (the
/// frames and the list are shared, not copied).
#[derive(Clone, Debug)]
pub(crate) struct Released {
    /// The list; every member gets [`frame`](Released::frame) unless
    /// [`own`](Released::own) says otherwise.
    pub(crate) list: Recipients,
    /// Every line of the batch.
    pub(crate) frame: Frame,
    /// The members left out of some of the lines, with the frame of the
    /// others (`None` when they were left out of all of them).
    pub(crate) own: Vec<(ConnId, Option<Frame>)>,
    /// One bit per member of `own` (see [`own_bit`]): most recipients
    /// are told apart from them without a search.
    own_bits: u64,
}

/// A connection's bit in [`Released::own_bits`]: six bits of its id,
/// mixed so that ids that differ only in their shard or slot bits land
/// apart.
fn own_bit(conn: ConnId) -> u64 {
    1 << (conn.0.wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 58)
}

impl Released {
    fn new(list: Recipients, frame: Frame, own: Vec<(ConnId, Option<Frame>)>) -> Released {
        let own_bits = own.iter().fold(0, |bits, (c, _)| bits | own_bit(*c));
        Released {
            list,
            frame,
            own,
            own_bits,
        }
    }

    /// What `conn`, a member of the list, gets. Asked for every recipient
    /// of every broadcast, so the usual answer takes no search.
    pub(crate) fn frame_for(&self, conn: ConnId) -> Option<&Frame> {
        if self.own_bits & own_bit(conn) == 0 {
            return Some(&self.frame);
        }
        // A linear search: `own` holds one entry per sender of the turn.
        match self.own.iter().find(|(c, _)| *c == conn) {
            Some((_, own)) => own.as_ref(),
            None => Some(&self.frame),
        }
    }
}

impl BroadcastBatch {
    pub(crate) fn new(max_bytes: usize) -> BroadcastBatch {
        BroadcastBatch {
            pending: None,
            joined: Vec::new(),
            parts: Vec::new(),
            max_bytes,
        }
    }

    /// Joins a broadcast to the pending batch, if it goes to the same list
    /// and fits. If not, the caller fans the batch out ([`take`]) and
    /// [`start`]s a new one: fanning out can drop a slow connection, which
    /// fans out what is pending, so nothing newer may be pending yet.
    ///
    /// [`take`]: BroadcastBatch::take
    /// [`start`]: BroadcastBatch::start
    pub(crate) fn join(&mut self, to: &Recipients, frame: &Frame) -> bool {
        let fits = self.pending_bytes() + frame.len() <= self.max_bytes;
        let Some(p) = &self.pending else {
            return false;
        };
        if !fits || !p.to.same_list(to) {
            return false;
        }
        if self.joined.is_empty() {
            self.joined.extend_from_slice(&p.first);
            self.parts.push((0..p.first.len(), p.to.except()));
        }
        let start = self.joined.len();
        self.joined.extend_from_slice(frame);
        self.parts.push((start..self.joined.len(), to.except()));
        true
    }

    /// Starts a batch; the last one must have been taken.
    pub(crate) fn start(&mut self, to: Recipients, frame: Frame) {
        debug_assert!(self.pending.is_none(), "the last batch was not taken");
        self.pending = Some(Pending { to, first: frame });
    }

    /// Ends the batch: the recipients and what each gets.
    pub(crate) fn take(&mut self) -> Option<Released> {
        let p = self.pending.take()?;
        if self.joined.is_empty() {
            let own = p.to.except().map(|c| (c, None)).into_iter().collect();
            return Some(Released::new(p.to, p.first, own));
        }
        let mut own: Vec<(ConnId, Option<Frame>)> = Vec::new();
        for (_, except) in &self.parts {
            let Some(left_out) = *except else {
                continue;
            };
            if own.iter().any(|(c, _)| *c == left_out) {
                continue;
            }
            let mut bytes = Vec::with_capacity(self.joined.len());
            for (range, _) in self.parts.iter().filter(|(_, e)| *e != Some(left_out)) {
                bytes.extend_from_slice(&self.joined[range.clone()]);
            }
            own.push((left_out, (!bytes.is_empty()).then(|| Frame::from(bytes))));
        }
        let frame = Frame::from(self.joined.as_slice());
        self.joined.clear();
        self.parts.clear();
        Some(Released::new(p.to, frame, own))
    }

    fn pending_bytes(&self) -> usize {
        match &self.pending {
            Some(_) if !self.joined.is_empty() => self.joined.len(),
            Some(p) => p.first.len(),
            None => 0,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;

    fn frame(s: &str) -> Frame {
        Frame::from(s.as_bytes())
    }

    fn room() -> Recipients {
        Recipients::from(vec![ConnId(1), ConnId(2)])
    }

    /// What the event loop does: join, or take and start anew.
    fn add(b: &mut BroadcastBatch, to: &Recipients, f: &str) -> Option<Released> {
        let f = frame(f);
        if b.join(to, &f) {
            return None;
        }
        let released = b.take();
        b.start(to.clone(), f);
        released
    }

    /// What each member of the list gets, as text ("" for nothing).
    fn got(r: &Released) -> Vec<(u64, String)> {
        r.list
            .shared_list()
            .iter()
            .map(|&c| {
                let bytes = r.frame_for(c).map_or(&b""[..], |f| f.as_bytes());
                (c.0, String::from_utf8_lossy(bytes).into_owned())
            })
            .collect()
    }

    #[test]
    fn broadcasts_to_the_same_list_join_into_one_frame() {
        let mut b = BroadcastBatch::new(1024);
        let to = room();
        assert!(add(&mut b, &to, "a\n").is_none());
        assert!(add(&mut b, &to, "b\n").is_none());
        assert!(add(&mut b, &to, "c\n").is_none());
        let r = b.take().unwrap();
        assert!(r.list.same_list(&to));
        assert_eq!(r.frame.as_bytes(), b"a\nb\nc\n");
        assert!(r.own.is_empty(), "no one left out: one frame for all");
        assert!(b.take().is_none());
    }

    #[test]
    fn a_lone_broadcast_keeps_its_frame() {
        let mut b = BroadcastBatch::new(1024);
        let f = frame("only\n");
        assert!(!b.join(&room(), &f), "nothing pending to join");
        b.start(room(), f.clone());
        let r = b.take().unwrap();
        assert!(std::ptr::eq(r.frame.as_bytes(), f.as_bytes()));
    }

    #[test]
    fn another_list_releases_the_batch_first() {
        let mut b = BroadcastBatch::new(1024);
        let (old, new) = (room(), room()); // equal ids, different lists
        add(&mut b, &old, "a\n");
        add(&mut b, &old, "b\n");
        let r = add(&mut b, &new, "c\n").unwrap();
        assert!(r.list.same_list(&old));
        assert_eq!(r.frame.as_bytes(), b"a\nb\n");
        let r = b.take().unwrap();
        assert!(r.list.same_list(&new));
        assert_eq!(r.frame.as_bytes(), b"c\n");
    }

    #[test]
    fn a_full_batch_is_released() {
        let mut b = BroadcastBatch::new(5);
        let to = room();
        assert!(add(&mut b, &to, "ab\n").is_none());
        let r = add(&mut b, &to, "cd\n").unwrap();
        assert_eq!(r.frame.as_bytes(), b"ab\n");
        // The joined buffer is reused: no stale bytes from the last batch.
        assert!(add(&mut b, &to, "e\n").is_none());
        let r = b.take().unwrap();
        assert_eq!(r.frame.as_bytes(), b"cd\ne\n");
    }

    /// The room's list less one sender, as the engine hands it out for
    /// an IRC line.
    fn from(list: &Arc<[ConnId]>, sender: u64) -> Recipients {
        Recipients::leaving_out(Arc::clone(list), Some(ConnId(sender)))
    }

    #[test]
    fn senders_left_out_get_the_batch_without_their_own_lines() {
        let mut b = BroadcastBatch::new(1024);
        let list: Arc<[ConnId]> = vec![ConnId(1), ConnId(2), ConnId(3)].into();
        let everyone = Recipients::leaving_out(Arc::clone(&list), None);
        assert!(add(&mut b, &from(&list, 1), "a1\n").is_none());
        assert!(add(&mut b, &from(&list, 2), "b2\n").is_none());
        assert!(add(&mut b, &everyone, "c\n").is_none());
        assert!(add(&mut b, &from(&list, 1), "d1\n").is_none());
        let r = b.take().unwrap();
        assert_eq!(
            got(&r),
            [
                (1, "b2\nc\n".to_owned()),
                (2, "a1\nc\nd1\n".to_owned()),
                (3, "a1\nb2\nc\nd1\n".to_owned()),
            ]
        );
        assert_eq!(r.own.len(), 2, "one frame of its own per sender left out");
        // The next batch starts clean.
        assert!(add(&mut b, &everyone, "e\n").is_none());
        let r = b.take().unwrap();
        assert_eq!(got(&r)[0], (1, "e\n".to_owned()));
    }

    #[test]
    fn in_a_large_room_only_the_senders_get_frames_of_their_own() {
        // Ids as shards hand them out (slot << bits | shard): the senders'
        // bits collide with many others', which must still get the whole.
        let ids: Vec<ConnId> = (0..2000u64).map(|i| ConnId(i << 1 | (i & 1))).collect();
        let list: Arc<[ConnId]> = ids.clone().into();
        let mut b = BroadcastBatch::new(1 << 20);
        let senders: Vec<u64> = ids.iter().step_by(97).map(|c| c.0).collect();
        for &s in &senders {
            add(&mut b, &from(&list, s), &format!("{s}\n"));
        }
        let r = b.take().unwrap();
        let whole = r.frame.as_bytes().to_vec();
        for c in &ids {
            let got = r.frame_for(*c).map_or(&b""[..], |f| f.as_bytes());
            if senders.contains(&c.0) {
                let own = format!("{}\n", c.0);
                assert_eq!(got.len(), whole.len() - own.len(), "sender {}", c.0);
            } else {
                assert_eq!(got, &whole[..], "member {}", c.0);
            }
        }
    }

    #[test]
    fn a_sender_left_out_of_every_line_gets_nothing() {
        let mut b = BroadcastBatch::new(1024);
        let list: Arc<[ConnId]> = vec![ConnId(1), ConnId(2)].into();
        add(&mut b, &from(&list, 1), "a\n");
        let r = b.take().unwrap();
        assert_eq!(got(&r), [(1, String::new()), (2, "a\n".to_owned())]);
        add(&mut b, &from(&list, 1), "a\n");
        add(&mut b, &from(&list, 1), "b\n");
        let r = b.take().unwrap();
        assert_eq!(got(&r), [(1, String::new()), (2, "a\nb\n".to_owned())]);
    }
}
