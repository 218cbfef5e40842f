//! Saying things: room lines (the lobby's included) and private messages,
//! with the checks every message passes (text, flood control).

use crate::framing::FrameError;
use crate::reply::{Done, Notice, Presence, Reason, Reply};
use crate::{ClientTags, ConnId, Conversation, MessageKind, NameKey, RoomKey, RoomName};

use super::io::ChatEvent;
use super::private_pairs::pair_of;
use super::text::refused_text;
use super::Engine;

impl Engine {
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

    /// Whether a room line may go out: not blank (ignored; tags alone
    /// without any tag are as blank), no unsafe characters, client tags
    /// within their limit, within flood control; refusals are sent here
    /// (none for a notice).
    pub(super) fn may_say(
        &mut self,
        id: ConnId,
        text: &str,
        tags: ClientTags<'_>,
        kind: MessageKind,
    ) -> bool {
        let blank = match kind {
            MessageKind::TagsOnly => tags.is_empty(),
            _ => text.trim().is_empty(),
        };
        if blank {
            return false;
        }
        self.fit_to_send(id, text, tags, kind) && self.may_send(id, kind)
    }

    /// Whether a message's text and tags may be sent: no unsafe
    /// characters in the text, no more client tags than the limit (the
    /// refusal of a line too long: IRC's `417`).
    #[inline]
    fn fit_to_send(
        &mut self,
        id: ConnId,
        text: &str,
        tags: ClientTags<'_>,
        kind: MessageKind,
    ) -> bool {
        if refused_text(text) {
            self.refuse_message(id, kind, Reason::UnsafeText { in_reason: false });
            return false;
        }
        let limit = self.config.limits.max_client_tag_bytes;
        if tags.len() > limit {
            let too_long = Reason::Line(FrameError::TooLong { limit });
            self.refuse_message(id, kind, too_long);
            return false;
        }
        true
    }

    pub(super) fn message_to(
        &mut self,
        id: ConnId,
        to: &str,
        text: &str,
        kind: MessageKind,
        tags: ClientTags<'_>,
    ) {
        if kind.is_tags_only() && tags.is_empty() {
            return;
        }
        if !self.fit_to_send(id, text, tags, kind) {
            return;
        }
        if self.cluster.is_some() {
            // The cluster's log carries no client tags: tags alone are
            // nothing there (see PROTOCOL.md).
            if kind.is_tags_only() {
                return log::debug!("{id}: tags alone not carried in a cluster");
            }
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
        // What a guest says or is told is kept for its session only.
        let stored = !sender.guest && !recipient.guest;
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
            tags,
        };
        let (delivered, echo) = (pm(None), pm(Some(recipient.as_str())));
        // A message to oneself reaches its recipient as anyone's would:
        // outside the sender's labeled answer (which has the echo).
        let answering = self.out.set_responding(None);
        Self::send_to(&mut self.conns, &mut self.out, target, &[delivered]);
        self.out.set_responding(answering);
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
        let answered = !kind.is_notice() && !kind.is_tags_only();
        if self.presence_of(target) == Presence::Busy && answered {
            answer.push(Reply::Notice(Notice::RecipientBusy {
                name: recipient.as_str(),
                text: away.as_deref(),
            }));
        }
        Self::send_to(&mut self.conns, &mut self.out, id, &answer);
        drop(answer);
        let from = sender.name;
        // Tags alone are no line of a conversation: neither kept nor
        // told to observers.
        if kind.is_tags_only() {
            return;
        }
        // A guest's side is its session (see `private_pairs`).
        if let (Some(a), Some(b)) = (self.party(id), self.party(target)) {
            self.remember(
                pair_of(a, b),
                self.history_line(msg, &from, text, kind),
                stored,
            );
        }
        if self.config.emit_events {
            self.out.event(ChatEvent::Private {
                at: self.now,
                id: msg,
                from,
                to: recipient,
                kind,
                text: text.into(),
            });
        }
    }

    pub(super) fn say_in(
        &mut self,
        id: ConnId,
        typed: &str,
        text: &str,
        kind: MessageKind,
        tags: ClientTags<'_>,
    ) {
        let key = match RoomName::find_key(typed, |folded| self.rooms.key_named(folded).cloned()) {
            Ok(Some(key)) => key,
            Ok(None) => return self.refuse_message(id, kind, Reason::NoSuchRoom { room: typed }),
            Err(e) => return self.refuse_message(id, kind, Reason::BadRoomName(e)),
        };
        if !self.in_room(id, &key) {
            let not_in = Reason::NotInRoom {
                room: typed,
                user: None,
            };
            return self.refuse_message(id, kind, not_in);
        }
        if self.silenced(id, &key) {
            return self.refuse_message(id, kind, Reason::Moderated { room: typed });
        }
        self.say_in_room(id, key, text, kind, tags);
    }

    /// A line said in a room, the lobby's as any other's: to its members
    /// (the sender too, where its client echoes), into its history, and
    /// to observers. Tags alone go to the members only: they are no line
    /// of the room's history.
    pub(super) fn say_in_room(
        &mut self,
        id: ConnId,
        key: RoomKey,
        text: &str,
        kind: MessageKind,
        tags: ClientTags<'_>,
    ) {
        if !self.may_say(id, text, tags, kind) {
            return;
        }
        if self.cluster.is_some() {
            // The cluster's log carries no client tags: tags alone are
            // nothing there (see PROTOCOL.md).
            if kind.is_tags_only() {
                return log::debug!("{id}: tags alone not carried in a cluster");
            }
            return self.cluster_say(id, key, text, kind);
        }
        let msg = self.next_msg_id();
        let (Some(sender), Some(channel)) = (self.sender(id), self.rooms.get(&key)) else {
            return;
        };
        let (room, stored) = (channel.shared_name(), channel.stored);
        let line = Reply::RoomMsg {
            room: &room,
            id: Some(msg),
            at: self.now,
            from: sender.name.as_str(),
            who: sender.identity(),
            kind,
            text,
            tags,
        };
        self.broadcast_in(&key, Some(id), &[line]);
        if kind.is_tags_only() {
            return;
        }
        let from = sender.name;
        let line = self.history_line(msg, &from, text, kind);
        if self.config.emit_events {
            self.out.event(ChatEvent::Message {
                at: self.now,
                room: self.rooms.room_name(&key),
                id: msg,
                from,
                kind,
                text: text.into(),
            });
        }
        // A guest's room is not stored, nor its lines.
        self.remember(Conversation::Room(key), line, stored);
    }
}
