//! What the engine tells of itself, for metrics and for tests that check
//! nothing grows without bound: its tables' sizes, an account, what it
//! holds for one connection.

use crate::{ConnId, Grant, UserName};

use super::held::HeldLines;
use super::Engine;

/// Sizes of the engine's tables (see [`Engine::stats`]).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct EngineStats {
    /// Open connections.
    pub connections: usize,
    /// Logged-in users.
    pub online: usize,
    /// Members of the lobby.
    pub in_room: usize,
    /// Registered accounts.
    pub users: usize,
    /// Kick-list entries.
    pub kicked: usize,
    /// Pending deadlines (some may be stale).
    pub timers: usize,
    /// Accounts and addresses the failed-login throttle remembers.
    pub throttle_entries: usize,
    /// Password work and store changes in flight.
    pub work_in_flight: usize,
    /// Outputs not yet drained.
    pub outputs_queued: usize,
    /// Addresses (and the overall window) the registration throttle
    /// remembers.
    pub registration_entries: usize,
    /// Addresses with password work in flight.
    pub password_addresses: usize,
    /// Busy accounts carried over from before a restart, not yet back.
    pub carried_busy: usize,
    /// Rooms besides the lobby.
    pub rooms: usize,
    /// History lines kept in memory, rooms (the lobby included) and pairs.
    pub history_lines: usize,
    /// Pairs of users with private history in memory.
    pub private_histories: usize,
    /// Bytes of sender names and text in those history lines (the
    /// quantity `history_bytes_per_room` and `history_bytes_per_pair`
    /// bound).
    pub history_bytes: usize,
    /// Entries of the room limits' tables: users with rooms they created,
    /// creation windows, empty rooms waiting to be closed.
    pub room_upkeep_entries: usize,
}

/// An account as the engine sees it ([`Engine::account`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct AccountState {
    /// The grant in force (configured admins are always admins).
    pub grant: Grant,
    /// Whether it is on the kick list.
    pub kicked: bool,
    /// Whether it is logged in.
    pub online: bool,
}

/// What the engine holds for one connection ([`Engine::conn_stats`]).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct ConnStats {
    /// Bytes a client can make the engine hold beyond fixed-size state:
    /// the partial line and the queued lines.
    pub buffered_bytes: usize,
    /// Lines queued while a command of the connection is answered.
    pub queued_lines: usize,
    /// Room lines held while the user is busy.
    pub held_lines: usize,
    /// Bytes of those held lines.
    pub held_bytes: usize,
    /// Bytes sent to it (room lines aside) since it last drained: at most
    /// about `output_window_bytes` (the last part of a long answer may
    /// pass it by a line or a few rows).
    pub unacked_bytes: usize,
    /// Long answers (history, listings) it is owed, not sent yet.
    pub owed_answers: usize,
}

impl Engine {
    /// An account as the engine sees it now, if it is registered.
    pub fn account(&self, name: &UserName) -> Option<AccountState> {
        let key = name.key();
        let record = self.directory.get(&key)?;
        Some(AccountState {
            grant: self.directory.grant_of(record),
            kicked: self.kicks.contains(&key),
            online: self.online.contains_key(&key),
        })
    }

    /// Sizes of the engine's tables, for metrics and for tests that check
    /// nothing grows without bound.
    pub fn stats(&self) -> EngineStats {
        EngineStats {
            connections: self.conns.len(),
            online: self.online.len(),
            in_room: self.rooms.lobby().len(),
            users: self.directory.len(),
            kicked: self.kicks.len(),
            timers: self.timers.len(),
            throttle_entries: self.throttle.table_len(),
            work_in_flight: self.jobs.len() + self.pending.len(),
            outputs_queued: self.out.len(),
            registration_entries: self.registrations.len(),
            password_addresses: self.password_work.len(),
            carried_busy: self.carried_busy.len(),
            rooms: self.rooms.created_count(),
            history_lines: self
                .rooms
                .iter()
                .map(|(_, c)| c.history.len())
                .sum::<usize>()
                + self.private.lines(),
            private_histories: self.private.len(),
            history_bytes: self
                .rooms
                .iter()
                .map(|(_, c)| c.history.bytes())
                .sum::<usize>()
                + self.private.bytes(),
            room_upkeep_entries: {
                let (creators, windows, empty) = self.upkeep.sizes();
                creators + windows + empty
            },
        }
    }

    /// What the engine holds for one open connection, for metrics and
    /// for checking that a client cannot make it grow without bound.
    pub fn conn_stats(&self, conn: ConnId) -> Option<ConnStats> {
        let c = self.conns.get(&conn)?;
        let queued_bytes: usize = c
            .queued
            .iter()
            .map(|l| l.as_ref().map_or(0, String::len))
            .sum();
        let held = c.session().and_then(|s| s.held.as_deref());
        Some(ConnStats {
            buffered_bytes: c.codec.buffered() + queued_bytes,
            queued_lines: c.queued.len(),
            held_lines: held.map_or(0, HeldLines::len),
            held_bytes: held.map_or(0, HeldLines::bytes),
            unacked_bytes: c.flow.unacked(),
            owed_answers: c.flow.owed_len(),
        })
    }
}
