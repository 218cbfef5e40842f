//! Work in flight: password work and store changes the engine asked the
//! caller for, and whom each answer is for.

use crate::password::Password;
use crate::{NameKey, StoreChange, UserName};

use super::connection::ConnRef;

/// Password work in flight, and whom it is for.
#[derive(Debug)]
pub(super) enum Job {
    /// Hashing the password of a registration.
    Register { conn: ConnRef, name: UserName },
    /// Checking a login.
    Login { conn: ConnRef, key: NameKey },
    /// Checking the old password of `/changepassword`.
    CheckOldPassword { conn: ConnRef, new: Password },
    /// Hashing the new password of `/changepassword`.
    HashNewPassword { conn: ConnRef },
    /// Checking the admin's password of IRC's `OPER`.
    Oper { conn: ConnRef, key: NameKey },
}

impl Job {
    /// The connection it is for.
    pub(super) fn conn(&self) -> ConnRef {
        match self {
            Job::Register { conn, .. }
            | Job::Login { conn, .. }
            | Job::CheckOldPassword { conn, .. }
            | Job::HashNewPassword { conn }
            | Job::Oper { conn, .. } => *conn,
        }
    }
}

/// A store change in flight, and who is waiting for it.
#[derive(Debug)]
pub(super) struct Pending {
    pub(super) conn: Option<ConnRef>,
    pub(super) change: StoreChange,
}
