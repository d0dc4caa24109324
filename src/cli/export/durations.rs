//! Duration flags of `export` (`--max-wait`, `--max-wait-total`, the timeouts): a number
//! of seconds (`120`, `1.5`) or a number with a unit (`500ms`, `30s`, `2m`, `8h`).

use std::time::Duration;

/// Ten years: longer is a typo, and time arithmetic stays far from overflow.
const MAX_SECONDS: f64 = 10.0 * 365.0 * 86_400.0;

/// A duration flag; zero allowed.
pub(super) fn parse(text: &str) -> Result<Duration, String> {
    let trimmed = text.trim();
    let split = trimmed
        .find(|c: char| c.is_ascii_alphabetic())
        .unwrap_or(trimmed.len());
    let (number, unit) = trimmed.split_at(split);
    let expected =
        || format!("{text:?}: expected seconds (120, 1.5) or a number with ms, s, m or h");
    let value: f64 = number.trim().parse().map_err(|_| expected())?;
    let seconds = match unit {
        "" | "s" => value,
        "ms" => value / 1000.0,
        "m" => value * 60.0,
        "h" => value * 3600.0,
        _ => return Err(expected()),
    };
    if !seconds.is_finite() || seconds < 0.0 {
        return Err(expected());
    }
    if seconds > MAX_SECONDS {
        return Err(format!("{text:?}: too long (at most 10 years)"));
    }
    Duration::try_from_secs_f64(seconds).map_err(|_| expected())
}

/// A duration flag that must not be zero (a timeout of zero would fail every request).
pub(super) fn positive(text: &str) -> Result<Duration, String> {
    let duration = parse(text)?;
    match duration.is_zero() {
        true => Err(format!("{text:?}: must be more than zero")),
        false => Ok(duration),
    }
}

/// `2h 5m`, `3m 20s`, `4.2s`, `0.3s`: a short human reading of a duration.
pub(super) fn human(duration: Duration) -> String {
    let seconds = duration.as_secs();
    match seconds {
        0..=59 => format!("{:.1}s", duration.as_secs_f64()),
        60..=3599 => format!("{}m {:02}s", seconds / 60, seconds % 60),
        _ => format!("{}h {:02}m", seconds / 3600, seconds % 3600 / 60),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_parse_with_and_without_units() {
        let cases = [
            ("120", Some(Duration::from_secs(120))),
            ("1.5", Some(Duration::from_millis(1500))),
            ("500ms", Some(Duration::from_millis(500))),
            ("30s", Some(Duration::from_secs(30))),
            (" 2m ", Some(Duration::from_secs(120))),
            ("8h", Some(Duration::from_secs(8 * 3600))),
            ("0", Some(Duration::ZERO)),
            ("-1", None),
            ("ten", None),
            ("5d", None),
            ("", None),
            ("1e400", None),
            ("1e12", None),
        ];
        for (text, expected) in cases {
            assert_eq!(parse(text).ok(), expected, "{text:?}");
        }
        assert!(positive("0").is_err());
        assert_eq!(positive("0.25").unwrap(), Duration::from_millis(250));
    }

    #[test]
    fn durations_read_naturally() {
        let cases = [
            (Duration::from_millis(300), "0.3s"),
            (Duration::from_secs(42), "42.0s"),
            (Duration::from_secs(200), "3m 20s"),
            (Duration::from_secs(7500), "2h 05m"),
        ];
        for (duration, text) in cases {
            assert_eq!(human(duration), text);
        }
    }
}
