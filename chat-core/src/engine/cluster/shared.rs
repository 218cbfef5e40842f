//! Store changes at a node. The runtime writes a node's changes to the
//! shared buckets (a registration is a create, so one of two nodes
//! registering a name at once wins); every node, the writer included,
//! hears every change back ([`ClusterInput::Replicated`]) and applies
//! what is news to it. The writer also answers its user when the write is
//! acknowledged. Whichever of the two comes first applies the change; the
//! other finds it applied, so nothing happens twice.
//!
//! [`ClusterInput::Replicated`]: crate::cluster::ClusterInput::Replicated

use crate::cluster::{Log, RoomEvent};
use crate::reply::{Control, Done, Reason, Reply};
use crate::{Grant, PersistId, StoreChange};

use super::super::connection::ConnRef;
use super::super::in_flight::Pending;
use super::super::Engine;

impl Engine {
    /// A change of any node, heard from the buckets: applied if new here,
    /// with what it means for this node's users (a kick ends their
    /// session here, a grant reaches them here).
    pub(super) fn apply_replicated(&mut self, change: StoreChange) {
        match change {
            StoreChange::AddUser(record) => {
                if self.directory.get(&record.name.key()).is_none() {
                    self.directory.insert(record);
                }
            }
            StoreChange::SetGrant { name, grant } => {
                let key = name.key();
                if self.directory.get(&key).is_some_and(|r| r.grant != grant) {
                    self.directory.set_grant(&key, grant);
                    self.grant_reaches(&name, grant);
                }
            }
            StoreChange::SetPassword { name, phc } => {
                let key = name.key();
                if self.directory.get(&key).is_some_and(|r| r.phc != phc) {
                    self.directory.set_password(&key, &phc);
                }
            }
            StoreChange::Kick(entry) => {
                let key = entry.name.key();
                if !self.kicks.contains(&key) {
                    log::info!("{} kicked by {} (cluster)", entry.name, entry.by);
                }
                let (by, reason) = (entry.by.clone(), entry.reason.clone());
                self.kicks.insert(entry);
                if let Some(&target) = self.online.get(&key) {
                    self.kick_out(target, by.as_str(), reason.as_deref());
                }
            }
            StoreChange::Unkick { name } => self.kicks.remove(&name.key()),
            StoreChange::CreateRoom(record) => {
                let key = record.name.key();
                if self.rooms.get(&key).is_none() {
                    self.rooms.insert(record);
                }
                self.room_heard(&key);
            }
            StoreChange::SetTopic { room, topic } => self.rooms.set_topic(&room.key(), topic),
            // The room's log changes them, in its order, with its line.
            StoreChange::SetModes { .. } => {}
            // The room's log closes it, in its order.
            StoreChange::RemoveRoom { .. } | StoreChange::AppendLine { .. } => {}
        }
    }

    /// A grant in force for a user of this node: their session and client
    /// hear it.
    fn grant_reaches(&mut self, name: &crate::UserName, grant: Grant) {
        let key = name.key();
        let effective = if self.directory.is_config_admin(&key) {
            Grant::Admin
        } else {
            grant
        };
        let Some(&target) = self.online.get(&key) else {
            return;
        };
        if let Some(session) = self.conns.get_mut(&target).and_then(|c| c.session_mut()) {
            if session.grant != effective {
                session.grant = effective;
                self.send(target, &Reply::Ctl(Control::Grant(effective)));
            }
        }
    }

