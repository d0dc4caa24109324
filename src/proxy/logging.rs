//! Logging setup. On Lambda every line is one JSON object (CloudWatch parses the fields,
//! and the Terraform module's metric filters key on them); elsewhere human-readable text,
//! coloured only when stderr is a terminal (a redirected `serve` log holds no escape
//! sequences). Level from `RUST_LOG` (default `info`). Installing twice is harmless (the
//! second is ignored), so tests may install their own capturing subscriber first. The
//! audit line, the one line every request writes, is formatted by `log_line` in exactly
//! the stock formatter's shape; the builders below are what both `init` and that module's
//! tests use, so the configuration compared there is the one installed here.

use std::io::IsTerminal;

use tracing_subscriber::EnvFilter;
use tracing_subscriber::fmt::SubscriberBuilder;
use tracing_subscriber::fmt::format::{DefaultFields, Format, Full, Json, JsonFields};
use tracing_subscriber::fmt::time::{FormatTime, SystemTime};
use tracing_subscriber::fmt::writer::MakeWriter;

use super::log_line::{self, AuditLines};

pub fn init() {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    let on_lambda = crate::config::Env::from_process().is_lambda();
    let _ = match on_lambda {
        true => json_lines(filter, std::io::stderr, SystemTime).try_init(),
        false => {
            let ansi = std::io::stderr().is_terminal();
            text_lines(filter, std::io::stderr, SystemTime, ansi).try_init()
        }
    };
}

/// One JSON object per line, with the current span and the span list.
pub(super) fn json_lines<W, T>(
    filter: EnvFilter,
    writer: W,
    timer: T,
) -> SubscriberBuilder<JsonFields, AuditLines<Format<Json, T>, T>, EnvFilter, W>
where
    W: for<'w> MakeWriter<'w> + 'static,
    T: FormatTime + Clone + Send + Sync + 'static,
{
    base(filter, writer)
        .json()
        .event_format(log_line::json(timer))
}

/// Text lines without the target, coloured when `ansi`.
pub(super) fn text_lines<W, T>(
    filter: EnvFilter,
    writer: W,
    timer: T,
    ansi: bool,
) -> SubscriberBuilder<DefaultFields, AuditLines<Format<Full, T>, T>, EnvFilter, W>
where
    W: for<'w> MakeWriter<'w> + 'static,
    T: FormatTime + Clone + Send + Sync + 'static,
{
    base(filter, writer)
        .with_ansi(ansi)
        .event_format(log_line::text(timer))
}

fn base<W>(filter: EnvFilter, writer: W) -> SubscriberBuilder<DefaultFields, Format, EnvFilter, W>
where
    W: for<'w> MakeWriter<'w> + 'static,
{
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(writer)
}
