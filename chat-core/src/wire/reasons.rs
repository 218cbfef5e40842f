//! The chat/1 text of typed refusals and notices.

use std::borrow::Cow;

use crate::reply::{FullScope, LimitScope, Notice, Reason, RoomLimit};

/// The text for people of an `ERR` line (without the retry ending).
pub(crate) fn reason_text<'a>(reason: &Reason<'a>) -> Cow<'a, str> {
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
        Reason::NotKicked { name } => return Cow::Owned(format!("{name} is not on the kick list")),
        Reason::BadRoomName(ref e) => {
            return Cow::Owned(e.to_string().replacen("a name", "a room name", 1))
        }
        Reason::NoSuchRoom { room } => return Cow::Owned(format!("no room named {room}")),
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
        Reason::RoomLimit(limit) => {
            return Cow::Owned(match limit {
                RoomLimit::Rooms { max } => format!("the server has {max} rooms, the most it may"),
                RoomLimit::PerUser { max } => format!("you are in {max} rooms, the most you may"),
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
pub(crate) fn notice_text(notice: &Notice<'_>) -> String {
    match notice {
        Notice::RecipientBusy { name } => format!("{name} is busy"),
    }
}
