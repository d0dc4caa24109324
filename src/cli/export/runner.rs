//! Runs listings: `--concurrency` workers take listings from one queue; pages within a
//! listing are sequential (each cursor comes from the previous page); requests of all
//! workers go through the run's one [`Gate`].
//!
//! Per page: fetch (see `fetch`) → append the items to the NDJSON file and fsync → append
//! the listing's new state to the journal and fsync (see `state`). That order is the resume
//! invariant. A stop (signal, wait budget) is checked between pages and interrupts a fetch
//! or a wait, never a commit: the pages in hand are kept.

use std::path::PathBuf;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use super::endpoints::Job;
use super::fetch::{FetchError, FetchSettings, Fetcher};
use super::gate::Gate;
use super::ndjson::{NdjsonError, NdjsonFile};
use super::pager;
use super::progress::Progress;
use super::state::{EndpointState, StateError, StateStore};
use super::stop::Stop;
use super::summary::{Failure, ListingOutcome, ListingReport, Tally};
use crate::cli::sigv4::caller::{Caller, parse_url};

#[derive(Debug, thiserror::Error)]
enum JobError {
    #[error(transparent)]
    Fetch(#[from] FetchError),
    #[error(transparent)]
    Ndjson(#[from] NdjsonError),
    #[error(transparent)]
    State(#[from] StateError),
    #[error("the state has {key} starting at {recorded}, not {wanted}: use a new --out")]
    Mismatch {
        key: String,
        recorded: String,
        wanted: String,
    },
    #[error("bad URL: {0}")]
    Url(String),
    #[error("the next link repeats the current page ({0}); stopping")]
    Loop(String),
}

/// Everything the workers share.
pub(super) struct Context {
    pub caller: Caller,
    /// Proxy origin without a trailing slash, e.g. `http://127.0.0.1:8080`.
    pub base: String,
    pub out: PathBuf,
    pub prefix: String,
    pub workers: usize,
    pub fetch: FetchSettings,
    pub gate: Gate,
    pub stop: Stop,
    pub store: Mutex<StateStore>,
    pub progress: Progress,
}

impl Context {
    pub(super) fn store(&self) -> MutexGuard<'_, StateStore> {
        self.store.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// Refreshes the progress line once a second until aborted.
pub(super) fn spawn_ticker(ctx: Arc<Context>) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let mut interval = tokio::time::interval(Duration::from_secs(1));
        interval.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            interval.tick().await;
            ctx.progress.tick(&ctx.gate.view(), ctx.stop.reason());
        }
    })
}

/// Runs `count` jobs from `jobs` on `ctx.workers` workers, taken one at a time (a second
/// round of 100,000 listings is generated as it runs, not held); each listing's report goes
/// to `sink` as it ends, in no particular order.
pub(super) async fn run_jobs<J, S>(ctx: &Arc<Context>, jobs: J, count: u64, sink: S)
where
    J: Iterator<Item = Job> + Send + 'static,
    S: FnMut(ListingReport) + Send + 'static,
{
    ctx.progress.counters.listings_planned(count);
    let queue = Arc::new(Mutex::new(jobs));
    let sink = Arc::new(Mutex::new(sink));
    let mut set = tokio::task::JoinSet::new();
    for _ in 0..ctx.workers.max(1) {
        let (ctx, queue, sink) = (ctx.clone(), queue.clone(), sink.clone());
        set.spawn(async move {
            loop {
                let next = lock(&queue).next();
                let Some(job) = next else {
                    return;
                };
                let report = run_job(&ctx, job).await;
                (lock(&sink))(report);
            }
        });
    }
    while let Some(joined) = set.join_next().await {
        if let Err(e) = joined {
            ctx.progress
                .note(&format!("export: a worker ended unexpectedly: {e}"));
        }
    }
}

pub(super) fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

async fn run_job(ctx: &Context, job: Job) -> ListingReport {
    let recorded = ctx.store().take(&job.key);
    let mut tally = Tally::default();
    let (outcome, entry) = export(ctx, &job, recorded, &mut tally).await;
    if let Err(e) = ctx.store().settle(&job.key) {
        // Its pages are in the journal: the next run still resumes it exactly.
        ctx.progress.note(&format!(
            "export: could not record where {} ended: {e}",
            job.key
        ));
    }
    let worked = matches!(
        outcome,
        ListingOutcome::Done { .. } | ListingOutcome::Failed(_)
    );
    let failed = matches!(outcome, ListingOutcome::Failed(_));
    if let ListingOutcome::Failed(failure) = &outcome {
        ctx.progress
            .note(&format!("export: {} failed: {}", job.key, failure.reason));
    }
    if !matches!(outcome, ListingOutcome::Unfinished) {
        ctx.progress.counters.listing_finished(worked, failed);
    }
    ListingReport {
        key: job.key,
        kind: job.kind,
        outcome,
        pages: entry.pages,
        items: entry.items,
        bytes: entry.committed_bytes,
        tally,
        ids_used: None,
    }
}

