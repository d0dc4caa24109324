//! What a person watching sees on stderr while an export runs: one status line for the
//! whole run — items, pages, listings done/total, the rate over the last ten seconds (it
//! falls to 0 when nothing arrives), a rough ETA, the current wait for the rate limit, and
//! the time since the last page — as a live line on a terminal, or as a plain line every ten
//! seconds otherwise (CI, pipes, files); plus one line per failed listing. Nothing is
//! printed per page or per finished listing. The line itself is the pure [`status_line`].

use std::collections::VecDeque;
use std::io::IsTerminal;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, PoisonError};
use std::time::{Duration, Instant};

use indicatif::{ProgressBar, ProgressStyle};

use super::durations::human;
use super::gate::GateView;
use super::summary::{Event, StopReason, group_digits};

/// Plain mode prints the status this often.
const PLAIN_EVERY: Duration = Duration::from_secs(10);
/// The rate is measured over this span.
const RATE_SPAN: Duration = Duration::from_secs(10);
/// The time since the last page is shown once it exceeds this.
const STALL_AFTER: Duration = Duration::from_secs(5);

/// Live counts of the run, updated by the workers.
#[derive(Debug)]
pub(super) struct Counters {
    started: Instant,
    items: AtomicU64,
    pages: AtomicU64,
    listings_total: AtomicU64,
    listings_finished: AtomicU64,
    /// Listings finished by work in this run (not already done before), for the ETA.
    listings_worked: AtomicU64,
    listings_failed: AtomicU64,
    requests: AtomicU64,
    refused: AtomicU64,
    errors: AtomicU64,
    /// Milliseconds after `started` of the last committed page, plus one (0: none yet).
    last_page_ms: AtomicU64,
}

impl Counters {
    fn new() -> Self {
        Counters {
            started: Instant::now(),
            items: AtomicU64::new(0),
            pages: AtomicU64::new(0),
            listings_total: AtomicU64::new(0),
            listings_finished: AtomicU64::new(0),
            listings_worked: AtomicU64::new(0),
            listings_failed: AtomicU64::new(0),
            requests: AtomicU64::new(0),
            refused: AtomicU64::new(0),
            errors: AtomicU64::new(0),
            last_page_ms: AtomicU64::new(0),
        }
    }

    /// Items and pages committed by earlier runs.
    pub(super) fn resumed_from(&self, items: u64, pages: u64) {
        self.items.fetch_add(items, Ordering::Relaxed);
        self.pages.fetch_add(pages, Ordering::Relaxed);
    }

    pub(super) fn note(&self, event: Event) {
        let counter = match event {
            Event::Sent => &self.requests,
            Event::Refused => &self.refused,
            Event::Failed | Event::TimedOut => &self.errors,
        };
        counter.fetch_add(1, Ordering::Relaxed);
    }

    pub(super) fn page_committed(&self, items: u64) {
        self.items.fetch_add(items, Ordering::Relaxed);
        self.pages.fetch_add(1, Ordering::Relaxed);
        let ms = u64::try_from(self.started.elapsed().as_millis()).unwrap_or(u64::MAX - 1);
        self.last_page_ms.store(ms + 1, Ordering::Relaxed);
    }

    pub(super) fn listings_planned(&self, count: u64) {
        self.listings_total.fetch_add(count, Ordering::Relaxed);
    }

    pub(super) fn listing_finished(&self, worked: bool, failed: bool) {
        self.listings_finished.fetch_add(1, Ordering::Relaxed);
        if worked {
            self.listings_worked.fetch_add(1, Ordering::Relaxed);
        }
        if failed {
            self.listings_failed.fetch_add(1, Ordering::Relaxed);
        }
    }

    fn get(counter: &AtomicU64) -> u64 {
        counter.load(Ordering::Relaxed)
    }
}

/// Everything the status line shows.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct Status {
    pub items: u64,
    pub pages: u64,
    pub listings_finished: u64,
    pub listings_total: u64,
    pub listings_failed: u64,
    /// Items per second over the last seconds.
    pub rate: f64,
    pub eta: Option<Duration>,
    pub pause_left: Option<Duration>,
    /// Requests in flight, and how many the pacing allows now.
    pub in_flight: u32,
    pub window: u32,
    /// Spacing between request starts (0: not spaced).
    pub spacing: Duration,
    /// Time since the last page (or since the start, before the first one).
    pub since_last_page: Duration,
    pub refused: u64,
    pub errors: u64,
    pub stopping: Option<StopReason>,
}

