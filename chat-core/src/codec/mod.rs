//! The seam between the engine and the wire formats.
//!
//! The engine sees [`Command`]s and [`Reply`]s only. A [`Protocol`] names a
//! codec; each connection gets a [`ConnCodec`] when it opens, which frames
//! its bytes, reads its lines as commands and renders what it is sent. The
//! engine keeps it opaque. A room line is rendered once per protocol in
//! use with [`Protocol::render`] and shared by its recipients. There are two codecs: chat/1
//! ([`crate::wire`]) and IRC ([`crate::irc`]).

use std::borrow::Cow;

use crate::error::Refusal;
use crate::framing::Framer;
pub use crate::irc::RoomCaps;
use crate::irc::{self, IrcCodec};
use crate::reply::Reply;
use crate::wire::{self, ServerCodec};
use crate::{Command, Frame};

/// Why a line could not be framed (too long, not UTF-8).
pub use crate::framing::FrameError as LineError;

/// A wire protocol a connection speaks, chosen by the listener that
/// accepted it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Protocol {
    /// chat/1, the text protocol of `PROTOCOL.md`.
    Chat1,
    /// IRC ([`crate::irc`]): the room is `#lobby`, the nick the account.
    Irc,
}

impl Protocol {
    /// How many protocols there are.
    pub const COUNT: usize = 2;

    /// Every protocol, in [`index`](Protocol::index) order.
    pub const ALL: [Protocol; Protocol::COUNT] = [Protocol::Chat1, Protocol::Irc];

    /// A dense index, for tables with one slot per protocol.
    pub fn index(self) -> usize {
        match self {
            Protocol::Chat1 => 0,
            Protocol::Irc => 1,
        }
    }

    /// Renders replies that carry no per-connection state (room lines),
    /// for every recipient speaking this protocol with no options on, on
    /// the server named `server`.
    pub fn render(self, server: &str, replies: &[Reply<'_>]) -> Frame {
        Rendering::plain(self).render(server, replies)
    }
}

/// How room lines are rendered for a connection: its protocol and, for
/// IRC, the capabilities that change a room line's bytes (`server-time`
/// tags, `away-notify`). A room keeps its members per rendering, so a
/// broadcast is rendered once per rendering in use, never per member.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Rendering {
    /// chat/1.
    Chat1,
    /// chat/1 with tags on (`/tags on`): message lines carry their ids.
    Chat1Tagged,
    /// IRC with these capabilities.
    Irc(RoomCaps),
}

impl Rendering {
    /// How many renderings there are.
    pub const COUNT: usize = 6;

    /// Every rendering, in [`index`](Rendering::index) order.
    pub const ALL: [Rendering; Rendering::COUNT] = [
        Rendering::Chat1,
        Rendering::Irc(RoomCaps::new(false, false)),
        Rendering::Irc(RoomCaps::new(true, false)),
        Rendering::Irc(RoomCaps::new(false, true)),
        Rendering::Irc(RoomCaps::new(true, true)),
        Rendering::Chat1Tagged,
    ];

    /// A protocol with no options on.
    pub fn plain(protocol: Protocol) -> Rendering {
        match protocol {
            Protocol::Chat1 => Rendering::Chat1,
            Protocol::Irc => Rendering::Irc(RoomCaps::default()),
        }
    }

    /// A dense index, for tables with one slot per rendering.
    pub fn index(self) -> usize {
        match self {
            Rendering::Chat1 => 0,
            Rendering::Irc(caps) => {
                1 + usize::from(caps.server_time) + 2 * usize::from(caps.away_notify)
            }
            Rendering::Chat1Tagged => 5,
        }
    }

