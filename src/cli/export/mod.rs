//! `pseudoproxy export`: page through Confluence listings via the proxy into NDJSON files,
//! unattended: a rate limit is flow control, never a failure; a silent proxy is a timeout,
//! never a hang; the output is sized for a person.
//!
//! Layout (pure core first): `endpoints` (what to fetch, from the rules), `pager` (next
//! links, items), `ratelimit` (rate-limit headers), `verdict` (what an answer means),
//! `pacing` (when requests may start), `summary` (what the run did, text and JSON),
//! `durations` (flag values); then the I/O edge: `gate` (fair admission, shared pacing),
//! `fetch` (one page: timeout, retries), `ndjson` + `state` (exact resume, journal),
//! `runner` (workers), `dependents` (the second round of `--all`), `progress` (the status
//! line), `stop` (signals). Output: `--out/<key>.ndjson`, one sanitized item per line, plus
//! the resume state. Re-running with the same `--out` resumes; a finished listing is not
//! fetched again.

mod dependents;
mod durations;
mod endpoints;
mod fetch;
mod gate;
mod ids;
mod ndjson;
mod pacing;
mod pager;
mod progress;
mod ratelimit;
mod runner;
mod state;
mod stop;
mod summary;
mod verdict;

#[cfg(test)]
mod endpoints_tests;

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use clap::Args;

use super::CliError;
use super::sigv4::caller::{AuthOptions, Caller, parse_url};
use endpoints::{Job, Plan, QueryOptions};
use runner::{Context, lock};
use summary::{RunFacts, Skipped};

/// First backoff step after a failed attempt, and after a refusal that names no time.
const BASE_BACKOFF: Duration = Duration::from_millis(500);

#[derive(Debug, Args)]
pub struct ExportArgs {
    /// The proxy: a function URL or a local `serve` (e.g. http://127.0.0.1:8080).
    #[arg(long)]
    pub base: String,
    /// Confluence cloud id; without it, `/wiki/...` short paths are used (the proxy must
    /// have CONFLUENCE_CLOUD_ID, as `serve --demo` does).
    #[arg(long)]
    pub cloud_id: Option<String>,
    /// An endpoint to export, e.g. `/wiki/api/v2/spaces?limit=100` (repeatable).
    #[arg(long = "endpoint", value_name = "PATH")]
    pub endpoints: Vec<String>,
    /// Every endpoint of the rules that needs no id, then the id-bearing ones for the ids found.
    #[arg(long)]
    pub all: bool,
    /// Only content modified on or after this date (YYYY-MM-DD; the content search's CQL).
    #[arg(long)]
    pub since: Option<String>,
    /// Output directory (NDJSON files and the resume state).
    #[arg(long)]
    pub out: PathBuf,
    /// Most listings fetched, and requests in flight, at the same time (the pacing may use
    /// fewer while the source refuses).
    #[arg(long, default_value_t = 4, value_parser = clap::value_parser!(u32).range(1..=32))]
    pub concurrency: u32,
    /// Page size asked for (`limit`) on every endpoint that allows it; default: each
    /// endpoint's largest (250 on v2, 200 on content search and groups, else 100).
    #[arg(long, value_parser = clap::value_parser!(u32).range(1..))]
    pub limit: Option<u32>,
    /// Rules file the endpoints come from (default: the shipped Confluence rules).
    #[arg(long)]
    pub rules: Option<PathBuf>,
    /// Failed attempts per page before its listing fails: timeouts, network errors, 5xx.
    /// Rate-limit refusals (429, 503 with Retry-After) are not failed attempts.
    #[arg(long, default_value_t = 8, value_parser = clap::value_parser!(u32).range(1..))]
    pub max_attempts: u32,
    /// Longest single wait (Retry-After, a spent budget's reset, a backoff): seconds or
    /// 500ms/30s/2m/8h.
    #[arg(long, default_value = "60", value_parser = durations::parse)]
    pub max_wait: Duration,
    /// Longest time the whole run may spend paused by the source's rate limit; beyond it
    /// the run stops (exit 4) and a re-run resumes.
    #[arg(long, default_value = "8h", value_parser = durations::parse)]
    pub max_wait_total: Duration,
    /// Time allowed to open a connection to the proxy.
    #[arg(long, default_value = "10", value_parser = durations::positive)]
    pub connect_timeout: Duration,
    /// Time allowed for one whole request, body included; a timeout is retried like a 504.
    /// The default outlasts the proxy's own upstream timeout (180 s), so a slow source is
    /// reported by the proxy (504 SOURCE_API_READ_TIMEOUT) before the caller gives up.
    #[arg(long, default_value = "200", value_parser = durations::positive)]
    pub request_timeout: Duration,
    /// Print the summary as JSON on stdout (for scripts).
    #[arg(long)]
    pub json: bool,
    /// List every listing in the summary, not only the failed ones.
    #[arg(long, short)]
    pub verbose: bool,
    /// Assume this IAM role (function URLs).
    #[arg(long)]
    pub role: Option<String>,
    /// AWS region (default: from the function URL host).
    #[arg(long)]
    pub region: Option<String>,
    /// Bearer token for a local `serve` started with --auth-token.
    #[arg(
        long,
        visible_alias = "auth-token",
        env = crate::config::names::PSEUDOPROXY_AUTH_TOKEN,
        hide_env_values = true
    )]
    pub token: Option<String>,
}

