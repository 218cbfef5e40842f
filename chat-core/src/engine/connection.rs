//! Per-connection state: framing, the dialog or the session, queued lines.

use std::borrow::Cow;
use std::collections::VecDeque;
use std::net::IpAddr;
use std::sync::Arc;

use crate::framing::FrameError as LineError;
use crate::password::Password;
use crate::reply::AskStep;
use crate::seam::Codec;
use crate::{Grant, Millis, NameKey, UserName};

use super::held::HeldLines;
use super::owed::Flow;

/// A line waiting its turn while the connection's previous command waits
/// for password work or the store.
pub(crate) type QueuedLine = Result<String, LineError>;

/// A line just framed (borrowed from the input where possible).
pub(crate) type Line<'a> = Result<Cow<'a, str>, LineError>;

#[derive(Debug)]
pub(crate) struct Connection {
    /// Distinguishes this connection from earlier ones with the same id.
    pub(crate) serial: u64,
    pub(crate) peer: IpAddr,
    /// The wire format's state (framing, what it asked): opaque here.
    pub(crate) codec: Box<dyn Codec>,
    pub(crate) phase: Phase,
    /// A command of this connection waits for password work or the store;
    /// its later lines queue until it is answered, so replies stay in order.
    pub(crate) waiting: bool,
    pub(crate) queued: VecDeque<QueuedLine>,
    /// Wrong credentials on this connection.
    pub(crate) failures: u32,
    /// The command budget (every line spends from it).
    pub(crate) budget: Flood,
    /// Lines refused in a row for the budget.
    pub(crate) budget_refusals: u32,
    /// When bytes last came in (server pings measure idleness from it).
    pub(crate) last_heard: Millis,
    /// A server `PING` is out, sent at this time, and nothing came since.
    pub(crate) pinged: Option<Millis>,
    /// Its output window and the long answers it is owed.
    pub(crate) flow: Flow,
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
        name: UserName,
    },
    /// Password work or the store is answering.
    Working,
    /// The login was checked before the client finished registering (IRC's
    /// SASL before `CAP END`): it enters on
    /// [`Command::Ready`](crate::Command::Ready).
    Verified {
        name: UserName,
    },
}

impl Step {
    /// The question of this step (`Working` has none: it is asked again
    /// from the start).
    pub(crate) fn ask(&self) -> AskStep {
        match self {
            Step::Account | Step::Working | Step::Verified { .. } => AskStep::Account,
            Step::RegisterName => AskStep::RegisterName,
            Step::RegisterPassword { .. } => AskStep::RegisterPassword,
            Step::RegisterPasswordAgain { .. } => AskStep::RegisterPasswordAgain,
            Step::LoginName => AskStep::LoginName,
            Step::LoginPassword { .. } => AskStep::LoginPassword,
        }
    }
}

#[derive(Debug)]
pub(crate) struct Session {
    pub(crate) name: UserName,
    pub(crate) key: NameKey,
    pub(crate) grant: Grant,
    /// A guest: no account behind the name (IRC, when the server allows).
    pub(crate) guest: bool,
    /// Room lines held while busy (boxed: few sessions are busy).
    pub(crate) held: Option<Box<HeldLines>>,
    pub(crate) last_active: Millis,
    pub(crate) flood: Flood,
    /// Where `/changepassword` without arguments is, if it is asking
    /// (boxed: rarely asking).
    pub(crate) change: Option<Box<ChangeStep>>,
    /// The rooms joined besides the lobby (few: bounded by
    /// `max_rooms_per_user`).
    pub(crate) rooms: Vec<crate::RoomKey>,
    /// What the client said of itself (IRC's `USER`), if anything (shared:
    /// each line the user says borrows it without a copy; chat/1 sessions
    /// have none).
    pub(crate) identity: Option<Arc<Identity>>,
    /// The away message while busy, if one was given (shared with the
    /// listings that show it).
    pub(crate) away: Option<Arc<str>>,
    /// When the session began.
    pub(crate) since: Millis,
    /// Left out of searches by mask (IRC's user mode `+i`) by those who
    /// share no room with it besides the lobby.
    pub(crate) invisible: bool,
}

