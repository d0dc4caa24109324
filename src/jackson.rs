//! Jackson-compatible JSON text (docs/rules.md, "Output format"): the compact writer and Java's
//! number formatting, used by the sanitizer's output and by JSONPath filter comparisons.
//!
//! PURE. Owns the exact bytes of sanitized output: no whitespace; `"` and `\` escaped;
//! `\b \t \n \f \r` short forms; other controls below U+0020 as `\u00XX` with uppercase
//! hex; everything else — `/`, U+007F, U+2028, U+2029, all non-ASCII — written raw.
//! Integers print unchanged; floats print as Java's `Double.toString` (what Jackson
//! emits), e.g. `1.0`, `1.0E10`, `1.0E-4`, `-0.0`.
//!
//! Invariant: for every finite number the output parses back (serde_json) to an equal
//! value, and key order is exactly the `Map`'s (insertion) order.

use serde_json::{Number, Value};

/// Appends the compact form of `value` to `out`.
pub mod input;

/// Appends the compact form of `value` to `out`.
pub fn write_compact(value: &Value, out: &mut String) {
    match value {
        Value::Null => out.push_str("null"),
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::Number(n) => write_number(n, out),
        Value::String(s) => write_string(s, out),
        Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_compact(item, out);
            }
            out.push(']');
        }
        Value::Object(map) => {
            out.push('{');
            for (i, (key, item)) in map.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_string(key, out);
                out.push(':');
                write_compact(item, out);
            }
            out.push('}');
        }
    }
}

/// The compact form of `value` as a new string.
pub fn to_compact_string(value: &Value) -> String {
    let mut out = String::new();
    write_compact(value, &mut out);
    out
}

/// Writes `s` quoted and escaped as Jackson does (the crate's one JSON string escaper, also
/// used for the `JSON` pseudonym encoding), copying the runs between escapes in one piece each.
/// Every byte that needs an escape is ASCII, so each run ends on a char boundary. Eight
/// bytes at a time are checked at once; only a group holding an escape is looked at byte
/// by byte.
pub fn write_string(s: &str, out: &mut String) {
    out.push('"');
    let bytes = s.as_bytes();
    let mut run_start = 0;
    let mut i = 0;
    while i < bytes.len() {
        if let Some(group) = bytes.get(i..i + 8) {
            let mut word = [0u8; 8];
            word.copy_from_slice(group);
            if !group_needs_escape(u64::from_le_bytes(word)) {
                i += 8;
                continue;
            }
        }
        let end = (i + 8).min(bytes.len());
        for (at, &byte) in bytes.iter().enumerate().take(end).skip(i) {
            if NEEDS_ESCAPE[usize::from(byte)] {
                out.push_str(&s[run_start..at]);
                run_start = at + 1;
                push_escape(byte, out);
            }
        }
        i = end;
    }
    out.push_str(&s[run_start..]);
    out.push('"');
}

/// Whether one of the eight bytes of `word` is a control below 0x20, `"` or `\`. Exact:
/// the classic "has a zero byte" and "has a byte less than n" bit tricks never report a
/// byte that is not there, they may only misplace it, and only existence is used here.
fn group_needs_escape(word: u64) -> bool {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGHS: u64 = 0x8080_8080_8080_8080;
    let has_zero = |v: u64| v.wrapping_sub(ONES) & !v & HIGHS != 0;
    let below_space = word.wrapping_sub(ONES * 0x20) & !word & HIGHS != 0;
    below_space
        || has_zero(word ^ (ONES * u64::from(b'"')))
        || has_zero(word ^ (ONES * u64::from(b'\\')))
}

fn push_escape(byte: u8, out: &mut String) {
    match byte {
        b'"' => out.push_str("\\\""),
        b'\\' => out.push_str("\\\\"),
        0x08 => out.push_str("\\b"),
        b'\t' => out.push_str("\\t"),
        b'\n' => out.push_str("\\n"),
        0x0c => out.push_str("\\f"),
        b'\r' => out.push_str("\\r"),
        _ => {
            out.push_str("\\u00");
            out.push(char::from(HEX_UPPER[usize::from(byte >> 4)]));
            out.push(char::from(HEX_UPPER[usize::from(byte & 0xf)]));
        }
    }
}

const HEX_UPPER: &[u8; 16] = b"0123456789ABCDEF";

/// The bytes Jackson escapes: `"`, `\` and the controls below U+0020.
const NEEDS_ESCAPE: [bool; 256] = {
    let mut table = [false; 256];
    let mut b = 0;
    while b < 0x20 {
        table[b] = true;
        b += 1;
    }
    table[b'"' as usize] = true;
    table[b'\\' as usize] = true;
    table
};

