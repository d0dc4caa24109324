//! The error type of the node deserializer, and how found values are described.
//!
//! An error is either already *reported* (recorded with its location in the pass
//! context) or *pending*: raised by a serde visitor that knows what went wrong but not
//! where; the innermost node deserializer on the way out locates and reports it.

use std::fmt;

use serde::de::{self, Expected, Unexpected};

#[derive(Debug)]
pub(crate) enum DeError {
    /// Already recorded in the pass context, with its location.
    Reported,
    /// Raised by a visitor; the innermost `NodeDe` on the way out locates and records it.
    Pending {
        message: String,
        missing_field: Option<&'static str>,
    },
}

impl fmt::Display for DeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DeError::Reported => f.write_str("problem already reported"),
            DeError::Pending { message, .. } => f.write_str(message),
        }
    }
}

impl std::error::Error for DeError {}

impl de::Error for DeError {
    fn custom<T: fmt::Display>(msg: T) -> Self {
        DeError::Pending {
            message: msg.to_string(),
            missing_field: None,
        }
    }

    fn invalid_type(unexp: Unexpected<'_>, exp: &dyn Expected) -> Self {
        Self::custom(format_args!("expected {exp}, found {}", describe(&unexp)))
    }

    fn invalid_value(unexp: Unexpected<'_>, exp: &dyn Expected) -> Self {
        Self::custom(format_args!(
            "invalid value {}: expected {exp}",
            describe(&unexp)
        ))
    }

    fn missing_field(field: &'static str) -> Self {
        DeError::Pending {
            message: format!("missing required key `{field}`"),
            missing_field: Some(field),
        }
    }
}

/// YAML words for what was found (serde's defaults speak Rust: "unit value", "map").
pub(crate) fn describe(unexp: &Unexpected<'_>) -> String {
    match unexp {
        Unexpected::Unit | Unexpected::Option => "null".to_owned(),
        Unexpected::Map => "a mapping".to_owned(),
        Unexpected::Seq => "a sequence".to_owned(),
        Unexpected::Str(s) => format!("the string {s:?}"),
        Unexpected::Bool(b) => format!("`{b}`"),
        Unexpected::Unsigned(n) => format!("the number {n}"),
        Unexpected::Signed(n) => format!("the number {n}"),
        Unexpected::Float(n) => format!("the number {n}"),
        other => other.to_string(),
    }
}
