//! What a client asks for, independent of the wire format.

use crate::Grant;

/// One client line, parsed. Borrowed from the line it came from.
///
/// Text-format details (the `/` prefix, aliases, `//` escaping, the
/// dialog's `y`/`n`) stay in the codec ([`crate::codec`]); the state
/// machine only sees this.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Command<'a> {
    /// A room message (or, during the login dialog, an answer).
    Say(&'a str),
    /// `/help`.
    Help,
    /// `/viewusers [page]`, `/users [page]`.
    ViewUsers {
        /// The page, from 1.
        page: u64,
    },
    /// `/messageto <user> <text>`, `/msg`.
    MessageTo {
        /// The recipient as typed.
        to: &'a str,
        /// The message.
        text: &'a str,
    },
    /// `/busy`.
    Busy,
    /// `/free`.
    Free,
    /// `/changegrant <user> <0|1>`.
    ChangeGrant {
        /// The account as typed.
        user: &'a str,
        /// The new grant.
        grant: Grant,
    },
    /// `/kickuser <user> [reason]`.
    Kick {
        /// The account as typed.
        user: &'a str,
        /// Why, if given.
        reason: Option<&'a str>,
    },
    /// `/unkick <user>`.
    Unkick {
        /// The account as typed.
        user: &'a str,
    },
    /// `/viewkickusers [page]`.
    ViewKicked {
        /// The page, from 1.
        page: u64,
    },
    /// `/changepassword <old> <new>`.
    ChangePassword {
        /// The current password.
        old: &'a str,
        /// The new password (the rest of the line).
        new: &'a str,
    },
    /// `/changepassword` without arguments: ask for the passwords by
    /// `ASK` steps, so a client can hide them and they may hold spaces.
    ChangePasswordDialog,
    /// `/restart`.
    Restart,
    /// `/disconnect`, `/quit`.
    Quit,
    /// `/ping [token]`.
    Ping {
        /// Echoed back in `PONG`.
        token: Option<&'a str>,
    },
    /// `/register <name> <password>`.
    Register {
        /// The name as typed.
        name: &'a str,
        /// The password (the rest of the line).
        password: &'a str,
    },
    /// `/login <name> <password>`.
    Login {
        /// The name as typed.
        name: &'a str,
        /// The password (the rest of the line).
        password: &'a str,
    },
    /// Chat without an account under `name` (IRC, after registration,
    /// on a server that takes guests).
    Guest {
        /// The nick as typed.
        name: &'a str,
    },
    /// The answer to the question the server asked last on this
    /// connection (a step of the login dialog or of `/changepassword`).
    /// Only a codec that remembers what it asked produces it.
    Answer(Answer<'a>),
}

/// The answer to a question of the server (an `ASK` in chat/1).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Answer<'a> {
    /// Yes (to "create a new user?").
    Yes,
    /// No.
    No,
    /// A name or a password, as the codec read it (a password verbatim).
    Text(&'a str),
}

impl Command<'_> {
    /// Whether only an admin may run this command.
    pub fn needs_admin(&self) -> bool {
        matches!(
            self,
            Command::ChangeGrant { .. }
                | Command::Kick { .. }
                | Command::Unkick { .. }
                | Command::Restart
        )
    }
}
