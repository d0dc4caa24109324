//! The static checks of one endpoint (L001–L004, L006–L008), from its [`Analysis`].
//! L005 needs example responses (`examples.rs`); L009 needs the lint file (`mod.rs`).

use super::classify::{Analysis, Applied, LeafClass, PathReach, describe};
use super::findings::{Code, Finding};
use super::names::PersonalNames;
use super::shape::{Kinds, NodeId};
use super::{EndpointReport, LeafReport};
use crate::rules::{Endpoint, TransformKind};

/// The report rows and findings of one endpoint.
pub(super) fn check_endpoint(
    index: usize,
    endpoint: &Endpoint,
    analysis: &Analysis,
    personal: &PersonalNames,
) -> (EndpointReport, Vec<Finding>) {
    let label = endpoint.label.as_str();
    let mut findings = endpoint_findings(label, endpoint, analysis);
    let leaves = analysis
        .leaves
        .iter()
        .map(|(node, class, applied)| {
            let leaf = leaf_report(analysis, *node, *class, applied, personal);
            findings.extend(personal_kept_raw(label, &leaf));
            findings.extend(recursion_cut(label, &leaf));
            findings.extend(pseudonymized_twice(label, &leaf));
            leaf
        })
        .collect();
    for path in &analysis.paths {
        let Some(transform) = endpoint.transforms.get(path.transform) else {
            continue;
        };
        let which = format!("#{} {}", path.transform + 1, describe(&transform.kind).0);
        findings.extend(dead_path(label, endpoint, analysis, path, &which));
        if matches!(transform.kind, TransformKind::Pseudonymize { .. }) {
            findings.extend(pseudonymize_non_scalar(label, analysis, path, &which));
        }
    }
    let report = EndpointReport {
        index,
        endpoint: label.to_owned(),
        has_schema: analysis.filtered,
        examples: None,
        leaves,
    };
    (report, findings)
}

/// L003 and L004.
fn endpoint_findings(label: &str, endpoint: &Endpoint, analysis: &Analysis) -> Vec<Finding> {
    let mut out = Vec::new();
    if !analysis.filtered {
        out.push(Finding::new(
            Code::NoResponseSchema,
            label,
            None,
            "no responseSchema: every field upstream sends, today or after an API change, passes \
             unless a transform happens to catch it"
                .into(),
            "add a responseSchema that lists the fields to keep (an allow-list)".into(),
        ));
    }
    if endpoint.allowed_query_params.is_none() {
        out.push(Finding::new(
            Code::AnyQueryParam,
            label,
            None,
            "allowedQueryParams is absent: every query parameter is forwarded, including ones \
             that make upstream return more (bodies, expansions)"
                .into(),
            "list the parameters the export needs under allowedQueryParams (`[]` for none)".into(),
        ));
    }
    out
}

fn leaf_report(
    analysis: &Analysis,
    node: NodeId,
    class: LeafClass,
    applied: &[Applied],
    personal: &PersonalNames,
) -> LeafReport {
    let shape_node = analysis.shape.node(node);
    let path = analysis.shape.path(node);
    let personal = match shape_node.kinds.carries_scalar_input() {
        true => personal.classify(&path).map(str::to_owned),
        false => None,
    };
    LeafReport {
        path,
        kinds: shape_node.kinds.to_string(),
        class,
        personal,
        acknowledged: false,
        truncated: shape_node.truncated.clone(),
        applied: applied.to_vec(),
    }
}

/// L001: a personal-looking leaf kept raw, saying so when a transform reaches it only
/// conditionally.
fn personal_kept_raw(label: &str, leaf: &LeafReport) -> Option<Finding> {
    let what = leaf
        .personal
        .as_ref()
        .filter(|_| leaf.class == LeafClass::KeptRaw)?;
    let path = leaf.path.to_string();
    let conditional = leaf
        .applied
        .iter()
        .find(|a| !a.certain && a.effect.strength() > 0)
        .map(|a| {
            format!(
                " (#{} {} reaches it only conditionally: filter, index or applyOnlyWhen)",
                a.transform + 1,
                a.kind
            )
        })
        .unwrap_or_default();
    Some(Finding::new(
        Code::PersonalKeptRaw,
        label,
        Some(path.clone()),
        format!("`{path}` looks like {what} and is kept raw{conditional}"),
        format!(
            "pseudonymize it (add \"{path}\" to a pseudonymize), textDigest or redact it, or \
             drop it from the responseSchema; if it is not personal, acknowledge L001 for it \
             in the lint file with the reason"
        ),
    ))
}

