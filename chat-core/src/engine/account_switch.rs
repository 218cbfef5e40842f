//! Logging in again while logged in (IRC's SASL reauthentication,
//! chat/1's `/login` once online): the password is checked as for any
//! login, and only then does the session change. As the same account it
//! is only confirmed; as another, the session leaves every room as a
//! quit, and the connection enters as the other account, taking it over
//! from wherever else it was logged in. A wrong password changes nothing
//! but counts like any failed login.

use std::net::IpAddr;

use crate::password::PasswordError;
use crate::reply::{Done, LeaveReason, Reason, Reply};
use crate::{ConnId, NameKey};

use super::connection::{Phase, Step};
use super::io::PasswordAnswer;
use super::membership::Leaver;
use super::Engine;

/// What the rooms are told of a user who logged in as someone else.
const SWITCHED: &str = "Logged in as another account";

impl Engine {
    /// A login checked for a connection that is logged in already.
    pub(super) fn on_switch_verified(
        &mut self,
        id: ConnId,
        peer: IpAddr,
        key: NameKey,
        answer: Result<PasswordAnswer, PasswordError>,
    ) {
        let exempt = self.is_exempt(peer);
        if let Err(e) = &answer {
            self.throttle.forgive(&key, peer, exempt);
            self.password_work_failed(id, e);
            return self.done_working(id);
        }
        let matched = matches!(answer, Ok(PasswordAnswer::Verified(true)));
        let Some(name) = self
            .directory
            .get(&key)
            .filter(|_| matched)
            .map(|r| r.name.clone())
        else {
            log::warn!("failed login to {} from {peer}", key.as_str());
            return self.switch_failed(id);
        };
        self.throttle.forgive(&key, peer, exempt);
        if self.kicks.contains(&key) {
            log::warn!("kicked user {name} refused from {peer}");
            self.refuse(id, Reason::OnKickList);
            return self.done_working(id);
        }
        if self.session(id).is_some_and(|s| s.key == key) {
            // The same account again: confirmed, nothing else changes.
            self.send(id, &Reply::Ok(Done::Login(name.as_str())));
            return self.done_working(id);
        }
        let Some((was, invisible)) = self.session(id).map(|s| (s.name.clone(), s.invisible)) else {
            return self.done_working(id);
        };
        log::info!("{was} logs in as {name} from {peer}");
        // Told first (IRC's `900`/`903` answer the `AUTHENTICATE`), then
        // out of the old session's rooms and into the new one's.
        self.send(id, &Reply::Ok(Done::Login(name.as_str())));
        self.end_session(id);
        if let Some(&old) = self.online.get(&key) {
            self.take_over(old, &key, &name, peer);
        }
        self.set_waiting(id, false);
        self.enter_room(id, name, false);
        // A user mode is the connection's (IRC's `+i`), not the account's.
        if let Some(s) = self.conns.get_mut(&id).and_then(|c| c.session_mut()) {
            s.invisible = invisible;
        }
        self.resume(id);
    }

    /// A wrong password while logged in: refused, and counted against the
    /// connection as in the login dialog (closed after too many).
    fn switch_failed(&mut self, id: ConnId) {
        self.refuse(id, Reason::WrongCredentials);
        if !self.count_failure(id) {
            self.done_working(id);
        }
    }

    /// The session on `id` ends without the connection: out of the online
    /// index and of every room, the lobby last; the others see it quit,
    /// and an IRC client sees itself part each channel.
    fn end_session(&mut self, id: ConnId) {
        let Some(conn) = self.conns.get_mut(&id).filter(|c| c.session().is_some()) else {
            return;
        };
        let Phase::Online(session) =
            std::mem::replace(&mut conn.phase, Phase::Dialog(Step::Working))
        else {
            return;
        };
        self.forget_session(id, &session);
        let leaver = Leaver {
            user: &session.name,
            who: session.identity(),
            by: None,
            text: Some(SWITCHED),
        };
        let lobby = self.rooms.lobby_key().clone();
        for key in session.rooms.iter().chain([&lobby]) {
            let room = self.room_name(key);
            self.show_own_part(id, &room, &leaver);
            self.leave_room(id, key, &leaver, LeaveReason::Quit, None);
        }
    }
}
