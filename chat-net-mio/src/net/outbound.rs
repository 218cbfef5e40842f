//! A connection's queue of unsent frames, flushed with vectored writes.

use std::collections::VecDeque;
use std::io::{self, IoSlice, Write};

use chat_core::Frame;

/// How many frames one `writev` carries at most (well under IOV_MAX).
const MAX_IOVECS: usize = 64;

/// Frames waiting for the socket, shared with every other recipient; the
/// first may be partly written already.
#[derive(Debug, Default)]
pub(crate) struct Outbound {
    frames: VecDeque<Frame>,
    /// Bytes of the first frame already written.
    head_written: usize,
    /// Unsent bytes in all.
    bytes: usize,
}

/// What a flush achieved.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Flushed {
    /// Everything is written.
    All,
    /// The socket is full; wait for it to become writable.
    Blocked,
}

impl Outbound {
    pub(crate) fn push(&mut self, frame: Frame) {
        self.bytes += frame.len();
        self.frames.push_back(frame);
    }

    pub(crate) fn bytes(&self) -> usize {
        self.bytes
    }

    /// The unsent part of the first frame.
    pub(crate) fn front(&self) -> Option<&[u8]> {
        self.frames.front().map(|f| &f[self.head_written..])
    }

    /// Marks `n` bytes from the front as sent.
    pub(crate) fn advance(&mut self, n: usize) {
        self.consume(n);
    }

    /// Drops everything queued (the transport said goodbye already).
    pub(crate) fn clear(&mut self) {
        *self = Outbound::default();
    }

    #[cfg(test)]
    pub(crate) fn is_empty(&self) -> bool {
        self.frames.is_empty()
    }

    /// Writes as much as the socket takes: every queued frame in as few
    /// `writev` calls as possible.
    pub(crate) fn flush(&mut self, sink: &mut impl Write) -> io::Result<Flushed> {
        while !self.frames.is_empty() {
            let mut slices = [IoSlice::new(&[]); MAX_IOVECS];
            let mut n = 0;
            for (i, frame) in self.frames.iter().take(MAX_IOVECS).enumerate() {
                let bytes = if i == 0 {
                    &frame[self.head_written..]
                } else {
                    &frame[..]
                };
                slices[i] = IoSlice::new(bytes);
                n += 1;
            }
            match sink.write_vectored(&slices[..n]) {
                Ok(0) => return Err(io::ErrorKind::WriteZero.into()),
                Ok(written) => self.consume(written),
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => return Ok(Flushed::Blocked),
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
        Ok(Flushed::All)
    }

    fn consume(&mut self, mut written: usize) {
        self.bytes -= written;
        while written > 0 {
            let Some(head) = self.frames.front() else {
                return;
            };
            let left = head.len() - self.head_written;
            if written >= left {
                written -= left;
                self.frames.pop_front();
                self.head_written = 0;
            } else {
                self.head_written += written;
                written = 0;
            }
        }
        if self.frames.is_empty() {
            // Give the memory back: most connections are idle most of the time.
            self.frames = VecDeque::new();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A sink that takes at most `room` bytes per call, then blocks.
    struct Trickle {
        got: Vec<u8>,
        room: usize,
        calls: usize,
    }

    impl Write for Trickle {
        fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
            self.write_vectored(&[IoSlice::new(buf)])
        }
        fn write_vectored(&mut self, bufs: &[IoSlice<'_>]) -> io::Result<usize> {
            self.calls += 1;
            if self.room == 0 {
                return Err(io::ErrorKind::WouldBlock.into());
            }
            let mut n = 0;
            for b in bufs {
                let take = b.len().min(self.room - n);
                self.got.extend_from_slice(&b[..take]);
                n += take;
                if n == self.room {
                    break;
                }
            }
            self.room -= n;
            Ok(n)
        }
        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn partial_writes_resume_mid_frame() {
        let mut q = Outbound::default();
        q.push(Frame::from(b"hello\n".to_vec()));
        q.push(Frame::from(b"world\n".to_vec()));
        let mut sink = Trickle {
            got: Vec::new(),
            room: 8,
            calls: 0,
        };
        assert_eq!(q.flush(&mut sink).unwrap(), Flushed::Blocked);
        assert_eq!(q.bytes(), 4);
        sink.room = 100;
        assert_eq!(q.flush(&mut sink).unwrap(), Flushed::All);
        assert_eq!(sink.got, b"hello\nworld\n");
        assert!(q.is_empty());
    }

    #[test]
    fn many_frames_go_in_one_call() {
        let mut q = Outbound::default();
        for _ in 0..50 {
            q.push(Frame::from(b"x\n".to_vec()));
        }
        let mut sink = Trickle {
            got: Vec::new(),
            room: 1000,
            calls: 0,
        };
        assert_eq!(q.flush(&mut sink).unwrap(), Flushed::All);
        assert_eq!(sink.calls, 1);
        assert_eq!(sink.got.len(), 100);
    }
}
