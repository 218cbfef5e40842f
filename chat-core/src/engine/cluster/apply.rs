//! Applying a log's events, in the log's order, the same way on every
//! node: each event is checked as it is applied (a room closed earlier in
//! its log takes no more lines), then shown to this node's members and
//! kept in the room's history. The origin node also answers the
//! connection that asked (the echo of a line is the applied line).

use crate::cluster::{Left, Log, RoomEvent, Seq};
use crate::reply::{Control, Done, Identity, LeaveReason, Notice, Reason, Reply};
use crate::{
    ClientTags, ConnId, Conversation, HistoryLine, Millis, MsgId, RoomKey, UserName, LOBBY,
};

use super::super::io::ChatEvent;
use super::super::rooms::{private_bounds, room_bounds};
use super::super::Engine;
use super::Member;

impl Engine {
    pub(super) fn on_entry(&mut self, log: Log, seq: Seq, event: RoomEvent) {
        let Some(node) = self.cluster.as_deref_mut() else {
            return;
        };
        // A log is applied once, in order: a consumer started again may
        // deliver what was applied already.
        let last = node.applied.entry(log.clone()).or_insert(0);
        if seq <= *last {
            return;
        }
        *last = seq;
        match log {
            Log::Room(key) => self.apply_room_event(key, seq, event),
            Log::Private(pair) => self.apply_private(pair, seq, event),
        }
    }

    fn is_lobby(&self, key: &RoomKey) -> bool {
        key == self.rooms.lobby_key()
    }

    /// Whether a room is past its size for showing joins and leaves.
    fn quiet(&self, key: &RoomKey) -> bool {
        let Some(node) = self.cluster.as_deref() else {
            return false;
        };
        node.members
            .get(key)
            .is_some_and(|m| m.len() > node.config.quiet_joins_above)
    }

    fn apply_room_event(&mut self, key: RoomKey, seq: Seq, event: RoomEvent) {
        if let RoomEvent::Opened(record) = &event {
            if self.rooms.get(&key).is_none() {
                self.rooms.insert(record.clone());
            }
            return;
        }
        if self.rooms.get(&key).is_none() {
            // Closed, or never opened: every node drops it alike.
            if let Some(conn) = event.origin().and_then(|o| self.applied_origin(o)) {
                let room = key.as_str().to_owned();
                self.refuse(conn, Reason::NoSuchRoom { room: &room });
                if matches!(event, RoomEvent::Join { .. }) {
                    self.join_settled(conn);
                }
            }
            return;
        }
        match event {
            RoomEvent::Line { .. } => self.apply_line(&key, seq, event),
            RoomEvent::Join { at, user, origin } => {
                let conn = self.applied_origin(&origin);
                self.apply_join(&key, at, user, origin.node, conn);
            }
            RoomEvent::Leave {
                at,
                user,
                node,
                reason,
                kick,
            } => self.apply_leave(&key, at, &user, &node, reason, kick),
            RoomEvent::Topic { topic, by, at } => self.apply_topic(&key, topic, by, at),
            RoomEvent::Modes { modes, by, .. } => {
                let was = self.rooms.get(&key).map(|c| c.modes().clone());
                self.rooms.set_modes(&key, modes.clone());
                self.tell_modes(&key, by.as_str(), &was.unwrap_or_default(), &modes);
            }
            RoomEvent::Closed { at } => self.apply_close(&key, at),
            RoomEvent::Removed {
                at,
                user,
                by,
                reason,
                origin,
            } => {
                let asker = self.applied_origin(&origin);
                self.apply_removed(&key, at, &user, &by, reason.as_deref(), asker);
            }
            RoomEvent::Away {
                at,
                user,
                busy,
                text,
            } => {
                let except = self.online.get(&user.key()).copied();
                let line = Reply::Away {
                    at,
                    user: user.as_str(),
                    who: Identity::default(),
                    busy,
                    text: text.as_deref().filter(|_| busy),
                };
                self.broadcast_to(&key, except, &[line]);
            }
            RoomEvent::Announce { at, text } => {
                let replies: Vec<Reply<'_>> = text.lines().map(Reply::Info).collect();
                self.broadcast_to(&key, None, &replies);
                if self.config.emit_events {
                    self.out.event(ChatEvent::Announcement {
                        at,
                        text: text.as_str().into(),
                    });
                }
            }
            RoomEvent::Grant {
                at,
                user,
                by,
                grant,
            } => {
                let line = Reply::GrantChanged {
                    at,
                    user: user.as_str(),
                    by: &by,
                    grant,
                };
                self.broadcast_to(&key, None, &[line]);
            }
            RoomEvent::Opened(_) | RoomEvent::Private { .. } => {}
        }
    }

