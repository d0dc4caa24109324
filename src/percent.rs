//! Percent-encoding, the one implementation the whole crate uses (RFC 3986 §2.1).
//!
//! PURE. Decoding comes in two readings, because callers need both:
//! - [`decode_strict`]: a `%` must be followed by two hex digits and the result must be
//!   UTF-8, else the text is [`Malformed`] (the rules gate: when we cannot tell what the
//!   upstream would read, the request is refused rather than guessed at);
//! - [`decode_lenient`]: a `%` without two hex digits stays literal (looking at text
//!   through successive rounds of decoding, and comparing echoed links, where a failed
//!   decode may only make a comparison fail, never let something through).
//!
//! [`Plus`] says whether `+` means a space (`application/x-www-form-urlencoded`, query
//! text) or itself (paths). [`encode`] keeps only RFC 3986's unreserved characters, so an
//! encoded value can never become a delimiter, a dot segment or a new parameter.

/// What a `+` means in the text being decoded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Plus {
    /// Query text (form encoding): `+` is a space.
    IsSpace,
    /// Path text: `+` is a plus sign.
    IsPlus,
}

/// The text holds a malformed escape, or decodes to bytes that are not UTF-8.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Malformed;

/// The byte two hex digits spell (`from_str_radix` alone would also take a `+` sign).
pub fn hex_byte(pair: &[u8]) -> Option<u8> {
    let digit = |b: u8| char::from(b).to_digit(16);
    match pair {
        [hi, lo] => u8::try_from(digit(*hi)? * 16 + digit(*lo)?).ok(),
        _ => None,
    }
}

/// One round of decoding where every escape must be well formed and the result UTF-8.
pub fn decode_strict(text: &str, plus: Plus) -> Result<String, Malformed> {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while let Some(&byte) = bytes.get(i) {
        match byte {
            b'%' => {
                out.push(
                    bytes
                        .get(i + 1..i + 3)
                        .and_then(hex_byte)
                        .ok_or(Malformed)?,
                );
                i += 3;
                continue;
            }
            b'+' if plus == Plus::IsSpace => out.push(b' '),
            other => out.push(other),
        }
        i += 1;
    }
    String::from_utf8(out).map_err(|_| Malformed)
}

/// One round of decoding where a `%` without two hex digits stays literal. Returns the
/// bytes and whether anything was decoded (a `+` read as a space counts).
pub fn decode_lenient(bytes: &[u8], plus: Plus) -> (Vec<u8>, bool) {
    let mut out = Vec::with_capacity(bytes.len());
    let mut changed = false;
    let mut i = 0;
    while let Some(&byte) = bytes.get(i) {
        let escaped = (byte == b'%')
            .then(|| bytes.get(i + 1..i + 3))
            .flatten()
            .and_then(hex_byte);
        match (escaped, byte) {
            (Some(decoded), _) => {
                out.push(decoded);
                changed = true;
                i += 3;
                continue;
            }
            (None, b'+') if plus == Plus::IsSpace => {
                out.push(b' ');
                changed = true;
            }
            (None, other) => out.push(other),
        }
        i += 1;
    }
    (out, changed)
}

/// [`decode_lenient`] as text; bytes that are not UTF-8 become U+FFFD.
pub fn decode_lossy(text: &str, plus: Plus) -> String {
    let (bytes, _) = decode_lenient(text.as_bytes(), plus);
    String::from_utf8_lossy(&bytes).into_owned()
}

/// Every byte but RFC 3986's unreserved characters (`A-Z a-z 0-9 - . _ ~`) as `%XX`.
pub fn encode(text: &str) -> String {
    let mut out = String::with_capacity(text.len() * 3);
    for byte in text.bytes() {
        if byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'.' | b'_' | b'~') {
            out.push(char::from(byte));
        } else {
            out.push('%');
            out.push(hex_digit(byte >> 4));
            out.push(hex_digit(byte & 0x0f));
        }
    }
    out
}

/// A value put into a URL: [`encode`], and `.` as well, so that no value can ever read as
/// a dot segment (`..`) once the URL is parsed.
pub fn encode_value(text: &str) -> String {
    encode(text).replace('.', "%2E")
}

