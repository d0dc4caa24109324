//! Which leaf names look personal — data, not code: [`BUILTIN`] is the list, and a rules
//! file's lint file adds patterns of its own (`personalNames`).
//!
//! A name is compared in a normal form: lower case with everything but ASCII letters and
//! digits removed (`spaceOwnerId`, `space_owner_id` and `space-owner-id` all read
//! `spaceownerid`). The name of a leaf is its own key; when that key only says "the text
//! of the enclosing thing" ([`GENERIC`]: `value`, `text`, …) the enclosing key counts
//! instead (`description.plain.value` is a description). Elements of an array take the
//! array's key (`userAccountIds[*]`).

use regex::Regex;

use super::shape::{LeafPath, SchemaStep};

/// `(what it is, regex over the normal form)`. Kept broad on purpose: a false positive
/// costs one acknowledgement with a reason, a false negative is a leak nobody reviews.
pub(crate) const BUILTIN: &[(&str, &str)] = &[
    (
        "account or user id",
        r"accountid|userid|userkey|username|login|principal",
    ),
    (
        "person (author, owner, assignee, …)",
        r"author|owner|creator|assignee|reporter|publisher|contributor|member|(created|updated|modified|completed|deleted|resolved|closed|edited)by|assignedto|^by$",
    ),
    ("email", r"e?mail"),
    ("name", r"names?$"),
    ("title", r"title"),
    ("body", r"body"),
    ("message", r"message"),
    ("description", r"description"),
    ("comment", r"comment"),
    ("url", r"url|uri|href|link|webui|tinyui|editui|^self$"),
    ("path", r"path"),
    ("avatar", r"avatar|picture|photo|icon|image"),
];

/// Keys that name the text of their parent rather than a thing of their own.
pub(crate) const GENERIC: &[&str] = &[
    "value", "values", "text", "content", "raw", "plain", "view", "storage", "html", "markdown",
    "data",
];

/// A compiled list of personal-name patterns.
#[derive(Debug, Clone)]
pub struct PersonalNames {
    patterns: Vec<(String, Regex)>,
}

impl PersonalNames {
    /// The built-in list.
    pub fn builtin() -> PersonalNames {
        let patterns = BUILTIN
            .iter()
            .filter_map(|(label, re)| Some(((*label).to_owned(), Regex::new(re).ok()?)))
            .collect();
        PersonalNames { patterns }
    }

    /// Add a pattern (a regex over the normal form); the error is the regex error.
    pub fn add(&mut self, pattern: &str) -> Result<(), regex::Error> {
        let regex = Regex::new(pattern)?;
        self.patterns.push((format!("pattern `{pattern}`"), regex));
        Ok(())
    }

    /// What the leaf at `path` looks like, when its name looks personal.
    pub fn classify(&self, path: &LeafPath) -> Option<&str> {
        let name = normal_form(leaf_name(path)?);
        self.patterns
            .iter()
            .find(|(_, re)| re.is_match(&name))
            .map(|(label, _)| label.as_str())
    }
}

/// The key that names a leaf: its own, else the nearest enclosing non-generic key.
pub(crate) fn leaf_name(path: &LeafPath) -> Option<&str> {
    let mut keys = path.0.iter().rev().filter_map(|s| match s {
        SchemaStep::Key(k) => Some(k.as_str()),
        SchemaStep::Item => None,
    });
    let first = keys.next()?;
    if !GENERIC.contains(&normal_form(first).as_str()) {
        return Some(first);
    }
    Some(
        keys.find(|k| !GENERIC.contains(&normal_form(k).as_str()))
            .unwrap_or(first),
    )
}

fn normal_form(name: &str) -> String {
    name.chars()
        .filter(char::is_ascii_alphanumeric)
        .map(|c| c.to_ascii_lowercase())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn path(steps: &[&str]) -> LeafPath {
        LeafPath(
            steps
                .iter()
                .map(|s| match *s {
                    "*" => SchemaStep::Item,
                    k => SchemaStep::Key(k.to_owned()),
                })
                .collect(),
        )
    }

    #[test]
    fn personal_names_are_recognised_in_any_spelling() {
        let names = PersonalNames::builtin();
        let table: &[(&[&str], Option<&str>)] = &[
            (
                &["results", "*", "authorId"],
                Some("person (author, owner, assignee, …)"),
            ),
            (
                &["results", "*", "spaceOwnerId"],
                Some("person (author, owner, assignee, …)"),
            ),
            (&["user", "account_id"], Some("account or user id")),
            (
                &["publishers", "userAccountIds", "*"],
                Some("account or user id"),
            ),
            (&["results", "*", "email"], Some("email")),
            (&["displayName"], Some("name")),
            (&["description", "plain", "value"], Some("description")),
            (&["page", "title"], Some("title")),
            (&["_links", "webui"], Some("url")),
            (&["avatarUrl"], Some("url")),
            (&["profilePicture", "path"], Some("path")),
            (&["createdBy"], Some("person (author, owner, assignee, …)")),
            (
                &["version", "by"],
                Some("person (author, owner, assignee, …)"),
            ),
            // Not personal: ids of things, types, times, counters.
            (&["results", "*", "id"], None),
            (&["results", "*", "accountType"], None),
            (&["results", "*", "createdAt"], None),
            (&["results", "*", "homepageId"], None),
            (&["_links", "next"], None),
            (&["scopes", "*"], None),
            (&["*"], None),
            (&["value"], None),
        ];
        for (steps, expected) in table {
            assert_eq!(names.classify(&path(steps)), *expected, "{}", path(steps));
        }
    }

    #[test]
    fn a_rules_file_can_add_patterns() {
        let mut names = PersonalNames::builtin();
        assert_eq!(names.classify(&path(&["alias"])), None);
        names.add("^alias$").unwrap();
        assert_eq!(names.classify(&path(&["alias"])), Some("pattern `^alias$`"));
        assert!(names.add("(").is_err());
    }
}
