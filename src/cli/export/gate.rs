//! Admission to the source, shared by every worker: the one [`Pacing`] of the run behind a
//! fair queue.
//!
//! Fairness: requests are admitted one at a time, first come first served (tokio's mutexes
//! queue their waiters in order). A request the source refused, or that failed, comes back
//! in the retry lane, which is served before new requests: at most one new request is
//! admitted ahead of it, so no listing is starved while the others take every slot.
//!
//! The request at the head of the queue sleeps through pauses and spacing for everyone
//! behind it. The time spent in the source's pauses adds up to the run's waiting total;
//! a pause that would take it beyond `--max-wait-total` stops the run instead.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use super::pacing::{Decision, Outcome, Pacing, PacingConfig};
use super::stop::Stop;
use super::summary::StopReason;

/// Which queue a request waits in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Lane {
    /// A page's first request.
    Fresh,
    /// A request again after a refusal or a failure.
    Retry,
}

/// What the progress line shows about the pacing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct GateView {
    /// Time left in the source's current pause.
    pub pause_left: Option<Duration>,
    pub window: u32,
    pub in_flight: u32,
    pub spacing: Duration,
    /// Time spent in the source's pauses so far.
    pub waited: Duration,
}

pub(super) struct Gate {
    pacing: Mutex<Pacing>,
    /// Held by the request being admitted.
    head: tokio::sync::Mutex<()>,
    /// Held by the new request next in line, so that retries go first.
    fresh: tokio::sync::Mutex<()>,
    released: tokio::sync::Notify,
    waited_micros: AtomicU64,
    max_wait_total: Duration,
    stop: Stop,
}

/// An admitted request; finishing it (or dropping it unfinished) frees its slot.
pub(super) struct Ticket<'a> {
    gate: &'a Gate,
    started: Instant,
    open: bool,
}

impl Ticket<'_> {
    pub(super) fn finish(mut self, outcome: Outcome) {
        self.open = false;
        self.gate.release(self.started, outcome);
    }
}

impl Drop for Ticket<'_> {
    fn drop(&mut self) {
        if self.open {
            self.gate.release(self.started, Outcome::Abandoned);
        }
    }
}

impl Gate {
    pub(super) fn new(config: PacingConfig, max_wait_total: Duration, stop: Stop) -> Self {
        Gate {
            pacing: Mutex::new(Pacing::new(config)),
            head: tokio::sync::Mutex::new(()),
            fresh: tokio::sync::Mutex::new(()),
            released: tokio::sync::Notify::new(),
            waited_micros: AtomicU64::new(0),
            max_wait_total,
            stop,
        }
    }

    /// Waits for this request's turn; `Err` when the run stops first.
    pub(super) async fn admit(&self, lane: Lane) -> Result<Ticket<'_>, StopReason> {
        let _fresh = match lane {
            Lane::Fresh => Some(self.fresh.lock().await),
            Lane::Retry => None,
        };
        let _head = self.head.lock().await;
        loop {
            if let Some(reason) = self.stop.reason() {
                return Err(reason);
            }
            let now = Instant::now();
            let decision = self.pacing().decide(now);
            match decision {
                Decision::Go => {
                    self.pacing().start(now);
                    return Ok(Ticket {
                        gate: self,
                        started: now,
                        open: true,
                    });
                }
                Decision::Paused(until) => {
                    let wait = until.saturating_duration_since(now);
                    if self.waited() + wait > self.max_wait_total {
                        self.stop.trigger(StopReason::WaitBudgetSpent);
                        continue;
                    }
                    let slept = self.sleep_until(until).await;
                    let micros = u64::try_from(slept.as_micros()).unwrap_or(u64::MAX);
                    self.waited_micros.fetch_add(micros, Ordering::Relaxed);
                }
                Decision::Spaced(at) => {
                    self.sleep_until(at).await;
                }
                Decision::Full => {
                    tokio::select! {
                        () = self.released.notified() => {}
                        _ = self.stop.stopped() => {}
                    }
                }
            }
        }
    }

    /// Sleeps until `at` or until the run stops; returns the time slept.
    async fn sleep_until(&self, at: Instant) -> Duration {
        let from = Instant::now();
        tokio::select! {
            () = tokio::time::sleep_until(tokio::time::Instant::from_std(at)) => {}
            _ = self.stop.stopped() => {}
        }
        from.elapsed()
    }

    fn release(&self, started: Instant, outcome: Outcome) {
        self.pacing().finish(Instant::now(), started, outcome);
        self.released.notify_one();
    }

    fn pacing(&self) -> MutexGuard<'_, Pacing> {
        self.pacing.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn waited(&self) -> Duration {
        Duration::from_micros(self.waited_micros.load(Ordering::Relaxed))
    }

    pub(super) fn view(&self) -> GateView {
        let now = Instant::now();
        let pacing = self.pacing();
        GateView {
            pause_left: pacing.paused_until(now).map(|until| until - now),
            window: pacing.window(),
            in_flight: pacing.in_flight(),
            spacing: pacing.spacing(),
            waited: self.waited(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn gate(max_in_flight: u32, max_wait_total: Duration) -> Gate {
        let config = PacingConfig {
            max_in_flight,
            max_single_wait: Duration::from_secs(30),
            base_backoff: Duration::from_millis(500),
        };
        Gate::new(config, max_wait_total, Stop::new())
    }

    fn refused(retry_after: Duration) -> Outcome {
        Outcome::Refused {
            retry_after: Some(retry_after),
            budget: None,
        }
    }

    #[tokio::test]
    async fn a_refusal_pauses_every_request_and_counts_the_wait() {
        let gate = gate(4, Duration::from_secs(60));
        let ticket = gate.admit(Lane::Fresh).await.unwrap();
        ticket.finish(refused(Duration::from_millis(300)));
        let before = Instant::now();
        let ticket = gate.admit(Lane::Fresh).await.unwrap();
        assert!(before.elapsed() >= Duration::from_millis(290));
        ticket.finish(Outcome::Answered { budget: None });
        let waited = gate.view().waited;
        assert!(waited >= Duration::from_millis(250), "{waited:?}");
    }

    #[tokio::test]
    async fn a_wait_beyond_the_total_stops_the_run() {
        let gate = gate(4, Duration::from_secs(2));
        let ticket = gate.admit(Lane::Fresh).await.unwrap();
        ticket.finish(refused(Duration::from_secs(5)));
        let started = Instant::now();
        assert_eq!(
            gate.admit(Lane::Retry).await.err(),
            Some(StopReason::WaitBudgetSpent)
        );
        assert!(
            started.elapsed() < Duration::from_secs(1),
            "stops without waiting"
        );
        assert_eq!(gate.stop.reason(), Some(StopReason::WaitBudgetSpent));
    }

    #[tokio::test]
    async fn a_dropped_ticket_frees_its_slot_and_a_stop_ends_the_wait() {
        let gate = gate(1, Duration::from_secs(60));
        let ticket = gate.admit(Lane::Fresh).await.unwrap();
        assert_eq!(gate.view().in_flight, 1);
        drop(ticket);
        assert_eq!(gate.view().in_flight, 0);
        let held = gate.admit(Lane::Fresh).await.unwrap();
        // The window (1) is full: a stop ends the wait for a slot.
        let stop = gate.stop.clone();
        let (waiting, ()) = tokio::join!(gate.admit(Lane::Retry), async move {
            tokio::time::sleep(Duration::from_millis(50)).await;
            stop.trigger(StopReason::Interrupted);
        });
        assert_eq!(waiting.err(), Some(StopReason::Interrupted));
        held.finish(Outcome::Abandoned);
    }
}
