//! Protocol v1 (chat/1), the text wire format, both directions.
//!
//! Client lines: [`parse()`] (a line, framed by
//! [`Framer`](crate::framing::Framer), to a [`Command`](crate::Command)) and
//! [`encode_command`] (back), both by the forms of the command catalogue
//! ([`crate::command::catalogue`]). Server lines: [`render`] (a
//! [`Reply`](crate::reply::Reply) to bytes) and [`parse_reply`] (back),
//! both by the one declaration of each line in [`server_lines`]; the fixed
//! words (codes, reasons, steps, presences) come from one table each
//! ([`WireWord`]). So what the server writes is what clients read. The
//! whole format is described in [`crate::protocol`].

mod encode;
mod lines;
pub mod parse;
pub(crate) mod render;
mod server;
mod tags;
mod words;

pub use encode::{encode_command, EncodeError};
pub use lines::{parse_reply, server_lines, KindSpec, LineSpec, MalformedLine};
pub use parse::parse;
pub use render::{render, render_frame, render_tagged, PROTOCOL, RENDERING, RENDERING_TAGGED};
pub use server::ServerCodec;
pub use tags::{parse_point, point_text, split_tags, Tags};
pub use words::{account_answer, WireWord};
