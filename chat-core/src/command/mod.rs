//! What a client asks for, independent of the wire format: the
//! [`Command`]s, declared once each in the [catalogue](catalogue()) with
//! who may use them, their cost and how they are typed.

#[macro_use]
mod declare;
pub(crate) mod args;
mod catalogue;
mod spec;

pub use args::{Args, EncodeError, Kind, Line};
pub use catalogue::{catalogue, forms, forms_named, typed_names, Command};
pub use spec::{CommandSpec, Cost, Form, Param, Permission, Trailing};

/// What `/topic` does.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TopicChange<'a> {
    /// Show the topic.
    Show,
    /// Set it to this text.
    Set(&'a str),
    /// Clear it.
    Clear,
}

/// Whose history `/history` asks for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum HistoryTarget<'a> {
    /// A room, by name as typed.
    Room(&'a str),
    /// Private messages with a user, by name as typed.
    Private(&'a str),
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
    /// Who may use it.
    pub fn permission(&self) -> Permission {
        self.spec().permission
    }

    /// What it costs against the command budget.
    pub fn cost(&self) -> Cost {
        self.spec().cost
    }

    /// Whether only an admin may run this command.
    pub fn needs_admin(&self) -> bool {
        self.permission() == Permission::Admin
    }
}
