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

use serde::Deserialize;

use chat_core::{
    Conversation, Grant, HistoryLine, KickEntry, Millis, MsgId, RoomName, RoomRecord, StoreChange,
    Topic, UserName, UserRecord,
};

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
        line: LineV1,
    },
}

/// The part of snapshot 2 after the accounts.
#[derive(Debug, Deserialize)]
pub(crate) struct OthersV1 {
    pub(crate) kicked: Vec<KickEntry>,
    pub(crate) rooms: Vec<RoomRecord>,
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
            ChangeV1::CreateRoom(record) => StoreChange::CreateRoom(record),
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
