//! What a client asks for, independent of the wire format: the
//! [`Command`]s, declared once each in the [catalogue](catalogue()) with
//! who may use them, their cost and how they are typed.

#[macro_use]
mod declare;
pub(crate) mod args;
mod catalogue;
mod spec;

pub use args::{parse_point, point_text};
pub use args::{Args, EncodeError, Kind, Line};
pub use catalogue::{catalogue, forms, forms_named, typed_names, Command};
pub use spec::{CommandSpec, Cost, Form, Param, Permission, Trailing};

use crate::{Millis, MsgId};

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

/// A standing in a room that its operators give and take (`/op`,
/// `/voice`; IRC's `MODE #room +o|+v <nick>`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Standing {
    /// An operator: runs the room (topic, removal, standings).
    Operator,
    /// Voiced: shown so (`+` in IRC).
    Voice,
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
