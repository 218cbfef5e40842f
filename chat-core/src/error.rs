//! The protocol's error codes: every peer mistake becomes one of these on
//! an `ERR <code> <text>` line, never a panic or an `Err` that stops the
//! engine.

use std::fmt;

/// An error code of protocol v1 (the `<code>` of an `ERR` line).
///
/// The codes listed in the protocol are a contract; new ones may be added.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ErrorCode {
    /// A `/command` that does not exist.
    UnknownCommand,
    /// A command's arguments are missing or malformed.
    BadArgument,
    /// The command needs grant 0.
    NotPermitted,
    /// The named user is not registered (or not online, for `/msg`).
    NoSuchUser,
    /// The command needs a logged-in session.
    NotLoggedIn,
    /// The account is already logged in on another connection.
    AlreadyOnline,
    /// Wrong name or password.
    BadCredentials,
    /// The name is registered already (in any case).
    NameTaken,
    /// The name is not a valid user name.
    BadName,
    /// The password is too short or too long.
    BadPassword,
    /// The two passwords of the registration dialog differ.
    PasswordMismatch,
    /// The account is on the kick list.
    Kicked,
    /// The change would leave no administrator.
    LastAdmin,
    /// A line longer than the limit.
    LineTooLong,
    /// A line that is not UTF-8.
    BadUtf8,
    /// Too many attempts or lines.
    RateLimited,
    /// No room for another connection.
    ServerFull,
    /// Extension: a change to this account is being saved; try again.
    TryAgain,
    /// Extension: a deadline passed (login took too long, idle too long).
    Timeout,
    /// Extension: the server could not do its part (saving, hashing).
    ServerError,
    /// Extension: the server has too much password work in flight; try
    /// again in a moment (nothing was counted against you).
    ServerBusy,
    /// Extension: no room of that name.
    NoSuchRoom,
    /// Extension: the command needs you (or the named user) in the room.
    NotInRoom,
    /// Extension: a configured limit on rooms is reached (rooms in all,
    /// rooms per user, members per room).
    LimitReached,
}

impl ErrorCode {
    /// The code as it appears on the wire.
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorCode::UnknownCommand => "unknown-command",
            ErrorCode::BadArgument => "bad-argument",
            ErrorCode::NotPermitted => "not-permitted",
            ErrorCode::NoSuchUser => "no-such-user",
            ErrorCode::NotLoggedIn => "not-logged-in",
            ErrorCode::AlreadyOnline => "already-online",
            ErrorCode::BadCredentials => "bad-credentials",
            ErrorCode::NameTaken => "name-taken",
            ErrorCode::BadName => "bad-name",
            ErrorCode::BadPassword => "bad-password",
            ErrorCode::PasswordMismatch => "password-mismatch",
            ErrorCode::Kicked => "kicked",
            ErrorCode::LastAdmin => "last-admin",
            ErrorCode::LineTooLong => "line-too-long",
            ErrorCode::BadUtf8 => "bad-utf8",
            ErrorCode::RateLimited => "rate-limited",
            ErrorCode::ServerFull => "server-full",
            ErrorCode::TryAgain => "try-again",
            ErrorCode::Timeout => "timeout",
            ErrorCode::ServerError => "server-error",
            ErrorCode::ServerBusy => "server-busy",
            ErrorCode::NoSuchRoom => "no-such-room",
            ErrorCode::NotInRoom => "not-in-room",
            ErrorCode::LimitReached => "limit-reached",
        }
    }

    /// Every code, for tests and documentation.
    pub const ALL: [ErrorCode; 24] = [
        ErrorCode::UnknownCommand,
        ErrorCode::BadArgument,
        ErrorCode::NotPermitted,
        ErrorCode::NoSuchUser,
        ErrorCode::NotLoggedIn,
        ErrorCode::AlreadyOnline,
        ErrorCode::BadCredentials,
        ErrorCode::NameTaken,
        ErrorCode::BadName,
        ErrorCode::BadPassword,
        ErrorCode::PasswordMismatch,
        ErrorCode::Kicked,
        ErrorCode::LastAdmin,
        ErrorCode::LineTooLong,
        ErrorCode::BadUtf8,
        ErrorCode::RateLimited,
        ErrorCode::ServerFull,
        ErrorCode::TryAgain,
        ErrorCode::Timeout,
        ErrorCode::ServerError,
        ErrorCode::ServerBusy,
        ErrorCode::NoSuchRoom,
        ErrorCode::NotInRoom,
        ErrorCode::LimitReached,
    ];
}

impl fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A refusal to send to a peer: a code and a text for people.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{code} {text}")]
pub struct Refusal {
    /// The wire code.
    pub code: ErrorCode,
    /// Text for people.
    pub text: String,
}

impl Refusal {
    /// A refusal with the given code and text.
    pub fn new(code: ErrorCode, text: impl Into<String>) -> Refusal {
        Refusal {
            code,
            text: text.into(),
        }
    }
}
