//! The seam between the engine and the wire formats.
//!
//! The engine sees [`Command`]s and [`Reply`]s only. A [`Protocol`] names a
//! codec; each connection gets a [`ConnCodec`] when it opens, which frames
//! its bytes, reads its lines as commands and renders what it is sent. The
//! engine keeps it opaque. A room line is rendered once per protocol in
//! use with [`Protocol::render`] and shared by its recipients. Today there
//! is one codec, chat/1 ([`crate::wire`]); another plugs in as a variant
//! here, without touching the engine's logic.

use std::borrow::Cow;

use crate::error::Refusal;
use crate::reply::Reply;
use crate::wire::{self, ServerCodec};
use crate::{Command, Frame};

/// Why a line could not be framed (too long, not UTF-8).
pub use crate::wire::FrameError as LineError;

/// A wire protocol a connection speaks, chosen by the listener that
/// accepted it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Protocol {
    /// chat/1, the text protocol of `PROTOCOL.md`.
    Chat1,
}

impl Protocol {
    /// How many protocols there are.
    pub const COUNT: usize = 1;

    /// Every protocol, in [`index`](Protocol::index) order.
    pub const ALL: [Protocol; Protocol::COUNT] = [Protocol::Chat1];

    /// A dense index, for tables with one slot per protocol.
    pub fn index(self) -> usize {
        match self {
            Protocol::Chat1 => 0,
        }
    }

    /// Renders replies that carry no per-connection state (room lines),
    /// for every recipient speaking this protocol.
    pub fn render(self, replies: &[Reply<'_>]) -> Frame {
        let mut out = Vec::with_capacity(64);
        for reply in replies {
            match self {
                Protocol::Chat1 => wire::render(reply, &mut out),
            }
        }
        Frame::from(out)
    }
}

/// The codec state of one connection.
#[derive(Debug)]
pub struct ConnCodec(Inner);

#[derive(Debug)]
enum Inner {
    Chat1(ServerCodec),
}

impl ConnCodec {
    /// A connection speaking `protocol`, with lines of at most `max_line`
    /// bytes.
    pub fn new(protocol: Protocol, max_line: usize) -> ConnCodec {
        ConnCodec(match protocol {
            Protocol::Chat1 => Inner::Chat1(ServerCodec::new(max_line)),
        })
    }

    /// The protocol it speaks.
    pub fn protocol(&self) -> Protocol {
        match self.0 {
            Inner::Chat1(_) => Protocol::Chat1,
        }
    }

    /// The next whole line of `bytes`, consuming them; `None` when more
    /// bytes are needed.
    pub fn next_line<'b>(
        &mut self,
        bytes: &mut &'b [u8],
    ) -> Option<Result<Cow<'b, str>, LineError>> {
        match &mut self.0 {
            Inner::Chat1(c) => c.next_line(bytes),
        }
    }

    /// Bytes of a partial line held.
    pub fn buffered(&self) -> usize {
        match &self.0 {
            Inner::Chat1(c) => c.buffered(),
        }
    }

    /// Reads a line as a command (an answer when the codec asked a
    /// question), or the refusal for a line it cannot read.
    pub fn parse<'l>(&mut self, line: &'l str) -> Result<Command<'l>, Refusal> {
        match &mut self.0 {
            Inner::Chat1(c) => c.parse(line),
        }
    }

    /// The line just parsed was dropped unread: reopen what it answered.
    pub fn unread(&mut self) {
        match &mut self.0 {
            Inner::Chat1(c) => c.unread(),
        }
    }

    /// Appends `replies` for this connection to `out`.
    pub fn render(&mut self, replies: &[Reply<'_>], out: &mut Vec<u8>) {
        for reply in replies {
            match &mut self.0 {
                Inner::Chat1(c) => c.render(reply, out),
            }
        }
    }
}
