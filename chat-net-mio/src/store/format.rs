//! The record formats of earlier versions, read to migrate them.
//!
//! postcard is not self-describing, so a record's shape is its format
//! (see `snapshot.rs`). Version 2 of the snapshot and version 1 of the log
//! kept history lines without message ids; they are read here into the
//! current records, each old line given an id in the order it was kept
//! (the snapshot's lines, conversation by conversation, then the log's
//! in order), so every conversation's ids increase as its lines do. A
//! store found in these versions is rewritten in the current ones as soon
//! as it opens (a compaction), and never appended to in the old.
//!
//! Version 3 of the snapshot and version 2 of the log (and every earlier
//! one) kept rooms without modes; they read here with the default modes.
//!
//! Version 4 of the snapshot and version 3 of the log (and every earlier
//! one) kept history lines without their kind; every line of those was
//! taken as said (a notice or an action was kept as a plain line), so
//! they read here as [`MessageKind::Said`].

use serde::Deserialize;

use super::state::Others;
use chat_core::{
    Conversation, Grant, HistoryLine, KickEntry, MessageKind, Millis, MsgId, RoomModes, RoomName,
    RoomRecord, StoreChange, Topic, UserName, UserRecord,
};

/// A history line with an id but without its kind (snapshots 3 and 4,
/// logs 2 and 3).
#[derive(Debug, Deserialize)]
pub(crate) struct LineV2 {
    id: MsgId,
    at: Millis,
    from: UserName,
    text: String,
}

impl From<LineV2> for HistoryLine {
    fn from(old: LineV2) -> HistoryLine {
        HistoryLine {
            id: old.id,
            at: old.at,
            from: old.from,
            text: old.text,
            kind: MessageKind::Said,
        }
    }
}

/// History lines without kinds, as said.
fn history_of(old: Vec<(Conversation, Vec<LineV2>)>) -> Vec<(Conversation, Vec<HistoryLine>)> {
    old.into_iter()
        .map(|(c, lines)| (c, lines.into_iter().map(HistoryLine::from).collect()))
        .collect()
}

/// A change as log 3 wrote it: [`StoreChange`] of that version, variant
/// for variant in the same order.
#[derive(Debug, Deserialize)]
pub(crate) enum ChangeV3 {
    AddUser(UserRecord),
    SetGrant {
        name: UserName,
        grant: Grant,
    },
    SetPassword {
        name: UserName,
        phc: String,
    },
    Kick(KickEntry),
    Unkick {
        name: UserName,
    },
    CreateRoom(RoomRecord),
    SetTopic {
        room: RoomName,
        topic: Option<Topic>,
    },
    RemoveRoom {
        room: RoomName,
    },
    AppendLine {
        conversation: Conversation,
        line: LineV2,
    },
    SetModes {
        room: RoomName,
        modes: RoomModes,
    },
}

impl From<ChangeV3> for StoreChange {
    fn from(old: ChangeV3) -> StoreChange {
        match old {
            ChangeV3::AddUser(record) => StoreChange::AddUser(record),
            ChangeV3::SetGrant { name, grant } => StoreChange::SetGrant { name, grant },
            ChangeV3::SetPassword { name, phc } => StoreChange::SetPassword { name, phc },
            ChangeV3::Kick(entry) => StoreChange::Kick(entry),
            ChangeV3::Unkick { name } => StoreChange::Unkick { name },
            ChangeV3::CreateRoom(record) => StoreChange::CreateRoom(record),
            ChangeV3::SetTopic { room, topic } => StoreChange::SetTopic { room, topic },
            ChangeV3::RemoveRoom { room } => StoreChange::RemoveRoom { room },
            ChangeV3::AppendLine { conversation, line } => StoreChange::AppendLine {
                conversation,
                line: line.into(),
            },
            ChangeV3::SetModes { room, modes } => StoreChange::SetModes { room, modes },
        }
    }
}

/// The part of snapshot 4 after the accounts.
#[derive(Debug, Deserialize)]
pub(crate) struct OthersV4 {
    kicked: Vec<KickEntry>,
    rooms: Vec<RoomRecord>,
    history: Vec<(Conversation, Vec<LineV2>)>,
}

impl From<OthersV4> for Others {
    fn from(old: OthersV4) -> Others {
        Others::new(old.kicked, old.rooms, history_of(old.history))
    }
}

/// A room without modes (snapshots 1 to 3, logs 1 and 2).
#[derive(Debug, Deserialize)]
pub(crate) struct RoomRecordV1 {
    name: RoomName,
    operator: UserName,
    created: Millis,
    topic: Option<Topic>,
}

impl From<RoomRecordV1> for RoomRecord {
    fn from(old: RoomRecordV1) -> RoomRecord {
        RoomRecord {
            name: old.name,
            operator: old.operator,
            created: old.created,
            topic: old.topic,
            modes: RoomModes::default(),
        }
    }
}

/// Rooms without modes, with the default modes.
pub(crate) fn rooms_of(old: Vec<RoomRecordV1>) -> Vec<RoomRecord> {
    old.into_iter().map(RoomRecord::from).collect()
}