/// IRC's `USER`: a user name and a real name.
#[derive(Debug)]
pub(crate) struct Identity {
    pub(crate) user_name: Option<Box<str>>,
    pub(crate) real_name: Option<Box<str>>,
}

impl Session {
    /// What IRC shows of this user beside the name.
    pub(crate) fn identity(&self) -> crate::reply::Identity<'_> {
        Identity::shown(self.identity.as_deref(), self.guest)
    }

    /// The user as the sender of a line: shared parts, cheap to take.
    pub(crate) fn sender(&self) -> Sender {
        Sender {
            name: self.name.clone(),
            identity: self.identity.clone(),
            guest: self.guest,
        }
    }
}

impl Identity {
    /// What IRC shows of a user with this identity (if any).
    pub(crate) fn shown(id: Option<&Identity>, guest: bool) -> crate::reply::Identity<'_> {
        crate::reply::Identity {
            user_name: id.and_then(|i| i.user_name.as_deref()),
            real_name: id.and_then(|i| i.real_name.as_deref()),
            account: !guest,
        }
    }
}

/// A session's name and identity, taken to build a line while the
/// engine is changed (shared strings: no copy of the text).
#[derive(Debug)]
pub(crate) struct Sender {
    pub(crate) name: UserName,
    pub(crate) identity: Option<Arc<Identity>>,
    pub(crate) guest: bool,
}

impl Sender {
    /// What IRC shows of the sender beside the name.
    pub(crate) fn identity(&self) -> crate::reply::Identity<'_> {
        Identity::shown(self.identity.as_deref(), self.guest)
    }
}

/// A step of `/changepassword` asked for step by step: the next answer is
/// the password (the codec takes it verbatim).
#[derive(Debug)]
pub(crate) enum ChangeStep {
    Old,
    New { old: Password },
    Again { old: Password, new: Password },
}

/// A token bucket (flood control per session, the command budget per
/// connection), in thousandths of a unit so integer arithmetic keeps
/// sub-second refills exact.
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

    /// Takes `cost` units; false when the client must slow down.
    /// `per_second == 0` means no limit.
    pub(crate) fn take(&mut self, now: Millis, per_second: u32, burst: u32, cost: u32) -> bool {
        if per_second == 0 {
            return true;
        }
        let elapsed_ms = u64::try_from((now - self.last).as_millis()).unwrap_or(u64::MAX);
        self.last = self.last.max(now);
        // `per_second` tokens a second is `per_second` milli-tokens a ms.
        let refill = elapsed_ms.saturating_mul(u64::from(per_second));
        // A cost above the burst could never be paid: cap it at the burst.
        let cap = u64::from(burst.max(1)) * 1000;
        let cost = (u64::from(cost) * 1000).min(cap);
        self.tokens_milli = self.tokens_milli.saturating_add(refill).min(cap);
        if self.tokens_milli >= cost {
            self.tokens_milli -= cost;
            true
        } else {
            false
        }
    }

    /// Whole seconds until `cost` units are there (at least 1).
    pub(crate) fn wait_secs(&self, per_second: u32, burst: u32, cost: u32) -> u64 {
        let cap = u64::from(burst.max(1)) * 1000;
        let missing = (u64::from(cost) * 1000)
            .min(cap)
            .saturating_sub(self.tokens_milli);
        // `per_second` milli-tokens arrive each ms.
        let ms = missing.div_ceil(u64::from(per_second.max(1)));
        ms.div_ceil(1000).max(1)
    }
}

impl Connection {
    pub(crate) fn new(
        serial: u64,
        peer: IpAddr,
        codec: Box<dyn Codec>,
        burst: u32,
        now: Millis,
    ) -> Connection {
        Connection {
            budget: Flood::new(burst, now),
            budget_refusals: 0,
            last_heard: now,
            pinged: None,
            flow: Flow::default(),
            serial,
            peer,
            codec,
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
