//! Parameter naming (proxy runtime spec §4): which prefixes an instance reads, and the
//! full parameter name for a short setting name.
//!
//! Invariant: names are compatible with an existing Psoxy deployment, so an operator can
//! point pseudoproxy at the parameters Psoxy's Terraform created.

use super::Env;

/// The full parameter name for `short` under `prefix`: the two are concatenated as
/// written (the operator's prefix carries its own `_` or `/` separator), and a name that
/// contains `/` is made absolute with a leading `/`, as SSM hierarchies require.
pub fn full_name(prefix: &str, short: &str) -> String {
    let name = format!("{prefix}{short}");
    if name.contains('/') && !name.starts_with('/') {
        format!("/{name}")
    } else {
        name
    }
}

/// The instance prefix: `PATH_TO_INSTANCE_CONFIG`, else the Lambda function name
/// upper-cased with `-` → `_` plus `_`, else none (local `serve` and the CLI).
pub fn instance_prefix(env: &Env) -> String {
    if let Some(path) = env.get("PATH_TO_INSTANCE_CONFIG") {
        return path.to_owned();
    }
    env.get("AWS_LAMBDA_FUNCTION_NAME")
        .map(|function| format!("{}_", function.to_ascii_uppercase().replace('-', "_")))
        .unwrap_or_default()
}

/// The shared prefix: `PATH_TO_SHARED_CONFIG`, else none (so the salt is `PSOXY_SALT`).
pub fn shared_prefix(env: &Env) -> String {
    env.get("PATH_TO_SHARED_CONFIG")
        .unwrap_or_default()
        .to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn full_names_for_both_prefix_forms() {
        let cases = [
            ("", "PSOXY_SALT", "PSOXY_SALT"),
            (
                "PSOXY_CONFLUENCE_CLOUD_",
                "CLIENT_ID",
                "PSOXY_CONFLUENCE_CLOUD_CLIENT_ID",
            ),
            (
                "/psoxy/confluence/",
                "CLIENT_ID",
                "/psoxy/confluence/CLIENT_ID",
            ),
            (
                "psoxy/confluence/",
                "CLIENT_ID",
                "/psoxy/confluence/CLIENT_ID",
            ),
            ("psoxy/", "PSOXY_SALT", "/psoxy/PSOXY_SALT"),
        ];
        for (prefix, short, expected) in cases {
            assert_eq!(full_name(prefix, short), expected, "prefix {prefix:?}");
        }
    }

    #[test]
    fn instance_prefix_sources_in_order() {
        let cases: [(&[(&str, &str)], &str); 4] = [
            (&[], ""),
            (
                &[("AWS_LAMBDA_FUNCTION_NAME", "psoxy-confluence-cloud")],
                "PSOXY_CONFLUENCE_CLOUD_",
            ),
            (
                &[
                    ("AWS_LAMBDA_FUNCTION_NAME", "psoxy-confluence-cloud"),
                    ("PATH_TO_INSTANCE_CONFIG", "/corp/confluence/"),
                ],
                "/corp/confluence/",
            ),
            (&[("PATH_TO_INSTANCE_CONFIG", "CONFLUENCE_")], "CONFLUENCE_"),
        ];
        for (vars, expected) in cases {
            assert_eq!(
                instance_prefix(&Env::from_pairs(vars)),
                expected,
                "{vars:?}"
            );
        }
    }

    #[test]
    fn shared_prefix_defaults_to_none() {
        assert_eq!(shared_prefix(&Env::default()), "");
        let env = Env::from_pairs(&[("PATH_TO_SHARED_CONFIG", "/corp/shared/")]);
        assert_eq!(shared_prefix(&env), "/corp/shared/");
    }
}
