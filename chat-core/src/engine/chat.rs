//! Commands of a logged-in user: talk, private messages, presence,
//! listings, ping, quit.

use crate::reply::{Control, Done, Listing, Presence, Reply};
use crate::wire::parse;
use crate::{Command, ConnId, ErrorCode, NameKey};

use super::connection::{Connection, Session};
use super::held::HeldLines;
use super::io::ChatEvent;
use super::Engine;

impl Engine {
    pub(super) fn on_session_line(&mut self, id: ConnId, line: &str) {
        let cmd = match parse(line) {
            Ok(cmd) => cmd,
            Err(refusal) => return self.refuse(id, refusal.code, &refusal.text),
        };
        let Some(session) = self.conns.get(&id).and_then(Connection::session) else {
            return;
        };
        if cmd.needs_admin() && !session.grant.is_admin() {
            return self.refuse(id, ErrorCode::NotPermitted, "that command is for admins");
        }
        match cmd {
            Command::Say(text) => self.say(id, text),
            Command::Help => {
                let admin = session.grant.is_admin();
                self.send(id, &Reply::Help { admin });
            }
            Command::ViewUsers => self.view_users(id),
            Command::MessageTo { to, text } => self.message_to(id, to, text),
            Command::Busy => self.busy(id),
            Command::Free => self.free(id),
            Command::ChangeGrant { user, grant } => self.change_grant(id, user, grant),
            Command::Kick { user, reason } => self.kick(id, user, reason),
            Command::Unkick { user } => self.unkick(id, user),
            Command::ViewKicked => self.view_kicked(id),
            Command::ChangePassword { old, new } => self.change_password(id, old, new),
            Command::Restart => self.stop(true),
            Command::Quit => self.quit(id),
            Command::Ping { token } => self.send(id, &Reply::Pong(token)),
            Command::Register { .. } | Command::Login { .. } => {
                self.refuse(id, ErrorCode::AlreadyOnline, "you are logged in already")
            }
        }
    }

    /// Flood control for room and private messages: false (after telling
    /// the user) when the message must be dropped.
    fn may_send(&mut self, id: ConnId) -> bool {
        let (now, l) = (self.now, &self.config.limits);
        let (rate, burst) = (l.messages_per_second, l.message_burst);
        let allowed = self
            .conns
            .get_mut(&id)
            .and_then(Connection::session_mut)
            .is_some_and(|s| s.flood.take(now, rate, burst));
        if !allowed {
            let text = format!("slow down: at most {rate} messages a second; message not sent");
            self.refuse(id, ErrorCode::RateLimited, &text);
        }
        allowed
    }

    fn session(&self, id: ConnId) -> Option<&Session> {
        self.conns.get(&id).and_then(Connection::session)
    }

    fn say(&mut self, id: ConnId, text: &str) {
        if text.trim().is_empty() {
            return;
        }
        if has_control(text) {
            return self.refuse(
                id,
                ErrorCode::BadArgument,
                "no control characters in messages",
            );
        }
        if !self.may_send(id) {
            return;
        }
        let Some(session) = self.session(id) else {
            return;
        };
        let from = session.name.clone();
        self.broadcast(&Reply::Msg {
            at: self.now,
            from: from.as_str(),
            text,
        });
        if self.config.emit_events {
            self.out.event(ChatEvent::Message {
                at: self.now,
                from,
                text: text.into(),
            });
        }
    }

    fn message_to(&mut self, id: ConnId, to: &str, text: &str) {
        if has_control(text) {
            return self.refuse(
                id,
                ErrorCode::BadArgument,
                "no control characters in messages",
            );
        }
        let Some(&target) = self.online.get(&NameKey::of(to)) else {
            let text = format!("{to} is not online");
            return self.refuse(id, ErrorCode::NoSuchUser, &text);
        };
        if !self.may_send(id) {
            return;
        }
        let (Some(from), Some(recipient)) = (self.session(id), self.session(target)) else {
            return;
        };
        let (from, recipient) = (from.name.clone(), recipient.name.clone());
        self.send(
            target,
            &Reply::Pm {
                at: self.now,
                from: from.as_str(),
                text,
            },
        );
        if self.presence_of(target) == Presence::Busy {
            let busy = format!("{recipient} is busy");
            self.out.send_many(
                id,
                [
                    Reply::Ok(Done::Sent(recipient.as_str())),
                    Reply::Info(&busy),
                ],
            );
        } else {
            self.send(id, &Reply::Ok(Done::Sent(recipient.as_str())));
        }
        if self.config.emit_events {
            self.out.event(ChatEvent::Private {
                at: self.now,
                from,
                to: recipient,
                text: text.into(),
            });
        }
    }

    fn busy(&mut self, id: ConnId) {
        if let Some(session) = self.conns.get_mut(&id).and_then(Connection::session_mut) {
            session.held.get_or_insert_with(HeldLines::default);
            self.lobby.set_presence(id, Presence::Busy);
        }
        self.send(id, &Reply::Ctl(Control::Busy));
    }

    fn free(&mut self, id: ConnId) {
        let Some(session) = self.conns.get_mut(&id).and_then(Connection::session_mut) else {
            return;
        };
        let held = session.held.take().unwrap_or_default();
        self.lobby.set_presence(id, Presence::Free);
        let (lines, dropped) = held.into_parts();
        let replayed = lines.len() as u64;
        self.send(id, &Reply::Ctl(Control::Free));
        for frame in lines {
            self.out.send_frame(id, frame);
        }
        self.send(id, &Reply::End(Listing::Held { replayed, dropped }));
    }

    fn view_users(&mut self, id: ConnId) {
        let mut rows: Vec<(&str, crate::Grant, Presence)> = self
            .online
            .values()
            .filter_map(|&c| {
                let s = self.conns.get(&c)?.session()?;
                Some((s.name.as_str(), s.grant, self.presence_of(c)))
            })
            .collect();
        rows.sort_unstable_by_key(|r| r.0.to_ascii_lowercase());
        let replies: Vec<Reply<'_>> = rows
            .into_iter()
            .map(|(name, grant, presence)| Reply::User {
                name,
                grant,
                presence,
            })
            .chain([Reply::End(Listing::Users)])
            .collect();
        let mut out = Vec::with_capacity(32 * replies.len());
        for r in &replies {
            crate::wire::render(r, &mut out);
        }
        self.out.send_frame(id, out.into());
    }
}

/// Control characters would let one client rewrite another's terminal.
fn has_control(text: &str) -> bool {
    text.chars().any(|c| c.is_control() && c != '\t')
}