    /// Renders room lines for every recipient of this rendering, on the
    /// server named `server` (IRC names it as the source of its own lines
    /// and the host of users); an empty frame when none of them is shown
    /// (an `AWAY` to a chat/1 client).
    ///
    /// ```
    /// use chat_core::codec::{Rendering, RoomCaps};
    /// use chat_core::reply::{Identity, Reply};
    /// use chat_core::Millis;
    /// let who = Identity { user_name: Some("ann1"), ..Identity::default() };
    /// let line = Reply::RoomJoin { room: chat_core::LOBBY, at: Millis(0), user: "ann", who };
    /// let tagged = Rendering::Irc(RoomCaps::new(true, false)).render("irc.example", &[line]);
    /// assert_eq!(
    ///     &tagged[..],
    ///     b"@time=1970-01-01T00:00:00.000Z :ann!ann1@irc.example JOIN #lobby\r\n"
    /// );
    /// ```
    pub fn render(self, server: &str, replies: &[Reply<'_>]) -> Frame {
        let mut out = Vec::with_capacity(64);
        for reply in replies {
            match self {
                Rendering::Chat1 => wire::render(reply, &mut out),
                Rendering::Chat1Tagged => wire::render_tagged(reply, &mut out),
                Rendering::Irc(caps) => irc::render_shared(reply, caps, server, &mut out),
            }
        }
        Frame::from(out)
    }
}

/// The codec state of one connection: the line framing every protocol
/// shares, and the protocol's own state.
#[derive(Debug)]
pub struct ConnCodec {
    framer: Framer,
    inner: Inner,
}

#[derive(Debug)]
enum Inner {
    Chat1(ServerCodec),
    Irc(Box<IrcCodec>),
}

impl ConnCodec {
    /// A connection speaking `protocol`, with lines of at most `max_line`
    /// bytes.
    pub fn new(protocol: Protocol, max_line: usize) -> ConnCodec {
        ConnCodec {
            framer: Framer::new(max_line),
            inner: match protocol {
                Protocol::Chat1 => Inner::Chat1(ServerCodec::new()),
                Protocol::Irc => Inner::Irc(Box::default()),
            },
        }
    }

    /// The protocol it speaks.
    pub fn protocol(&self) -> Protocol {
        match self.inner {
            Inner::Chat1(_) => Protocol::Chat1,
            Inner::Irc(_) => Protocol::Irc,
        }
    }

