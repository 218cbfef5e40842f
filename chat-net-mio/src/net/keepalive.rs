//! TCP keepalive on accepted sockets: a peer that vanished without a FIN
//! (a crashed host, a dropped NAT mapping) is found by the kernel's probes
//! and its connection closed, so its session does not stay online.

use std::io;
use std::time::Duration;

use socket2::{SockRef, TcpKeepalive};

use crate::NetConfig;

/// Turns keepalive on for `socket` as `net` says (off if its idle time
/// is 0).
pub(crate) fn apply<'s, S>(socket: &'s S, net: &NetConfig) -> io::Result<()>
where
    SockRef<'s>: From<&'s S>,
{
    if net.keepalive_idle_secs == 0 {
        return Ok(());
    }
    let keepalive = TcpKeepalive::new()
        .with_time(Duration::from_secs(net.keepalive_idle_secs))
        .with_interval(Duration::from_secs(net.keepalive_interval_secs.max(1)))
        .with_retries(net.keepalive_probes.max(1));
    SockRef::from(socket).set_tcp_keepalive(&keepalive)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn accepted() -> std::net::TcpStream {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let _client = std::net::TcpStream::connect(listener.local_addr().unwrap()).unwrap();
        listener.accept().unwrap().0
    }

    #[test]
    fn keepalive_is_set_as_configured() {
        let socket = accepted();
        let net = NetConfig {
            keepalive_idle_secs: 42,
            keepalive_interval_secs: 7,
            keepalive_probes: 3,
            ..NetConfig::default()
        };
        apply(&socket, &net).unwrap();
        let s = SockRef::from(&socket);
        assert!(s.keepalive().unwrap());
        assert_eq!(s.keepalive_time().unwrap(), Duration::from_secs(42));
        assert_eq!(s.keepalive_interval().unwrap(), Duration::from_secs(7));
        assert_eq!(s.keepalive_retries().unwrap(), 3);
    }

    #[test]
    fn zero_idle_leaves_it_off() {
        let socket = accepted();
        let net = NetConfig {
            keepalive_idle_secs: 0,
            ..NetConfig::default()
        };
        apply(&socket, &net).unwrap();
        assert!(!SockRef::from(&socket).keepalive().unwrap());
    }

    #[test]
    fn on_by_default() {
        assert!(NetConfig::default().keepalive_idle_secs > 0);
    }
}
