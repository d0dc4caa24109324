//! Stopping a run early and cleanly: on SIGINT or SIGTERM, or when the next wait for the
//! rate limit would exceed `--max-wait-total`. Once stopped, workers commit the page in
//! hand, abandon requests in flight and waits (those pages are fetched again on resume),
//! and start nothing new; the summary is printed and the exit code says why
//! ([`StopReason::exit_code`]). A second signal exits at once: the state is crash-safe,
//! so even that loses nothing.

use std::sync::Arc;

use tokio::sync::watch;

use super::summary::StopReason;

/// The run's stop flag, shared by every worker.
#[derive(Clone)]
pub(super) struct Stop {
    sender: Arc<watch::Sender<Option<StopReason>>>,
}

impl Stop {
    pub(super) fn new() -> Self {
        Stop {
            sender: Arc::new(watch::Sender::new(None)),
        }
    }

    /// Stops the run for `reason`, unless it is already stopping (the first reason stays).
    pub(super) fn trigger(&self, reason: StopReason) {
        self.sender.send_if_modified(|current| {
            if current.is_some() {
                return false;
            }
            *current = Some(reason);
            true
        });
    }

    /// Why the run is stopping, if it is.
    pub(super) fn reason(&self) -> Option<StopReason> {
        *self.sender.borrow()
    }

    /// Completes when the run stops.
    pub(super) async fn stopped(&self) -> StopReason {
        let mut receiver = self.sender.subscribe();
        loop {
            let current = *receiver.borrow_and_update();
            if let Some(reason) = current {
                return reason;
            }
            if receiver.changed().await.is_err() {
                // The sender lives as long as `self`: not reached.
                std::future::pending::<()>().await;
            }
        }
    }
}

/// Listens for SIGINT and SIGTERM for the rest of the process: the first stops the run,
/// the second exits at once with the signal's code.
pub(super) fn spawn_signal_listener(stop: Stop) -> tokio::task::JoinHandle<()> {
    tokio::spawn(listen(stop))
}

#[cfg(unix)]
async fn listen(stop: Stop) {
    use tokio::signal::unix::{SignalKind, signal};
    let (Ok(mut interrupt), Ok(mut terminate)) = (
        signal(SignalKind::interrupt()),
        signal(SignalKind::terminate()),
    ) else {
        return;
    };
    let mut seen = 0u32;
    loop {
        let reason = tokio::select! {
            received = interrupt.recv() => received.map(|()| StopReason::Interrupted),
            received = terminate.recv() => received.map(|()| StopReason::Terminated),
        };
        let Some(reason) = reason else {
            return;
        };
        seen += 1;
        if seen > 1 {
            std::process::exit(i32::from(reason.exit_code()));
        }
        stop.trigger(reason);
    }
}

#[cfg(not(unix))]
async fn listen(stop: Stop) {
    let mut seen = 0u32;
    while tokio::signal::ctrl_c().await.is_ok() {
        seen += 1;
        if seen > 1 {
            std::process::exit(i32::from(StopReason::Interrupted.exit_code()));
        }
        stop.trigger(StopReason::Interrupted);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn the_first_reason_stays_and_waiters_wake() {
        let stop = Stop::new();
        assert_eq!(stop.reason(), None);
        let waiter = tokio::spawn({
            let stop = stop.clone();
            async move { stop.stopped().await }
        });
        tokio::task::yield_now().await;
        stop.trigger(StopReason::WaitBudgetSpent);
        stop.trigger(StopReason::Terminated);
        assert_eq!(stop.reason(), Some(StopReason::WaitBudgetSpent));
        assert_eq!(waiter.await.unwrap(), StopReason::WaitBudgetSpent);
        assert_eq!(
            stop.stopped().await,
            StopReason::WaitBudgetSpent,
            "already stopped"
        );
    }
}
