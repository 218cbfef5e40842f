//! The seam between the engine and the wire formats, in the engine's
//! own terms: a connection's codec is a [`Codec`], opened for the
//! [`Protocol`] its listener speaks; room lines are rendered through a
//! [`Rendering`], once per rendering in use and shared by every member
//! with it. Nothing here names chat/1 or IRC: the codecs (chat/1 in
//! [`crate::wire`], IRC in [`crate::irc`]) implement it, and
//! [`crate::codec`] opens them.

use std::borrow::Cow;
use std::fmt;
use std::sync::Arc;

use serde::{Deserialize, Serialize};

use crate::framing::FrameError;
use crate::reply::Reply;
use crate::{Command, Frame, Refusal};

/// A wire protocol a connection speaks, chosen by the listener that
/// accepted it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[non_exhaustive]
pub enum Protocol {
    /// chat/1, the text protocol of `PROTOCOL.md`.
    Chat1,
    /// IRC (irssi, weechat, hexchat): the lobby is `#lobby`, the nick the
    /// account.
    Irc,
}

/// What a connection's codec is told when it opens.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct CodecOptions {
    /// The longest line, its ending included.
    pub max_line: usize,
    /// The server's name (`Config::server_name`), for the lines a codec
    /// writes in the server's name (IRC names it as their source).
    pub server_name: Arc<str>,
    /// Whether a connection that registers without logging in may chat as
    /// a guest (IRC: under its nick).
    pub guests: bool,
    /// The most lines one history page shows
    /// (`limits.history_page_lines`; IRC says it in `005` as
    /// `CHATHISTORY=`).
    pub history_page_lines: usize,
}

impl CodecOptions {
    /// Lines of at most `max_line` bytes on the server named
    /// `server_name`, no guests, history pages of at most 100 lines.
    pub fn new(max_line: usize, server_name: Arc<str>) -> CodecOptions {
        CodecOptions {
            max_line,
            server_name,
            guests: false,
            history_page_lines: 100,
        }
    }
}

/// Opens the codec of a connection speaking a protocol.
pub type OpenCodec = fn(Protocol, &CodecOptions) -> Box<dyn Codec>;

/// One connection's codec, as the engine sees it: it frames the
/// connection's bytes into lines, reads lines as [`Command`]s, renders
/// [`Reply`]s, and says how the connection's room lines are rendered.
/// The engine keeps it opaque.
pub trait Codec: fmt::Debug + Send {
    /// The protocol it speaks.
    fn protocol(&self) -> Protocol;

