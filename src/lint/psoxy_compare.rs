//! Our treatment of every field next to Psoxy's: the facts file
//! (`rules/psoxy-treatment.yaml`) joined with a [`LintReport`].
//!
//! PURE. This module owns the facts file's format ([`PsoxyFacts::from_yaml`]; the format
//! is described in the file's own header), the join ([`compare_with_psoxy`]: per endpoint
//! of the rules, in their order, one [`FieldRow`] per leaf of either side's schema), the
//! checks that keep the facts file honest ([`PsoxyProblem`]), and the Markdown form of the
//! result ([`render_psoxy_markdown`], which docs/psoxy-fields.md carries).
//!
//! Invariant: a field Psoxy passes (kept, pseudonymized, reversible or digested) that our
//! rules do not pass either carries a `reason` or is a problem; a `reason` anywhere else
//! is a problem too; every leaf of our schema is listed. Our own class is never read
//! from the facts file: it is the linter's worst case, so the table cannot claim more
//! protection than the rules give.

use std::fmt::{self, Write};
use std::marker::PhantomData;

use serde::de::{Deserializer, MapAccess, Visitor};
use serde::{Deserialize, Serialize};

use super::{EndpointReport, LeafClass, LeafReport, LintReport};

/// Psoxy's treatment of one field (the facts file's `classes`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum PsoxyClass {
    /// In Psoxy's responseSchema and untouched by its transforms.
    Kept,
    /// Replaced by a `t~` pseudonym.
    Pseudonymized,
    /// Replaced by a `p~` reversible pseudonym.
    Reversible,
    /// Replaced by `textDigest`.
    Digested,
    /// Removed by one of Psoxy's `redact` transforms.
    Redacted,
    /// Not in Psoxy's responseSchema (and named by no redact).
    Dropped,
}

impl PsoxyClass {
    pub fn label(self) -> &'static str {
        match self {
            PsoxyClass::Kept => "kept",
            PsoxyClass::Pseudonymized => "pseudonymized",
            PsoxyClass::Reversible => "reversible",
            PsoxyClass::Digested => "digested",
            PsoxyClass::Redacted => "redacted",
            PsoxyClass::Dropped => "dropped",
        }
    }

    /// Something of the value reaches Psoxy's output.
    pub fn passes(self) -> bool {
        matches!(
            self,
            PsoxyClass::Kept
                | PsoxyClass::Pseudonymized
                | PsoxyClass::Reversible
                | PsoxyClass::Digested
        )
    }
}

/// Where the facts come from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PsoxySource {
    pub repository: String,
    pub path: String,
    pub commit: String,
}

/// The facts file: Psoxy's treatment of every field, per endpoint of our rules.
#[derive(Debug, Clone)]
pub struct PsoxyFacts {
    pub source: Option<PsoxySource>,
    /// Class name → what it means, in file order.
    pub classes: Vec<(String, String)>,
    pub endpoints: Vec<EndpointFacts>,
}

/// One endpoint of the facts file.
#[derive(Debug, Clone)]
pub struct EndpointFacts {
    /// Our template, exactly as in the rules file.
    pub path_template: String,
    /// Psoxy's template, when it names a path parameter differently.
    pub psoxy_path_template: Option<String>,
    /// The query parameters Psoxy allows on it; `None` when the file does not say.
    pub psoxy_allowed_query_params: Option<Vec<String>>,
    /// In file order.
    pub fields: Vec<FieldFacts>,
}

/// Psoxy's treatment of one leaf.
#[derive(Debug, Clone)]
pub struct FieldFacts {
    /// The leaf as `rules lint` prints it (`$.results[*].authorId`).
    pub path: String,
    pub psoxy: PsoxyClass,
    pub note: Option<String>,
    /// Why our rules do not pass a field Psoxy passes.
    pub reason: Option<String>,
}

