//! Who may connect, counted from accept, before any handshake: the
//! connections and the handshakes in progress, per address and in all,
//! for every listener.
//!
//! The acceptor asks [`Admission::admit`] for each new socket and gets a
//! [`Ticket`], which the connection holds for its whole life: dropping
//! the connection gives its places back, wherever that happens (the
//! engine's thread or an I/O shard's). A handshake's place (TLS, the
//! HTTP request of a WebSocket listener) is given back as soon as the
//! transport is ready ([`Ticket::handshake_done`]), so a slow or silent
//! handshake holds one of its own address's few handshake places, never
//! another address's.
//!
//! An IPv6 peer counts by its /64 prefix: one host usually holds a whole
//! /64, and would otherwise have more addresses than any limit.

use std::collections::HashMap;
use std::net::{IpAddr, Ipv6Addr};
use std::sync::{Arc, Mutex, MutexGuard};

use crate::ServerConfig;

/// The limits checked at accept.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct AdmissionLimits {
    /// Connections in all, handshaking or not.
    pub(crate) connections: usize,
    /// Connections from one address, handshaking or not.
    pub(crate) connections_per_address: usize,
    /// Handshakes in progress in all.
    pub(crate) handshakes: usize,
    /// Handshakes in progress from one address: its share.
    pub(crate) handshakes_per_address: usize,
    /// Loopback peers are not limited per address.
    pub(crate) exempt_loopback: bool,
}

impl AdmissionLimits {
    /// The limits a server's configuration sets.
    pub(crate) fn of(config: &ServerConfig) -> AdmissionLimits {
        AdmissionLimits {
            connections: config.limits.max_connections,
            connections_per_address: config.limits.max_connections_per_address,
            handshakes: config.net.max_handshakes,
            handshakes_per_address: config.net.max_handshakes_per_address,
            exempt_loopback: config.limits.exempt_loopback,
        }
    }
}

/// Why a new connection was closed at accept.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Refused {
    /// The server holds as many connections as it may.
    Server,
    /// The address holds as many connections as it may.
    Address,
    /// As many handshakes are in progress as the server allows.
    Handshakes,
    /// The address has as many handshakes in progress as its share.
    AddressHandshakes,
}

impl Refused {
    /// Whether the address itself is over a limit (not the server).
    pub(crate) fn is_per_address(self) -> bool {
        matches!(self, Refused::Address | Refused::AddressHandshakes)
    }
}

/// The counts for one address (or IPv6 /64).
#[derive(Debug, Default)]
struct Count {
    connections: usize,
    handshakes: usize,
    /// A refusal for this address was logged since it last had none: one
    /// warning per episode, not one per refused socket.
    warned: bool,
}

#[derive(Debug)]
struct Table {
    limits: AdmissionLimits,
    connections: usize,
    handshakes: usize,
    by_address: HashMap<IpAddr, Count>,
}

/// The shared counts; cheap to clone.
#[derive(Clone, Debug)]
pub(crate) struct Admission(Arc<Mutex<Table>>);

/// A connection's places, given back when it is dropped.
#[derive(Debug)]
pub(crate) struct Ticket {
    table: Admission,
    key: IpAddr,
    handshaking: bool,
}

/// The key an address is counted under: IPv4 as it is (IPv4-mapped IPv6
/// too), IPv6 by its /64.
pub(crate) fn address_key(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V4(_) => ip,
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => IpAddr::V4(v4),
            None => {
                let bits = u128::from(v6) & !((1u128 << 64) - 1);
                IpAddr::V6(Ipv6Addr::from(bits))
            }
        },
    }
}

impl Admission {
    pub(crate) fn new(limits: AdmissionLimits) -> Admission {
        Admission(Arc::new(Mutex::new(Table {
            limits,
            connections: 0,
            handshakes: 0,
            by_address: HashMap::new(),
        })))
    }

