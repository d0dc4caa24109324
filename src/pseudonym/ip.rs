//! IP address canonicalization for `hashIp` / `encryptIp` (docs/rules.md, "Transforms").
//!
//! Accepted shapes: `^([0-9]{1,3}\.){3}[0-9]{1,3}$` or `^[0-9a-fA-F:.]+$`. The canonical form
//! is what Java's `InetAddress.getHostAddress()` prints: dotted IPv4; IPv6 as all 8 groups in
//! lowercase hex without leading zeros and without `::` compression; an IPv4-mapped IPv6
//! address (`::ffff:a.b.c.d`) becomes its IPv4 form.
//!
//! Invariant: anything else — including IPv4 octets with leading zeros, which modern Java
//! rejects as ambiguous (octal or decimal?) — is `None`, never a guess.

use std::net::{Ipv4Addr, Ipv6Addr};

/// The canonical text of `text` as an IP address, or `None` when it is not one.
pub(crate) fn canonicalize(text: &str) -> Option<String> {
    if has_ipv4_shape(text) {
        return parse_ipv4(text).map(|ip| ip.to_string());
    }
    if !text.is_empty()
        && text
            .bytes()
            .all(|b| b.is_ascii_hexdigit() || b == b':' || b == b'.')
    {
        let ip: Ipv6Addr = text.parse().ok()?;
        return Some(match ip.to_ipv4_mapped() {
            Some(v4) => v4.to_string(),
            None => ip
                .segments()
                .iter()
                .map(|g| format!("{g:x}"))
                .collect::<Vec<_>>()
                .join(":"),
        });
    }
    None
}

/// `([0-9]{1,3}\.){3}[0-9]{1,3}` over the whole text.
fn has_ipv4_shape(text: &str) -> bool {
    let parts: Vec<&str> = text.split('.').collect();
    parts.len() == 4
        && parts
            .iter()
            .all(|p| (1..=3).contains(&p.len()) && p.bytes().all(|b| b.is_ascii_digit()))
}

/// Octets must be 0–255 without leading zeros.
fn parse_ipv4(text: &str) -> Option<Ipv4Addr> {
    let mut octets = [0u8; 4];
    for (slot, part) in octets.iter_mut().zip(text.split('.')) {
        if part.len() > 1 && part.starts_with('0') {
            return None;
        }
        *slot = part.parse().ok()?;
    }
    Some(Ipv4Addr::from(octets))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn canonical_forms() {
        let cases = [
            ("123.234.252.12", Some("123.234.252.12")),
            ("0.0.0.0", Some("0.0.0.0")),
            ("255.255.255.255", Some("255.255.255.255")),
            ("2001:0db8::1", Some("2001:db8:0:0:0:0:0:1")),
            ("2001:DB8:0:0:0:0:0:1", Some("2001:db8:0:0:0:0:0:1")),
            ("::", Some("0:0:0:0:0:0:0:0")),
            ("::1", Some("0:0:0:0:0:0:0:1")),
            ("fe80::abcd:0:0:1", Some("fe80:0:0:0:abcd:0:0:1")),
            ("::ffff:10.1.2.3", Some("10.1.2.3")),
            ("::FFFF:0a01:0203", Some("10.1.2.3")),
            // IPv4-compatible (not mapped) stays IPv6, as in Java.
            ("::1.2.3.4", Some("0:0:0:0:0:0:102:304")),
            ("1:2:3:4:5:6:7:8", Some("1:2:3:4:5:6:7:8")),
        ];
        for (input, expected) in cases {
            assert_eq!(canonicalize(input).as_deref(), expected, "{input:?}");
        }
    }

    #[test]
    fn invalid_addresses_are_none() {
        let cases = [
            "",
            "256.1.1.1",
            "1.2.3",
            "1.2.3.4.5",
            "01.2.3.4",
            "1.2.3.04",
            "1234.1.1.1",
            " 1.2.3.4",
            "1.2.3.4 ",
            "abc",
            "12345::1",
            "1:2:3:4:5:6:7:8:9",
            "1::2::3",
            "fe80::1%eth0",
            "[::1]",
            "2001:db8::g",
            "::ffff:1.2.3.256",
            "localhost",
        ];
        for input in cases {
            assert_eq!(canonicalize(input), None, "{input:?} must be rejected");
        }
    }
}
