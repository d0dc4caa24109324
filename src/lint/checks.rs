//! The static checks of one endpoint (L001–L004, L006–L008), from its [`Analysis`].
//! L005 needs example responses (`examples.rs`); L009 needs the lint file (`mod.rs`).

use super::classify::{Analysis, Applied, LeafClass, PathReach};
use super::findings::{Code, Finding};
use super::names::PersonalNames;
use super::shape::{Kinds, NodeId};
use super::{EndpointReport, LeafReport};
use crate::rules::{Endpoint, TransformKind};

/// The report rows and findings of one endpoint.
pub fn check_endpoint(
    index: usize,
    endpoint: &Endpoint,
    analysis: &Analysis,
    personal: &PersonalNames,
) -> (EndpointReport, Vec<Finding>) {
    let label = endpoint.label.as_str();
    let mut findings = Vec::new();
    if !analysis.filtered {
        findings.push(Finding::new(
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
        findings.push(Finding::new(
            Code::AnyQueryParam,
            label,
            None,
            "allowedQueryParams is absent: every query parameter is forwarded, including ones \
             that make upstream return more (bodies, expansions)"
                .into(),
            "list the parameters the export needs under allowedQueryParams (`[]` for none)".into(),
        ));
    }
    let leaves = analysis
        .leaves
        .iter()
        .map(|(node, class, applied)| {
            let leaf = leaf_report(analysis, *node, *class, applied, personal);
            findings.extend(leaf_findings(label, &leaf));
            leaf
        })
        .collect();
    for path in &analysis.paths {
        findings.extend(path_findings(label, endpoint, analysis, path));
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

fn leaf_findings(label: &str, leaf: &LeafReport) -> Vec<Finding> {
    let mut out = Vec::new();
    let path = leaf.path.to_string();
    if let (LeafClass::KeptRaw, Some(what)) = (leaf.class, &leaf.personal) {
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
        out.push(Finding::new(
            Code::PersonalKeptRaw,
            label,
            Some(path.clone()),
            format!("`{path}` looks like {what} and is kept raw{conditional}"),
            format!(
                "pseudonymize it (add \"{path}\" to a pseudonymize), textDigest or redact it, or \
                 drop it from the responseSchema; if it is not personal, acknowledge L001 for it \
                 in the lint file with the reason"
            ),
        ));
    }
    if let (LeafClass::KeptRaw, Some(reason)) = (leaf.class, &leaf.truncated) {
        out.push(Finding::new(
            Code::RecursionNotAnalysed,
            label,
            Some(path.clone()),
            format!("the schema stops being analysed at `{path}` ({reason}) and what is below it is kept"),
            "cover every level with deep-scan paths (`$..accountId`) and acknowledge L006 with \
             that reason, or make the schema non-recursive"
                .into(),
        ));
    }
    let twice: Vec<&Applied> = leaf
        .applied
        .iter()
        .filter(|a| !a.on_enclosing && a.effect == LeafClass::Pseudonymized)
        .collect();
    if let [first, second, ..] = twice.as_slice() {
        out.push(Finding::new(
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
        ));
    }
    out
}

fn path_findings(
    label: &str,
    endpoint: &Endpoint,
    analysis: &Analysis,
    path: &PathReach,
) -> Vec<Finding> {
    let Some(transform) = endpoint.transforms.get(path.transform) else {
        return Vec::new();
    };
    let (kind, _) = super::classify::describe(&transform.kind);
    let which = format!("#{} {kind}", path.transform + 1);
    let mut out = Vec::new();
    if analysis.filtered && path.reached.is_empty() {
        let message = match path.path_index {
            None => format!(
                "applyOnlyWhen `{}` can never match under the responseSchema, so {which} never runs",
                path.source
            ),
            Some(_) => format!(
                "`{}` ({which}) can never match: the responseSchema does not keep what it names",
                path.source
            ),
        };
        out.push(dead(label, path, message));
    } else if let Some(by) = shadowed_by(endpoint, analysis, path) {
        let message = format!(
            "`{}` ({which}) only reaches values that #{} already removed",
            path.source,
            by + 1
        );
        out.push(dead(label, path, message));
    }
    if matches!(transform.kind, TransformKind::Pseudonymize { .. }) && path.path_index.is_some() {
        let shape = &analysis.shape;
        let bad = path.reached.iter().find(|r| {
            let kinds = shape.node(r.node).kinds;
            !kinds.is_empty() && !kinds.pseudonymizable()
        });
        if let Some(r) = bad {
            let at = shape.path(r.node);
            out.push(Finding::new(
                Code::PseudonymizeNonScalar,
                label,
                Some(path.source.clone()),
                format!(
                    "`{}` ({which}) reaches `{at}`, which holds {}; pseudonymize fails such \
                     responses closed (SANITIZATION_FAILED)",
                    path.source,
                    shape.node(r.node).kinds
                ),
                "point the path at the identifier inside it, or redact the whole value".into(),
            ));
        }
    }
    out
}

fn dead(label: &str, path: &PathReach, message: String) -> Finding {
    Finding::new(
        Code::DeadPath,
        label,
        Some(path.source.clone()),
        message,
        "fix the path against the leaf table, or remove it: the responseSchema is the \
         allow-list, so a redact of a key it drops only suggests protection it does not add"
            .into(),
    )
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
