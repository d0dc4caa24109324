//! Sanitizer throughput against its physical floor (docs/performance.md).
//!
//! For every body, two functions run in the same process on the same bytes:
//! - `floor`: `serde_json` parse into a `Value` plus compact serialize — the least any
//!   JSON-rewriting proxy does;
//! - `sanitize`: what the proxy does per response — gate the URL, then
//!   `sanitize::sanitize` (parse, schema filter, transforms, Jackson-compatible write).
//!
//! Bodies: every golden example of `example-api-responses/examples.yaml` with the shipped
//! rules, generated content-search responses of 1, 25, 250 and 2500 results, and one page
//! of about 6 MB as Worklytics requests it (`expand=body.atlas_doc_format,…`: every body
//! reduced to a digest).
//! `scripts/bench-report.sh` prints the medians and the sanitize/floor ratios.

#[path = "support/content_search.rs"]
mod content_search;

use std::hint::black_box;
use std::path::{Path, PathBuf};
use std::time::Duration;

use criterion::{
    BenchmarkId, Criterion, SamplingMode, Throughput, criterion_group, criterion_main,
};
use serde::Deserialize;

use pseudoproxy::pseudonym::{PseudonymConfig, Pseudonymizer};
use pseudoproxy::rules::{self, RuleSet};
use pseudoproxy::sanitize;

const SEARCH_URL: &str = "/ex/confluence/acme-cloud-id/wiki/rest/api/content/search?cql=type+in+%28page%2Cblogpost%29&expand=history,history.lastUpdated,history.previousVersion,history.contributors.publishers,version,ancestors,space&limit=250";

/// Worklytics' content search, bodies expanded (the shipped rules digest them).
const WORKLYTICS_SEARCH_URL: &str = "/ex/confluence/acme-cloud-id/wiki/rest/api/content/search?cql=lastmodified%3E%3D2024-05-01%20AND%20lastmodified%3C%3D2024-05-31&limit=30&expand=body.atlas_doc_format,ancestors,version,history,history.previousVersion&includeArchivedSpaces=true";

/// Size of the bodies-expanded page (issue 15: "a 6 MB content search page").
const BODIES_PAGE_BYTES: usize = 6_000_000;

/// Result counts of the generated content-search responses.
const SEARCH_SIZES: [usize; 4] = [1, 25, 250, 2500];

#[derive(Deserialize)]
struct Manifest {
    rules: PathBuf,
    salt: String,
    #[serde(rename = "encryptionKey")]
    encryption_key: Option<String>,
    examples: Vec<Example>,
}

#[derive(Deserialize)]
struct Example {
    url: String,
    original: PathBuf,
}

struct Setup {
    rules: RuleSet,
    pseudonymizer: Pseudonymizer,
    examples: Vec<(String, String, String)>,
}

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn setup() -> Setup {
    let dir = root().join("example-api-responses");
    let manifest: Manifest = serde_saphyr::from_str(&read(&dir.join("examples.yaml")))
        .unwrap_or_else(|e| panic!("examples.yaml: {e}"));
    let rules = rules::load(&dir.join(&manifest.rules)).unwrap_or_else(|e| panic!("{e}"));
    let pseudonymizer = Pseudonymizer::new(PseudonymConfig {
        salt: manifest.salt,
        encryption_key: manifest.encryption_key,
        ..PseudonymConfig::default()
    });
    let examples = manifest
        .examples
        .into_iter()
        .map(|e| {
            let name = e
                .original
                .file_stem()
                .map(|s| s.to_string_lossy().into_owned());
            (
                name.unwrap_or_default(),
                e.url,
                read(&dir.join(&e.original)),
            )
        })
        .collect();
    Setup {
        rules,
        pseudonymizer,
        examples,
    }
}

/// The floor: parse into a `Value`, serialize compactly.
fn floor(body: &str) -> String {
    let value: serde_json::Value = serde_json::from_str(body).unwrap_or_default();
    serde_json::to_string(&value).unwrap_or_default()
}

