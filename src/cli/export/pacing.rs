//! Pacing shared by every worker of an export (pure): when the next request may start and
//! how many may be in flight, from what the answers said.
//!
//! - The source's word first. `Retry-After` (or a spent budget) pauses every worker until
//!   the latest time any answer asked for. A budget that is not spent
//!   (`Beta-RateLimit: …;r=REMAINING;t=SECONDS`) spreads what remains over the time left:
//!   `t / r` between request starts.
//! - Learned pacing where the source says less. A refusal sets the spacing between request
//!   starts to what the source demonstrably allowed (the starts of the last second, or of
//!   the `Retry-After` span) and widens it by a quarter; it then narrows by 1 % per second
//!   of answered requests, so refusals stay rare (about one per half minute at most) while
//!   the rate creeps back up to the limit.
//! - Requests in flight follow AIMD: the window starts at 2 and grows by one per answer
//!   until the first refusal (slow start), then by 1/window per answer; a refusal or a
//!   failure halves it; it stays within 1..=`--concurrency`.
//! - One reaction per congestion event: answers to requests started before the last
//!   reaction do not shrink the window or widen the spacing again (they still extend the
//!   pause), so eight refusals of one burst count as one signal.
//!
//! Times are passed in (`Instant`), so tests step through scenarios without sleeping.

use std::collections::VecDeque;
use std::time::{Duration, Instant};

use super::ratelimit::Budget;

/// Fixed inputs of the pacing.
#[derive(Debug, Clone)]
pub(super) struct PacingConfig {
    /// `--concurrency`: the most requests in flight.
    pub max_in_flight: u32,
    /// `--max-wait`: the longest single pause, and the widest spacing.
    pub max_single_wait: Duration,
    /// First pause after a refusal that names no time; doubles per refusal in a row.
    pub base_backoff: Duration,
}

/// What a request that wants to start must do now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Decision {
    Go,
    /// The source asked everyone to wait until then.
    Paused(Instant),
    /// Spacing requests to stay under the rate: start then.
    Spaced(Instant),
    /// The window is full: wait for a request to finish.
    Full,
}

/// How a started request ended.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) enum Outcome {
    /// Any answer that is not flow control (a page, or a final error).
    Answered { budget: Option<Budget> },
    /// Flow control: 429, or 503 with `Retry-After`.
    Refused {
        retry_after: Option<Duration>,
        budget: Option<Budget>,
    },
    /// A timeout, a transport error or a transient 5xx.
    Failed,
    /// Given up by the caller (the run is stopping): no signal either way.
    Abandoned,
}

const INITIAL_WINDOW: f64 = 2.0;
/// Spacing kept per second of answered requests.
const NARROW_PER_SECOND: f64 = 0.99;
/// Spacing growth on a refusal.
const WIDEN: f64 = 1.25;
/// Below this, requests are not spaced at all (the timer's resolution). It must stay far
/// below any limit worth learning: a floor of 10 ms, widened on a refusal, once capped the
/// learned rate at 80 requests a second against a source that allowed 300.
const MIN_SPACING: Duration = Duration::from_millis(1);
/// The span over which allowed starts are counted is at least this, at most [`MAX_SPAN`].
const MIN_SPAN: Duration = Duration::from_secs(1);
const MAX_SPAN: Duration = Duration::from_secs(10);
/// Starts are remembered for [`MAX_SPAN`], at most this many (1,600 a second for the
/// longest span). A count cap below the source's rate times the span would cap the rate
/// the pacing can learn: 128 remembered starts once meant 128 a second at most.
const RECENT_STARTS: usize = 16_384;

#[derive(Debug)]
pub(super) struct Pacing {
    config: PacingConfig,
    window: f64,
    slow_start: bool,
    learned: Duration,
    from_budget: Duration,
    paused_until: Option<Instant>,
    last_start: Option<Instant>,
    in_flight: u32,
    refusals_in_a_row: u32,
    last_reaction: Option<Instant>,
    narrowed_at: Option<Instant>,
    recent_starts: VecDeque<Instant>,
}

impl Pacing {
    pub(super) fn new(config: PacingConfig) -> Self {
        let max = f64::from(config.max_in_flight.max(1));
        Pacing {
            config,
            window: INITIAL_WINDOW.min(max),
            slow_start: true,
            learned: Duration::ZERO,
            from_budget: Duration::ZERO,
            paused_until: None,
            last_start: None,
            in_flight: 0,
            refusals_in_a_row: 0,
            last_reaction: None,
            narrowed_at: None,
            recent_starts: VecDeque::new(),
        }
    }

