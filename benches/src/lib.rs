//! `chat-load`, the load generator, as a library: a mio event loop that
//! drives many client connections against a chat server (protocol chat/1)
//! or an IRC server (for reference runs), and measures deliveries, latency,
//! login times, and the server's CPU and memory.
//!
//! Run it with `cargo run --release -p benches --bin chat-load -- --help`.

pub mod cli;
pub mod driver;
pub mod engine_ops;
pub mod payload;
pub mod procfs;
pub mod proto;
pub mod report;
pub mod stats;
pub mod store_data;
pub mod wire;
