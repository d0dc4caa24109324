//! Parsing of individual setting values. Each function returns a reason on failure
//! that names positions and expectations, never the offending text (a misplaced secret
//! must not end up in a health check).

use std::net::IpAddr;
use std::time::Duration;

use ipnet::IpNet;

/// `ALLOWED_DATA_ACCESS_IP_BLOCKS`: comma-separated IPs and CIDR blocks, v4 and v6. A
/// bare address is a single-host block (/32 or /128). Any bad entry (empty ones
/// included) fails the whole list: a silently skipped entry would lock out a caller, or
/// worse, make an operator believe a block is in force.
pub fn ip_blocks(csv: &str) -> Result<Vec<IpNet>, String> {
    csv.split(',')
        .enumerate()
        .map(|(i, entry)| {
            let entry = entry.trim();
            let parsed = entry
                .parse::<IpNet>()
                .ok()
                .or_else(|| entry.parse::<IpAddr>().ok().map(IpNet::from));
            parsed.ok_or_else(|| format!("entry {} is not an IP address or CIDR block", i + 1))
        })
        .collect()
}

/// `ALLOWED_CALLER_ARNS`: comma-separated IAM ARNs.
pub fn caller_arns(csv: &str) -> Result<Vec<String>, String> {
    csv.split(',')
        .enumerate()
        .map(|(i, entry)| {
            let entry = entry.trim();
            if entry.starts_with("arn:") && !entry.contains(char::is_whitespace) {
                Ok(entry.to_owned())
            } else {
                Err(format!("entry {} is not an ARN (arn:...)", i + 1))
            }
        })
        .collect()
}

/// Psoxy's booleans: `true`/`false` in any case.
pub fn boolean(value: &str) -> Result<bool, String> {
    match value.trim().to_ascii_lowercase().as_str() {
        "true" => Ok(true),
        "false" => Ok(false),
        _ => Err("expected TRUE or FALSE".into()),
    }
}

/// `REQUEST_TIMEOUT_SECONDS`: whole seconds, 1 to 900 (Lambda's maximum).
pub fn timeout_seconds(value: &str) -> Result<Duration, String> {
    match value.trim().parse::<u64>() {
        Ok(secs @ 1..=900) => Ok(Duration::from_secs(secs)),
        _ => Err("expected whole seconds between 1 and 900".into()),
    }
}

/// `PATH_PREFIX`: `None` when unset or `/`; otherwise `/segment[/segment…]` without a
/// trailing `/`. Refused: anything with a query, a fragment, `..`, or characters a path
/// segment may not hold unencoded.
pub fn path_prefix(value: Option<&str>) -> Result<Option<String>, String> {
    let Some(value) = value.map(str::trim).filter(|v| !v.is_empty()) else {
        return Ok(None);
    };
    let trimmed = value.trim_end_matches('/');
    if trimmed.is_empty() {
        return Ok(None);
    }
    let valid = trimmed.starts_with('/')
        && trimmed[1..].split('/').all(|segment| {
            !segment.is_empty()
                && segment != "."
                && segment != ".."
                && segment
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b"-._~$".contains(&b))
        });
    match valid {
        true => Ok(Some(trimmed.to_owned())),
        false => Err("expected a path such as /prod: segments of letters, digits, -._~$".into()),
    }
}

/// `TARGET_HOST` (a host, optionally with port, or a URL) → base URL without a trailing
/// `/`. Plain `http://` is refused when `require_https` (Lambda) unless the host is a
/// loopback address (the Lambda emulator's end-to-end test; nothing listens there on a
/// real Lambda, and no data can leave the machine over it); otherwise it is allowed so a
/// local `serve` can point at a mock.
pub fn upstream_base(value: &str, require_https: bool) -> Result<String, String> {
    let value = value.trim();
    let (scheme, rest) = match value.split_once("://") {
        Some((scheme, rest)) => (scheme.to_ascii_lowercase(), rest),
        None => ("https".to_owned(), value),
    };
    let rest = rest.trim_end_matches('/');
    let host = rest.split('/').next().unwrap_or_default();
    match scheme.as_str() {
        "https" => {}
        "http" if !require_https || is_loopback_host(host) => {}
        _ => return Err("must be an https host".into()),
    }
    let host_char = |c: char| c.is_ascii_alphanumeric() || ".-:[]".contains(c);
    let bad = |c: char| c.is_whitespace() || c.is_control() || "?#@\\".contains(c);
    let starts_well = host.starts_with(|c: char| c.is_ascii_alphanumeric() || c == '[');
    let port_ok = match host.rsplit_once(':') {
        Some((_, port)) if !host.ends_with(']') => {
            !port.is_empty() && port.chars().all(|c| c.is_ascii_digit())
        }
        _ => true,
    };
    if !starts_well || !port_ok || !host.chars().all(host_char) || rest.contains(bad) {
        return Err("expected a host name such as api.atlassian.com".into());
    }
    Ok(format!("{scheme}://{rest}"))
}