/// A facts file that cannot be read.
#[derive(Debug, thiserror::Error)]
pub enum PsoxyFactsError {
    #[error("{0}")]
    Syntax(String),
    #[error(
        "endpoint `{endpoint}`, field `{field}`: the {key} is empty; write it or remove the key"
    )]
    Empty {
        endpoint: String,
        field: String,
        key: &'static str,
    },
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFacts {
    #[serde(default)]
    source: Option<PsoxySource>,
    #[serde(default)]
    classes: Option<Ordered<String>>,
    endpoints: Vec<RawEndpoint>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct RawEndpoint {
    path_template: String,
    #[serde(default)]
    psoxy_path_template: Option<String>,
    #[serde(default)]
    psoxy_allowed_query_params: Option<Vec<String>>,
    fields: Ordered<RawField>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawField {
    psoxy: PsoxyClass,
    #[serde(default)]
    note: Option<String>,
    #[serde(default)]
    reason: Option<String>,
}

/// A YAML mapping read in document order (a repeated key is a parse error).
#[derive(Debug)]
struct Ordered<V>(Vec<(String, V)>);

impl<'de, V: Deserialize<'de>> Deserialize<'de> for Ordered<V> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_map(OrderedVisitor(PhantomData))
    }
}

struct OrderedVisitor<V>(PhantomData<V>);

impl<'de, V: Deserialize<'de>> Visitor<'de> for OrderedVisitor<V> {
    type Value = Ordered<V>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a mapping")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Ordered<V>, A::Error> {
        let mut entries = Vec::new();
        while let Some(entry) = map.next_entry::<String, V>()? {
            entries.push(entry);
        }
        Ok(Ordered(entries))
    }
}

impl PsoxyFacts {
    /// Parse a facts file. Unknown keys, unknown classes and repeated keys are errors.
    pub fn from_yaml(text: &str) -> Result<PsoxyFacts, PsoxyFactsError> {
        let raw: RawFacts =
            serde_saphyr::from_str(text).map_err(|e| PsoxyFactsError::Syntax(e.to_string()))?;
        let mut endpoints = Vec::new();
        for endpoint in raw.endpoints {
            let mut fields = Vec::new();
            for (path, field) in endpoint.fields.0 {
                let checked = |value: Option<String>, key: &'static str| match value {
                    Some(v) if v.trim().is_empty() => Err(PsoxyFactsError::Empty {
                        endpoint: endpoint.path_template.clone(),
                        field: path.clone(),
                        key,
                    }),
                    other => Ok(other.map(|v| v.trim().to_owned())),
                };
                let note = checked(field.note, "note")?;
                let reason = checked(field.reason, "reason")?;
                fields.push(FieldFacts {
                    path,
                    psoxy: field.psoxy,
                    note,
                    reason,
                });
            }
            endpoints.push(EndpointFacts {
                path_template: endpoint.path_template,
                psoxy_path_template: endpoint.psoxy_path_template,
                psoxy_allowed_query_params: endpoint.psoxy_allowed_query_params,
                fields,
            });
        }
        Ok(PsoxyFacts {
            source: raw.source,
            classes: raw.classes.map(|c| c.0).unwrap_or_default(),
            endpoints,
        })
    }
}

/// A treatment our rules give a leaf only in some documents (a filter, an index,
/// `applyOnlyWhen`), stronger than the one they always give.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Conditional {
    /// `pseudonymized`, `reversible`, `digested`, …
    pub treatment: &'static str,
    /// The JSONPath that reaches the leaf.
    pub path: String,
}

/// One field of one endpoint: our treatment next to Psoxy's.
#[derive(Debug, Clone, Serialize)]
pub struct FieldRow {
    /// The leaf as `rules lint` prints it.
    pub path: String,
    /// Our class (worst case); `None` when our schema does not have the leaf.
    pub ours: Option<LeafClass>,
    /// Our certain pseudonym is reversible (`p~`).
    pub reversible: bool,
    pub conditional: Vec<Conditional>,
    /// `None` when the facts file does not list the leaf.
    pub psoxy: Option<PsoxyClass>,
    pub note: Option<String>,
    pub reason: Option<String>,
}

impl FieldRow {
    /// Our treatment in the facts file's words: `kept`, `pseudonymized`, `reversible`,
    /// `digested`, `masked`, `redacted`, `dropped` (also when our schema does not have the
    /// leaf) or `unknown` (no schema).
    pub fn ours_label(&self) -> &'static str {
        self.ours
            .map_or("dropped", |class| treatment(class, self.reversible))
    }

    /// Something of the value reaches Psoxy's output.
    pub fn psoxy_passes(&self) -> bool {
        self.psoxy.is_some_and(PsoxyClass::passes)
    }

    /// Something of the value reaches our output.
    pub fn we_pass(&self) -> bool {
        self.ours
            .is_some_and(|class| !matches!(class, LeafClass::Dropped | LeafClass::Redacted))
    }
}

