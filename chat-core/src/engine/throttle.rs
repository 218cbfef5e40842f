//! Login and registration throttles: fixed windows per key in tables of
//! bounded size, so spreading guesses over many connections does not help
//! and no table grows without bound.
//!
//! Logins are throttled per (account, address) pair, so a stranger's
//! guesses never lock the owner out from another address; per address; and
//! per account under a much higher ceiling that locks the account with a
//! doubling back-off. An attempt counts when it arrives (before its hash
//! check), so parallel guesses on many connections are counted too; a
//! successful one is forgiven, and a window forgiven to nothing is
//! dropped, so logged-in users keep no entries.

use super::seeded::{map, Map};
use std::hash::Hash;
use std::net::IpAddr;
use std::time::Duration;

use crate::{Millis, NameKey};

/// Refused for now; retry after `retry_in`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Limited {
    pub(crate) retry_in: Duration,
}

impl Limited {
    /// Whole seconds to wait, rounded up (at least 1).
    pub(crate) fn retry_secs(self) -> u64 {
        self.retry_in.as_millis().div_ceil(1000).max(1) as u64
    }
}

/// Events counted in fixed windows, in a table of bounded size.
#[derive(Debug)]
pub(crate) struct Counter<K> {
    windows: Map<K, (Millis, u32)>,
}

impl<K: Hash + Eq + Ord + Clone> Counter<K> {
    pub(crate) fn new(seed: u64) -> Self {
        Counter { windows: map(seed) }
    }

    /// `Err` when `limit` events already happened in the current window.
    pub(crate) fn check(
        &self,
        key: &K,
        now: Millis,
        window: Duration,
        limit: u32,
    ) -> Result<(), Limited> {
        match self.windows.get(key) {
            Some(&(start, n)) if now - start < window && n >= limit => Err(Limited {
                retry_in: window - (now - start),
            }),
            _ => Ok(()),
        }
    }

