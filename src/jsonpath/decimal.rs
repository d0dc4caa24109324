//! The slice of `java.math.BigDecimal` that Jayway's filter comparisons depend on.
//!
//! Jayway turns every number it compares (filter literals and document values alike) into a
//! `BigDecimal` built from the number's Java text, and compares strings against numbers
//! through that value: `NumberNode == StringNode` parses the string as a `BigDecimal`, while
//! `StringNode == NumberNode` compares the string with `BigDecimal.toString()`. To give the
//! same answers we keep the exact representation (unscaled digits and scale), not an `f64`.
//!
//! Invariant: `digits` holds ASCII digits without leading zeros (a lone `0` for zero), so
//! `to_java_string` reproduces Java's layout exactly.

use std::cmp::Ordering;

/// Exponents beyond this are refused rather than risk overflowing the scale arithmetic;
/// Java's own limit is the `int` range, far beyond anything a JSON document carries.
const MAX_EXPONENT: i64 = 1_000_000_000;

/// A decimal number as `BigDecimal` holds it: `(-1)^negative × digits × 10^(-scale)`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Decimal {
    negative: bool,
    digits: String,
    scale: i64,
}

impl Decimal {
    /// Parses text the way `new BigDecimal(String)` does: optional sign, digits with at most
    /// one `.`, optional `e`/`E` exponent with optional sign. `None` where Java would throw
    /// `NumberFormatException` (only ASCII digits are accepted here).
    pub(crate) fn parse(text: &str) -> Option<Decimal> {
        let (negative, body) = match text.as_bytes().first()? {
            b'-' => (true, &text[1..]),
            b'+' => (false, &text[1..]),
            _ => (false, text),
        };
        let (mantissa, exponent) = match body.find(['e', 'E']) {
            Some(at) => (&body[..at], parse_exponent(&body[at + 1..])?),
            None => (body, 0),
        };
        let (int_part, frac_part) = match mantissa.find('.') {
            Some(at) => (&mantissa[..at], &mantissa[at + 1..]),
            None => (mantissa, ""),
        };
        let all_digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
        if int_part.len() + frac_part.len() == 0 || !all_digits(int_part) || !all_digits(frac_part)
        {
            return None;
        }
        let joined = format!("{int_part}{frac_part}");
        let trimmed = joined.trim_start_matches('0');
        let digits = if trimmed.is_empty() {
            "0".to_owned()
        } else {
            trimmed.to_owned()
        };
        let frac_len = i64::try_from(frac_part.len()).ok()?;
        Some(Decimal {
            negative: negative && digits != "0",
            digits,
            scale: frac_len - exponent,
        })
    }

    fn is_zero(&self) -> bool {
        self.digits == "0"
    }

    /// `BigDecimal.toString()`: plain notation when the scale is non-negative and the
    /// adjusted exponent is at least -6, otherwise scientific with an explicit exponent sign.
    pub(crate) fn to_java_string(&self) -> String {
        let sign = if self.negative { "-" } else { "" };
        let coeff = self.digits.as_str();
        if self.scale == 0 {
            return format!("{sign}{coeff}");
        }
        let len = coeff.len() as i64;
        let adjusted = len - 1 - self.scale;
        if self.scale > 0 && adjusted >= -6 {
            let pad = self.scale - len;
            if pad >= 0 {
                return format!("{sign}0.{}{coeff}", "0".repeat(pad as usize));
            }
            let point = (len - self.scale) as usize;
            return format!("{sign}{}.{}", &coeff[..point], &coeff[point..]);
        }
        let mut out = format!("{sign}{}", &coeff[..1]);
        if coeff.len() > 1 {
            out.push('.');
            out.push_str(&coeff[1..]);
        }
        if adjusted != 0 {
            out.push('E');
            if adjusted > 0 {
                out.push('+');
            }
            out.push_str(&adjusted.to_string());
        }
        out
    }

