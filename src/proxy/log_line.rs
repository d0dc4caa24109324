//! The audit line, written directly: the one log line every request costs.
//!
//! tracing-subscriber's stock formatters write each field through `core::fmt`, escape strings
//! character by character, paint styles even when colour is off and (for JSON) collect the
//! fields through serde before writing them. On a 2 KB page that was about a tenth of
//! `serve`'s CPU time per request (docs/performance.md, "Request path against its floor").
//! [`AuditLines`] formats the `pseudoproxy::audit` event itself, **byte for byte as the
//! stock formatter it wraps would** (the tests compare the two on hostile values), and
//! hands everything else to that stock formatter: every other event, a line with colour
//! codes (a terminal), and any audit event with a shape it does not vouch for:
//! - in both shapes: a float, bytes or an error value, a value whose `Debug` fails;
//! - in text: a message that is not printable ASCII (the stock formatter escapes control
//!   characters in it), a field named `log.…` or `r#…` (which it skips or renames);
//! - in JSON: an explicit parent span.
//!
//! The two shapes are the two configurations `logging` installs: text without the target
//! (elsewhere) and JSON with the current span and the span list (on Lambda), each with the
//! fmt layer's own field formatter for spans (`DefaultFields`, `JsonFields`).

use std::fmt::{self, Write as _};

use tracing::field::{Field, Visit};
use tracing::{Event, Level, Subscriber};
use tracing_subscriber::fmt::format::{self, Format, FormatEvent, FormatFields, Full, Json};
use tracing_subscriber::fmt::time::FormatTime;
use tracing_subscriber::fmt::{FmtContext, FormattedFields};
use tracing_subscriber::registry::{LookupSpan, SpanRef};

use super::audit::AUDIT_TARGET;

/// An event formatter: the audit event written directly, anything else by `stock`.
pub(super) struct AuditLines<F, T> {
    stock: F,
    timer: T,
    json: bool,
}

/// Text lines as `fmt().with_target(false)` writes them.
pub(super) fn text<T: FormatTime + Clone>(timer: T) -> AuditLines<Format<Full, T>, T> {
    AuditLines {
        stock: format::format()
            .with_target(false)
            .with_timer(timer.clone()),
        timer,
        json: false,
    }
}

/// JSON lines as `fmt().json().with_current_span(true)` writes them.
pub(super) fn json<T: FormatTime + Clone>(timer: T) -> AuditLines<Format<Json, T>, T> {
    AuditLines {
        stock: format::format()
            .json()
            .with_current_span(true)
            .with_timer(timer.clone()),
        timer,
        json: true,
    }
}

impl<S, N, F, T> FormatEvent<S, N> for AuditLines<F, T>
where
    S: Subscriber + for<'a> LookupSpan<'a>,
    N: for<'a> FormatFields<'a> + 'static,
    F: FormatEvent<S, N>,
    T: FormatTime,
{
    fn format_event(
        &self,
        ctx: &FmtContext<'_, S, N>,
        mut writer: format::Writer<'_>,
        event: &Event<'_>,
    ) -> fmt::Result {
        if event.metadata().target() == AUDIT_TARGET && !writer.has_ansi_escapes() {
            let mut line = String::with_capacity(640);
            let written = match self.json {
                true => self.json_line(ctx, event, &mut line),
                false => self.text_line(ctx, event, &mut line),
            };
            if written.is_some() {
                return writer.write_str(&line);
            }
        }
        self.stock.format_event(ctx, writer, event)
    }
}

impl<F, T: FormatTime> AuditLines<F, T> {
    /// `{timestamp} {level} {span}{{fields}}: {message} {name}={value}…` (None: declined).
    fn text_line<S, N>(
        &self,
        ctx: &FmtContext<'_, S, N>,
        event: &Event<'_>,
        line: &mut String,
    ) -> Option<()>
    where
        S: Subscriber + for<'a> LookupSpan<'a>,
        N: for<'a> FormatFields<'a> + 'static,
    {
        if self
            .timer
            .format_time(&mut format::Writer::new(line))
            .is_err()
        {
            line.push_str("<unknown time>");
        }
        line.push(' ');
        line.push_str(padded_level(*event.metadata().level()));
        line.push(' ');
        if let Some(scope) = ctx.event_scope() {
            let mut seen = false;
            for span in scope.from_root() {
                line.push_str(span.metadata().name());
                seen = true;
                let extensions = span.extensions();
                if let Some(fields) = extensions.get::<FormattedFields<N>>()
                    && !fields.is_empty()
                {
                    line.push('{');
                    line.push_str(fields);
                    line.push('}');
                }
                line.push(':');
            }
            if seen {
                line.push(' ');
            }
        }
        let mut fields = Fields::new(line, false);
        event.record(&mut fields);
        if fields.declined {
            return None;
        }
        line.push('\n');
        Some(())
    }

