//! Rooms cannot be hoarded: how many rooms each user created and still
//! has, how fast rooms are created, and when a room nobody is in is old
//! enough for the server to close it.

use std::time::Duration;

use crate::{Limits, Millis, NameKey, RoomKey};

use super::seeded::{map, Map};
use super::throttle::{Counter, Limited};

/// Why a user may not create a room now.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum CreateRefusal {
    /// The user created as many rooms as they may have.
    PerCreator { max: usize },
    /// Over a creation rate (the user's or all users').
    Rate(Limited),
}

/// The counts behind the room limits of [`Limits`].
#[derive(Debug)]
pub(crate) struct RoomUpkeep {
    /// Rooms each user created that exist or are being created.
    created_by: Map<NameKey, usize>,
    /// Creations per user (`Some`) and by everyone but admins (`None`).
    creations: Counter<Option<NameKey>>,
    /// When each room with nobody in it became empty (its last activity
    /// for rooms loaded at start).
    empty_since: Map<RoomKey, Millis>,
    /// No empty room is due to close before this.
    next_due: Option<Millis>,
}

impl RoomUpkeep {
    pub(crate) fn new(seed: u64) -> RoomUpkeep {
        RoomUpkeep {
            created_by: map(seed),
            creations: Counter::new(seed),
            empty_since: map(seed),
            next_due: None,
        }
    }

    /// A room that exists (stored, or its creation being saved), created
    /// by `operator`.
    pub(crate) fn count_created(&mut self, operator: NameKey) {
        *self.created_by.entry(operator).or_insert(0) += 1;
    }

    /// A room created by `operator` is gone (closed, or its creation
    /// failed).
    pub(crate) fn uncount_created(&mut self, operator: &NameKey, room: &RoomKey) {
        if let Some(n) = self.created_by.get_mut(operator) {
            *n -= 1;
            if *n == 0 {
                self.created_by.remove(operator);
            }
        }
        self.empty_since.remove(room);
    }

    /// Whether `user` may create a room now; admins are bound by the
    /// server's room count only.
    pub(crate) fn may_create(
        &self,
        user: &NameKey,
        admin: bool,
        now: Millis,
        l: &Limits,
    ) -> Result<(), CreateRefusal> {
        if admin {
            return Ok(());
        }
        let max = l.max_rooms_per_creator;
        if self.created_by.get(user).copied().unwrap_or(0) >= max {
            return Err(CreateRefusal::PerCreator { max });
        }
        let window = Duration::from_millis(l.room_creation_window_ms);
        if l.room_creations_per_window > 0 {
            self.creations
                .check(&None, now, window, l.room_creations_per_window)
                .map_err(CreateRefusal::Rate)?;
        }
        if l.room_creations_per_user > 0 {
            self.creations
                .check(&Some(user.clone()), now, window, l.room_creations_per_user)
                .map_err(CreateRefusal::Rate)?;
        }
        Ok(())
    }

    /// `user` asks to create a room: counted against the rates (once
    /// asked, even if the store fails it) and the user's rooms.
    pub(crate) fn creating(&mut self, user: NameKey, admin: bool, now: Millis, l: &Limits) {
        if !admin {
            let window = Duration::from_millis(l.room_creation_window_ms);
            // One entry per creator in the window, and the one for all:
            // bounded by the throttle tables' size.
            let cap = l.throttle_capacity;
            self.creations.record(None, now, window, cap);
            self.creations.record(Some(user.clone()), now, window, cap);
        }
        self.count_created(user);
    }

    /// Nobody is in `room` since `since` (or since earlier, if it was
    /// counted empty already): it closes `ttl_ms` later.
    pub(crate) fn emptied(&mut self, room: RoomKey, since: Millis, ttl_ms: u64) {
        if ttl_ms == 0 {
            return;
        }
        let kept = self.empty_since.entry(room).or_insert(since);
        *kept = (*kept).min(since);
        let since = *kept;
        let due = since + Duration::from_millis(ttl_ms);
        self.next_due = Some(self.next_due.map_or(due, |d| d.min(due)));
    }

