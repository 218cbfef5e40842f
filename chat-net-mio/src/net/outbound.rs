//! A connection's queue of unsent frames, flushed with vectored writes.

use std::collections::VecDeque;
use std::io::{self, IoSlice, Write};

use chat_core::Frame;

/// How many frames one `writev` carries at most (well under IOV_MAX).
const MAX_IOVECS: usize = 64;
/// Spare queues a pool keeps; more are freed.
const POOL_MAX: usize = 1024;
/// A queue that grew past this many frames is freed, not pooled.
const POOL_MAX_FRAMES: usize = 64;
/// What a spare queue keeps once the server is quiet: a storm's queues
/// grow (under load a connection waits several turns for its write), and
/// a full pool of them would cost idle connections 512 KiB per shard.
const QUIET_SPARE_FRAMES: usize = 8;

/// Queue storage of connections that have nothing to send, lent to those
/// that do: a connection holds a queue only while bytes are pending, and
/// a burst to many idle members allocates nothing once the pool is warm.
#[derive(Debug, Default)]
pub(crate) struct QueuePool {
    spare: Vec<VecDeque<Frame>>,
}

impl QueuePool {
    fn take(&mut self) -> VecDeque<Frame> {
        self.spare.pop().unwrap_or_default()
    }

    fn put(&mut self, mut queue: VecDeque<Frame>) {
        queue.clear();
        if self.spare.len() < POOL_MAX && queue.capacity() <= POOL_MAX_FRAMES {
            self.spare.push(queue);
        }
    }

    /// Shrinks every spare queue to what a quiet server needs (the pool
    /// stays warm for the next burst).
    pub(crate) fn shrink(&mut self) {
        let before = self.capacity();
        for queue in &mut self.spare {
            queue.shrink_to(QUIET_SPARE_FRAMES);
        }
        let after = self.capacity();
        if after < before {
            log::debug!(
                "quiet: {} spare write queues shrunk from {before} to {after} frames",
                self.spare.len()
            );
        }
    }

    /// Frames the spare queues could hold, in all.
    fn capacity(&self) -> usize {
        self.spare.iter().map(VecDeque::capacity).sum()
    }

    #[cfg(test)]
    fn len(&self) -> usize {
        self.spare.len()
    }
}

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
    /// Queues a frame, taking storage from `pool` if the queue has none.
    pub(crate) fn push_pooled(&mut self, frame: Frame, pool: &mut QueuePool) {
        if self.frames.capacity() == 0 {
            self.frames = pool.take();
        }
        self.push(frame);
    }

    /// Gives the queue's storage back to `pool` once everything is sent
    /// (or the connection is gone): an idle connection holds none.
    pub(crate) fn release(&mut self, pool: &mut QueuePool) {
        if self.frames.is_empty() && self.frames.capacity() > 0 {
            pool.put(std::mem::take(&mut self.frames));
        }
    }

    /// Drops what is queued (its connection is gone), the storage to `pool`.
    pub(crate) fn discard(&mut self, pool: &mut QueuePool) {
        pool.put(std::mem::take(&mut self.frames));
        *self = Outbound::default();
    }

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
        while let Some(front) = self.front() {
            // One frame (the usual case below saturation) is one plain
            // write; more take an array of slices no larger than needed,
            // since filling one is per write, per recipient.
            let wrote = match self.frames.len() {
                1 => sink.write(front),
                2..=8 => self.write_frames::<8>(sink),
                _ => self.write_frames::<MAX_IOVECS>(sink),
            };
            match wrote {
                Ok(0) => return Err(io::ErrorKind::WriteZero.into()),
                Ok(written) => self.consume(written),
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => return Ok(Flushed::Blocked),
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
        Ok(Flushed::All)
    }

    /// One `writev` of the first `N` frames at most.
    fn write_frames<const N: usize>(&self, sink: &mut impl Write) -> io::Result<usize> {
        let mut slices = [IoSlice::new(&[]); N];
        let mut n = 0;
        for (i, frame) in self.frames.iter().take(N).enumerate() {
            let bytes = if i == 0 {
                &frame[self.head_written..]
            } else {
                &frame[..]
            };
            slices[i] = IoSlice::new(bytes);
            n += 1;
        }
        sink.write_vectored(&slices[..n])
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
    fn a_queue_holds_storage_only_while_bytes_are_pending() {
        let mut pool = QueuePool::default();
        let mut q = Outbound::default();
        q.push_pooled(Frame::from(b"hi\n".to_vec()), &mut pool);
        let mut sink = Trickle {
            got: Vec::new(),
            room: 100,
            calls: 0,
        };
        assert_eq!(q.flush(&mut sink).unwrap(), Flushed::All);
        q.release(&mut pool);
        assert_eq!(q.frames.capacity(), 0, "an idle queue holds no storage");
        assert_eq!(pool.len(), 1);
        // The next connection with something to send reuses it.
        let mut other = Outbound::default();
        other.push_pooled(Frame::from(b"x\n".to_vec()), &mut pool);
        assert_eq!(pool.len(), 0);
        other.discard(&mut pool);
        assert_eq!((pool.len(), other.bytes()), (1, 0));
    }

    #[test]
    fn a_quiet_pool_keeps_its_queues_small() {
        let mut pool = QueuePool::default();
        let mut sink = Trickle {
            got: Vec::new(),
            room: 1 << 20,
            calls: 0,
        };
        // A storm: ten queues grow to 64 frames each before they are
        // written.
        let mut queues: Vec<Outbound> = (0..10).map(|_| Outbound::default()).collect();
        for q in &mut queues {
            for _ in 0..POOL_MAX_FRAMES {
                q.push_pooled(Frame::from(b"x\n".to_vec()), &mut pool);
            }
        }
        for q in &mut queues {
            assert_eq!(q.flush(&mut sink).unwrap(), Flushed::All);
            q.release(&mut pool);
        }
        assert_eq!(pool.len(), 10);
        assert!(pool.capacity() >= 10 * POOL_MAX_FRAMES);
        pool.shrink();
        assert_eq!(pool.len(), 10, "still warm for the next burst");
        assert!(
            pool.capacity() <= 10 * QUIET_SPARE_FRAMES,
            "{} frames kept",
            pool.capacity()
        );
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
