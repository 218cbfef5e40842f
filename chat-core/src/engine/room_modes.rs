//! A room's modes: shown, changed by its operators (stored with the room,
//! told to it once durable), and what they let a user do: see the room
//! in listings (`+s`), speak in it (`+m`), join it (`+i` unless invited,
//! `+k`, `+l`); and invitations.

use crate::reply::{Control, Done, Reason, Reply};
use crate::{ConnId, ModeEdit, NameKey, RoomKey, RoomModes, RoomName};

use super::connection::ConnRef;
use super::Engine;

/// Why a room turns a joiner away.
pub(super) enum Closed {
    /// `+i`: they were not invited.
    InviteOnly,
    /// `+k`: the key was not given.
    Key,
    /// `+l`: it has as many members as its limit.
    Full(u32),
}

impl Engine {
    /// Whether the user sees the room in listings: it is not secret
    /// (`+s`), or they are in it, or an admin.
    pub(super) fn sees_room(&self, id: ConnId, key: &RoomKey) -> bool {
        self.rooms.get(key).is_some_and(|c| !c.modes().secret)
            || self.in_room(id, key)
            || self.is_admin(id)
    }

    /// Whether the room is moderated (`+m`) and the member may not speak
    /// in it: neither voiced there nor one who runs it.
    pub(super) fn silenced(&self, id: ConnId, key: &RoomKey) -> bool {
        let Some(channel) = self.rooms.get(key) else {
            return false;
        };
        channel.modes().moderated
            && !channel.members.status(id).is_some_and(|s| s.voice)
            && !self.runs_room(id, key)
    }

    /// Whether the room turns away a joiner who gave `given` as its key:
    /// its modes hold for all but admins and those invited.
    pub(super) fn closed_to(
        &self,
        id: ConnId,
        key: &RoomKey,
        given: Option<&str>,
    ) -> Option<Closed> {
        if self.is_admin(id) {
            return None;
        }
        let channel = self.rooms.get(key)?;
        let me = &self.session(id)?.key;
        if channel.is_invited(me) {
            return None;
        }
        let modes = channel.modes();
        if modes.invite_only {
            return Some(Closed::InviteOnly);
        }
        if modes.key.as_deref().is_some_and(|k| Some(k) != given) {
            return Some(Closed::Key);
        }
        let limit = modes.limit?;
        let members = self.members_anywhere(key).unwrap_or(channel.members.len());
        (members >= limit as usize).then_some(Closed::Full(limit))
    }

    /// `/invite <user> <room>` (IRC's `INVITE`): lets the user join the
    /// room once past its `+i`, `+k` and `+l`, and tells them. The inviter
    /// is in the room or runs it, and runs it when it is invite-only.
    pub(super) fn invite(&mut self, id: ConnId, user: &str, typed: &str) {
        let Some(key) = self.existing_room(id, typed) else {
            return;
        };
        if self.lobby_is_fixed(id, &key) {
            return;
        }
        if !self.in_room(id, &key) && !self.runs_room(id, &key) {
            let not_in = Reason::NotInRoom {
                room: typed,
                user: None,
            };
            return self.refuse(id, not_in);
        }
        let invite_only = self.rooms.get(&key).is_some_and(|c| c.modes().invite_only);
        if invite_only && !self.runs_room(id, &key) {
            return self.refuse(id, Reason::NotRoomOperator { room: typed });
        }
        let Some(&target) = self.online.get(&NameKey::of(user)) else {
            return self.refuse(id, Reason::NotOnline { name: user });
        };
        if self.in_room(target, &key) {
            return self.refuse(id, Reason::UserInRoom { room: typed, user });
        }
        let (Some(by), Some(name)) = (
            self.session(id).map(|s| s.sender()),
            self.session(target).map(|s| s.name.clone()),
        ) else {
            return;
        };
        let max = self.config.limits.max_room_members;
        let Some(channel) = self.rooms.get_mut(&key) else {
            return;
        };
        channel.invite(name.key(), max);
        let room = channel.shared_name();
        log::info!("{} invited {name} to {room}", by.name);
        let told = Control::Invited {
            room: &room,
            by: by.name.as_str(),
            who: by.identity(),
            at: self.now,
        };
        self.send(target, &Reply::Ctl(told));
        self.send(id, &Reply::Ok(Done::Invited(&room, name.as_str())));
    }

    fn is_admin(&self, id: ConnId) -> bool {
        self.session(id).is_some_and(|s| s.grant.is_admin())
    }

    /// `/mode <room> [change]` (IRC's `MODE #room [change]`): a room's
    /// modes shown, or changed by its operators (or an admin): stored
    /// with the room, told to it once durable. A change that changes
    /// nothing shows them.
    pub(super) fn room_modes(&mut self, id: ConnId, typed: &str, change: Option<ModeEdit<'_>>) {
        let Some(key) = self.existing_room(id, typed) else {
            return;
        };
        if self.lobby_is_fixed(id, &key) {
            return;
        }
        let Some(change) = change else {
            return self.show_modes(id, &key);
        };
        if self.rooms.is_closing(&key) {
            return self.refuse(id, Reason::NoSuchRoom { room: typed });
        }
        if !self.runs_room(id, &key) {
            return self.refuse(id, Reason::NotRoomOperator { room: typed });
        }
        let Some(channel) = self.rooms.get(&key) else {
            return;
        };
        let Some(record) = channel.record.as_ref() else {
            return;
        };
        let modes = record.modes.edited(&change);
        if modes == record.modes {
            return self.show_modes(id, &key);
        }
        let (room, stored) = (record.name.clone(), channel.stored);
        let conn = self.conn_ref(id);
        log::info!(
            "modes of {room} set to {} by {}",
            modes.view(),
            self.who(conn)
        );
        let change = crate::StoreChange::SetModes { room, modes };
        // A guest's room is not stored: its modes hold at once.
        if !stored {
            return self.apply_durable(conn, change);
        }
        self.set_waiting(id, true);
        self.persist(conn, change);
    }

    /// A room's modes, to one user (the key only to its members and
    /// admins).
    fn show_modes(&mut self, id: ConnId, key: &RoomKey) {
        let hide_key = !self.in_room(id, key) && !self.is_admin(id);
        let Some(channel) = self.rooms.get(key) else {
            return;
        };
        let mut modes = channel.modes().view();
        if hide_key && modes.key.is_some() {
            modes.key = Some("*");
        }
        let reply = Reply::RoomModes {
            room: channel.name(),
            modes,
        };
        Self::send_to(&mut self.conns, &mut self.out, id, &[reply]);
    }

    /// A change of a room's modes is durable: the room sees what changed
    /// from `was`.
    pub(super) fn on_modes_durable(
        &mut self,
        conn: Option<ConnRef>,
        room: &RoomName,
        was: &RoomModes,
        modes: &RoomModes,
    ) {
        let by = self.who(conn);
        self.tell_modes(&room.key(), &by, was, modes);
    }

    /// Tells a room its modes changed from `was` to `modes` by `by`
    /// (nothing when they did not).
    pub(super) fn tell_modes(
        &mut self,
        key: &RoomKey,
        by: &str,
        was: &RoomModes,
        modes: &RoomModes,
    ) {
        let change = ModeEdit::between(&was.view(), &modes.view());
        if change.is_empty() {
            return;
        }
        let Some(channel) = self.rooms.get(key) else {
            return;
        };
        let room = channel.shared_name();
        let line = Reply::ModeChanged {
            room: &room,
            at: self.now,
            by,
            change,
        };
        self.broadcast_in(key, None, &[line]);
    }
}