/// The proxy's work for one response: gate the request, sanitize the body.
fn sanitize_one(setup: &Setup, url: &str, body: &str) -> String {
    let (path, query) = match url.split_once('?') {
        Some((p, q)) => (p, Some(q)),
        None => (url, None),
    };
    let matched = setup
        .rules
        .gate("GET", path, query)
        .unwrap_or_else(|b| panic!("{url} blocked: {:?}", b.reason));
    match sanitize::sanitize(&setup.rules, matched.endpoint, &setup.pseudonymizer, body) {
        Ok(out) => out.body,
        Err(e) => panic!("{url}: {e}"),
    }
}

fn bench_examples(c: &mut Criterion) {
    let setup = setup();
    let mut group = c.benchmark_group("examples");
    group.warm_up_time(Duration::from_millis(300));
    group.measurement_time(Duration::from_secs(1));
    for (name, url, body) in &setup.examples {
        group.throughput(Throughput::Bytes(body.len() as u64));
        group.bench_with_input(BenchmarkId::new("floor", name), body, |b, body| {
            b.iter(|| floor(black_box(body)))
        });
        group.bench_with_input(BenchmarkId::new("sanitize", name), body, |b, body| {
            b.iter(|| sanitize_one(&setup, url, black_box(body)))
        });
    }
    group.finish();
}

fn bench_content_search(c: &mut Criterion) {
    let setup = setup();
    let generator =
        content_search::Generator::from_examples(root()).unwrap_or_else(|e| panic!("{e}"));
    let mut group = c.benchmark_group("content_search");
    for count in SEARCH_SIZES {
        let body = generator.response(count);
        group.throughput(Throughput::Bytes(body.len() as u64));
        if body.len() > 1_000_000 {
            group.sampling_mode(SamplingMode::Flat);
            group.sample_size(10);
            group.warm_up_time(Duration::from_secs(1));
            group.measurement_time(Duration::from_secs(8));
        } else {
            group.sampling_mode(SamplingMode::Auto);
            group.sample_size(30);
            group.warm_up_time(Duration::from_millis(500));
            group.measurement_time(Duration::from_secs(3));
        }
        group.bench_with_input(BenchmarkId::new("floor", count), &body, |b, body| {
            b.iter(|| floor(black_box(body)))
        });
        group.bench_with_input(BenchmarkId::new("sanitize", count), &body, |b, body| {
            b.iter(|| sanitize_one(&setup, SEARCH_URL, black_box(body)))
        });
    }
    group.finish();
}

/// One page of about [`BODIES_PAGE_BYTES`] with every result's `atlas_doc_format` body.
fn bench_bodies_expanded(c: &mut Criterion) {
    let setup = setup();
    let generator =
        content_search::Generator::from_examples(root()).unwrap_or_else(|e| panic!("{e}"));
    let per_result = generator.response(30).len() / 30;
    let body = generator.response(BODIES_PAGE_BYTES.div_ceil(per_result.max(1)));
    assert!(
        sanitize_one(&setup, WORKLYTICS_SEARCH_URL, &body).contains("word_count"),
        "the bodies are digested, not dropped: the bench measures the digest"
    );
    let label = format!("{}MB", body.len() / 1_000_000);
    let mut group = c.benchmark_group("content_search_bodies");
    group.throughput(Throughput::Bytes(body.len() as u64));
    group.sampling_mode(SamplingMode::Flat);
    group.sample_size(10);
    group.warm_up_time(Duration::from_secs(1));
    group.measurement_time(Duration::from_secs(8));
    group.bench_with_input(BenchmarkId::new("floor", &label), &body, |b, body| {
        b.iter(|| floor(black_box(body)))
    });
    group.bench_with_input(BenchmarkId::new("sanitize", &label), &body, |b, body| {
        b.iter(|| sanitize_one(&setup, WORKLYTICS_SEARCH_URL, black_box(body)))
    });
    group.finish();
}

criterion_group!(
    benches,
    bench_examples,
    bench_content_search,
    bench_bodies_expanded
);
criterion_main!(benches);