/// `items 12,345 · pages 130 · listings 17/40 · 230.5 items/s · ETA 3m 10s · …`
pub(super) fn status_line(status: &Status) -> String {
    let mut parts = Vec::new();
    if let Some(reason) = status.stopping {
        parts.push(format!(
            "{}: finishing the pages in hand (again to quit at once)",
            reason.describe()
        ));
    }
    parts.push(format!("items {}", group_digits(status.items)));
    parts.push(format!("pages {}", group_digits(status.pages)));
    let mut listings = format!(
        "listings {}/{}",
        group_digits(status.listings_finished),
        group_digits(status.listings_total)
    );
    if status.listings_failed > 0 {
        listings.push_str(&format!(
            " ({} failed)",
            group_digits(status.listings_failed)
        ));
    }
    parts.push(listings);
    parts.push(format!("{:.1} items/s", status.rate));
    if let Some(eta) = status.eta {
        parts.push(format!("ETA ~{}", human(eta)));
    }
    let mut pace = format!("in flight {}/{}", status.in_flight, status.window);
    if !status.spacing.is_zero() {
        pace.push_str(&format!(", {:.2}s apart", status.spacing.as_secs_f64()));
    }
    parts.push(pace);
    if status.refused > 0 || status.errors > 0 {
        parts.push(format!(
            "refused {} · failed requests {}",
            group_digits(status.refused),
            group_digits(status.errors)
        ));
    }
    if let Some(pause) = status.pause_left {
        parts.push(format!("rate limit: waiting {}", human(pause)));
    }
    if status.since_last_page >= STALL_AFTER {
        parts.push(format!("no page for {}", human(status.since_last_page)));
    }
    parts.join(" · ")
}

/// Items per second over the last [`RATE_SPAN`], from samples taken once a tick.
#[derive(Debug, Default)]
pub(super) struct RateMeter {
    samples: VecDeque<(Duration, u64)>,
}

impl RateMeter {
    /// Records `items` at `at` (time since the start); returns the rate.
    pub(super) fn record(&mut self, at: Duration, items: u64) -> f64 {
        self.samples.push_back((at, items));
        while self
            .samples
            .front()
            .is_some_and(|(first, _)| at.saturating_sub(*first) > RATE_SPAN)
        {
            self.samples.pop_front();
        }
        let Some(&(first_at, first_items)) = self.samples.front() else {
            return 0.0;
        };
        let span = at.saturating_sub(first_at).as_secs_f64();
        match span > 0.0 {
            true => items.saturating_sub(first_items) as f64 / span,
            false => 0.0,
        }
    }
}

/// A rough time to finish: the listings left at the pace of the listings worked so far.
pub(super) fn eta(worked: u64, left: u64, elapsed: Duration) -> Option<Duration> {
    if worked == 0 || left == 0 {
        return None;
    }
    let per_listing = elapsed.as_secs_f64() / worked as f64;
    Duration::try_from_secs_f64(per_listing * left as f64).ok()
}

/// The progress display of a run.
pub(super) struct Progress {
    pub counters: Counters,
    bar: Option<ProgressBar>,
    meter: Mutex<RateMeter>,
    last_plain: Mutex<Option<Instant>>,
}

impl Progress {
    /// A live line when stderr is a terminal, plain lines otherwise.
    pub(super) fn for_stderr() -> Self {
        let bar = std::io::stderr().is_terminal().then(|| {
            let bar = ProgressBar::new_spinner();
            let style = ProgressStyle::with_template("{spinner} {wide_msg}")
                .unwrap_or_else(|_| ProgressStyle::default_spinner());
            bar.set_style(style);
            bar.enable_steady_tick(Duration::from_millis(200));
            bar
        });
        Progress {
            counters: Counters::new(),
            bar,
            meter: Mutex::new(RateMeter::default()),
            last_plain: Mutex::new(None),
        }
    }

