//! `pseudoproxy sanitize`: gate a URL and sanitize one body with a rules file.

use std::io::Read;
use std::path::PathBuf;

use clap::Args;

use super::rules_file::{blocked_for_author, load_or_report, split_url};
use super::{CliError, PseudonymArgs};
use crate::sanitize;

#[derive(Debug, Args)]
pub struct SanitizeArgs {
    /// Rules file (YAML).
    #[arg(long)]
    rules: PathBuf,
    /// The request URL the body answers: PATH?QUERY, e.g. /ex/confluence/ID/wiki/api/v2/spaces?limit=25
    #[arg(long)]
    url: String,
    /// HTTP method of the request.
    #[arg(long, default_value = "GET")]
    method: String,
    #[command(flatten)]
    secrets: PseudonymArgs,
    /// Response body file; `-` or absent reads stdin.
    input: Option<PathBuf>,
}

pub(super) fn run(args: SanitizeArgs) -> Result<(), CliError> {
    let rules = load_or_report(&args.rules)?;
    let pseudonymizer = args.secrets.pseudonymizer()?;
    let (path, query) = split_url(&args.url);
    let matched = rules
        .gate(&args.method, path, query)
        .map_err(|blocked| CliError::ChecksFailed(blocked_for_author(&blocked)))?;
    let body = read_input(args.input.as_ref())?;
    let sanitized = sanitize::sanitize(&rules, matched.endpoint, &pseudonymizer, &body)
        .map_err(|e| CliError::ChecksFailed(format!("SANITIZATION_FAILED: {e}")))?;
    println!("{}", sanitized.body);
    Ok(())
}

fn read_input(input: Option<&PathBuf>) -> Result<String, CliError> {
    match input {
        Some(path) if path.as_os_str() != "-" => std::fs::read_to_string(path)
            .map_err(|e| CliError::Usage(format!("cannot read {}: {e}", path.display()))),
        _ => {
            let mut body = String::new();
            std::io::stdin()
                .read_to_string(&mut body)
                .map_err(|e| CliError::Usage(format!("cannot read stdin: {e}")))?;
            Ok(body)
        }
    }
}