fn hex_digit(nibble: u8) -> char {
    char::from(b"0123456789ABCDEF"[usize::from(nibble & 0x0f)])
}

/// `text` with every escape of an unreserved character but `.` decoded (`%7E` → `~`,
/// `%41` → `A`; RFC 3986 §6.2.2.2 says they are the same text). Everything that looks at
/// a request (the rules gate, token reversal) then sees one spelling of each value, so
/// `p%7E…` is a token like `p~…`. `%2E` stays encoded: decoding it could make a dot
/// segment after the path was judged.
pub fn normalize_unreserved(text: &str) -> std::borrow::Cow<'_, str> {
    if !text.contains('%') {
        return std::borrow::Cow::Borrowed(text);
    }
    let bytes = text.as_bytes();
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%'
            && let Some(b) = bytes.get(i + 1..i + 3).and_then(hex_byte)
            && (b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'~'))
        {
            out.push(char::from(b));
            i += 3;
            continue;
        }
        // Copy one whole UTF-8 character.
        let len = text[i..].chars().next().map_or(1, char::len_utf8);
        out.push_str(&text[i..i + len]);
        i += len;
    }
    std::borrow::Cow::Owned(out)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // a failed unwrap is a failed test
mod tests {
    use super::*;

    #[test]
    fn strict_decoding_table() {
        let cases = [
            ("a%20b", Plus::IsPlus, Ok("a b")),
            ("a+b", Plus::IsSpace, Ok("a b")),
            ("a+b", Plus::IsPlus, Ok("a+b")),
            ("%E2%82%AC", Plus::IsPlus, Ok("€")),
            ("%zz", Plus::IsPlus, Err(Malformed)),
            ("%2", Plus::IsPlus, Err(Malformed)),
            ("%+1", Plus::IsPlus, Err(Malformed)),
            ("%ff", Plus::IsPlus, Err(Malformed)),
        ];
        for (input, plus, expected) in cases {
            assert_eq!(
                decode_strict(input, plus).as_deref().map_err(|e| *e),
                expected,
                "{input}"
            );
        }
    }

    #[test]
    fn lenient_decoding_peels_one_layer_and_keeps_bad_escapes() {
        let cases: [(&[u8], Plus, &[u8], bool); 6] = [
            (b"%252e", Plus::IsPlus, b"%2e", true),
            (b"%2E%2e", Plus::IsPlus, b"..", true),
            (b"abc", Plus::IsPlus, b"abc", false),
            (b"%zz%41", Plus::IsPlus, b"%zzA", true),
            (b"%+1", Plus::IsPlus, b"%+1", false),
            (b"a+b", Plus::IsSpace, b"a b", true),
        ];
        for (input, plus, expected, changed) in cases {
            assert_eq!(decode_lenient(input, plus), (expected.to_vec(), changed));
        }
        assert_eq!(decode_lossy("%ff%41", Plus::IsPlus), "\u{fffd}A");
    }

    #[test]
    fn encoding_keeps_only_unreserved_characters() {
        assert_eq!(encode("a/b c&d=é.~"), "a%2Fb%20c%26d%3D%C3%A9.~");
        assert_eq!(encode_value(".."), "%2E%2E");
        for text in ["a/b?c#d", "x%y", "..", "ü"] {
            let encoded = encode_value(text);
            assert_eq!(decode_strict(&encoded, Plus::IsPlus).unwrap(), text);
            assert!(
                encoded
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'%' | b'-' | b'_' | b'~'))
            );
        }
    }

    #[test]
    fn unreserved_escapes_are_normalized_and_nothing_else() {
        let cases = [
            ("p%7Eabc", "p~abc"),
            ("p%7eabc", "p~abc"),
            ("%41%62%2D%5F%30", "Ab-_0"),
            ("%2e%2E", "%2e%2E"),
            ("a%2Fb%3Dc%26d%25", "a%2Fb%3Dc%26d%25"),
            ("%7", "%7"),
            ("%zz", "%zz"),
            ("caf%C3%A9 é %7E", "caf%C3%A9 é ~"),
            ("plain", "plain"),
        ];
        for (input, want) in cases {
            assert_eq!(normalize_unreserved(input), want, "{input}");
        }
    }
}