    /// The next whole line of `bytes`, consuming them; `None` when more
    /// bytes are needed.
    fn next_line<'b>(&mut self, bytes: &mut &'b [u8]) -> Option<Result<Cow<'b, str>, FrameError>>;

    /// Bytes of a partial line held.
    fn buffered(&self) -> usize;

    /// The first step of reading a line: the codec's own state machine
    /// runs (registration, queries it answers itself, whose lines
    /// [`take_local`](Codec::take_local) hands out), and the line to
    /// [`parse`](Codec::parse) comes back: this one, or one of the
    /// codec's when the command's words are its own (a name and password
    /// gathered over several lines).
    fn prepare<'b>(&mut self, line: Cow<'b, str>) -> Cow<'b, str> {
        line
    }

    /// Reads a prepared line as a command (an answer when the codec asked
    /// a question), `None` when the codec answered it by itself, or the
    /// refusal for a line it cannot read.
    fn parse<'l>(&mut self, line: &'l str) -> Result<Option<Command<'l>>, Refusal>;

    /// Lines the last one stands for beside itself, to be read next (a
    /// line that names several rooms: one command each).
    fn take_followups(&mut self) -> Vec<String> {
        Vec::new()
    }

    /// What the codec answered by itself while reading the last line.
    fn take_local(&mut self) -> Option<Vec<u8>>;

    /// Whether the line being answered asked for its answer to be marked
    /// as such (IRCv3 `labeled-response`), and the answer is not ended
    /// yet. The engine then passes the connection's output that answers
    /// the line (and only that: not lines of others reaching it
    /// meanwhile) through [`respond`](Codec::respond), and ends it with
    /// [`end_response`](Codec::end_response) once the line, the lines it
    /// stood for, and any wait or long answer it caused are done.
    fn response_open(&self) -> bool {
        false
    }

    /// Appends to `out` what goes out for `bytes` (whole lines answering
    /// the line of the open response): marked, or held back a while.
    fn respond(&mut self, bytes: &[u8], out: &mut Vec<u8>) {
        out.extend_from_slice(bytes);
    }

    /// Ends the open response, appending its ending (and anything it held
    /// back) to `out`; nothing when none is open, or, unless `now`, when
    /// the line stands for lines still to be read
    /// ([`take_followups`](Codec::take_followups)), whose answers are part
    /// of it. `now`: the connection closes.
    fn end_response(&mut self, now: bool, out: &mut Vec<u8>) {
        let _ = (now, out);
    }

    /// The line just parsed was dropped unread: reopen what it answered.
    fn unread(&mut self);

    /// Appends the lines of `replies` for this connection to `out`.
    fn render(&mut self, replies: &[Reply<'_>], out: &mut Vec<u8>);

    /// How this connection's room lines are rendered now.
    fn rendering(&self) -> Rendering;

    /// The rendering, if the last line changed it (a client turning an
    /// option on): the engine then moves the member to the room's other
    /// list.
    fn take_rendering_change(&mut self) -> Option<Rendering>;

    /// Whether a login checked now may enter at once; a codec whose
    /// registration is not complete yet says no, and the client enters
    /// when it sends [`Command::Ready`].
    fn ready_to_enter(&self) -> bool {
        true
    }

    /// What the client said of itself when it connected, if anything: a
    /// user name and a real name.
    fn identity(&self) -> (Option<&str>, Option<&str>) {
        (None, None)
    }

    /// Whether the server pings this connection when it is idle (and
    /// drops it when no answer comes).
    fn wants_keepalive(&self) -> bool {
        false
    }

    /// Whether the client gets its own room lines back; the engine leaves
    /// the sender out of a room line otherwise.
    fn echoes_own_lines(&self) -> bool {
        true
    }

    /// Whether the client gets its own private messages back (the engine
    /// confirms them otherwise).
    fn echoes_private_messages(&self) -> bool {
        false
    }

    /// Whether the client sees its own leaving of a room as the room sees
    /// it (the engine confirms it otherwise).
    fn sees_own_part(&self) -> bool {
        false
    }

    /// Whether the client expects a room's members listed when it enters
    /// one; the engine then sends a listing.
    fn lists_room_on_join(&self) -> bool {
        false
    }
}

/// How room lines are rendered for a connection (its protocol and the
/// options that change a room line's bytes). A room keeps its members per
/// rendering, so a broadcast is rendered once per rendering in use and
/// shared by every member with it, never per member.
///
/// Each codec declares its renderings as constants, each in a slot of its
/// own below [`Rendering::SLOTS`] (`codec` checks that no two share one).
#[derive(Clone, Copy)]
pub struct Rendering(&'static RenderingSpec);

/// What a [`Rendering`] is.
#[derive(Debug)]
pub struct RenderingSpec {
    /// Its slot: a dense index, for tables with one place per rendering.
    pub slot: usize,
    /// Its name, for people (`chat/1`, `IRC with server-time`).
    pub name: &'static str,
    /// Renders room lines for every connection with this rendering, on
    /// the server of the name given.
    pub render: fn(&[Reply<'_>], &str, &mut Vec<u8>),
}

impl Rendering {
    /// How many renderings there may be.
    pub const SLOTS: usize = 16;

    /// A rendering; its slot must be below [`Rendering::SLOTS`].
    pub const fn new(spec: &'static RenderingSpec) -> Rendering {
        assert!(spec.slot < Rendering::SLOTS);
        Rendering(spec)
    }

    /// Its slot, a dense index below [`Rendering::SLOTS`].
    pub fn slot(self) -> usize {
        self.0.slot
    }

    /// Its name, for people.
    pub fn name(self) -> &'static str {
        self.0.name
    }

    /// Renders room lines for every recipient of this rendering, on the
    /// server named `server` (a codec may name it as the source of its
    /// lines); an empty frame when none of them is shown to it.
    pub fn render(self, server: &str, replies: &[Reply<'_>]) -> Frame {
        // Room for a usual line with its source (IRC's 64 bytes of text
        // take 105), so most render without growing: a growth is a second
        // allocation and a copy, and a frame keeps its capacity.
        let mut out = Vec::with_capacity(128);
        (self.0.render)(replies, server, &mut out);
        Frame::from(out)
    }
}

impl PartialEq for Rendering {
    fn eq(&self, other: &Rendering) -> bool {
        self.slot() == other.slot()
    }
}

impl Eq for Rendering {}

impl std::hash::Hash for Rendering {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.slot().hash(state);
    }
}

impl fmt::Debug for Rendering {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Rendering({})", self.name())
    }
}
