//! Refusals and notices as data, each with its code and its one text for
//! people.

use std::borrow::Cow;
use std::fmt;

use crate::framing::FrameError;
use crate::ErrorCode;

/// Which room limit a refusal is about (`ERR limit-reached`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum RoomLimit {
    /// Rooms on the server.
    Rooms {
        /// The limit.
        max: usize,
    },
    /// Rooms one user is in at once (the lobby not counted).
    PerUser {
        /// The limit.
        max: usize,
    },
    /// Members of one room.
    Members {
        /// The limit.
        max: usize,
    },
    /// Rooms one user created that still exist.
    PerCreator {
        /// The limit.
        max: usize,
    },
}

/// What a retry-later refusal is about (`ERR rate-limited`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum LimitScope {
    /// Registrations, from the address or in all.
    Registrations,
    /// Login attempts to the account or from the address.
    LoginAttempts,
    /// Wrong old passwords of `/changepassword`.
    WrongPasswords,
    /// Password work in flight from the address.
    LoginsFromAddress,
    /// The per-connection command budget; the line was dropped.
    CommandBudget,
    /// Rooms created by the user or in all.
    RoomCreations,
}

/// Why the server refused a line, a command or a connection: an `ERR`
/// line as data. Each reason has one [`ErrorCode`] and one text for
/// people (its `Display`), which every codec shows as it is.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Reason<'a> {
    /// A line that could not be framed (too long, not UTF-8).
    Line(FrameError),
    /// A line the codec could not read as a command.
    Invalid(&'a crate::Refusal),
    /// More lines arrived while a command was answered than may queue;
    /// the line was dropped.
    QueueFull,
    /// Too many tries for now; wait `retry_secs`.
    RateLimited {
        /// What was limited.
        scope: LimitScope,
        /// Seconds to wait (at least 1).
        retry_secs: u64,
    },
    /// Messages come faster than `per_second`; the message was dropped.
    Flood {
        /// The messages allowed a second.
        per_second: u32,
    },
    /// Too many failed logins on this connection; it closes.
    TooManyFailures,
    /// Too much password work in flight on the server; wait `retry_secs`.
    LoginsInProgress {
        /// Seconds to wait.
        retry_secs: u64,
    },
    /// The caller's password workers refused the work; wait `retry_secs`.
    PasswordWorkersBusy {
        /// Seconds to wait.
        retry_secs: u64,
    },
    /// The server takes no connection now.
    Full(FullScope),
    /// The command needs a logged-in session.
    NotLoggedIn,
    /// The answer to `ASK account` was neither yes nor no.
    YesOrNo,
    /// Not a valid user name.
    BadName(crate::NameError),
    /// The name is a configured admin's, never registrable.
    NameReserved {
        /// The name.
        name: &'a str,
    },
    /// The name is registered already.
    NameTaken {
        /// The name.
        name: &'a str,
    },
    /// Someone online has the name (a guest's nick).
    NameInUse {
        /// The name.
        name: &'a str,
    },
    /// The two passwords differ.
    PasswordMismatch,
    /// A password's length is out of bounds.
    PasswordLength {
        /// The fewest bytes.
        min: usize,
        /// The most bytes.
        max: usize,
    },
    /// The store could not save the change.
    CouldNotSave,
    /// Extension, a node of a cluster: it cannot reach its cluster now
    /// (logins and lines refused; try another server).
    ClusterUnavailable,
    /// Extension, a node of a cluster: the line was not delivered (the
    /// cluster did not take it in time).
    NotDelivered,
    /// The password could not be checked; `busy` when the workers were.
    CouldNotCheckPassword {
        /// Whether it was for being busy (`server-busy`, else
        /// `server-error`).
        busy: bool,
    },
    /// A registration's password could not be hashed.
    CouldNotHash,
    /// A new password could not be hashed.
    HashingFailed,
    /// Wrong user name or password.
    WrongCredentials,
    /// Wrong old password of `/changepassword`.
    WrongOldPassword,
    /// The account is on the kick list.
    OnKickList,
    /// The command is for admins.
    AdminOnly,
    /// Register or log in while logged in.
    AlreadyLoggedIn,
    /// Text with control or invisible formatting characters: a message,
    /// or (with `in_reason`) a kick reason.
    UnsafeText {
        /// Whether it was a kick reason.
        in_reason: bool,
    },
    /// The recipient of a private message is not online.
    NotOnline {
        /// The name as typed.
        name: &'a str,
    },
    /// `/free` while not busy.
    NotBusy,
    /// No account of that name.
    NoSuchUser {
        /// The name as typed.
        name: &'a str,
    },
    /// A change to the account is being saved. `name: None` is the user's
    /// own account; `retry_hint` asks to try again.
    ChangeInFlight {
        /// The account, or `None` for the user's own.
        name: Option<&'a str>,
        /// Whether the text says to try again.
        retry_hint: bool,
    },
    /// The account is an admin by the server's configuration.
    ConfigAdmin {
        /// The account.
        name: &'a str,
    },
    /// A room's operator who is not an admin tried to remove an admin
    /// from the room: only an admin may.
    TargetIsAdmin {
        /// The admin.
        name: &'a str,
    },
    /// The change would leave no admin.
    LastAdmin {
        /// The account.
        name: &'a str,
    },
    /// `/unkick` of an account not on the kick list.
    NotKicked {
        /// The account.
        name: &'a str,
    },
    /// The login dialog took too long.
    LoginTimeout,
    /// The session was idle too long.
    IdleTimeout,
    /// Not a valid room name.
    BadRoomName(crate::NameError),
    /// No room of that name.
    NoSuchRoom {
        /// The name as typed.
        room: &'a str,
    },
    /// `/closeroomsof` of a user who created no room that still exists.
    NoRoomsOf {
        /// The account as typed.
        user: &'a str,
    },
    /// A room of that name exists (or is being created).
    RoomExists {
        /// The name as typed.
        room: &'a str,
    },
    /// The user is not in the room.
    NotInRoom {
        /// The room.
        room: &'a str,
        /// The user, `None` for the asker.
        user: Option<&'a str>,
    },
    /// The asker is in the room already.
    AlreadyInRoom {
        /// The room.
        room: &'a str,
    },
    /// Only the room's operator or an admin may do that.
    NotRoomOperator {
        /// The room.
        room: &'a str,
    },
    /// The lobby cannot be left, closed, or given a topic.
    LobbyIsFixed,
    /// The room is moderated (`+m`): only its operators and voiced
    /// members speak.
    Moderated {
        /// The room.
        room: &'a str,
    },
    /// The room takes a key (`+k`) and it was not given.
    WrongRoomKey {
        /// The room.
        room: &'a str,
    },
    /// The room is invite-only (`+i`) and you were not invited.
    InviteOnly {
        /// The room.
        room: &'a str,
    },
    /// The user invited is in the room already.
    UserInRoom {
        /// The room.
        room: &'a str,
        /// The user.
        user: &'a str,
    },
    /// The room has as many members as its limit (`+l`) allows.
    RoomFull {
        /// The room.
        room: &'a str,
        /// Its limit.
        limit: u32,
    },
    /// A configured room limit is reached.
    RoomLimit(RoomLimit),
    /// No traffic within the ping timeout after a server `PING`.
    PingTimeout,
}