    /// A room line ([`RoomEvent::Line`]): shown to the room's members here
    /// (its sender too, as the echo), kept in its history.
    fn apply_line(&mut self, key: &RoomKey, seq: Seq, event: RoomEvent) {
        let RoomEvent::Line {
            at,
            from,
            text,
            kind,
            origin,
        } = event
        else {
            return;
        };
        let sender = self.applied_origin(&origin);
        let except = sender.filter(|s| {
            self.conns
                .get(s)
                .is_some_and(|c| !c.codec.echoes_own_lines())
        });
        // A line's place in its log is its id on every node.
        let room = self.room_name(key);
        let line = Reply::RoomMsg {
            room: &room,
            id: Some(MsgId(seq)),
            at,
            from: from.as_str(),
            who: Identity::default(),
            kind,
            text: &text,
            tags: ClientTags::NONE,
        };
        self.broadcast_to(key, except, &[line]);
        let bounds = room_bounds(
            &self.config.retention,
            self.config.limits.history_bytes_per_room,
        );
        if self.config.emit_events {
            self.out.event(ChatEvent::Message {
                at,
                room: self.rooms.room_name(key),
                id: MsgId(seq),
                from: from.clone(),
                kind,
                text: text.as_str().into(),
            });
        }
        self.rooms.remember(
            key,
            HistoryLine {
                id: MsgId(seq),
                at,
                from,
                text,
                kind,
            },
            bounds,
        );
    }

    fn apply_join(
        &mut self,
        key: &RoomKey,
        at: Millis,
        user: UserName,
        node: crate::cluster::NodeId,
        conn: Option<ConnId>,
    ) {
        let quiet = self.quiet(key);
        if let Some(n) = self.cluster.as_deref_mut() {
            n.members_of(key).insert(
                user.key(),
                Member {
                    name: user.clone(),
                    node,
                },
            );
        }
        let asker = conn;
        let conn = conn.filter(|c| self.session(*c).is_some_and(|s| s.name == user));
        if let Some(conn) = conn {
            self.enter_applied(key, conn, at, &user, quiet);
        }
        if let Some(asker) = asker {
            self.join_settled(asker);
        }
        if conn.is_some() {
            return;
        }
        if quiet {
            return;
        }
        let room = self.room_name(key);
        let line = Reply::RoomJoin {
            room: &room,
            at,
            user: user.as_str(),
            who: Identity::default(),
        };
        self.broadcast_to(key, None, &[line]);
        if self.config.emit_events {
            let room = self.rooms.room_name(key);
            self.out.event(ChatEvent::Joined { at, room, user });
        }
    }

