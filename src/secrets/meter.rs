//! Metering of store round trips for the start-up measurement (scripts/bench-startup.sh):
//! how many SDK operations the process made and the wall time during which at least one
//! was in flight (overlapping operations counted once).
//!
//! Only with the `bench-hooks` feature; in every other build [`metered`] just awaits the
//! operation, so release binaries carry no measurement code.

use std::future::Future;

#[cfg(feature = "bench-hooks")]
pub use hooks::{RoundTrips, round_trips};

/// Awaits one SDK operation (metered with `bench-hooks`).
#[cfg(not(feature = "bench-hooks"))]
pub(super) async fn metered<F: Future>(operation: F) -> F::Output {
    operation.await
}

/// Awaits one SDK operation (metered with `bench-hooks`).
#[cfg(feature = "bench-hooks")]
pub(super) async fn metered<F: Future>(operation: F) -> F::Output {
    let _in_flight = hooks::InFlight::start();
    operation.await
}

#[cfg(feature = "bench-hooks")]
mod hooks {
    use std::sync::{Mutex, MutexGuard, PoisonError};
    use std::time::{Duration, Instant};

    /// Process-wide SSM metering: operations made, and the wall time during which at least one
    /// was in flight (concurrent operations overlap, so their times are not summed).
    struct Meter {
        count: u64,
        in_flight: u32,
        busy_since: Option<Instant>,
        busy: Duration,
    }

    static METER: Mutex<Meter> = Mutex::new(Meter {
        count: 0,
        in_flight: 0,
        busy_since: None,
        busy: Duration::ZERO,
    });

    fn meter() -> MutexGuard<'static, Meter> {
        // The meter holds plain counters: a panic elsewhere cannot leave them inconsistent.
        METER.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// SSM operations made by this process so far and the wall time spent waiting for them
    /// (retries included; overlapping operations counted once). Counts only: no names, no values.
    #[derive(Debug, Clone, Copy, PartialEq, Eq)]
    pub struct RoundTrips {
        pub count: u64,
        pub time: Duration,
    }

    /// One operation in flight; dropping it (done or cancelled) ends it in the meter.
    pub(super) struct InFlight;

    impl InFlight {
        pub(super) fn start() -> InFlight {
            let mut m = meter();
            m.count += 1;
            m.in_flight += 1;
            if m.in_flight == 1 {
                m.busy_since = Some(Instant::now());
            }
            InFlight
        }
    }

    impl Drop for InFlight {
        fn drop(&mut self) {
            let mut m = meter();
            m.in_flight = m.in_flight.saturating_sub(1);
            if m.in_flight == 0
                && let Some(since) = m.busy_since.take()
            {
                m.busy += since.elapsed();
            }
        }
    }

    /// The SSM operations this process has made so far.
    pub fn round_trips() -> RoundTrips {
        let m = meter();
        RoundTrips {
            count: m.count,
            time: m.busy,
        }
    }
}