/// Why the server takes no connection (`ERR server-full`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum FullScope {
    /// The server is shutting down.
    ShuttingDown,
    /// Every connection slot is taken.
    Server,
    /// The address has as many connections as it may.
    Address,
}

impl Reason<'_> {
    /// The error code of the refusal.
    pub fn code(&self) -> ErrorCode {
        match self {
            Reason::Line(e) => e.code(),
            Reason::Invalid(r) => r.code,
            Reason::QueueFull
            | Reason::RateLimited { .. }
            | Reason::Flood { .. }
            | Reason::TooManyFailures => ErrorCode::RateLimited,
            Reason::LoginsInProgress { .. } | Reason::PasswordWorkersBusy { .. } => {
                ErrorCode::ServerBusy
            }
            Reason::Full(_) => ErrorCode::ServerFull,
            Reason::NotLoggedIn => ErrorCode::NotLoggedIn,
            Reason::YesOrNo
            | Reason::UnsafeText { .. }
            | Reason::NotBusy
            | Reason::NotKicked { .. } => ErrorCode::BadArgument,
            Reason::BadName(_) => ErrorCode::BadName,
            Reason::NameReserved { .. } | Reason::NameTaken { .. } | Reason::NameInUse { .. } => {
                ErrorCode::NameTaken
            }
            Reason::PasswordMismatch => ErrorCode::PasswordMismatch,
            Reason::PasswordLength { .. } => ErrorCode::BadPassword,
            Reason::CouldNotSave | Reason::CouldNotHash | Reason::HashingFailed => {
                ErrorCode::ServerError
            }
            Reason::ClusterUnavailable | Reason::NotDelivered => ErrorCode::ServerError,
            Reason::CouldNotCheckPassword { busy: true } => ErrorCode::ServerBusy,
            Reason::CouldNotCheckPassword { busy: false } => ErrorCode::ServerError,
            Reason::WrongCredentials | Reason::WrongOldPassword => ErrorCode::BadCredentials,
            Reason::OnKickList => ErrorCode::Kicked,
            Reason::AdminOnly | Reason::ConfigAdmin { .. } | Reason::TargetIsAdmin { .. } => {
                ErrorCode::NotPermitted
            }
            Reason::AlreadyLoggedIn => ErrorCode::AlreadyOnline,
            Reason::NotOnline { .. } | Reason::NoSuchUser { .. } => ErrorCode::NoSuchUser,
            Reason::ChangeInFlight { .. } => ErrorCode::TryAgain,
            Reason::LastAdmin { .. } => ErrorCode::LastAdmin,
            Reason::BadRoomName(_) => ErrorCode::BadName,
            Reason::NoSuchRoom { .. } | Reason::NoRoomsOf { .. } => ErrorCode::NoSuchRoom,
            Reason::RoomExists { .. } => ErrorCode::NameTaken,
            Reason::NotInRoom { .. } => ErrorCode::NotInRoom,
            Reason::AlreadyInRoom { .. } => ErrorCode::BadArgument,
            Reason::NotRoomOperator { .. }
            | Reason::LobbyIsFixed
            | Reason::Moderated { .. }
            | Reason::InviteOnly { .. }
            | Reason::WrongRoomKey { .. } => ErrorCode::NotPermitted,
            Reason::UserInRoom { .. } => ErrorCode::BadArgument,
            Reason::RoomFull { .. } => ErrorCode::LimitReached,
            Reason::RoomLimit(_) => ErrorCode::LimitReached,
            Reason::LoginTimeout | Reason::IdleTimeout | Reason::PingTimeout => ErrorCode::Timeout,
        }
    }

    /// Seconds to wait before trying again, for a refusal for now.
    pub fn retry_secs(&self) -> Option<u64> {
        match *self {
            Reason::RateLimited { retry_secs, .. }
            | Reason::LoginsInProgress { retry_secs }
            | Reason::PasswordWorkersBusy { retry_secs } => Some(retry_secs),
            _ => None,
        }
    }
}