/// One endpoint of the rules, field by field.
#[derive(Debug, Clone, Serialize)]
pub struct EndpointComparison {
    /// `pathTemplate` (or `pathRegex`) of the rules.
    pub endpoint: String,
    /// The facts file has an entry for it.
    pub listed: bool,
    pub psoxy_path_template: Option<String>,
    pub psoxy_allowed_query_params: Option<Vec<String>>,
    /// Our leaves in schema order, then the leaves only the facts file lists, in its order.
    pub rows: Vec<FieldRow>,
}

/// What a problem is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum PsoxyProblemKind {
    /// An endpoint of the rules has no entry in the facts file.
    EndpointMissing,
    /// The facts file lists the rules' endpoints in another order.
    EndpointOrder,
    /// The facts file lists an endpoint the rules do not have, or one twice.
    EndpointUnknown,
    /// A leaf of our schema is not listed under the endpoint's `fields`.
    LeafMissing,
    /// A `reason` on a field our rules pass.
    ReasonOnKept,
    /// A `reason` on a field Psoxy does not pass either.
    ReasonNotNeeded,
    /// Psoxy passes the field, our rules do not, and no `reason` says why.
    DroppedWithoutReason,
}

impl PsoxyProblemKind {
    /// `endpoint-missing` …
    pub fn name(self) -> &'static str {
        match self {
            PsoxyProblemKind::EndpointMissing => "endpoint-missing",
            PsoxyProblemKind::EndpointOrder => "endpoint-order",
            PsoxyProblemKind::EndpointUnknown => "endpoint-unknown",
            PsoxyProblemKind::LeafMissing => "leaf-missing",
            PsoxyProblemKind::ReasonOnKept => "reason-on-kept",
            PsoxyProblemKind::ReasonNotNeeded => "reason-not-needed",
            PsoxyProblemKind::DroppedWithoutReason => "dropped-without-reason",
        }
    }
}

/// A mistake in the facts file (or a field our rules drop without a word).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PsoxyProblem {
    pub kind: PsoxyProblemKind,
    /// The facts file, as named by the caller.
    pub file: String,
    pub endpoint: String,
    /// The leaf; `None` for problems about a whole endpoint.
    pub field: Option<String>,
    /// What is wrong and how to fix it.
    pub message: String,
}

impl fmt::Display for PsoxyProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let kind = self.kind.name();
        write!(f, "{}: {kind} `{}`", self.file, self.endpoint)?;
        if let Some(field) = &self.field {
            write!(f, " `{field}`")?;
        }
        write!(f, ": {}", self.message)
    }
}

/// The whole comparison: every endpoint of the rules, and the problems found.
#[derive(Debug, Clone, Serialize)]
pub struct PsoxyComparison {
    /// The rules file and the facts file, as named by the caller.
    pub rules: String,
    pub facts: String,
    pub source: Option<PsoxySource>,
    pub classes: Vec<(String, String)>,
    pub endpoints: Vec<EndpointComparison>,
    pub problems: Vec<PsoxyProblem>,
}

impl PsoxyProblem {
    fn new(
        file: &str,
        kind: PsoxyProblemKind,
        endpoint: &str,
        field: Option<&str>,
        message: String,
    ) -> PsoxyProblem {
        PsoxyProblem {
            kind,
            file: file.to_owned(),
            endpoint: endpoint.to_owned(),
            field: field.map(str::to_owned),
            message,
        }
    }
}