    /// `{"timestamp":…,"level":…,"fields":{…},"target":…,"span":{…},"spans":[…]}`.
    fn json_line<S, N>(
        &self,
        ctx: &FmtContext<'_, S, N>,
        event: &Event<'_>,
        line: &mut String,
    ) -> Option<()>
    where
        S: Subscriber + for<'a> LookupSpan<'a>,
        N: for<'a> FormatFields<'a> + 'static,
    {
        if event.parent().is_some() {
            return None;
        }
        let mut timestamp = String::with_capacity(32);
        self.timer
            .format_time(&mut format::Writer::new(&mut timestamp))
            .ok()?;
        line.push_str("{\"timestamp\":");
        json_string(line, &timestamp);
        line.push_str(",\"level\":\"");
        line.push_str(event.metadata().level().as_str());
        line.push_str("\",\"fields\":{");
        let mut fields = Fields::new(line, true);
        event.record(&mut fields);
        if fields.declined {
            return None;
        }
        line.push_str("},\"target\":");
        json_string(line, event.metadata().target());
        if let Some(current) = ctx.lookup_current() {
            line.push_str(",\"span\":");
            json_span::<S, N>(line, &current)?;
            line.push_str(",\"spans\":[");
            for (index, span) in current.scope().from_root().enumerate() {
                if index > 0 {
                    line.push(',');
                }
                json_span::<S, N>(line, &span)?;
            }
            line.push(']');
        }
        line.push_str("}\n");
        Some(())
    }
}

/// A span as the stock JSON formatter writes it: its recorded fields, then `"name"`. The
/// fields are kept as serde_json's compact text of an object with distinct keys, which
/// the stock formatter parses and writes again unchanged (order kept, numbers verbatim:
/// `preserve_order` and `arbitrary_precision`); the object's body is spliced in instead.
fn json_span<S, N>(line: &mut String, span: &SpanRef<'_, S>) -> Option<()>
where
    S: for<'a> LookupSpan<'a>,
    N: for<'a> FormatFields<'a> + 'static,
{
    let extensions = span.extensions();
    let recorded = extensions.get::<FormattedFields<N>>()?;
    let body = recorded.strip_prefix('{')?.strip_suffix('}')?;
    line.push('{');
    line.push_str(body);
    if !body.is_empty() {
        line.push(',');
    }
    line.push_str("\"name\":");
    json_string(line, span.metadata().name());
    line.push('}');
    Some(())
}

/// The fields of an event, written as the stock visitor of the shape would: in text as
/// tracing-subscriber's `DefaultVisitor` without colour (`name=value`, separated by spaces,
/// the message bare, strings as `Debug`); in JSON as `tracing_serde`'s map visitor (in
/// order, strings and `Debug` text as JSON strings, integers and booleans bare).
struct Fields<'l> {
    line: &'l mut String,
    json: bool,
    first: bool,
    declined: bool,
}

impl<'l> Fields<'l> {
    fn new(line: &'l mut String, json: bool) -> Self {
        Fields {
            line,
            json,
            first: true,
            declined: false,
        }
    }

    /// Starts a field; false when the line is declined (now or before). Text declines a
    /// name the stock visitor skips (`log.…`) or renames (`r#…`).
    fn begin(&mut self, field: &Field) -> bool {
        let name = field.name();
        let special = name.starts_with("log.") || name.starts_with("r#");
        if self.declined || (!self.json && special) {
            self.declined = true;
            return false;
        }
        if !self.first {
            self.line.push(if self.json { ',' } else { ' ' });
        }
        self.first = false;
        if self.json {
            json_string(self.line, name);
            self.line.push(':');
        } else if name != "message" {
            self.line.push_str(name);
            self.line.push('=');
        }
        true
    }