    /// `BigDecimal.compareTo`: numeric order, so `1.0` equals `1` and `-0` equals `0`.
    pub(crate) fn cmp_value(&self, other: &Decimal) -> Ordering {
        match (self.is_zero(), other.is_zero()) {
            (true, true) => return Ordering::Equal,
            (true, false) => {
                return if other.negative {
                    Ordering::Greater
                } else {
                    Ordering::Less
                };
            }
            (false, true) => {
                return if self.negative {
                    Ordering::Less
                } else {
                    Ordering::Greater
                };
            }
            (false, false) => {}
        }
        match (self.negative, other.negative) {
            (false, true) => Ordering::Greater,
            (true, false) => Ordering::Less,
            (false, false) => self.cmp_magnitude(other),
            (true, true) => other.cmp_magnitude(self),
        }
    }

    /// Compares absolute values of two non-zero decimals: first by the exponent of the
    /// leading digit, then digit by digit (trailing zeros dropped so prefixes order right).
    fn cmp_magnitude(&self, other: &Decimal) -> Ordering {
        let adjusted = |d: &Decimal| d.digits.len() as i64 - 1 - d.scale;
        adjusted(self).cmp(&adjusted(other)).then_with(|| {
            self.digits
                .trim_end_matches('0')
                .cmp(other.digits.trim_end_matches('0'))
        })
    }
}

fn parse_exponent(text: &str) -> Option<i64> {
    let digits = text.strip_prefix(['+', '-']).unwrap_or(text);
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) || digits.len() > 10 {
        return None;
    }
    let value: i64 = text.parse().ok()?;
    (value.abs() <= MAX_EXPONENT).then_some(value)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Expectations are what `new BigDecimal(text).toString()` prints on a JVM.
    #[test]
    fn java_layout_matches_bigdecimal_to_string() {
        let table = [
            ("1", "1"),
            ("-1", "-1"),
            ("1.0", "1.0"),
            ("1.50", "1.50"),
            ("001.5", "1.5"),
            ("0.00", "0.00"),
            ("-0.0", "0.0"),
            ("1.0E10", "1.0E+10"),
            ("1E10", "1E+10"),
            ("1.0E-4", "0.00010"),
            ("1.0E-7", "1.0E-7"),
            ("1e-7", "1E-7"),
            ("0.0000001", "1E-7"),
            ("0.000001", "0.000001"),
            ("123.456e1", "1234.56"),
            ("1234567.0", "1234567.0"),
            ("+5", "5"),
            (".5", "0.5"),
            ("5.", "5"),
            ("0E+3", "0E+3"),
            ("-1.2345E-7", "-1.2345E-7"),
        ];
        for (text, want) in table {
            let got = Decimal::parse(text).map(|d| d.to_java_string());
            assert_eq!(
                got.as_deref(),
                Some(want),
                "BigDecimal({text:?}).toString()"
            );
        }
    }

    #[test]
    fn rejects_what_bigdecimal_rejects() {
        for text in [
            "",
            "-",
            "+",
            ".",
            "e5",
            "1e",
            "1e+",
            "1.2.3",
            "1,0",
            " 1",
            "NaN",
            "0x10",
            "1e99999999999",
        ] {
            assert_eq!(
                Decimal::parse(text),
                None,
                "BigDecimal({text:?}) must not parse"
            );
        }
    }

    #[test]
    fn compares_numerically() {
        use Ordering::*;
        let table = [
            ("1", "1.0", Equal),
            ("-0", "0.00", Equal),
            ("0", "-0.1", Greater),
            ("2", "10", Less),
            ("1.5", "1.25", Greater),
            ("-1.5", "-1.25", Less),
            ("1e3", "999.999", Greater),
            ("0.001", "1e-3", Equal),
            ("-5", "3", Less),
            ("100", "1E+2", Equal),
            ("12", "120e-1", Equal),
        ];
        for (a, b, want) in table {
            let (x, y) = (Decimal::parse(a).unwrap(), Decimal::parse(b).unwrap());
            assert_eq!(x.cmp_value(&y), want, "{a} vs {b}");
            assert_eq!(y.cmp_value(&x), want.reverse(), "{b} vs {a}");
        }
    }
}
