//! The golden-examples manifest (`example-api-responses/examples.yaml`, docs/rules.md, "Golden examples"):
//! which rules, which test-only secrets, and which original/sanitized pairs per URL.
//! Paths in the manifest are relative to the manifest file.

use std::path::{Path, PathBuf};

use serde::Deserialize;

use super::CliError;

/// The manifest as written.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub(super) struct Manifest {
    /// Rules file, relative to the manifest.
    pub rules: PathBuf,
    /// Test-only salt.
    pub salt: String,
    /// Test-only encryption key for reversible tokens.
    #[serde(default)]
    pub encryption_key: Option<String>,
    /// The examples, run in order.
    pub examples: Vec<Example>,
}

/// One request URL with its upstream response and the expected sanitized output.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct Example {
    /// PATH?QUERY of the request the response answers.
    pub url: String,
    /// HTTP method (default GET).
    #[serde(default)]
    pub method: Option<String>,
    /// Upstream response body, relative to the manifest.
    pub original: PathBuf,
    /// Expected sanitized body, relative to the manifest.
    pub sanitized: PathBuf,
}

impl Manifest {
    /// Read and parse a manifest; returns it with the directory its paths are relative to.
    pub(super) fn load(path: &Path) -> Result<(Manifest, PathBuf), CliError> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| CliError::Usage(format!("cannot read {}: {e}", path.display())))?;
        let manifest: Manifest = serde_saphyr::from_str(&text).map_err(|e| {
            CliError::Usage(format!(
                "{}: invalid examples manifest: {e}",
                path.display()
            ))
        })?;
        let base = path.parent().map(Path::to_path_buf).unwrap_or_default();
        Ok((manifest, base))
    }
}

/// The project's own manifest: `example-api-responses/examples.yaml` under the current
/// directory when present, else under the source tree this binary was built from.
pub(super) fn default_manifest() -> PathBuf {
    let relative = Path::new("example-api-responses").join("examples.yaml");
    if relative.exists() {
        return relative;
    }
    Path::new(env!("CARGO_MANIFEST_DIR")).join(relative)
}
