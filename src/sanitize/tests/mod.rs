//! Tests of the sanitizer's fast path against its reference: the golden examples all take
//! the fast path, and random documents and rules agree byte for byte (`differential`).

mod differential;
mod golden;
mod privacy_props;
mod psoxy_jackson;

use std::sync::OnceLock;

use crate::pseudonym::{PseudonymConfig, Pseudonymizer};

/// One pseudonymizer for every case: its AES key is derived once, on first use.
fn pseudonymizer() -> &'static Pseudonymizer {
    static P: OnceLock<Pseudonymizer> = OnceLock::new();
    P.get_or_init(|| {
        Pseudonymizer::new(PseudonymConfig {
            salt: "salt".into(),
            encryption_key: Some("secret".into()),
            ..PseudonymConfig::default()
        })
    })
}
