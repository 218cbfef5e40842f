//! Commands of a logged-in user: talk, private messages, presence,
//! listings, ping, quit.

use std::ops::Range;

use crate::reply::{Control, Done, Listing, Notice, Page, Presence, Reason, Reply};
use crate::{Answer, Command, ConnId, Conversation, HistoryLine, MsgId, NameKey, UserName};

use super::connection::Session;
use super::io::ChatEvent;
use super::room::Room;
use super::text::has_unsafe_char;
use super::Engine;

impl Engine {
    pub(super) fn on_session_line(&mut self, id: ConnId, cmd: Command<'_>) {
        let asking = self.session(id).is_some_and(|s| s.change.is_some());
        if let Command::Answer(answer) = cmd {
            return match answer {
                Answer::Text(line) if asking => self.on_change_answer(id, line),
                // Nothing was asked: the codec and the engine disagree.
                _ => log::debug!("{id}: an answer while nothing was asked, ignored"),
            };
        }
        let Some(session) = self.conns.get(&id).and_then(|c| c.session()) else {
            return;
        };
        if cmd.needs_admin() && !session.grant.is_admin() {
            return self.refuse(id, Reason::AdminOnly);
        }
        match cmd {
            Command::Say(text) => {
                let lobby = self.rooms.lobby_key().clone();
                self.say_in_room(id, lobby, text)
            }
            Command::Help => {
                let admin = session.grant.is_admin();
                self.send(id, &Reply::Help { admin });
            }
            Command::ViewUsers { page } => self.view_users(id, page),
            Command::MessageTo { to, text } => self.message_to(id, to, text),
            Command::Busy => self.busy(id),
            Command::Free => self.free(id),
            Command::ChangeGrant { user, grant } => self.change_grant(id, user, grant),
            Command::Kick { user, reason } => self.kick(id, user, reason),
            Command::Unkick { user } => self.unkick(id, user),
            Command::ViewKicked { page } => self.view_kicked(id, page),
            // A guest has no account, hence no password.
            Command::ChangePassword { .. } | Command::ChangePasswordDialog if session.guest => {
                self.refuse(id, Reason::NotLoggedIn)
            }
            Command::ChangePassword { old, new } => self.change_password(id, old, new),
            Command::ChangePasswordDialog => self.start_change_dialog(id),
            Command::Restart => {
                log::info!("restart requested by {}", session.name);
                self.stop(true);
            }
            Command::Quit => self.quit(id),
            Command::Ping { token } => self.send(id, &Reply::Pong(token)),
            Command::Register { .. } | Command::Login { .. } | Command::Guest { .. } => {
                self.refuse(id, Reason::AlreadyLoggedIn)
            }
            Command::Answer(_) => {}
            // chat/1's codec answers `/tags` itself.
            Command::Tags { .. } => {}
            Command::CreateRoom { room } => self.create_room(id, room),
            Command::JoinRoom { room } => self.join_room(id, room),
            Command::EnterRoom { room } => self.enter_or_create(id, room),
            Command::RoomMembers { room } => self.room_members(id, room),
            Command::PartRoom { room } => self.part_room(id, room),
            Command::ListRooms { page } => self.list_rooms(id, page),
            Command::Topic { room, change } => self.topic(id, room, change),
            Command::SayIn { room, text } => self.say_in(id, room, text),
            Command::RemoveFromRoom { room, user, reason } => {
                self.remove_from_room(id, room, user, reason)
            }
            Command::CloseRoom { room } => self.close_room(id, room),
            Command::History { of, count, range } => self.history(id, of, count, range),
        }
    }

    /// A line said now, for a history.
    pub(super) fn history_line(&self, id: MsgId, from: &UserName, text: &str) -> HistoryLine {
        HistoryLine {
            id,
            at: self.now,
            from: from.clone(),
            text: text.to_owned(),
        }
    }

    /// Moves a user to `presence` in the lobby and every room they are in.
    fn set_presence_everywhere(&mut self, id: ConnId, presence: Presence) {
        self.in_every_room(id, |room| room.set_presence(id, presence));
    }

