//! The audit line written directly is the stock formatter's line, byte for byte: each case
//! goes through a subscriber with the stock formatter `logging::init` used before and one
//! with [`AuditLines`], and the outputs must be equal. A counter on the wrapped stock
//! formatter shows which lines the fast path wrote, so the comparison cannot pass by the
//! fast path declining everything.

use std::io;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tracing_subscriber::Registry;
use tracing_subscriber::fmt::format::{DefaultFields, JsonFields, Writer};

use super::*;
use crate::proxy::audit::Audit;
use crate::sanitize::Report;

#[derive(Clone)]
struct FixedTime;

impl FormatTime for FixedTime {
    fn format_time(&self, w: &mut Writer<'_>) -> fmt::Result {
        w.write_str("2026-12-03T16:07:30.123456Z")
    }
}

#[derive(Clone, Default)]
struct Capture(Arc<Mutex<Vec<u8>>>);

impl io::Write for Capture {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

impl Capture {
    fn text(&self) -> String {
        String::from_utf8(self.0.lock().unwrap().clone()).unwrap()
    }
}

/// The stock formatter, counting the events it is handed.
struct Counting<F> {
    inner: F,
    calls: Arc<AtomicUsize>,
}

impl<S, N, F> FormatEvent<S, N> for Counting<F>
where
    S: Subscriber + for<'a> LookupSpan<'a>,
    N: for<'a> FormatFields<'a> + 'static,
    F: FormatEvent<S, N>,
{
    fn format_event(
        &self,
        ctx: &FmtContext<'_, S, N>,
        writer: format::Writer<'_>,
        event: &Event<'_>,
    ) -> fmt::Result {
        self.calls.fetch_add(1, Ordering::SeqCst);
        self.inner.format_event(ctx, writer, event)
    }
}

fn text_reference() -> Format<Full, FixedTime> {
    tracing_subscriber::fmt::format()
        .with_target(false)
        .with_timer(FixedTime)
}

fn json_reference() -> Format<Json, FixedTime> {
    tracing_subscriber::fmt::format()
        .json()
        .with_current_span(true)
        .with_timer(FixedTime)
}

fn text_output<E>(format: E, ansi: bool, emit: &dyn Fn()) -> String
where
    E: FormatEvent<Registry, DefaultFields> + Send + Sync + 'static,
{
    let capture = Capture::default();
    let writer = capture.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_writer(move || writer.clone())
        .with_ansi(ansi)
        .event_format(format)
        .finish();
    tracing::subscriber::with_default(subscriber, emit);
    capture.text()
}

fn json_output<E>(format: E, emit: &dyn Fn()) -> String
where
    E: FormatEvent<Registry, JsonFields> + Send + Sync + 'static,
{
    let capture = Capture::default();
    let writer = capture.clone();
    let subscriber = tracing_subscriber::fmt()
        .json()
        .with_writer(move || writer.clone())
        .event_format(format)
        .finish();
    tracing::subscriber::with_default(subscriber, emit);
    capture.text()
}

/// Both shapes, stock against fast; returns how many events the fast path handed on.
fn compare(name: &str, emit: &dyn Fn()) -> (usize, usize) {
    let text_calls = Arc::new(AtomicUsize::new(0));
    let fast = AuditLines {
        stock: Counting {
            inner: text_reference(),
            calls: Arc::clone(&text_calls),
        },
        timer: FixedTime,
        json: false,
    };
    let expected = text_output(text_reference(), false, emit);
    assert!(!expected.is_empty(), "{name}: nothing was logged");
    assert_eq!(text_output(fast, false, emit), expected, "{name}: text");

    let json_calls = Arc::new(AtomicUsize::new(0));
    let fast = AuditLines {
        stock: Counting {
            inner: json_reference(),
            calls: Arc::clone(&json_calls),
        },
        timer: FixedTime,
        json: true,
    };
    let expected = json_output(json_reference(), emit);
    assert_eq!(json_output(fast, emit), expected, "{name}: json");
    for line in expected.lines() {
        serde_json::from_str::<serde_json::Value>(line).expect("each line is one JSON object");
    }
    (
        text_calls.load(Ordering::SeqCst),
        json_calls.load(Ordering::SeqCst),
    )
}

/// Audit lines with every field kind and values a hostile caller or upstream could shape.
fn audits() -> Vec<Audit> {
    let plain = Audit {
        request_id: "100feed7aa14d11f".into(),
        principal: Some("arn:aws:sts::123456789012:assumed-role/worklytics/session-1".into()),
        method: "GET".into(),
        endpoint: Some("/ex/confluence/{cloudId}/wiki/api/{version}/spaces".into()),
        query_shape: Some(format!("limit=&cursor=&accountId=p~{}", "A".repeat(43))),
        upstream_status: Some(200),
        status: 200,
        bytes_in: 0,
        bytes_out: 1572,
        report: Report {
            redacted: 3,
            pseudonymized: 8,
            digested: 5,
        },
        rules_sha: Some("8e5571bc3536f6b1da69d4cc5ca0613f6538149b".into()),
        ..Audit::default()
    };
    let refused = Audit {
        request_id: "id \"with\" quotes\nand a newline \u{1b}[31m".into(),
        principal: None,
        method: "OTHER".into(),
        query_shape: Some("?=&?=".into()),
        status: 403,
        error: Some("BLOCKED_BY_RULES"),
        detail: Some("quote \" backslash \\ tab \t newline \n bell \u{7} del \u{7f}".into()),
        ..Audit::default()
    };
    let unicode = Audit {
        request_id: "r".into(),
        principal: Some("café ☕ \u{85} \u{200b} \u{10ffff} 'single'".into()),
        method: "GET".into(),
        endpoint: Some(String::new()),
        query_shape: Some(String::new()),
        status: 502,
        error: Some("UPSTREAM_ERROR"),
        detail: Some("\u{0}\u{1f}\u{9b}".into()),
        bytes_in: usize::MAX,
        ..Audit::default()
    };
    vec![plain, refused, unicode]
}

fn emit_all() {
    for audit in audits() {
        audit.emit(Duration::from_millis(12));
    }
}

#[test]
fn the_audit_line_is_the_stock_line_in_every_span_context() {
    let cases: [(&str, &dyn Fn()); 4] = [
        ("in the request span, as the pipeline emits it", &|| {
            let span = tracing::info_span!("request", request_id = %"100feed7aa14d11f");
            span.in_scope(emit_all);
        }),
        ("outside any span", &emit_all),
        ("nested spans, one without fields", &|| {
            let outer = tracing::info_span!("outer");
            let inner = tracing::info_span!("request", request_id = %"a\"b\\c", n = 3u64);
            outer.in_scope(|| inner.in_scope(emit_all));
        }),
        ("a span with a hostile string field", &|| {
            let span = tracing::warn_span!("request", note = "x \"y\" \n \u{1b} é");
            span.in_scope(emit_all);
        }),
    ];
    for (name, emit) in cases {
        assert_eq!(
            compare(name, emit),
            (0, 0),
            "{name}: the fast path declined"
        );
    }
}

#[test]
fn other_events_and_odd_audit_events_go_to_the_stock_formatter() {
    let handed_on = compare("declined", &|| {
        let span = tracing::info_span!("request", request_id = %"r1");
        span.in_scope(|| {
            tracing::info!(target: "pseudoproxy::other", n = 1u64, "not the audit line");
            tracing::info!(target: AUDIT_TARGET, "colour \u{1b}[31m in the message");
            tracing::info!(target: AUDIT_TARGET, ratio = 0.5f64, "a float");
            let error = io::Error::other("boom");
            tracing::warn!(target: AUDIT_TARGET, error = &error as &dyn std::error::Error, "an error");
            tracing::info!(target: AUDIT_TARGET, parent: &span, n = 2u64, "explicit parent");
            tracing::info!(
                target: AUDIT_TARGET,
                n = 2u64,
                zero = 0u64,
                max = u64::MAX,
                negative = i64::MIN,
                yes = true,
                debug = ?"a \"quoted\" \\ value",
                display = %"line\nbreak \u{1b} é",
                "plain, written directly"
            );
        });
    });
    // Handed on in both shapes: the other target, the float, the error. Text hands on the
    // coloured message and writes the explicit-parent event (its scope is that span); JSON
    // writes the message (escaped as serde_json would) and hands on the explicit parent.
    assert_eq!(handed_on, (4, 4));
}

#[test]
fn with_colour_every_line_goes_to_the_stock_formatter() {
    let calls = Arc::new(AtomicUsize::new(0));
    let fast = AuditLines {
        stock: Counting {
            inner: text_reference(),
            calls: Arc::clone(&calls),
        },
        timer: FixedTime,
        json: false,
    };
    let emit = || {
        let span = tracing::info_span!("request", request_id = %"r1");
        span.in_scope(emit_all);
    };
    let expected = text_output(text_reference(), true, &emit);
    assert!(expected.contains('\u{1b}'), "{expected:?}");
    assert_eq!(text_output(fast, true, &emit), expected);
    assert_eq!(calls.load(Ordering::SeqCst), audits().len());
}

#[test]
fn the_installed_formatters_are_the_compared_ones() {
    // `text()` and `json()` build the same stock formatters as the references above, only
    // with the system clock; a changed option there would show here.
    let text = format!("{:?}", text().stock);
    let json = format!("{:?}", json().stock);
    assert_eq!(
        text,
        format!("{:?}", tracing_subscriber::fmt::format().with_target(false))
    );
    assert_eq!(
        json,
        format!(
            "{:?}",
            tracing_subscriber::fmt::format()
                .json()
                .with_current_span(true)
        )
    );
    assert!(!text.contains("display_target: true"), "{text}");
}

proptest::proptest! {
    #[test]
    fn any_field_values_give_the_stock_line(
        request_id in "\\PC{0,12}|[\\x00-\\x7f]{0,12}",
        principal in proptest::option::of("\\PC{0,16}|[\\x00-\\x7f\\u{80}-\\u{a0}]{0,16}"),
        detail in proptest::option::of(".{0,24}"),
        query in proptest::option::of("[\\x00-\\x7f]{0,24}"),
        counts in proptest::array::uniform4(proptest::num::usize::ANY),
        status in 100u16..600,
    ) {
        let audit = Audit {
            request_id: request_id.clone(),
            principal,
            method: "GET".into(),
            endpoint: detail.clone(),
            query_shape: query,
            upstream_status: Some(status),
            status,
            detail,
            bytes_in: counts[0],
            bytes_out: counts[1],
            report: Report { redacted: counts[2], pseudonymized: counts[3], digested: 0 },
            ..Audit::default()
        };
        let emit = || {
            let span = tracing::info_span!("request", request_id = %request_id);
            span.in_scope(|| audit.emit(Duration::from_millis(u64::from(status))));
        };
        proptest::prop_assert_eq!(compare("generated", &emit), (0, 0));
    }
}
