//! Helpers shared by the integration tests: run the CLI, locate project files.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

/// The project root (where Cargo.toml is).
pub(crate) fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// A file under `tests/data/`.
pub(crate) fn data(name: &str) -> PathBuf {
    root().join("tests").join("data").join(name)
}

/// Run the built `pseudoproxy` binary with `args`, `env` and `stdin`, from `cwd`.
pub(crate) fn run_cli(args: &[&str], env: &[(&str, &str)], stdin: &str, cwd: &Path) -> Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_pseudoproxy"));
    command
        .args(args)
        .current_dir(cwd)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    for var in [
        "PSOXY_SALT",
        "PSOXY_ENCRYPTION_KEY",
        "EMAIL_CANONICALIZATION",
        "EMAIL_DOMAIN_HANDLING",
        // A shell left over from `cargo lambda` would turn every CLI run into a Lambda one.
        "AWS_LAMBDA_RUNTIME_API",
        "AWS_LAMBDA_FUNCTION_NAME",
        "AWS_LAMBDA_FUNCTION_VERSION",
        "AWS_LAMBDA_FUNCTION_MEMORY_SIZE",
    ] {
        command.env_remove(var);
    }
    command.envs(env.iter().copied());
    let mut child = command.spawn().expect("spawn pseudoproxy");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(stdin.as_bytes())
        .expect("write stdin");
    child.wait_with_output().expect("wait for pseudoproxy")
}

pub(crate) fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

pub(crate) fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// Copy a directory tree (used to mutate a copy of the project's examples).
pub(crate) fn copy_tree(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("mkdir");
    for entry in std::fs::read_dir(from).expect("read dir") {
        let entry = entry.expect("entry");
        let target = to.join(entry.file_name());
        if entry.file_type().expect("type").is_dir() {
            copy_tree(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), target).expect("copy");
        }
    }
}
