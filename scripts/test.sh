#!/usr/bin/env bash
# The one command that runs every check of the project (the README's test command;
# .ci/run calls it). Installs what it needs itself and cleans up after itself.
set -euo pipefail
cd "$(dirname "$0")/.."

target_dir="${CARGO_TARGET_DIR:-target}"
# Each step header also says how much disk the build uses so far: CI machines have
# little of it, and a full disk shows up as a compiler crash, not as a clear error.
step() {
  local used=""
  [[ -d "$target_dir" ]] && used=$(du -sh "$target_dir" 2>/dev/null | cut -f1)
  printf '\n==> %s   [target: %s, disk free: %s]\n' "$*" "${used:-0}" \
    "$(df -h --output=avail . 2>/dev/null | tail -1 | tr -d ' ')"
}

# A clean clone gains nothing from incremental compilation, which roughly doubles the
# size of the debug build. Developers keep it (their target dir is warm).
if [[ "${CI:-}" == "true" ]]; then
  export CARGO_INCREMENTAL=0
fi

step "toolchain"
rustup show active-toolchain
cargo --version

step "format (cargo fmt --check)"
cargo fmt --all -- --check

step "one dependency build serves tests and binaries (scripts/check-feature-unification.sh)"
scripts/check-feature-unification.sh

step "lints (clippy, warnings are errors)"
cargo clippy --all-targets --locked -- -D warnings

step "module graph has no cycle (scripts/check-module-graph.py)"
python3 scripts/check-module-graph.py

step "start-up measurement hooks build (--features bench-hooks; never in release zips)"
cargo clippy --locked --features bench-hooks --lib --bins -- -D warnings

step "pure core builds alone (cargo check --no-default-features --lib; the fuzz crate needs it)"
cargo check --locked --no-default-features --lib

step "unit, integration and property tests (SSM tests against moto on loopback)"
scripts/with-moto.sh cargo test --locked --all-targets

step "doc tests"
cargo test --locked --doc

step "shipped rules are valid and their golden examples pass"
cargo run --quiet --locked -- rules check rules/confluence.yaml
cargo run --quiet --locked -- rules test --examples example-api-responses/examples.yaml

step "shipped rules lint clean (rules lint; the report is in docs/privacy.md)"
lint_report=$(cargo run --quiet --locked -- rules lint rules/confluence.yaml) || {
  printf '%s\n' "$lint_report"
  exit 1
}

step "opt-in rules variant keeping group names lints clean (rules/confluence-group-names.yaml)"
cargo run --quiet --locked -- rules lint rules/confluence-group-names.yaml >/dev/null

step "privacy report in headless Chromium (scripts/check-report.sh)"
scripts/check-report.sh

step "Lambda end to end (cargo lambda watch; runs when CI=true)"
scripts/e2e-cargo-lambda.sh

step "operator walkthrough: the marked blocks of docs/operations.md and docs/migrating-from-psoxy.md on loopback (cargo lambda watch when CI=true)"
scripts/operator-walkthrough.sh

# Short versions of the load scripts (full runs and their figures: docs/performance.md).
# Debug profile: the build above serves them, and they check behaviour, not speed.
step "request path against its floor, short (scripts/bench-proxy.sh --quick)"
scripts/bench-proxy.sh --quick --profile debug --sizes 2k,60k

step "instructions per request against the floor, short (scripts/bench-instructions.sh)"
scripts/bench-instructions.sh --profile debug --sizes 2k --requests 100 --warmup 20

step "soak, one minute (scripts/soak.sh --minutes 1)"
scripts/soak.sh --minutes 1 --profile debug

step "export at tenant scale, kill and resume only (scripts/export-scale.sh)"
scripts/export-scale.sh --items 3000 --rate 300 --skip-full --profile debug

# Every debug-profile step is done. The release zip and the fuzz build are separate
# builds of their own; on CI the debug build's disk is given back first.
if [[ "${CI:-}" == "true" ]]; then
  step "free the debug build's disk before the release and fuzz builds (CI only)"
  rm -rf "$target_dir/debug"
fi

step "infrastructure: .tf parse, module security, checkov; Lambda zip + glibc check (zip when CI=true)"
scripts/check-infra.sh
if [[ "${CI:-}" == "true" || "${PSEUDOPROXY_PACKAGE:-}" == "1" ]]; then
  time scripts/package-lambda.sh
else
  echo "skipped (set CI=true or PSEUDOPROXY_PACKAGE=1)"
fi

step "fuzzing, a short run of every target (scripts/fuzz.sh)"
scripts/fuzz.sh "${FUZZ_SECONDS:-30}"

step "all checks passed"
