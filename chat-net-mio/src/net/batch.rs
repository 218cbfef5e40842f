//! One turn's room traffic, joined into one shared frame.
//!
//! At load a loop turn reads many room messages, and each goes to the same
//! members. Queued one by one, every member's `writev` would carry one small
//! iovec per message, and the kernel pays per iovec and the runtime per
//! queue push. Consecutive broadcasts to the same recipient list are instead
//! joined, once per turn, into one frame that every member shares: one
//! queue push and one iovec per member, still no copy per recipient.

use chat_core::{Frame, Recipients};

/// Broadcasts waiting to be fanned out, all to the same recipients.
#[derive(Debug)]
pub(crate) struct BroadcastBatch {
    pending: Option<Pending>,
    /// The pending batch's bytes once a second frame joined it (empty
    /// until then); the allocation is kept between turns.
    joined: Vec<u8>,
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

impl BroadcastBatch {
    pub(crate) fn new(max_bytes: usize) -> BroadcastBatch {
        BroadcastBatch {
            pending: None,
            joined: Vec::new(),
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
        }
        self.joined.extend_from_slice(frame);
        true
    }

    /// Starts a batch; the last one must have been taken.
    pub(crate) fn start(&mut self, to: Recipients, frame: Frame) {
        debug_assert!(self.pending.is_none(), "the last batch was not taken");
        self.pending = Some(Pending { to, first: frame });
    }

    /// Ends the batch: the recipients and the one frame they all get.
    pub(crate) fn take(&mut self) -> Option<(Recipients, Frame)> {
        let p = self.pending.take()?;
        let frame = if self.joined.is_empty() {
            p.first
        } else {
            let frame = Frame::from(self.joined.as_slice());
            self.joined.clear();
            frame
        };
        Some((p.to, frame))
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
    use chat_core::ConnId;

    fn frame(s: &str) -> Frame {
        Frame::from(s.as_bytes())
    }

    fn room() -> Recipients {
        Recipients::from(vec![ConnId(1), ConnId(2)])
    }

    /// What the event loop does: join, or take and start anew.
    fn add(b: &mut BroadcastBatch, to: &Recipients, f: &str) -> Option<(Recipients, Frame)> {
        let f = frame(f);
        if b.join(to, &f) {
            return None;
        }
        let released = b.take();
        b.start(to.clone(), f);
        released
    }

    #[test]
    fn broadcasts_to_the_same_list_join_into_one_frame() {
        let mut b = BroadcastBatch::new(1024);
        let to = room();
        assert!(add(&mut b, &to, "a\n").is_none());
        assert!(add(&mut b, &to, "b\n").is_none());
        assert!(add(&mut b, &to, "c\n").is_none());
        let (got_to, f) = b.take().unwrap();
        assert!(got_to.same_list(&to));
        assert_eq!(f.as_bytes(), b"a\nb\nc\n");
        assert!(b.take().is_none());
    }

    #[test]
    fn a_lone_broadcast_keeps_its_frame() {
        let mut b = BroadcastBatch::new(1024);
        let f = frame("only\n");
        assert!(!b.join(&room(), &f), "nothing pending to join");
        b.start(room(), f.clone());
        let (_, got) = b.take().unwrap();
        assert!(std::ptr::eq(got.as_bytes(), f.as_bytes()));
    }

    #[test]
    fn another_list_releases_the_batch_first() {
        let mut b = BroadcastBatch::new(1024);
        let (old, new) = (room(), room()); // equal ids, different lists
        add(&mut b, &old, "a\n");
        add(&mut b, &old, "b\n");
        let (to, f) = add(&mut b, &new, "c\n").unwrap();
        assert!(to.same_list(&old));
        assert_eq!(f.as_bytes(), b"a\nb\n");
        let (to, f) = b.take().unwrap();
        assert!(to.same_list(&new));
        assert_eq!(f.as_bytes(), b"c\n");
    }

    #[test]
    fn a_full_batch_is_released() {
        let mut b = BroadcastBatch::new(5);
        let to = room();
        assert!(add(&mut b, &to, "ab\n").is_none());
        let (_, f) = add(&mut b, &to, "cd\n").unwrap();
        assert_eq!(f.as_bytes(), b"ab\n");
        // The joined buffer is reused: no stale bytes from the last batch.
        assert!(add(&mut b, &to, "e\n").is_none());
        let (_, f) = b.take().unwrap();
        assert_eq!(f.as_bytes(), b"cd\ne\n");
    }
}
