//! What the store holds: user records, kick entries, and the changes to
//! them. These are plain data shared by the engine (which asks for changes)
//! and the runtime's store (which makes them durable).

use serde::{Deserialize, Serialize};

use crate::{Grant, Millis, NameKey, UserName};

/// One registered account.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct UserRecord {
    /// The name as registered.
    pub name: UserName,
    /// The argon2id PHC string of the password.
    pub phc: String,
    /// The stored grant.
    pub grant: Grant,
    /// When the account was registered.
    pub created: Millis,
}

/// One entry of the kick list: `name` may not log in until unkicked.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct KickEntry {
    /// The kicked account.
    pub name: UserName,
    /// The admin who kicked it.
    pub by: UserName,
    /// When it was kicked.
    pub at: Millis,
    /// Why, if the admin said.
    pub reason: Option<String>,
}

/// Everything the store holds: the directory of users and the kick list.
///
/// The runtime loads a snapshot at start and hands it to
/// [`Engine::new`](crate::Engine::new); afterwards the engine asks for
/// [`StoreChange`]s, and the store applies them to its own copy with
/// [`StoreSnapshot::apply`], so both sides agree on what a change means.
///
/// ```
/// use chat_core::{Grant, Millis, StoreChange, StoreSnapshot, UserName, UserRecord};
/// let mut snap = StoreSnapshot::default();
/// let alice = UserName::parse("alice").unwrap();
/// snap.apply(&StoreChange::AddUser(UserRecord {
///     name: alice.clone(),
///     phc: "$argon2id$...".into(),
///     grant: Grant::User,
///     created: Millis(0),
/// }))
/// .unwrap();
/// snap.apply(&StoreChange::SetGrant { name: alice.clone(), grant: Grant::Admin }).unwrap();
/// assert_eq!(snap.users[0].grant, Grant::Admin);
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoreSnapshot {
    /// Registered users, in registration order.
    pub users: Vec<UserRecord>,
    /// The kick list, in kick order.
    pub kicked: Vec<KickEntry>,
}

/// A change the engine asks the store to make durable.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub enum StoreChange {
    /// A new account.
    AddUser(UserRecord),
    /// A new grant for an existing account.
    SetGrant {
        /// The account.
        name: UserName,
        /// Its new grant.
        grant: Grant,
    },
    /// A new password hash for an existing account.
    SetPassword {
        /// The account.
        name: UserName,
        /// The new argon2id PHC string.
        phc: String,
    },
    /// Put an account on the kick list (replacing an earlier entry).
    Kick(KickEntry),
    /// Take an account off the kick list.
    Unkick {
        /// The account.
        name: UserName,
    },
}

impl StoreChange {
    /// The account this change is about.
    pub fn subject(&self) -> &UserName {
        match self {
            StoreChange::AddUser(r) => &r.name,
            StoreChange::SetGrant { name, .. }
            | StoreChange::SetPassword { name, .. }
            | StoreChange::Unkick { name } => name,
            StoreChange::Kick(k) => &k.name,
        }
    }
}

/// Why a [`StoreChange`] cannot be applied to a snapshot.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ChangeError {
    /// `AddUser` for a name that is already registered (in any case).
    #[error("the name {0} is already registered")]
    NameTaken(UserName),
    /// A change to an account that does not exist.
    #[error("no user named {0}")]
    NoSuchUser(UserName),
}

impl StoreSnapshot {
    fn user_index(&self, key: &NameKey) -> Option<usize> {
        self.users.iter().position(|u| &u.name.key() == key)
    }

    /// Applies one change. On error the snapshot is unchanged.
    pub fn apply(&mut self, change: &StoreChange) -> Result<(), ChangeError> {
        let key = change.subject().key();
        let existing = self.user_index(&key);
        match change {
            StoreChange::AddUser(record) => {
                if existing.is_some() {
                    return Err(ChangeError::NameTaken(record.name.clone()));
                }
                self.users.push(record.clone());
            }
            StoreChange::SetGrant { name, grant } => {
                let i = existing.ok_or_else(|| ChangeError::NoSuchUser(name.clone()))?;
                self.users[i].grant = *grant;
            }
            StoreChange::SetPassword { name, phc } => {
                let i = existing.ok_or_else(|| ChangeError::NoSuchUser(name.clone()))?;
                self.users[i].phc.clone_from(phc);
            }
            StoreChange::Kick(entry) => {
                existing.ok_or_else(|| ChangeError::NoSuchUser(entry.name.clone()))?;
                self.kicked.retain(|k| k.name.key() != key);
                self.kicked.push(entry.clone());
            }
            StoreChange::Unkick { .. } => {
                self.kicked.retain(|k| k.name.key() != key);
            }
        }
        Ok(())
    }
}
