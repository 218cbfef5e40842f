//! What a client asks for, independent of the wire format.

use crate::{Grant, MessageKind, Millis, MsgId};

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
        /// Said, a notice (never answered, errors included) or an action.
        kind: MessageKind,
    },
    /// `/busy`: hold room lines (IRC's `AWAY :text`, with its message).
    Busy {
        /// The away message, if given.
        text: Option<&'a str>,
    },
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
    Quit {
        /// The quit message others see (IRC's `QUIT :text`), if given.
        reason: Option<&'a str>,
    },
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
    /// Extension: `/create <room>`: a new room, whose operator you are.
    CreateRoom {
        /// The name as typed.
        room: &'a str,
    },
    /// Extension: `/join <room>`.
    JoinRoom {
        /// The name as typed.
        room: &'a str,
    },
    /// Extension: `/part <room>`.
    PartRoom {
        /// The name as typed.
        room: &'a str,
        /// The part message others see (IRC's `PART #room :text`), if
        /// given.
        reason: Option<&'a str>,
    },
    /// Extension: `/rooms [page]`.
    ListRooms {
        /// The page, from 1.
        page: u64,
    },
    /// Extension: `/topic <room> [text]` shows or sets a topic,
    /// `/cleartopic <room>` clears it.
    Topic {
        /// The name as typed.
        room: &'a str,
        /// What to do.
        change: TopicChange<'a>,
    },
    /// Extension: `/say <room> <text>`: a line in a room you are in.
    SayIn {
        /// The name as typed.
        room: &'a str,
        /// The message.
        text: &'a str,
        /// Said, a notice (never answered, errors included) or an action.
        kind: MessageKind,
    },
    /// Extension: `/remove <room> <user> [reason]`: take a user out of a
    /// room (its operator, or an admin).
    RemoveFromRoom {
        /// The room as typed.
        room: &'a str,
        /// The user as typed.
        user: &'a str,
        /// Why, if given.
        reason: Option<&'a str>,
    },
    /// Extension: `/closeroom <room>`: remove a room and its history (its
    /// operator, or an admin).
    CloseRoom {
        /// The name as typed.
        room: &'a str,
    },
    /// Join a room, creating it first when there is none (IRC's `JOIN`;
    /// no chat/1 form: a chat/1 client says `/create`, then `/join`).
    EnterRoom {
        /// The name as typed.
        room: &'a str,
    },
    /// The members of a room (IRC's `NAMES #room`; no chat/1 form).
    RoomMembers {
        /// The name as typed.
        room: &'a str,
    },
    /// Who a user is (IRC's `WHOIS`; no chat/1 form): a
    /// [`Reply::WhoIs`](crate::reply::Reply::WhoIs), or `no-such-user`.
    WhoIs {
        /// The name as typed.
        name: &'a str,
    },
    /// The users online whose names match any of `masks` (IRC's `WHO
    /// <mask>` and `USERHOST`; no chat/1 form): masks separated by spaces
    /// or commas, `*` any run of characters and `?` any one, case
    /// folded; listed as a page of `/viewusers`.
    FindUsers {
        /// The masks.
        masks: &'a str,
    },
    /// A login checked before the client finished registering (IRC's SASL
    /// before `CAP END`): the client is ready, enter now. No chat/1 form.
    Ready,
    /// Extension: `/history <room|@user> [count] [<range>]`.
    History {
        /// Whose history.
        of: HistoryTarget<'a>,
        /// How many lines at most (`None`: the configured page).
        count: Option<u64>,
        /// Which lines.
        range: HistoryRange,
    },
}

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

/// A place in a conversation's history: a line, by its id, or a moment.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum HistoryPoint {
    /// The line with this id (it need not be kept any more: the point is
    /// where it was).
    Id(MsgId),
    /// This moment (Unix time in milliseconds). Lines said in the same
    /// millisecond are not told apart by it: page with ids.
    Time(Millis),
}

/// Which lines of a history `/history` asks for, at most `count` of
/// them, always shown oldest first. The forms are those of IRC's
/// `CHATHISTORY`; a point is never part of the lines it bounds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum HistoryRange {
    /// The last lines, or (`Some`) the last of those after a point.
    Latest(Option<HistoryPoint>),
    /// The last lines before a point.
    Before(HistoryPoint),
    /// The first lines after a point.
    After(HistoryPoint),
    /// The lines around a point: the line at it (if any) with as many
    /// before it as after it, as far as there are.
    Around(HistoryPoint),
    /// The lines between two points, counted from the first: forwards in
    /// time when the first is the earlier, backwards when it is the later.
    Between(HistoryPoint, HistoryPoint),
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