/// Appends a number as Jackson writes what it read: an integer literal as its digits
/// (any size: Jackson reads it as a `BigInteger`; `-0` is the integer 0), a float as
/// `Double.toString`, and a float beyond `double`'s range as the *string* `"Infinity"`
/// or `"-Infinity"` (Jackson's default `WRITE_NAN_AS_STRINGS`).
fn write_number(n: &Number, out: &mut String) {
    match literal(n) {
        Literal::Integer(digits) => out.push_str(digits),
        Literal::Float(f) if f.is_infinite() => write_string(&java_double(f), out),
        Literal::Float(f) => out.push_str(&java_double(f)),
    }
}

/// A JSON number as Java prints it: integers as their digits, floats via [`java_double`]
/// (`Infinity` beyond `double`'s range). Jayway filters and pseudonyms of numbers start
/// from this text.
pub fn number_text(n: &Number) -> String {
    match literal(n) {
        Literal::Integer(digits) => digits.to_owned(),
        Literal::Float(f) => java_double(f),
    }
}

/// Whether `n` is a float beyond `double`'s range (`1e400`): Jackson reads it as an
/// infinity and Psoxy's pipeline then sees the string `"Infinity"`.
pub fn is_infinite(n: &Number) -> bool {
    matches!(literal(n), Literal::Float(f) if f.is_infinite())
}

/// How Jackson reads a number literal.
enum Literal<'a> {
    /// An integer literal, canonical (no sign on zero).
    Integer(&'a str),
    /// A literal with a fraction or an exponent: a `double`.
    Float(f64),
}

fn literal(n: &Number) -> Literal<'_> {
    let text = n.as_str();
    if text.bytes().any(|b| matches!(b, b'.' | b'e' | b'E')) {
        // serde_json checked the literal's syntax; out of range parses to ±infinity.
        return Literal::Float(text.parse::<f64>().unwrap_or(f64::NAN));
    }
    match text {
        "-0" => Literal::Integer("0"),
        digits => Literal::Integer(digits),
    }
}

/// `Double.toString(f)` as specified since JDK 19: the shortest decimal that rounds back
/// to `f` (closest to `f` among equally short ones; a one-digit result competes with
/// two-digit ones, which is why `Double.MIN_VALUE` is `4.9E-324`), laid out as plain
/// decimal with at least one fraction digit when `1e-3 <= |f| < 1e7`, otherwise as
/// `d.dddE[-]n` with at least one fraction digit.
pub fn java_double(f: f64) -> String {
    if f.is_nan() {
        return "NaN".to_owned();
    }
    if f.is_infinite() {
        return if f > 0.0 { "Infinity" } else { "-Infinity" }.to_owned();
    }
    let sign = if f.is_sign_negative() { "-" } else { "" };
    if f == 0.0 {
        return format!("{sign}0.0");
    }
    let (digits, exp) = shortest_digits(f.abs());
    let body = if (-3..7).contains(&exp) {
        plain(&digits, exp)
    } else {
        scientific(&digits, exp)
    };
    format!("{sign}{body}")
}

/// Significant digits (no leading or trailing zeros) and the decimal exponent of the first
/// digit, for a finite positive `f`.
fn shortest_digits(f: f64) -> (String, i32) {
    let mut buffer = ryu::Buffer::new();
    let (digits, exp) = split_digits(buffer.format_finite(f));
    if digits.len() == 1 {
        // Rust's `{:e}` with a precision rounds the exact binary value correctly, so this
        // is the two-digit decimal closest to `f`; it always rounds back to `f` when a
        // one-digit one does, but check rather than assume.
        let two = format!("{f:.1e}");
        if two.parse::<f64>().ok() == Some(f) {
            return split_digits(&two);
        }
    }
    (digits, exp)
}

/// Splits `123.45`, `0.001`, `1e16`, `4.9e-324` into digits without leading/trailing zeros
/// and the exponent of the first significant digit.
fn split_digits(text: &str) -> (String, i32) {
    let (mantissa, exp) = match text.split_once(['e', 'E']) {
        Some((m, e)) => (m, e.parse::<i32>().unwrap_or(0)),
        None => (text, 0),
    };
    let (int_part, frac_part) = mantissa.split_once('.').unwrap_or((mantissa, ""));
    let all = format!("{int_part}{frac_part}");
    let leading = all.len() - all.trim_start_matches('0').len();
    let digits = all.trim_matches('0');
    let first_exp = int_part.len() as i32 - 1 - leading as i32 + exp;
    (
        if digits.is_empty() { "0" } else { digits }.to_owned(),
        first_exp,
    )
}

fn plain(digits: &str, exp: i32) -> String {
    if exp < 0 {
        return format!("0.{}{digits}", "0".repeat((-exp - 1) as usize));
    }
    let int_len = exp as usize + 1;
    if digits.len() <= int_len {
        format!("{digits}{}.0", "0".repeat(int_len - digits.len()))
    } else {
        format!("{}.{}", &digits[..int_len], &digits[int_len..])
    }
}

fn scientific(digits: &str, exp: i32) -> String {
    let fraction = if digits.len() > 1 { &digits[1..] } else { "0" };
    format!("{}.{fraction}E{exp}", &digits[..1])
}

#[cfg(test)]
mod tests;