    /// A line above the status (a failed listing, a banner).
    pub(super) fn note(&self, text: &str) {
        match &self.bar {
            Some(bar) => bar.println(text),
            None => eprintln!("{text}"),
        }
    }

    /// Refreshes the status; called about once a second.
    pub(super) fn tick(&self, gate: &GateView, stopping: Option<StopReason>) {
        let status = self.status(gate, stopping);
        let line = status_line(&status);
        match &self.bar {
            Some(bar) => bar.set_message(line),
            None => {
                let mut last = self
                    .last_plain
                    .lock()
                    .unwrap_or_else(PoisonError::into_inner);
                let due = last.is_none_or(|at| at.elapsed() >= PLAIN_EVERY);
                if due {
                    *last = Some(Instant::now());
                    eprintln!("export: {line}");
                }
            }
        }
    }

    fn status(&self, gate: &GateView, stopping: Option<StopReason>) -> Status {
        let c = &self.counters;
        let elapsed = c.started.elapsed();
        let items = Counters::get(&c.items);
        let rate = self
            .meter
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .record(elapsed, items);
        let finished = Counters::get(&c.listings_finished);
        let total = Counters::get(&c.listings_total);
        let last_page = match Counters::get(&c.last_page_ms) {
            0 => Duration::ZERO,
            ms => Duration::from_millis(ms - 1),
        };
        Status {
            items,
            pages: Counters::get(&c.pages),
            listings_finished: finished,
            listings_total: total,
            listings_failed: Counters::get(&c.listings_failed),
            rate,
            eta: eta(
                Counters::get(&c.listings_worked),
                total.saturating_sub(finished),
                elapsed,
            ),
            pause_left: gate.pause_left,
            in_flight: gate.in_flight,
            window: gate.window,
            spacing: gate.spacing,
            since_last_page: elapsed.saturating_sub(last_page),
            refused: Counters::get(&c.refused),
            errors: Counters::get(&c.errors),
            stopping,
        }
    }

    /// Clears the live line before the summary is printed.
    pub(super) fn finish(&self) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn secs(n: u64) -> Duration {
        Duration::from_secs(n)
    }

    #[test]
    fn the_rate_falls_to_zero_when_nothing_arrives() {
        let mut meter = RateMeter::default();
        let mut rate = 0.0;
        for second in 0..=10 {
            rate = meter.record(secs(second), second * 100);
        }
        assert!((rate - 100.0).abs() < 1e-9, "{rate}");
        for second in 11..=15 {
            rate = meter.record(secs(second), 1000);
        }
        assert!(
            (rate - 50.0).abs() < 1e-9,
            "half the window stalled: {rate}"
        );
        for second in 16..=30 {
            rate = meter.record(secs(second), 1000);
        }
        assert!(rate.abs() < 1e-9, "stalled: {rate}");
    }

    #[test]
    fn the_status_line_shows_waits_and_stalls() {
        let status = Status {
            items: 12_345,
            pages: 130,
            listings_finished: 17,
            listings_total: 40,
            listings_failed: 1,
            rate: 0.0,
            eta: eta(17, 23, secs(170)),
            pause_left: Some(Duration::from_millis(2000)),
            in_flight: 1,
            window: 2,
            spacing: Duration::from_millis(550),
            since_last_page: secs(42),
            refused: 3,
            errors: 0,
            stopping: None,
        };
        assert_eq!(
            status_line(&status),
            "items 12,345 · pages 130 · listings 17/40 (1 failed) · 0.0 items/s · ETA ~3m 50s \
             · in flight 1/2, 0.55s apart · refused 3 · failed requests 0 · rate limit: waiting \
             2.0s · no page for 42.0s"
        );
        let calm = Status {
            listings_failed: 0,
            eta: None,
            pause_left: None,
            spacing: Duration::ZERO,
            since_last_page: secs(1),
            refused: 0,
            stopping: Some(StopReason::Terminated),
            ..status
        };
        assert_eq!(
            status_line(&calm),
            "stopped by SIGTERM: finishing the pages in hand (again to quit at once) · \
             items 12,345 · pages 130 · listings 17/40 · 0.0 items/s · in flight 1/2"
        );
        assert_eq!(eta(0, 5, secs(10)), None);
    }
}