    /// This node's change is acknowledged: answer who asked, and apply it
    /// if the buckets have not brought it back yet. Room lines that follow
    /// from it (a topic, a close, a grant's mode) go through the room's
    /// log.
    pub(in crate::engine) fn durable_in_cluster(
        &mut self,
        conn: Option<ConnRef>,
        change: StoreChange,
    ) {
        let id = conn.map(|c| c.id);
        match change {
            StoreChange::AddUser(record) => {
                let name = record.name.clone();
                log::info!("registered {name}");
                self.apply_replicated(StoreChange::AddUser(record));
                if let Some(c) = id {
                    self.send(c, &Reply::Ok(Done::Registered(name.as_str())));
                    self.enter_room(c, name, false);
                }
            }
            StoreChange::SetGrant { name, grant } => {
                log::info!("grant of {name} set to {grant} by {}", self.who(conn));
                if let Some(c) = id {
                    self.send(c, &Reply::Ok(Done::Grant(name.as_str(), grant)));
                }
                let effective = if self.directory.is_config_admin(&name.key()) {
                    Grant::Admin
                } else {
                    grant
                };
                let event = RoomEvent::Grant {
                    at: self.now,
                    user: name.clone(),
                    by: self.who(conn),
                    grant: effective,
                };
                self.apply_replicated(StoreChange::SetGrant { name, grant });
                let lobby = self.rooms.lobby_key().clone();
                self.append(None, Log::Room(lobby), |_| event);
            }
            StoreChange::SetPassword { name, phc } => {
                log::info!("password of {name} changed");
                self.apply_replicated(StoreChange::SetPassword { name, phc });
                if let Some(c) = id {
                    self.send(c, &Reply::Ok(Done::PasswordChanged));
                }
            }
            StoreChange::Kick(entry) => {
                let name = entry.name.clone();
                log::info!("{name} kicked by {}", entry.by);
                if let Some(c) = id {
                    self.send(c, &Reply::Ok(Done::Kicked(name.as_str())));
                }
                self.apply_replicated(StoreChange::Kick(entry));
            }
            StoreChange::Unkick { name } => {
                log::info!("{name} unkicked by {}", self.who(conn));
                self.kicks.remove(&name.key());
                if let Some(c) = id {
                    self.send(c, &Reply::Ok(Done::Unkicked(name.as_str())));
                }
            }
            StoreChange::CreateRoom(record) => {
                let key = record.name.key();
                self.apply_replicated(StoreChange::CreateRoom(record.clone()));
                // Opened before its creator's join, in its log.
                self.append(None, Log::Room(key.clone()), |_| {
                    RoomEvent::Opened(record.clone())
                });
                if let Some(c) = conn {
                    self.created_for(c);
                }
                if let Some(c) = id {
                    self.send(c, &Reply::Ok(Done::Created(record.name.as_str())));
                    self.cluster_join(c, key);
                }
            }
            StoreChange::SetTopic { room, topic } => {
                log::info!("topic of {room} set by {}", self.who(conn));
                let key = room.key();
                if let Some(c) = id {
                    self.send(c, &Reply::Ok(Done::TopicSet(room.as_str())));
                }
                let by = self
                    .session_of(conn)
                    .or_else(|| topic.as_ref().map(|t| t.by.clone()));
                if let Some(by) = by {
                    let event = RoomEvent::Topic {
                        topic,
                        by,
                        at: self.now,
                    };
                    self.append(None, Log::Room(key), |_| event);
                }
            }
            StoreChange::SetModes { room, modes } => {
                let key = room.key();
                let operator = self.rooms.get(&key).and_then(|c| c.record.as_ref());
                let operator = operator.map(|r| r.operator.clone());
                if let Some(by) = self.session_of(conn).or(operator) {
                    let event = RoomEvent::Modes {
                        modes,
                        by,
                        at: self.now,
                    };
                    self.append(None, Log::Room(key), |_| event);
                }
            }
            StoreChange::RemoveRoom { room } => {
                log::info!("room {room} closed by {}", self.who(conn));
                if let Some(c) = id {
                    self.send(c, &Reply::Ok(Done::Closed(room.as_str())));
                }
                let event = RoomEvent::Closed { at: self.now };
                self.append(None, Log::Room(room.key()), |_| event);
            }
            StoreChange::AppendLine { .. } => {}
        }
    }

    /// The name of the session a change was asked by.
    fn session_of(&self, conn: Option<ConnRef>) -> Option<crate::UserName> {
        conn.and_then(|c| self.session(c.id))
            .map(|s| s.name.clone())
    }

    /// A change of this node lost to another node's: the name or room is
    /// someone else's.
    pub(super) fn on_conflict(&mut self, id: PersistId) {
        let Some(Pending { conn, change }) = self.pending.remove(&id) else {
            return;
        };
        match &change {
            StoreChange::CreateRoom(record) => self.rooms.end_create(&record.name.key()),
            StoreChange::RemoveRoom { room } => self.rooms.end_close(&room.key()),
            _ => {}
        }
        if let Some(name) = change.subject() {
            self.directory.end(&name.key());
        }
        let Some(c) = conn.filter(|c| self.live(*c)) else {
            return;
        };
        if let StoreChange::CreateRoom(record) = &change {
            if self.join_instead(c, &record.name) {
                return;
            }
        }
        match &change {
            StoreChange::AddUser(record) => {
                let name = record.name.as_str();
                self.refuse(c.id, Reason::NameTaken { name });
                self.dialog_restart(c.id);
            }
            StoreChange::CreateRoom(record) => {
                let room = record.name.as_str();
                self.refuse(c.id, Reason::RoomExists { room });
            }
            _ => self.refuse(c.id, Reason::CouldNotSave),
        }
        self.stop_bulk_close(c);
        self.set_waiting(c.id, false);
        self.resume(c.id);
    }
}