async fn export(
    ctx: &Context,
    job: &Job,
    recorded: Option<EndpointState>,
    tally: &mut Tally,
) -> (ListingOutcome, EndpointState) {
    let mut entry = match recorded {
        Some(entry) if entry.url != job.url => {
            let error = JobError::Mismatch {
                key: job.key.clone(),
                recorded: entry.url.clone(),
                wanted: job.url.clone(),
            };
            return (ListingOutcome::Failed(failure(&error, None)), entry);
        }
        Some(entry) if entry.done() => return (ListingOutcome::AlreadyDone, entry),
        Some(entry) => entry,
        None => EndpointState::new(&job.url),
    };
    if ctx.stop.reason().is_some() {
        return (ListingOutcome::Unfinished, entry);
    }
    let resumed = entry.pages > 0;
    let path = ctx.out.join(format!("{}.ndjson", job.key));
    let mut file = match NdjsonFile::open(&path, entry.committed_bytes) {
        Ok(file) => file,
        Err(e) => {
            let error = JobError::from(e);
            return (ListingOutcome::Failed(failure(&error, None)), entry);
        }
    };
    let fetcher = Fetcher {
        caller: &ctx.caller,
        gate: &ctx.gate,
        stop: &ctx.stop,
        settings: &ctx.fetch,
        live: &ctx.progress.counters,
    };
    while let Some(next) = entry.next.clone() {
        if ctx.stop.reason().is_some() {
            return (ListingOutcome::Unfinished, entry);
        }
        match one_page(ctx, &fetcher, &mut file, &mut entry, &next, &job.key, tally).await {
            Ok(()) => {}
            Err(JobError::Fetch(FetchError::Stopped(_))) => {
                return (ListingOutcome::Unfinished, entry);
            }
            Err(e) => return (ListingOutcome::Failed(failure(&e, Some(&next))), entry),
        }
    }
    (ListingOutcome::Done { resumed }, entry)
}

/// A failure as the summary shows it.
fn failure(error: &JobError, at: Option<&str>) -> Failure {
    let (status, code, retry_may_help) = match error {
        JobError::Fetch(FetchError::Refused(refusal)) => {
            (Some(refusal.status), refusal.code.clone(), false)
        }
        JobError::Fetch(FetchError::GaveUp { .. } | FetchError::NotJson(_)) => (None, None, true),
        _ => (None, None, false),
    };
    Failure {
        reason: error.to_string(),
        status,
        code,
        at: at.map(str::to_owned),
        retry_may_help,
    }
}

async fn one_page(
    ctx: &Context,
    fetcher: &Fetcher<'_>,
    file: &mut NdjsonFile,
    entry: &mut EndpointState,
    next: &str,
    key: &str,
    tally: &mut Tally,
) -> Result<(), JobError> {
    let url =
        parse_url(&format!("{}{next}", ctx.base)).map_err(|e| JobError::Url(e.to_string()))?;
    let before = *tally;
    let page = fetcher.page(&url, tally).await?;
    let items = pager::items(&page.body);
    let mut lines = Vec::new();
    for item in &items {
        // Serializing a parsed Value cannot fail (string keys only).
        lines.extend(serde_json::to_vec(item).unwrap_or_default());
        lines.push(b'\n');
    }
    let following = pager::next_page(page.link.as_deref(), &page.body, &ctx.prefix);
    if following.as_deref() == Some(next) {
        return Err(JobError::Loop(next.to_owned()));
    }
    let offset = file.append(&lines)?;
    entry.next = following;
    entry.committed_bytes = offset;
    entry.pages += 1;
    entry.items += items.len() as u64;
    entry.retries += (tally.refused - before.refused) + (tally.errors - before.errors);
    ctx.store().record(key, entry)?;
    ctx.progress.counters.page_committed(items.len() as u64);
    Ok(())
}
