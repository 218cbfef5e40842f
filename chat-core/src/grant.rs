//! Grants: what a user may do.

use std::fmt;

use serde::{Deserialize, Serialize};

/// A user's grant. On the wire, `0` is [`Grant::Admin`] and `1` is
/// [`Grant::User`], as in the original chat room.
///
/// ```
/// use chat_core::Grant;
/// assert_eq!(Grant::from_wire("0"), Some(Grant::Admin));
/// assert_eq!(Grant::User.to_string(), "1");
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Grant {
    /// Grant 0: may change grants, kick and unkick users, and restart.
    Admin,
    /// Grant 1: an ordinary user.
    User,
}

impl Grant {
    /// The wire digit of this grant.
    pub fn as_wire(self) -> &'static str {
        match self {
            Grant::Admin => "0",
            Grant::User => "1",
        }
    }

    /// Parses the wire digit (`0` or `1`).
    pub fn from_wire(s: &str) -> Option<Grant> {
        match s {
            "0" => Some(Grant::Admin),
            "1" => Some(Grant::User),
            _ => None,
        }
    }

    /// Whether this grant may run admin commands.
    pub fn is_admin(self) -> bool {
        self == Grant::Admin
    }
}

impl fmt::Display for Grant {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_wire())
    }
}
