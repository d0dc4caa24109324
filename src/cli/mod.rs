//! Command-line front end: one file per subcommand.
//!
//! (Skeleton: the implementation lands in its own commit.)
