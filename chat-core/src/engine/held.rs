//! The room lines held for a busy user.

use std::collections::VecDeque;

use crate::Frame;

/// A bounded queue of held room lines: past the caps (lines and bytes)
/// the oldest are dropped and counted, so `/free` can say how many were
/// lost and its replay stays well under the runtime's outbound cap.
#[derive(Debug, Default)]
pub(crate) struct HeldLines {
    lines: VecDeque<Frame>,
    bytes: usize,
    dropped: u64,
}

impl HeldLines {
    pub(crate) fn push(&mut self, frame: Frame, cap: usize, max_bytes: usize) {
        if cap == 0 || frame.len() > max_bytes {
            self.dropped += 1;
            return;
        }
        while self.lines.len() >= cap || self.bytes + frame.len() > max_bytes {
            let Some(old) = self.lines.pop_front() else {
                break;
            };
            self.bytes -= old.len();
            self.dropped += 1;
        }
        self.bytes += frame.len();
        self.lines.push_back(frame);
    }

    /// Bytes held.
    pub(crate) fn bytes(&self) -> usize {
        self.bytes
    }

    pub(crate) fn len(&self) -> usize {
        self.lines.len()
    }

    /// The held lines in order, and how many were dropped.
    pub(crate) fn into_parts(self) -> (VecDeque<Frame>, u64) {
        (self.lines, self.dropped)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn drops_oldest_past_cap() {
        let mut h = HeldLines::default();
        for i in 0..5u8 {
            h.push(Frame::from(vec![i]), 3, 100);
        }
        let (lines, dropped) = h.into_parts();
        assert_eq!(dropped, 2);
        let kept: Vec<u8> = lines.iter().map(|f| f.as_bytes()[0]).collect();
        assert_eq!(kept, vec![2, 3, 4]);
    }

    #[test]
    fn drops_oldest_past_the_byte_cap() {
        let mut h = HeldLines::default();
        for i in 0..5u8 {
            h.push(Frame::from(vec![i; 10]), 100, 25);
        }
        assert_eq!(h.bytes(), 20);
        h.push(Frame::from(vec![9; 26]), 100, 25);
        let (lines, dropped) = h.into_parts();
        assert_eq!((lines.len(), dropped), (2, 4));
    }
}