/// Something the server tells a user that is neither a reply nor a
/// refusal (an `INFO` line in chat/1); its text for people is its
/// `Display`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Notice<'a> {
    /// The recipient of a private message is busy: it is delivered, but
    /// they may not read it soon.
    RecipientBusy {
        /// The recipient.
        name: &'a str,
        /// Their away message, if they gave one.
        text: Option<&'a str>,
    },
}

impl fmt::Display for Reason<'_> {
    /// The text for people (without a retry hint: see
    /// [`Reason::retry_secs`]).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&reason_text(self))
    }
}

impl fmt::Display for Notice<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&notice_text(self))
    }
}

/// The text for people of an `ERR` line (without the retry ending).
fn reason_text<'a>(reason: &Reason<'a>) -> Cow<'a, str> {
    let fixed: &'static str = match *reason {
        Reason::Line(e) => return Cow::Owned(e.to_string()),
        Reason::Invalid(r) => return Cow::Borrowed(&r.text),
        Reason::BadName(ref e) => return Cow::Owned(e.to_string()),
        Reason::Flood { per_second } => {
            return Cow::Owned(format!(
                "slow down: at most {per_second} messages a second; message not sent"
            ))
        }
        Reason::NameReserved { name } => return Cow::Owned(format!("{name} is reserved")),
        Reason::NameTaken { name } => return Cow::Owned(format!("{name} is taken")),
        Reason::NameInUse { name } => return Cow::Owned(format!("{name} is in use")),
        Reason::PasswordLength { min, max } => {
            return Cow::Owned(format!("a password is {min} to {max} bytes"))
        }
        Reason::NotOnline { name } => return Cow::Owned(format!("{name} is not online")),
        Reason::NoSuchUser { name } => return Cow::Owned(format!("no user named {name}")),
        Reason::ChangeInFlight {
            name: Some(name), ..
        } => return Cow::Owned(format!("a change to {name} is being saved; try again")),
        Reason::ConfigAdmin { name } => {
            return Cow::Owned(format!("{name} is an admin by configuration"))
        }
        Reason::LastAdmin { name } => return Cow::Owned(format!("{name} is the last admin")),
        Reason::TargetIsAdmin { name } => {
            return Cow::Owned(format!("{name} is an admin; only an admin may remove them"))
        }
        Reason::NotKicked { name } => return Cow::Owned(format!("{name} is not on the kick list")),
        Reason::BadRoomName(ref e) => {
            return Cow::Owned(e.to_string().replacen("a name", "a room name", 1))
        }
        Reason::NoSuchRoom { room } => return Cow::Owned(format!("no room named {room}")),
        Reason::NoRoomsOf { user } => {
            return Cow::Owned(format!("{user} created no room that still exists"))
        }
        Reason::RoomExists { room } => return Cow::Owned(format!("the room {room} exists")),
        Reason::NotInRoom { room, user: None } => {
            return Cow::Owned(format!("you are not in {room}"))
        }
        Reason::NotInRoom {
            room,
            user: Some(user),
        } => return Cow::Owned(format!("{user} is not in {room}")),
        Reason::AlreadyInRoom { room } => return Cow::Owned(format!("you are in {room} already")),
        Reason::NotRoomOperator { room } => {
            return Cow::Owned(format!(
                "only the operator of {room} or an admin may do that"
            ))
        }
        Reason::Moderated { room } => {
            return Cow::Owned(format!(
                "{room} is moderated: only its operators and voiced members speak"
            ))
        }
        Reason::InviteOnly { room } => {
            return Cow::Owned(format!("{room} is invite-only: ask its operators"))
        }
        Reason::UserInRoom { room, user } => {
            return Cow::Owned(format!("{user} is in {room} already"))
        }
        Reason::WrongRoomKey { room } => {
            return Cow::Owned(format!("{room} takes a key: /join {room} <key>"))
        }
        Reason::RoomFull { room, limit } => {
            return Cow::Owned(format!("{room} has {limit} members, the most it takes"))
        }
        Reason::RoomLimit(limit) => {
            return Cow::Owned(match limit {
                RoomLimit::Rooms { max } => format!("the server has {max} rooms, the most it may"),
                RoomLimit::PerUser { max } => format!("you are in {max} rooms, the most you may"),
                RoomLimit::PerCreator { max } => {
                    format!("you created {max} rooms, the most you may have; close one first")
                }
                RoomLimit::Members { max } => {
                    format!("the room has {max} members, the most it may")
                }
            })
        }
        Reason::ChangeInFlight {
            name: None,
            retry_hint: true,
        } => "a change to you is being saved; try again",
        Reason::ChangeInFlight {
            name: None,
            retry_hint: false,
        } => "a change to you is being saved",
        Reason::QueueFull => "too many lines while the previous command is answered; line dropped",
        Reason::RateLimited { scope, .. } => match scope {
            LimitScope::Registrations => "too many registrations",
            LimitScope::LoginAttempts => "too many login attempts",
            LimitScope::WrongPasswords => "too many wrong passwords",
            LimitScope::LoginsFromAddress => "too many logins from your address",
            LimitScope::CommandBudget => "over the command budget; line dropped",
            LimitScope::RoomCreations => "too many rooms created",
        },
        Reason::TooManyFailures => "too many failed attempts",
        Reason::LoginsInProgress { .. } => "too many logins in progress",
        Reason::PasswordWorkersBusy { .. } => "the server is busy",
        Reason::Full(FullScope::ShuttingDown) => "the server is shutting down",
        Reason::Full(FullScope::Server) => "the server is full; try again later",
        Reason::Full(FullScope::Address) => "too many connections from your address",
        Reason::NotLoggedIn => "log in first",
        Reason::YesOrNo => "answer y or n",
        Reason::PasswordMismatch => "the passwords differ",
        Reason::CouldNotSave => "could not save the change",
        Reason::ClusterUnavailable => "this server cannot reach its cluster; try another server",
        Reason::NotDelivered => "not delivered: the cluster did not take it in time",
        Reason::CouldNotCheckPassword { .. } => "could not check the password",
        Reason::CouldNotHash => "could not hash the password",
        Reason::HashingFailed => "hashing failed",
        Reason::WrongCredentials => "wrong user name or password",
        Reason::WrongOldPassword => "wrong old password",
        Reason::OnKickList => "you are on the kick list",
        Reason::AdminOnly => "that command is for admins",
        Reason::AlreadyLoggedIn => "you are logged in already",
        Reason::UnsafeText { in_reason: false } => {
            "no control or invisible formatting characters in messages"
        }
        Reason::UnsafeText { in_reason: true } => {
            "no control or invisible formatting characters in a reason"
        }
        Reason::NotBusy => "you are not busy",
        Reason::LoginTimeout => "login took too long",
        Reason::IdleTimeout => "idle for too long",
        Reason::LobbyIsFixed => "the lobby cannot be left, closed or given a topic",
        Reason::PingTimeout => "no answer to a ping",
    };
    Cow::Borrowed(fixed)
}

/// The text of an `INFO` notice.
fn notice_text(notice: &Notice<'_>) -> String {
    match notice {
        Notice::RecipientBusy { name, text: None } => format!("{name} is busy"),
        Notice::RecipientBusy {
            name,
            text: Some(text),
        } => format!("{name} is busy: {text}"),
    }
}