/// A change as log 2 wrote it: [`StoreChange`] of that version, variant
/// for variant in the same order.
#[derive(Debug, Deserialize)]
pub(crate) enum ChangeV2 {
    AddUser(UserRecord),
    SetGrant {
        name: UserName,
        grant: Grant,
    },
    SetPassword {
        name: UserName,
        phc: String,
    },
    Kick(KickEntry),
    Unkick {
        name: UserName,
    },
    CreateRoom(RoomRecordV1),
    SetTopic {
        room: RoomName,
        topic: Option<Topic>,
    },
    RemoveRoom {
        room: RoomName,
    },
    AppendLine {
        conversation: Conversation,
        line: LineV2,
    },
}

impl From<ChangeV2> for StoreChange {
    fn from(old: ChangeV2) -> StoreChange {
        match old {
            ChangeV2::AddUser(record) => StoreChange::AddUser(record),
            ChangeV2::SetGrant { name, grant } => StoreChange::SetGrant { name, grant },
            ChangeV2::SetPassword { name, phc } => StoreChange::SetPassword { name, phc },
            ChangeV2::Kick(entry) => StoreChange::Kick(entry),
            ChangeV2::Unkick { name } => StoreChange::Unkick { name },
            ChangeV2::CreateRoom(record) => StoreChange::CreateRoom(record.into()),
            ChangeV2::SetTopic { room, topic } => StoreChange::SetTopic { room, topic },
            ChangeV2::RemoveRoom { room } => StoreChange::RemoveRoom { room },
            ChangeV2::AppendLine { conversation, line } => StoreChange::AppendLine {
                conversation,
                line: line.into(),
            },
        }
    }
}

/// The part of snapshot 3 after the accounts.
#[derive(Debug, Deserialize)]
pub(crate) struct OthersV3 {
    kicked: Vec<KickEntry>,
    rooms: Vec<RoomRecordV1>,
    history: Vec<(Conversation, Vec<LineV2>)>,
}

impl From<OthersV3> for Others {
    fn from(old: OthersV3) -> Others {
        Others::new(old.kicked, rooms_of(old.rooms), history_of(old.history))
    }
}

/// A history line without an id (snapshot 2, log 1).
#[derive(Debug, Deserialize)]
pub(crate) struct LineV1 {
    at: Millis,
    from: UserName,
    text: String,
}

/// A change as log 1 wrote it: [`StoreChange`] of that version, variant
/// for variant in the same order.
#[derive(Debug, Deserialize)]
pub(crate) enum ChangeV1 {
    AddUser(UserRecord),
    SetGrant {
        name: UserName,
        grant: Grant,
    },
    SetPassword {
        name: UserName,
        phc: String,
    },
    Kick(KickEntry),
    Unkick {
        name: UserName,
    },
    CreateRoom(RoomRecordV1),
    SetTopic {
        room: RoomName,
        topic: Option<Topic>,
    },
    RemoveRoom {
        room: RoomName,
    },
    AppendLine {
        conversation: Conversation,
        line: LineV1,
    },
}

/// The part of snapshot 2 after the accounts.
#[derive(Debug, Deserialize)]
pub(crate) struct OthersV1 {
    pub(crate) kicked: Vec<KickEntry>,
    pub(crate) rooms: Vec<RoomRecordV1>,
    pub(crate) history: Vec<(Conversation, Vec<LineV1>)>,
}

/// Gives old lines their ids, one more each, in the order they are read.
#[derive(Debug)]
pub(crate) struct Ids {
    next: MsgId,
}

impl Ids {
    /// Ids after `last` (the largest one the store holds, if any).
    pub(crate) fn after(last: Option<MsgId>) -> Ids {
        Ids {
            next: last.unwrap_or_default().next(),
        }
    }

    /// The line, with the next id.
    pub(crate) fn line(&mut self, old: LineV1) -> HistoryLine {
        let id = self.next;
        self.next = id.next();
        HistoryLine {
            id,
            at: old.at,
            from: old.from,
            text: old.text,
            kind: MessageKind::Said,
        }
    }

    /// The change, its line (if any) with the next id.
    pub(crate) fn change(&mut self, old: ChangeV1) -> StoreChange {
        match old {
            ChangeV1::AddUser(record) => StoreChange::AddUser(record),
            ChangeV1::SetGrant { name, grant } => StoreChange::SetGrant { name, grant },
            ChangeV1::SetPassword { name, phc } => StoreChange::SetPassword { name, phc },
            ChangeV1::Kick(entry) => StoreChange::Kick(entry),
            ChangeV1::Unkick { name } => StoreChange::Unkick { name },
            ChangeV1::CreateRoom(record) => StoreChange::CreateRoom(record.into()),
            ChangeV1::SetTopic { room, topic } => StoreChange::SetTopic { room, topic },
            ChangeV1::RemoveRoom { room } => StoreChange::RemoveRoom { room },
            ChangeV1::AppendLine { conversation, line } => StoreChange::AppendLine {
                conversation,
                line: self.line(line),
            },
        }
    }

    /// The history of snapshot 2, every line with an id.
    pub(crate) fn history(
        &mut self,
        old: Vec<(Conversation, Vec<LineV1>)>,
    ) -> Vec<(Conversation, Vec<HistoryLine>)> {
        old.into_iter()
            .map(|(c, lines)| (c, lines.into_iter().map(|l| self.line(l)).collect()))
            .collect()
    }
}
