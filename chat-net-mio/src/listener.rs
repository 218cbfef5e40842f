//! The listeners beside the builder's chat/1 TCP address, each with the
//! transport and protocol its connections get.

use std::sync::Arc;

use mio::net::TcpListener;
use mio::Token;

use crate::transport::{tls::TlsAcceptor, Layers, Transport};
use crate::{ListenerConfig, ServerConfig};

/// Tokens of these listeners start here, far above any connection's.
const FIRST_TOKEN: usize = usize::MAX / 2;

/// A bound listener and what it serves.
#[derive(Debug)]
pub(crate) struct Listener {
    pub(crate) socket: TcpListener,
    pub(crate) config: ListenerConfig,
    /// `net.allowed_origins`, shared by its connections' upgrades.
    pub(crate) allowed_origins: Arc<[String]>,
}

/// The mio token of listener `i`.
pub(crate) fn token(i: usize) -> Token {
    Token(FIRST_TOKEN + i)
}

/// The listener a token names, if it names one.
pub(crate) fn index(token: Token, count: usize) -> Option<usize> {
    token.0.checked_sub(FIRST_TOKEN).filter(|&i| i < count)
}

impl Listener {
    /// The transport for a connection it accepted; `None` if a TLS
    /// session cannot be made (no certificate).
    pub(crate) fn transport(
        &self,
        tls: Option<&TlsAcceptor>,
        config: &ServerConfig,
    ) -> Option<Transport> {
        let kind = self.config.transport;
        let tls = if kind.is_tls() {
            match tls?.accept() {
                Ok(c) => Some(c),
                Err(e) => {
                    log::warn!("cannot start a TLS session: {e}");
                    return None;
                }
            }
        } else {
            None
        };
        Some(Transport::new_for(
            tls,
            Layers {
                websocket: kind.is_websocket(),
                protocol: self.config.protocol,
                max_line: config.limits.max_line_bytes,
                max_request: config.net.max_http_request_bytes,
                allowed_origins: Arc::clone(&self.allowed_origins),
            },
        ))
    }
}
