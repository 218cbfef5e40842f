//! What the server tells a client, independent of the wire format.

use crate::{ErrorCode, Grant, Millis};

/// A step of the login dialog (the `<step>` of `ASK`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum AskStep {
    /// Register a new account or log in?
    Account,
    /// The user name, while registering.
    RegisterName,
    /// The password, while registering.
    RegisterPassword,
    /// The password again, while registering.
    RegisterPasswordAgain,
    /// The user name, while logging in.
    LoginName,
    /// The password, while logging in.
    LoginPassword,
    /// Extension: the current password, for `/changepassword` without
    /// arguments (`ASK old-password`).
    OldPassword,
    /// Extension: the new password (`ASK new-password`).
    NewPassword,
    /// Extension: the new password again (`ASK new-password-again`).
    NewPasswordAgain,
}

/// An `OK` reply.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Done<'a> {
    /// `OK registered <user>`.
    Registered(&'a str),
    /// `OK login <user>`.
    Login(&'a str),
    /// `OK sent <user>`.
    Sent(&'a str),
    /// `OK grant <user> <grant>`.
    Grant(&'a str, Grant),
    /// `OK kicked <user>`.
    Kicked(&'a str),
    /// `OK unkicked <user>`.
    Unkicked(&'a str),
    /// `OK password-changed`.
    PasswordChanged,
}

/// Why a user left the room (the `<reason>` of `LEAVE`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum LeaveReason {
    /// The user quit.
    Quit,
    /// An admin kicked the user.
    Kicked,
    /// The connection was lost.
    Lost,
    /// The user did not read fast enough and was dropped.
    TooSlow,
    /// The user was idle too long.
    Timeout,
    /// The server shut down.
    Shutdown,
    /// Extension: the owner logged in again elsewhere and took the account
    /// over (`takeover`).
    TakenOver,
}

impl LeaveReason {
    /// The reason as it appears on the wire.
    pub fn as_str(self) -> &'static str {
        match self {
            LeaveReason::Quit => "quit",
            LeaveReason::Kicked => "kicked",
            LeaveReason::Lost => "lost",
            LeaveReason::TooSlow => "too-slow",
            LeaveReason::Timeout => "timeout",
            LeaveReason::Shutdown => "shutdown",
            LeaveReason::TakenOver => "takeover",
        }
    }
}

/// Whether a user's room lines are delivered or held.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Presence {
    /// Room lines are delivered as they come.
    Free,
    /// Room lines are held until `/free`.
    Busy,
}

impl Presence {
    /// `free` or `busy`.
    pub fn as_str(self) -> &'static str {
        match self {
            Presence::Free => "free",
            Presence::Busy => "busy",
        }
    }
}

/// A `CTL` line: control for the client program.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Control<'a> {
    /// `CTL busy`.
    Busy,
    /// `CTL free`.
    Free,
    /// `CTL grant <grant>`.
    Grant(Grant),
    /// `CTL kick <by> [reason]`.
    Kick {
        /// The admin.
        by: &'a str,
        /// Why, if given.
        reason: Option<&'a str>,
    },
    /// `CTL disconnect`.
    Disconnect,
    /// `CTL shutdown`.
    Shutdown,
    /// `CTL restart`.
    Restart,
    /// Extension: `CTL takeover`: the account logged in on another
    /// connection; this one is closed (a client should not reconnect).
    Takeover,
}

/// Which listing an `END` line ends.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Listing {
    /// `END users`.
    Users,
    /// `END kicked`.
    Kicked,
    /// `END help`.
    Help,
    /// Extension: `END users <shown> <total> [next-page]`: a page of
    /// `/viewusers [page]`; `next-page` is there only when more rows remain.
    UsersPage(Page),
    /// Extension: `END kicked <shown> <total> [next-page]`, as for users.
    KickedPage(Page),
    /// `END held <replayed> <dropped>`.
    Held {
        /// Lines replayed.
        replayed: u64,
        /// Lines dropped because the hold queue was full.
        dropped: u64,
    },
}

/// The counts of one page of a listing.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Page {
    /// Rows on this page.
    pub shown: u64,
    /// Rows in the whole listing.
    pub total: u64,
    /// The page to ask for next, if more rows remain.
    pub next: Option<u64>,
}

/// One line from the server, as data. Rendering it to bytes is the wire
/// codec's job ([`wire::render`](crate::wire::render)).
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Reply<'a> {
    /// `HELLO chat/1 <server-name>`.
    Hello {
        /// The server's name.
        server: &'a str,
    },
    /// `ASK <step> <prompt>`.
    Ask(AskStep),
    /// `OK ...`.
    Ok(Done<'a>),
    /// `WELCOME <user> <grant>`.
    Welcome {
        /// The user.
        user: &'a str,
        /// Their grant.
        grant: Grant,
    },
    /// `ERR <code> <text>`.
    Err {
        /// The code.
        code: ErrorCode,
        /// Text for people.
        text: &'a str,
    },
    /// Extension: `ERR <code> <text>; retry in <n> s`: a refusal for now
    /// (code `rate-limited` or `server-busy`); the line always ends in
    /// `retry in <n> s` with `<n>` whole seconds, so a client can parse it.
    Retry {
        /// The code.
        code: ErrorCode,
        /// Text for people.
        text: &'a str,
        /// Seconds to wait before trying again (at least 1).
        secs: u64,
    },
    /// `MSG <ts> <from> <text>`.
    Msg {
        /// When.
        at: Millis,
        /// The sender.
        from: &'a str,
        /// The message.
        text: &'a str,
    },
    /// `PM <ts> <from> <text>`.
    Pm {
        /// When.
        at: Millis,
        /// The sender.
        from: &'a str,
        /// The message.
        text: &'a str,
    },
    /// `JOIN <ts> <user>`.
    Join {
        /// When.
        at: Millis,
        /// Who.
        user: &'a str,
    },
    /// `LEAVE <ts> <user> <reason>`.
    Leave {
        /// When.
        at: Millis,
        /// Who.
        user: &'a str,
        /// Why.
        reason: LeaveReason,
    },
    /// `INFO <text>`.
    Info(&'a str),
    /// The lines of `/help` (`INFO` lines then `END help`).
    Help {
        /// Whether to list the admin commands too.
        admin: bool,
    },
    /// `USER <name> <grant> <free|busy>`.
    User {
        /// The user.
        name: &'a str,
        /// Their grant.
        grant: Grant,
        /// Free or busy.
        presence: Presence,
    },
    /// `KICKED <name> <by> <ts> [reason]`.
    Kicked {
        /// The kicked user.
        name: &'a str,
        /// The admin.
        by: &'a str,
        /// When.
        at: Millis,
        /// Why, if given.
        reason: Option<&'a str>,
    },
    /// `END <list> [counts]`.
    End(Listing),
    /// `CTL ...`.
    Ctl(Control<'a>),
    /// `PONG [token]`.
    Pong(Option<&'a str>),
}
