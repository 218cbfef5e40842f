//! The engine's queue of outputs.

use std::collections::VecDeque;

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
