//! Busy and free (IRC's `AWAY`): a busy user's room lines are held and
//! replayed when free; the rooms hear of the change.

use crate::reply::{Control, Listing, Presence, Reason, Reply};
use crate::ConnId;

use super::members::Members;
use super::replies::deliver_frame;
use super::Engine;

impl Engine {
    /// Moves a user to `presence` in the lobby and every room they are in.
    pub(super) fn set_presence_everywhere(&mut self, id: ConnId, presence: Presence) {
        self.in_every_room(id, |room| room.set_presence(id, presence));
    }

    /// Applies `change` to every room the user is in: the lobby, and those
    /// it joined.
    pub(super) fn in_every_room(&mut self, id: ConnId, mut change: impl FnMut(&mut Members)) {
        let Some(session) = self.conns.get(&id).and_then(|c| c.session()) else {
            return;
        };
        let lobby = self.rooms.lobby_key().clone();
        for key in std::iter::once(&lobby).chain(&session.rooms) {
            if let Some(channel) = self.rooms.get_mut(key) {
                change(&mut channel.members);
            }
        }
    }

    /// Busy (IRC's `AWAY :text`): room lines are held; the room hears of
    /// it (those who asked), and again when the away message changes.
    pub(super) fn busy(&mut self, id: ConnId, text: Option<&str>) {
        let was_free = self.presence_of(id) == Presence::Free;
        let Some(session) = self.conns.get_mut(&id).and_then(|c| c.session_mut()) else {
            return;
        };
        let changed = session.away.as_deref() != text;
        if changed {
            session.away = text.map(Into::into);
        }
        session.held.get_or_insert_with(Box::default);
        self.set_presence_everywhere(id, Presence::Busy);
        self.send(id, &Reply::Ctl(Control::Busy));
        if was_free || changed {
            self.announce_away(id, true);
        }
    }

    /// Tells the room (those who asked: IRC's `away-notify`) that a member
    /// went busy or free; not the member itself.
    pub(super) fn announce_away(&mut self, id: ConnId, busy: bool) {
        if self.cluster.is_some() {
            return self.cluster_away(id, busy);
        }
        let Some(session) = self.session(id) else {
            return;
        };
        let sender = session.sender();
        let away = session.away.clone();
        let line = Reply::Away {
            at: self.now,
            user: sender.name.as_str(),
            who: sender.identity(),
            busy,
            text: away.as_deref().filter(|_| busy),
        };
        self.broadcast_lobby(Some(id), std::slice::from_ref(&line));
    }

    pub(super) fn free(&mut self, id: ConnId) {
        let Some(session) = self.conns.get_mut(&id).and_then(|c| c.session_mut()) else {
            return;
        };
        let Some(held) = session.held.take() else {
            return self.refuse(id, Reason::NotBusy);
        };
        session.away = None;
        self.set_presence_everywhere(id, Presence::Free);
        let (lines, dropped) = (*held).into_parts();
        let replayed = lines.len() as u64;
        self.send(id, &Reply::Ctl(Control::Free));
        if let Some(c) = self.conns.get_mut(&id) {
            for frame in lines {
                deliver_frame(c, &mut self.out, id, frame);
            }
        }
        self.send(id, &Reply::End(Listing::Held { replayed, dropped }));
        self.announce_away(id, false);
    }

    pub(super) fn presence_of(&self, conn: ConnId) -> Presence {
        self.rooms.lobby().presence(conn).unwrap_or(Presence::Free)
    }
}
