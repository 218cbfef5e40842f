//! What becomes of a connection refused at accept ([`super::admission`]):
//! how it is closed, and how the refusals are logged.

use std::time::{Duration, Instant};

use log::warn;

use super::admission::Refused;
use crate::event_loop::Shared;
use crate::Protocol;

/// Closes a connection refused at accept. A plain listener's client is
/// told why first, in its protocol (the server speaks first there, and the
/// kernel takes so short an answer at once); anything else is reset at
/// once, with no handshake begun and nothing spent on it.
pub(crate) fn refuse_at_accept(
    stream: mio::net::TcpStream,
    protocol: Protocol,
    handshake: bool,
    refused: Refused,
    shared: &Shared,
) {
    use std::io::Write;
    if handshake {
        // A reset leaves no TIME_WAIT behind on the server for a flood.
        let _ = socket2::SockRef::from(&stream).set_linger(Some(Duration::ZERO));
        return;
    }
    use chat_core::reply::{FullScope, Reason, Reply};
    let scope = if refused.is_per_address() {
        FullScope::Address
    } else {
        FullScope::Server
    };
    let options = chat_core::codec::CodecOptions::new(
        shared.config.limits.max_line_bytes,
        shared.config.server_name.as_str().into(),
    );
    let mut out = Vec::new();
    chat_core::codec::open(protocol, &options).render(
        &[
            Reply::Hello {
                server: &shared.config.server_name,
            },
            Reply::Refused(Reason::Full(scope)),
        ],
        &mut out,
    );
    let _ = (&stream).write(&out);
}

/// Logs refusals at accept without a line per refused socket: each
/// address once when it goes over its limits, the server's own limits at
/// most once a second (with how many were refused since).
#[derive(Debug, Default)]
pub(crate) struct RefusalLog {
    last: Option<Instant>,
    since: usize,
}

/// How often the server's own limits may be logged.
const REFUSAL_LOG_EVERY: Duration = Duration::from_secs(1);

impl RefusalLog {
    pub(crate) fn refused(
        &mut self,
        peer: std::net::SocketAddr,
        refused: Refused,
        first_for_address: bool,
    ) {
        if refused.is_per_address() {
            if first_for_address {
                warn!("{} refused at accept: {refused:?} (logged once until it is back within its limits)", peer.ip());
            }
            return;
        }
        self.since += 1;
        let now = Instant::now();
        if self.last.is_none_or(|t| now >= t + REFUSAL_LOG_EVERY) {
            warn!(
                "refused at accept: {refused:?} ({} refused since the last such warning, the last from {})",
                self.since,
                peer.ip()
            );
            self.last = Some(now);
            self.since = 0;
        }
    }
}
