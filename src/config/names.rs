//! The names of every setting and parameter (docs/configuration.md), in one table, and
//! how a short name becomes a full parameter name under an instance or shared prefix.
//!
//! Every other module refers to a setting through the constants here, never by a string
//! literal of its own, so a name is spelled once. [`SETTINGS`] says for each setting
//! whether it is a secret (never taken from the environment in Lambda mode), whether
//! start-up reads it (prefetched in one wave), and whether it is read from the store at
//! all (some are environment only).
//!
//! Invariant: names are compatible with an existing Psoxy deployment, so an operator can
//! point pseudoproxy at the parameters Psoxy's Terraform created.

use super::Env;

// Settings of the request pipeline (environment → instance parameter → shared parameter).
pub(crate) const TARGET_HOST: &str = "TARGET_HOST";
pub(crate) const REQUEST_TIMEOUT_SECONDS: &str = "REQUEST_TIMEOUT_SECONDS";
pub(crate) const SOURCE: &str = "SOURCE";
pub(crate) const IS_DEVELOPMENT_MODE: &str = "IS_DEVELOPMENT_MODE";
pub(crate) const CONFLUENCE_CLOUD_ID: &str = "CONFLUENCE_CLOUD_ID";
pub(crate) const ALLOWED_DATA_ACCESS_IP_BLOCKS: &str = "ALLOWED_DATA_ACCESS_IP_BLOCKS";
pub(crate) const ALLOWED_CALLER_ARNS: &str = "ALLOWED_CALLER_ARNS";
pub(crate) const RULES: &str = "RULES";
// Pseudonyms.
pub(crate) const PSOXY_SALT: &str = "PSOXY_SALT";
pub(crate) const PSOXY_ENCRYPTION_KEY: &str = "PSOXY_ENCRYPTION_KEY";
pub(crate) const SALT_IP: &str = "SALT_IP";
pub(crate) const ENCRYPTION_KEY_IP: &str = "ENCRYPTION_KEY_IP";
pub(crate) const SALT_EMAIL_DOMAINS: &str = "SALT_EMAIL_DOMAINS";
pub(crate) const ENCRYPTION_KEY_EMAIL_DOMAINS: &str = "ENCRYPTION_KEY_EMAIL_DOMAINS";
pub(crate) const EMAIL_CANONICALIZATION: &str = "EMAIL_CANONICALIZATION";
pub(crate) const EMAIL_DOMAIN_HANDLING: &str = "EMAIL_DOMAIN_HANDLING";
// The OAuth strategy.
pub(crate) const SOURCE_AUTH_STRATEGY_IDENTIFIER: &str = "SOURCE_AUTH_STRATEGY_IDENTIFIER";
pub(crate) const GRANT_TYPE: &str = "GRANT_TYPE";
pub(crate) const REFRESH_ENDPOINT: &str = "REFRESH_ENDPOINT";
pub(crate) const USE_SHARED_TOKEN: &str = "USE_SHARED_TOKEN";
// Instance parameters of the token lifecycle (read, and the last four written at run time).
pub(crate) const CLIENT_ID: &str = "CLIENT_ID";
pub(crate) const CLIENT_SECRET: &str = "CLIENT_SECRET";
pub(crate) const REFRESH_TOKEN: &str = "REFRESH_TOKEN";
pub(crate) const ACCESS_TOKEN: &str = "ACCESS_TOKEN";
pub(crate) const TOKEN_FAMILY: &str = "TOKEN_FAMILY";
pub(crate) const REFRESH_LOCK: &str = "OAUTH_REFRESH_TOKEN_lock";
// Environment only: where parameters live and what the process is.
pub(crate) const PATH_TO_INSTANCE_CONFIG: &str = "PATH_TO_INSTANCE_CONFIG";
pub(crate) const PATH_TO_SHARED_CONFIG: &str = "PATH_TO_SHARED_CONFIG";
pub(crate) const PSOXY_KMS_KEY_ID: &str = "PSOXY_KMS_KEY_ID";
pub(crate) const AWS_LAMBDA_FUNCTION_NAME: &str = "AWS_LAMBDA_FUNCTION_NAME";
pub(crate) const AWS_LAMBDA_RUNTIME_API: &str = "AWS_LAMBDA_RUNTIME_API";
// Read by lambda_runtime as it starts, not settings: checked first so that a gap is a
// sentence, not a panic (`proxy::startup::lambda_runtime_env_problems`).
pub(crate) const AWS_LAMBDA_FUNCTION_VERSION: &str = "AWS_LAMBDA_FUNCTION_VERSION";
pub(crate) const AWS_LAMBDA_FUNCTION_MEMORY_SIZE: &str = "AWS_LAMBDA_FUNCTION_MEMORY_SIZE";
/// `AWS_SSM_PARAMETER_STORE` (default) or `AWS_SECRETS_MANAGER`, case-insensitive (Psoxy's).
pub(crate) const SECRETS_STORE: &str = "SECRETS_STORE";
/// A path prefix trimmed from request paths (an API Gateway stage or base path).
pub(crate) const PATH_PREFIX: &str = "PATH_PREFIX";
/// The SHA-1 of the custom rules the deployment means to serve (Terraform sets it, so a
/// rules change redeploys the function); a mismatch is a health-check warning.
pub(crate) const CUSTOM_RULES_SHA: &str = "CUSTOM_RULES_SHA";
/// A JSON file of parameters replacing the store on Lambda (local runs, `cargo lambda`).
pub(crate) const PSEUDOPROXY_SECRETS_FILE: &str = "PSEUDOPROXY_SECRETS_FILE";
/// `serve`'s bearer token (also read by `call` and `export`).
pub(crate) const PSEUDOPROXY_AUTH_TOKEN: &str = "PSEUDOPROXY_AUTH_TOKEN";