    /// Someone is in `room` again.
    pub(crate) fn occupied(&mut self, room: &RoomKey) {
        self.empty_since.remove(room);
    }

    /// When the next empty room may be due to close.
    pub(crate) fn next_deadline(&self) -> Option<Millis> {
        self.next_due
    }

    /// The rooms empty for `ttl_ms` at `now`, each given once (the caller
    /// closes them); the next deadline moves to the next room due.
    pub(crate) fn take_due(&mut self, now: Millis, ttl_ms: u64) -> Vec<RoomKey> {
        if ttl_ms == 0 || self.next_due.is_none_or(|d| d > now) {
            return Vec::new();
        }
        let ttl = Duration::from_millis(ttl_ms);
        let mut due: Vec<RoomKey> = self
            .empty_since
            .iter()
            .filter(|(_, &since)| since + ttl <= now)
            .map(|(k, _)| k.clone())
            .collect();
        due.sort_unstable();
        for key in &due {
            self.empty_since.remove(key);
        }
        self.next_due = self.empty_since.values().map(|&since| since + ttl).min();
        due
    }

    /// Whether `room` is counted as empty (for the simulator's check that
    /// every room nobody is in is, and no other).
    #[cfg(feature = "sim")]
    pub(crate) fn counts_empty(&self, room: &RoomKey) -> bool {
        self.empty_since.contains_key(room)
    }

    /// Table sizes, for [`super::EngineStats`]: creators counted, creation
    /// windows, empty rooms waiting.
    pub(crate) fn sizes(&self) -> (usize, usize, usize) {
        (
            self.created_by.len(),
            self.creations.len(),
            self.empty_since.len(),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(s: &str) -> NameKey {
        NameKey::of(s)
    }

    fn room(s: &str) -> RoomKey {
        crate::RoomName::parse(s).unwrap().key()
    }

    #[test]
    fn a_creator_has_a_quota_and_a_rate() {
        let l = Limits {
            max_rooms_per_creator: 2,
            room_creations_per_user: 3,
            room_creations_per_window: 100,
            room_creation_window_ms: 1_000,
            ..Limits::default()
        };
        let mut u = RoomUpkeep::new(1);
        let t = Millis(0);
        for _ in 0..2 {
            assert_eq!(u.may_create(&key("al"), false, t, &l), Ok(()));
            u.creating(key("al"), false, t, &l);
        }
        assert_eq!(
            u.may_create(&key("al"), false, t, &l),
            Err(CreateRefusal::PerCreator { max: 2 })
        );
        assert_eq!(u.may_create(&key("al"), true, t, &l), Ok(()), "admins");
        // Closing one frees its place, but not the rate's.
        u.uncount_created(&key("al"), &room("x"));
        assert_eq!(u.may_create(&key("al"), false, t, &l), Ok(()));
        u.creating(key("al"), false, t, &l);
        u.uncount_created(&key("al"), &room("y"));
        assert!(matches!(
            u.may_create(&key("al"), false, t, &l),
            Err(CreateRefusal::Rate(_))
        ));
        assert_eq!(u.may_create(&key("bo"), false, t, &l), Ok(()));
        // The next window.
        assert_eq!(u.may_create(&key("al"), false, Millis(1_000), &l), Ok(()));
    }

    #[test]
    fn empty_rooms_come_due_in_order_once() {
        let mut u = RoomUpkeep::new(1);
        u.emptied(room("a"), Millis(10), 100);
        u.emptied(room("b"), Millis(5), 100);
        u.emptied(room("c"), Millis(50), 100);
        u.occupied(&room("c"));
        assert_eq!(u.next_deadline(), Some(Millis(105)));
        assert!(u.take_due(Millis(104), 100).is_empty());
        assert_eq!(u.take_due(Millis(110), 100), vec![room("a"), room("b")]);
        // "c" is occupied: nothing more is due.
        assert_eq!(u.next_deadline(), None);
        u.emptied(room("d"), Millis(0), 0);
        assert_eq!(u.next_deadline(), None, "a ttl of 0 keeps rooms");
    }
}
