//! The engine's hash tables, with a seeded hasher.
//!
//! `std`'s default `RandomState` seeds itself from the OS random source;
//! the engine takes no randomness of its own, so the caller hands it a
//! seed ([`Config::hash_seed`](crate::Config)): SipHash with the seed
//! absorbed first, so a client cannot pick names or addresses that all
//! land in one bucket without knowing the seed. Nothing the engine sends
//! depends on table order (every listing is sorted).

use std::collections::hash_map::DefaultHasher;
use std::collections::{HashMap, HashSet};
use std::hash::{BuildHasher, Hasher};

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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_seed_changes_the_hash() {
        let a = SeededState::new(1).hash_one("alice");
        let b = SeededState::new(2).hash_one("alice");
        assert_ne!(a, b);
        assert_eq!(a, SeededState::new(1).hash_one("alice"));
    }
}
