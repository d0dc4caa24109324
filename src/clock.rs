//! Time as a dependency: the parameter caches, the token manager, the refresh lock and
//! the in-memory store ask a [`Clock`] instead of the system, so tests move time with
//! [`ManualClock`] (one per instance, and one for the store, to model skewed clocks) and
//! never sleep.
//!
//! Invariant: a clock only ever reports wall-clock time (`SystemTime`); consumers must
//! tolerate it going backwards (a cache treats a negative age as "fresh").

use std::sync::Mutex;
use std::time::{Duration, SystemTime};

/// A source of the current time.
pub trait Clock: Send + Sync + std::fmt::Debug {
    fn now(&self) -> SystemTime;
}

/// The real clock.
#[derive(Debug, Default, Clone, Copy)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> SystemTime {
        SystemTime::now()
    }
}

/// A clock that only moves when told to (tests).
#[derive(Debug)]
pub struct ManualClock {
    now: Mutex<SystemTime>,
}

impl ManualClock {
    /// A clock stopped at `start`.
    pub fn new(start: SystemTime) -> ManualClock {
        ManualClock {
            now: Mutex::new(start),
        }
    }

    /// Moves the clock forward by `by`.
    pub fn advance(&self, by: Duration) {
        if let Ok(mut now) = self.now.lock() {
            *now += by;
        }
    }

    /// Sets the clock to `to` (may move backwards).
    pub fn set(&self, to: SystemTime) {
        if let Ok(mut now) = self.now.lock() {
            *now = to;
        }
    }
}

impl Default for ManualClock {
    /// Stopped at 2024-01-01T00:00:00Z, a fixed point so tests are reproducible.
    fn default() -> Self {
        ManualClock::new(SystemTime::UNIX_EPOCH + Duration::from_secs(1_704_067_200))
    }
}

impl Clock for ManualClock {
    fn now(&self) -> SystemTime {
        // A poisoned lock can only come from a panicking test; report the epoch then.
        self.now
            .lock()
            .map(|t| *t)
            .unwrap_or(SystemTime::UNIX_EPOCH)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn manual_clock_moves_only_when_told() {
        let clock = ManualClock::default();
        let start = clock.now();
        assert_eq!(clock.now(), start);
        clock.advance(Duration::from_secs(90));
        assert_eq!(clock.now().duration_since(start).unwrap().as_secs(), 90);
        clock.set(start);
        assert_eq!(clock.now(), start);
    }
}
