//! Which private conversation two users' lines are kept in. Between two
//! accounts, their names' (kept in the store, readable by either later).
//! With a guest, the guest's session's: its name and its connection, a
//! key no account can have (names never hold `~`), kept in memory only
//! and forgotten when the guest leaves, so whoever takes the name later
//! inherits nothing of it.

use crate::{ConnId, Conversation, NameKey};

use super::Engine;

/// Between a guest's name and its connection in its side's key.
const SESSION_MARK: char = '~';

impl Engine {
    /// The side of a private conversation of the user on `conn`: its
    /// folded name, and for a guest its connection too.
    pub(super) fn party(&self, conn: ConnId) -> Option<String> {
        let session = self.session(conn)?;
        Some(if session.guest {
            guest_side(&session.key, conn)
        } else {
            session.key.as_str().to_owned()
        })
    }
}

/// The side of the guest `name` on `conn`.
pub(super) fn guest_side(name: &NameKey, conn: ConnId) -> String {
    format!("{}{SESSION_MARK}{}", name.as_str(), conn.0)
}

/// The conversation of two sides, the same whichever speaks.
pub(super) fn pair_of(a: String, b: String) -> Conversation {
    Conversation::between(a, b)
}

/// The folded name of a side, without a guest's connection.
pub(super) fn party_name(party: &str) -> &str {
    party.split(SESSION_MARK).next().unwrap_or(party)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_guests_side_is_its_session_and_never_an_accounts() {
        let guest = guest_side(&NameKey::of("bob"), ConnId(17));
        assert_eq!(guest, format!("bob{SESSION_MARK}17"));
        assert_eq!(party_name(&guest), "bob");
        assert_eq!(party_name("bob"), "bob");
        let pair = pair_of("carol".into(), guest.clone());
        assert_eq!(pair, pair_of(guest, "carol".into()));
        assert!(
            crate::UserName::parse("bob~17").is_err(),
            "no account has it"
        );
    }
}
