//! The second round of `--all`: jobs for the id-bearing endpoints (page versions, group
//! members…) from the ids in the first round's output.
//!
//! A source listing that finished gives all its ids. One that failed after some pages still
//! gives the ids it has (read from the committed part of its file only), and its report
//! records how many, so the summary calls it partial. A source that has no ids, failed
//! before its first page or was not reached makes its dependents "skipped", with the reason.

use std::io::{BufReader, Read};
use std::path::Path;

use super::endpoints::{self, Job, Templated};
use super::ids::{self, IdList};
use super::summary::{ListingOutcome, ListingReport, Skipped};

/// What the second round runs, and the kinds it cannot.
#[derive(Debug, Default)]
pub(super) struct SecondRound {
    pub jobs: DependentJobs,
    pub skipped: Vec<Skipped>,
}

/// The second round's listings: per id-bearing endpoint, the ids it runs for. Jobs are
/// made one at a time as workers take them (an id is a few bytes; a job is a few hundred).
#[derive(Debug, Default)]
pub(super) struct DependentJobs(Vec<(Templated, IdList)>);

impl DependentJobs {
    /// How many listings [`DependentJobs::into_jobs`] yields.
    pub(super) fn count(&self) -> u64 {
        self.0.iter().map(|(_, ids)| ids.len() as u64).sum()
    }

    pub(super) fn into_jobs(self) -> impl Iterator<Item = Job> + Send + 'static {
        self.0
            .into_iter()
            .flat_map(|(templated, ids)| endpoints::jobs_for(templated, ids))
    }
}

/// Plans the second round from the first round's `reports` (their files are in `out`);
/// marks a failed source that drove dependents with the number of ids it gave.
pub(super) fn plan(
    out: &Path,
    templated: &[Templated],
    reports: &mut [ListingReport],
) -> SecondRound {
    let mut round = SecondRound::default();
    let mut planned_kinds: Vec<String> = Vec::new();
    for endpoint in templated {
        let kind = endpoint.kind();
        let skip = |reason: String| Skipped {
            kind: kind.clone(),
            reason,
        };
        // A listing's file and state are keyed by a name made from its path; two
        // endpoints with the same kind would give each id the same key, and the second
        // would overwrite the first's file (a run hands each key's state out once).
        if planned_kinds.contains(&kind) {
            round.skipped.push(skip(format!(
                "its listings would share files with an earlier endpoint's ({kind})"
            )));
            continue;
        }
        planned_kinds.push(kind.clone());
        let Some(source) = &endpoint.source else {
            round
                .skipped
                .push(skip("no exported listing provides these ids".into()));
            continue;
        };
        let Some(report) = reports.iter_mut().find(|r| r.key == source.key) else {
            round.skipped.push(skip(format!(
                "needs ids from {}, which was not exported",
                source.key
            )));
            continue;
        };
        let partial = match &report.outcome {
            ListingOutcome::Done { .. } | ListingOutcome::AlreadyDone => false,
            ListingOutcome::Failed(_) if report.items > 0 => true,
            ListingOutcome::Failed(_) => {
                round.skipped.push(skip(format!(
                    "needs ids from {}, which failed before its first page",
                    source.key
                )));
                continue;
            }
            ListingOutcome::Unfinished => {
                round.skipped.push(skip(format!(
                    "needs ids from {}, which did not finish (the run stopped)",
                    source.key
                )));
                continue;
            }
        };
        let ids = committed_ids(out, &report.key, report.bytes, source.item_type);
        if ids.is_empty() {
            round
                .skipped
                .push(skip(format!("no ids in {}", source.key)));
            continue;
        }
        if partial {
            report.ids_used = Some(report.ids_used.unwrap_or(0) + ids.len());
        }
        // Ids are unique per source (`ids::ids_from_ndjson`), and each endpoint's kind
        // differs (above), so no two jobs share a key.
        round.jobs.0.push((endpoint.clone(), ids));
    }
    round
}