    /// Current spacing between request starts.
    pub(super) fn spacing(&self) -> Duration {
        self.learned.max(self.from_budget)
    }

    /// Current number of requests allowed in flight.
    pub(super) fn window(&self) -> u32 {
        let max = self.config.max_in_flight.max(1);
        (self.window.floor() as u32).clamp(1, max)
    }

    pub(super) fn in_flight(&self) -> u32 {
        self.in_flight
    }

    /// The end of the source's pause, when it is still ahead.
    pub(super) fn paused_until(&self, now: Instant) -> Option<Instant> {
        self.paused_until.filter(|until| *until > now)
    }

    pub(super) fn decide(&self, now: Instant) -> Decision {
        if let Some(until) = self.paused_until(now) {
            return Decision::Paused(until);
        }
        if let Some(last) = self.last_start {
            let at = last + self.spacing();
            if at > now {
                return Decision::Spaced(at);
            }
        }
        if self.in_flight >= self.window() {
            return Decision::Full;
        }
        Decision::Go
    }

    /// A request starts now (after [`Decision::Go`]).
    pub(super) fn start(&mut self, now: Instant) {
        self.in_flight += 1;
        self.last_start = Some(now);
        self.recent_starts.push_back(now);
        let horizon = now.checked_sub(MAX_SPAN);
        while self.recent_starts.len() > RECENT_STARTS
            || self
                .recent_starts
                .front()
                .is_some_and(|at| horizon.is_some_and(|h| *at < h))
        {
            self.recent_starts.pop_front();
        }
    }

    /// The request started at `started` ended now with `outcome`.
    pub(super) fn finish(&mut self, now: Instant, started: Instant, outcome: Outcome) {
        self.in_flight = self.in_flight.saturating_sub(1);
        let fresh = self.last_reaction.is_none_or(|at| started >= at);
        match outcome {
            Outcome::Abandoned => {}
            Outcome::Answered { budget } => {
                self.refusals_in_a_row = 0;
                let max = f64::from(self.config.max_in_flight.max(1));
                let step = if self.slow_start {
                    1.0
                } else {
                    1.0 / self.window
                };
                self.window = (self.window + step).min(max);
                self.narrow(now);
                self.apply_budget(now, budget);
            }
            Outcome::Refused {
                retry_after,
                budget,
            } => {
                self.refusals_in_a_row = self.refusals_in_a_row.saturating_add(1);
                let spent_budget = budget.filter(|b| b.remaining == 0).map(|b| b.reset_in);
                let pause = retry_after
                    .or(spent_budget)
                    .unwrap_or_else(|| self.backoff());
                self.pause(now, pause);
                self.apply_budget(now, budget);
                if fresh {
                    self.react(now);
                    let span = pause.clamp(MIN_SPAN, MAX_SPAN);
                    let allowed = self.allowed_spacing(now, span);
                    self.learned = self
                        .learned
                        .max(allowed)
                        .max(MIN_SPACING)
                        .mul_f64(WIDEN)
                        .min(self.config.max_single_wait);
                    // Narrowing resumes once the pause is over.
                    self.narrowed_at = self.paused_until;
                }
            }
            Outcome::Failed => {
                if fresh {
                    self.react(now);
                }
            }
        }
    }

    /// Halves the window once for this congestion event.
    fn react(&mut self, now: Instant) {
        self.last_reaction = Some(now);
        self.slow_start = false;
        self.window = (self.window / 2.0).max(1.0);
    }

    fn pause(&mut self, now: Instant, wait: Duration) {
        let until = now + wait.min(self.config.max_single_wait);
        self.paused_until = Some(self.paused_until.map_or(until, |p| p.max(until)));
    }

    fn apply_budget(&mut self, now: Instant, budget: Option<Budget>) {
        let Some(budget) = budget else {
            return;
        };
        match budget.spacing() {
            None => {
                self.pause(now, budget.reset_in);
                self.from_budget = Duration::ZERO;
            }
            Some(spacing) => self.from_budget = spacing.min(self.config.max_single_wait),
        }
    }

    /// Learned spacing shrinks by 1 % per second since it last shrank.
    fn narrow(&mut self, now: Instant) {
        let since = match self.narrowed_at {
            Some(at) if now > at => now - at,
            Some(_) => return,
            None => Duration::ZERO,
        };
        self.narrowed_at = Some(now);
        self.learned = self
            .learned
            .mul_f64(NARROW_PER_SECOND.powf(since.as_secs_f64()));
        if self.learned < MIN_SPACING {
            self.learned = Duration::ZERO;
        }
    }

