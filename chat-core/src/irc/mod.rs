//! IRC as a second codec on the same engine: nick = account, the lobby is
//! `#lobby` and every other room a channel, admins are the lobby's
//! operators, a kick is `KICK` plus a ban, busy is `AWAY`. What reaches
//! the engine are the same [`Command`](crate::Command)s chat/1 sends; what
//! it answers ([`Reply`](crate::reply::Reply)s) is rendered straight to
//! IRC lines, never through chat/1's text.
//!
//! The parts, one job each:
//! - [`message`]: the syntax of a line;
//! - `registration`, `caps`, `sasl`, `nickserv`: registration (`NICK`,
//!   `USER`, `PASS`), capability negotiation, SASL PLAIN and the NickServ
//!   service, which log a connection in;
//! - `parse`: a logged-in client's commands as engine commands;
//! - `chathistory`: `CHATHISTORY` as the engine's history pages, and the
//!   batch of its answer;
//! - `label`: `labeled-response`, the answer to a labeled line as one
//!   labeled line, a labeled batch or `ACK`;
//! - `policy`: this server's rules (before login, the lobby);
//! - `listing`: which listing the engine's rows answer;
//! - `lines`: the shapes of lines (numerics, notices, masks), each naming
//!   the server by its configured name;
//! - `render`: replies to lines, shared room lines and listings apart; it
//!   reads the connection's state and never changes it;
//! - [`IrcCodec`]: one connection's state, tying them together.
//!
//! Reading a line is two steps ([`Codec::prepare`](crate::seam::Codec::prepare), then
//! [`Codec::parse`](crate::seam::Codec::parse)): the first runs the IRC state machine, writes what
//! the codec answers by itself (CAP, numerics of queries, errors) and, when
//! the engine must act, notes the command with byte ranges into the line it
//! returns — the line itself, or a line of its own when the command's
//! words are the codec's (a name and password from SASL or `PASS`). The
//! second reads that note as a [`Command`](crate::Command) borrowed from the line.

mod caps;
mod chathistory;
mod codec;
mod label;
mod lines;
mod listing;
pub mod message;
mod nickserv;
mod parse;
mod policy;
mod registration;
mod render;
mod sasl;

pub use caps::RoomCaps;
pub use codec::IrcCodec;
pub use label::MAX_LABEL;
pub use lines::CHANNEL;
pub use render::{render_shared, RENDERINGS};
