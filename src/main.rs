//! Wiring only: the CLI today; the Lambda front door joins when the proxy lands.

fn main() -> std::process::ExitCode {
    pseudoproxy::cli::run()
}