    /// A text message is written bare, through an escaper that only touches control
    /// characters: printable ASCII passes unchanged, anything else is declined.
    fn check_text_message(&mut self, field: &Field, start: usize) {
        if !self.json && field.name() == "message" && !printable_ascii(&self.line[start..]) {
            self.declined = true;
        }
    }
}

impl Visit for Fields<'_> {
    fn record_str(&mut self, field: &Field, value: &str) {
        if !self.begin(field) {
            return;
        }
        let start = self.line.len();
        match (self.json, field.name()) {
            (true, _) => json_string(self.line, value),
            (false, "message") => self.line.push_str(value),
            (false, _) => debug_string(self.line, value),
        }
        self.check_text_message(field, start);
    }

    fn record_u64(&mut self, field: &Field, value: u64) {
        if self.begin(field) {
            push_u64(self.line, value);
        }
    }

    fn record_i64(&mut self, field: &Field, value: i64) {
        if self.begin(field) {
            push_i64(self.line, value);
        }
    }

    fn record_bool(&mut self, field: &Field, value: bool) {
        if self.begin(field) {
            self.line.push_str(if value { "true" } else { "false" });
        }
    }

    fn record_f64(&mut self, _: &Field, _: f64) {
        self.declined = true;
    }

    fn record_bytes(&mut self, _: &Field, _: &[u8]) {
        self.declined = true;
    }

    fn record_error(&mut self, _: &Field, _: &(dyn std::error::Error + 'static)) {
        self.declined = true;
    }

    fn record_debug(&mut self, field: &Field, value: &dyn fmt::Debug) {
        if !self.begin(field) {
            return;
        }
        // Written in place; a JSON string is escaped afterwards only when it has to be.
        let quote = usize::from(self.json);
        if self.json {
            self.line.push('"');
        }
        let start = self.line.len();
        if write!(self.line, "{value:?}").is_err() {
            self.declined = true;
        } else if !self.json {
            self.check_text_message(field, start);
        } else if json_plain(&self.line[start..]) {
            self.line.push('"');
        } else {
            let text = self.line.split_off(start);
            self.line.truncate(start - quote);
            json_string(self.line, &text);
        }
    }
}

/// The level as the stock text formatter writes it without colour: five columns.
fn padded_level(level: Level) -> &'static str {
    match level.as_str() {
        "INFO" => " INFO",
        "WARN" => " WARN",
        other => other,
    }
}

/// `value` in decimal, as `Display` writes it.
fn push_u64(line: &mut String, mut value: u64) {
    let mut digits = [0u8; 20];
    let mut at = digits.len();
    loop {
        at -= 1;
        digits[at] = b'0' + (value % 10) as u8;
        value /= 10;
        if value == 0 {
            break;
        }
    }
    line.extend(digits[at..].iter().map(|&d| char::from(d)));
}

fn push_i64(line: &mut String, value: i64) {
    if value < 0 {
        line.push('-');
    }
    push_u64(line, value.unsigned_abs());
}

fn printable_ascii(text: &str) -> bool {
    text.bytes().all(|b| (0x20..0x7f).contains(&b))
}

/// `text` as `<str as Debug>` writes it: printable ASCII other than `"` and `\` as is.
fn debug_string(line: &mut String, text: &str) {
    let plain = text
        .bytes()
        .all(|b| (0x20..0x7f).contains(&b) && b != b'"' && b != b'\\');
    match plain {
        true => {
            line.push('"');
            line.push_str(text);
            line.push('"');
        }
        false => {
            let _ = write!(line, "{text:?}");
        }
    }
}

/// Whether serde_json writes `text` unescaped.
fn json_plain(text: &str) -> bool {
    text.bytes().all(|b| b >= 0x20 && b != b'"' && b != b'\\')
}

/// `text` as serde_json writes a string: anything but `"`, `\` and control characters as is.
fn json_string(line: &mut String, text: &str) {
    match json_plain(text) {
        true => {
            line.push('"');
            line.push_str(text);
            line.push('"');
        }
        false => match serde_json::to_string(text) {
            Ok(quoted) => line.push_str(&quoted),
            Err(_) => line.push_str("\"\""),
        },
    }
}

#[cfg(test)]
#[path = "log_line_tests.rs"]
mod tests;