/// Join `report` (the lint of the rules file `rules`) with `facts` (read from the file
/// `facts_file`). The file names only appear in the messages and the Markdown.
pub fn compare_with_psoxy(
    report: &LintReport,
    facts: &PsoxyFacts,
    rules: &str,
    facts_file: &str,
) -> PsoxyComparison {
    let mut problems = Vec::new();

    // Entries of the facts file that match no endpoint of the rules, or repeat one.
    let mut listed_order: Vec<&str> = Vec::new();
    for entry in &facts.endpoints {
        let label = entry.path_template.as_str();
        let in_rules = report.endpoints.iter().any(|e| e.endpoint == label);
        let message = if listed_order.contains(&label) {
            "listed twice; keep one entry".to_owned()
        } else if !in_rules {
            format!(
                "{rules} has no endpoint with this pathTemplate; correct it to the rules' \
                 template or remove the entry"
            )
        } else {
            listed_order.push(label);
            continue;
        };
        problems.push(PsoxyProblem::new(
            facts_file,
            PsoxyProblemKind::EndpointUnknown,
            label,
            None,
            message,
        ));
    }

    // The endpoints both files have, in the same order.
    let rules_order: Vec<&str> = report
        .endpoints
        .iter()
        .map(|e| e.endpoint.as_str())
        .filter(|label| listed_order.contains(label))
        .collect();
    for (&listed, &expected) in listed_order.iter().zip(&rules_order) {
        if listed != expected {
            problems.push(PsoxyProblem::new(
                facts_file,
                PsoxyProblemKind::EndpointOrder,
                listed,
                None,
                format!(
                    "out of order: {rules} has `{expected}` at this place; list the endpoints \
                     in the order of {rules}"
                ),
            ));
        }
    }

    let mut endpoints = Vec::new();
    for endpoint in &report.endpoints {
        let label = endpoint.endpoint.as_str();
        let entry = facts.endpoints.iter().find(|f| f.path_template == label);
        let rows = join(endpoint, entry);
        match entry {
            None => problems.push(PsoxyProblem::new(
                facts_file,
                PsoxyProblemKind::EndpointMissing,
                label,
                None,
                format!("an endpoint of {rules} with no entry; add one listing its fields"),
            )),
            Some(_) => {
                for row in &rows {
                    if let Some((kind, message)) = check_row(row, rules) {
                        let field = Some(row.path.as_str());
                        let problem = PsoxyProblem::new(facts_file, kind, label, field, message);
                        problems.push(problem);
                    }
                }
            }
        }
        endpoints.push(EndpointComparison {
            endpoint: endpoint.endpoint.clone(),
            listed: entry.is_some(),
            psoxy_path_template: entry.and_then(|e| e.psoxy_path_template.clone()),
            psoxy_allowed_query_params: entry.and_then(|e| e.psoxy_allowed_query_params.clone()),
            rows,
        });
    }

    PsoxyComparison {
        rules: rules.to_owned(),
        facts: facts_file.to_owned(),
        source: facts.source.clone(),
        classes: facts.classes.clone(),
        endpoints,
        problems,
    }
}

/// Our leaves in schema order, then the fields only the facts file lists.
fn join(endpoint: &EndpointReport, entry: Option<&EndpointFacts>) -> Vec<FieldRow> {
    let fields: &[FieldFacts] = match entry {
        Some(entry) => &entry.fields,
        None => &[],
    };
    let ours: Vec<String> = endpoint.leaves.iter().map(|l| l.path.to_string()).collect();
    let mut rows: Vec<FieldRow> = endpoint
        .leaves
        .iter()
        .zip(&ours)
        .map(|(leaf, path)| {
            let facts = fields.iter().find(|f| f.path == *path);
            row(path.clone(), Some(leaf), facts)
        })
        .collect();
    rows.extend(
        fields
            .iter()
            .filter(|f| !ours.contains(&f.path))
            .map(|f| row(f.path.clone(), None, Some(f))),
    );
    rows
}

fn row(path: String, leaf: Option<&LeafReport>, facts: Option<&FieldFacts>) -> FieldRow {
    FieldRow {
        path,
        ours: leaf.map(|l| l.class),
        reversible: leaf.is_some_and(is_reversible),
        conditional: leaf.map(conditional).unwrap_or_default(),
        psoxy: facts.map(|f| f.psoxy),
        note: facts.and_then(|f| f.note.clone()),
        reason: facts.and_then(|f| f.reason.clone()),
    }
}

/// The problem with one row of a listed endpoint, if any.
fn check_row(row: &FieldRow, rules: &str) -> Option<(PsoxyProblemKind, String)> {
    let Some(psoxy) = row.psoxy else {
        return Some((
            PsoxyProblemKind::LeafMissing,
            format!(
                "a leaf of the schema in {rules} that is not listed under `fields`; add it \
                 with Psoxy's treatment"
            ),
        ));
    };
    let ours = row.ours_label();
    let theirs = psoxy.label();
    match (row.reason.is_some(), row.we_pass(), psoxy.passes()) {
        (true, true, _) => Some((
            PsoxyProblemKind::ReasonOnKept,
            format!("has a `reason`, but {rules} passes it ({ours}); remove the reason"),
        )),
        (true, false, false) => Some((
            PsoxyProblemKind::ReasonNotNeeded,
            format!(
                "has a `reason`, but Psoxy does not pass it either ({theirs}); remove the \
                 reason, or put what is worth knowing in `note`"
            ),
        )),
        (false, false, true) => Some((
            PsoxyProblemKind::DroppedWithoutReason,
            format!(
                "Psoxy passes it ({theirs}) and {rules} does not ({ours}); add a `reason` \
                 saying why, or keep the field"
            ),
        )),
        _ => None,
    }
}

