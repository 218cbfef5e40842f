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
    /// Where joined frames are assembled; kept between turns.
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
    /// Whether later frames were appended to `joined`.
    joined_more: bool,
}

impl BroadcastBatch {
    pub(crate) fn new(max_bytes: usize) -> BroadcastBatch {
        BroadcastBatch {
            pending: None,
            joined: Vec::new(),
            max_bytes,
        }
    }

    /// Adds a broadcast. Returns the batch it closes, if any, to be fanned
    /// out before anything else is queued: one for other recipients, or one
    /// that reached its size limit.
    pub(crate) fn add(&mut self, to: Recipients, frame: Frame) -> Option<(Recipients, Frame)> {
        let fits = self.pending_bytes() + frame.len() <= self.max_bytes;
        if let Some(p) = &mut self.pending {
            if fits && p.to.same_list(&to) {
                if !p.joined_more {
                    self.joined.clear();
                    self.joined.extend_from_slice(&p.first);
                    p.joined_more = true;
                }
                self.joined.extend_from_slice(&frame);
                return None;
            }
        }
        let released = self.take();
        self.pending = Some(Pending {
            to,
            first: frame,
            joined_more: false,
        });
        released
    }

    /// Ends the batch: the recipients and the one frame they all get.
    pub(crate) fn take(&mut self) -> Option<(Recipients, Frame)> {
        let p = self.pending.take()?;
        let frame = if p.joined_more {
            Frame::from(self.joined.as_slice())
        } else {
            p.first
        };
        Some((p.to, frame))
    }

    fn pending_bytes(&self) -> usize {
        match &self.pending {
            Some(p) if p.joined_more => self.joined.len(),
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

    #[test]
    fn broadcasts_to_the_same_list_join_into_one_frame() {
        let mut b = BroadcastBatch::new(1024);
        let to = room();
        assert!(b.add(to.clone(), frame("a\n")).is_none());
        assert!(b.add(to.clone(), frame("b\n")).is_none());
        assert!(b.add(to.clone(), frame("c\n")).is_none());
        let (got_to, f) = b.take().unwrap();
        assert!(got_to.same_list(&to));
        assert_eq!(f.as_bytes(), b"a\nb\nc\n");
        assert!(b.take().is_none());
    }

    #[test]
    fn a_lone_broadcast_keeps_its_frame() {
        let mut b = BroadcastBatch::new(1024);
        let f = frame("only\n");
        assert!(b.add(room(), f.clone()).is_none());
        let (_, got) = b.take().unwrap();
        assert!(std::ptr::eq(got.as_bytes(), f.as_bytes()));
    }

    #[test]
    fn another_list_releases_the_batch_first() {
        let mut b = BroadcastBatch::new(1024);
        let (old, new) = (room(), room()); // equal ids, different lists
        b.add(old.clone(), frame("a\n"));
        b.add(old.clone(), frame("b\n"));
        let (to, f) = b.add(new.clone(), frame("c\n")).unwrap();
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
        assert!(b.add(to.clone(), frame("ab\n")).is_none());
        let (_, f) = b.add(to.clone(), frame("cd\n")).unwrap();
        assert_eq!(f.as_bytes(), b"ab\n");
        // The joined buffer is reused: no stale bytes from the last batch.
        assert!(b.add(to.clone(), frame("e\n")).is_none());
        let (_, f) = b.take().unwrap();
        assert_eq!(f.as_bytes(), b"cd\ne\n");
    }
}
