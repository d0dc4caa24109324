//! Located load-time problems of a rules file, rendered like a compiler's errors.
//!
//! Every layer of loading (YAML syntax, the serde mirror, compile-time validation) reports
//! [`Problem`]s with a 1-based line and column; [`Diagnostics::from_problems`] attaches the
//! file name, sorts them by position and drops exact duplicates, so one run shows every
//! problem of a file once, top to bottom. Rendering is stable: golden files compare it.

use std::fmt;

/// One problem in a rules file, located at `file:line:column` (1-based, columns in chars).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    pub file: String,
    pub line: u64,
    pub column: u64,
    pub message: String,
    /// How to fix it, when there is something better to say than the message.
    pub hint: Option<String>,
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let Diagnostic {
            file,
            line,
            column,
            message,
            ..
        } = self;
        write!(f, "{file}:{line}:{column}: error: {message}")?;
        if let Some(hint) = &self.hint {
            write!(f, "\n  hint: {hint}")?;
        }
        Ok(())
    }
}

/// Every problem found in one rules file, in source order. Never empty when returned
/// as an error by the loader.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostics(pub Vec<Diagnostic>);

impl Diagnostics {
    /// Attaches `file` to located problems, sorts them by position and removes duplicates
    /// (the lenient deserializer may meet the same problem in more than one pass).
    pub(crate) fn from_problems(file: &str, mut problems: Vec<Problem>) -> Diagnostics {
        problems
            .sort_by(|a, b| (a.line, a.column, &a.message).cmp(&(b.line, b.column, &b.message)));
        problems.dedup();
        Diagnostics(
            problems
                .into_iter()
                .map(|p| Diagnostic {
                    file: file.to_owned(),
                    line: p.line,
                    column: p.column,
                    message: p.message,
                    hint: p.hint,
                })
                .collect(),
        )
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn iter(&self) -> std::slice::Iter<'_, Diagnostic> {
        self.0.iter()
    }
}

impl fmt::Display for Diagnostics {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, diagnostic) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str("\n")?;
            }
            write!(f, "{diagnostic}")?;
        }
        Ok(())
    }
}

impl std::error::Error for Diagnostics {}

/// A located problem before the file name is attached (internal currency of the loader).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Problem {
    pub line: u64,
    pub column: u64,
    pub message: String,
    pub hint: Option<String>,
}

impl Problem {
    pub(crate) fn new(line: u64, column: u64, message: impl Into<String>) -> Problem {
        Problem {
            line,
            column,
            message: message.into(),
            hint: None,
        }
    }

    pub(crate) fn with_hint(mut self, hint: Option<String>) -> Problem {
        self.hint = hint;
        self
    }
}

/// `did you mean `x`?` for the candidate closest to `word`, if any is close enough to be
/// a plausible typo (case-insensitive edit distance of at most a third of the length).
pub(crate) fn did_you_mean<'c>(
    word: &str,
    candidates: impl IntoIterator<Item = &'c str>,
) -> Option<String> {
    let lower = word.to_lowercase();
    let limit = (word.chars().count() / 3).max(1);
    candidates
        .into_iter()
        .map(|c| (edit_distance(&lower, &c.to_lowercase()), c))
        .filter(|(d, _)| *d <= limit)
        .min_by_key(|(d, _)| *d)
        .map(|(_, c)| format!("did you mean `{c}`?"))
}

/// Levenshtein distance over chars; inputs are short key names, so O(n·m) is fine.
fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut diagonal = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let substitution = diagonal + usize::from(ca != *cb);
            diagonal = row[j + 1];
            row[j + 1] = substitution.min(row[j] + 1).min(diagonal + 1);
        }
    }
    row[b.len()]
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // a failed unwrap is a failed test
mod tests {
    use super::*;

    #[test]
    fn renders_message_and_indented_hint() {
        let diagnostics = Diagnostics::from_problems(
            "confluence.yaml",
            vec![
                Problem::new(12, 9, "unknown transform tag `!<pseudonymise>`")
                    .with_hint(Some("did you mean `pseudonymize`?".into())),
                Problem::new(3, 1, "first"),
                Problem::new(3, 1, "first"),
            ],
        );
        assert_eq!(
            diagnostics.to_string(),
            "confluence.yaml:3:1: error: first\n\
             confluence.yaml:12:9: error: unknown transform tag `!<pseudonymise>`\n  \
             hint: did you mean `pseudonymize`?"
        );
    }

    #[test]
    fn suggests_only_plausible_typos() {
        let keys = ["pathTemplate", "pathRegex", "transforms"];
        let cases = [
            ("pathTemplat", Some("did you mean `pathTemplate`?")),
            ("PATHREGEX", Some("did you mean `pathRegex`?")),
            ("transfrom", Some("did you mean `transforms`?")),
            ("colour", None),
            ("x", None),
        ];
        for (word, expected) in cases {
            assert_eq!(
                did_you_mean(word, keys).as_deref(),
                expected,
                "word {word:?}"
            );
        }
    }
}
