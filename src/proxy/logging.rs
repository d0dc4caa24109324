//! Logging setup: JSON on Lambda (`AWS_LAMBDA_LOG_FORMAT=JSON`), human-readable otherwise.
//! Level from `RUST_LOG` (default `info`). Installing twice is harmless (the second is
//! ignored), so tests may install their own capturing subscriber first.

use tracing_subscriber::EnvFilter;

pub fn init() {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    let json = std::env::var("AWS_LAMBDA_LOG_FORMAT").is_ok_and(|v| v.eq_ignore_ascii_case("json"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    let _ = match json {
        true => builder.json().with_current_span(true).try_init(),
        false => builder.with_target(false).try_init(),
    };
}
