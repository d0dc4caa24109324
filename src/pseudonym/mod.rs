//! Psoxy v0.4 pseudonyms (rules contract §7), byte-identical to Psoxy's.
//!
//! PURE: no I/O. This commit holds the building blocks: salted SHA-256 and its encodings,
//! reversible AES-256-CBC bytes with PBKDF2-derived keys, email detection and
//! canonicalization, IP canonicalization, settings and errors.

mod config;
pub mod email;
mod error;
mod hash;
pub mod ip;
mod reversible;

pub use config::{EmailCanonicalization, EmailDomainHandling, PseudonymConfig};
pub use error::{PseudonymError, TokenProblem};