/// L006: a recursion cut whose contents are kept.
fn recursion_cut(label: &str, leaf: &LeafReport) -> Option<Finding> {
    let reason = leaf
        .truncated
        .as_ref()
        .filter(|_| leaf.class == LeafClass::KeptRaw)?;
    let path = leaf.path.to_string();
    Some(Finding::new(
        Code::RecursionNotAnalysed,
        label,
        Some(path.clone()),
        format!(
            "the schema stops being analysed at `{path}` ({reason}) and what is below it is kept"
        ),
        "cover every level with deep-scan paths (`$..accountId`) and acknowledge L006 with \
         that reason, or make the schema non-recursive"
            .into(),
    ))
}

/// L008: two applications that pseudonymize the same value.
fn pseudonymized_twice(label: &str, leaf: &LeafReport) -> Option<Finding> {
    let mut twice = leaf
        .applied
        .iter()
        .filter(|a| !a.on_enclosing && a.effect == LeafClass::Pseudonymized);
    let (first, second) = (twice.next()?, twice.next()?);
    let path = leaf.path.to_string();
    Some(Finding::new(
        Code::PseudonymizedTwice,
        label,
        Some(path.clone()),
        format!(
            "`{path}` is pseudonymized twice (#{} `{}`, then #{} `{}`): the result is a \
             pseudonym of a pseudonym, which no longer joins with the same person elsewhere",
            first.transform + 1,
            first.path,
            second.transform + 1,
            second.path
        ),
        "keep exactly one path that reaches this leaf".into(),
    ))
}

/// L002: a path (or `applyOnlyWhen`) that reaches nothing, or only removed values.
fn dead_path(
    label: &str,
    endpoint: &Endpoint,
    analysis: &Analysis,
    path: &PathReach,
    which: &str,
) -> Option<Finding> {
    let source = &path.source;
    let message = if analysis.filtered && path.reached.is_empty() {
        match path.path_index {
            None => format!(
                "applyOnlyWhen `{source}` can never match under the responseSchema, so {which} \
                 never runs"
            ),
            Some(_) => format!(
                "`{source}` ({which}) can never match: the responseSchema does not keep what it \
                 names"
            ),
        }
    } else {
        let by = shadowed_by(endpoint, analysis, path)?;
        format!(
            "`{source}` ({which}) only reaches values that #{} already removed",
            by + 1
        )
    };
    Some(Finding::new(
        Code::DeadPath,
        label,
        Some(source.clone()),
        message,
        "fix the path against the leaf table, or remove it: the responseSchema is the \
         allow-list, so a redact of a key it drops only suggests protection it does not add"
            .into(),
    ))
}

/// L007: a pseudonymize path that can reach a value pseudonymize refuses.
fn pseudonymize_non_scalar(
    label: &str,
    analysis: &Analysis,
    path: &PathReach,
    which: &str,
) -> Option<Finding> {
    path.path_index?;
    let shape = &analysis.shape;
    let bad = path.reached.iter().find(|r| {
        let kinds = shape.node(r.node).kinds;
        !kinds.is_empty() && !kinds.pseudonymizable()
    })?;
    Some(Finding::new(
        Code::PseudonymizeNonScalar,
        label,
        Some(path.source.clone()),
        format!(
            "`{}` ({which}) reaches `{}`, which holds {}; pseudonymize fails such responses \
             closed (SANITIZATION_FAILED)",
            path.source,
            shape.path(bad.node),
            shape.node(bad.node).kinds
        ),
        "point the path at the identifier inside it, or redact the whole value".into(),
    ))
}

/// The earlier transform that certainly removes every position `path` reaches, if any.
fn shadowed_by(endpoint: &Endpoint, analysis: &Analysis, path: &PathReach) -> Option<usize> {
    let shape = &analysis.shape;
    if !analysis.filtered || path.reached.is_empty() {
        return None;
    }
    let removals = analysis.paths.iter().filter(|p| {
        p.transform < path.transform
            && p.path_index.is_some()
            && endpoint
                .transforms
                .get(p.transform)
                .is_some_and(|t| t.apply_only_when.is_none())
    });
    let mut by = None;
    for target in &path.reached {
        let remover = removals.clone().find_map(|p| {
            let redact = matches!(
                endpoint.transforms.get(p.transform).map(|t| &t.kind),
                Some(TransformKind::Redact)
            );
            p.reached
                .iter()
                .any(|hit| {
                    hit.certain
                        && shape.is_ancestor_or_self(hit.node, target.node)
                        && (redact || hit.node != target.node)
                        && !shape.node(hit.node).kinds.contains(Kinds::ANY)
                })
                .then_some(p.transform)
        })?;
        by = by.max(Some(remover));
    }
    by
}
