//! Lines to a room's members: rendered once per rendering in use and
//! shared by every recipient, sent to the free members, held for the busy
//! ones.

use std::sync::Arc;

use crate::reply::{Presence, Reply};
use crate::seam::Rendering;
use crate::{ConnId, Frame, RoomKey};

use super::io::{Output, Recipients};
use super::replies::deliver_frame;
use super::Engine;

impl Engine {
    /// Lines for everyone: the lobby's members, all but `except` (an
    /// announcement, a grant or presence change, a kick).
    pub(super) fn broadcast_lobby(&mut self, except: Option<ConnId>, replies: &[Reply<'_>]) {
        let lobby = self.rooms.lobby_key().clone();
        self.broadcast_to(&lobby, except, replies);
    }

    /// Lines said by `sender` in a room (none: the server's), to every
    /// member; the sender is left out when its codec does not echo a
    /// client's own lines (IRC without `echo-message`).
    pub(super) fn broadcast_in(
        &mut self,
        room: &RoomKey,
        sender: Option<ConnId>,
        replies: &[Reply<'_>],
    ) {
        let except = sender.filter(|s| {
            self.conns
                .get(s)
                .is_some_and(|c| !c.codec.echoes_own_lines())
        });
        self.broadcast_to(room, except, replies);
    }

    /// Lines to every member of a room but `except`, rendered once per
    /// rendering in use (not per member): one [`Output::Broadcast`] per
    /// rendering, each with the room's shared list of its free members;
    /// busy members hold the same frame. `except` is marked as left out of
    /// its rendering's shared list, not copied without it, so the runtime
    /// can still join the turn's broadcasts into one frame. A rendering
    /// that shows nothing of the lines (an `AWAY` to chat/1) sends and
    /// holds nothing.
    pub(super) fn broadcast_to(
        &mut self,
        room: &RoomKey,
        except: Option<ConnId>,
        replies: &[Reply<'_>],
    ) {
        let Some(channel) = self.rooms.get_mut(room) else {
            return;
        };
        let members = &mut channel.members;
        // Only a free member is in a free list to be left out of.
        let except_rendering = except
            .filter(|s| members.presence(*s) == Some(Presence::Free))
            .and_then(|s| self.conns.get(&s))
            .map(|c| c.codec.rendering());
        // A free member whose labeled line this answers (its own JOIN, its
        // echo) gets its copy through that answer, not the shared frame.
        let own = self
            .out
            .responding()
            .filter(|r| Some(*r) != except && members.presence(*r) == Some(Presence::Free))
            .and_then(|r| self.conns.get(&r).map(|c| (r, c.codec.rendering())));
        let mut frames: [Option<Frame>; Rendering::SLOTS] = Default::default();
        for rendering in members.free_renderings() {
            let list = members.free_recipients(rendering);
            let left_out = except.filter(|_| except_rendering == Some(rendering));
            let own_here = own.filter(|(_, r)| *r == rendering).map(|(c, _)| c);
            let to = match own_here {
                None => Recipients::leaving_out(list, left_out),
                Some(me) => without_both(list, left_out, me),
            };
            if to.is_empty() && own_here.is_none() {
                continue;
            }
            let frame = frames[rendering.slot()]
                .get_or_insert_with(|| rendering.render(&self.server_name, replies))
                .clone();
            if frame.is_empty() {
                continue;
            }
            if let Some(me) = own_here {
                if let Some(c) = self.conns.get_mut(&me) {
                    deliver_frame(c, &mut self.out, me, frame.clone());
                }
            }
            if !to.is_empty() {
                self.out.push(Output::Broadcast { to, frame });
            }
        }
        let cap = self.config.limits.max_held_lines;
        let max_bytes = self.config.limits.max_held_bytes;
        for member in members.busy_members() {
            if Some(*member) == except {
                continue;
            }
            let Some(conn) = self.conns.get_mut(member) else {
                continue;
            };
            let rendering = conn.codec.rendering();
            if let Some(held) = conn.session_mut().and_then(|s| s.held.as_mut()) {
                let frame = frames[rendering.slot()]
                    .get_or_insert_with(|| rendering.render(&self.server_name, replies))
                    .clone();
                if !frame.is_empty() {
                    held.push(frame, cap, max_bytes);
                }
            }
        }
    }
}

/// `list` without `me` (whose copy answers its labeled line) nor
/// `left_out`: a copy without both when both are (rare: a line answering
/// one member that also leaves another out).
#[cold]
fn without_both(list: Arc<[ConnId]>, left_out: Option<ConnId>, me: ConnId) -> Recipients {
    match left_out {
        Some(other) => Recipients::from(
            list.iter()
                .copied()
                .filter(|c| *c != me && *c != other)
                .collect::<Vec<_>>(),
        ),
        None => Recipients::leaving_out(list, Some(me)),
    }
}