    /// This node's user is in: the lobby's members (busy if busy), or a
    /// room's, with its answer, topic and history (`enter`).
    fn enter_applied(
        &mut self,
        key: &RoomKey,
        conn: ConnId,
        at: Millis,
        user: &UserName,
        quiet: bool,
    ) {
        if !self.is_lobby(key) {
            if let Some(s) = self.conns.get_mut(&conn).and_then(|c| c.session_mut()) {
                s.rooms.retain(|k| k != key);
            }
            return self.enter(conn, key, false);
        }
        // Welcomed now: the log has the join, so every line said after
        // `WELCOME` is one this user gets.
        if let Some(s) = self.session(conn) {
            let (user, grant) = (s.name.clone(), s.grant);
            self.send(
                conn,
                &Reply::Welcome {
                    user: user.as_str(),
                    grant,
                },
            );
        }
        self.join_members(conn, key);
        let line = Reply::RoomJoin {
            room: LOBBY,
            at,
            user: user.as_str(),
            who: Identity::default(),
        };
        if quiet {
            self.send(conn, &line);
        } else {
            self.broadcast_to(key, None, &[line]);
        }
        // IRC's answer to a join is the JOIN, then the members.
        if self
            .conns
            .get(&conn)
            .is_some_and(|c| c.codec.lists_room_on_join())
        {
            self.view_users(conn, 1);
        }
        if self.config.emit_events {
            self.out.event(ChatEvent::Joined {
                at,
                room: self.rooms.room_name(key),
                user: user.clone(),
            });
        }
    }

    fn apply_leave(
        &mut self,
        key: &RoomKey,
        at: Millis,
        user: &UserName,
        node: &crate::cluster::NodeId,
        reason: Left,
        kick: Option<(UserName, Option<String>)>,
    ) {
        let quiet = self.quiet(key);
        let Some(n) = self.cluster.as_deref_mut() else {
            return;
        };
        let members = n.members_of(key);
        // Only the member it names: the same account may be on another
        // node by now (a takeover), and a gone node's leaves come from
        // every node.
        if members.get(&user.key()).is_none_or(|m| m.node != *node) {
            return;
        }
        members.remove(&user.key());
        let me = n.me().clone();
        if reason == Left::Gone && *node == me && self.online.contains_key(&user.key()) {
            // Judged gone while still here (the broker was away longer
            // than the others waited): back in, in the room's order.
            log::info!(
                "cluster: {user} was sent out of {} as gone; back in",
                key.as_str()
            );
            let at = self.now;
            let user = user.clone();
            self.append(None, Log::Room(key.clone()), |origin| RoomEvent::Join {
                at,
                user,
                origin,
            });
        }
        if quiet {
            return;
        }
        let reason = LeaveReason::from(reason);
        let room = self.room_name(key);
        let line = match &kick {
            Some((by, why)) if self.is_lobby(key) => Reply::KickedOut {
                at,
                user: user.as_str(),
                by: by.as_str(),
                reason: why.as_deref(),
            },
            _ => Reply::RoomLeave {
                room: &room,
                at,
                user: user.as_str(),
                who: Identity::default(),
                reason: reason.into(),
                by: None,
                text: None,
            },
        };
        self.broadcast_to(key, None, &[line]);
        if self.config.emit_events {
            self.out.event(ChatEvent::Left {
                at,
                room: self.rooms.room_name(key),
                user: user.clone(),
                reason,
            });
        }
    }

    fn apply_topic(
        &mut self,
        key: &RoomKey,
        topic: Option<crate::Topic>,
        by: UserName,
        at: Millis,
    ) {
        self.rooms.set_topic(key, topic.clone());
        let room = self.room_name(key);
        let line = Reply::Topic {
            room: &room,
            at: topic.as_ref().map_or(at, |t| t.at),
            by: by.as_str(),
            text: topic.as_ref().map(|t| t.text.as_str()),
        };
        self.broadcast_to(key, None, &[line]);
    }

    /// The room closes at this point of its log on every node: this
    /// node's members see themselves leave it.
    fn apply_close(&mut self, key: &RoomKey, at: Millis) {
        if self.is_lobby(key) {
            return;
        }
        if let Some(n) = self.cluster.as_deref_mut() {
            n.members.remove(key);
        }
        let Some(channel) = self.rooms.remove(key) else {
            return;
        };
        self.rooms.end_close(key);
        let room = channel.name().to_owned();
        let mut members: Vec<ConnId> = channel.members.member_ids().collect();
        members.sort_unstable();
        for member in members {
            let Some(session) = self.conns.get_mut(&member).and_then(|c| c.session_mut()) else {
                continue;
            };
            session.rooms.retain(|k| k != key);
            let user = session.name.clone();
            let line = Reply::RoomLeave {
                room: &room,
                at,
                user: user.as_str(),
                who: Identity::default(),
                reason: LeaveReason::Closed.into(),
                by: None,
                text: None,
            };
            self.send(member, &line);
        }
    }