    pub(crate) fn record(&mut self, key: K, now: Millis, window: Duration, capacity: usize) {
        if !self.windows.contains_key(&key) && self.windows.len() >= capacity.max(1) {
            // Make room: forget expired windows first, then the oldest one.
            self.windows.retain(|_, (start, _)| now - *start < window);
            if self.windows.len() >= capacity.max(1) {
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

    /// Takes back one event (a login that succeeded). A window counting
    /// nothing is forgotten: an entry per logged-in user would otherwise
    /// stay for as long as the table has room, and a missing entry counts
    /// the same (none).
    pub(crate) fn forgive(&mut self, key: &K) {
        if let Some(entry) = self.windows.get_mut(key) {
            entry.1 = entry.1.saturating_sub(1);
            if entry.1 == 0 {
                self.windows.remove(key);
            }
        }
    }

    pub(crate) fn len(&self) -> usize {
        self.windows.len()
    }
}

/// The per-account ceiling: attempts in a window, and once the ceiling is
/// hit, a lock that doubles with each strike.
#[derive(Clone, Copy, Debug)]
struct Ceiling {
    start: Millis,
    count: u32,
    strikes: u32,
    until: Millis,
}

/// The limits the login throttle applies.
#[derive(Clone, Copy, Debug)]
pub(crate) struct ThrottleLimits {
    pub(crate) per_pair: u32,
    pub(crate) per_account: u32,
    pub(crate) per_address: u32,
    pub(crate) window: Duration,
    pub(crate) max_backoff: Duration,
    pub(crate) capacity: usize,
}

#[derive(Debug)]
pub(crate) struct LoginThrottle {
    limits: ThrottleLimits,
    pairs: Counter<(NameKey, IpAddr)>,
    accounts: Map<NameKey, Ceiling>,
    addresses: Counter<IpAddr>,
}

impl LoginThrottle {
    pub(crate) fn new(limits: ThrottleLimits, seed: u64) -> Self {
        LoginThrottle {
            limits,
            pairs: Counter::new(seed),
            accounts: map(seed),
            addresses: Counter::new(seed),
        }
    }

    /// Whether a login attempt on `account` from `peer` is refused now;
    /// `exempt` addresses skip the per-address limit (not the pair's).
    pub(crate) fn check(
        &self,
        account: &NameKey,
        peer: IpAddr,
        exempt: bool,
        now: Millis,
    ) -> Result<(), Limited> {
        let l = self.limits;
        if let Some(c) = self.accounts.get(account) {
            if now < c.until {
                return Err(Limited {
                    retry_in: c.until - now,
                });
            }
        }
        self.pairs
            .check(&(account.clone(), peer), now, l.window, l.per_pair)?;
        if !exempt {
            self.addresses.check(&peer, now, l.window, l.per_address)?;
        }
        Ok(())
    }

    /// Counts an attempt as it arrives.
    pub(crate) fn record_attempt(
        &mut self,
        account: NameKey,
        peer: IpAddr,
        exempt: bool,
        now: Millis,
    ) {
        let l = self.limits;
        self.pairs
            .record((account.clone(), peer), now, l.window, l.capacity);
        if !exempt {
            self.addresses.record(peer, now, l.window, l.capacity);
        }
        if let Some(backoff) = self.record_account(account.clone(), now) {
            log::warn!(
                "account {} hit the login ceiling; locked for {} s",
                account.as_str(),
                backoff.as_secs()
            );
        }
    }

    /// Takes back an attempt that turned out right.
    pub(crate) fn forgive(&mut self, account: &NameKey, peer: IpAddr, exempt: bool) {
        self.pairs.forgive(&(account.clone(), peer));
        if !exempt {
            self.addresses.forgive(&peer);
        }
        if let Some(c) = self.accounts.get_mut(account) {
            c.count = c.count.saturating_sub(1);
            // Nothing counted and never locked: as good as no entry (an
            // account logged in keeps none).
            if c.count == 0 && c.strikes == 0 {
                self.accounts.remove(account);
            }
        }
    }

    /// Counts an attempt on the account; the back-off if it is now locked.
    fn record_account(&mut self, account: NameKey, now: Millis) -> Option<Duration> {
        let l = self.limits;
        let idle = |c: &Ceiling| now >= c.until && now - c.start >= l.window;
        if !self.accounts.contains_key(&account) && self.accounts.len() >= l.capacity.max(1) {
            self.accounts.retain(|_, c| !idle(c));
            if self.accounts.len() >= l.capacity.max(1) {
                let oldest = self
                    .accounts
                    .iter()
                    .min_by_key(|(k, c)| (c.start, (*k).clone()))
                    .map(|(k, _)| k.clone());
                if let Some(k) = oldest {
                    self.accounts.remove(&k);
                }
            }
        }
        let c = self.accounts.entry(account).or_insert(Ceiling {
            start: now,
            count: 0,
            strikes: 0,
            until: now,
        });
        if now - c.start >= l.window {
            // A whole quiet window after the last lock forgets the strikes.
            if now >= c.until + l.window {
                c.strikes = 0;
            }
            c.start = now;
            c.count = 0;
        }
        c.count = c.count.saturating_add(1);
        if c.count >= l.per_account.max(1) {
            let factor = 1u32 << c.strikes.min(20);
            let backoff = l.window.saturating_mul(factor).min(l.max_backoff);
            c.strikes = c.strikes.saturating_add(1);
            c.until = now + backoff;
            c.start = now;
            c.count = 0;
            return Some(backoff);
        }
        None
    }

    pub(crate) fn table_len(&self) -> usize {
        self.pairs.len() + self.accounts.len() + self.addresses.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn limits() -> ThrottleLimits {
        ThrottleLimits {
            per_pair: 3,
            per_account: 10,
            per_address: 5,
            window: Duration::from_secs(60),
            max_backoff: Duration::from_secs(600),
            capacity: 4,
        }
    }

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn pair_window_limits_and_expires_but_not_other_addresses() {
        let mut t = LoginThrottle::new(limits(), 1);
        let alice = NameKey::of("alice");
        let (a, b) = (ip("192.0.2.1"), ip("192.0.2.2"));
        for _ in 0..3 {
            assert!(t.check(&alice, a, true, Millis(0)).is_ok());
            t.record_attempt(alice.clone(), a, true, Millis(0));
        }
        let limited = t.check(&alice, a, true, Millis(1_000)).unwrap_err();
        assert_eq!(limited.retry_secs(), 59);
        assert!(t.check(&alice, b, true, Millis(1_000)).is_ok());
        assert!(t.check(&alice, a, true, Millis(60_000)).is_ok());
    }

    #[test]
    fn account_ceiling_backs_off_doubling() {
        let mut t = LoginThrottle::new(
            ThrottleLimits {
                capacity: 100,
                ..limits()
            },
            1,
        );
        let alice = NameKey::of("alice");
        for i in 0..10 {
            t.record_attempt(alice.clone(), ip(&format!("192.0.2.{i}")), true, Millis(0));
        }
        let fresh = ip("198.51.100.1");
        assert_eq!(
            t.check(&alice, fresh, true, Millis(0))
                .unwrap_err()
                .retry_secs(),
            60
        );
        assert!(t.check(&alice, fresh, true, Millis(60_000)).is_ok());
        for i in 0..10 {
            t.record_attempt(
                alice.clone(),
                ip(&format!("192.0.2.{i}")),
                true,
                Millis(60_000),
            );
        }
        assert_eq!(
            t.check(&alice, fresh, true, Millis(60_000))
                .unwrap_err()
                .retry_secs(),
            120
        );
    }

    #[test]
    fn address_limit_across_accounts() {
        let mut t = LoginThrottle::new(
            ThrottleLimits {
                capacity: 100,
                ..limits()
            },
            1,
        );
        let a = ip("192.0.2.1");
        for i in 0..5 {
            t.record_attempt(NameKey::of(&format!("u{i}")), a, false, Millis(0));
        }
        assert!(t.check(&NameKey::of("fresh"), a, false, Millis(1)).is_err());
        assert!(t.check(&NameKey::of("fresh"), a, true, Millis(1)).is_ok());
    }

    #[test]
    fn a_forgiven_login_leaves_no_entry_but_a_failure_stays() {
        let mut t = LoginThrottle::new(limits(), 1);
        let (alice, bob, a) = (NameKey::of("alice"), NameKey::of("bob"), ip("192.0.2.1"));
        t.record_attempt(alice.clone(), a, true, Millis(0));
        t.forgive(&alice, a, true);
        assert_eq!(t.table_len(), 0);
        t.record_attempt(bob.clone(), a, false, Millis(0));
        t.record_attempt(bob.clone(), a, false, Millis(0));
        t.forgive(&bob, a, false);
        assert_eq!(
            t.table_len(),
            3,
            "one failure on the pair, account, address"
        );
    }

    #[test]
    fn tables_are_bounded() {
        let mut t = LoginThrottle::new(limits(), 1);
        for i in 0..100 {
            t.record_attempt(
                NameKey::of(&format!("u{i}")),
                ip("192.0.2.1"),
                false,
                Millis(i),
            );
        }
        assert!(t.table_len() <= 12);
    }
}
