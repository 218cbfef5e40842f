//! Per-connection state: framing, the dialog or the session, queued lines.

use std::borrow::Cow;
use std::collections::VecDeque;
use std::net::IpAddr;

use crate::password::Password;
use crate::wire::{FrameError, Framer};
use crate::{Grant, Millis, NameKey, UserName};

use super::held::HeldLines;

/// A line waiting its turn while the connection's previous command waits
/// for password work or the store.
pub(crate) type QueuedLine = Result<String, FrameError>;

/// A line just framed (borrowed from the input where possible).
pub(crate) type Line<'a> = Result<Cow<'a, str>, FrameError>;

#[derive(Debug)]
pub(crate) struct Connection {
    /// Distinguishes this connection from earlier ones with the same id.
    pub(crate) serial: u64,
    pub(crate) peer: IpAddr,
    pub(crate) framer: Framer,
    pub(crate) phase: Phase,
    /// A command of this connection waits for password work or the store;
    /// its later lines queue until it is answered, so replies stay in order.
    pub(crate) waiting: bool,
    pub(crate) queued: VecDeque<QueuedLine>,
    pub(crate) failures: u32,
}

#[derive(Debug)]
pub(crate) enum Phase {
    Dialog(Step),
    Online(Session),
}

/// Where a connection is in the login dialog.
#[derive(Debug)]
pub(crate) enum Step {
    Account,
    RegisterName,
    RegisterPassword {
        name: UserName,
    },
    RegisterPasswordAgain {
        name: UserName,
        password: Password,
    },
    LoginName,
    LoginPassword {
        name: String,
    },
    /// Password work or the store is answering.
    Working,
}

impl Step {
    /// Whether the next line is a password (taken verbatim).
    pub(crate) fn wants_password(&self) -> bool {
        matches!(
            self,
            Step::RegisterPassword { .. }
                | Step::RegisterPasswordAgain { .. }
                | Step::LoginPassword { .. }
        )
    }
}

#[derive(Debug)]
pub(crate) struct Session {
    pub(crate) name: UserName,
    pub(crate) key: NameKey,
    pub(crate) grant: Grant,
    /// Room lines held while busy.
    pub(crate) held: Option<HeldLines>,
    pub(crate) last_active: Millis,
    pub(crate) flood: Flood,
}

/// Flood control: a token bucket per session, in thousandths of a message
/// so integer arithmetic keeps sub-second refills exact.
#[derive(Debug)]
pub(crate) struct Flood {
    tokens_milli: u64,
    last: Millis,
}

impl Flood {
    pub(crate) fn new(burst: u32, now: Millis) -> Flood {
        Flood {
            tokens_milli: u64::from(burst) * 1000,
            last: now,
        }
    }

    /// Takes one message's worth; false when the user must slow down.
    /// `per_second == 0` means no limit.
    pub(crate) fn take(&mut self, now: Millis, per_second: u32, burst: u32) -> bool {
        if per_second == 0 {
            return true;
        }
        let elapsed_ms = u64::try_from((now - self.last).as_millis()).unwrap_or(u64::MAX);
        self.last = self.last.max(now);
        // `per_second` tokens a second is `per_second` milli-tokens a ms.
        let refill = elapsed_ms.saturating_mul(u64::from(per_second));
        self.tokens_milli = self
            .tokens_milli
            .saturating_add(refill)
            .min(u64::from(burst.max(1)) * 1000);
        if self.tokens_milli >= 1000 {
            self.tokens_milli -= 1000;
            true
        } else {
            false
        }
    }
}

impl Connection {
    pub(crate) fn new(serial: u64, peer: IpAddr, max_line: usize) -> Connection {
        Connection {
            serial,
            peer,
            framer: Framer::new(max_line),
            phase: Phase::Dialog(Step::Account),
            waiting: false,
            queued: VecDeque::new(),
            failures: 0,
        }
    }

    pub(crate) fn session(&self) -> Option<&Session> {
        match &self.phase {
            Phase::Online(s) => Some(s),
            Phase::Dialog(_) => None,
        }
    }

    pub(crate) fn session_mut(&mut self) -> Option<&mut Session> {
        match &mut self.phase {
            Phase::Online(s) => Some(s),
            Phase::Dialog(_) => None,
        }
    }
}

/// A connection as of one moment: jobs and store changes remember it this
/// way, so an answer never reaches a later connection with a reused id.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct ConnRef {
    pub(crate) id: crate::ConnId,
    pub(crate) serial: u64,
}
