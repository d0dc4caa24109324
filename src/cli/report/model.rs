//! What the report page shows, as data: built by `build` from the engine's results (the
//! linter, the rules diff, the gate and the sanitizer), rendered by `html`.
//!
//! PURE data. Invariant: nothing here holds a secret — the examples' salt and key are used
//! by `build` and only their fingerprint reaches this model.

use crate::lint::LeafClass;

/// What happens to a field (field tables) or to one value (examples), colour-coded.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(super) enum Fate {
    /// Nothing of the value leaves: not in the schema, or turned into null.
    Dropped,
    /// Removed by `redact`.
    Redacted,
    /// Only length and word count leave (`textDigest`).
    Digested,
    /// A pseudonym leaves: joins with other data, cannot be reversed.
    Pseudonymized,
    /// A reversible pseudonym leaves: whoever holds the key can recover the original.
    Reversible,
    /// Partly rewritten by a regex or phrase list: what survives depends on the text.
    Masked,
    /// Leaves as it came in.
    KeptRaw,
    /// Changed by no transform: the schema filter's coercion, e.g. null -> false (examples).
    Rewritten,
    /// The endpoint has no responseSchema: anything may leave (field tables).
    Unknown,
}

impl Fate {
    pub(super) const ALL: [Fate; 9] = [
        Fate::Dropped,
        Fate::Redacted,
        Fate::Digested,
        Fate::Pseudonymized,
        Fate::Reversible,
        Fate::Masked,
        Fate::KeptRaw,
        Fate::Rewritten,
        Fate::Unknown,
    ];

    /// The class the linter gives a leaf; `reversible` when a pseudonym that reaches it
    /// can be reversed.
    pub(super) fn of_class(class: LeafClass, reversible: bool) -> Fate {
        match class {
            LeafClass::Dropped => Fate::Dropped,
            LeafClass::Redacted => Fate::Redacted,
            LeafClass::Pseudonymized if reversible => Fate::Reversible,
            LeafClass::Pseudonymized => Fate::Pseudonymized,
            LeafClass::Digested => Fate::Digested,
            LeafClass::Masked => Fate::Masked,
            LeafClass::KeptRaw => Fate::KeptRaw,
            LeafClass::Unknown => Fate::Unknown,
        }
    }

    /// Shown to the reader.
    pub(super) fn label(self) -> &'static str {
        match self {
            Fate::Dropped => "dropped",
            Fate::Redacted => "redacted",
            Fate::Digested => "digested",
            Fate::Pseudonymized => "pseudonymized",
            Fate::Reversible => "reversible",
            Fate::Masked => "masked",
            Fate::KeptRaw => "kept raw",
            Fate::Rewritten => "rewritten",
            Fate::Unknown => "unknown",
        }
    }

    /// The CSS class (`f-…`) of its colour.
    pub(super) fn css(self) -> &'static str {
        match self {
            Fate::Dropped => "f-dropped",
            Fate::Redacted => "f-redacted",
            Fate::Digested => "f-digested",
            Fate::Pseudonymized => "f-pseudonymized",
            Fate::Reversible => "f-reversible",
            Fate::Masked => "f-masked",
            Fate::KeptRaw => "f-raw",
            Fate::Rewritten => "f-rewritten",
            Fate::Unknown => "f-unknown",
        }
    }

    /// One line for the legend.
    pub(super) fn meaning(self) -> &'static str {
        match self {
            Fate::Dropped => "nothing of the value leaves (not in the schema, or nulled)",
            Fate::Redacted => "removed by a redact transform",
            Fate::Digested => "only its length and word count leave",
            Fate::Pseudonymized => "a salted hash leaves: it joins, it cannot be reversed",
            Fate::Reversible => "a pseudonym leaves that the key holder can reverse",
            Fate::Masked => "partly rewritten by a pattern: what survives depends on the text",
            Fate::KeptRaw => "leaves exactly as it came in",
            Fate::Rewritten => "changed by no transform (a schema coercion: null -> false)",
            Fate::Unknown => "no response schema: anything may leave",
        }
    }
}

/// The whole page.
#[derive(Debug, Clone)]
pub(super) struct Report {
    pub header: Header,
    /// With `--against`: the privacy effect of the change, shown first.
    pub change: Option<Change>,
    /// Fields per class over every endpoint, in [`Fate::ALL`] order, zeros left out.
    pub totals: Vec<(Fate, usize)>,
    pub endpoints: Vec<EndpointSection>,
    /// Examples that no endpoint admits (or whose body cannot be read as JSON).
    pub stray_examples: Vec<ExampleView>,
    /// Findings that name no endpoint of this file (a stale acknowledgement).
    pub other_findings: Vec<FindingView>,
    /// The linter's notes about the examples.
    pub notes: Vec<String>,
    /// Open (unacknowledged) findings in all.
    pub open_findings: usize,
    pub acknowledged: usize,
}

/// What the report is about and how it was made.
#[derive(Debug, Clone)]
pub(super) struct Header {
    /// The rules file as named on the command line.
    pub rules: String,
    /// SHA-1 of the rules text (`X-Psoxy-Rules-SHA`).
    pub rules_sha1: String,
    pub lint_file: Option<String>,
    pub examples: Option<String>,
    /// ISO-8601 UTC instant.
    pub generated: String,
    pub version: String,
    /// Fingerprint of the examples' test-only salt, when there are examples.
    pub example_salt_fingerprint: Option<String>,
    /// Whether the examples' manifest has a test-only encryption key (never its value).
    pub example_key: bool,
}

