//! The engine's hash tables, with a fixed hasher.
//!
//! `std`'s default `RandomState` seeds itself from the OS random source;
//! the engine takes no randomness at all, so its tables hash with SipHash
//! under fixed keys. Nothing the engine sends depends on table order anyway
//! (every listing is sorted).

use std::collections::hash_map::DefaultHasher;
use std::collections::{HashMap, HashSet};
use std::hash::BuildHasherDefault;

/// Builds SipHash hashers with fixed keys.
pub(crate) type FixedState = BuildHasherDefault<DefaultHasher>;

/// A `HashMap` with [`FixedState`].
pub(crate) type Map<K, V> = HashMap<K, V, FixedState>;

/// A `HashSet` with [`FixedState`].
pub(crate) type Set<T> = HashSet<T, FixedState>;