    fn lock(&self) -> MutexGuard<'_, Table> {
        // The table holds plain counts: a panic elsewhere cannot leave it
        // half-changed, so a poisoned lock is still good.
        self.0.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Takes a place for a connection from `peer` (and a handshake place
    /// if it starts with one), or says which limit is full. `Err` also
    /// says whether this is the first refusal of the address since it
    /// was last within its limits (to log once).
    pub(crate) fn admit(&self, peer: IpAddr, handshake: bool) -> Result<Ticket, (Refused, bool)> {
        let key = address_key(peer);
        let mut t = self.lock();
        let limits = t.limits;
        let exempt = limits.exempt_loopback && peer.is_loopback();
        let (conns, shakes) = t
            .by_address
            .get(&key)
            .map_or((0, 0), |c| (c.connections, c.handshakes));
        let refusal = if t.connections >= limits.connections {
            Some(Refused::Server)
        } else if !exempt && conns >= limits.connections_per_address {
            Some(Refused::Address)
        } else if handshake && !exempt && shakes >= limits.handshakes_per_address {
            Some(Refused::AddressHandshakes)
        } else if handshake && t.handshakes >= limits.handshakes {
            Some(Refused::Handshakes)
        } else {
            None
        };
        if let Some(refused) = refusal {
            let first = match t.by_address.get_mut(&key) {
                Some(c) => !std::mem::replace(&mut c.warned, true),
                None => true,
            };
            return Err((refused, first));
        }
        t.connections += 1;
        let count = t.by_address.entry(key).or_default();
        count.connections += 1;
        if handshake {
            count.handshakes += 1;
            t.handshakes += 1;
        }
        drop(t);
        Ok(Ticket {
            table: self.clone(),
            key,
            handshaking: handshake,
        })
    }

    /// Connections and handshakes counted now, in all (for tests).
    #[cfg(test)]
    fn totals(&self) -> (usize, usize) {
        let t = self.lock();
        (t.connections, t.handshakes)
    }

    fn release(&self, key: IpAddr, connection: bool, handshake: bool) {
        let mut t = self.lock();
        if connection {
            t.connections -= 1;
        }
        if handshake {
            t.handshakes -= 1;
        }
        let Some(count) = t.by_address.get_mut(&key) else {
            return;
        };
        if connection {
            count.connections -= 1;
        }
        if handshake {
            count.handshakes -= 1;
        }
        if count.connections == 0 {
            t.by_address.remove(&key);
        }
    }
}

impl Ticket {
    /// The handshake is over (the transport is ready): its place is free
    /// for another; the connection's place stays taken.
    pub(crate) fn handshake_done(&mut self) {
        if std::mem::take(&mut self.handshaking) {
            self.table.release(self.key, false, true);
        }
    }
}

impl Drop for Ticket {
    fn drop(&mut self) {
        self.table.release(self.key, true, self.handshaking);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn limits() -> AdmissionLimits {
        AdmissionLimits {
            connections: 6,
            connections_per_address: 3,
            handshakes: 4,
            handshakes_per_address: 2,
            exempt_loopback: false,
        }
    }

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn an_address_gets_its_share_of_handshakes_and_connections() {
        let a = Admission::new(limits());
        let one = a.admit(ip("10.0.0.1"), true).unwrap();
        let mut two = a.admit(ip("10.0.0.1"), true).unwrap();
        assert_eq!(
            a.admit(ip("10.0.0.1"), true).unwrap_err(),
            (Refused::AddressHandshakes, true)
        );
        // Logged once per episode.
        assert_eq!(
            a.admit(ip("10.0.0.1"), true).unwrap_err(),
            (Refused::AddressHandshakes, false)
        );
        // A plain connection needs no handshake place.
        let three = a.admit(ip("10.0.0.1"), false).unwrap();
        assert_eq!(
            a.admit(ip("10.0.0.1"), false).unwrap_err().0,
            Refused::Address
        );
        // Another address is not held up.
        let other = a.admit(ip("10.0.0.2"), true).unwrap();
        assert_eq!(a.totals(), (4, 3));
        // A finished handshake frees its place, not the connection's.
        two.handshake_done();
        assert_eq!(a.totals(), (4, 2));
        drop(three);
        let again = a.admit(ip("10.0.0.1"), true).unwrap();
        drop((one, two, other, again));
        assert_eq!(a.totals(), (0, 0));
        assert!(
            a.lock().by_address.is_empty(),
            "no entry outlives its last connection"
        );
        // Warned afresh once the address was within its limits again.
        let _x: Vec<Ticket> = (0..3)
            .map(|_| a.admit(ip("10.0.0.1"), false).unwrap())
            .collect();
        assert_eq!(
            a.admit(ip("10.0.0.1"), false).unwrap_err(),
            (Refused::Address, true)
        );
    }

    #[test]
    fn limits_in_all_hold_for_every_address() {
        let a = Admission::new(limits());
        let held: Vec<Ticket> = ["10.0.0.1", "10.0.0.2"]
            .iter()
            .flat_map(|s| [a.admit(ip(s), true).unwrap(), a.admit(ip(s), true).unwrap()])
            .collect();
        assert_eq!(
            a.admit(ip("10.0.0.3"), true).unwrap_err().0,
            Refused::Handshakes
        );
        let plain: Vec<Ticket> = (0..2)
            .map(|_| a.admit(ip("10.0.0.3"), false).unwrap())
            .collect();
        assert_eq!(
            a.admit(ip("10.0.0.4"), false).unwrap_err().0,
            Refused::Server
        );
        drop((held, plain));
    }

    #[test]
    fn loopback_may_be_exempt_from_the_per_address_limits_only() {
        let a = Admission::new(AdmissionLimits {
            exempt_loopback: true,
            ..limits()
        });
        let held: Vec<Ticket> = (0..4)
            .map(|_| a.admit(ip("127.0.0.2"), true).unwrap())
            .collect();
        assert_eq!(
            a.admit(ip("127.0.0.2"), true).unwrap_err().0,
            Refused::Handshakes
        );
        drop(held);
    }

    #[test]
    fn an_ipv6_host_counts_by_its_64() {
        let a = Admission::new(limits());
        let _x = a.admit(ip("2001:db8:1:2::1"), true).unwrap();
        let _y = a.admit(ip("2001:db8:1:2:ffff::9"), true).unwrap();
        assert_eq!(
            a.admit(ip("2001:db8:1:2:abcd::1"), true).unwrap_err().0,
            Refused::AddressHandshakes
        );
        let _z = a.admit(ip("2001:db8:1:3::1"), true).unwrap();
        assert_eq!(address_key(ip("::ffff:10.0.0.1")), ip("10.0.0.1"));
    }
}