    fn apply_removed(
        &mut self,
        key: &RoomKey,
        at: Millis,
        user: &UserName,
        by: &UserName,
        reason: Option<&str>,
        asker: Option<ConnId>,
    ) {
        let room = self.room_name(key);
        let Some(n) = self.cluster.as_deref_mut() else {
            return;
        };
        let Some(member) = n.members.get_mut(key).and_then(|m| m.remove(&user.key())) else {
            if let Some(asker) = asker {
                let name = user.as_str();
                self.refuse(
                    asker,
                    Reason::NotInRoom {
                        room: &room,
                        user: Some(name),
                    },
                );
            }
            return;
        };
        let here = member.node == *n.me();
        if here {
            if let Some(&target) = self.online.get(&user.key()) {
                self.send(
                    target,
                    &Reply::Ctl(Control::Removed {
                        room: &room,
                        by: by.as_str(),
                        reason,
                    }),
                );
                if let Some(s) = self.conns.get_mut(&target).and_then(|c| c.session_mut()) {
                    s.rooms.retain(|k| k != key);
                }
                if let Some(channel) = self.rooms.get_mut(key) {
                    channel.members.leave(target);
                }
            }
        }
        let line = Reply::RoomLeave {
            room: &room,
            at,
            user: user.as_str(),
            who: Identity::default(),
            reason: LeaveReason::Removed.into(),
            by: Some(by.as_str()),
            text: reason,
        };
        self.broadcast_to(key, None, &[line]);
        if let Some(asker) = asker {
            self.send(asker, &Reply::Ok(Done::Removed(&room, user.as_str())));
        }
    }

    /// A private message: kept in the pair's history on every node, shown
    /// to the recipient where they are, acknowledged to the sender where
    /// they are.
    fn apply_private(&mut self, pair: Conversation, seq: Seq, event: RoomEvent) {
        let RoomEvent::Private {
            at,
            from,
            to,
            text,
            kind,
            origin,
        } = event
        else {
            return;
        };
        let sender = self.applied_origin(&origin);
        let pm = |to| Reply::Pm {
            id: Some(MsgId(seq)),
            at,
            from: from.as_str(),
            who: Identity::default(),
            to,
            kind,
            text: &text,
            tags: ClientTags::NONE,
        };
        if let Some(&target) = self.online.get(&to.key()) {
            self.send(target, &pm(None));
        }
        // The sender's answer, as a single server gives it: sent, the line
        // itself for a client that echoes its own (IRC's echo-message),
        // and whether the recipient is busy (never for a notice).
        if let Some(sender) = sender {
            let mut answer = vec![Reply::Ok(Done::Sent {
                to: to.as_str(),
                id: Some(MsgId(seq)),
            })];
            if self
                .conns
                .get(&sender)
                .is_some_and(|c| c.codec.echoes_private_messages())
            {
                answer.push(pm(Some(to.as_str())));
            }
            let away = self.busy_anywhere(&to).filter(|_| !kind.is_notice());
            if let Some(away) = &away {
                answer.push(Reply::Notice(Notice::RecipientBusy {
                    name: to.as_str(),
                    text: away.as_deref(),
                }));
            }
            self.send_many(sender, &answer);
        }
        if self.config.emit_events {
            self.out.event(ChatEvent::Private {
                at,
                id: MsgId(seq),
                from: from.clone(),
                to,
                kind,
                text: text.as_str().into(),
            });
        }
        let l = &self.config.limits;
        let bounds = private_bounds(&self.config.retention, l.history_bytes_per_pair);
        let max = l.max_private_histories;
        self.private.push(
            &pair,
            HistoryLine {
                id: MsgId(seq),
                at,
                from,
                text,
                kind,
            },
            bounds,
            max,
        );
    }
}
