//! Who is calling: source IP and IAM principal, and the allow-lists (docs/proxy.md, "Pipeline").
//!
//! On Lambda both come from the request context AWS fills in: for a function URL or an
//! API Gateway HTTP API (payload 2.0) `http.sourceIp` and `authorizer.iam.userArn`, for
//! an API Gateway REST API (payload 1.0) `identity.sourceIp` and `identity.userArn`; `X-Forwarded-For` is never trusted
//! (a caller can write it). On `serve` the IP is the TCP peer and there is no principal.
//!
//! ARN matching: an allowed ARN matches the caller's `userArn` exactly; an allowed IAM
//! role ARN (`arn:aws:iam::<acct>:role/<name>`) also matches the sessions of that role
//! (`arn:aws:sts::<acct>:assumed-role/<name>/<session>`), which is how a role appears
//! in the request context.

use std::net::{IpAddr, SocketAddr};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use axum::extract::ConnectInfo;
use axum::http::Request;
use ipnet::IpNet;
use lambda_http::request::RequestContext;

use super::error::ProxyError;

/// The caller as far as we know it.
#[derive(Debug, Clone, Default)]
pub(super) struct Caller {
    pub ip: Option<IpAddr>,
    pub principal: Option<String>,
    /// Lambda's request id, when the request came through a function URL.
    pub request_id: Option<String>,
    /// Whether the request came through a function URL (API Gateway v2 payload).
    pub via_function_url: bool,
    /// When the Lambda invocation must be answered (its context's deadline).
    pub deadline: Option<Instant>,
    /// An event no front door produced: a function-URL-shaped event with neither a
    /// domain name nor an authorizer, which a function URL or API Gateway always fills
    /// in. Only a principal allowed to invoke the function directly (the health
    /// schedule, an operator's `aws lambda invoke`) can send one; such a principal
    /// could write any caller into the event, so the allow-lists cannot judge it.
    pub direct_invocation: bool,
}

impl Caller {
    pub(super) fn of<B>(request: &Request<B>) -> Caller {
        let mut caller = Caller::default();
        match request.extensions().get::<RequestContext>() {
            // Function URL, or API Gateway HTTP API (payload 2.0), IAM authorization.
            Some(RequestContext::ApiGatewayV2(context)) => {
                caller.via_function_url = true;
                caller.request_id = context.request_id.clone();
                caller.ip = parse_ip(context.http.source_ip.as_deref());
                caller.principal = context
                    .authorizer
                    .as_ref()
                    .and_then(|a| a.iam.as_ref())
                    .and_then(|iam| iam.user_arn.clone());
                caller.direct_invocation =
                    context.authorizer.is_none() && context.domain_name.is_none();
            }
            // API Gateway REST API (payload 1.0), AWS_IAM authorization.
            Some(RequestContext::ApiGatewayV1(context)) => {
                caller.via_function_url = true;
                caller.request_id = context.request_id.clone();
                caller.ip = parse_ip(context.identity.source_ip.as_deref());
                caller.principal = context.identity.user_arn.clone();
            }
            _ => {}
        }
        if let Some(context) = lambda_http::RequestExt::lambda_context_ref(request) {
            caller.deadline = deadline_of(context.deadline);
        }
        if caller.ip.is_none() {
            caller.ip = request
                .extensions()
                .get::<ConnectInfo<SocketAddr>>()
                .map(|ConnectInfo(addr)| addr.ip());
        }
        caller
    }
}

fn parse_ip(text: Option<&str>) -> Option<IpAddr> {
    text.and_then(|ip| ip.parse().ok())
}

/// Lambda's longest timeout: no real invocation's deadline lies further in the past when
/// its event is handed over.
const LONGEST_LAMBDA_TIMEOUT: Duration = Duration::from_secs(15 * 60);

/// The `Instant` of a deadline given in epoch milliseconds (Lambda's context). A deadline
/// more than Lambda's longest timeout in the past is not a deadline but an emulator's
/// placeholder (`cargo lambda watch` sends a constant 600000, ten minutes after 1970):
/// unknown, so `None`. A real one already passed stays "now" (no time left).
fn deadline_of(epoch_millis: u64) -> Option<Instant> {
    let deadline = UNIX_EPOCH.checked_add(Duration::from_millis(epoch_millis))?;
    let now = SystemTime::now();
    if now
        .duration_since(deadline)
        .is_ok_and(|late| late > LONGEST_LAMBDA_TIMEOUT)
    {
        return None;
    }
    let left = deadline.duration_since(now).unwrap_or_default();
    Instant::now().checked_add(left)
}

