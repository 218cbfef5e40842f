//! Protocol v1, the text wire format: framing bytes into lines, parsing
//! lines into [`Command`](crate::Command)s, rendering
//! [`Reply`](crate::reply::Reply) values into bytes. Nothing outside this
//! module knows the text format, so a second codec can sit beside it.

mod frame;
mod framer;
pub mod parse;
mod render;

pub use frame::Frame;
pub use framer::{FrameError, Framer};
pub use parse::parse;
pub use render::{render, render_frame, PROTOCOL};
