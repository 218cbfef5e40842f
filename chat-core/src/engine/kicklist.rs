//! The kick list: accounts that may not log in until unkicked.

use super::seeded::{map, Map};

use crate::{KickEntry, NameKey};

#[derive(Debug)]
pub(crate) struct KickList {
    entries: Map<NameKey, KickEntry>,
}

impl KickList {
    pub(crate) fn new(entries: Vec<KickEntry>, seed: u64) -> KickList {
        let mut list = KickList { entries: map(seed) };
        list.entries
            .extend(entries.into_iter().map(|k| (k.name.key(), k)));
        list
    }

    pub(crate) fn contains(&self, key: &NameKey) -> bool {
        self.entries.contains_key(key)
    }

    pub(crate) fn get(&self, key: &NameKey) -> Option<&KickEntry> {
        self.entries.get(key)
    }

    pub(crate) fn insert(&mut self, entry: KickEntry) {
        self.entries.insert(entry.name.key(), entry);
    }

    pub(crate) fn remove(&mut self, key: &NameKey) {
        self.entries.remove(key);
    }

    pub(crate) fn len(&self) -> usize {
        self.entries.len()
    }

    /// Entries in kick order (then by name, for a stable listing).
    pub(crate) fn sorted(&self) -> Vec<&KickEntry> {
        let mut all: Vec<&KickEntry> = self.entries.values().collect();
        all.sort_by(|a, b| (a.at, a.name.as_str()).cmp(&(b.at, b.name.as_str())));
        all
    }
}
