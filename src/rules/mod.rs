//! Rules files: load, validate (every problem located), match requests.
//!
//! PURE. `from_str` parses the YAML into a raw serde mirror, then compiles it into a
//! [`RuleSet`]; `load` is the only function that touches the file system.
//!
//! (Skeleton: loading and gating land in their own commits.)

pub mod model;

pub use model::*;
