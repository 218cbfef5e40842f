//! Replies to one connection, rendered by its codec into one frame, and
//! the refusals most commands share; what goes to a connection whose
//! line asked for a labeled answer, and that answer's end.

use crate::reply::{LimitScope, Reason, Reply};
use crate::{ConnId, Frame};

use super::connection::Connection;
use super::outbox::Outbox;
use super::seeded::IdMap;
use super::throttle::Limited;
use super::Engine;

impl Engine {
    /// One reply to one connection, rendered by its codec.
    pub(super) fn send(&mut self, conn: ConnId, reply: &Reply<'_>) {
        self.send_many(conn, std::slice::from_ref(reply));
    }

    /// Several replies to one connection, rendered into one frame. A
    /// connection already forgotten gets nothing (its output would be
    /// dropped anyway).
    pub(super) fn send_many(&mut self, conn: ConnId, replies: &[Reply<'_>]) {
        Self::send_to(&mut self.conns, &mut self.out, conn, replies);
    }

    /// [`send_many`](Engine::send_many) on borrowed parts, for replies
    /// that borrow other parts of the engine.
    pub(super) fn send_to(
        conns: &mut IdMap<ConnId, Box<Connection>>,
        out: &mut Outbox,
        conn: ConnId,
        replies: &[Reply<'_>],
    ) {
        let Some(c) = conns.get_mut(&conn) else {
            return;
        };
        let mut bytes = Vec::with_capacity(64);
        c.codec.render(replies, &mut bytes);
        let sent = deliver(c, out, conn, bytes);
        c.flow.sent(sent);
    }

    /// Output to `id` from now on answers its line, if that line asked
    /// for a labeled answer not ended yet (else nothing is marked).
    pub(super) fn answering(&mut self, id: ConnId) {
        let open = self.answers_open.contains(&id)
            && self.conns.get(&id).is_some_and(|c| c.codec.response_open());
        self.out.set_responding(open.then_some(id));
    }

    /// Ends the labeled answer of `id`'s line once it is done: the line
    /// waits for nothing (password work, the store) and is owed nothing
    /// (a long answer paced by drains), and the lines it stood for were
    /// read (the codec knows). With `now` (the connection closes), ends
    /// it whatever is left.
    #[inline]
    pub(super) fn end_response(&mut self, id: ConnId, now: bool) {
        // Most lines have none open: nothing to look up.
        if self.answers_open.contains(&id) {
            self.end_open_response(id, now);
        }
    }

    fn end_open_response(&mut self, id: ConnId, now: bool) {
        let Some(c) = self.conns.get_mut(&id) else {
            self.answers_open.remove(&id);
            return;
        };
        if !now && (c.waiting || c.flow.owed_len() > 0) {
            return;
        }
        let mut bytes = Vec::new();
        c.codec.end_response(now, &mut bytes);
        if !c.codec.response_open() {
            self.answers_open.remove(&id);
        }
        if !bytes.is_empty() {
            c.flow.sent(bytes.len());
            self.out.send_frame(id, Frame::from(bytes));
        }
    }

    pub(super) fn refuse(&mut self, conn: ConnId, reason: Reason<'_>) {
        self.send(conn, &Reply::Refused(reason));
    }

    /// A refusal for now, with the time to wait.
    pub(super) fn refuse_limited(&mut self, id: ConnId, scope: LimitScope, limited: Limited) {
        self.refuse(
            id,
            Reason::RateLimited {
                scope,
                retry_secs: limited.retry_secs(),
            },
        );
    }
}

/// Sends `bytes` to connection `id` (which is `c`), through its codec's
/// labeled answer when they answer the line it asked one for; the bytes
/// that went out (none: a codec that said nothing, or one holding its
/// answer's first line back). An empty frame is no output (a writer can
/// take it for a closed socket).
#[inline]
pub(super) fn deliver(c: &mut Connection, out: &mut Outbox, id: ConnId, bytes: Vec<u8>) -> usize {
    if out.responding() == Some(id) {
        let mut labeled = Vec::with_capacity(bytes.len() + 32);
        c.codec.respond(&bytes, &mut labeled);
        return send_bytes(out, id, labeled);
    }
    send_bytes(out, id, bytes)
}

/// Sends `bytes` to `id` as one frame, unless there are none; how many.
#[inline]
fn send_bytes(out: &mut Outbox, id: ConnId, bytes: Vec<u8>) -> usize {
    let sent = bytes.len();
    if sent > 0 {
        out.send_frame(id, Frame::from(bytes));
    }
    sent
}

/// [`deliver`] of a frame rendered for many (a room line): shared as it
/// is unless it answers the line.
pub(super) fn deliver_frame(c: &mut Connection, out: &mut Outbox, id: ConnId, frame: Frame) {
    if out.responding() == Some(id) {
        deliver(c, out, id, frame.as_bytes().to_vec());
    } else if !frame.is_empty() {
        out.send_frame(id, frame);
    }
}
