//! Canary tests: the linter's classification is the oracle for what may leave the proxy.
//!
//! For every endpoint, documents are generated from its responseSchema with a unique
//! canary in every string (see `generator`), sanitized, and every canary found in the
//! output must come from a leaf the linter allows to pass raw — kept raw and not personal
//! (or acknowledged), or masked. A canary from a leaf the linter calls pseudonymized,
//! digested, redacted or dropped, from a personal leaf kept raw without acknowledgement,
//! or from a field or value the schema does not keep, is a failure.
//!
//! The proxy-level variant (headers, error bodies, logs) reuses `generator` and `leaks`.

pub(crate) mod generator;

use proptest::test_runner::{Config, RngAlgorithm, TestCaseError, TestRng, TestRunner};

use pseudoproxy::lint::{EndpointReport, LeafClass, LintConfig, LintReport, lint};
use pseudoproxy::pseudonym::{PseudonymConfig, Pseudonymizer};
use pseudoproxy::rules::{self, RuleSet};
use pseudoproxy::sanitize::{SanitizeError, sanitize};

use crate::support::root;
use generator::{Generated, Origin, document};

/// What the oracle holds the output to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Oracle {
    /// The linter's claims only: what it calls protected or dropped never appears.
    Claims,
    /// Also privacy: a personal leaf kept raw without acknowledgement never appears.
    Privacy,
}

/// Every canary in `output` that the linter's report says cannot be there.
pub(crate) fn leaks(
    report: &EndpointReport,
    generated: &Generated,
    output: &str,
    oracle: Oracle,
) -> Vec<String> {
    let mut found = Vec::new();
    for (canary, origin) in &generated.canaries {
        if !output.contains(canary.as_str()) {
            continue;
        }
        let leaf = match origin {
            Origin::Leaf(path) => report.leaf(path),
            Origin::Extra(_) => None,
        };
        let allowed = leaf.is_some_and(|l| match oracle {
            Oracle::Claims => matches!(l.class, LeafClass::KeptRaw | LeafClass::Masked),
            Oracle::Privacy => l.may_pass_raw(),
        });
        if !allowed {
            let class = leaf.map_or("not a leaf", |l| l.class.label());
            found.push(format!(
                "canary {canary} from {origin} ({class}) is in the output"
            ));
        }
    }
    found
}

/// Sanitize generated documents for every endpoint, with a fresh runner from `runner`
/// per endpoint (a runner counts its cases across runs); the first leak is the error.
pub(crate) fn check_rules(
    rules: &RuleSet,
    report: &LintReport,
    oracle: Oracle,
    runner: impl Fn() -> TestRunner,
) -> Result<(), String> {
    let pseudonymizer = Pseudonymizer::new(PseudonymConfig {
        salt: "canary-salt".into(),
        encryption_key: Some("canary-key".into()),
        ..PseudonymConfig::default()
    });
    for (endpoint, endpoint_report) in rules.endpoints.iter().zip(&report.endpoints) {
        let strategy = document(rules, endpoint.response_schema.as_ref());
        runner()
            .run(&strategy, |generated_tree| {
                let generated = generated_tree.realize();
                let body = generated.value.to_string();
                let output = match sanitize(rules, endpoint, &pseudonymizer, &body) {
                    Ok(output) => output,
                    // A root of the wrong type is withheld whole (502): nothing leaves.
                    Err(SanitizeError::RootRejected) => return Ok(()),
                    Err(e) => return Err(TestCaseError::fail(format!("not sanitized: {e}"))),
                };
                let found = leaks(endpoint_report, &generated, &output.body, oracle);
                match found.is_empty() {
                    true => Ok(()),
                    false => Err(TestCaseError::fail(format!(
                        "{}: {}\noutput: {}",
                        endpoint.label,
                        found.join("\n"),
                        output.body
                    ))),
                }
            })
            .map_err(|e| e.to_string())?;
    }
    Ok(())
}