/// IP allow-list, then caller-ARN allow-list.
pub(super) fn check(
    caller: &Caller,
    ip_blocks: Option<&[IpNet]>,
    arns: Option<&[String]>,
) -> Result<(), ProxyError> {
    if let Some(blocks) = ip_blocks
        && !ip_allowed(caller.ip, blocks)
    {
        return Err(ProxyError::UnauthorizedIp);
    }
    if let Some(arns) = arns {
        let allowed = caller
            .principal
            .as_deref()
            .is_some_and(|principal| arns.iter().any(|a| arn_matches(a, principal)));
        if !allowed {
            return Err(ProxyError::UnauthorizedCaller);
        }
    }
    Ok(())
}

/// Whether `ip` is inside one of `blocks`; an IPv4-mapped IPv6 address counts as IPv4.
pub fn ip_allowed(ip: Option<IpAddr>, blocks: &[IpNet]) -> bool {
    let Some(ip) = ip else { return false };
    let ip = match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(ip, IpAddr::V4),
        v4 => v4,
    };
    blocks.iter().any(|block| block.contains(&ip))
}

/// `allowed` names `principal` (see the module doc for the role rule).
pub fn arn_matches(allowed: &str, principal: &str) -> bool {
    let allowed = allowed.trim();
    if allowed == principal {
        return true;
    }
    let Some((account, role)) = allowed
        .strip_prefix("arn:aws:iam::")
        .and_then(|rest| rest.split_once(":role/"))
    else {
        return false;
    };
    // Paths (`role/path/name`) do not appear in session ARNs: compare the last segment.
    let role_name = role.rsplit('/').next().unwrap_or(role);
    let session_prefix = format!("arn:aws:sts::{account}:assumed-role/{role_name}/");
    principal.starts_with(&session_prefix)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn deadlines_in_the_future_count_and_emulator_placeholders_do_not() {
        let now_millis = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap()
            .as_millis() as u64;
        let left = |deadline: Option<Instant>| {
            deadline.map(|d| d.saturating_duration_since(Instant::now()).as_secs())
        };
        // (epoch millis, seconds left: None = unknown)
        let cases = [
            (now_millis + 300_000, Some(299)),
            // Passed a moment ago: no time left, never "unknown".
            (now_millis - 5_000, Some(0)),
            (now_millis - 14 * 60_000, Some(0)),
            // cargo lambda watch's constant, and anything beyond Lambda's longest timeout.
            (600_000, None),
            (now_millis - 16 * 60_000, None),
        ];
        for (epoch_millis, expected) in cases {
            let got = left(deadline_of(epoch_millis));
            match expected {
                Some(299) => assert!(matches!(got, Some(298..=300)), "{epoch_millis}: {got:?}"),
                other => assert_eq!(got, other, "{epoch_millis}"),
            }
        }
    }

    #[test]
    fn ip_allow_list_table() {
        let blocks =
            crate::config::parse::ip_blocks("10.0.0.0/8, 192.168.1.7 ,2001:db8::/32").unwrap();
        let cases = [
            ("10.1.2.3", true),
            ("11.0.0.1", false),
            ("192.168.1.7", true),
            ("192.168.1.8", false),
            ("2001:db8::1", true),
            ("2001:db9::1", false),
            ("::ffff:10.9.9.9", true),
        ];
        for (ip, expected) in cases {
            assert_eq!(ip_allowed(ip.parse().ok(), &blocks), expected, "{ip}");
        }
        assert!(!ip_allowed(None, &blocks));
    }

    #[test]
    fn arn_table() {
        let role = "arn:aws:iam::123456789012:role/worklytics-caller";
        let cases = [
            (role, role, true),
            (
                role,
                "arn:aws:sts::123456789012:assumed-role/worklytics-caller/s1",
                true,
            ),
            (
                role,
                "arn:aws:sts::123456789012:assumed-role/worklytics-callerX/s1",
                false,
            ),
            (
                role,
                "arn:aws:sts::999999999999:assumed-role/worklytics-caller/s1",
                false,
            ),
            ("arn:aws:iam::1:user/u", "arn:aws:iam::1:user/u", true),
            ("arn:aws:iam::1:user/u", "arn:aws:iam::1:user/v", false),
        ];
        for (allowed, principal, expected) in cases {
            assert_eq!(
                arn_matches(allowed, principal),
                expected,
                "{allowed} vs {principal}"
            );
        }
    }
}
