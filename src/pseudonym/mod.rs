//! Psoxy v0.4 pseudonyms (rules contract §7).
//!
//! (Skeleton: the implementation lands in its own commit.)