/// `127.0.0.1`, `[::1]` or `localhost`, with or without a port.
fn is_loopback_host(host: &str) -> bool {
    let name = match host.strip_prefix('[') {
        Some(v6) => v6.split(']').next().unwrap_or_default(),
        None => host.rsplit_once(':').map_or(host, |(name, _)| name),
    };
    name == "localhost"
        || name
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

/// `CONFLUENCE_CLOUD_ID`: it becomes a path segment, so only a UUID-like token is safe.
pub fn cloud_id(value: &str) -> Result<String, String> {
    let value = value.trim();
    let ok = !value.is_empty()
        && value.len() <= 64
        && value.chars().all(|c| c.is_ascii_alphanumeric() || c == '-');
    if ok {
        Ok(value.to_owned())
    } else {
        Err("expected a cloud id (letters, digits and '-')".into())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ip_blocks_table() {
        let ok: [(&str, &[&str]); 5] = [
            ("10.0.0.0/8", &["10.0.0.0/8"]),
            ("203.0.113.7", &["203.0.113.7/32"]),
            (" 2001:db8::/32 , ::1 ", &["2001:db8::/32", "::1/128"]),
            (
                "192.0.2.1/24,198.51.100.0/24",
                &["192.0.2.1/24", "198.51.100.0/24"],
            ),
            ("0.0.0.0/0", &["0.0.0.0/0"]),
        ];
        for (input, expected) in ok {
            let got: Vec<String> = ip_blocks(input)
                .unwrap_or_else(|e| panic!("{input:?}: {e}"))
                .iter()
                .map(ToString::to_string)
                .collect();
            assert_eq!(got, expected, "{input:?}");
        }
        let bad = [
            ("10.0.0.0/8,nonsense", "entry 2 "),
            ("10.0.0.0/33", "entry 1 "),
            ("1.2.3.4,", "entry 2 "),
            (",1.2.3.4", "entry 1 "),
            ("1.2.3.4/8/8", "entry 1 "),
            ("::1,2001:db8::/129", "entry 2 "),
            ("example.com", "entry 1 "),
        ];
        for (input, position) in bad {
            let error = ip_blocks(input).expect_err(input);
            assert!(error.starts_with(position), "{input:?}: {error}");
            assert!(
                !error.contains("nonsense") && !error.contains("example"),
                "{error}"
            );
        }
    }

    #[test]
    fn caller_arns_table() {
        let arns = caller_arns("arn:aws:iam::123:role/a, arn:aws:iam::123:user/b").unwrap();
        assert_eq!(arns, ["arn:aws:iam::123:role/a", "arn:aws:iam::123:user/b"]);
        assert_eq!(
            caller_arns("arn:aws:iam::1:role/a,role/b").unwrap_err(),
            "entry 2 is not an ARN (arn:...)"
        );
    }

    #[test]
    fn scalars_table() {
        assert_eq!(boolean("TRUE"), Ok(true));
        assert_eq!(boolean(" false "), Ok(false));
        assert!(boolean("yes").is_err());
        assert_eq!(timeout_seconds("55"), Ok(Duration::from_secs(55)));
        for bad in ["0", "901", "-1", "1.5", "abc"] {
            assert!(timeout_seconds(bad).is_err(), "{bad}");
        }
        assert_eq!(cloud_id(" 1a2b-3c "), Ok("1a2b-3c".into()));
        for bad in ["", "a/b", "../x", "a b", "a%2F"] {
            assert!(cloud_id(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn upstream_base_table() {
        let cases = [
            ("api.atlassian.com", true, Ok("https://api.atlassian.com")),
            (
                "https://api.atlassian.com/",
                true,
                Ok("https://api.atlassian.com"),
            ),
            ("HTTPS://host:8443", true, Ok("https://host:8443")),
            ("http://127.0.0.1:9000", false, Ok("http://127.0.0.1:9000")),
            ("http://api.atlassian.com", true, Err(())),
            ("http://127.0.0.1:9000", true, Ok("http://127.0.0.1:9000")),
            ("http://localhost:9000", true, Ok("http://localhost:9000")),
            ("http://[::1]:9000", true, Ok("http://[::1]:9000")),
            ("http://127.0.0.1.evil.example", true, Err(())),
            ("http://10.0.0.1:9000", true, Err(())),
            ("ftp://host", false, Err(())),
            ("", true, Err(())),
            ("https://", true, Err(())),
            ("https:", true, Err(())),
            ("https://host/base/", true, Ok("https://host/base")),
            ("https://:443", true, Err(())),
            ("evil.com@api.atlassian.com", true, Err(())),
            ("host with space", true, Err(())),
        ];
        for (input, https, expected) in cases {
            let got = upstream_base(input, https);
            match expected {
                Ok(url) => assert_eq!(got.as_deref(), Ok(url), "{input:?}"),
                Err(()) => assert!(got.is_err(), "{input:?} gave {got:?}"),
            }
        }
    }
}
