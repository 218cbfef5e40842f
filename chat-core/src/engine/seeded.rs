//! The engine's hash tables: a seeded hasher for keys a client can
//! choose, and a cheap one for ids only the engine or its caller hands out.
//!
//! `std`'s default `RandomState` seeds itself from the OS random source;
//! the engine takes no randomness of its own, so the caller hands it a
//! seed ([`Config::hash_seed`](crate::Config)): SipHash with the seed
//! absorbed first, so a client cannot pick names or addresses that all
//! land in one bucket without knowing the seed. Nothing the engine sends
//! depends on table order (every listing is sorted).

use std::collections::hash_map::DefaultHasher;
use std::collections::{HashMap, HashSet};
use std::hash::{BuildHasher, Hash, Hasher};

/// Builds SipHash hashers that start from a seed. No `Default`: every
/// table must be given the engine's seed.
#[derive(Clone, Copy, Debug)]
pub(crate) struct SeededState {
    seed: u64,
}

impl SeededState {
    pub(crate) fn new(seed: u64) -> SeededState {
        SeededState { seed }
    }
}

impl BuildHasher for SeededState {
    type Hasher = DefaultHasher;
    fn build_hasher(&self) -> DefaultHasher {
        let mut h = DefaultHasher::new();
        h.write_u64(self.seed);
        h
    }
}

/// A `HashMap` with [`SeededState`].
pub(crate) type Map<K, V> = HashMap<K, V, SeededState>;

/// A `HashSet` with [`SeededState`].
pub(crate) type Set<T> = HashSet<T, SeededState>;

/// An empty [`Map`] with `seed`.
pub(crate) fn map<K, V>(seed: u64) -> Map<K, V> {
    HashMap::with_hasher(SeededState::new(seed))
}

/// An empty [`Set`] with `seed`.
pub(crate) fn set<T>(seed: u64) -> Set<T> {
    HashSet::with_hasher(SeededState::new(seed))
}

/// Builds [`IdHasher`]s: for tables keyed by ids the engine or its caller
/// hands out (connections, password jobs, store requests), which no
/// client picks, so there is no bucket to aim at and nothing to seed.
/// SipHash costs a few hundred instructions per lookup, and a room line
/// looks its sender's connection up several times.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct IdState;

impl BuildHasher for IdState {
    type Hasher = IdHasher;
    fn build_hasher(&self) -> IdHasher {
        IdHasher(0)
    }
}

/// A multiplicative hash of 64-bit words (as rustc's `FxHasher`): the
/// low bits of an id that counts up stay spread over the low bits the
/// table indexes by, and the high bits it tags entries with are mixed.
#[derive(Debug)]
pub(crate) struct IdHasher(u64);

impl IdHasher {
    const K: u64 = 0xf135_7aea_2e62_a9c5;

    fn add(&mut self, word: u64) {
        self.0 = (self.0.rotate_left(26) ^ word).wrapping_mul(Self::K);
    }
}

impl Hasher for IdHasher {
    fn write(&mut self, bytes: &[u8]) {
        for chunk in bytes.chunks(8) {
            let mut word = [0u8; 8];
            word[..chunk.len()].copy_from_slice(chunk);
            self.add(u64::from_le_bytes(word));
        }
    }

    fn write_u64(&mut self, n: u64) {
        self.add(n);
    }

    fn finish(&self) -> u64 {
        self.0
    }
}

/// A `HashMap` keyed by ids no client picks, with [`IdState`].
pub(crate) type IdMap<K, V> = HashMap<K, V, IdState>;

/// A `HashSet` of ids no client picks, with [`IdState`].
pub(crate) type IdSet<T> = HashSet<T, IdState>;

/// Counts per key, of what is open per address (connections, password
/// work): a key leaves the table when its count falls back to zero, so
/// the table holds only the keys with something open.
#[derive(Debug)]
pub(crate) struct Tally<K> {
    counts: Map<K, usize>,
}

impl<K: Hash + Eq> Tally<K> {
    pub(crate) fn new(seed: u64) -> Tally<K> {
        Tally { counts: map(seed) }
    }

    /// The count of `key`: zero when it is not in the table.
    pub(crate) fn get(&self, key: &K) -> usize {
        self.counts.get(key).copied().unwrap_or(0)
    }

    /// One more for `key`.
    pub(crate) fn add(&mut self, key: K) {
        *self.counts.entry(key).or_insert(0) += 1;
    }

    /// One fewer for `key`, forgotten at zero.
    pub(crate) fn remove(&mut self, key: &K) {
        if let Some(n) = self.counts.get_mut(key) {
            *n -= 1;
            if *n == 0 {
                self.counts.remove(key);
            }
        }
    }

    /// Keys with a count above zero.
    pub(crate) fn len(&self) -> usize {
        self.counts.len()
    }

    pub(crate) fn clear(&mut self) {
        self.counts.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_tally_forgets_a_key_at_zero() {
        let mut t = Tally::new(1);
        t.add("a");
        t.add("a");
        t.add("b");
        assert_eq!((t.get(&"a"), t.get(&"b"), t.len()), (2, 1, 2));
        t.remove(&"a");
        t.remove(&"b");
        t.remove(&"c");
        assert_eq!((t.get(&"a"), t.get(&"b"), t.len()), (1, 0, 1));
        t.remove(&"a");
        assert_eq!(t.len(), 0);
    }

    #[test]
    fn ids_that_count_up_spread_over_the_low_bits() {
        let mut low: Vec<u64> = (0..256u64)
            .map(|i| IdState.hash_one(crate::ConnId(i)) & 0xff)
            .collect();
        low.sort_unstable();
        low.dedup();
        assert_eq!(low.len(), 256);
        let mut tags: Vec<u64> = (0..256u64)
            .map(|i| IdState.hash_one(crate::ConnId(i)) >> 57)
            .collect();
        tags.sort_unstable();
        tags.dedup();
        assert!(tags.len() > 64, "{} tags", tags.len());
    }

    #[test]
    fn the_seed_changes_the_hash() {
        let a = SeededState::new(1).hash_one("alice");
        let b = SeededState::new(2).hash_one("alice");
        assert_ne!(a, b);
        assert_eq!(a, SeededState::new(1).hash_one("alice"));
    }
}
