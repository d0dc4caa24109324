//! `pseudoproxy export`: page through Confluence endpoints via the proxy into NDJSON files.
//!
//! Layout: `endpoints` (what to fetch, from the rules), `pager` (next links, items),
//! `fetch` (retries), `ndjson` + `state` (exact resume), `runner` (concurrency),
//! `progress` and `summary` (what the user sees). Output: `--out/<key>.ndjson`, one
//! sanitized item per line, plus `export-state.json`. Re-running with the same `--out`
//! resumes; a finished endpoint is not fetched again.

mod endpoints;
mod fetch;
mod ndjson;
mod pager;
mod progress;
mod runner;
mod state;
mod summary;

#[cfg(test)]
mod endpoints_tests;

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use clap::Args;

use super::CliError;
use super::sigv4::caller::{AuthOptions, Caller, parse_url};
use endpoints::{Job, Plan, QueryOptions};
use runner::Context;
use summary::Row;

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
    /// Endpoints fetched at the same time.
    #[arg(long, default_value_t = 4, value_parser = clap::value_parser!(u32).range(1..=32))]
    pub concurrency: u32,
    /// Page size asked for (`limit`), where the endpoint allows it.
    #[arg(long, default_value_t = 100)]
    pub limit: u32,
    /// Rules file the endpoints come from (default: the shipped Confluence rules).
    #[arg(long)]
    pub rules: Option<PathBuf>,
    /// Attempts per page before giving up (429/503/504 and network errors are retried).
    #[arg(long, default_value_t = 8)]
    pub max_attempts: u32,
    /// Longest single wait in seconds, `Retry-After` included.
    #[arg(long, default_value_t = 60)]
    pub max_wait: u64,
    /// Assume this IAM role (function URLs).
    #[arg(long)]
    pub role: Option<String>,
    /// AWS region (default: from the function URL host).
    #[arg(long)]
    pub region: Option<String>,
    /// Bearer token for a local `serve` started with --auth-token.
    #[arg(long, env = crate::config::names::PSEUDOPROXY_AUTH_TOKEN, hide_env_values = true)]
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
    let usage = |e: &dyn std::fmt::Display| CliError::Usage(e.to_string());
    let base_url = parse_url(&args.base).map_err(|e| usage(&e))?;
    std::fs::create_dir_all(&args.out)
        .map_err(|e| usage(&format!("cannot create {}: {e}", args.out.display())))?;
    let mut state = state::ExportState::load(&args.out)
        .map_err(|e| usage(&e))?
        .unwrap_or_default();
    state.base = args.base.clone();
    let prefix = pager::site_prefix(args.cloud_id.as_deref());
    let options = AuthOptions {
        token: args.token.clone(),
        role: args.role.clone(),
        region: args.region.clone(),
    };
    let caller = Caller::new(&base_url, &options, true)
        .await
        .map_err(|e| usage(&e))?;
    let progress = progress::Progress::for_stderr();
    progress.note(&format!(
        "exporting from {} ({}) to {}",
        args.base,
        caller.describe(),
        args.out.display()
    ));
    let plan = match args.all {
        true => endpoints::plan(
            &load_rules(args.rules.as_deref())?,
            &prefix,
            &query_options(&args),
        ),
        false => Plan::default(),
    };
    let ctx = Arc::new(Context {
        caller,
        base: args.base.trim_end_matches('/').to_owned(),
        out: args.out.clone(),
        prefix: prefix.clone(),
        policy: fetch::RetryPolicy {
            max_attempts: args.max_attempts.max(1),
            base_delay: Duration::from_millis(500),
            max_delay: Duration::from_secs(args.max_wait),
        },
        progress,
        state: tokio::sync::Mutex::new(state),
        permits: tokio::sync::Semaphore::new(args.concurrency as usize),
    });
    let mut first = plan.first.clone();
    first.extend(explicit_jobs(&args.endpoints, &prefix));
    dedupe(&mut first);
    let mut rows = runner::run_jobs(&ctx, first).await;
    let (second, skipped) = id_jobs(&ctx, &plan, &rows);
    rows.extend(runner::run_jobs(&ctx, second).await);
    rows.extend(skipped);
    rows.extend(
        plan.skipped
            .iter()
            .map(|(label, reason)| skipped_row(label, reason)),
    );
    print!("{}", summary::render(&rows));
    let failed = rows.iter().filter(|r| r.failed()).count();
    match failed {
        0 => Ok(()),
        n => Err(CliError::ChecksFailed(format!(
            "{n} endpoint(s) failed; re-run the same command to resume"
        ))),
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
            Job {
                key: endpoints::key_for(&url),
                url,
            }
        })
        .collect()
}

fn dedupe(jobs: &mut Vec<Job>) {
    let mut seen = std::collections::HashSet::new();
    jobs.retain(|job| seen.insert(job.key.clone()));
}

/// Jobs for the id-bearing endpoints, from the first round's output; rows for the ones
/// that cannot run.
fn id_jobs(ctx: &Context, plan: &Plan, rows: &[Row]) -> (Vec<Job>, Vec<Row>) {
    let mut jobs = Vec::new();
    let mut skipped = Vec::new();
    for templated in &plan.templated {
        let label = endpoints::key_for(&templated.path.replace("{}", "ID"));
        let Some(source) = &templated.source else {
            skipped.push(skipped_row(&label, "no exported endpoint lists these ids"));
            continue;
        };
        let source_done = rows.iter().any(|r| {
            r.key == source.key && (r.status.starts_with("done") || r.status == "already done")
        });
        if !source_done {
            skipped.push(skipped_row(
                &label,
                &format!("needs ids from {}, which did not finish", source.key),
            ));
            continue;
        }
        let text = std::fs::read_to_string(ctx.out.join(format!("{}.ndjson", source.key)))
            .unwrap_or_default();
        let ids = endpoints::ids_from_ndjson(&text, source.item_type);
        if ids.is_empty() {
            skipped.push(skipped_row(&label, &format!("no ids in {}", source.key)));
        }
        jobs.extend(endpoints::jobs_for(templated, &ids));
    }
    dedupe(&mut jobs);
    (jobs, skipped)
}

fn skipped_row(key: &str, reason: &str) -> Row {
    Row {
        key: key.to_owned(),
        status: format!("skipped: {reason}"),
        pages: 0,
        items: 0,
        bytes: 0,
        retries: 0,
    }
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
