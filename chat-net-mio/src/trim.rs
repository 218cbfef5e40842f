//! Giving memory back after a burst.
//!
//! A burst (thousands of logins, each JOIN a new recipient list for the
//! whole room) leaves the allocator's heap full of free holes, which the
//! C allocator keeps as resident memory: idle connections would then cost
//! what the burst needed. Once the loop has been quiet for a while after
//! some work, the allocator is asked to return its free pages. Steady
//! traffic never waits that long, so the hot path never pays for it.

use std::time::{Duration, Instant};

/// How long the loop must be quiet before memory is returned.
const QUIET: Duration = Duration::from_secs(1);

/// When to return free memory to the system.
#[derive(Debug, Default)]
pub(crate) struct Trimmer {
    due: Option<Instant>,
}

impl Trimmer {
    /// The loop did some work at `now`: trim once it has been quiet since.
    pub(crate) fn busy(&mut self, now: Instant) {
        self.due = Some(now + QUIET);
    }

    /// When the loop should wake to trim, if a trim is pending.
    pub(crate) fn deadline(&self) -> Option<Instant> {
        self.due
    }

    /// Whether the quiet time has passed (once per quiet spell): the
    /// caller then gives back what it holds and calls
    /// [`release_free_memory`].
    pub(crate) fn on_deadline(&mut self, now: Instant) -> bool {
        match self.due {
            Some(t) if t <= now => {
                self.due = None;
                true
            }
            _ => false,
        }
    }
}

/// Asks glibc's allocator to hand free pages back to the kernel (in every
/// arena, holes included, not just the top of the heap).
#[cfg(all(target_os = "linux", target_env = "gnu"))]
#[allow(unsafe_code)]
pub(crate) fn release_free_memory() {
    // SAFETY: malloc_trim only walks the allocator's own free lists; it
    // is thread-safe and takes no pointer from us.
    unsafe {
        libc::malloc_trim(0);
    }
}

/// Other allocators return memory on their own terms.
#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
pub(crate) fn release_free_memory() {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trims_once_after_a_quiet_second() {
        let mut t = Trimmer::default();
        let start = Instant::now();
        assert!(t.deadline().is_none(), "nothing to do before any work");
        t.busy(start);
        // More work moves the trim on.
        t.busy(start + Duration::from_millis(500));
        assert!(!t.on_deadline(start + Duration::from_millis(1_200)));
        assert!(t.on_deadline(start + Duration::from_millis(1_500)));
        assert!(t.deadline().is_none());
        assert!(!t.on_deadline(start + Duration::from_secs(10)), "once");
    }
}
