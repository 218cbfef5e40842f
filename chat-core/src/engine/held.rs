//! The room lines held for a busy user.

use std::collections::VecDeque;

use crate::Frame;

/// A bounded queue of held room lines: past the cap the oldest is dropped
/// and counted, so `/free` can say how many were lost.
#[derive(Debug, Default)]
pub(crate) struct HeldLines {
    lines: VecDeque<Frame>,
    dropped: u64,
}

impl HeldLines {
    pub(crate) fn push(&mut self, frame: Frame, cap: usize) {
        if cap == 0 {
            self.dropped += 1;
            return;
        }
        if self.lines.len() >= cap {
            self.lines.pop_front();
            self.dropped += 1;
        }
        self.lines.push_back(frame);
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
            h.push(Frame::from(vec![i]), 3);
        }
        let (lines, dropped) = h.into_parts();
        assert_eq!(dropped, 2);
        let kept: Vec<u8> = lines.iter().map(|f| f.as_bytes()[0]).collect();
        assert_eq!(kept, vec![2, 3, 4]);
    }
}
