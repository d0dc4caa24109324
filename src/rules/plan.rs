//! The order in which an endpoint's transforms are applied by the sanitizer's fast path
//! (`sanitize::fused`), worked out once when the rules are compiled instead of on every
//! response: which paths share one walk of the document (a compiled [`PathSet`]), which
//! run alone, and where an `applyOnlyWhen` condition splits the list.
//!
//! The grouping is the reference order's (every path of every transform, in file order)
//! cut into runs of paths that cannot influence each other's matches:
//! - a path joins the current group only if it is `independent_of` every path already in
//!   it (given whether that one removes what it matches);
//! - a path that reads from the document root is applied alone, between groups;
//! - a transform with `applyOnlyWhen` starts a new *segment*: its condition is evaluated
//!   on the document as the earlier segments left it, and the segment has two groupings,
//!   one with that transform's paths and one without (the transforms after it, up to the
//!   next condition, are in both).
//!
//! This is the grouping the fast path used to compute per response, so the result is
//! unchanged; the differential test in `sanitize` compares it with the reference.

use crate::jsonpath::{JsonPath, PathSet};

use super::{Transform, TransformKind};

/// An endpoint's transforms as the fast path applies them.
#[derive(Debug, Default)]
pub struct TransformPlan {
    pub segments: Vec<PlanSegment>,
    /// How many transforms the plan was built from: the fast path refuses a plan that
    /// does not cover the endpoint's transforms (fail closed: the reference runs them).
    pub transforms: usize,
}

/// The transforms from one `applyOnlyWhen` transform (or the first transform) up to the
/// next `applyOnlyWhen` transform.
#[derive(Debug)]
pub struct PlanSegment {
    /// The transform whose `applyOnlyWhen` chooses between `applied` and `skipped`; `None`
    /// for the first segment, which has no condition (`skipped` is then empty and unused).
    pub condition: Option<usize>,
    /// The steps when the condition holds (or there is none).
    pub applied: Vec<PlanStep>,
    /// The steps when it does not: the same transforms without the conditional one.
    pub skipped: Vec<PlanStep>,
}

/// One step of a segment.
#[derive(Debug)]
pub enum PlanStep {
    /// Paths applied in one walk: path `i` of `set` is `ops[i]`.
    Together { set: PathSet, ops: Vec<PlanOp> },
    /// A path applied on its own, one path at a time as the reference does.
    Alone(PlanOp),
}

/// One path of one transform: `transforms[transform].json_paths[path]`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PlanOp {
    pub transform: usize,
    pub path: usize,
}

impl PlanOp {
    pub fn json_path<'t>(&self, transforms: &'t [Transform]) -> &'t JsonPath {
        &transforms[self.transform].json_paths[self.path]
    }

    pub fn kind<'t>(&self, transforms: &'t [Transform]) -> &'t TransformKind {
        &transforms[self.transform].kind
    }

    /// Whether the op removes what it matches (then nothing below a match is seen by it).
    pub fn removes(&self, transforms: &[Transform]) -> bool {
        matches!(self.kind(transforms), TransformKind::Redact)
    }
}

impl TransformPlan {
    pub fn new(transforms: &[Transform]) -> TransformPlan {
        let mut starts: Vec<usize> = (0..transforms.len())
            .filter(|&t| t > 0 && transforms[t].apply_only_when.is_some())
            .collect();
        starts.insert(0, 0);
        let mut segments = Vec::with_capacity(starts.len());
        for (i, &start) in starts.iter().enumerate() {
            let end = starts.get(i + 1).copied().unwrap_or(transforms.len());
            if start == end {
                continue;
            }
            let condition = transforms[start].apply_only_when.is_some().then_some(start);
            let applied = steps(transforms, start..end);
            let skipped = match condition {
                Some(_) => steps(transforms, start + 1..end),
                None => Vec::new(),
            };
            segments.push(PlanSegment {
                condition,
                applied,
                skipped,
            });
        }
        TransformPlan {
            segments,
            transforms: transforms.len(),
        }
    }
}

/// The steps of the transforms `range`, grouped greedily in file order.
fn steps(transforms: &[Transform], range: std::ops::Range<usize>) -> Vec<PlanStep> {
    let mut steps = Vec::new();
    let mut group: Vec<PlanOp> = Vec::new();
    for transform in range {
        for path in 0..transforms[transform].json_paths.len() {
            let op = PlanOp { transform, path };
            let json_path = op.json_path(transforms);
            if json_path.reads_from_root() {
                close(transforms, &mut group, &mut steps);
                steps.push(PlanStep::Alone(op));
                continue;
            }
            let joins = group.iter().all(|earlier| {
                json_path.independent_of(earlier.json_path(transforms), earlier.removes(transforms))
            });
            if !joins {
                close(transforms, &mut group, &mut steps);
            }
            group.push(op);
        }
    }
    close(transforms, &mut group, &mut steps);
    steps
}