pub(super) fn run(args: ExportArgs) -> Result<(), CliError> {
    if !args.all && args.endpoints.is_empty() {
        return Err(CliError::Usage(
            "nothing to export: pass --all or --endpoint PATH".into(),
        ));
    }
    if let Some(since) = &args.since {
        check_date(since)?;
    }
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| CliError::Usage(format!("cannot start the async runtime: {e}")))?;
    runtime.block_on(export(args))
}

async fn export(args: ExportArgs) -> Result<(), CliError> {
    let started = Instant::now();
    let usage = |e: &dyn std::fmt::Display| CliError::Usage(e.to_string());
    let base_url = parse_url(&args.base).map_err(|e| usage(&e))?;
    std::fs::create_dir_all(&args.out)
        .map_err(|e| usage(&format!("cannot create {}: {e}", args.out.display())))?;
    let store = state::StateStore::open(&args.out).map_err(|e| usage(&e))?;
    let prefix = pager::site_prefix(args.cloud_id.as_deref());
    let options = AuthOptions {
        token: args.token.clone(),
        role: args.role.clone(),
        region: args.region.clone(),
    };
    let caller = Caller::with_connect_timeout(&base_url, &options, true, args.connect_timeout)
        .await
        .map_err(|e| usage(&e))?;
    let plan = match args.all {
        true => endpoints::plan(
            &load_rules(args.rules.as_deref())?,
            &prefix,
            &query_options(&args),
        ),
        false => Plan::default(),
    };
    let stop = stop::Stop::new();
    let signals = stop::spawn_signal_listener(stop.clone());
    let progress = progress::Progress::for_stderr();
    let (items, pages) = store.earlier_totals();
    progress.counters.resumed_from(items, pages);
    progress.note(&format!(
        "exporting from {} ({}) to {}",
        args.base,
        caller.describe(),
        args.out.display()
    ));
    let pacing = pacing::PacingConfig {
        max_in_flight: args.concurrency,
        max_single_wait: args.max_wait,
        base_backoff: BASE_BACKOFF,
    };
    let ctx = Arc::new(Context {
        caller,
        base: args.base.trim_end_matches('/').to_owned(),
        out: args.out.clone(),
        prefix: prefix.clone(),
        workers: args.concurrency as usize,
        fetch: fetch::FetchSettings {
            max_attempts: args.max_attempts.max(1),
            base_backoff: BASE_BACKOFF,
            max_backoff: args.max_wait,
            request_timeout: args.request_timeout,
        },
        gate: gate::Gate::new(pacing, args.max_wait_total, stop.clone()),
        stop,
        store: Mutex::new(store),
        progress,
    });
    let ticker = runner::spawn_ticker(ctx.clone());

    let mut first = plan.first.clone();
    first.extend(explicit_jobs(&args.endpoints, &prefix));
    dedupe(&mut first);
    // The first round is a handful of listings: their reports are kept for the second
    // round's plan. The second round's go straight into the ledger.
    let first_reports = Arc::new(Mutex::new(Vec::new()));
    let collect = first_reports.clone();
    let count = first.len() as u64;
    runner::run_jobs(&ctx, first.into_iter(), count, move |report| {
        lock(&collect).push(report)
    })
    .await;
    let mut reports = std::mem::take(&mut *lock(&first_reports));
    let ledger = Arc::new(Mutex::new(summary::Ledger::new(args.verbose)));
    let mut skipped: Vec<Skipped> = plan
        .skipped
        .iter()
        .map(|(label, reason)| Skipped {
            kind: endpoints::key_for(label),
            reason: reason.clone(),
        })
        .collect();
    match ctx.stop.reason() {
        None => {
            let second = dependents::plan(&ctx.out, &plan.templated, &mut reports);
            skipped.extend(second.skipped);
            let into = ledger.clone();
            let count = second.jobs.count();
            runner::run_jobs(&ctx, second.jobs.into_jobs(), count, move |report| {
                lock(&into).add(&report)
            })
            .await;
        }
        Some(_) => skipped.extend(plan.templated.iter().map(|t| Skipped {
            kind: t.kind(),
            reason: "not planned: the run stopped before the listings that give their ids".into(),
        })),
    }
    let mut ledger = std::mem::take(&mut *lock(&ledger));
    for report in &reports {
        ledger.add(report);
    }

    ticker.abort();
    signals.abort();
    let compacted = ctx.store().compact();
    ctx.progress.finish();
    if let Err(e) = compacted {
        // The journal is intact, so the next run still resumes exactly.
        eprintln!("export: could not compact the state ({e}); the next run will");
    }
    let facts = RunFacts {
        elapsed: started.elapsed(),
        waited: ctx.gate.view().waited,
        stop: ctx.stop.reason(),
    };
    let summary = ledger.finish(&skipped, &facts);
    match args.json {
        true => println!("{}", summary::render_json(&summary)),
        false => print!("{}", summary::render_text(&summary)),
    }
    let message = format!("export {} (exit {})", summary.outcome, summary.exit_code);
    match summary.exit_code {
        0 => Ok(()),
        1 => Err(CliError::ChecksFailed(message)),
        code => Err(CliError::Stopped { code, message }),
    }
}

