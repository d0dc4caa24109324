//! The audit line written directly is the stock formatter's line, byte for byte: each case
//! goes through a subscriber configured as `logging::init` configured the stock formatter
//! before `AuditLines` existed, through `AuditLines` wrapping a recording stock formatter,
//! and through the builders `logging::init` installs now; all three outputs must be equal.
//! The recording shows which events the fast path handed on, so the comparison cannot
//! pass by the fast path declining everything.

use std::io;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tracing::Dispatch;
use tracing_subscriber::EnvFilter;
use tracing_subscriber::fmt::MakeWriter;
use tracing_subscriber::fmt::format::Writer;

use super::*;
use crate::proxy::audit::Audit;
use crate::proxy::logging::{json_lines, text_lines};
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

impl<'a> MakeWriter<'a> for Capture {
    type Writer = Capture;

    fn make_writer(&'a self) -> Capture {
        self.clone()
    }
}

/// What `build` logs while `emit` runs.
fn captured(build: impl FnOnce(Capture) -> Dispatch, emit: &dyn Fn()) -> String {
    let capture = Capture::default();
    let dispatch = build(capture.clone());
    tracing::dispatcher::with_default(&dispatch, emit);
    String::from_utf8(capture.0.lock().unwrap().clone()).unwrap()
}

fn all_levels() -> EnvFilter {
    EnvFilter::new("trace")
}

/// The stock formatter, recording the message of each event it is handed.
struct Recording<F> {
    inner: F,
    handed_on: Arc<Mutex<Vec<String>>>,
}

struct MessageOf(String);

impl Visit for MessageOf {
    fn record_debug(&mut self, field: &Field, value: &dyn fmt::Debug) {
        if field.name() == "message" {
            self.0 = format!("{value:?}");
        }
    }
}

impl<S, N, F> FormatEvent<S, N> for Recording<F>
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
        let mut message = MessageOf(String::new());
        event.record(&mut message);
        self.handed_on.lock().unwrap().push(message.0);
        self.inner.format_event(ctx, writer, event)
    }
}

/// Text, then JSON: the stock line, the fast line and the installed builders' line must be
/// equal; returns the messages of the events the fast path handed on, per shape.
fn compare(name: &str, emit: &dyn Fn()) -> [Vec<String>; 2] {
    let stock = captured(
        |w| {
            let builder = tracing_subscriber::fmt()
                .with_env_filter(all_levels())
                .with_writer(w)
                .with_ansi(false)
                .with_target(false)
                .with_timer(FixedTime);
            Dispatch::new(builder.finish())
        },
        emit,
    );
    assert!(!stock.is_empty(), "{name}: nothing was logged");
    let text_handed_on = Arc::new(Mutex::new(Vec::new()));
    let fast = captured(
        |w| {
            let lines = AuditLines {
                stock: Recording {
                    inner: text(FixedTime).stock,
                    handed_on: Arc::clone(&text_handed_on),
                },
                timer: FixedTime,
                json: false,
            };
            let builder = tracing_subscriber::fmt()
                .with_env_filter(all_levels())
                .with_writer(w)
                .with_ansi(false)
                .event_format(lines);
            Dispatch::new(builder.finish())
        },
        emit,
    );
    assert_eq!(fast, stock, "{name}: text");
    let installed = captured(
        |w| Dispatch::new(text_lines(all_levels(), w, FixedTime, false).finish()),
        emit,
    );
    assert_eq!(installed, stock, "{name}: text as installed");

    let stock = captured(
        |w| {
            let builder = tracing_subscriber::fmt()
                .with_env_filter(all_levels())
                .with_writer(w)
                .json()
                .with_current_span(true)
                .with_timer(FixedTime);
            Dispatch::new(builder.finish())
        },
        emit,
    );
    assert!(!stock.is_empty(), "{name}: nothing was logged as JSON");
    for line in stock.lines() {
        serde_json::from_str::<serde_json::Value>(line).expect("each line is one JSON object");
    }
    let json_handed_on = Arc::new(Mutex::new(Vec::new()));
    let fast = captured(
        |w| {
            let lines = AuditLines {
                stock: Recording {
                    inner: json(FixedTime).stock,
                    handed_on: Arc::clone(&json_handed_on),
                },
                timer: FixedTime,
                json: true,
            };
            let builder = tracing_subscriber::fmt()
                .with_env_filter(all_levels())
                .with_writer(w)
                .json()
                .event_format(lines);
            Dispatch::new(builder.finish())
        },
        emit,
    );
    assert_eq!(fast, stock, "{name}: json");
    let installed = captured(
        |w| Dispatch::new(json_lines(all_levels(), w, FixedTime).finish()),
        emit,
    );
    assert_eq!(installed, stock, "{name}: json as installed");

    let taken = |list: Arc<Mutex<Vec<String>>>| std::mem::take(&mut *list.lock().unwrap());
    [taken(text_handed_on), taken(json_handed_on)]
}

fn none_handed_on() -> [Vec<String>; 2] {
    [Vec::new(), Vec::new()]
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
    let cases: [(&str, &dyn Fn()); 6] = [
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
        ("span fields of every kind, one named `name`", &|| {
            let span = tracing::info_span!(
                "request",
                small = 1e-7f64,
                negative_zero = -0.0f64,
                not_a_number = f64::NAN,
                max = u64::MAX,
                min = i64::MIN,
                yes = true,
                name = "duplicate key"
            );
            span.in_scope(emit_all);
        }),
        ("span fields recorded after creation", &|| {
            let span = tracing::info_span!(
                "request",
                request_id = %"r0",
                late = tracing::field::Empty,
                never = tracing::field::Empty
            );
            span.record("late", "x \"y\"");
            span.record("request_id", "r1");
            span.in_scope(emit_all);
        }),
    ];
    for (name, emit) in cases {
        assert_eq!(compare(name, emit), none_handed_on(), "{name}: handed on");
    }
}

