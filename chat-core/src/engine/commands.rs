//! A logged-in user's commands, each to its handler (admin-only ones
//! refused here for others).

use crate::reply::{Reason, Reply};
use crate::{Answer, ClientTags, Command, ConnId, MessageKind};

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
                self.say_in_room(id, lobby, text, MessageKind::Said, ClientTags::NONE)
            }
            Command::Help => {
                let admin = session.grant.is_admin();
                self.send(id, &Reply::Help { admin });
            }
            Command::ViewUsers { page } => self.view_users(id, page),
            Command::MessageTo {
                to,
                text,
                kind,
                tags,
            } => self.message_to(id, to, text, kind, tags),
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
            // Logging in again switches accounts (see `account_switch`);
            // not on a cluster's node, whose sessions are the cluster's.
            Command::Login { name, password } if self.cluster.is_none() => {
                self.start_login(id, name, crate::password::Password::new(password))
            }
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
            Command::JoinRoom { room, key } => self.join_room(id, room, key),
            Command::EnterRoom { room, key } => self.enter_or_create(id, room, key),
            Command::RoomModes { room, change } => self.room_modes(id, room, change),
            Command::Invite { user, room } => self.invite(id, user, room),
            Command::RoomMembers { room } => self.room_members(id, room),
            Command::PartRoom { room, reason } => self.part_room(id, room, reason),
            Command::ListRooms { page } => self.list_rooms(id, page),
            Command::Topic { room, change } => self.topic(id, room, change),
            Command::SayIn {
                room,
                text,
                kind,
                tags,
            } => self.say_in(id, room, text, kind, tags),
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
            Command::Conversations { count, range } => self.conversations(id, count, range),
        }
    }
}
