//! Store changes: asked of the caller (`Output::Persist`), made true in
//! memory once durable by the one meaning of a change
//! ([`StoreChange::apply_to`](crate::StoreChange::apply_to)), then
//! answered. A history line is kept at once and saved without waiting.

use crate::reply::{Reason, Reply};
use crate::{Conversation, HistoryLine, PersistId, StoreChange};

use super::connection::ConnRef;
use super::in_flight::Pending;
use super::io::{Output, PersistFailed, PersistRequest};
use super::rooms::{private_bounds, room_bounds};
use super::store_tables::Tables;
use super::Engine;

impl Engine {
    /// Asks for a durable change; the requester (if any) waits for it.
    pub(super) fn persist(&mut self, conn: Option<ConnRef>, change: StoreChange) {
        let id = PersistId(self.next_persist);
        self.next_persist += 1;
        self.pending.insert(
            id,
            Pending {
                conn,
                change: change.clone(),
            },
        );
        self.out
            .push(Output::Persist(Box::new(PersistRequest { id, change })));
    }

    /// Keeps a line in a conversation's history in memory and, when
    /// `stored`, asks the store to keep it too: not for a guest's room nor
    /// a conversation with a guest (kept for its session, see
    /// `private_pairs`), which the caller knows from the room or the
    /// sessions it looked up already. Nobody waits for that change: it is
    /// not tracked, and its answer (even a failure, which the runtime
    /// logs) changes nothing here.
    pub(super) fn remember(&mut self, conversation: Conversation, line: HistoryLine, stored: bool) {
        let change = StoreChange::AppendLine { conversation, line };
        // An append has no checks to fail.
        let _ = change.apply_to(&mut self.tables());
        if !stored {
            return;
        }
        let id = PersistId(self.next_persist);
        self.next_persist += 1;
        self.out
            .push(Output::Persist(Box::new(PersistRequest { id, change })));
    }

    /// The engine's copy of what the store holds, to apply a change to.
    pub(super) fn tables(&mut self) -> Tables<'_> {
        let l = &self.config.limits;
        Tables {
            directory: &mut self.directory,
            kicks: &mut self.kicks,
            rooms: &mut self.rooms,
            private: &mut self.private,
            room_bounds: room_bounds(&self.config.retention, l.history_bytes_per_room),
            pair_bounds: private_bounds(&self.config.retention, l.history_bytes_per_pair),
            max_pairs: l.max_private_histories,
        }
    }

    pub(super) fn on_persisted(&mut self, id: PersistId, result: Result<(), PersistFailed>) {
        let Some(Pending { conn, change }) = self.pending.remove(&id) else {
            // Untracked: a history line (see `remember`).
            if let Err(failed) = result {
                log::warn!("could not save a history line: {}", failed.0);
            }
            return;
        };
        match &change {
            StoreChange::CreateRoom(record) => {
                let key = record.name.key();
                self.rooms.end_create(&key);
                if result.is_err() {
                    self.upkeep.uncount_created(&record.operator.key(), &key);
                }
            }
            StoreChange::RemoveRoom { room } => {
                let key = room.key();
                self.rooms.end_close(&key);
                if result.is_err() {
                    self.room_close_failed(key);
                }
            }
            _ => {}
        }
        if let Some(name) = change.subject() {
            self.directory.end(&name.key());
        }
        let conn = conn.filter(|c| self.live(*c));
        let removed_room = matches!(change, StoreChange::RemoveRoom { .. });
        let saved = result.is_ok();
        // Done waiting before the change is applied: applying it may start
        // another wait (a cluster's room creation then waits for the join).
        if let Some(c) = conn {
            self.set_waiting(c.id, false);
        }
        match result {
            Ok(()) => self.apply_durable(conn, change),
            Err(failed) => {
                // The detail can name a path on the server's disk: log it,
                // and tell the client only that it failed.
                log::warn!("could not save a change: {}", failed.0);
                if let Some(c) = conn {
                    self.refuse(c.id, Reason::CouldNotSave);
                    if matches!(change, StoreChange::AddUser(_)) {
                        self.dialog_restart(c.id);
                    }
                }
            }
        }
        if let Some(c) = conn {
            // An admin's `/closeroomsof` goes on with its next room, the
            // admin waiting again; a failure ends it.
            if removed_room && saved && self.close_next_of_bulk(c) {
                self.set_waiting(c.id, true);
                return;
            }
            if removed_room && !saved {
                self.stop_bulk_close(c);
            }
            self.resume(c.id);
        }
    }

    /// A change is durable: make it true in memory (what it means is
    /// [`StoreChange::apply_to`], as for the store), then answer.
    pub(super) fn apply_durable(&mut self, conn: Option<ConnRef>, change: StoreChange) {
        if self.cluster.is_some() {
            return self.durable_in_cluster(conn, change);
        }
        // Whoever is in a room being removed is told once it is gone; its
        // creator has one room fewer.
        let members = match &change {
            StoreChange::RemoveRoom { room } => {
                let key = room.key();
                let channel = self.rooms.get(&key);
                if let Some(record) = channel.and_then(|c| c.record.as_ref()) {
                    self.upkeep.uncount_created(&record.operator.key(), &key);
                }
                channel
                    .map(|c| c.members.member_ids().collect())
                    .unwrap_or_default()
            }
            _ => Vec::new(),
        };
        // What a change of modes changed is told from what they were.
        let was = match &change {
            StoreChange::SetModes { room, .. } => self
                .rooms
                .get(&room.key())
                .map(|c| c.modes().clone())
                .unwrap_or_default(),
            _ => crate::RoomModes::default(),
        };
        if let Err(e) = change.apply_to(&mut self.tables()) {
            // The store took it: the engine's copy had drifted.
            log::error!("a durable change does not apply in memory: {e}");
            return;
        }
        match change {
            StoreChange::AddUser(record) => {
                let name = record.name;
                let from = conn.and_then(|c| self.conns.get(&c.id)).map(|c| c.peer);
                log::info!("registered {name} from {}", Self::addr_text(from));
                if let Some(c) = conn {
                    self.send(
                        c.id,
                        &Reply::Ok(crate::reply::Done::Registered(name.as_str())),
                    );
                    self.enter_room(c.id, name, false);
                }
            }
            StoreChange::SetGrant { name, grant } => {
                log::info!("grant of {name} set to {grant} by {}", self.who(conn));
                self.on_grant_durable(conn, &name, grant);
            }
            StoreChange::SetPassword { name, .. } => {
                log::info!("password of {name} changed");
                if let Some(c) = conn {
                    self.send(c.id, &Reply::Ok(crate::reply::Done::PasswordChanged));
                }
            }
            StoreChange::Kick(entry) => {
                log::info!("{} kicked by {}", entry.name, entry.by);
                self.on_kick_durable(conn, &entry.name, &entry.by, entry.reason.as_deref());
            }
            StoreChange::Unkick { name } => {
                log::info!("{name} unkicked by {}", self.who(conn));
                if let Some(c) = conn {
                    self.send(
                        c.id,
                        &Reply::Ok(crate::reply::Done::Unkicked(name.as_str())),
                    );
                }
            }
            StoreChange::CreateRoom(record) => self.on_room_created(conn, record),
            StoreChange::SetTopic { room, topic } => self.on_topic_durable(conn, &room, topic),
            StoreChange::SetModes { room, modes } => {
                self.on_modes_durable(conn, &room, &was, &modes)
            }
            StoreChange::RemoveRoom { room } => self.on_room_removed(conn, &room, members),
            // Never tracked (see `remember`).
            StoreChange::AppendLine { .. } => {}
        }
    }
}
