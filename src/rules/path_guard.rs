//! Path hardening before any endpoint matching (docs/rules.md, "Request gating", a security divergence).
//!
//! The upstream URL is built from the same raw path the rules matched, so any spelling a
//! URL parser or server might normalize into a *different* path must never pass: dot
//! segments in any percent spelling (including double encoding such as `%252e`), encoded
//! `/` or `\`, backslashes, empty segments, control characters (raw or encoded),
//! non-ASCII bytes, malformed escapes and characters outside RFC 3986 `pchar` (a raw `#`
//! would cut the upstream path short).
//!
//! Invariant: `check` accepts only paths that start with `/` and consist of RFC 3986
//! path characters with well-formed escapes, whose every segment, however many times it
//! is percent-decoded, is neither `.` nor `..` and holds no separator or control char.

use std::fmt;

use crate::percent::{self, Plus};

/// Why a path was refused. Carries no part of the path: it is logged.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PathProblem {
    /// Does not start with `/`.
    NotAbsolute,
    /// A `.` or `..` segment, in any spelling.
    DotSegment,
    /// `%2f` or `%5c` (any case, or once more encoded).
    EncodedSeparator,
    Backslash,
    /// `//` somewhere in the path.
    EmptySegment,
    /// A control character, raw or percent-encoded (`%00`–`%1f`, `%7f`).
    ControlChar,
    NonAscii,
    /// `%` not followed by two hex digits.
    BadEscape,
    /// A character that is not allowed unencoded in a path (space, `#`, `?`, `"`, …).
    DisallowedChar,
}

impl fmt::Display for PathProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            PathProblem::NotAbsolute => "path does not start with /",
            PathProblem::DotSegment => "dot segment",
            PathProblem::EncodedSeparator => "encoded path separator",
            PathProblem::Backslash => "backslash",
            PathProblem::EmptySegment => "empty segment",
            PathProblem::ControlChar => "control character",
            PathProblem::NonAscii => "non-ASCII character",
            PathProblem::BadEscape => "malformed percent escape",
            PathProblem::DisallowedChar => "character not allowed in a path",
        })
    }
}

/// How many rounds of percent-decoding a segment is examined through; each round peels
/// one layer of encoding (`%25252e` needs three).
const DECODE_ROUNDS: usize = 4;

pub(crate) fn check(path: &str) -> Result<(), PathProblem> {
    if !path.starts_with('/') {
        return Err(PathProblem::NotAbsolute);
    }
    check_chars(path.as_bytes())?;
    let segments: Vec<&str> = path[1..].split('/').collect();
    let last = segments.len() - 1;
    for (i, segment) in segments.iter().enumerate() {
        // A trailing slash leaves an empty last segment; that is a different path, not a
        // collapsible one, and simply matches no template that lacks it.
        if segment.is_empty() && i != last {
            return Err(PathProblem::EmptySegment);
        }
        check_segment(segment.as_bytes())?;
    }
    Ok(())
}

fn check_chars(bytes: &[u8]) -> Result<(), PathProblem> {
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b if !b.is_ascii() => return Err(PathProblem::NonAscii),
            b if b.is_ascii_control() => return Err(PathProblem::ControlChar),
            b'\\' => return Err(PathProblem::Backslash),
            b'%' => {
                let hex = bytes.get(i + 1..i + 3).ok_or(PathProblem::BadEscape)?;
                if !hex.iter().all(u8::is_ascii_hexdigit) {
                    return Err(PathProblem::BadEscape);
                }
                i += 2;
            }
            b if is_pchar(b) || b == b'/' => {}
            _ => return Err(PathProblem::DisallowedChar),
        }
        i += 1;
    }
    Ok(())
}

/// RFC 3986 `pchar` minus `%` (escapes are handled apart): unreserved, sub-delims, `:` `@`.
fn is_pchar(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"-._~!$&'()*+,;=:@".contains(&b)
}

/// Looks at a segment through successive rounds of percent-decoding.
fn check_segment(segment: &[u8]) -> Result<(), PathProblem> {
    let mut current = segment.to_vec();
    for _ in 0..DECODE_ROUNDS {
        if current == b"." || current == b".." {
            return Err(PathProblem::DotSegment);
        }
        if current.iter().any(|b| *b == b'/' || *b == b'\\') {
            return Err(PathProblem::EncodedSeparator);
        }
        if current.iter().any(|b| b.is_ascii_control()) {
            return Err(PathProblem::ControlChar);
        }
        match decode_once(&current) {
            Some(decoded) => current = decoded,
            None => break,
        }
    }
    Ok(())
}

/// One round of percent-decoding; `None` when there is nothing (left) to decode.
/// A `%` without two hex digits after it stays literal in rounds after the first.
fn decode_once(bytes: &[u8]) -> Option<Vec<u8>> {
    let (decoded, changed) = percent::decode_lenient(bytes, Plus::IsPlus);
    changed.then_some(decoded)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // a failed unwrap is a failed test
mod tests {
    use super::*;

    #[test]
    fn percent_decoding_peels_one_layer() {
        assert_eq!(decode_once(b"%252e"), Some(b"%2e".to_vec()));
        assert_eq!(decode_once(b"%2E%2e"), Some(b"..".to_vec()));
        assert_eq!(decode_once(b"abc"), None);
        assert_eq!(decode_once(b"%zz%41"), Some(b"%zzA".to_vec()));
        assert_eq!(decode_once(b"%+1"), None, "a sign is not a hex digit");
    }
}
