//! The parameter cache: one entry per full parameter name, with the time it was read.
//!
//! Invariants: absent parameters are cached too (so optional settings do not cost a store
//! call per request); an expired entry is still handed back as `Stale` so the caller can
//! keep using it when the store is briefly unavailable; `Debug` never shows values.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, SystemTime};

/// What a cached read found.
#[derive(Clone, PartialEq, Eq)]
pub(crate) enum Cached {
    /// Read less than a TTL ago. `None` = known absent.
    Fresh(Entry),
    /// Read longer than a TTL ago: refresh, but keep it if the refresh fails transiently.
    Stale(Entry),
    /// Never read (or invalidated).
    Unknown,
}

/// A cached parameter value.
#[derive(Clone, PartialEq, Eq)]
pub(crate) struct Entry {
    /// The value; `None` when absent (`fill me`, not found, access denied).
    pub value: Option<String>,
    /// The store refused access (counted as absent; reported for required settings).
    pub denied: bool,
    /// When the store last changed the parameter (absent: unknown).
    pub last_modified: Option<std::time::SystemTime>,
}

#[derive(Default)]
pub(crate) struct ParameterCache {
    entries: Mutex<HashMap<String, (Entry, SystemTime)>>,
}

impl ParameterCache {
    /// The entry for `name` judged against `ttl` at `now`. A clock that went backwards
    /// makes an entry look fresh rather than failing.
    pub(super) fn lookup(&self, name: &str, now: SystemTime, ttl: Duration) -> Cached {
        let Ok(entries) = self.entries.lock() else {
            return Cached::Unknown;
        };
        match entries.get(name) {
            None => Cached::Unknown,
            Some((entry, read_at)) => {
                let age = now.duration_since(*read_at).unwrap_or_default();
                if age < ttl {
                    Cached::Fresh(entry.clone())
                } else {
                    Cached::Stale(entry.clone())
                }
            }
        }
    }

    /// Records what a read of `name` found at `now`.
    pub(super) fn put(&self, name: &str, entry: Entry, now: SystemTime) {
        if let Ok(mut entries) = self.entries.lock() {
            entries.insert(name.to_owned(), (entry, now));
        }
    }

    /// Forgets `name` (after the caller wrote it).
    pub(super) fn invalidate(&self, name: &str) {
        if let Ok(mut entries) = self.entries.lock() {
            entries.remove(name);
        }
    }
}

impl std::fmt::Debug for ParameterCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let count = self.entries.lock().map(|e| e.len()).unwrap_or_default();
        f.debug_struct("ParameterCache")
            .field("entries", &count)
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(value: &str) -> Entry {
        Entry {
            value: Some(value.into()),
            denied: false,
            last_modified: None,
        }
    }

    #[test]
    fn entries_go_stale_at_the_ttl_and_survive_a_clock_going_back() {
        let cache = ParameterCache::default();
        let t0 = SystemTime::UNIX_EPOCH + Duration::from_secs(1_000_000);
        let ttl = Duration::from_secs(300);
        assert!(cache.lookup("A", t0, ttl) == Cached::Unknown);
        cache.put("A", entry("1"), t0);
        let cases = [
            (t0, true),
            (t0 + Duration::from_secs(299), true),
            (t0 + ttl, false),
            (t0 - Duration::from_secs(5), true),
        ];
        for (now, fresh) in cases {
            let got = cache.lookup("A", now, ttl);
            let expected = if fresh {
                Cached::Fresh(entry("1"))
            } else {
                Cached::Stale(entry("1"))
            };
            assert!(got == expected, "at {now:?}");
        }
        cache.invalidate("A");
        assert!(cache.lookup("A", t0, ttl) == Cached::Unknown);
    }

    #[test]
    fn debug_counts_entries_only() {
        let cache = ParameterCache::default();
        cache.put("PSOXY_SALT", entry("very-secret"), SystemTime::UNIX_EPOCH);
        let debug = format!("{cache:?}");
        assert!(
            !debug.contains("very-secret") && debug.contains('1'),
            "{debug}"
        );
    }
}
