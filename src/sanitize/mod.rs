//! Applies a compiled endpoint to a response body (rules contract §3–§6).
//!
//! (Skeleton: the implementation lands in its own commit.)

pub mod writer;
