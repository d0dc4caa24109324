//! Generates v1 content-search responses of any size from the golden example's shape.
//!
//! Shared by the benchmarks (`benches/sanitize.rs`) and the generator binary
//! (`examples/gen_content_search.rs`, used by the memory measurement). Deterministic:
//! the same count always gives the same bytes.
//!
//! Each result is a clone of one of the three results in
//! `example-api-responses/original/content-search-page{1,2}.json` (compact), with a unique
//! content id, a varied title, and its people (account id, email, names, avatar and self
//! links) swapped for people from a pool of [`POOL`] synthetic users, so that, like on a
//! real site, the same person appears in many results but not in all of them.

use std::path::Path;

use serde_json::Value;

/// How many distinct synthetic people the results are drawn from.
pub(crate) const POOL: usize = 256;

/// One person of the examples' cast, as the templates spell them.
struct CastMember {
    account_id: String,
    email: String,
    name: String,
}

/// The template results (compact JSON) and the cast they mention.
pub(crate) struct Generator {
    templates: Vec<(String, String, String)>,
    cast: Vec<CastMember>,
    links: String,
}

impl Generator {
    /// Reads the two content-search pages of the golden examples under `root` (the package
    /// root).
    pub(crate) fn from_examples(root: &Path) -> Result<Generator, String> {
        let mut results = Vec::new();
        let mut links = String::new();
        for page in ["content-search-page1.json", "content-search-page2.json"] {
            let path = root.join("example-api-responses/original").join(page);
            let text = std::fs::read_to_string(&path)
                .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
            let doc: Value = serde_json::from_str(&text).map_err(|e| e.to_string())?;
            if links.is_empty() {
                links = serde_json::to_string(&doc["_links"]).map_err(|e| e.to_string())?;
            }
            match doc.get("results") {
                Some(Value::Array(items)) => results.extend(items.iter().cloned()),
                _ => return Err(format!("{page}: no results array")),
            }
        }
        let mut cast = Vec::new();
        for result in &results {
            collect_cast(result, &mut cast);
        }
        let mut templates = Vec::new();
        for result in &results {
            let text = serde_json::to_string(result).map_err(|e| e.to_string())?;
            let id = result["id"].as_str().unwrap_or_default().to_owned();
            let title = result["title"].as_str().unwrap_or_default().to_owned();
            templates.push((text, id, title));
        }
        Ok(Generator {
            templates,
            cast,
            links,
        })
    }

    /// A compact response body with `count` results.
    pub(crate) fn response(&self, count: usize) -> String {
        let mut out = String::from("{\"results\":[");
        for i in 0..count {
            if i > 0 {
                out.push(',');
            }
            out.push_str(&self.result(i));
        }
        out.push_str(&format!(
            "],\"start\":0,\"limit\":{count},\"size\":{count},\"_links\":{}}}",
            self.links
        ));
        out
    }

    /// Result `i`: template `i % 3` with a fresh id, title and people.
    fn result(&self, i: usize) -> String {
        let (text, id, title) = &self.templates[i % self.templates.len()];
        let new_title = format!("{title} — part {i}");
        let mut text = text
            .replacen(
                &format!("\"id\":\"{id}\""),
                &format!("\"id\":\"{}\"", 1_000_000 + i),
                1,
            )
            .replacen(&json_string(title), &json_string(&new_title), 1);
        for (j, member) in self.cast.iter().enumerate() {
            let p = (i * 31 + j * 17) % POOL;
            text = text.replace(
                &member.account_id,
                &format!("557058:{p:08x}-0000-4000-8000-{:012x}", p * 7919),
            );
            if !member.email.is_empty() {
                text = text.replace(&member.email, &format!("user.{p}@acme-widgets.example"));
            }
            text = text.replace(&member.name, &format!("Person {p}"));
        }
        text
    }
}

fn json_string(s: &str) -> String {
    serde_json::to_string(s).unwrap_or_default()
}

/// Every distinct user object (one with an `accountId`) in `value`, in document order.
fn collect_cast(value: &Value, cast: &mut Vec<CastMember>) {
    match value {
        Value::Object(map) => {
            if let Some(Value::String(id)) = map.get("accountId")
                && !cast.iter().any(|m| &m.account_id == id)
            {
                let text = |k: &str| map.get(k).and_then(Value::as_str).unwrap_or("").to_owned();
                cast.push(CastMember {
                    account_id: id.clone(),
                    email: text("email"),
                    name: text("displayName"),
                });
            }
            map.values().for_each(|v| collect_cast(v, cast));
        }
        Value::Array(items) => items.iter().for_each(|v| collect_cast(v, cast)),
        _ => {}
    }
}
