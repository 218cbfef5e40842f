//! The way in: bytes to lines through the connection's codec (queued while
//! a command of the connection is answered), lines to commands, and the
//! command budget every line pays.

use std::borrow::Cow;

use crate::command::Cost;
use crate::reply::{LeaveReason, LimitScope, Reason};
use crate::{Command, ConnId};

use super::connection::{Line, Phase, QueuedLine};
use super::io::CloseReason;
use super::replies::deliver;
use super::Engine;

impl Engine {
    pub(super) fn on_received(&mut self, id: ConnId, mut bytes: &[u8]) {
        let window = self.config.limits.output_window_bytes;
        loop {
            let Some(conn) = self.conns.get_mut(&id) else {
                return;
            };
            // Any traffic answers a server ping (set here, in the lookup
            // the loop makes anyway).
            conn.last_heard = self.now;
            conn.pinged = None;
            // A command waits for password work or the store, or the
            // connection must drain first: its lines wait their turn.
            let held = conn.waiting || conn.flow.holds_lines(window);
            // Lines a line stood for (see `on_line`) before the next one.
            if !held && !conn.queued.is_empty() {
                self.resume(id);
                continue;
            }
            let Some(line) = conn.codec.next_line(&mut bytes) else {
                return;
            };
            if held || !conn.queued.is_empty() {
                let l = &self.config.limits;
                let cap = if conn.session().is_some() {
                    l.max_queued_lines
                } else {
                    l.max_queued_lines_before_login
                };
                // More than the queue holds is refused, never answered:
                // a connection that does not read cannot make the engine
                // render for it. Refusals in a row count as the budget's
                // do, so a client that keeps sending past them is closed
                // rather than sent a refusal per line.
                if conn.queued.len() >= cap {
                    conn.budget_refusals = conn.budget_refusals.saturating_add(1);
                    let (refusals, peer) = (conn.budget_refusals, conn.peer);
                    self.refuse(id, Reason::QueueFull);
                    if refusals > self.config.limits.max_budget_refusals {
                        log::warn!("{peer} ({id}) closed: kept sending past a full queue");
                        return self.close(id, CloseReason::RateLimited, LeaveReason::Lost);
                    }
                } else {
                    conn.budget_refusals = 0;
                    conn.queued.push_back(line.map(Cow::into_owned));
                }
                // Held by its window: it will hear when to go on.
                self.pump_owed(id);
                continue;
            }
            self.on_line(id, line);
        }
    }

    /// Runs the queued lines of a connection that stopped waiting; the
    /// labeled answer of the line that waited ends first, if it is done.
    pub(super) fn resume(&mut self, id: ConnId) {
        self.end_response(id, false);
        loop {
            let Some(conn) = self.conns.get_mut(&id) else {
                return;
            };
            if conn.waiting {
                return;
            }
            if conn
                .flow
                .holds_lines(self.config.limits.output_window_bytes)
            {
                // Owed output or a full window: the lines go on once it
                // drained (`on_drained`).
                return self.pump_owed(id);
            }
            let Some(line): Option<QueuedLine> = conn.queued.pop_front() else {
                return;
            };
            self.on_line(id, line.map(Cow::Owned));
        }
    }

    /// Reads and runs one line. Its labeled answer, if it asked for one,
    /// is what the connection is sent from here until the answer ends
    /// (here, or once what the line waits for or is owed is done).
    pub(super) fn on_line(&mut self, id: ConnId, line: Line<'_>) {
        // The answer before ends before this line opens its own.
        self.end_response(id, false);
        self.run_line(id, line);
        self.end_response(id, false);
        self.out.set_responding(None);
    }

    fn run_line(&mut self, id: ConnId, line: Line<'_>) {
        let line = match line {
            Ok(line) => line,
            Err(e) => return self.refuse(id, Reason::Line(e)),
        };
        let Some(conn) = self.conns.get_mut(&id) else {
            return;
        };
        let line = conn.codec.prepare(line);
        if conn.codec.response_open() {
            self.answers_open.insert(id);
            self.out.set_responding(Some(id));
        }
        let cmd = conn.codec.parse(&line);
        // Read right after this one (on_received and resume run them).
        for followup in conn.codec.take_followups().into_iter().rev() {
            conn.queued.push_front(Ok(followup));
        }
        if let Some(local) = conn.codec.take_local() {
            let sent = deliver(conn, &mut self.out, id, local);
            conn.flow.sent(sent);
        }
        if let Some(rendering) = conn.codec.take_rendering_change() {
            self.in_every_room(id, |room| room.set_rendering(id, rendering));
        }
        if !self.within_budget(id, &cmd) {
            if let Some(conn) = self.conns.get_mut(&id) {
                conn.codec.unread();
            }
            return;
        }
        let cmd = match cmd {
            Ok(Some(cmd)) => cmd,
            // The codec answered it by itself.
            Ok(None) => return,
            Err(refusal) => return self.refuse(id, Reason::Invalid(&refusal)),
        };
        let now = self.now;
        let Some(conn) = self.conns.get_mut(&id) else {
            return;
        };
        match &mut conn.phase {
            Phase::Online(session) => {
                session.last_active = now;
                self.on_session_line(id, cmd);
            }
            Phase::Dialog(_) => self.on_dialog_line(id, cmd),
        }
    }

    /// The command budget: every line costs, listings more (as IRC
    /// servers' fake lag). Over budget the line is dropped with
    /// `ERR rate-limited ...; retry in <n> s`; a client that keeps pushing
    /// long past it is closed.
    pub(super) fn within_budget(
        &mut self,
        id: ConnId,
        cmd: &Result<Option<Command<'_>>, crate::Refusal>,
    ) -> bool {
        let now = self.now;
        let l = &self.config.limits;
        let (rate, burst) = (l.command_units_per_second, l.command_burst);
        if rate == 0 {
            return true;
        }
        let cost = match cmd {
            Ok(Some(cmd)) if cmd.cost() == Cost::Listing => l.listing_cost,
            _ => l.command_cost,
        };
        let max_refusals = l.max_budget_refusals;
        let Some(conn) = self.conns.get_mut(&id) else {
            return false;
        };
        if conn.budget.take(now, rate, burst, cost) {
            conn.budget_refusals = 0;
            return true;
        }
        conn.budget_refusals = conn.budget_refusals.saturating_add(1);
        let secs = conn.budget.wait_secs(rate, burst, cost);
        let (refusals, peer) = (conn.budget_refusals, conn.peer);
        if refusals == 1 {
            log::warn!("{peer} ({id}) is over the command budget");
        }
        // A ping over the budget is answered all the same (answering costs
        // no more than refusing, and a client that gets no answer takes the
        // server for dead), but it counts as over.
        let ping = matches!(cmd, Ok(Some(Command::Ping { .. })));
        if !ping {
            self.refuse(
                id,
                Reason::RateLimited {
                    scope: LimitScope::CommandBudget,
                    retry_secs: secs,
                },
            );
        }
        if refusals > max_refusals {
            log::warn!("{peer} ({id}) closed: far over the command budget");
            self.close(id, CloseReason::RateLimited, LeaveReason::Lost);
            return false;
        }
        ping
    }

    /// Marks a connection as waiting: its later lines queue. When the
    /// wait ends, what follows answers the line that waited.
    pub(super) fn set_waiting(&mut self, conn: ConnId, waiting: bool) {
        let Some(c) = self.conns.get_mut(&conn) else {
            return;
        };
        c.waiting = waiting;
        if !waiting && c.codec.response_open() {
            self.out.set_responding(Some(conn));
        }
    }
}
