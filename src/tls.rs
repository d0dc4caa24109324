//! The TLS client configuration that every outbound HTTPS client of the process shares:
//! Confluence ([`crate::proxy::ReqwestUpstream`]), the Atlassian token endpoint and the
//! caller tools (`call`, `export`). The AWS SDK's SSM client keeps its own.
//!
//! I/O EDGE (reads certificate files when told to). Built once per process: each reqwest
//! client used to load and parse the OS certificate bundle for itself, about half of the
//! CPU of a Lambda cold start (docs/performance.md).
//!
//! Trust roots: Mozilla's root set compiled into the binary (`webpki-roots`), so nothing
//! is read or parsed at start-up. An operator who must trust another CA (a TLS-inspecting
//! egress proxy, say) sets `SSL_CERT_FILE` and/or `SSL_CERT_DIR`, as for OpenSSL: then
//! exactly the certificates found there are trusted, and finding none is an error rather
//! than a silent fallback.

use std::path::Path;
use std::sync::{Arc, OnceLock};

use rustls::{ClientConfig, RootCertStore};

/// Why no TLS configuration could be built (names paths, never certificate contents).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TlsError {
    #[error("no usable CA certificate in {0} (SSL_CERT_FILE / SSL_CERT_DIR)")]
    NoCertificates(String),
    #[error("TLS set-up failed: {0}")]
    Setup(String),
}

/// The process's client configuration (built on first use, then shared), for
/// `reqwest::ClientBuilder::tls_backend_preconfigured`.
pub fn client_config() -> Result<ClientConfig, TlsError> {
    static CONFIG: OnceLock<Result<ClientConfig, TlsError>> = OnceLock::new();
    CONFIG
        .get_or_init(|| {
            let file = std::env::var_os("SSL_CERT_FILE");
            let dir = std::env::var_os("SSL_CERT_DIR");
            let roots = if file.is_none() && dir.is_none() {
                compiled_in_roots()
            } else {
                // rustls-native-certs reads exactly these variables (SSL_CERT_DIR may
                // list several directories).
                let found = rustls_native_certs::load_native_certs();
                let place = places([file.as_deref(), dir.as_deref()].map(|p| p.map(Path::new)));
                store_of(found.certs, &place)?
            };
            config_with(roots)
        })
        .clone()
}

/// Mozilla's root set as compiled into the binary (already parsed: no work at run time).
pub fn compiled_in_roots() -> RootCertStore {
    RootCertStore {
        roots: webpki_roots::TLS_SERVER_ROOTS.to_vec(),
    }
}

/// The roots in a PEM bundle `file` and/or a hashed certificate `dir`, as `SSL_CERT_FILE`
/// and `SSL_CERT_DIR` name them.
pub fn roots_from_paths(
    file: Option<&Path>,
    dir: Option<&Path>,
) -> Result<RootCertStore, TlsError> {
    let found = rustls_native_certs::load_certs_from_paths(file, dir);
    store_of(found.certs, &places([file, dir]))
}

/// The given paths, for an error message.
fn places(paths: [Option<&Path>; 2]) -> String {
    let named: Vec<String> = paths
        .iter()
        .flatten()
        .map(|p| p.display().to_string())
        .collect();
    named.join(", ")
}

fn store_of(
    certs: Vec<rustls::pki_types::CertificateDer<'static>>,
    place: &str,
) -> Result<RootCertStore, TlsError> {
    let mut roots = RootCertStore::empty();
    let (added, _ignored) = roots.add_parsable_certificates(certs);
    match added {
        0 => Err(TlsError::NoCertificates(place.to_owned())),
        _ => Ok(roots),
    }
}

/// A client configuration trusting `roots`, with aws-lc-rs as the crypto provider (the
/// one reqwest and the AWS SDK are built with) and the safe default protocol versions.
pub fn config_with(roots: RootCertStore) -> Result<ClientConfig, TlsError> {
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    Ok(ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| TlsError::Setup(e.to_string()))?
        .with_root_certificates(roots)
        .with_no_client_auth())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fixture(name: &str) -> std::path::PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures/tls")
            .join(name)
    }

    #[test]
    fn compiled_in_roots_are_mozillas_and_include_a_well_known_root() {
        let roots = compiled_in_roots();
        assert_eq!(roots.len(), webpki_roots::TLS_SERVER_ROOTS.len());
        assert!(roots.len() > 100, "{} roots", roots.len());
        // ISRG Root X1 (Let's Encrypt) is in the fixture as PEM and must be compiled in.
        let isrg = roots_from_paths(Some(&fixture("isrg-root-x1.pem")), None).unwrap();
        assert_eq!(isrg.len(), 1);
        assert!(roots.roots.contains(&isrg.roots[0]));
    }

    #[test]
    fn a_bundle_file_without_certificates_is_an_error_naming_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let empty = dir.path().join("bundle.pem");
        std::fs::write(&empty, "not a certificate\n").unwrap();
        for path in [empty, dir.path().join("absent.pem")] {
            let error = roots_from_paths(Some(&path), None).unwrap_err();
            assert_eq!(error, TlsError::NoCertificates(path.display().to_string()));
        }
    }

    #[test]
    fn the_process_configuration_is_built_once_and_usable_by_reqwest() {
        let first = client_config().unwrap();
        let second = client_config().unwrap();
        // Clones of one configuration share its verifier.
        assert!(Arc::ptr_eq(
            &first.crypto_provider().clone(),
            second.crypto_provider()
        ));
        reqwest::Client::builder()
            .tls_backend_preconfigured(first)
            .build()
            .unwrap();
    }
}