fn query_options(args: &ExportArgs) -> QueryOptions {
    QueryOptions {
        limit: args.limit,
        since: args.since.clone(),
    }
}

fn load_rules(path: Option<&Path>) -> Result<crate::rules::RuleSet, CliError> {
    let (origin, text) = match path {
        Some(path) => (
            path.display().to_string(),
            std::fs::read_to_string(path)
                .map_err(|e| CliError::Usage(format!("cannot read {}: {e}", path.display())))?,
        ),
        None => {
            let (origin, text) = crate::rules::SHIPPED_RULES;
            (origin.to_owned(), text.to_owned())
        }
    };
    crate::rules::from_str(&text, &origin).map_err(|d| CliError::InvalidRules(d.to_string()))
}

/// `--endpoint` paths: `/wiki/…` and `/rest/…` go under the site prefix.
fn explicit_jobs(paths: &[String], prefix: &str) -> Vec<Job> {
    paths
        .iter()
        .map(|path| {
            let url = pager::reroot(path.trim(), prefix);
            let key = endpoints::key_for(&url);
            Job {
                kind: key.clone(),
                key,
                url,
            }
        })
        .collect()
}

fn dedupe(jobs: &mut Vec<Job>) {
    let mut seen = std::collections::HashSet::new();
    jobs.retain(|job| seen.insert(job.key.clone()));
}

/// `YYYY-MM-DD`, digits only (it goes into CQL).
fn check_date(text: &str) -> Result<(), CliError> {
    let ok = text.len() == 10
        && text.char_indices().all(|(i, c)| match i {
            4 | 7 => c == '-',
            _ => c.is_ascii_digit(),
        });
    match ok {
        true => Ok(()),
        false => Err(CliError::Usage(format!(
            "--since {text:?}: expected YYYY-MM-DD"
        ))),
    }
}
