//! Protocol v1 (chat/1), the text wire format, both directions.
//!
//! Server side: [`parse()`] (client lines, framed by
//! [`Framer`](crate::framing::Framer), to
//! [`Command`](crate::Command)s), [`render`] ([`Reply`](crate::reply::Reply)
//! values to bytes). Client side: [`ServerLine::parse`] (server lines to
//! typed values) and [`encode_command`] (`Command`s to client lines). Every
//! server line is written through [`ServerLine::write`], and the fixed
//! words (codes, reasons, steps) come from one table each ([`WireWord`]),
//! so what the server renders is what clients parse. The whole format is
//! described in [`crate::protocol`].

mod encode;
pub mod parse;
mod render;
mod server;
mod server_line;
mod tags;
mod words;

pub use encode::{encode_command, EncodeError};
pub use parse::parse;
pub use render::{render, render_frame, render_tagged, PROTOCOL};
pub use server::ServerCodec;
pub use server_line::{MalformedLine, ServerLine, Word};
pub use tags::{parse_point, point_text, split_tags, Tags};
pub use words::{account_answer, AskField, WireWord};
