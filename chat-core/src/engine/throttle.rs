//! Failed-login throttles per account and per address, so spreading
//! guesses over many connections does not help.

use super::table::Map;
use std::hash::Hash;
use std::net::IpAddr;
use std::time::Duration;

use crate::{Millis, NameKey};

/// Failures counted in fixed windows, in a table of bounded size.
#[derive(Debug)]
struct Counter<K> {
    windows: Map<K, (Millis, u32)>,
}

impl<K: Hash + Eq + Ord + Clone> Counter<K> {
    fn new() -> Self {
        Counter {
            windows: Map::default(),
        }
    }

    fn count(&self, key: &K, now: Millis, window: Duration) -> u32 {
        match self.windows.get(key) {
            Some(&(start, n)) if now - start < window => n,
            _ => 0,
        }
    }

    fn record(&mut self, key: K, now: Millis, window: Duration, capacity: usize) {
        if !self.windows.contains_key(&key) && self.windows.len() >= capacity {
            // Make room: forget expired windows first, then the oldest one.
            self.windows.retain(|_, (start, _)| now - *start < window);
            if self.windows.len() >= capacity {
                let oldest = self
                    .windows
                    .iter()
                    .min_by_key(|(k, (start, _))| (*start, (*k).clone()))
                    .map(|(k, _)| k.clone());
                if let Some(k) = oldest {
                    self.windows.remove(&k);
                }
            }
        }
        let entry = self.windows.entry(key).or_insert((now, 0));
        if now - entry.0 >= window {
            *entry = (now, 0);
        }
        entry.1 = entry.1.saturating_add(1);
    }

    fn len(&self) -> usize {
        self.windows.len()
    }
}

/// The limits the throttle applies.
#[derive(Clone, Copy, Debug)]
pub(crate) struct ThrottleLimits {
    pub(crate) per_account: u32,
    pub(crate) per_address: u32,
    pub(crate) window: Duration,
    pub(crate) capacity: usize,
}

#[derive(Debug)]
pub(crate) struct LoginThrottle {
    limits: ThrottleLimits,
    accounts: Counter<NameKey>,
    addresses: Counter<IpAddr>,
}

impl LoginThrottle {
    pub(crate) fn new(limits: ThrottleLimits) -> Self {
        LoginThrottle {
            limits,
            accounts: Counter::new(),
            addresses: Counter::new(),
        }
    }

    /// Whether further attempts are refused for this account or address;
    /// `addr` is `None` when the address is exempt.
    pub(crate) fn is_limited(&self, account: &NameKey, addr: Option<IpAddr>, now: Millis) -> bool {
        let l = self.limits;
        self.accounts.count(account, now, l.window) >= l.per_account
            || addr.is_some_and(|a| self.addresses.count(&a, now, l.window) >= l.per_address)
    }

    pub(crate) fn record_failure(&mut self, account: NameKey, addr: Option<IpAddr>, now: Millis) {
        let l = self.limits;
        self.accounts.record(account, now, l.window, l.capacity);
        if let Some(a) = addr {
            self.addresses.record(a, now, l.window, l.capacity);
        }
    }

    pub(crate) fn table_len(&self) -> usize {
        self.accounts.len() + self.addresses.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn limits() -> ThrottleLimits {
        ThrottleLimits {
            per_account: 3,
            per_address: 5,
            window: Duration::from_secs(60),
            capacity: 4,
        }
    }

    #[test]
    fn account_window_limits_and_expires() {
        let mut t = LoginThrottle::new(limits());
        let alice = NameKey::of("alice");
        for _ in 0..3 {
            assert!(!t.is_limited(&alice, None, Millis(0)));
            t.record_failure(alice.clone(), None, Millis(0));
        }
        assert!(t.is_limited(&alice, None, Millis(59_999)));
        assert!(!t.is_limited(&alice, None, Millis(60_000)));
    }

    #[test]
    fn address_limit_across_accounts() {
        let mut t = LoginThrottle::new(ThrottleLimits {
            capacity: 100,
            ..limits()
        });
        let ip: IpAddr = "192.0.2.1".parse().unwrap();
        for i in 0..5 {
            t.record_failure(NameKey::of(&format!("u{i}")), Some(ip), Millis(0));
        }
        assert!(t.is_limited(&NameKey::of("fresh"), Some(ip), Millis(1)));
        assert!(!t.is_limited(&NameKey::of("fresh"), None, Millis(1)));
    }

    #[test]
    fn table_is_bounded() {
        let mut t = LoginThrottle::new(limits());
        for i in 0..100 {
            t.record_failure(NameKey::of(&format!("u{i}")), None, Millis(i));
        }
        assert!(t.table_len() <= 4);
    }
}
