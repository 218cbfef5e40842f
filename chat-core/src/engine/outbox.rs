//! The engine's queue of outputs, with the helpers that render replies.

use std::collections::VecDeque;

use crate::reply::Reply;
use crate::wire::{render, render_frame};
use crate::{ConnId, Frame, Output};

use super::io::{ChatEvent, CloseReason};

#[derive(Debug, Default)]
pub(crate) struct Outbox {
    queue: VecDeque<Output>,
}

impl Outbox {
    pub(crate) fn pop(&mut self) -> Option<Output> {
        self.queue.pop_front()
    }

    pub(crate) fn len(&self) -> usize {
        self.queue.len()
    }

    pub(crate) fn push(&mut self, output: Output) {
        self.queue.push_back(output);
    }

    /// One reply to one connection.
    pub(crate) fn send(&mut self, conn: ConnId, reply: &Reply<'_>) {
        self.send_frame(conn, render_frame(reply));
    }

    /// Several replies to one connection, rendered into one frame.
    pub(crate) fn send_many<'a>(
        &mut self,
        conn: ConnId,
        replies: impl IntoIterator<Item = Reply<'a>>,
    ) {
        let mut out = Vec::with_capacity(128);
        for reply in replies {
            render(&reply, &mut out);
        }
        self.send_frame(conn, Frame::from(out));
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
