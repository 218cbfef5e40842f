//! Admin accounts from the operator: configured admin names cannot be
//! registered over the network, so the operator's password creates them at
//! start.

use chat_core::password::{self, Password, SALT_LEN};
use chat_core::{Grant, StoreChange, UserName, UserRecord};
use ring::rand::{SecureRandom, SystemRandom};

use crate::clock::Clock;
use crate::server::ServerError;
use crate::store::Store;
use crate::ServerConfig;

/// Gives every configured admin without an account one with `password`;
/// returns the names given one (for the log). Without a password, an admin
/// that has no account is only reported.
pub(crate) fn set_passwords(
    store: &mut Store,
    config: &ServerConfig,
    password: Option<&Password>,
) -> Result<Vec<UserName>, ServerError> {
    let missing: Vec<UserName> = config
        .admins
        .iter()
        .filter_map(|a| UserName::parse(a).ok())
        .filter(|name| !store.has_user(name))
        .collect();
    if missing.is_empty() {
        return Ok(missing);
    }
    let Some(password) = password else {
        for name in &missing {
            log::warn!("admin {name} has no account: give it a password to create it");
        }
        return Ok(Vec::new());
    };
    let l = &config.limits;
    if !(l.min_password_bytes..=l.max_password_bytes).contains(&password.expose().len()) {
        return Err(ServerError::AdminPassword(format!(
            "the admin password must be {} to {} bytes",
            l.min_password_bytes, l.max_password_bytes
        )));
    }
    let rng = SystemRandom::new();
    let mut scratch = password::Scratch::default();
    let now = Clock::new().now();
    let mut changes = Vec::with_capacity(missing.len());
    for name in &missing {
        let mut salt = [0u8; SALT_LEN];
        rng.fill(&mut salt)
            .map_err(|_| ServerError::AdminPassword("no randomness for a salt".into()))?;
        let phc = password::hash_with(&mut scratch, &config.hash, password, &salt)
            .map_err(|e| ServerError::AdminPassword(e.to_string()))?;
        changes.push(StoreChange::AddUser(UserRecord {
            name: name.clone(),
            phc,
            grant: Grant::Admin,
            created: now,
        }));
    }
    for result in store.commit(&changes) {
        result?;
    }
    Ok(missing)
}
