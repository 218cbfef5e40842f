//! The loop's clock: monotonic, anchored to the wall clock once, so the
//! engine gets Unix-millisecond timestamps that never jump backwards.

use std::time::{Instant, SystemTime, UNIX_EPOCH};

use chat_core::Millis;

#[derive(Clone, Copy, Debug)]
pub(crate) struct Clock {
    start: Instant,
    start_unix_ms: u64,
}

impl Clock {
    pub(crate) fn new() -> Clock {
        let unix = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX));
        Clock {
            start: Instant::now(),
            start_unix_ms: unix,
        }
    }

    pub(crate) fn now(&self) -> Millis {
        let elapsed = u64::try_from(self.start.elapsed().as_millis()).unwrap_or(u64::MAX);
        Millis(self.start_unix_ms.saturating_add(elapsed))
    }

    /// The instant at which the clock reads `at`.
    pub(crate) fn instant_of(&self, at: Millis) -> Instant {
        self.start + std::time::Duration::from_millis(at.0.saturating_sub(self.start_unix_ms))
    }
}
