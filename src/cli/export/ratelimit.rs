//! What the source says about its rate limit, read from an answer's headers: `Retry-After`,
//! the RateLimit fields Atlassian sends as `Beta-RateLimit` (`"quota";r=REMAINING;t=SECONDS`,
//! the IETF draft syntax, also accepted as `RateLimit`, and the older
//! `limit=…, remaining=…, reset=…` form), and the `X-RateLimit-Remaining` +
//! `X-RateLimit-Reset` (or `RateLimit-Remaining` + `RateLimit-Reset`) pairs, whose reset is
//! seconds, a Unix time or an ISO 8601 time.
//!
//! Pure: header pairs and the current Unix time in, durations out. A header that cannot be
//! read is ignored: an unfamiliar header never stops an export.

use std::time::Duration;

/// What one answer says about the rate limit.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub(super) struct RateSignals {
    /// `Retry-After`, seconds form (Atlassian does not send the HTTP-date form).
    pub retry_after: Option<Duration>,
    /// The tightest budget the answer announced.
    pub budget: Option<Budget>,
}

/// `remaining` requests (or points) may be spent until the budget is replenished in
/// `reset_in`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) struct Budget {
    pub remaining: u64,
    pub reset_in: Duration,
}

impl Budget {
    /// The spacing between request starts that spreads what remains over the time left;
    /// `None` when the budget is spent.
    pub(super) fn spacing(&self) -> Option<Duration> {
        let remaining = u32::try_from(self.remaining).unwrap_or(u32::MAX);
        (remaining > 0).then(|| self.reset_in / remaining)
    }

    /// The tighter of two budgets: a spent one (the later reset) before any other, else the
    /// one that asks for the wider spacing.
    fn tighter(self, other: Budget) -> Budget {
        match (self.spacing(), other.spacing()) {
            (None, None) if other.reset_in > self.reset_in => other,
            (None, _) => self,
            (_, None) => other,
            (Some(mine), Some(theirs)) if theirs > mine => other,
            _ => self,
        }
    }
}

/// Reads the rate-limit headers among `headers` (names in any case). `now_unix` turns an
/// absolute reset time into a duration.
pub(super) fn read<'a>(
    headers: impl IntoIterator<Item = (&'a str, &'a str)>,
    now_unix: f64,
) -> RateSignals {
    let mut signals = RateSignals::default();
    let mut budgets: Vec<Budget> = Vec::new();
    // (remaining, reset) of the `X-RateLimit-*` and the `RateLimit-*` pairs.
    let mut pairs: [(Option<u64>, Option<Duration>); 2] = [(None, None), (None, None)];
    for (name, value) in headers {
        match name.to_ascii_lowercase().as_str() {
            "retry-after" => {
                if let Some(wait) = parse_retry_after(value) {
                    signals.retry_after = Some(signals.retry_after.map_or(wait, |w| w.max(wait)));
                }
            }
            "beta-ratelimit" | "ratelimit" => budgets.extend(parse_fields(value)),
            "x-ratelimit-remaining" => pairs[0].0 = parse_count(value),
            "x-ratelimit-reset" => pairs[0].1 = parse_reset(value, now_unix),
            "ratelimit-remaining" => pairs[1].0 = parse_count(value),
            "ratelimit-reset" => pairs[1].1 = parse_reset(value, now_unix),
            _ => {}
        }
    }
    for pair in pairs {
        if let (Some(remaining), Some(reset_in)) = pair {
            budgets.push(Budget {
                remaining,
                reset_in,
            });
        }
    }
    signals.budget = budgets.into_iter().reduce(Budget::tighter);
    signals
}

/// `Retry-After` in seconds (fractions accepted); the HTTP-date form is treated as absent.
pub(super) fn parse_retry_after(value: &str) -> Option<Duration> {
    seconds(value.trim())
}

/// Budgets in a RateLimit field: list members separated by `,`, each with `;` parameters;
/// `r`/`remaining` and `t`/`reset` (seconds) are read, anything else is ignored. The old
/// dictionary form (`limit=10, remaining=5, reset=3`) spreads one budget over the members.
fn parse_fields(value: &str) -> Vec<Budget> {
    let mut budgets = Vec::new();
    let mut loose: (Option<u64>, Option<Duration>) = (None, None);
    for member in value.split(',') {
        let mut found: (Option<u64>, Option<Duration>) = (None, None);
        for part in member.split(';') {
            let Some((key, raw)) = part.split_once('=') else {
                continue;
            };
            let raw = raw.trim().trim_matches('"');
            match key.trim().to_ascii_lowercase().as_str() {
                "r" | "remaining" => found.0 = parse_count(raw),
                "t" | "reset" => found.1 = seconds(raw),
                _ => {}
            }
        }
        match found {
            (Some(remaining), Some(reset_in)) => budgets.push(Budget {
                remaining,
                reset_in,
            }),
            (remaining, reset) => {
                loose.0 = loose.0.or(remaining);
                loose.1 = loose.1.or(reset);
            }
        }
    }
    if let (Some(remaining), Some(reset_in)) = loose {
        budgets.push(Budget {
            remaining,
            reset_in,
        });
    }
    budgets
}