    /// The spacing of the starts within `span` before now (the refused one included).
    fn allowed_spacing(&self, now: Instant, span: Duration) -> Duration {
        let from = now.checked_sub(span);
        let starts = self
            .recent_starts
            .iter()
            .filter(|at| from.is_none_or(|from| **at > from))
            .count();
        match u32::try_from(starts) {
            Ok(count) if count > 0 => span / count,
            _ => Duration::ZERO,
        }
    }

    /// Pause after a refusal that names no time: base × 2^(refusals in a row − 1), capped.
    fn backoff(&self) -> Duration {
        let exponent = self.refusals_in_a_row.saturating_sub(1).min(16);
        self.config
            .base_backoff
            .saturating_mul(1 << exponent)
            .min(self.config.max_single_wait)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(max_in_flight: u32) -> PacingConfig {
        PacingConfig {
            max_in_flight,
            max_single_wait: Duration::from_secs(30),
            base_backoff: Duration::from_millis(500),
        }
    }

    fn ms(n: u64) -> Duration {
        Duration::from_millis(n)
    }

    fn refused(retry_after_ms: Option<u64>) -> Outcome {
        Outcome::Refused {
            retry_after: retry_after_ms.map(ms),
            budget: None,
        }
    }

    const ANSWERED: Outcome = Outcome::Answered { budget: None };

    #[test]
    fn unpaced_until_told_otherwise_with_a_slow_start_window() {
        let t0 = Instant::now();
        let mut pacing = Pacing::new(config(8));
        assert_eq!(pacing.decide(t0), Decision::Go);
        pacing.start(t0);
        pacing.start(t0);
        assert_eq!(pacing.decide(t0), Decision::Full, "starts with 2 in flight");
        pacing.finish(t0, t0, ANSWERED);
        pacing.finish(t0, t0, ANSWERED);
        assert_eq!(pacing.window(), 4, "slow start: +1 per answer");
        for _ in 0..10 {
            pacing.start(t0);
            pacing.finish(t0, t0, ANSWERED);
        }
        assert_eq!(pacing.window(), 8, "never above --concurrency");
        assert_eq!(pacing.spacing(), Duration::ZERO);
    }

    #[test]
    fn the_longest_retry_after_pauses_everyone_capped_by_max_wait() {
        let t0 = Instant::now();
        let mut pacing = Pacing::new(config(8));
        for _ in 0..3 {
            pacing.start(t0);
        }
        pacing.finish(t0 + ms(10), t0, refused(Some(2000)));
        pacing.finish(t0 + ms(20), t0, refused(Some(5000)));
        pacing.finish(t0 + ms(30), t0, refused(Some(1000)));
        let until = t0 + ms(5020);
        assert_eq!(pacing.decide(t0 + ms(100)), Decision::Paused(until));
        assert_eq!(pacing.decide(t0 + ms(4000)), Decision::Paused(until));
        assert_ne!(pacing.decide(until), Decision::Paused(until));
        pacing.start(until);
        pacing.finish(until, until, refused(Some(3_600_000)));
        assert_eq!(
            pacing.paused_until(until),
            Some(until + Duration::from_secs(30)),
            "capped by --max-wait"
        );
    }

    #[test]
    fn one_burst_of_refusals_halves_the_window_once() {
        let t0 = Instant::now();
        let mut pacing = Pacing::new(config(16));
        for _ in 0..20 {
            pacing.start(t0);
            pacing.finish(t0, t0, ANSWERED);
        }
        assert_eq!(pacing.window(), 16);
        let burst = t0 + ms(1);
        for _ in 0..8 {
            pacing.start(burst);
        }
        for i in 0..8 {
            pacing.finish(burst + ms(5 + i), burst, refused(Some(1000)));
        }
        assert_eq!(pacing.window(), 8, "halved once, not 8 times");
        // A refusal of a request started after that reaction is a new signal.
        let later = burst + ms(2000);
        pacing.start(later);
        pacing.finish(later + ms(5), later, refused(Some(1000)));
        assert_eq!(pacing.window(), 4);
        // Answers grow the window back by 1/window each (no slow start any more).
        let after = later + ms(3000);
        for _ in 0..4 {
            pacing.start(after);
            pacing.finish(after, after, ANSWERED);
        }
        assert_eq!(pacing.window(), 4, "4 + 4 × ~1/4 stays below 5");
        for _ in 0..2 {
            pacing.start(after);
            pacing.finish(after, after, ANSWERED);
        }
        assert_eq!(pacing.window(), 5);
    }

    #[test]
    fn a_refusal_spaces_starts_to_what_the_source_allowed() {
        let t0 = Instant::now();
        let mut pacing = Pacing::new(config(8));
        // Three starts within a second, the third refused with Retry-After: 1.
        for i in 0..2 {
            pacing.start(t0 + ms(100 * i));
            pacing.finish(t0 + ms(100 * i + 50), t0 + ms(100 * i), ANSWERED);
        }
        pacing.start(t0 + ms(200));
        pacing.finish(t0 + ms(200), t0 + ms(200), refused(Some(1000)));
        assert_eq!(pacing.spacing(), (ms(1000) / 3).mul_f64(WIDEN));
        // After the pause, starts are spaced.
        let resume = t0 + ms(1200);
        assert_eq!(pacing.decide(resume), Decision::Go);
        pacing.start(resume);
        pacing.finish(resume + ms(5), resume, ANSWERED);
        assert_eq!(
            pacing.decide(resume + ms(10)),
            Decision::Spaced(resume + pacing.spacing())
        );
        // Answered requests narrow the spacing, by 1 % per second, down to none.
        let before = pacing.spacing();
        pacing.start(resume + ms(2000));
        pacing.finish(resume + ms(2005), resume + ms(2000), ANSWERED);
        assert!(pacing.spacing() < before);
        let much_later = resume + Duration::from_secs(1000);
        pacing.start(much_later);
        pacing.finish(much_later, much_later, ANSWERED);
        assert_eq!(pacing.spacing(), Duration::ZERO);
    }

    #[test]
    fn a_budget_spreads_what_remains_and_a_spent_one_pauses() {
        let t0 = Instant::now();
        let mut pacing = Pacing::new(config(8));
        pacing.start(t0);
        let budget = Some(Budget {
            remaining: 4,
            reset_in: Duration::from_secs(2),
        });
        pacing.finish(t0 + ms(5), t0, Outcome::Answered { budget });
        assert_eq!(pacing.decide(t0 + ms(5)), Decision::Spaced(t0 + ms(500)));
        pacing.start(t0 + ms(500));
        let spent = Some(Budget {
            remaining: 0,
            reset_in: Duration::from_secs(3),
        });
        pacing.finish(
            t0 + ms(505),
            t0 + ms(500),
            Outcome::Answered { budget: spent },
        );
        assert_eq!(
            pacing.decide(t0 + ms(600)),
            Decision::Paused(t0 + ms(3505)),
            "a spent budget pauses before any refusal"
        );
        assert_eq!(pacing.window(), 4, "answers are not refusals");
    }

    #[test]
    fn refusals_without_a_time_back_off_exponentially() {
        let t0 = Instant::now();
        let mut pacing = Pacing::new(config(1));
        let mut now = t0;
        for expected_ms in [500, 1000, 2000, 4000] {
            pacing.start(now);
            pacing.finish(now, now, refused(None));
            assert_eq!(pacing.paused_until(now), Some(now + ms(expected_ms)));
            now += ms(expected_ms);
        }
        pacing.start(now);
        pacing.finish(now, now, ANSWERED);
        pacing.start(now);
        pacing.finish(now, now, refused(None));
        assert_eq!(
            pacing.paused_until(now),
            Some(now + ms(500)),
            "reset by an answer"
        );
    }

    #[test]
    fn failures_halve_the_window_without_pausing() {
        let t0 = Instant::now();
        let mut pacing = Pacing::new(config(8));
        for _ in 0..10 {
            pacing.start(t0);
            pacing.finish(t0, t0, ANSWERED);
        }
        pacing.start(t0);
        pacing.finish(t0 + ms(1), t0, Outcome::Failed);
        assert_eq!(pacing.window(), 4);
        assert_eq!(pacing.decide(t0 + ms(1)), Decision::Go);
        pacing.start(t0 + ms(1));
        pacing.finish(t0 + ms(2), t0 + ms(1), Outcome::Abandoned);
        assert_eq!(pacing.in_flight(), 0);
        assert_eq!(pacing.window(), 4, "abandoned requests say nothing");
    }

    /// A token bucket (Atlassian's burst limit, as the stand-in models it): `rate` a second,
    /// `burst` deep; a refusal says `Retry-After` in whole seconds, at least 1. Each request
    /// takes `took`. Returns (elapsed, refusals) for `answers` answered requests.
    fn against_a_bucket(rate: f64, burst: f64, took: Duration, answers: u32) -> (f64, u32) {
        let t0 = Instant::now();
        let mut pacing = Pacing::new(config(4));
        let (mut tokens, mut refilled) = (burst, t0);
        let (mut now, mut answered, mut refusals) = (t0, 0u32, 0u32);
        let mut ends: Vec<(Instant, Instant, bool, u64)> = Vec::new();
        while answered < answers {
            // Requests end in the order they were started (all take `took`).
            ends.sort_by_key(|e| e.0);
            match pacing.decide(now) {
                Decision::Paused(at) | Decision::Spaced(at) => {
                    while ends.first().is_some_and(|e| e.0 <= at) {
                        let (end, started, ok, wait) = ends.remove(0);
                        finish(&mut pacing, end, started, ok, wait, &mut answered);
                    }
                    now = now.max(at);
                    continue;
                }
                Decision::Full => {
                    let (end, started, ok, wait) = ends.remove(0);
                    now = now.max(end);
                    finish(&mut pacing, end, started, ok, wait, &mut answered);
                    continue;
                }
                Decision::Go => {}
            }
            pacing.start(now);
            tokens = (tokens + (now - refilled).as_secs_f64() * rate).min(burst);
            refilled = now;
            if tokens >= 1.0 {
                tokens -= 1.0;
                ends.push((now + took, now, true, 0));
            } else {
                refusals += 1;
                let wait = ((1.0 - tokens) / rate).ceil().max(1.0) as u64;
                ends.push((now + took, now, false, wait));
            }
        }
        ((now - t0).as_secs_f64(), refusals)
    }

    fn finish(
        pacing: &mut Pacing,
        end: Instant,
        started: Instant,
        ok: bool,
        wait_s: u64,
        answered: &mut u32,
    ) {
        match ok {
            true => {
                *answered += 1;
                pacing.finish(end, started, ANSWERED);
            }
            false => pacing.finish(end, started, refused(Some(wait_s * 1000))),
        }
    }

    /// Whatever the limit, the run stays near the bucket's minimum time, (answers − burst)
    /// / rate: a learned rate never has a floor or a cap of its own.
    #[test]
    fn against_a_token_bucket_the_run_stays_near_the_limit_at_any_rate() {
        for (rate, took_ms) in [(20.0, 40), (100.0, 3), (300.0, 3), (600.0, 2)] {
            let answers = (rate * 60.0) as u32;
            let (elapsed, refusals) = against_a_bucket(rate, rate, ms(took_ms), answers);
            let minimum = (f64::from(answers) - rate) / rate;
            assert!(
                elapsed <= minimum * 1.2,
                "{rate}/s: {elapsed:.1}s against a minimum of {minimum:.1}s \
                 ({refusals} refusals)"
            );
            assert!(
                f64::from(refusals) <= f64::from(answers) * 0.01,
                "{rate}/s: {refusals} refusals for {answers} answers"
            );
        }
    }

    /// A source that admits 2 requests in any second and answers the rest 429 with
    /// `Retry-After: 1` (no budget headers): the pacing learns the rate, refusals stay
    /// rare and the run stays close to the limit.
    #[test]
    fn against_a_two_per_second_limit_refusals_are_rare() {
        let t0 = Instant::now();
        let mut pacing = Pacing::new(config(8));
        let mut admitted: VecDeque<Instant> = VecDeque::new();
        let (mut now, mut answered, mut refusals) = (t0, 0u32, 0u32);
        while answered < 200 {
            match pacing.decide(now) {
                Decision::Paused(at) | Decision::Spaced(at) => {
                    now = at;
                    continue;
                }
                Decision::Full => unreachable!("every request ends at once here"),
                Decision::Go => {}
            }
            pacing.start(now);
            while admitted.front().is_some_and(|at| *at + ms(1000) <= now) {
                admitted.pop_front();
            }
            if admitted.len() < 2 {
                admitted.push_back(now);
                answered += 1;
                pacing.finish(now, now, ANSWERED);
            } else {
                refusals += 1;
                pacing.finish(now, now, refused(Some(1000)));
            }
        }
        let elapsed = (now - t0).as_secs_f64();
        assert!(refusals <= 20, "{refusals} refusals for 200 answers");
        assert!(
            elapsed <= 200.0 / 2.0 / 0.7,
            "{elapsed:.1}s: below 70 % of the limit"
        );
    }
}