/// Our treatment in the facts file's words.
fn treatment(class: LeafClass, reversible: bool) -> &'static str {
    match class {
        LeafClass::KeptRaw => "kept",
        LeafClass::Pseudonymized if reversible => "reversible",
        other => other.label(),
    }
}

fn has_reversible(options: &str) -> bool {
    options.split(", ").any(|o| o == "reversible")
}

/// The transform that decides a pseudonymized leaf's class is reversible. It is the last
/// certain one with that effect: a later certain transform of the same strength would
/// have set its own class.
fn is_reversible(leaf: &LeafReport) -> bool {
    leaf.class == LeafClass::Pseudonymized
        && leaf
            .applied
            .iter()
            .rev()
            .find(|a| a.certain && a.effect == LeafClass::Pseudonymized)
            .is_some_and(|a| has_reversible(&a.options))
}

/// Stronger treatments than the leaf's class that only some documents get.
fn conditional(leaf: &LeafReport) -> Vec<Conditional> {
    let mut out: Vec<Conditional> = Vec::new();
    let stronger = leaf
        .applied
        .iter()
        .filter(|a| !a.certain && a.effect.strength() > leaf.class.strength());
    for applied in stronger {
        let entry = Conditional {
            treatment: treatment(applied.effect, has_reversible(&applied.options)),
            path: applied.path.clone(),
        };
        if !out.contains(&entry) {
            out.push(entry);
        }
    }
    out
}

/// The Markdown document: an introduction, then per endpoint a heading and a table
/// `| field | pseudoproxy | Psoxy | note |`, then the problems, if any.
pub fn render_psoxy_markdown(comparison: &PsoxyComparison) -> String {
    let mut out = String::new();
    intro(&mut out, comparison);
    for endpoint in &comparison.endpoints {
        let _ = writeln!(out, "\n## {}\n", code(&endpoint.endpoint));
        let about = about_endpoint(endpoint, &comparison.facts);
        if !about.is_empty() {
            let _ = writeln!(out, "{about}\n");
        }
        out.push_str("| field | pseudoproxy | Psoxy | note |\n");
        out.push_str("|---|---|---|---|\n");
        for row in &endpoint.rows {
            table_row(&mut out, row);
        }
    }
    if !comparison.problems.is_empty() {
        let _ = writeln!(out, "\n## Problems ({})\n", comparison.problems.len());
        for problem in &comparison.problems {
            let _ = writeln!(out, "- {}", one_line(&problem.to_string()));
        }
    }
    out
}

fn intro(out: &mut String, comparison: &PsoxyComparison) {
    let source = comparison.source.as_ref().map_or_else(String::new, |s| {
        let commit = s.commit.get(..12).unwrap_or(s.commit.as_str());
        format!(
            ", read from {} {} at commit {}",
            s.repository,
            code(&s.path),
            code(commit)
        )
    });
    let _ = writeln!(
        out,
        "What pseudoproxy does with every field of every endpoint of {rules}, next to what \
         Psoxy's Confluence connector does with it (facts: {facts}{source}). A row is a leaf \
         of either side's responseSchema, written as `rules lint` prints it. The pseudoproxy \
         column is the linter's worst case over every document the schema lets through: \
         **kept** (passes as Confluence sent it), **pseudonymized** (`t~` pseudonym), \
         **reversible** (`p~` reversible pseudonym), **digested** (length and word count \
         only), **masked** (partly rewritten by a pattern), **redacted** or **dropped** \
         (nothing passes; a field the schema does not list is dropped); after a `;` comes a \
         stronger treatment that only some values get. Every field Psoxy passes that \
         pseudoproxy does not says why in the note column.",
        rules = code(&comparison.rules),
        facts = code(&comparison.facts),
    );
    let rows: Vec<&FieldRow> = comparison.endpoints.iter().flat_map(|e| &e.rows).collect();
    let count = |keep: fn(&FieldRow) -> bool| rows.iter().filter(|&&r| keep(r)).count();
    let _ = writeln!(
        out,
        "\n{} fields over {} endpoints. Psoxy passes {} of them, pseudoproxy {}; {} that Psoxy \
         passes are not passed here, and {} that pseudoproxy passes are not passed by Psoxy.",
        rows.len(),
        comparison.endpoints.len(),
        count(FieldRow::psoxy_passes),
        count(FieldRow::we_pass),
        count(|r| r.psoxy_passes() && !r.we_pass()),
        count(|r| r.we_pass() && !r.psoxy_passes()),
    );
    if !comparison.classes.is_empty() {
        out.push_str("\nPsoxy's column:\n\n");
        for (class, meaning) in &comparison.classes {
            let _ = writeln!(out, "- **{class}**: {}", one_line(meaning));
        }
    }
}

