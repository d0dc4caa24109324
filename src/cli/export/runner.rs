//! Runs export jobs: bounded concurrency across endpoints, pages in order within one.
//!
//! Per page: fetch (with retries) → append the items to the NDJSON file and fsync → record
//! the new offset and next URL in the state file (atomic). That order is the resume
//! invariant documented in `state`.

use std::path::PathBuf;
use std::sync::Arc;

use tokio::sync::{Mutex, Semaphore};

use super::endpoints::Job;
use super::fetch::{FetchError, RetryPolicy, fetch_page};
use super::ndjson::{NdjsonError, NdjsonFile};
use super::pager;
use super::progress::{EndpointProgress, Progress};
use super::state::{EndpointState, ExportState, StateError};
use super::summary::Row;
use crate::cli::sigv4::caller::{Caller, parse_url};

#[derive(Debug, thiserror::Error)]
pub(super) enum JobError {
    #[error(transparent)]
    Fetch(#[from] FetchError),
    #[error(transparent)]
    Ndjson(#[from] NdjsonError),
    #[error(transparent)]
    State(#[from] StateError),
    #[error("the state file has {key} starting at {recorded}, not {wanted}: use a new --out")]
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

/// Everything the jobs share.
pub(super) struct Context {
    pub caller: Caller,
    /// Proxy origin without a trailing slash, e.g. `http://127.0.0.1:8080`.
    pub base: String,
    pub out: PathBuf,
    pub prefix: String,
    pub policy: RetryPolicy,
    pub progress: Progress,
    pub state: Mutex<ExportState>,
    pub permits: Semaphore,
}

/// Runs `jobs`, at most `permits` at a time; one summary row per job.
pub(super) async fn run_jobs(ctx: &Arc<Context>, jobs: Vec<Job>) -> Vec<Row> {
    let mut set = tokio::task::JoinSet::new();
    for job in jobs {
        let ctx = ctx.clone();
        set.spawn(async move {
            let _permit = ctx.permits.acquire().await;
            run_job(&ctx, &job).await
        });
    }
    let mut rows = Vec::new();
    while let Some(joined) = set.join_next().await {
        match joined {
            Ok(row) => rows.push(row),
            Err(e) => rows.push(Row {
                key: "?".into(),
                status: format!("failed: task {e}"),
                pages: 0,
                items: 0,
                bytes: 0,
                retries: 0,
            }),
        }
    }
    rows
}

async fn run_job(ctx: &Context, job: &Job) -> Row {
    let entry = ctx.state.lock().await.endpoints.get(&job.key).cloned();
    let start_items = entry.as_ref().map_or(0, |e| e.items);
    let bar = ctx.progress.endpoint(&job.key, start_items);
    let (status, entry) = match export(ctx, job, entry, &bar).await {
        Ok((resumed, entry)) => (resumed.to_owned(), entry),
        Err((e, entry)) => (format!("failed: {e}"), entry),
    };
    bar.finish(&status);
    Row {
        key: job.key.clone(),
        status,
        pages: entry.pages,
        items: entry.items,
        bytes: entry.committed_bytes,
        retries: entry.retries,
    }
}

type Outcome = Result<(&'static str, EndpointState), (JobError, EndpointState)>;

async fn export(
    ctx: &Context,
    job: &Job,
    recorded: Option<EndpointState>,
    bar: &EndpointProgress,
) -> Outcome {
    let mut entry = match recorded {
        Some(entry) if entry.url != job.url => {
            let err = JobError::Mismatch {
                key: job.key.clone(),
                recorded: entry.url.clone(),
                wanted: job.url.clone(),
            };
            return Err((err, entry));
        }
        Some(entry) if entry.done() => return Ok(("already done", entry)),
        Some(entry) => entry,
        None => EndpointState::new(&job.url),
    };
    let resumed = entry.pages > 0;
    let path = ctx.out.join(format!("{}.ndjson", job.key));
    let mut file = match NdjsonFile::open(&path, entry.committed_bytes) {
        Ok(file) => file,
        Err(e) => return Err((e.into(), entry)),
    };
    while let Some(next) = entry.next.clone() {
        if let Err(e) = one_page(ctx, &mut file, &mut entry, &next, &job.key, bar).await {
            return Err((e, entry));
        }
    }
    Ok((if resumed { "done (resumed)" } else { "done" }, entry))
}

async fn one_page(
    ctx: &Context,
    file: &mut NdjsonFile,
    entry: &mut EndpointState,
    next: &str,
    key: &str,
    bar: &EndpointProgress,
) -> Result<(), JobError> {
    let url =
        parse_url(&format!("{}{next}", ctx.base)).map_err(|e| JobError::Url(e.to_string()))?;
    let on_wait = |text: String| bar.event(&text);
    let page = fetch_page(&ctx.caller, &url, &ctx.policy, &on_wait).await?;
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
    entry.retries += page.retries;
    {
        let mut state = ctx.state.lock().await;
        state.endpoints.insert(key.to_owned(), entry.clone());
        state.save(&ctx.out)?;
    }
    bar.page(entry.pages, entry.items, entry.committed_bytes);
    Ok(())
}
