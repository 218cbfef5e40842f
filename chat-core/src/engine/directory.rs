//! The directory of registered users, with the configured admins and the
//! names whose durable change is in flight.

use super::seeded::{map, set, Map, Set};

use crate::{Grant, NameKey, UserRecord};

/// What an in-flight durable change does to its account. While one is in
/// flight, no other change to that account starts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum PendingKind {
    /// The name is reserved by a registration.
    Register,
    /// A grant change to user.
    Demote,
    /// A kick.
    Kick,
    /// Anything that does not affect who can administer.
    Other,
}

/// Registered users: what the store holds, and nothing the store does not.
#[derive(Debug)]
pub(crate) struct Directory {
    users: Map<NameKey, UserRecord>,
    config_admins: Set<NameKey>,
    pending: Map<NameKey, PendingKind>,
}

impl Directory {
    pub(crate) fn new(users: Vec<UserRecord>, config_admins: Vec<NameKey>, seed: u64) -> Directory {
        let mut d = Directory {
            users: map(seed),
            config_admins: set(seed),
            pending: map(seed),
        };
        d.users.extend(users.into_iter().map(|u| (u.name.key(), u)));
        d.config_admins.extend(config_admins);
        d
    }

    pub(crate) fn get(&self, key: &NameKey) -> Option<&UserRecord> {
        self.users.get(key)
    }

    /// The record and the directory's own key (to share, not copy).
    pub(crate) fn get_key_value(&self, key: &NameKey) -> Option<(&NameKey, &UserRecord)> {
        self.users.get_key_value(key)
    }

    pub(crate) fn len(&self) -> usize {
        self.users.len()
    }

    /// The grant in force: configured admins are always admins.
    pub(crate) fn grant_of(&self, record: &UserRecord) -> Grant {
        if self.is_config_admin(&record.name.key()) {
            Grant::Admin
        } else {
            record.grant
        }
    }

    pub(crate) fn is_config_admin(&self, key: &NameKey) -> bool {
        self.config_admins.contains(key)
    }

    /// Whether a name is registered or reserved by a registration in flight.
    pub(crate) fn is_taken(&self, key: &NameKey) -> bool {
        self.users.contains_key(key) || self.pending.get(key) == Some(&PendingKind::Register)
    }

    pub(crate) fn pending(&self, key: &NameKey) -> Option<PendingKind> {
        self.pending.get(key).copied()
    }

    /// Marks a change in flight; false if one already is.
    pub(crate) fn begin(&mut self, key: NameKey, kind: PendingKind) -> bool {
        if self.pending.contains_key(&key) {
            return false;
        }
        self.pending.insert(key, kind);
        true
    }

    pub(crate) fn end(&mut self, key: &NameKey) {
        self.pending.remove(key);
    }

    pub(crate) fn insert(&mut self, record: UserRecord) {
        self.users.insert(record.name.key(), record);
    }

    pub(crate) fn set_grant(&mut self, key: &NameKey, grant: Grant) {
        if let Some(u) = self.users.get_mut(key) {
            u.grant = grant;
        }
    }

    pub(crate) fn set_password(&mut self, key: &NameKey, phc: &str) {
        if let Some(u) = self.users.get_mut(key) {
            phc.clone_into(&mut u.phc);
        }
    }

    /// Admins who can still act, leaving out `except`, anyone kicked (per
    /// `is_kicked`) and anyone with a demotion or kick in flight.
    pub(crate) fn able_admins_except(
        &self,
        except: &NameKey,
        is_kicked: impl Fn(&NameKey) -> bool,
    ) -> usize {
        self.users
            .iter()
            .filter(|(key, record)| {
                *key != except
                    && self.grant_of(record).is_admin()
                    && !is_kicked(key)
                    && !matches!(
                        self.pending.get(*key),
                        Some(PendingKind::Demote | PendingKind::Kick)
                    )
            })
            .count()
    }
}
