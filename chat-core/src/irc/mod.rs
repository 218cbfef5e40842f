//! IRC as a second codec on the same engine: nick = account, the room is
//! `#lobby`, admins are its operators, a kick is `KICK` plus a ban, busy is
//! `AWAY`. Registration (`CAP`, `PASS`, `NICK`, `USER`), SASL PLAIN and
//! the NickServ service are the codec's; what reaches the engine are the
//! same [`Command`](crate::Command)s chat/1 sends.
//!
//! Reading a line is two steps ([`IrcCodec::prepare`], then
//! [`IrcCodec::parse`]): the first runs the IRC state machine, writes what
//! the codec answers by itself (CAP, numerics of queries, errors) and, when
//! the engine must act, notes the command with byte ranges into the line it
//! returns — the line itself, or a line of its own when the command's
//! words are the codec's (a name and password from SASL or `PASS`). The
//! second reads that note as a [`Command`](crate::Command) borrowed from the line.

mod codec;
pub mod message;
mod render;
mod sasl;

pub use codec::IrcCodec;
pub use render::{render_shared, RoomCaps, CHANNEL, HOST};
