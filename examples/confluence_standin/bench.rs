//! The fixed benchmark pages: v1 content-search responses of a chosen size (`2k`, `60k`,
//! `6m`, …) made of ~2 KB results in the golden example's shape, built once and served
//! from memory, plain or pre-gzipped (as Confluence answers `Accept-Encoding: gzip`), so
//! that serving one costs the stand-in next to nothing.
//!
//! A search whose CQL names `space = BENCH<size>` gets the page of that size, e.g.
//! `cql=type = page AND space = BENCH60K`.

use std::collections::BTreeMap;
use std::io::Write;
use std::sync::{Arc, Mutex, PoisonError};

use bytes::Bytes;
use flate2::Compression;
use flate2::write::GzEncoder;
use serde_json::{Value, json};

use crate::tenant::{SITE, Tenant};

/// Largest page the stand-in builds on request.
const MAX_BYTES: usize = 64 * 1024 * 1024;

/// One fixed page.
pub(crate) struct Fixed {
    pub(crate) plain: Bytes,
    pub(crate) gzip: Bytes,
    pub(crate) results: u64,
}

/// The pages built so far, by size label (lower case).
#[derive(Default)]
pub(crate) struct BenchPages {
    pages: Mutex<BTreeMap<String, Arc<Fixed>>>,
}

impl BenchPages {
    /// The page for `label` (`2k`, `60k`, `6m`, or a byte count), built on first use;
    /// `None` for a label that names no size or more than 64 MiB.
    pub(crate) fn page(&self, label: &str, tenant: &Tenant) -> Option<Arc<Fixed>> {
        let label = label.to_ascii_lowercase();
        let target = target_bytes(&label)?;
        let mut pages = self.pages.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(page) = pages.get(&label) {
            return Some(page.clone());
        }
        let page = Arc::new(build(target, &label, tenant));
        pages.insert(label, page.clone());
        Some(page)
    }

    /// Label, plain bytes, gzip bytes and results of every page built so far.
    pub(crate) fn describe(&self) -> Value {
        let pages = self.pages.lock().unwrap_or_else(PoisonError::into_inner);
        let list: Vec<Value> = pages
            .iter()
            .map(|(label, page)| {
                json!({
                    "label": label,
                    "bytes": page.plain.len(),
                    "gzipBytes": page.gzip.len(),
                    "results": page.results
                })
            })
            .collect();
        Value::Array(list)
    }
}

/// `2k` → 2048, `60k` → 61440, `6m` → 6291456, `1500` → 1500.
fn target_bytes(label: &str) -> Option<usize> {
    let (digits, unit) = match label.strip_suffix('k') {
        Some(d) => (d, 1024),
        None => match label.strip_suffix('m') {
            Some(d) => (d, 1024 * 1024),
            None => (label, 1),
        },
    };
    let bytes = digits.parse::<usize>().ok()?.checked_mul(unit)?;
    (1..=MAX_BYTES).contains(&bytes).then_some(bytes)
}

/// Results are added until the body reaches `target` bytes (at least one result).
fn build(target: usize, label: &str, tenant: &Tenant) -> Fixed {
    let mut results = String::new();
    let mut count: u64 = 0;
    while count == 0 || results.len() + 200 < target {
        if count > 0 {
            results.push(',');
        }
        results.push_str(&tenant.content(count, false).to_string());
        count += 1;
    }
    let self_link = format!(
        "{SITE}/wiki/rest/api/content/search?cql=space%3DBENCH{}&limit={count}&start=0",
        label.to_ascii_uppercase()
    );
    let body = format!(
        "{{\"results\":[{results}],\"start\":0,\"limit\":{count},\"size\":{count},\
         \"_links\":{{\"base\":\"{SITE}/wiki\",\"context\":\"/wiki\",\"self\":{}}}}}",
        Value::String(self_link)
    );
    let mut encoder = GzEncoder::new(Vec::with_capacity(body.len() / 4), Compression::default());
    // Writing into a Vec cannot fail; an empty gzip body would only make the page
    // unusable compressed, never wrong.
    let gzip = match encoder.write_all(body.as_bytes()) {
        Ok(()) => encoder.finish().unwrap_or_default(),
        Err(_) => Vec::new(),
    };
    Fixed {
        plain: Bytes::from(body),
        gzip: Bytes::from(gzip),
        results: count,
    }
}
