//! Long answers produced as the connection drains (see [`super::owed`]):
//! each part is rendered only while the connection has room in its
//! window, from a cursor into what it shows, never ahead of it.

use crate::reply::{HistoryMark, HistoryOf, Listing, Reply};
use std::ops::RangeInclusive;

use crate::{ConnId, MsgId};

use super::conversations::Place;
use super::listing::MemberRow;
use super::owed::{HistorySource, Member, Owed};
use super::replies::deliver;
use super::{Engine, Output};

impl Engine {
    /// Owes `id` a long answer after what it is owed already, and sends
    /// what its window has room for now.
    pub(super) fn owe(&mut self, id: ConnId, item: Owed) {
        let Some(conn) = self.conns.get_mut(&id) else {
            return;
        };
        conn.flow.owe(item);
        self.pump_owed(id);
    }

    /// Sends owed answers while the connection has room in its window;
    /// once it has none, asks to hear when it drains (also when it owes
    /// nothing but its window is used up, so its waiting lines go on).
    pub(super) fn pump_owed(&mut self, id: ConnId) {
        let window = self.config.limits.output_window_bytes;
        loop {
            let Some(conn) = self.conns.get_mut(&id) else {
                return;
            };
            if conn.flow.should_watch(window) {
                self.out.push(Output::WhenDrained { conn: id });
                return;
            }
            let room = match conn.flow.room_left(window) {
                Some(0) => return,
                Some(n) => n,
                None => usize::MAX,
            };
            let Some(item) = conn.flow.take_front() else {
                return;
            };
            let (bytes, rest) = self.produce(id, item, room);
            let Some(conn) = self.conns.get_mut(&id) else {
                return;
            };
            if let Some(rest) = rest {
                conn.flow.put_back(rest);
            }
            let sent = deliver(conn, &mut self.out, id, bytes);
            conn.flow.sent(sent);
        }
    }

    /// The connection drained: it gets what it is owed as its window
    /// allows, then its waiting lines run.
    pub(super) fn on_drained(&mut self, id: ConnId) {
        let Some(conn) = self.conns.get_mut(&id) else {
            return;
        };
        conn.flow.drained();
        self.pump_owed(id);
        self.resume(id);
    }

    /// Renders a part of `item` of about `room` bytes (at least one line);
    /// what is left of it comes back.
    fn produce(&mut self, id: ConnId, item: Owed, room: usize) -> (Vec<u8>, Option<Owed>) {
        let mut out = Vec::new();
        let rest = match item {
            Owed::Frame(frame) => {
                out.extend_from_slice(&frame);
                None
            }
            Owed::History {
                source,
                ids,
                shown,
                next,
            } => self.produce_history(id, source, (ids, shown, next), room, &mut out),
            Owed::Members {
                mut header,
                room: key,
                mut rows,
                end,
            } => {
                if let Some(room) = header.take() {
                    let secret = key
                        .as_ref()
                        .and_then(|k| self.rooms.get(k))
                        .is_some_and(|c| c.modes().secret);
                    let header = Reply::Members {
                        room: &room,
                        secret,
                    };
                    self.render_for(id, &[header], &mut out);
                }
                while out.len() < room {
                    let Some(member) = rows.pop_front() else {
                        break;
                    };
                    let row = match member {
                        Member::Local(c) => match self.member_row(c, key.as_ref()) {
                            Some(row) => row,
                            None => continue,
                        },
                        Member::Remote(row) => MemberRow::remote(*row),
                    };
                    self.render_for(id, &[row.reply()], &mut out);
                }
                self.rest_or_end(id, rows, end, &mut out, |rows| Owed::Members {
                    header: None,
                    room: key,
                    rows,
                    end,
                })
            }
            Owed::Rooms { mut rows, end } => {
                while out.len() < room {
                    let Some(k) = rows.pop_front() else { break };
                    let Some(c) = self.rooms.get(&k) else {
                        continue;
                    };
                    let members = self.members_anywhere(&k).unwrap_or(c.members.len());
                    let row = Reply::Room {
                        name: c.name(),
                        members: members as u64,
                        operator: c.record.as_ref().map(|r| r.operator.as_str()),
                        topic: c.topic().map(|t| t.text.as_str()),
                    };
                    render_with(&mut self.conns, id, &[row], &mut out);
                }
                self.rest_or_end(id, rows, end, &mut out, |rows| Owed::Rooms { rows, end })
            }
            Owed::Conversations { mut rows, end } => {
                while out.len() < room {
                    let Some(row) = rows.pop_front() else { break };
                    let of = match &row.place {
                        Place::Room(name) => HistoryOf::Room(name),
                        Place::Private(name) => HistoryOf::Private(name),
                    };
                    let row = Reply::Conversation {
                        of,
                        id: Some(row.id),
                        at: row.at,
                    };
                    self.render_for(id, &[row], &mut out);
                }
                self.rest_or_end(id, rows, end, &mut out, |rows| Owed::Conversations {
                    rows,
                    end,
                })
            }
            Owed::Kicked { mut rows, end } => {
                while out.len() < room {
                    let Some(k) = rows.pop_front() else { break };
                    let Some(k) = self.kicks.get(&k) else {
                        continue;
                    };
                    let row = Reply::Kicked {
                        name: k.name.as_str(),
                        by: k.by.as_str(),
                        at: k.at,
                        reason: k.reason.as_deref(),
                    };
                    render_with(&mut self.conns, id, &[row], &mut out);
                }
                self.rest_or_end(id, rows, end, &mut out, |rows| Owed::Kicked { rows, end })
            }
        };
        (out, rest)
    }

