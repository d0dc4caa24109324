//! Lint findings: a stable code, where (endpoint and leaf or JSONPath), what is wrong and
//! how to fix it. Codes never change meaning; new checks get new codes.

use std::fmt;

use serde::{Serialize, Serializer};

/// The checks, by stable code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Code {
    /// L001: a leaf whose name looks personal leaves the proxy as it came in.
    PersonalKeptRaw,
    /// L002: a transform JSONPath can never match under the schema (or only matches what
    /// an earlier transform already removed).
    DeadPath,
    /// L003: the endpoint has no responseSchema: anything upstream adds passes.
    NoResponseSchema,
    /// L004: `allowedQueryParams` is absent: every query parameter is forwarded.
    AnyQueryParam,
    /// L005: a JSONPath matches nothing in any example response of its endpoint.
    UnmatchedInExamples,
    /// L006: the schema recurses deeper than the analysis unrolls, and that part is kept.
    RecursionNotAnalysed,
    /// L007: `pseudonymize` can reach an object, array or boolean: such responses fail.
    PseudonymizeNonScalar,
    /// L008: a value is pseudonymized twice: its pseudonym no longer joins with others.
    PseudonymizedTwice,
    /// L009: an acknowledgement in the lint file matches no finding.
    StaleAcknowledgement,
}

impl Code {
    pub const ALL: [Code; 9] = [
        Code::PersonalKeptRaw,
        Code::DeadPath,
        Code::NoResponseSchema,
        Code::AnyQueryParam,
        Code::UnmatchedInExamples,
        Code::RecursionNotAnalysed,
        Code::PseudonymizeNonScalar,
        Code::PseudonymizedTwice,
        Code::StaleAcknowledgement,
    ];

    /// `L001` …
    pub fn id(self) -> &'static str {
        match self {
            Code::PersonalKeptRaw => "L001",
            Code::DeadPath => "L002",
            Code::NoResponseSchema => "L003",
            Code::AnyQueryParam => "L004",
            Code::UnmatchedInExamples => "L005",
            Code::RecursionNotAnalysed => "L006",
            Code::PseudonymizeNonScalar => "L007",
            Code::PseudonymizedTwice => "L008",
            Code::StaleAcknowledgement => "L009",
        }
    }

    /// `personal-kept-raw` …
    pub fn name(self) -> &'static str {
        match self {
            Code::PersonalKeptRaw => "personal-kept-raw",
            Code::DeadPath => "dead-path",
            Code::NoResponseSchema => "no-response-schema",
            Code::AnyQueryParam => "any-query-param",
            Code::UnmatchedInExamples => "unmatched-in-examples",
            Code::RecursionNotAnalysed => "recursion-not-analysed",
            Code::PseudonymizeNonScalar => "pseudonymize-non-scalar",
            Code::PseudonymizedTwice => "pseudonymized-twice",
            Code::StaleAcknowledgement => "stale-acknowledgement",
        }
    }

    /// Parses `L001` or `personal-kept-raw`.
    pub fn parse(text: &str) -> Option<Code> {
        Code::ALL
            .into_iter()
            .find(|c| c.id().eq_ignore_ascii_case(text) || c.name() == text)
    }
}

impl fmt::Display for Code {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.id(), self.name())
    }
}

impl Serialize for Code {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.id())
    }
}

/// One problem found in a rules file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Finding {
    pub code: Code,
    /// The code's name, for readers of the JSON output.
    pub name: &'static str,
    /// The endpoint's `pathTemplate` or `pathRegex`.
    pub endpoint: String,
    /// The leaf path (L001, L006, L008) or the transform JSONPath (L002, L005, L007);
    /// absent for endpoint-level findings.
    pub path: Option<String>,
    pub message: String,
    pub fix: String,
}

impl Finding {
    pub fn new(
        code: Code,
        endpoint: &str,
        path: Option<String>,
        message: String,
        fix: String,
    ) -> Finding {
        Finding {
            code,
            name: code.name(),
            endpoint: endpoint.to_owned(),
            path,
            message,
            fix,
        }
    }
}
