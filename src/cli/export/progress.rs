//! Progress on stderr: one indicatif line per endpoint on a terminal (pages, items, bytes,
//! rate), plain log lines otherwise (CI, pipes, files), so logs stay readable.

use std::io::IsTerminal;
use std::time::Instant;

use indicatif::{MultiProgress, ProgressBar, ProgressStyle};

/// The progress display for a whole export.
#[derive(Clone)]
pub(super) struct Progress {
    multi: Option<MultiProgress>,
}

/// One endpoint's progress line.
pub(super) struct EndpointProgress {
    key: String,
    bar: Option<ProgressBar>,
    started: Instant,
    /// Items at start (a resumed endpoint), excluded from the rate.
    items_at_start: u64,
}

impl Progress {
    /// Bars when stderr is a terminal, plain lines otherwise.
    pub(super) fn for_stderr() -> Self {
        let multi = std::io::stderr().is_terminal().then(MultiProgress::new);
        Progress { multi }
    }

    pub(super) fn endpoint(&self, key: &str, items_at_start: u64) -> EndpointProgress {
        let bar = self.multi.as_ref().map(|multi| {
            let bar = multi.add(ProgressBar::new_spinner());
            let style = ProgressStyle::with_template("{spinner} {prefix:<36} {msg}")
                .unwrap_or_else(|_| ProgressStyle::default_spinner());
            bar.set_style(style);
            bar.set_prefix(key.to_owned());
            bar.enable_steady_tick(std::time::Duration::from_millis(120));
            bar
        });
        EndpointProgress {
            key: key.to_owned(),
            bar,
            started: Instant::now(),
            items_at_start,
        }
    }

    /// A message not tied to one endpoint.
    pub(super) fn note(&self, text: &str) {
        match &self.multi {
            Some(multi) => {
                let _ = multi.println(text);
            }
            None => eprintln!("{text}"),
        }
    }
}

impl EndpointProgress {
    /// After a page was committed.
    pub(super) fn page(&self, pages: u64, items: u64, bytes: u64) {
        let elapsed = self.started.elapsed().as_secs_f64().max(0.001);
        let rate = (items.saturating_sub(self.items_at_start)) as f64 / elapsed;
        let text = format!(
            "pages {pages} · items {items} · {} · {rate:.1} items/s",
            human_bytes(bytes)
        );
        match &self.bar {
            Some(bar) => bar.set_message(text),
            None => eprintln!("{}: {text}", self.key),
        }
    }

    /// A wait or other event on this endpoint.
    pub(super) fn event(&self, text: &str) {
        match &self.bar {
            Some(bar) => bar.set_message(text.to_owned()),
            None => eprintln!("{}: {text}", self.key),
        }
    }

    pub(super) fn finish(&self, text: &str) {
        match &self.bar {
            Some(bar) => bar.finish_with_message(text.to_owned()),
            None => eprintln!("{}: {text}", self.key),
        }
    }
}

/// `1536` → `1.5 KiB`.
pub(super) fn human_bytes(bytes: u64) -> String {
    const UNITS: [&str; 4] = ["B", "KiB", "MiB", "GiB"];
    let mut value = bytes as f64;
    let mut unit = 0;
    while value >= 1024.0 && unit + 1 < UNITS.len() {
        value /= 1024.0;
        unit += 1;
    }
    match unit {
        0 => format!("{bytes} B"),
        _ => format!("{value:.1} {}", UNITS[unit]),
    }
}

#[cfg(test)]
mod tests {
    use super::human_bytes;

    #[test]
    fn byte_counts_read_naturally() {
        for (bytes, text) in [
            (0, "0 B"),
            (1023, "1023 B"),
            (1536, "1.5 KiB"),
            (5 << 20, "5.0 MiB"),
        ] {
            assert_eq!(human_bytes(bytes), text);
        }
    }
}