    /// The next whole line of `bytes`, consuming them; `None` when more
    /// bytes are needed.
    pub fn next_line<'b>(
        &mut self,
        bytes: &mut &'b [u8],
    ) -> Option<Result<Cow<'b, str>, LineError>> {
        self.framer.next_line(bytes)
    }

    /// Bytes of a partial line held.
    pub fn buffered(&self) -> usize {
        self.framer.buffered()
    }

    /// The first step of reading a line: the codec's own state machine
    /// runs (IRC registration, capabilities, queries it answers itself,
    /// whose lines [`take_local`](ConnCodec::take_local) hands out), and
    /// the line to [`parse`](ConnCodec::parse) comes back: this one, or
    /// one of the codec's when the command's words are its own (a name
    /// and password gathered over several IRC lines). chat/1 returns the
    /// line as it is.
    pub fn prepare<'b>(&mut self, line: Cow<'b, str>) -> Cow<'b, str> {
        match &mut self.inner {
            Inner::Chat1(_) => line,
            Inner::Irc(c) => c.prepare(line),
        }
    }

    /// Reads a prepared line as a command (an answer when the codec asked
    /// a question), `None` when the codec answered it by itself, or the
    /// refusal for a line it cannot read.
    pub fn parse<'l>(&mut self, line: &'l str) -> Result<Option<Command<'l>>, Refusal> {
        match &mut self.inner {
            Inner::Chat1(c) => c.parse(line),
            Inner::Irc(c) => c.parse(line),
        }
    }

    /// Lines the last one stands for beside itself, to be read next (an
    /// IRC `JOIN` of several channels: one command each).
    pub fn take_followups(&mut self) -> Vec<String> {
        match &mut self.inner {
            Inner::Chat1(_) => Vec::new(),
            Inner::Irc(c) => c.take_followups(),
        }
    }

    /// What the codec answered by itself while reading the last line.
    pub fn take_local(&mut self) -> Option<Vec<u8>> {
        match &mut self.inner {
            Inner::Chat1(c) => c.take_local(),
            Inner::Irc(c) => c.take_local(),
        }
    }

    /// How this connection's room lines are rendered now.
    pub fn rendering(&self) -> Rendering {
        match &self.inner {
            Inner::Chat1(c) if c.tags() => Rendering::Chat1Tagged,
            Inner::Chat1(_) => Rendering::Chat1,
            Inner::Irc(c) => Rendering::Irc(c.room_caps()),
        }
    }

    /// The rendering, if the last line changed it (an IRC `CAP REQ`, a
    /// chat/1 `/tags`): the engine then moves the member to the room's
    /// other list.
    pub fn take_rendering_change(&mut self) -> Option<Rendering> {
        match &mut self.inner {
            Inner::Chat1(c) => c.take_tags_change().then(|| self.rendering()),
            Inner::Irc(c) => c.take_caps_change().map(Rendering::Irc),
        }
    }

    /// Lets a connection that does not log in chat as a guest (IRC: after
    /// registration, under its nick); off unless the server allows it.
    pub fn allow_guests(&mut self, on: bool) {
        if let Inner::Irc(c) = &mut self.inner {
            c.allow_guests(on);
        }
    }

    /// Names the server in the lines the codec writes by itself (IRC's
    /// numerics; chat/1 names it in `HELLO` alone, from the engine).
    pub fn set_server_name(&mut self, name: std::sync::Arc<str>) {
        if let Inner::Irc(c) = &mut self.inner {
            c.set_server_name(name);
        }
    }

    /// Whether a login checked now may enter the room at once: chat/1
    /// always; IRC once registration is complete (a SASL login is checked
    /// before `CAP END`, and the client enters when it sends it, with
    /// [`Command::Ready`]).
    pub fn ready_to_enter(&self) -> bool {
        match &self.inner {
            Inner::Chat1(_) => true,
            Inner::Irc(c) => c.registered(),
        }
    }

    /// What the client said of itself when it connected: IRC's `USER`
    /// user name and real name (chat/1: none).
    pub fn identity(&self) -> (Option<&str>, Option<&str>) {
        match &self.inner {
            Inner::Chat1(_) => (None, None),
            Inner::Irc(c) => c.identity(),
        }
    }

    /// Whether the server pings this connection when it is idle (IRC
    /// clients expect it and answer `PONG`; chat/1 has its idle timeout).
    pub fn wants_keepalive(&self) -> bool {
        matches!(self.inner, Inner::Irc(_))
    }

    /// Whether the client gets its own room lines back (chat/1 always;
    /// IRC with `echo-message`). The engine leaves the sender out of a
    /// room line otherwise.
    pub fn echoes_own_lines(&self) -> bool {
        match &self.inner {
            Inner::Chat1(_) => true,
            Inner::Irc(c) => c.echoes_own_lines(),
        }
    }

    /// Whether the client gets its own private messages back (IRC with
    /// `echo-message`; chat/1 has `OK sent` instead).
    pub fn echoes_private_messages(&self) -> bool {
        match &self.inner {
            Inner::Chat1(_) => false,
            Inner::Irc(c) => c.echoes_own_lines(),
        }
    }

    /// Whether the client sees its own part as the room does (IRC's `PART`
    /// echoed with its message); chat/1 has `OK parted` instead.
    pub fn sees_own_part(&self) -> bool {
        matches!(self.inner, Inner::Irc(_))
    }

    /// Whether the client expects the room's members listed when it
    /// enters (IRC's names on join); the engine then sends a listing.
    pub fn lists_room_on_join(&self) -> bool {
        matches!(self.inner, Inner::Irc(_))
    }

    /// The line just parsed was dropped unread: reopen what it answered.
    pub fn unread(&mut self) {
        match &mut self.inner {
            Inner::Chat1(c) => c.unread(),
            Inner::Irc(c) => c.unread(),
        }
    }

    /// Appends `replies` for this connection to `out`.
    pub fn render(&mut self, replies: &[Reply<'_>], out: &mut Vec<u8>) {
        match &mut self.inner {
            Inner::Chat1(c) => replies.iter().for_each(|reply| c.render(reply, out)),
            Inner::Irc(c) => c.render(replies, out),
        }
    }
}
