//! What happens to each leaf of an endpoint: which transforms reach it (on itself or on an
//! enclosing value), and the resulting class in the **worst case**.
//!
//! Invariant: a class is only as strong as what is certain. A transform reaching a leaf
//! through a filter, an index, a slice or under `applyOnlyWhen` is listed but does not
//! raise the class — in some documents it does not run, and then the value goes out as
//! it came in. Transforms run in file order on what the schema kept; a stronger certain
//! effect replaces a weaker one (a digest of a pseudonym is a digest), a weaker one never
//! undoes a stronger one (including the original of a pseudonym includes a pseudonym).

use serde::Serialize;

use super::reach::{Reach, reach};
use super::shape::{Kinds, NodeId, Shape};
use crate::rules::{Encoding, Endpoint, RuleSet, TransformKind};

/// What a leaf looks like in the output.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum LeafClass {
    /// No value from the input reaches the output (schema `null`/`const`/empty container,
    /// or a transform on an enclosing value turns it into null).
    Dropped,
    /// Removed by `redact` (of the leaf or of an enclosing value).
    Redacted,
    /// Replaced by a pseudonym: `pseudonymize`, `pseudonymizeEmailHeader`, `hashIp`,
    /// `encryptIp`, `tokenize` without a regex.
    Pseudonymized,
    /// Replaced by `textDigest` (length and word count).
    Digested,
    /// Partly rewritten by a regex- or phrase-based transform; what survives depends on
    /// the text (`redactRegexMatches`, `redactExceptPhrases`, `filterTokenByRegex`, …).
    Masked,
    /// Passed through as it came in.
    KeptRaw,
    /// Anything may pass: the endpoint has no responseSchema.
    Unknown,
}

impl LeafClass {
    pub fn label(self) -> &'static str {
        match self {
            LeafClass::Dropped => "dropped",
            LeafClass::Redacted => "redacted",
            LeafClass::Pseudonymized => "pseudonymized",
            LeafClass::Digested => "digested",
            LeafClass::Masked => "masked",
            LeafClass::KeptRaw => "raw",
            LeafClass::Unknown => "unknown",
        }
    }

    /// 0 = the value passes as is … 3 = nothing of it passes.
    pub fn strength(self) -> u8 {
        match self {
            LeafClass::KeptRaw | LeafClass::Unknown => 0,
            LeafClass::Masked => 1,
            LeafClass::Pseudonymized | LeafClass::Digested => 2,
            LeafClass::Redacted | LeafClass::Dropped => 3,
        }
    }
}

/// One transform reaching one leaf.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Applied {
    /// 0-based position in the endpoint's `transforms`.
    pub transform: usize,
    /// The transform's tag, e.g. `pseudonymize`.
    pub kind: &'static str,
    /// Options that change the output (`encoding=JSON, reversible`); empty when default.
    pub options: String,
    /// The JSONPath that reaches the leaf.
    pub path: String,
    /// Runs on every value at this leaf (no filter, index, slice or `applyOnlyWhen`).
    pub certain: bool,
    /// Reaches an enclosing value rather than the leaf itself.
    pub on_enclosing: bool,
    /// The class this application alone gives the leaf.
    pub effect: LeafClass,
}

/// Where one JSONPath of a transform (or its `applyOnlyWhen`) can match.
#[derive(Debug, Clone)]
pub(crate) struct PathReach {
    pub transform: usize,
    /// `None` for the `applyOnlyWhen` path.
    pub path_index: Option<usize>,
    pub source: String,
    pub reached: Vec<Reach>,
}

/// The static analysis of one endpoint.
#[derive(Debug, Clone)]
pub(crate) struct Analysis {
    pub shape: Shape,
    /// `false` when the endpoint has no responseSchema (the shape is one unknown node).
    pub filtered: bool,
    pub paths: Vec<PathReach>,
    /// Per leaf, in schema order: the leaf, its worst-case class and what reaches it.
    pub leaves: Vec<(NodeId, LeafClass, Vec<Applied>)>,
}

/// Analyse `endpoint` (which belongs to `rules`).
pub(crate) fn analyse(rules: &RuleSet, endpoint: &Endpoint) -> Analysis {
    let (shape, filtered) = match &endpoint.response_schema {
        Some(schema) => (Shape::build(schema, &rules.definitions), true),
        None => (Shape::unfiltered(), false),
    };
    let paths = reach_all(&shape, endpoint, filtered);
    let leaves = shape
        .leaves()
        .into_iter()
        .map(|leaf| {
            let applied = applied_to(&shape, endpoint, &paths, leaf);
            let class = worst_case(base_class(&shape, leaf), &applied);
            (leaf, class, applied)
        })
        .collect();
    Analysis {
        shape,
        filtered,
        paths,
        leaves,
    }
}

fn reach_all(shape: &Shape, endpoint: &Endpoint, filtered: bool) -> Vec<PathReach> {
    let mut out = Vec::new();
    for (t, transform) in endpoint.transforms.iter().enumerate() {
        let condition = transform.apply_only_when.iter().map(|p| (None, p));
        let paths = transform
            .json_paths
            .iter()
            .enumerate()
            .map(|(i, p)| (Some(i), p));
        for (path_index, path) in condition.chain(paths) {
            // Without a schema nothing is known about the document: every path may match
            // the root, and nothing is certain.
            let reached = match filtered {
                true => reach(shape, path),
                false => vec![Reach {
                    node: 0,
                    certain: false,
                }],
            };
            out.push(PathReach {
                transform: t,
                path_index,
                source: path.source().to_owned(),
                reached,
            });
        }
    }
    out
}

