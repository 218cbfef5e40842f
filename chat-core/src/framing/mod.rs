//! Bytes on a connection, whatever the protocol: [`Framer`] cuts what
//! arrives into lines, [`Frame`] holds rendered bytes to send, shared by
//! every recipient. Both codecs (chat/1 and IRC), the engine's output and
//! the client session build on this; it knows no protocol.

mod frame;
mod framer;

pub use frame::Frame;
pub use framer::{FrameError, Framer};
