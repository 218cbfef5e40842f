//! Replies to one connection, rendered by its codec into one frame, and
//! the refusals most commands share.

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
        // A codec may say nothing (IRC to `HELLO` and `ASK`); an empty
        // frame is no output (a writer can take it for a closed socket).
        if !bytes.is_empty() {
            c.flow.sent(bytes.len());
            out.send_frame(conn, Frame::from(bytes));
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
