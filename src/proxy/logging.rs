//! Logging setup. On Lambda every line is one JSON object (CloudWatch parses the fields,
//! and the Terraform module's metric filters key on them); elsewhere human-readable text,
//! coloured only when stderr is a terminal (a redirected `serve` log holds no escape
//! sequences). Level from `RUST_LOG` (default `info`). Installing twice is harmless (the
//! second is ignored), so tests may install their own capturing subscriber first. The
//! audit line, the one line every request writes, is formatted by `log_line` in exactly
//! the stock formatter's shape.

use std::io::IsTerminal;

use tracing_subscriber::EnvFilter;

use super::log_line;
use crate::config::names::AWS_LAMBDA_RUNTIME_API;

pub fn init() {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    let on_lambda = std::env::var_os(AWS_LAMBDA_RUNTIME_API).is_some();
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    let _ = match on_lambda {
        true => builder.json().event_format(log_line::json()).try_init(),
        false => builder
            .with_ansi(std::io::stderr().is_terminal())
            .event_format(log_line::text())
            .try_init(),
    };
}