/// The ids in the first `committed` bytes of `out/<key>.ndjson` (bytes beyond belong to a
/// page that was never recorded).
fn committed_ids(out: &Path, key: &str, committed: u64, item_type: Option<&str>) -> IdList {
    match std::fs::File::open(out.join(format!("{key}.ndjson"))) {
        Ok(file) => ids::ids_from_ndjson(BufReader::new(file.take(committed)), item_type),
        Err(_) => IdList::default(),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::cli::export::endpoints::IdSource;
    use crate::cli::export::summary::{Failure, Tally};

    fn templated(path: &str, source: Option<IdSource>) -> Templated {
        Templated {
            path: path.into(),
            query: "limit=2".into(),
            source,
        }
    }

    fn report(key: &str, outcome: ListingOutcome, items: u64, bytes: u64) -> ListingReport {
        ListingReport {
            key: key.into(),
            kind: key.into(),
            outcome,
            pages: 1,
            items,
            bytes,
            tally: Tally::default(),
            ids_used: None,
        }
    }

    fn failed() -> ListingOutcome {
        ListingOutcome::Failed(Failure {
            reason: "403 BLOCKED_BY_RULES: …".into(),
            status: Some(403),
            code: Some("BLOCKED_BY_RULES".into()),
            at: None,
            retry_may_help: false,
        })
    }

    #[test]
    fn a_partial_source_drives_its_dependents_with_the_committed_ids_only() {
        let dir = tempfile::tempdir().unwrap();
        let committed = "{\"id\":\"g1\"}\n{\"id\":\"g2\"}\n";
        let text = format!("{committed}{{\"id\":\"g3\"}}\n");
        std::fs::write(dir.path().join("group.ndjson"), text).unwrap();
        let endpoints = [
            templated(
                "/wiki/rest/api/group/{}/membersByGroupId",
                Some(IdSource {
                    key: "group",
                    item_type: None,
                }),
            ),
            templated(
                "/wiki/api/v2/pages/{}/versions",
                Some(IdSource {
                    key: "content-search",
                    item_type: Some("page"),
                }),
            ),
            templated("/wiki/api/v2/attachments/{}/versions", None),
        ];
        let mut reports = [
            report("group", failed(), 2, committed.len() as u64),
            report("content-search", ListingOutcome::Unfinished, 0, 0),
        ];
        let round = plan(dir.path(), &endpoints, &mut reports);
        assert_eq!(round.jobs.count(), 2);
        let jobs: Vec<Job> = round.jobs.into_jobs().collect();
        let keys: Vec<&str> = jobs.iter().map(|j| j.key.as_str()).collect();
        assert_eq!(
            keys,
            ["group-g1-membersByGroupId", "group-g2-membersByGroupId"]
        );
        assert!(jobs.iter().all(|j| j.kind == "group-ID-membersByGroupId"));
        assert_eq!(reports[0].ids_used, Some(2));
        let skipped: Vec<(&str, &str)> = round
            .skipped
            .iter()
            .map(|s| (s.kind.as_str(), s.reason.as_str()))
            .collect();
        assert_eq!(
            skipped,
            [
                (
                    "pages-ID-versions",
                    "needs ids from content-search, which did not finish (the run stopped)"
                ),
                (
                    "attachments-ID-versions",
                    "no exported listing provides these ids"
                ),
            ]
        );
    }

    #[test]
    fn endpoints_whose_listings_would_share_files_run_once() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("search.ndjson"), "{\"id\":\"7\"}\n").unwrap();
        let source = || {
            Some(IdSource {
                key: "search",
                item_type: None,
            })
        };
        // v2 and v1 spell the same resource; both would write pages-7-versions.
        let endpoints = [
            templated("/wiki/api/v2/pages/{}/versions", source()),
            templated("/wiki/rest/api/pages/{}/versions", source()),
        ];
        let mut reports = [report(
            "search",
            ListingOutcome::Done { resumed: false },
            1,
            11,
        )];
        let round = plan(dir.path(), &endpoints, &mut reports);
        let jobs: Vec<Job> = round.jobs.into_jobs().collect();
        assert_eq!(jobs.len(), 1, "{jobs:?}");
        assert_eq!(jobs[0].url, "/wiki/api/v2/pages/7/versions?limit=2");
        assert_eq!(round.skipped.len(), 1);
        assert!(
            round.skipped[0].reason.contains("share files"),
            "{}",
            round.skipped[0].reason
        );
    }
}