/// The privacy effect of changing from the `--against` rules to these.
#[derive(Debug, Clone)]
pub(super) struct Change {
    pub against: String,
    pub against_sha1: String,
    /// The change lets more through (`rules diff` would exit 1).
    pub exposes: bool,
    /// Exposure rises: red.
    pub exposed: Vec<FieldDelta>,
    /// Exposure falls: green.
    pub protected: Vec<FieldDelta>,
    /// Class changes at the same exposure (a pseudonym becomes a digest).
    pub reclassified: Vec<FieldDelta>,
    pub pseudonyms: Vec<PseudonymDelta>,
    pub requests: Vec<RequestDelta>,
    pub endpoints_added: Vec<String>,
    pub endpoints_removed: Vec<String>,
    /// Examples whose sanitized output differs between the two files: url and diff lines
    /// (`expected` = old output, `got` = new output).
    pub examples: Vec<(String, Vec<String>)>,
}

/// A field whose class differs between the two files; `None` = absent there.
#[derive(Debug, Clone)]
pub(super) struct FieldDelta {
    pub endpoint: String,
    pub path: String,
    pub old: Option<LeafClass>,
    pub new: Option<LeafClass>,
}

/// A field pseudonymized in both files with a different output: its pseudonyms change.
#[derive(Debug, Clone)]
pub(super) struct PseudonymDelta {
    pub endpoint: String,
    pub path: String,
    pub old: String,
    pub new: String,
}

#[derive(Debug, Clone)]
pub(super) struct RequestDelta {
    pub endpoint: String,
    pub change: String,
    pub widens: bool,
}

/// One endpoint: the requests it admits, its fields, its examples.
#[derive(Debug, Clone)]
pub(super) struct EndpointSection {
    /// 0-based position in the rules file.
    pub index: usize,
    /// `pathTemplate` or `pathRegex`.
    pub label: String,
    pub requests: RequestShape,
    pub has_schema: bool,
    pub fields: Vec<FieldRow>,
    /// Findings about the endpoint or a JSONPath rather than one field.
    pub findings: Vec<FindingView>,
    pub examples: Vec<ExampleView>,
}

/// The requests an endpoint admits.
#[derive(Debug, Clone)]
pub(super) struct RequestShape {
    pub methods: Vec<String>,
    /// `pathTemplate` or `pathRegex`.
    pub path_kind: &'static str,
    pub path_params: Vec<ParamView>,
    /// `None`: every query parameter is forwarded.
    pub query_params: Option<Vec<ParamView>>,
    /// Request headers forwarded upstream (the file's and the endpoint's).
    pub headers: Vec<String>,
}

/// A path or query parameter and what its value may be.
#[derive(Debug, Clone)]
pub(super) struct ParamView {
    pub name: String,
    pub rule: String,
    pub required: bool,
    pub cql: Option<CqlView>,
}

/// The CQL a parameter admits.
#[derive(Debug, Clone)]
pub(super) struct CqlView {
    /// Field, its operators, what its values may be.
    pub fields: Vec<(String, Vec<&'static str>, String)>,
    pub order_by: Vec<String>,
    pub max_bytes: usize,
    pub max_depth: usize,
}

/// One leaf of the response schema.
#[derive(Debug, Clone)]
pub(super) struct FieldRow {
    pub path: String,
    pub kinds: String,
    pub fate: Fate,
    /// Every transform that reaches it (`#1 pseudonymize [conditional]`).
    pub by: Vec<String>,
    /// What the name looks like, when it looks personal.
    pub personal: Option<String>,
    /// Why the analysis stopped here (recursion cut).
    pub truncated: Option<String>,
    /// Findings about this field, open or acknowledged.
    pub findings: Vec<FindingView>,
}

/// A lint finding; `reason` is set when the lint file acknowledges it.
#[derive(Debug, Clone)]
pub(super) struct FindingView {
    /// `L001 personal-kept-raw`.
    pub code: String,
    pub endpoint: String,
    pub path: Option<String>,
    pub message: String,
    pub fix: String,
    pub reason: Option<String>,
}

/// One golden example.
#[derive(Debug, Clone)]
pub(super) struct ExampleView {
    pub method: String,
    pub url: String,
    /// The original's file, as the manifest names it.
    pub original: String,
    pub outcome: ExampleOutcome,
}

#[derive(Debug, Clone)]
pub(super) enum ExampleOutcome {
    /// Sanitized: both sides, aligned row by row.
    Shown {
        rows: Vec<Row>,
        /// Values of the original per fate, zeros left out.
        tally: Vec<(Fate, usize)>,
        golden: Golden,
    },
    /// Nothing leaves: the request is refused, or the response fails closed. The reason
    /// names rules and positions only.
    Refused { reason: String },
}

/// The sanitized output against the manifest's expected output (`rules test`).
#[derive(Debug, Clone)]
pub(super) enum Golden {
    Matches,
    /// Diff lines, `expected` = the golden file, `got` = these rules.
    Differs(Vec<String>),
    /// The golden file could not be read or parsed.
    Unavailable(String),
}

/// One line of the side-by-side view: the original on the left, what leaves on the right.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Row {
    pub depth: usize,
    pub left: Option<Cell>,
    pub right: Option<Cell>,
}

/// One side of a row: `"key": value,` where value is a scalar's JSON text or a bracket.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Cell {
    /// The member name (JSON-quoted), inside an object.
    pub key: Option<String>,
    pub text: String,
    /// `None` for brackets.
    pub fate: Option<Fate>,
    pub comma: bool,
}