fn parse_count(value: &str) -> Option<u64> {
    let value = value.trim();
    if let Ok(count) = value.parse::<u64>() {
        return Some(count);
    }
    // A negative or fractional count: nothing (or what is left of one) remains.
    let number: f64 = value.parse().ok()?;
    if !number.is_finite() {
        return None;
    }
    Some(number.max(0.0).floor() as u64)
}

/// A reset given as seconds from now, as a Unix time (large numbers), or as an ISO 8601 time.
fn parse_reset(value: &str, now_unix: f64) -> Option<Duration> {
    let value = value.trim();
    let at = match value.parse::<f64>() {
        Ok(number) if number.is_finite() && number > 1_000_000_000.0 => number,
        Ok(_) => return seconds(value),
        Err(_) => unix_from_iso8601(value)?,
    };
    Duration::try_from_secs_f64((at - now_unix).max(0.0)).ok()
}

/// A non-negative, finite number of seconds.
fn seconds(value: &str) -> Option<Duration> {
    let number: f64 = value.parse().ok()?;
    if !number.is_finite() || number < 0.0 {
        return None;
    }
    Duration::try_from_secs_f64(number).ok()
}

/// `2026-03-26T16:00Z`, `2024-05-06T16:18:03.221Z`, `2024-05-06T18:18:03+02:00` → Unix time.
pub(super) fn unix_from_iso8601(text: &str) -> Option<f64> {
    let (date, rest) = text.trim().split_once(['T', 't', ' '])?;
    let mut parts = date.split('-');
    let year: i64 = parts.next()?.parse().ok()?;
    let month: u32 = parts.next()?.parse().ok()?;
    let day: u32 = parts.next()?.parse().ok()?;
    if parts.next().is_some() || !(1..=12).contains(&month) || !(1..=31).contains(&day) {
        return None;
    }
    let (time, offset) = match rest.strip_suffix('Z').or_else(|| rest.strip_suffix('z')) {
        Some(time) => (time, 0.0),
        None => {
            let at = rest.rfind(['+', '-'])?;
            let (time, zone) = rest.split_at(at);
            let sign = if zone.starts_with('-') { -1.0 } else { 1.0 };
            let zone = zone[1..].replace(':', "");
            if zone.len() != 4 || !zone.bytes().all(|b| b.is_ascii_digit()) {
                return None;
            }
            let hours: f64 = zone[..2].parse().ok()?;
            let minutes: f64 = zone[2..].parse().ok()?;
            (time, sign * (hours * 3600.0 + minutes * 60.0))
        }
    };
    let mut fields = time.split(':');
    let hour: u32 = fields.next()?.parse().ok()?;
    let minute: u32 = fields.next()?.parse().ok()?;
    let second: f64 = match fields.next() {
        Some(text) => text.parse().ok()?,
        None => 0.0,
    };
    if fields.next().is_some() || hour > 23 || minute > 59 || !(0.0..61.0).contains(&second) {
        return None;
    }
    let days = days_from_civil(year, month, day);
    Some(days as f64 * 86_400.0 + f64::from(hour * 3600 + minute * 60) + second - offset)
}

/// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's algorithm).
fn days_from_civil(year: i64, month: u32, day: u32) -> i64 {
    let year = if month <= 2 { year - 1 } else { year };
    let era = year.div_euclid(400);
    let year_of_era = year - era * 400;
    let month = i64::from(month);
    let shifted_month = if month > 2 { month - 3 } else { month + 9 };
    let day_of_year = (153 * shifted_month + 2) / 5 + i64::from(day) - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    era * 146_097 + day_of_era - 719_468
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: f64 = 1_774_540_000.0; // 2026-03-26T15:46:40Z

    fn signals(headers: &[(&str, &str)]) -> RateSignals {
        read(headers.iter().copied(), NOW)
    }

    fn budget(remaining: u64, seconds: f64) -> Option<Budget> {
        Some(Budget {
            remaining,
            reset_in: Duration::from_secs_f64(seconds),
        })
    }

    #[test]
    fn retry_after_seconds_are_read_and_dates_ignored() {
        let cases = [
            ("2", Some(Duration::from_secs(2))),
            (" 0.5 ", Some(Duration::from_millis(500))),
            ("Wed, 21 Oct 2015 07:28:00 GMT", None),
            ("-1", None),
            ("NaN", None),
        ];
        for (value, expected) in cases {
            assert_eq!(parse_retry_after(value), expected, "Retry-After: {value:?}");
        }
        let two = signals(&[("Retry-After", "2"), ("retry-after", "5")]);
        assert_eq!(two.retry_after, Some(Duration::from_secs(5)), "the longest");
    }

    #[test]
    fn atlassian_beta_ratelimit_budgets_are_read() {
        let read = signals(&[
            (
                "beta-ratelimit-policy",
                "\"tenant-app-quota\";q=100100;w=3600",
            ),
            ("beta-ratelimit", "\"tenant-app-quota\";r=17842;t=2107"),
            ("x-beta-ratelimit-nearlimit", "true"),
        ]);
        assert_eq!(read.budget, budget(17842, 2107.0));
        assert_eq!(read.retry_after, None);
        let spent = signals(&[
            ("Beta-RateLimit", "\"tenant-app-quota\";r=0;t=2788"),
            ("Retry-After", "30"),
        ]);
        assert_eq!(spent.budget, budget(0, 2788.0));
        assert_eq!(spent.retry_after, Some(Duration::from_secs(30)));
    }

    #[test]
    fn the_tightest_of_several_budgets_wins() {
        // Two members: the spent one wins over any other.
        let read = signals(&[("RateLimit", "\"burst\";r=5;t=1, \"hour\";r=0;t=600")]);
        assert_eq!(read.budget, budget(0, 600.0));
        // None spent: the one asking for the wider spacing (10/100 s beats 1/50 s).
        let read = signals(&[
            ("ratelimit", "\"a\";r=50;t=1"),
            ("beta-ratelimit", "\"b\";r=10;t=100"),
        ]);
        assert_eq!(read.budget, budget(10, 100.0));
        // The old dictionary form.
        let read = signals(&[("RateLimit", "limit=10, remaining=3, reset=6")]);
        assert_eq!(read.budget, budget(3, 6.0));
    }

    #[test]
    fn x_ratelimit_pairs_accept_seconds_unix_and_iso_resets() {
        let cases = [
            ("30", 30.0),
            ("1774540060", 60.0),
            ("2026-03-26T16:00Z", 800.0),
            ("2026-03-26T17:47:40+02:00", 60.0),
            ("2026-03-26T15:00:00Z", 0.0), // in the past: now
        ];
        for (reset, seconds) in cases {
            let read = signals(&[("X-RateLimit-Remaining", "0"), ("X-RateLimit-Reset", reset)]);
            assert_eq!(read.budget, budget(0, seconds), "reset {reset}");
        }
        // A remaining count without a reset says nothing usable.
        assert_eq!(signals(&[("x-ratelimit-remaining", "349")]).budget, None);
        let read = signals(&[("RateLimit-Remaining", "4"), ("RateLimit-Reset", "2")]);
        assert_eq!(read.budget, budget(4, 2.0));
    }

    #[test]
    fn unreadable_headers_are_ignored() {
        let read = signals(&[
            ("beta-ratelimit", "garbage;;=;r=;t=x"),
            ("x-ratelimit-reset", "soon"),
            ("x-ratelimit-remaining", "-3"),
            ("retry-after", ""),
        ]);
        assert_eq!(read, RateSignals::default());
    }

    #[test]
    fn budget_spacing_spreads_what_remains() {
        let b = Budget {
            remaining: 4,
            reset_in: Duration::from_secs(2),
        };
        assert_eq!(b.spacing(), Some(Duration::from_millis(500)));
        let spent = Budget {
            remaining: 0,
            reset_in: Duration::from_secs(2),
        };
        assert_eq!(spent.spacing(), None);
    }

    #[test]
    fn iso_times_convert_to_unix() {
        let cases = [
            ("1970-01-01T00:00Z", Some(0.0)),
            ("2024-05-06T16:18:03Z", Some(1_715_012_283.0)),
            ("2024-05-06T16:18:03.5Z", Some(1_715_012_283.5)),
            ("2026-03-26T16:00Z", Some(1_774_540_800.0)),
            (
                "2000-03-01T00:00:00-01:00",
                Some(11_017.0 * 86_400.0 + 3600.0),
            ),
            ("2024-13-01T00:00Z", None),
            ("2024-05-06", None),
            ("2024-05-06T25:00Z", None),
        ];
        for (text, expected) in cases {
            assert_eq!(unix_from_iso8601(text), expected, "{text}");
        }
        assert_eq!(days_from_civil(1969, 12, 31), -1);
    }
}
