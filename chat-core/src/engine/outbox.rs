//! The engine's queue of outputs.

use std::collections::VecDeque;

use crate::{ConnId, Frame, Output};

use super::io::{ChatEvent, CloseReason};

#[derive(Debug, Default)]
pub(crate) struct Outbox {
    queue: VecDeque<Output>,
    /// The connection whose labeled answer is being produced now (the
    /// engine runs its line, the end of its wait, or its long answer, and
    /// its codec has a response open): what is sent to it goes through
    /// its codec's [`respond`](crate::seam::Codec::respond).
    responding: Option<ConnId>,
}

impl Outbox {
    /// The connection whose labeled answer is being produced now, if any.
    pub(crate) fn responding(&self) -> Option<ConnId> {
        self.responding
    }

    /// Sets (or, with `None`, clears) the connection whose labeled answer
    /// is being produced now; what it was comes back.
    pub(crate) fn set_responding(&mut self, conn: Option<ConnId>) -> Option<ConnId> {
        std::mem::replace(&mut self.responding, conn)
    }

    pub(crate) fn pop(&mut self) -> Option<Output> {
        self.queue.pop_front()
    }

    pub(crate) fn len(&self) -> usize {
        self.queue.len()
    }

    pub(crate) fn push(&mut self, output: Output) {
        self.queue.push_back(output);
    }

    pub(crate) fn send_frame(&mut self, conn: ConnId, frame: Frame) {
        self.queue.push_back(Output::Send { conn, frame });
    }

    pub(crate) fn close(&mut self, conn: ConnId, reason: CloseReason) {
        self.queue.push_back(Output::Close { conn, reason });
    }

    pub(crate) fn event(&mut self, event: ChatEvent) {
        self.queue.push_back(Output::Event(Box::new(event)));
    }
}
