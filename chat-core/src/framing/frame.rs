//! `Frame`: rendered bytes ready for the socket, shared by every recipient.

use std::fmt;
use std::ops::Deref;
use std::sync::Arc;

/// One or more rendered lines, ready to write to a connection.
///
/// Cloning a frame is a reference-count increment: a room message is
/// rendered once and the same bytes go to every member. A frame made from
/// a rendered `Vec<u8>` takes that buffer over, without copying it (a
/// shared `Arc<Vec<u8>>` rather than `bytes::Bytes`: cloning and dropping
/// stay one inline atomic each, which the room fan-out is made of).
///
/// ```
/// use chat_core::Frame;
/// let buf = b"PONG\n".to_vec();
/// let at = buf.as_ptr();
/// let f = Frame::from(buf);
/// let g = f.clone();
/// assert!(std::ptr::eq(f.as_bytes(), g.as_bytes()));
/// assert_eq!(f.as_bytes().as_ptr(), at);
/// ```
#[derive(Clone, PartialEq, Eq)]
pub struct Frame(Arc<Vec<u8>>);

impl Frame {
    /// The bytes to write.
    pub fn as_bytes(&self) -> &[u8] {
        &self.0
    }

    /// The number of bytes.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Whether the frame is empty.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl From<Vec<u8>> for Frame {
    /// Takes the buffer over (no copy).
    fn from(v: Vec<u8>) -> Frame {
        Frame(Arc::new(v))
    }
}

impl From<&[u8]> for Frame {
    /// Copies the bytes.
    fn from(bytes: &[u8]) -> Frame {
        Frame(Arc::new(bytes.to_vec()))
    }
}

impl Deref for Frame {
    type Target = [u8];
    fn deref(&self) -> &[u8] {
        &self.0
    }
}

impl AsRef<[u8]> for Frame {
    fn as_ref(&self) -> &[u8] {
        &self.0
    }
}

impl fmt::Debug for Frame {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Frame({:?})", String::from_utf8_lossy(&self.0))
    }
}