#[test]
fn every_level_and_root_events_are_written_directly() {
    let handed_on = compare("levels", &|| {
        let span = tracing::info_span!("request", request_id = %"r1");
        span.in_scope(|| {
            tracing::error!(target: AUDIT_TARGET, n = 1u64, "error");
            tracing::warn!(target: AUDIT_TARGET, n = 1u64, "warn");
            tracing::info!(target: AUDIT_TARGET, n = 1u64, "info");
            tracing::debug!(target: AUDIT_TARGET, n = 1u64, "debug");
            tracing::trace!(target: AUDIT_TARGET, n = 1u64, "trace");
            tracing::info!(target: AUDIT_TARGET, parent: None, n = 1u64, "root");
            tracing::info!(target: AUDIT_TARGET, only = tracing::field::Empty);
        });
    });
    assert_eq!(handed_on, none_handed_on());
}

/// `Display` that fails after writing part of its text.
struct Failing;

impl fmt::Display for Failing {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("part")?;
        Err(fmt::Error)
    }
}

#[test]
fn other_events_and_odd_audit_events_go_to_the_stock_formatter() {
    let handed_on = compare("declined", &|| {
        let span = tracing::info_span!("request", request_id = %"r1");
        let inner = tracing::info_span!("inner", depth = 2u64);
        let innermost = tracing::info_span!("innermost");
        span.in_scope(|| {
            tracing::info!(target: "pseudoproxy::other", n = 1u64, "not the audit line");
            tracing::info!(target: AUDIT_TARGET, "colour \u{1b}[31m in the message");
            tracing::info!(target: AUDIT_TARGET, ratio = 0.5f64, "a float");
            let error = io::Error::other("boom");
            tracing::warn!(target: AUDIT_TARGET, error = &error as &dyn std::error::Error, "an error");
            tracing::info!(target: AUDIT_TARGET, r#type = "raw", "a raw name");
            tracing::event!(target: AUDIT_TARGET, tracing::Level::INFO, { log.file = "x" }, "a log name");
            inner.in_scope(|| {
                innermost.in_scope(|| {
                    tracing::info!(target: AUDIT_TARGET, parent: &inner, n = 2u64, "explicit parent");
                });
            });
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
    let names = |list: &[&str]| list.iter().map(|m| (*m).to_owned()).collect::<Vec<_>>();
    assert_eq!(
        handed_on,
        [
            // Text: the stock visitor escapes control characters in a message and skips
            // `log.` names; an explicit parent is its event scope. (tracing's macros
            // already strip `r#` from a raw name, so that one is written directly.)
            names(&[
                "not the audit line",
                "colour \u{1b}[31m in the message",
                "a float",
                "an error",
                "a log name",
            ]),
            // JSON: a message is escaped as any string, names are written as they are;
            // the stock formatter lists the parent's scope but the current span's list.
            names(&[
                "not the audit line",
                "a float",
                "an error",
                "explicit parent"
            ]),
        ]
    );
}

#[test]
fn a_value_that_fails_to_format_goes_to_the_stock_formatter() {
    // Text only: the stock JSON formatter panics on it (serde_json's `collect_str`), and
    // the fast path hands it on rather than writing the part before the failure.
    let emit = || tracing::info!(target: AUDIT_TARGET, value = %Failing, "failing");
    let stock = captured(
        |w| {
            let builder = tracing_subscriber::fmt()
                .with_writer(w)
                .with_ansi(false)
                .with_target(false)
                .with_timer(FixedTime);
            Dispatch::new(builder.finish())
        },
        &emit,
    );
    let installed = captured(
        |w| Dispatch::new(text_lines(all_levels(), w, FixedTime, false).finish()),
        &emit,
    );
    assert_eq!(installed, stock);
    assert!(!installed.contains("value=part"), "{installed}");
}

#[test]
fn with_colour_every_line_goes_to_the_stock_formatter() {
    let emit = || {
        let span = tracing::info_span!("request", request_id = %"r1");
        span.in_scope(emit_all);
    };
    let stock = captured(
        |w| {
            let builder = tracing_subscriber::fmt()
                .with_writer(w)
                .with_ansi(true)
                .with_target(false)
                .with_timer(FixedTime);
            Dispatch::new(builder.finish())
        },
        &emit,
    );
    assert!(stock.contains('\u{1b}'), "{stock:?}");
    let handed_on = Arc::new(Mutex::new(Vec::new()));
    let fast = captured(
        |w| {
            let lines = AuditLines {
                stock: Recording {
                    inner: text(FixedTime).stock,
                    handed_on: Arc::clone(&handed_on),
                },
                timer: FixedTime,
                json: false,
            };
            let builder = tracing_subscriber::fmt()
                .with_writer(w)
                .with_ansi(true)
                .event_format(lines);
            Dispatch::new(builder.finish())
        },
        &emit,
    );
    assert_eq!(fast, stock);
    assert_eq!(handed_on.lock().unwrap().len(), audits().len());
    let installed = captured(
        |w| Dispatch::new(text_lines(all_levels(), w, FixedTime, true).finish()),
        &emit,
    );
    assert_eq!(installed, stock);
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
        proptest::prop_assert_eq!(compare("generated", &emit), none_handed_on());
    }
}