    /// A part of a history: its lines by id while there is room, then,
    /// once none are left, its `END history`.
    fn produce_history(
        &mut self,
        id: ConnId,
        source: HistorySource,
        (ids, mut shown, next): (Option<RangeInclusive<MsgId>>, u64, Option<HistoryMark>),
        room: usize,
        out: &mut Vec<u8>,
    ) -> Option<Owed> {
        let empty = super::history::History::default();
        let (history, of) = match &source {
            HistorySource::Room(key) => match self.rooms.get(key) {
                Some(c) => (&c.history, HistoryOf::Room(c.name())),
                None => (&empty, HistoryOf::Room(key.as_str())),
            },
            HistorySource::Private { pair, with } => (
                self.private.get(pair).unwrap_or(&empty),
                HistoryOf::Private(with),
            ),
        };
        let conn = self.conns.get_mut(&id)?;
        let mut left = ids;
        if let Some(range) = left.take() {
            let (mut from, to) = range.into_inner();
            let mut lines = history
                .lines_from(from)
                .take_while(|l| l.id <= to)
                .peekable();
            while out.len() < room {
                let Some(line) = lines.next() else { break };
                let reply = Reply::Hist {
                    of,
                    id: Some(line.id),
                    at: line.at,
                    from: line.from.as_str(),
                    kind: line.kind,
                    text: &line.text,
                };
                conn.codec.render(std::slice::from_ref(&reply), out);
                shown += 1;
                from = MsgId(line.id.0 + 1);
            }
            // Lines that went meanwhile are not waited for.
            if lines.peek().is_some() {
                left = Some(from..=to);
            }
        }
        if left.is_some() {
            return Some(Owed::History {
                source,
                ids: left,
                shown,
                next,
            });
        }
        let end_line = Reply::End(Listing::History { shown, next });
        conn.codec.render(std::slice::from_ref(&end_line), out);
        None
    }

    /// What is left of a listing, or, when no rows are left, its end
    /// rendered.
    fn rest_or_end<T>(
        &mut self,
        id: ConnId,
        rows: std::collections::VecDeque<T>,
        end: Listing,
        out: &mut Vec<u8>,
        rest: impl FnOnce(std::collections::VecDeque<T>) -> Owed,
    ) -> Option<Owed> {
        if rows.is_empty() {
            self.render_for(id, &[Reply::End(end)], out);
            None
        } else {
            Some(rest(rows))
        }
    }

    /// Renders replies for one connection (its codec's state follows).
    fn render_for(&mut self, id: ConnId, replies: &[Reply<'_>], out: &mut Vec<u8>) {
        render_with(&mut self.conns, id, replies, out);
    }
}

/// [`Engine::render_for`] on the connection table alone, for replies that
/// borrow other parts of the engine.
fn render_with(
    conns: &mut super::seeded::IdMap<ConnId, Box<super::connection::Connection>>,
    id: ConnId,
    replies: &[Reply<'_>],
    out: &mut Vec<u8>,
) {
    if let Some(c) = conns.get_mut(&id) {
        c.codec.render(replies, out);
    }
}