/// A runner with a fixed seed: the same documents every run, so a failure reproduces.
pub(crate) fn seeded_runner(cases: u32) -> TestRunner {
    let config = Config {
        cases,
        failure_persistence: None,
        ..Config::default()
    };
    TestRunner::new_with_rng(config, TestRng::deterministic_rng(RngAlgorithm::ChaCha))
}

/// The shipped rules and the linter's report on them (with the shipped lint file).
pub(crate) fn shipped() -> (RuleSet, LintReport) {
    let rules_path = root().join("rules").join("confluence.yaml");
    let rules = rules::load(&rules_path).unwrap();
    let config_text =
        std::fs::read_to_string(root().join("rules").join("confluence.lint.yaml")).unwrap();
    let config = LintConfig::from_yaml(&config_text).unwrap();
    let report = lint(&rules, &config, None);
    (rules, report)
}

#[test]
fn no_canary_leaks_through_the_shipped_rules() {
    let (rules, report) = shipped();
    // A fresh random seed per run widens coverage over time; the failure message carries
    // the minimal document.
    let runner = || {
        TestRunner::new(Config {
            cases: 256,
            failure_persistence: None,
            ..Config::default()
        })
    };
    if let Err(e) = check_rules(&rules, &report, Oracle::Privacy, runner) {
        panic!("{e}");
    }
}

/// Rules that reach leaves in every way the linter distinguishes: conditionally (filter,
/// index, applyOnlyWhen), through enclosing values, with includeOriginal, masked, under
/// anyOf and if/then/else, recursive, and without a schema at all.
const TRICKY: &str = r##"
endpoints:
  - pathTemplate: /people
    allowedQueryParams: []
    responseSchema:
      type: object
      properties:
        people: { type: array, items: { $ref: "#/definitions/Person" } }
        first: { $ref: "#/definitions/Person" }
        meta:
          type: object
          properties:
            note: { type: string }
            free: {}
            gone: { type: "null" }
            either:
              anyOf:
                - { type: string }
                - { type: object, properties: { inner: { type: string } } }
            choice:
              if: { type: object, properties: { k: { const: "a" } } }
              then: { type: object, properties: { a: { type: string }, k: { type: string } } }
              else: { type: object, properties: { b: { type: string } } }
    transforms:
      - !<pseudonymize>
        jsonPaths: ["$..accountId"]
      - !<pseudonymize>
        jsonPaths: ["$.people[0].email"]
      - !<textDigest>
        jsonPaths: ["$.people[?(@.kind == 'bot')].bio"]
      - !<redact>
        jsonPaths: ["$.first.manager", "$['meta'].gone"]
      - !<textDigest>
        jsonPaths: ["$.meta.either", "$.meta.choice.a"]
      - !<redactRegexMatches>
        jsonPaths: ["$.meta.note"]
        redactions: ["zq"]
      - !<pseudonymize>
        jsonPaths: ["$.first.email"]
        encoding: JSON
        includeOriginal: true
      - !<pseudonymize>
        jsonPaths: ["$.people[*].kind"]
        applyOnlyWhen: "$.meta.note"
  - pathTemplate: /anything
definitions:
  Person:
    type: object
    properties:
      accountId: { type: string }
      email: { type: string }
      bio: { type: string }
      kind: { type: string }
      manager: { $ref: "#/definitions/Person" }
"##;

#[test]
fn the_linter_never_calls_a_leaf_protected_when_it_is_not() {
    let rules = rules::from_str(TRICKY, "tricky.yaml").unwrap();
    let report = lint(&rules, &LintConfig::default(), None);
    // The schema-less endpoint keeps everything, and the linter says so (unknown): its
    // canaries appear, so only the first endpoint can pass.
    let first_only = RuleSet {
        endpoints: rules.endpoints.into_iter().take(1).collect(),
        ..rules
    };
    if let Err(e) = check_rules(&first_only, &report, Oracle::Claims, || seeded_runner(256)) {
        panic!("{e}");
    }
    let rules = rules::from_str(TRICKY, "tricky.yaml").unwrap();
    let err = check_rules(&rules, &report, Oracle::Claims, || seeded_runner(64)).unwrap_err();
    assert!(
        err.contains("/anything") && err.contains("unknown"),
        "{err}"
    );
}