/// Ends the current group: one walk for its paths (each alone, in order, if they cannot
/// be compiled into one set, which the reference order makes equivalent).
fn close(transforms: &[Transform], group: &mut Vec<PlanOp>, steps: &mut Vec<PlanStep>) {
    if group.is_empty() {
        return;
    }
    let paths: Vec<&JsonPath> = group.iter().map(|op| op.json_path(transforms)).collect();
    match PathSet::new(&paths) {
        Some(set) => steps.push(PlanStep::Together {
            set,
            ops: std::mem::take(group),
        }),
        None => steps.extend(group.drain(..).map(PlanStep::Alone)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn transforms(spec: &[(&str, &[&str], Option<&str>)]) -> Vec<Transform> {
        spec.iter()
            .map(|(kind, paths, when)| Transform {
                kind: match *kind {
                    "redact" => TransformKind::Redact,
                    _ => TransformKind::HashIp,
                },
                json_paths: paths
                    .iter()
                    .map(|p| JsonPath::compile(p).unwrap())
                    .collect(),
                apply_only_when: when.map(|w| JsonPath::compile(w).unwrap()),
            })
            .collect()
    }

    /// Each step as `[transform.path ...]` (together) or `transform.path` (alone).
    fn shape(steps: &[PlanStep]) -> Vec<String> {
        let op = |op: &PlanOp| format!("{}.{}", op.transform, op.path);
        steps
            .iter()
            .map(|step| match step {
                PlanStep::Together { ops, .. } => {
                    format!("[{}]", ops.iter().map(op).collect::<Vec<_>>().join(" "))
                }
                PlanStep::Alone(one) => op(one),
            })
            .collect()
    }

    #[test]
    fn independent_paths_share_a_walk_and_a_dependent_one_starts_the_next() {
        // The filter reads a key the redaction removes: it must see the document after it.
        let plan = TransformPlan::new(&transforms(&[
            ("rewrite", &["$..name", "$..title"], None),
            ("redact", &["$..secret"], None),
            ("rewrite", &["$.items[?(@.secret)].id"], None),
        ]));
        assert_eq!(plan.segments.len(), 1);
        assert_eq!(plan.segments[0].condition, None);
        assert_eq!(shape(&plan.segments[0].applied), ["[0.0 0.1 1.0]", "[2.0]"]);
    }

    #[test]
    fn a_root_reading_path_runs_alone_between_groups() {
        let plan = TransformPlan::new(&transforms(&[
            ("rewrite", &["$..name"], None),
            ("rewrite", &["$.items[?(@.id == $.x)].title"], None),
            ("rewrite", &["$..title"], None),
        ]));
        assert_eq!(shape(&plan.segments[0].applied), ["[0.0]", "1.0", "[2.0]"]);
    }

    #[test]
    fn a_condition_starts_a_segment_with_and_without_its_transform() {
        let plan = TransformPlan::new(&transforms(&[
            ("rewrite", &["$..name"], None),
            ("redact", &["$..secret"], Some("$.x")),
            ("rewrite", &["$..title", "$.items[?(@.secret)].id"], None),
            ("rewrite", &["$..id"], Some("$.y")),
        ]));
        let segments: Vec<_> = plan
            .segments
            .iter()
            .map(|s| (s.condition, shape(&s.applied), shape(&s.skipped)))
            .collect();
        assert_eq!(
            segments,
            [
                (None, vec!["[0.0]".to_owned()], vec![]),
                (
                    Some(1),
                    vec!["[1.0 2.0]".to_owned(), "[2.1]".to_owned()],
                    vec!["[2.0 2.1]".to_owned()]
                ),
                (Some(3), vec!["[3.0]".to_owned()], vec![]),
            ]
        );
    }

    #[test]
    fn a_condition_on_the_first_transform_is_a_segment_of_its_own_kind() {
        let plan = TransformPlan::new(&transforms(&[
            ("rewrite", &["$..id"], Some("$.x")),
            ("rewrite", &["$..name"], None),
        ]));
        assert_eq!(plan.segments.len(), 1);
        assert_eq!(plan.segments[0].condition, Some(0));
        assert_eq!(shape(&plan.segments[0].applied), ["[0.0 1.0]"]);
        assert_eq!(shape(&plan.segments[0].skipped), ["[1.0]"]);
    }

    #[test]
    fn consecutive_conditions_each_start_a_segment_even_without_paths() {
        let plan = TransformPlan::new(&transforms(&[
            ("rewrite", &["$..name"], Some("$.x")),
            ("redact", &[], Some("$.y")),
            (
                "rewrite",
                &["$.items[?(@.id == $.x)].title", "$..title"],
                Some("$.z"),
            ),
        ]));
        let segments: Vec<_> = plan
            .segments
            .iter()
            .map(|s| (s.condition, shape(&s.applied), shape(&s.skipped)))
            .collect();
        let strings = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert_eq!(
            segments,
            [
                (Some(0), strings(&["[0.0]"]), strings(&[])),
                (Some(1), strings(&[]), strings(&[])),
                (Some(2), strings(&["2.0", "[2.1]"]), strings(&[])),
            ]
        );
        assert_eq!(plan.transforms, 3);
    }

    #[test]
    fn a_root_reading_path_after_a_condition_runs_alone_in_both_groupings() {
        let plan = TransformPlan::new(&transforms(&[
            ("redact", &["$..secret"], Some("$.x")),
            ("rewrite", &["$.items[?(@.id == $.x)].title"], None),
        ]));
        assert_eq!(shape(&plan.segments[0].applied), ["[0.0]", "1.0"]);
        assert_eq!(shape(&plan.segments[0].skipped), ["1.0"]);
    }

    #[test]
    fn no_transforms_no_segments() {
        assert!(TransformPlan::new(&[]).segments.is_empty());
    }
}