/// Where a setting is read from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Origin {
    /// Environment, then instance parameter, then shared parameter.
    Layered,
    /// The environment alone (it says where the store is, or what the process is).
    Environment,
    /// Written and read at run time by the token lifecycle (instance parameters only).
    TokenLifecycle,
}

/// One setting the binary knows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Setting {
    pub name: &'static str,
    pub origin: Origin,
    /// A secret: in Lambda mode never taken from the environment.
    pub secret: bool,
    /// Read by every cold start (prefetched in one wave of store reads).
    pub read_at_start: bool,
}

const fn layered(name: &'static str, secret: bool) -> Setting {
    Setting {
        name,
        origin: Origin::Layered,
        secret,
        read_at_start: true,
    }
}

const fn environment(name: &'static str) -> Setting {
    Setting {
        name,
        origin: Origin::Environment,
        secret: false,
        read_at_start: false,
    }
}

const fn lifecycle(name: &'static str, read_at_start: bool) -> Setting {
    Setting {
        name,
        origin: Origin::TokenLifecycle,
        secret: true,
        read_at_start,
    }
}

/// Whether `short` is configuration an operator sets (not a token-lifecycle parameter
/// the proxy writes itself).
pub(crate) fn is_configuration(short: &str) -> bool {
    SETTINGS
        .iter()
        .any(|s| s.name == short && s.origin == Origin::Layered)
}

/// Every setting, in the order start-up reads them.
pub(crate) const SETTINGS: [Setting; 36] = [
    layered(TARGET_HOST, false),
    layered(REQUEST_TIMEOUT_SECONDS, false),
    layered(SOURCE, false),
    layered(IS_DEVELOPMENT_MODE, false),
    layered(CONFLUENCE_CLOUD_ID, false),
    layered(ALLOWED_DATA_ACCESS_IP_BLOCKS, false),
    layered(ALLOWED_CALLER_ARNS, false),
    layered(PSOXY_SALT, true),
    layered(EMAIL_CANONICALIZATION, false),
    layered(EMAIL_DOMAIN_HANDLING, false),
    layered(PSOXY_ENCRYPTION_KEY, true),
    layered(SALT_IP, true),
    layered(ENCRYPTION_KEY_IP, true),
    layered(SALT_EMAIL_DOMAINS, true),
    layered(ENCRYPTION_KEY_EMAIL_DOMAINS, true),
    layered(RULES, false),
    layered(REFRESH_ENDPOINT, false),
    layered(SOURCE_AUTH_STRATEGY_IDENTIFIER, false),
    layered(GRANT_TYPE, false),
    layered(USE_SHARED_TOKEN, false),
    layered(CLIENT_ID, false),
    layered(CLIENT_SECRET, true),
    lifecycle(REFRESH_TOKEN, true),
    lifecycle(ACCESS_TOKEN, false),
    lifecycle(TOKEN_FAMILY, false),
    lifecycle(REFRESH_LOCK, false),
    environment(PATH_TO_INSTANCE_CONFIG),
    environment(PATH_TO_SHARED_CONFIG),
    environment(PSOXY_KMS_KEY_ID),
    environment(AWS_LAMBDA_FUNCTION_NAME),
    environment(AWS_LAMBDA_RUNTIME_API),
    environment(PSEUDOPROXY_SECRETS_FILE),
    environment(PSEUDOPROXY_AUTH_TOKEN),
    environment(SECRETS_STORE),
    environment(PATH_PREFIX),
    environment(CUSTOM_RULES_SHA),
];

/// Whether `name` is a secret setting (never taken from the environment in Lambda mode).
pub(crate) fn is_secret(name: &str) -> bool {
    SETTINGS.iter().any(|s| s.name == name && s.secret)
}

/// The settings every cold start reads, for one wave of store reads.
pub(crate) fn read_at_start() -> Vec<&'static str> {
    SETTINGS
        .iter()
        .filter(|s| s.read_at_start)
        .map(|s| s.name)
        .collect()
}

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
pub(crate) fn instance_prefix(env: &Env) -> String {
    if let Some(path) = env.get(PATH_TO_INSTANCE_CONFIG) {
        return path.to_owned();
    }
    env.get(AWS_LAMBDA_FUNCTION_NAME)
        .map(|function| format!("{}_", function.to_ascii_uppercase().replace('-', "_")))
        .unwrap_or_default()
}

/// The shared prefix: `PATH_TO_SHARED_CONFIG`, else none (so the salt is `PSOXY_SALT`).
pub(crate) fn shared_prefix(env: &Env) -> String {
    env.get(PATH_TO_SHARED_CONFIG)
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