/// Psoxy's template and query parameters, when the facts file gives them.
fn about_endpoint(endpoint: &EndpointComparison, facts: &str) -> String {
    if !endpoint.listed {
        return format!(
            "Not listed in {}: Psoxy's treatment is not known.",
            code(facts)
        );
    }
    let mut parts = Vec::new();
    if let Some(template) = &endpoint.psoxy_path_template {
        parts.push(format!("Psoxy's template: {}.", code(template)));
    }
    match endpoint.psoxy_allowed_query_params.as_deref() {
        None => {}
        Some([]) => parts.push("Psoxy allows no query parameter.".to_owned()),
        Some(params) => {
            let params: Vec<String> = params.iter().map(|p| code(p.as_str())).collect();
            parts.push(format!(
                "Query parameters Psoxy allows: {}.",
                params.join(", ")
            ));
        }
    }
    parts.join(" ")
}

fn table_row(out: &mut String, row: &FieldRow) {
    let mut ours = row.ours_label().to_owned();
    for c in &row.conditional {
        let _ = write!(ours, "; {} where {} matches", c.treatment, code(&c.path));
    }
    let psoxy = row.psoxy.map_or("*not listed*", PsoxyClass::label);
    let mut note = row.note.clone().unwrap_or_default();
    if let Some(reason) = &row.reason {
        if !note.is_empty() && !note.ends_with('.') {
            note.push('.');
        }
        if !note.is_empty() {
            note.push(' ');
        }
        let _ = write!(note, "**Not passed here:** {reason}");
    }
    out.push('|');
    for cell in [code(&row.path), ours, psoxy.to_owned(), note] {
        match cell.is_empty() {
            true => out.push_str(" |"),
            false => {
                let _ = write!(out, " {} |", table_cell(&cell));
            }
        }
    }
    out.push('\n');
}

/// `text` as inline code (with a longer fence when it contains a backtick).
fn code(text: &str) -> String {
    match text.contains('`') {
        true => format!("`` {text} ``"),
        false => format!("`{text}`"),
    }
}