fn applied_to(
    shape: &Shape,
    endpoint: &Endpoint,
    paths: &[PathReach],
    leaf: NodeId,
) -> Vec<Applied> {
    let mut out = Vec::new();
    for path in paths.iter().filter(|p| p.path_index.is_some()) {
        let Some(transform) = endpoint.transforms.get(path.transform) else {
            continue;
        };
        let conditional = transform.apply_only_when.is_some();
        for hit in &path.reached {
            if !shape.is_ancestor_or_self(hit.node, leaf) {
                continue;
            }
            let on_enclosing = hit.node != leaf;
            let (kind, options) = describe(&transform.kind);
            out.push(Applied {
                transform: path.transform,
                kind,
                options,
                path: path.source.clone(),
                certain: hit.certain && !conditional,
                on_enclosing,
                effect: effect_of(&transform.kind, on_enclosing),
            });
        }
    }
    out
}

/// The class of a leaf before any transform.
fn base_class(shape: &Shape, leaf: NodeId) -> LeafClass {
    let node = shape.node(leaf);
    if node.kinds.contains(Kinds::ANY) {
        LeafClass::Unknown
    } else if node.kinds.carries_scalar_input()
        || node.kinds.contains(Kinds::BOOLEAN)
        || node.truncated.is_some()
    {
        LeafClass::KeptRaw
    } else {
        LeafClass::Dropped
    }
}

fn worst_case(base: LeafClass, applied: &[Applied]) -> LeafClass {
    applied.iter().filter(|a| a.certain).fold(base, |class, a| {
        match a.effect.strength() >= class.strength() {
            true => a.effect,
            false => class,
        }
    })
}

/// The class one application gives a leaf.
pub(crate) fn effect_of(kind: &TransformKind, on_enclosing: bool) -> LeafClass {
    use TransformKind as K;
    match (kind, on_enclosing) {
        (K::Redact, _) => LeafClass::Redacted,
        // Any other transform turns a container into null (or, `pseudonymize`, fails the
        // response closed): nothing under it reaches the output.
        (_, true) => LeafClass::Dropped,
        (
            K::Pseudonymize {
                encoding: Encoding::Json,
                include_original: true,
                ..
            },
            _,
        ) => LeafClass::KeptRaw,
        (K::Pseudonymize { .. } | K::PseudonymizeEmailHeader { .. }, _)
        | (K::HashIp | K::EncryptIp | K::Tokenize { regex: None }, _) => LeafClass::Pseudonymized,
        (K::TextDigest { .. }, _) => LeafClass::Digested,
        (
            K::Tokenize { regex: Some(_) }
            | K::PseudonymizeRegexMatches { .. }
            | K::RedactRegexMatches { .. }
            | K::RedactExceptPhrases { .. }
            | K::RedactExceptSubstringsMatchingRegexes { .. }
            | K::FilterTokenByRegex { .. },
            _,
        ) => LeafClass::Masked,
    }
}

/// A transform's tag and the options that change its output.
pub(crate) fn describe(kind: &TransformKind) -> (&'static str, String) {
    use TransformKind as K;
    let encoding = |e: &Encoding| match e {
        Encoding::UrlSafeToken => "",
        Encoding::UrlSafeHashOnly => "encoding=URL_SAFE_HASH_ONLY",
        Encoding::Json => "encoding=JSON",
    };
    let join = |parts: &[&str]| {
        let kept: Vec<&str> = parts.iter().copied().filter(|p| !p.is_empty()).collect();
        kept.join(", ")
    };
    match kind {
        K::Redact => ("redact", String::new()),
        K::Pseudonymize {
            encoding: e,
            include_reversible,
            include_original,
        } => (
            "pseudonymize",
            join(&[
                encoding(e),
                if *include_reversible {
                    "reversible"
                } else {
                    ""
                },
                if *include_original { "original" } else { "" },
            ]),
        ),
        K::PseudonymizeEmailHeader { encoding: e } => {
            ("pseudonymizeEmailHeader", encoding(e).to_owned())
        }
        K::PseudonymizeRegexMatches {
            regex,
            include_reversible,
        } => (
            "pseudonymizeRegexMatches",
            join(&[
                &format!("regex={}", regex.as_str()),
                if *include_reversible {
                    "reversible"
                } else {
                    ""
                },
            ]),
        ),
        K::RedactRegexMatches { .. } => ("redactRegexMatches", String::new()),
        K::RedactExceptPhrases { .. } => ("redactExceptPhrases", String::new()),
        K::RedactExceptSubstringsMatchingRegexes { .. } => {
            ("redactExceptSubstringsMatchingRegexes", String::new())
        }
        K::FilterTokenByRegex { .. } => ("filterTokenByRegex", String::new()),
        K::Tokenize { regex } => (
            "tokenize",
            regex
                .as_ref()
                .map(|r| format!("regex={}", r.as_str()))
                .unwrap_or_default(),
        ),
        K::TextDigest { .. } => ("textDigest", String::new()),
        K::HashIp => ("hashIp", String::new()),
        K::EncryptIp => ("encryptIp", String::new()),
    }
}
