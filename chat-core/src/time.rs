//! Time as plain data: the caller's clock enters only through events.

use std::fmt;
use std::ops::{Add, Sub};
use std::time::Duration;

/// A point in time: Unix time in milliseconds, supplied by the caller with
/// every event.
///
/// The engine never reads a clock. The runtime derives `Millis` from a
/// monotonic clock anchored to the wall clock at start, so deadlines never
/// jump; if a caller does go backwards, the engine treats it as "no time
/// passed" (all arithmetic saturates).
///
/// ```
/// use chat_core::Millis;
/// use std::time::Duration;
/// let t = Millis(1_000);
/// assert_eq!(t + Duration::from_secs(2), Millis(3_000));
/// assert_eq!(Millis(500) - Millis(2_000), Duration::ZERO);
/// ```
#[derive(
    Clone,
    Copy,
    Debug,
    Default,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    serde::Serialize,
    serde::Deserialize,
)]
pub struct Millis(pub u64);

impl Millis {
    /// The time as a number of milliseconds since the Unix epoch.
    pub fn as_u64(self) -> u64 {
        self.0
    }
}

impl Add<Duration> for Millis {
    type Output = Millis;
    fn add(self, rhs: Duration) -> Millis {
        let ms = u64::try_from(rhs.as_millis()).unwrap_or(u64::MAX);
        Millis(self.0.saturating_add(ms))
    }
}

impl Sub for Millis {
    type Output = Duration;
    fn sub(self, rhs: Millis) -> Duration {
        Duration::from_millis(self.0.saturating_sub(rhs.0))
    }
}

impl fmt::Display for Millis {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}
