//! Command-line front end: argument parsing and exit codes; one file per subcommand.
//!
//! Exit codes (architecture guide): 0 ok, 1 checks failed (test mismatch, blocked URL),
//! 2 usage or I/O, 3 invalid rules; `export` stopped early: 4 (wait budget), 130 (SIGINT),
//! 143 (SIGTERM). Errors print as one readable chain on stderr.

mod auth;
mod call;
mod demo;
mod examples_manifest;
mod export;
mod json_diff;
mod pseudonym_args;
mod report;
mod rules_cmd;
mod rules_diff;
mod rules_file;
mod rules_lint;
mod sanitize_cmd;
mod serve;
mod sigv4;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

pub use pseudonym_args::PseudonymArgs;

/// pseudoproxy — a privacy-sanitizing data-export proxy (Psoxy-compatible).
#[derive(Debug, Parser)]
#[command(name = "pseudoproxy", version, about)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Sanitize one response body with a rules file, as the proxy would.
    Sanitize(sanitize_cmd::SanitizeArgs),
    /// Check, test and inspect rules files.
    #[command(subcommand)]
    Rules(RulesCommand),
    /// Run the proxy as a local HTTP server (`--demo`: offline, with example data).
    Serve(serve::ServeArgs),
    /// Atlassian consent: obtain and store a new OAuth token family (CLIENT_ID, CLIENT_SECRET,
    /// REFRESH_TOKEN, TOKEN_FAMILY).
    Auth(auth::AuthArgs),
    /// One signed (function URL) or bearer (local serve) request; prints status, X-Psoxy-* and body.
    Call(call::CallArgs),
    /// Page through endpoints via the proxy into NDJSON files; resumable, with progress.
    Export(export::ExportArgs),
}

#[derive(Debug, Subcommand)]
pub enum RulesCommand {
    /// Validate rules files; report every problem with file:line:column (exit 3 if any).
    Check {
        /// Rules files (YAML).
        #[arg(required = true)]
        files: Vec<PathBuf>,
    },
    /// Run the golden examples of a manifest; print a JSON diff per mismatch (exit 1 if any).
    Test {
        /// The examples manifest (default: the project's example-api-responses/examples.yaml).
        #[arg(long)]
        examples: Option<PathBuf>,
    },
    /// Classify every field of every endpoint and flag likely leaks (exit 1 on findings).
    Lint(rules_lint::LintArgs),
    /// Show the privacy effect of changing a rules file (exit 1 if it exposes more).
    Diff(rules_diff::DiffArgs),
    /// Write one self-contained HTML page of what leaves: per endpoint, per golden example,
    /// and with `--against` the effect of a change.
    Report(report::ReportArgs),
}

/// Outcome classes that map to exit codes.
#[derive(Debug, thiserror::Error)]
pub enum CliError {
    /// Checks ran and failed (the details were already printed).
    #[error("{0}")]
    ChecksFailed(String),
    /// Usage or I/O problem.
    #[error("{0}")]
    Usage(String),
    /// A rules file is invalid (the diagnostics were already printed).
    #[error("{0}")]
    InvalidRules(String),
    /// A run stopped before it finished (`export`: a signal, the wait budget); `code` says
    /// why (docs/caller-tools.md) and a re-run resumes.
    #[error("{message}")]
    Stopped { code: u8, message: String },
}

impl CliError {
    fn exit_code(&self) -> u8 {
        match self {
            CliError::ChecksFailed(_) => 1,
            CliError::Usage(_) => 2,
            CliError::InvalidRules(_) => 3,
            CliError::Stopped { code, .. } => *code,
        }
    }
}

/// Parse `std::env::args` and run the chosen subcommand.
pub fn run() -> ExitCode {
    let cli = Cli::parse();
    match dispatch(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("{err}");
            ExitCode::from(err.exit_code())
        }
    }
}

fn dispatch(cli: Cli) -> Result<(), CliError> {
    match cli.command {
        Command::Sanitize(args) => sanitize_cmd::run(args),
        Command::Rules(RulesCommand::Check { files }) => rules_cmd::check(&files),
        Command::Rules(RulesCommand::Test { examples }) => rules_cmd::test(examples),
        Command::Rules(RulesCommand::Lint(args)) => rules_lint::run(args),
        Command::Rules(RulesCommand::Diff(args)) => rules_diff::run(args),
        Command::Rules(RulesCommand::Report(args)) => report::run(args),
        Command::Serve(args) => serve::run(args),
        Command::Auth(args) => auth::run(args),
        Command::Call(args) => call::run(args),
        Command::Export(args) => export::run(args),
    }
}

#[cfg(test)]
mod vocabulary_tests {
    //! One name for one thing across commands (issue 18): every spelling below parses to
    //! the same field, so docs and muscle memory carry from one command to the next.

    use clap::Parser;

    use super::{Cli, Command};

    fn parse(args: &[&str]) -> Command {
        let mut all = vec!["pseudoproxy"];
        all.extend_from_slice(args);
        Cli::try_parse_from(all)
            .unwrap_or_else(|e| panic!("{args:?}: {e}"))
            .command
    }

    #[test]
    fn the_same_flag_names_the_same_thing_in_every_command() {
        for spelling in [
            ["--store", "--prefix", "--token", "--api-base"],
            ["--secrets", "--prefix", "--auth-token", "--upstream"],
        ] {
            let [store, prefix, token, upstream] = spelling;
            let Command::Serve(serve) = parse(&[
                "serve", store, "ssm", prefix, "P_", token, "t", upstream, "http://u",
            ]) else {
                panic!("not serve");
            };
            assert_eq!(serve.secrets.as_deref(), Some("ssm"));
            assert_eq!(serve.prefix.as_deref(), Some("P_"));
            assert_eq!(serve.auth_token.as_deref(), Some("t"));
            assert_eq!(serve.upstream.as_deref(), Some("http://u"));
        }
        for token in ["--token", "--auth-token"] {
            let Command::Call(call) = parse(&["call", token, "t", "http://127.0.0.1:8080/"]) else {
                panic!("not call");
            };
            assert_eq!(call.token.as_deref(), Some("t"));
        }
        for store in ["--store", "--secrets"] {
            let Command::Auth(auth) = parse(&["auth", store, "ssm", "--prefix", "P_"]) else {
                panic!("not auth");
            };
            assert_eq!(auth.store, "ssm");
        }
    }
}