fn one_line(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// A table cell: one line, pipes escaped (also inside code spans, as GFM tables need).
fn table_cell(text: &str) -> String {
    one_line(text).replace('|', "\\|")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lint::{LintConfig, lint};
    use crate::rules;

    const RULES: &str = r##"
endpoints:
  - pathTemplate: /things
    allowedQueryParams: []
    responseSchema:
      type: object
      properties:
        results:
          type: array
          items:
            type: object
            properties:
              id: { type: string }
              ownerId: { type: string }
              ref: { type: string }
              key: { type: string }
              title: { type: string }
              secret: { type: string }
              gone: { type: "null" }
    transforms:
      - !<pseudonymize>
        jsonPaths: ["$.results[*].ownerId"]
      - !<pseudonymize>
        jsonPaths: ["$.results[*].ref", "$.results[?(@.id == 'p')].key"]
        includeReversible: true
      - !<textDigest>
        jsonPaths: ["$.results[*].title"]
      - !<redact>
        jsonPaths: ["$.results[*].secret"]
  - pathTemplate: /count
    allowedQueryParams: []
    responseSchema:
      type: object
      properties:
        size: { type: integer }
"##;

    const HEAD: &str = r#"
source: { repository: Worklytics/psoxy, path: docs/x.yaml, commit: "0123456789abcdef0123" }
classes:
  kept: "passes as sent"
  dropped: "not in the schema"
endpoints:
"#;

    const THINGS: &str = r#"
  - pathTemplate: /things
    psoxyPathTemplate: "/things/{thingId}"
    psoxyAllowedQueryParams: [limit]
    fields:
      "$.results[*].id": { psoxy: kept }
      "$.results[*].ownerId": { psoxy: pseudonymized }
      "$.results[*].ref": { psoxy: kept, note: "raw there" }
      "$.results[*].key": { psoxy: kept }
      "$.results[*].title": { psoxy: digested }
      "$.results[*].secret": { psoxy: kept, reason: "a secret" }
      "$.results[*].gone": { psoxy: dropped }
      "$.results[*].legacy": { psoxy: kept, note: "never sent.", reason: "not sent" }
      "$.results[*].extra": { psoxy: dropped }
"#;

    const COUNT: &str = r#"
  - pathTemplate: /count
    psoxyAllowedQueryParams: []
    fields:
      "$.size": { psoxy: kept }
"#;

    fn facts(entries: &[&str]) -> String {
        let mut text = HEAD.to_owned();
        entries.iter().for_each(|e| text.push_str(e));
        text
    }

    fn compare(facts_text: &str) -> PsoxyComparison {
        let rules = rules::from_str(RULES, "rules.yaml").unwrap_or_else(|d| panic!("{d}"));
        let report = lint(&rules, &LintConfig::default(), None);
        let facts = PsoxyFacts::from_yaml(facts_text).unwrap();
        compare_with_psoxy(&report, &facts, "rules.yaml", "facts.yaml")
    }

    /// `endpoint path ours psoxy` per row.
    fn rows(comparison: &PsoxyComparison) -> Vec<String> {
        comparison
            .endpoints
            .iter()
            .flat_map(|e| {
                e.rows.iter().map(move |r| {
                    let psoxy = r.psoxy.map_or("-", PsoxyClass::label);
                    format!("{} {} {} {psoxy}", e.endpoint, r.path, r.ours_label())
                })
            })
            .collect()
    }

    /// `kind endpoint field` per problem.
    fn problems(comparison: &PsoxyComparison) -> Vec<String> {
        comparison
            .problems
            .iter()
            .map(|p| {
                let field = p.field.as_deref().unwrap_or("-");
                format!("{} {} {field}", p.kind.name(), p.endpoint)
            })
            .collect()
    }

    #[test]
    fn every_leaf_of_either_side_gets_a_row() {
        let comparison = compare(&facts(&[THINGS, COUNT]));
        assert_eq!(problems(&comparison), Vec::<String>::new());
        assert_eq!(
            rows(&comparison),
            [
                "/things $.results[*].id kept kept",
                "/things $.results[*].ownerId pseudonymized pseudonymized",
                "/things $.results[*].ref reversible kept",
                "/things $.results[*].key kept kept",
                "/things $.results[*].title digested digested",
                "/things $.results[*].secret redacted kept",
                "/things $.results[*].gone dropped dropped",
                // Only the facts file lists these: our schema drops them.
                "/things $.results[*].legacy dropped kept",
                "/things $.results[*].extra dropped dropped",
                "/count $.size kept kept",
            ]
        );
        let key = &comparison.endpoints[0].rows[3];
        assert_eq!(
            key.conditional,
            [Conditional {
                treatment: "reversible",
                path: "$.results[?(@.id == 'p')].key".into(),
            }]
        );
        let legacy = &comparison.endpoints[0].rows[7];
        assert_eq!(legacy.ours, None);
        assert_eq!(legacy.reason.as_deref(), Some("not sent"));
        assert_eq!(
            comparison.endpoints[0].psoxy_path_template.as_deref(),
            Some("/things/{thingId}")
        );
    }

    #[test]
    fn each_mistake_is_a_problem_naming_file_and_field() {
        let things = |from: &str, to: &str| {
            assert!(THINGS.contains(from), "{from}");
            THINGS.replace(from, to)
        };
        let no_id = things("      \"$.results[*].id\": { psoxy: kept }\n", "");
        let title_reason = things("{ psoxy: digested }", "{ psoxy: digested, reason: why }");
        let extra_reason = things(
            "extra\": { psoxy: dropped }",
            "extra\": { psoxy: dropped, reason: why }",
        );
        let legacy_bare = things(", reason: \"not sent\"", "");
        let secret_bare = things(", reason: \"a secret\"", "");
        let nowhere = "\n  - pathTemplate: /nowhere\n    fields: {}\n";
        let table: Vec<(Vec<&str>, Vec<&str>)> = vec![
            (
                vec![no_id.as_str(), COUNT],
                vec!["leaf-missing /things $.results[*].id"],
            ),
            (
                vec![title_reason.as_str(), COUNT],
                vec!["reason-on-kept /things $.results[*].title"],
            ),
            (
                vec![extra_reason.as_str(), COUNT],
                vec!["reason-not-needed /things $.results[*].extra"],
            ),
            (
                vec![legacy_bare.as_str(), COUNT],
                vec!["dropped-without-reason /things $.results[*].legacy"],
            ),
            (
                vec![secret_bare.as_str(), COUNT],
                vec!["dropped-without-reason /things $.results[*].secret"],
            ),
            (vec![THINGS], vec!["endpoint-missing /count -"]),
            (
                vec![COUNT, THINGS],
                vec!["endpoint-order /count -", "endpoint-order /things -"],
            ),
            (
                vec![THINGS, COUNT, nowhere],
                vec!["endpoint-unknown /nowhere -"],
            ),
            (
                vec![THINGS, COUNT, COUNT],
                vec!["endpoint-unknown /count -"],
            ),
        ];
        for (entries, expected) in table {
            let text = facts(&entries);
            let comparison = compare(&text);
            assert_eq!(problems(&comparison), expected, "{text}");
            for problem in &comparison.problems {
                let line = problem.to_string();
                assert!(line.starts_with("facts.yaml: "), "{line}");
                if let Some(field) = &problem.field {
                    assert!(line.contains(&format!("`{field}`")), "{line}");
                }
            }
        }
    }

    #[test]
    fn unreadable_facts_are_errors() {
        let table = [
            (THINGS.replace("psoxy: kept }", "psoxy: keep }"), "keep"),
            (THINGS.replace("note: \"raw there\"", "notes: x"), "notes"),
            (
                THINGS.replace("reason: \"a secret\"", "reason: \" \""),
                "reason is empty",
            ),
            (
                THINGS.replace(
                    "\"$.results[*].gone\"",
                    "\"$.results[*].id\": { psoxy: kept }\n      \"$.results[*].gone\"",
                ),
                "duplicate",
            ),
        ];
        for (entry, needle) in table {
            let err = PsoxyFacts::from_yaml(&facts(&[entry.as_str()]))
                .unwrap_err()
                .to_string();
            assert!(err.contains(needle), "{needle}: {err}");
        }
    }

    #[test]
    fn markdown_has_a_table_per_endpoint_and_the_problems() {
        let text = render_psoxy_markdown(&compare(&facts(&[THINGS, COUNT])));
        let source = "(facts: `facts.yaml`, read from Worklytics/psoxy `docs/x.yaml` at commit \
                      `0123456789ab`)";
        let counts = "\n10 fields over 2 endpoints. Psoxy passes 8 of them, pseudoproxy 6; 2 that \
                      Psoxy passes are not passed here, and 0 that pseudoproxy passes are not \
                      passed by Psoxy.\n";
        for needle in [source, counts, "\n- **kept**: passes as sent\n"] {
            assert!(text.contains(needle), "no {needle:?} in\n{text}");
        }
        for line in [
            "## `/things`",
            "Psoxy's template: `/things/{thingId}`. Query parameters Psoxy allows: `limit`.",
            "| `$.results[*].id` | kept | kept | |",
            "| `$.results[*].ref` | reversible | kept | raw there |",
            "| `$.results[*].key` | kept; reversible where `$.results[?(@.id == 'p')].key` \
             matches | kept | |",
            "| `$.results[*].legacy` | dropped | kept | never sent. **Not passed here:** not \
             sent |",
            "| `$.results[*].secret` | redacted | kept | **Not passed here:** a secret |",
            "## `/count`",
            "Psoxy allows no query parameter.",
        ] {
            assert!(
                text.lines().any(|l| l == line),
                "no line {line:?} in\n{text}"
            );
        }
        assert_eq!(
            text.matches("| field | pseudoproxy | Psoxy | note |")
                .count(),
            2
        );
        assert!(!text.contains("## Problems"), "{text}");

        let text = render_psoxy_markdown(&compare(&facts(&[THINGS])));
        let section = "\n## Problems (1)\n\n- facts.yaml: endpoint-missing `/count`: ";
        for needle in [
            "Not listed in `facts.yaml`",
            "\n| `$.size` | kept | *not listed* | |\n",
            section,
        ] {
            assert!(text.contains(needle), "no {needle:?} in\n{text}");
        }
    }

    #[test]
    fn pipes_in_cells_are_escaped() {
        assert_eq!(table_cell("`$[?(@.a || @.b)]`"), "`$[?(@.a \\|\\| @.b)]`");
        assert_eq!(code("a`b"), "`` a`b ``");
    }
}