    /// Applies `change` to every room the user is in: the lobby, and those
    /// it joined.
    pub(super) fn in_every_room(&mut self, id: ConnId, mut change: impl FnMut(&mut Room)) {
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

    /// Flood control for room and private messages: false (after telling
    /// the user) when the message must be dropped.
    pub(super) fn may_send(&mut self, id: ConnId) -> bool {
        let (now, l) = (self.now, &self.config.limits);
        let (rate, burst) = (l.messages_per_second, l.message_burst);
        let allowed = self
            .conns
            .get_mut(&id)
            .and_then(|c| c.session_mut())
            .is_some_and(|s| s.flood.take(now, rate, burst, 1));
        if !allowed {
            self.refuse(id, Reason::Flood { per_second: rate });
        }
        allowed
    }

    pub(super) fn session(&self, id: ConnId) -> Option<&Session> {
        self.conns.get(&id).and_then(|c| c.session())
    }

    /// Whether a room line may go out: not blank (ignored), no unsafe
    /// characters, within flood control; refusals are sent here.
    pub(super) fn may_say(&mut self, id: ConnId, text: &str) -> bool {
        if text.trim().is_empty() {
            return false;
        }
        if has_unsafe_char(text) {
            self.refuse(id, Reason::UnsafeText { in_reason: false });
            return false;
        }
        self.may_send(id)
    }

    fn message_to(&mut self, id: ConnId, to: &str, text: &str) {
        if has_unsafe_char(text) {
            return self.refuse(id, Reason::UnsafeText { in_reason: false });
        }
        if self.cluster.is_some() {
            return self.cluster_message_to(id, to, text);
        }
        let Some(&target) = self.online.get(&NameKey::of(to)) else {
            return self.refuse(id, Reason::NotOnline { name: to });
        };
        if !self.may_send(id) {
            return;
        }
        let (Some(from), Some(recipient)) = (self.session(id), self.session(target)) else {
            return;
        };
        let (from, recipient) = (from.name.clone(), recipient.name.clone());
        let msg = self.next_msg_id();
        self.send(
            target,
            &Reply::Pm {
                id: Some(msg),
                at: self.now,
                from: from.as_str(),
                text,
            },
        );
        if self.presence_of(target) == Presence::Busy {
            self.send_many(
                id,
                &[
                    Reply::Ok(Done::Sent {
                        to: recipient.as_str(),
                        id: Some(msg),
                    }),
                    Reply::Notice(Notice::RecipientBusy {
                        name: recipient.as_str(),
                    }),
                ],
            );
        } else {
            let sent = Done::Sent {
                to: recipient.as_str(),
                id: Some(msg),
            };
            self.send(id, &Reply::Ok(sent));
        }
        let pair = Conversation::private(&from, &recipient);
        self.remember(pair, self.history_line(msg, &from, text));
        if self.config.emit_events {
            self.out.event(ChatEvent::Private {
                at: self.now,
                id: msg,
                from,
                to: recipient,
                text: text.into(),
            });
        }
    }

    fn busy(&mut self, id: ConnId) {
        let was_free = self.presence_of(id) == Presence::Free;
        if let Some(session) = self.conns.get_mut(&id).and_then(|c| c.session_mut()) {
            session.held.get_or_insert_with(Box::default);
            self.set_presence_everywhere(id, Presence::Busy);
        }
        self.send(id, &Reply::Ctl(Control::Busy));
        if was_free {
            self.announce_away(id, true);
        }
    }

    /// Tells the room (those who asked: IRC's `away-notify`) that a member
    /// went busy or free; not the member itself.
    pub(super) fn announce_away(&mut self, id: ConnId, busy: bool) {
        if self.cluster.is_some() {
            return self.cluster_away(id, busy);
        }
        let Some(name) = self.session(id).map(|s| s.name.clone()) else {
            return;
        };
        let line = Reply::Away {
            at: self.now,
            user: name.as_str(),
            busy,
        };
        self.broadcast_lobby(Some(id), std::slice::from_ref(&line));
    }

    fn free(&mut self, id: ConnId) {
        let Some(session) = self.conns.get_mut(&id).and_then(|c| c.session_mut()) else {
            return;
        };
        let Some(held) = session.held.take() else {
            return self.refuse(id, Reason::NotBusy);
        };
        self.set_presence_everywhere(id, Presence::Free);
        let (lines, dropped) = (*held).into_parts();
        let replayed = lines.len() as u64;
        self.send(id, &Reply::Ctl(Control::Free));
        for frame in lines {
            self.out.send_frame(id, frame);
        }
        self.send(id, &Reply::End(Listing::Held { replayed, dropped }));
        self.announce_away(id, false);
    }

    pub(super) fn view_users(&mut self, id: ConnId, page: u64) {
        let online: Vec<ConnId> = self.online.values().copied().collect();
        let remote = self.remote_rows(None);
        self.list_members_with(id, &online, &remote, page);
    }

    /// A page of `members` (the lobby's or a room's), as `/viewusers`
    /// lists them.
    pub(super) fn list_members(&mut self, id: ConnId, members: &[ConnId], page: u64) {
        self.list_members_with(id, members, &[], page);
    }

    /// [`list_members`](Engine::list_members) and, at a node of a
    /// cluster, the `remote` users of the other nodes.
    pub(super) fn list_members_with(
        &mut self,
        id: ConnId,
        members: &[ConnId],
        remote: &[(UserName, crate::Grant, Presence, bool)],
        page: u64,
    ) {
        let mut rows: Vec<Row<'_>> = members
            .iter()
            .filter_map(|&c| {
                let s = self.conns.get(&c)?.session()?;
                Some((s.name.as_str(), s.grant, self.presence_of(c), s.guest))
            })
            .chain(
                remote
                    .iter()
                    .map(|(n, g, p, guest)| (n.as_str(), *g, *p, *guest)),
            )
            .collect();
        // Compared in place: a lowercased copy as the key would allocate
        // O(n log n) strings per listing, and IRC lists the room on every
        // join (a login storm into a 1,000-member room).
        rows.sort_unstable_by(|a, b| {
            let (a, b) = (a.0.bytes(), b.0.bytes());
            a.map(|c| c.to_ascii_lowercase())
                .cmp(b.map(|c| c.to_ascii_lowercase()))
        });
        let (range, page) = page_of(rows.len(), page, self.config.limits.users_page_rows);
        let end = Reply::End(Listing::UsersPage(page));
        // A listing holds no question, so chat/1 renders it alone (the
        // rows borrow the connection table); IRC's numerics name the
        // asker and the query, its codec's state.
        let Some(protocol) = self.conns.get(&id).map(|c| c.codec.protocol()) else {
            return;
        };
        if protocol == crate::codec::Protocol::Chat1 {
            let mut replies: Vec<Reply<'_>> = rows[range].iter().map(user_row).collect();
            replies.push(end);
            let frame = protocol.render(&replies);
            return self.out.send_frame(id, frame);
        }
        let owned: Vec<(String, crate::Grant, Presence, bool)> = rows[range]
            .iter()
            .map(|&(n, g, p, guest)| (n.to_owned(), g, p, guest))
            .collect();
        let mut replies: Vec<Reply<'_>> = owned
            .iter()
            .map(|(n, g, p, guest)| user_row(&(n.as_str(), *g, *p, *guest)))
            .collect();
        replies.push(end);
        Self::send_to(&mut self.conns, &mut self.out, id, &replies);
    }
}

/// A row of `/viewusers`: name, grant, presence, whether a guest.
type Row<'a> = (&'a str, crate::Grant, Presence, bool);

/// The listing line of a row: a guest's says so.
fn user_row<'a>(&(name, grant, presence, guest): &Row<'a>) -> Reply<'a> {
    if guest {
        Reply::GuestUser { name, presence }
    } else {
        Reply::User {
            name,
            grant,
            presence: presence.into(),
        }
    }
}

/// The rows of page `page` (from 1) of `total` rows, `per_page` a page,
/// and the counts of its `END` line. A page past the end is empty.
pub(super) fn page_of(total: usize, page: u64, per_page: usize) -> (Range<usize>, Page) {
    let per_page = per_page.max(1);
    let skip = usize::try_from(page.saturating_sub(1))
        .unwrap_or(usize::MAX)
        .saturating_mul(per_page);
    let start = skip.min(total);
    let end = start.saturating_add(per_page).min(total);
    let info = Page {
        shown: (end - start) as u64,
        total: total as u64,
        next: (end < total).then_some(page + 1),
    };
    (start..end, info)
}
