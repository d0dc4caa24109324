//! The lint file of a rules file: extra personal-name patterns and acknowledged findings.
//!
//! It lives next to the rules (`confluence.lint.yaml` beside `confluence.yaml`) rather
//! than inside them: the rules file stays byte-for-byte a Psoxy rules file (our loader
//! rejects unknown keys, and Psoxy's ignores none it does not know), and a typo here is a
//! located error instead of a silently ignored comment. Every acknowledgement needs a
//! reason; one that no longer matches a finding is itself a finding (L009), so an
//! acknowledgement cannot outlive what it excused.
//!
//! ```yaml
//! personalNames: ["^alias$"]          # regexes over the lower-cased, alphanumeric-only key
//! acknowledge:
//!   - code: L001                      # or its name, personal-kept-raw
//!     endpoint: "/oauth/token/accessible-resources"
//!     path: "$[*].name"               # leaf or JSONPath; omitted for endpoint findings
//!     reason: "the site's name names the organization, not a person"
//! ```

use serde::Deserialize;

use super::findings::{Code, Finding};
use super::names::PersonalNames;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct RawLintFile {
    #[serde(default)]
    personal_names: Vec<String>,
    #[serde(default)]
    acknowledge: Vec<RawAcknowledgement>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawAcknowledgement {
    code: String,
    endpoint: String,
    #[serde(default)]
    path: Option<String>,
    reason: String,
}

/// A finding the rules' authors accepted, and why.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Acknowledgement {
    pub code: Code,
    pub endpoint: String,
    pub path: Option<String>,
    pub reason: String,
}

impl Acknowledgement {
    pub fn covers(&self, finding: &Finding) -> bool {
        self.code == finding.code && self.endpoint == finding.endpoint && self.path == finding.path
    }
}

/// What the linter checks against, beyond the rules themselves.
#[derive(Debug, Clone)]
pub struct LintConfig {
    pub personal: PersonalNames,
    pub acknowledgements: Vec<Acknowledgement>,
}

/// A lint file that cannot be used. Messages name positions and entries, never guess.
#[derive(Debug, thiserror::Error)]
pub enum LintConfigError {
    #[error("{0}")]
    Syntax(String),
    #[error("personalNames[{index}]: not a valid regex: {message}")]
    Pattern { index: usize, message: String },
    #[error(
        "acknowledge[{index}]: unknown code `{code}` (expected L001 to L008, or a name such as personal-kept-raw)"
    )]
    UnknownCode { index: usize, code: String },
    #[error("acknowledge[{index}]: the reason is empty; say why this is acceptable")]
    MissingReason { index: usize },
}

impl Default for LintConfig {
    fn default() -> Self {
        LintConfig {
            personal: PersonalNames::builtin(),
            acknowledgements: Vec::new(),
        }
    }
}

impl LintConfig {
    /// Parse a lint file. An empty file (or only comments) is the default configuration.
    pub fn from_yaml(text: &str) -> Result<LintConfig, LintConfigError> {
        let only_comments = text
            .lines()
            .all(|l| l.trim().is_empty() || l.trim_start().starts_with('#'));
        if only_comments {
            return Ok(LintConfig::default());
        }
        let raw: RawLintFile =
            serde_saphyr::from_str(text).map_err(|e| LintConfigError::Syntax(e.to_string()))?;
        let mut config = LintConfig::default();
        for (index, pattern) in raw.personal_names.iter().enumerate() {
            config
                .personal
                .add(pattern)
                .map_err(|e| LintConfigError::Pattern {
                    index,
                    message: e.to_string(),
                })?;
        }
        for (index, ack) in raw.acknowledge.into_iter().enumerate() {
            let code = Code::parse(&ack.code)
                .filter(|c| *c != Code::StaleAcknowledgement)
                .ok_or_else(|| LintConfigError::UnknownCode {
                    index,
                    code: ack.code.clone(),
                })?;
            if ack.reason.trim().is_empty() {
                return Err(LintConfigError::MissingReason { index });
            }
            config.acknowledgements.push(Acknowledgement {
                code,
                endpoint: ack.endpoint,
                path: ack.path,
                reason: ack.reason.trim().to_owned(),
            });
        }
        Ok(config)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_patterns_and_acknowledgements() {
        let config = LintConfig::from_yaml(
            "personalNames: ['^alias$']\nacknowledge:\n  - code: personal-kept-raw\n    endpoint: /x\n    path: $.name\n    reason: ' a team '\n",
        )
        .unwrap();
        assert_eq!(
            config.acknowledgements,
            vec![Acknowledgement {
                code: Code::PersonalKeptRaw,
                endpoint: "/x".into(),
                path: Some("$.name".into()),
                reason: "a team".into(),
            }]
        );
        assert!(
            LintConfig::from_yaml("# nothing yet\n")
                .unwrap()
                .acknowledgements
                .is_empty()
        );
    }

    #[test]
    fn mistakes_are_errors() {
        let table = [
            ("acknowledgements: []", "unknown field"),
            ("personalNames: ['(']", "personalNames[0]"),
            (
                "acknowledge: [{code: L999, endpoint: /x, reason: r}]",
                "unknown code `L999`",
            ),
            (
                "acknowledge: [{code: L009, endpoint: /x, reason: r}]",
                "unknown code `L009`",
            ),
            (
                "acknowledge: [{code: L001, endpoint: /x, reason: ' '}]",
                "reason is empty",
            ),
            ("acknowledge: [{code: L001, endpoint: /x}]", "reason"),
        ];
        for (text, needle) in table {
            let err = LintConfig::from_yaml(text).unwrap_err().to_string();
            assert!(err.contains(needle), "{text}: {err}");
        }
    }
}
