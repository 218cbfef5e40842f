//! Commands of a logged-in user: talk, private messages, presence,
//! listings, ping, quit.

use std::ops::Range;

use crate::reply::{
    Control, Done, Listing, MemberStatus, Notice, Page, Presence, Profile, Reason, Reply,
};
use crate::{
    Answer, Command, ConnId, Conversation, HistoryLine, MessageKind, MsgId, NameKey, RoomKey,
    UserName,
};

use super::connection::{Sender, Session};
use super::io::ChatEvent;
use super::owed::{Member, Owed};
use super::room::Room;
use super::text::refused_text;
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
                self.say_in_room(id, lobby, text, MessageKind::Said)
            }
            Command::Help => {
                let admin = session.grant.is_admin();
                self.send(id, &Reply::Help { admin });
            }
            Command::ViewUsers { page } => self.view_users(id, page),
            Command::MessageTo { to, text, kind } => self.message_to(id, to, text, kind),
            Command::Busy { text } => self.busy(id, text),
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
            Command::Quit { reason } => self.quit(id, reason),
            Command::Ping { token } => self.send(id, &Reply::Pong(token)),
            Command::Register { .. } | Command::Login { .. } | Command::Guest { .. } => {
                self.refuse(id, Reason::AlreadyLoggedIn)
            }
            Command::Answer(_) | Command::Ready => {}
            Command::WhoIs { name } => self.whois(id, name),
            Command::Oper { name, password } => self.oper(id, name, password),
            Command::Invisible { on } => {
                if let Some(s) = self.conns.get_mut(&id).and_then(|c| c.session_mut()) {
                    s.invisible = on;
                }
            }
            Command::FindUsers { masks } => self.find_users(id, masks),
            // chat/1's codec answers `/tags` itself.
            Command::Tags { .. } => {}
            Command::CreateRoom { room } => self.create_room(id, room),
            Command::JoinRoom { room } => self.join_room(id, room),
            Command::EnterRoom { room } => self.enter_or_create(id, room),
            Command::RoomMembers { room } => self.room_members(id, room),
            Command::PartRoom { room, reason } => self.part_room(id, room, reason),
            Command::ListRooms { page } => self.list_rooms(id, page),
            Command::Topic { room, change } => self.topic(id, room, change),
            Command::SayIn { room, text, kind } => self.say_in(id, room, text, kind),
            Command::RemoveFromRoom { room, user, reason } => {
                self.remove_from_room(id, room, user, reason)
            }
            Command::CloseRoom { room } => self.close_room(id, room),
            Command::RoomsOf { user, page } => self.rooms_of(id, user, page),
            Command::CloseRoomsOf { user } => self.close_rooms_of(id, user),
            Command::SetStanding {
                room,
                user,
                standing,
                on,
            } => self.set_standing(id, room, user, standing, on),
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
    /// the user, unless it is a notice) when the message must be dropped.
    pub(super) fn may_send(&mut self, id: ConnId, kind: MessageKind) -> bool {
        let (now, l) = (self.now, &self.config.limits);
        let (rate, burst) = (l.messages_per_second, l.message_burst);
        let allowed = self
            .conns
            .get_mut(&id)
            .and_then(|c| c.session_mut())
            .is_some_and(|s| s.flood.take(now, rate, burst, 1));
        if !allowed {
            self.refuse_message(id, kind, Reason::Flood { per_second: rate });
        }
        allowed
    }

    /// Refuses a message, unless it is a notice: nothing answers a notice,
    /// the server included (RFC 1459), so a dropped one is only logged.
    pub(super) fn refuse_message(&mut self, id: ConnId, kind: MessageKind, reason: Reason<'_>) {
        if kind.is_notice() {
            log::debug!("{id}: a notice dropped: {reason}");
        } else {
            self.refuse(id, reason);
        }
    }

    pub(super) fn session(&self, id: ConnId) -> Option<&Session> {
        self.conns.get(&id).and_then(|c| c.session())
    }

    /// The user of a session as the sender of a line.
    pub(super) fn sender(&self, id: ConnId) -> Option<Sender> {
        self.session(id).map(Session::sender)
    }

    /// Whether a room line may go out: not blank (ignored), no unsafe
    /// characters, within flood control; refusals are sent here (none for
    /// a notice).
    pub(super) fn may_say(&mut self, id: ConnId, text: &str, kind: MessageKind) -> bool {
        if text.trim().is_empty() {
            return false;
        }
        if refused_text(text) {
            self.refuse_message(id, kind, Reason::UnsafeText { in_reason: false });
            return false;
        }
        self.may_send(id, kind)
    }

    fn message_to(&mut self, id: ConnId, to: &str, text: &str, kind: MessageKind) {
        if refused_text(text) {
            return self.refuse_message(id, kind, Reason::UnsafeText { in_reason: false });
        }
        if self.cluster.is_some() {
            return self.cluster_message_to(id, to, text, kind);
        }
        let Some(&target) = self.online.get(&NameKey::of(to)) else {
            return self.refuse_message(id, kind, Reason::NotOnline { name: to });
        };
        if !self.may_send(id, kind) {
            return;
        }
        let (Some(sender), Some(recipient)) = (self.sender(id), self.session(target)) else {
            return;
        };
        let recipient = recipient.name.clone();
        let msg = self.next_msg_id();
        let now = self.now;
        let pm = |to| Reply::Pm {
            id: Some(msg),
            at: now,
            from: sender.name.as_str(),
            who: sender.identity(),
            to,
            kind,
            text,
        };
        let (delivered, echo) = (pm(None), pm(Some(recipient.as_str())));
        Self::send_to(&mut self.conns, &mut self.out, target, &[delivered]);
        let sent = Reply::Ok(Done::Sent {
            to: recipient.as_str(),
            id: Some(msg),
        });
        let away = self.session(target).and_then(|s| s.away.clone());
        let mut answer = vec![sent];
        if self
            .conns
            .get(&id)
            .is_some_and(|c| c.codec.echoes_private_messages())
        {
            answer.push(echo);
        }
        if self.presence_of(target) == Presence::Busy && !kind.is_notice() {
            answer.push(Reply::Notice(Notice::RecipientBusy {
                name: recipient.as_str(),
                text: away.as_deref(),
            }));
        }
        Self::send_to(&mut self.conns, &mut self.out, id, &answer);
        drop(answer);
        let from = sender.name;
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

    /// Busy (IRC's `AWAY :text`): room lines are held; the room hears of
    /// it (those who asked), and again when the away message changes.
    fn busy(&mut self, id: ConnId, text: Option<&str>) {
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

    fn free(&mut self, id: ConnId) {
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
        for frame in lines {
            self.out.send_frame(id, frame);
        }
        self.send(id, &Reply::End(Listing::Held { replayed, dropped }));
        self.announce_away(id, false);
    }

    pub(super) fn view_users(&mut self, id: ConnId, page: u64) {
        let online: Vec<ConnId> = self.online.values().copied().collect();
        let remote = self.remote_rows(None);
        self.list_members_with(id, &online, &remote, page, Listed::Lobby);
    }

    /// A page of `members` (the lobby's, a room's, or users found), as
    /// `/viewusers` lists them, with each one's standing in the room:
    /// owed, and sent as the connection drains.
    pub(super) fn list_members(
        &mut self,
        id: ConnId,
        members: &[ConnId],
        page: u64,
        listed: Listed<'_>,
    ) {
        self.list_members_with(id, members, &[], page, listed);
    }

    /// [`list_members`](Engine::list_members) and, at a node of a
    /// cluster, the `remote` users of the other nodes.
    pub(super) fn list_members_with(
        &mut self,
        id: ConnId,
        members: &[ConnId],
        remote: &[(UserName, crate::Grant, Presence, bool)],
        page: u64,
        listed: Listed<'_>,
    ) {
        let room = match listed {
            Listed::Room(key) => Some(key),
            Listed::Lobby => Some(self.rooms.lobby_key()),
            Listed::Users => None,
        };
        let mut rows: Vec<(&str, Member)> = members
            .iter()
            .filter_map(|&c| {
                Some((
                    self.conns.get(&c)?.session()?.name.as_str(),
                    Member::Local(c),
                ))
            })
            .chain(
                remote
                    .iter()
                    .map(|row| (row.0.as_str(), Member::Remote(Box::new(row.clone())))),
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
        let header = match listed {
            Listed::Room(key) => self.rooms.get(key).map(|c| c.name().to_owned()),
            _ => None,
        };
        let room = room.cloned();
        let (range, page) = page_of(rows.len(), page, self.config.limits.users_page_rows);
        let rows = rows.drain(range).map(|(_, m)| m).collect();
        let end = Listing::UsersPage(page);
        self.owe(
            id,
            Owed::Members {
                header,
                room,
                rows,
                end,
            },
        );
    }

    /// IRC's `WHOIS`: who a user online is, and the rooms of theirs the
    /// asker may see (those the asker is in too, and the others today:
    /// every room is public).
    pub(super) fn whois(&mut self, id: ConnId, name: &str) {
        let Some(&target) = self.online.get(&NameKey::of(name)) else {
            return self.refuse(id, Reason::NotOnline { name });
        };
        let Some(session) = self.session(target) else {
            return;
        };
        let mut rooms: Vec<(String, MemberStatus)> = session
            .rooms
            .iter()
            .filter_map(|key| {
                let channel = self.rooms.get(key)?;
                Some((channel.name().to_owned(), channel.members.status(target)?))
            })
            .collect();
        rooms.sort_by(|a, b| a.0.cmp(&b.0));
        let sender = session.sender();
        let (grant, away, since) = (session.grant, session.away.clone(), session.since);
        let idle = self.now.0.saturating_sub(session.last_active.0) / 1000;
        let whois = crate::reply::WhoIs {
            name: sender.name.as_str(),
            grant,
            presence: self.presence_of(target),
            profile: Profile {
                identity: sender.identity(),
                away: away.as_deref(),
                status: MemberStatus::default(),
                idle_secs: Some(idle),
            },
            rooms: rooms.iter().map(|(r, s)| (r.as_str(), *s)).collect(),
            since,
            idle_secs: idle,
        };
        let reply = Reply::WhoIs(Box::new(whois));
        Self::send_to(
            &mut self.conns,
            &mut self.out,
            id,
            std::slice::from_ref(&reply),
        );
    }

    /// The users online whose names match any of `masks` (IRC's `WHO
    /// <mask>`, `USERHOST`): a name without wildcards is looked up, a mask
    /// matched against everyone online but the invisible (user mode `+i`)
    /// who share no room with the asker besides the lobby; one page at
    /// most.
    pub(super) fn find_users(&mut self, id: ConnId, masks: &str) {
        let mut found: Vec<ConnId> = Vec::new();
        let mine: &[crate::RoomKey] = self.session(id).map_or(&[], |s| &s.rooms);
        let seen = |c: ConnId| {
            c == id
                || self
                    .session(c)
                    .is_none_or(|s| !s.invisible || s.rooms.iter().any(|r| mine.contains(r)))
        };
        for mask in masks.split([' ', ',']).filter(|m| !m.is_empty()) {
            if mask.contains(['*', '?']) {
                let pattern = mask.to_ascii_lowercase();
                found.extend(self.online.iter().filter_map(|(key, &c)| {
                    let hit = glob_matches(pattern.as_bytes(), key.as_str().as_bytes());
                    (hit && seen(c)).then_some(c)
                }));
            } else if let Some(&c) = self.online.get(&NameKey::of(mask)) {
                found.push(c);
            }
        }
        found.sort_unstable();
        found.dedup();
        self.list_members(id, &found, 1, Listed::Users);
    }
}

/// What a listing of users is of: the standing shown is the room's.
#[derive(Clone, Copy, Debug)]
pub(super) enum Listed<'a> {
    /// The lobby (everyone online): its operators are the admins.
    Lobby,
    /// A room's members.
    Room(&'a crate::RoomKey),
    /// Users found by name: no room, no standing.
    Users,
}

/// A row of a listing of users, with shared parts only.
pub(super) struct MemberRow {
    sender: Sender,
    grant: crate::Grant,
    presence: Presence,
    away: Option<std::sync::Arc<str>>,
    status: MemberStatus,
    idle_secs: Option<u64>,
}

impl Engine {
    /// The row of a connection of this server as it is now, with its
    /// standing in `room` (none without a room).
    pub(super) fn member_row(&self, c: ConnId, room: Option<&RoomKey>) -> Option<MemberRow> {
        let s = self.conns.get(&c)?.session()?;
        let status = room
            .and_then(|k| self.rooms.get(k))
            .and_then(|r| r.members.status(c))
            .unwrap_or_default();
        Some(MemberRow {
            sender: s.sender(),
            grant: s.grant,
            presence: self.presence_of(c),
            away: s.away.clone(),
            status,
            idle_secs: Some(self.now.0.saturating_sub(s.last_active.0) / 1000),
        })
    }
}

impl MemberRow {
    /// The row of a user of another node of a cluster, as a listing found
    /// it: no identity, no away text, no standing.
    pub(super) fn remote(
        (name, grant, presence, guest): (UserName, crate::Grant, Presence, bool),
    ) -> Self {
        MemberRow {
            sender: Sender {
                name,
                identity: None,
                guest,
            },
            grant,
            presence,
            away: None,
            status: MemberStatus::default(),
            idle_secs: None,
        }
    }

    /// The listing line of a row: a guest's says so.
    pub(super) fn reply(&self) -> Reply<'_> {
        let profile = Profile {
            identity: self.sender.identity(),
            away: self.away.as_deref(),
            status: self.status,
            idle_secs: self.idle_secs,
        };
        let name = self.sender.name.as_str();
        if self.sender.guest {
            Reply::GuestUser {
                name,
                grant: self.grant,
                presence: self.presence,
                profile,
            }
        } else {
            Reply::User {
                name,
                grant: self.grant,
                presence: self.presence.into(),
                profile,
            }
        }
    }
}

/// Whether `name` matches `pattern` (both folded to lower case): `*` any
/// run of bytes, `?` any one. Linear in their lengths with backtracking
/// to the last `*` only, so no mask buys more than one pass per star.
fn glob_matches(pattern: &[u8], name: &[u8]) -> bool {
    let (mut p, mut n) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while n < name.len() {
        match pattern.get(p) {
            Some(b'*') => {
                star = Some((p, n));
                p += 1;
            }
            Some(&c) if c == b'?' || c == name[n].to_ascii_lowercase() => {
                p += 1;
                n += 1;
            }
            _ => match star {
                Some((sp, sn)) => {
                    p = sp + 1;
                    n = sn + 1;
                    star = Some((sp, sn + 1));
                }
                None => return false,
            },
        }
    }
    pattern[p..].iter().all(|&c| c == b'*')
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

#[cfg(test)]
mod tests {
    use super::glob_matches;

    #[test]
    fn masks_match_names_folded() {
        for (mask, name, m) in [
            ("coolni*", "coolnick", true),
            ("*", "anyone", true),
            ("c?ol*k", "coolnick", true),
            ("*nick", "coolnick", true),
            ("*x*", "coolnick", false),
            ("cool", "coolnick", false),
            ("a*b*c", "aXXbYYc", true),
            ("a*b*c", "aXXbYY", false),
        ] {
            assert_eq!(
                glob_matches(mask.as_bytes(), name.as_bytes()),
                m,
                "{mask} {name}"
            );
        }
    }
}
