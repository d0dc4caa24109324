//! A snapshot of environment variables, so configuration is a function of a value
//! (tests build one from pairs and never mutate the process environment).
//!
//! Invariant: `Debug` lists variable names only — values may be secrets.

use std::collections::BTreeMap;

/// Environment variables by name. Empty values count as unset (a Terraform variable
/// left blank, `FOO= cmd`).
#[derive(Clone, Default, PartialEq, Eq)]
pub struct Env {
    vars: BTreeMap<String, String>,
}

impl Env {
    /// The current process environment (non-UTF-8 variables are skipped).
    pub fn from_process() -> Env {
        Env::from_iter(
            std::env::vars_os()
                .filter_map(|(k, v)| Some((k.into_string().ok()?, v.into_string().ok()?))),
        )
    }

    /// An environment holding exactly `pairs`.
    pub fn from_pairs(pairs: &[(&str, &str)]) -> Env {
        Env::from_iter(
            pairs
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned())),
        )
    }

    /// The value of `name`, `None` when unset or empty.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.vars
            .get(name)
            .map(String::as_str)
            .filter(|v| !v.is_empty())
    }

    /// The same snapshot without `name`.
    pub fn without(mut self, name: &str) -> Env {
        self.vars.remove(name);
        self
    }

    /// Sets one variable (builder style, for tests and `serve` overrides).
    pub fn with(mut self, name: &str, value: &str) -> Env {
        self.vars.insert(name.to_owned(), value.to_owned());
        self
    }

    /// True when running inside AWS Lambda (the runtime API is only set there).
    pub fn is_lambda(&self) -> bool {
        self.get(super::names::AWS_LAMBDA_RUNTIME_API).is_some()
    }
}

impl FromIterator<(String, String)> for Env {
    fn from_iter<I: IntoIterator<Item = (String, String)>>(iter: I) -> Self {
        Env {
            vars: iter.into_iter().collect(),
        }
    }
}

impl std::fmt::Debug for Env {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_set().entries(self.vars.keys()).finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_values_are_unset_and_debug_hides_values() {
        let env = Env::from_pairs(&[("A", "1"), ("EMPTY", ""), ("PSOXY_SALT", "s3cret")]);
        assert_eq!(env.get("A"), Some("1"));
        assert_eq!(env.get("EMPTY"), None);
        assert_eq!(env.get("MISSING"), None);
        let debug = format!("{env:?}");
        assert!(
            debug.contains("PSOXY_SALT") && !debug.contains("s3cret"),
            "{debug}"
        );
    }

    #[test]
    fn lambda_mode_follows_the_runtime_api_variable() {
        assert!(!Env::default().is_lambda());
        assert!(
            Env::default()
                .with("AWS_LAMBDA_RUNTIME_API", "127.0.0.1:9001")
                .is_lambda()
        );
    }
}
