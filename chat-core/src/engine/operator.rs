//! What the server's operator does through the engine: an announcement to
//! everyone, a shutdown or restart (every client told and closed), and
//! what one engine carries over to the next (the busy accounts).

use crate::reply::{Control, LeaveReason, Reply};
use crate::seam::Rendering;
use crate::{ConnId, Frame, UserName};

use super::io::{ChatEvent, CloseReason, Output};
use super::text::has_unsafe_char;
use super::Engine;

/// What one engine hands the next across a `/restart`: the accounts that
/// were busy, so they are busy again when they log back in.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct CarryOver {
    /// The busy accounts.
    pub busy: Vec<UserName>,
}

impl Engine {
    /// What the next engine should know after a `/restart`: the accounts
    /// that were busy (as of the stop, or now if still running).
    pub fn carry_over(&self) -> CarryOver {
        let mut busy = if self.stopped {
            self.busy_at_stop.clone()
        } else {
            self.busy_names()
        };
        busy.sort();
        CarryOver { busy }
    }

    /// Takes what the previous engine carried over (call before the first
    /// input): each busy account is busy again when it logs in.
    pub fn resume_from(&mut self, carried: CarryOver) {
        self.carried_busy
            .extend(carried.busy.iter().map(UserName::key));
    }

    /// Accounts busy now, and those carried over from before a restart
    /// that have not logged in again (so busy survives several restarts).
    pub(super) fn busy_names(&self) -> Vec<UserName> {
        let online = self
            .rooms
            .lobby()
            .busy_members()
            .iter()
            .filter_map(|c| self.conns.get(c)?.session())
            .map(|s| s.name.clone());
        let away = self
            .carried_busy
            .iter()
            .filter_map(|k| UserName::parse(k.as_str()).ok());
        online.chain(away).collect()
    }

    pub(super) fn on_announce(&mut self, text: &str) {
        // Operator text may hold line breaks: each line is its own INFO.
        let mut lines = Vec::new();
        for line in text.lines().filter(|l| !l.trim().is_empty()) {
            let clean: String = line
                .chars()
                .map(|c| {
                    let mut buf = [0; 4];
                    if has_unsafe_char(c.encode_utf8(&mut buf)) {
                        ' '
                    } else {
                        c
                    }
                })
                .collect();
            lines.push(clean);
        }
        if lines.is_empty() {
            return;
        }
        if self.cluster.is_some() {
            return self.cluster_announce(&lines);
        }
        let replies: Vec<Reply<'_>> = lines.iter().map(|l| Reply::Info(l)).collect();
        self.broadcast_lobby(None, &replies);
        if self.config.emit_events {
            self.out.event(ChatEvent::Announcement {
                at: self.now,
                text: text.into(),
            });
        }
    }

    /// Every client gets `CTL shutdown` (or `CTL restart`) and is closed;
    /// then [`Output::Stop`].
    pub(super) fn stop(&mut self, restart: bool) {
        if self.stopped {
            return;
        }
        self.stopped = true;
        self.busy_at_stop = self.busy_names();
        if self.cluster.is_some() {
            self.cluster_leave_all(LeaveReason::Shutdown);
        }
        let (ctl, reason) = if restart {
            (Control::Restart, CloseReason::Restart)
        } else {
            (Control::Shutdown, CloseReason::Shutdown)
        };
        // Rendered once per rendering, shared by its connections.
        let mut frames: [Option<Frame>; Rendering::SLOTS] = Default::default();
        let mut ids: Vec<(ConnId, Rendering)> = self
            .conns
            .iter()
            .map(|(id, c)| (*id, c.codec.rendering()))
            .collect();
        ids.sort_unstable_by_key(|(id, _)| *id);
        for (id, rendering) in ids {
            let frame = frames[rendering.slot()]
                .get_or_insert_with(|| rendering.render(&self.server_name, &[Reply::Ctl(ctl)]))
                .clone();
            // A labeled answer under way ends before the server does.
            self.end_response(id, true);
            self.out.send_frame(id, frame);
            self.out.close(id, reason);
            if let Some(session) = self.conns.get(&id).and_then(|c| c.session()) {
                if self.config.emit_events {
                    // Out of its rooms, then the lobby, as at any logout.
                    let rooms = session.rooms.iter().chain([self.rooms.lobby_key()]);
                    for key in rooms {
                        let Some(channel) = self.rooms.get(key) else {
                            continue;
                        };
                        self.out.event(ChatEvent::Left {
                            at: self.now,
                            room: channel.room_name(),
                            user: session.name.clone(),
                            reason: LeaveReason::Shutdown,
                        });
                    }
                }
            }
        }
        self.conns.clear();
        self.online.clear();
        self.per_address.clear();
        self.rooms.clear_members();
        self.timers.clear();
        self.out.push(Output::Stop { restart });
    }
}
