#!/usr/bin/env bash
# Builds the Lambda artifact: a zip holding one executable named `bootstrap` for the
# `provided.al2023` runtime, cross-linked with cargo-lambda + zig (both from PyPI, installed
# into .venv-infra/lambda/ when absent) against glibc 2.34, and fails unless the binary's highest
# required GLIBC_ symbol version is <= 2.34 (Amazon Linux 2023's glibc).
#
# Usage: scripts/package-lambda.sh [--arm64] [--out DIR]
#        scripts/package-lambda.sh --check-glibc BINARY   (only the glibc check; for tests)
#   --arm64    build for Graviton (needs `rustup target add aarch64-unknown-linux-gnu`)
#   --out DIR  where the zip goes (default dist/lambda-<arch>/)
# Prints the zip's path on the last line. Honours CARGO_TARGET_DIR.
#
# The profile settings below ARE the shipped artifact's definition: CI builds exactly this,
# so the glibc check runs on what operators deploy (see docs/operations.md, "Packaging").
set -euo pipefail
cd "$(dirname "$0")/.."

GLIBC_MAX="2.34"

# Highest GLIBC_ symbol version BINARY needs; fails when it is newer than GLIBC_MAX.
check_glibc() {
  local highest
  highest=$(objdump -T "$1" | grep -o 'GLIBC_[0-9][0-9.]*' | sed 's/GLIBC_//' | sort -uV | tail -1)
  [[ -n "$highest" ]] || { echo "objdump found no GLIBC_ symbol versions in $1" >&2; return 1; }
  if [[ "$(printf '%s\n%s\n' "$highest" "$GLIBC_MAX" | sort -V | tail -1)" != "$GLIBC_MAX" ]]; then
    echo "$1 needs GLIBC_$highest, newer than Amazon Linux 2023's $GLIBC_MAX" >&2
    return 1
  fi
  echo "highest GLIBC_$highest <= $GLIBC_MAX"
}

arch="x86_64"
out=""
while [[ $# -gt 0 ]]; do
  case "$1" in
    --check-glibc) check_glibc "$2"; exit ;;
    --arm64) arch="arm64"; shift ;;
    --out) out="$2"; shift 2 ;;
    *) echo "unknown argument: $1" >&2; exit 2 ;;
  esac
done
case "$arch" in
  x86_64) triple="x86_64-unknown-linux-gnu" ;;
  arm64) triple="aarch64-unknown-linux-gnu" ;;
esac
out="${out:-dist/lambda-$arch}"

venv=.venv-infra/lambda
if [[ ! -x "$venv/bin/cargo-lambda" || ! -x "$venv/bin/python-zig" ]]; then
  python3 -m venv "$venv"
  "$venv/bin/pip" install -q --disable-pip-version-check cargo-lambda ziglang
fi
# cargo-zigbuild finds zig as `python3 -m ziglang` from the venv's python.
export PATH="$PWD/$venv/bin:$PATH"

if [[ "$arch" == "arm64" ]] && ! rustup target list --installed | grep -qx "$triple"; then
  echo "the $triple Rust target is not installed: rustup target add $triple" >&2
  exit 1
fi

# Shipped-artifact profile: full optimisation, cross-crate thin LTO (smaller, faster
# binary for cold starts at a moderate build cost), symbols stripped (a smaller zip to
# download on cold start; panics still print messages), default codegen units. Unwinding
# stays on: a panicking request must not abort the process while it holds the refresh
# lock (the token manager releases it on unwind). cargo-lambda's own release defaults
# (panic=abort, codegen-units=1, target-cpu=haswell) are therefore disabled. Thin LTO is
# also Cargo.toml's `[profile.release]`, so the benchmarks' release builds measure the
# code that ships; the variables below restate the whole profile here.
export CARGO_PROFILE_RELEASE_OPT_LEVEL=3
export CARGO_PROFILE_RELEASE_LTO=thin
export CARGO_PROFILE_RELEASE_STRIP=symbols
export CARGO_PROFILE_RELEASE_DEBUG=0
export CARGO_PROFILE_RELEASE_PANIC=unwind

rm -rf "$out"
mkdir -p "$out"
cargo lambda build --release --disable-optimizations --locked --bin pseudoproxy \
  --target "$triple.$GLIBC_MAX" --output-format zip --lambda-dir "$out" >&2

zip_path="$out/pseudoproxy/bootstrap.zip"
[[ -f "$zip_path" ]] || { echo "no zip at $zip_path" >&2; exit 1; }

check=$(mktemp -d)
trap 'rm -rf "$check"' EXIT
python3 - "$zip_path" "$check" <<'PY'
import stat, sys, zipfile
with zipfile.ZipFile(sys.argv[1]) as z:
    names = z.namelist()
    if names != ["bootstrap"]:
        sys.exit(f"the zip must hold exactly 'bootstrap', found {names}")
    mode = z.getinfo("bootstrap").external_attr >> 16
    if not mode & stat.S_IXUSR:
        sys.exit("bootstrap in the zip is not executable")
    z.extract("bootstrap", sys.argv[2])
PY

glibc=$(check_glibc "$check/bootstrap")
file_arch=$(objdump -f "$check/bootstrap" | sed -n 's/^architecture: \([^,]*\).*/\1/p')
echo "bootstrap: $arch ($file_arch), $glibc, zip $(stat -c %s "$zip_path") bytes" >&2
echo "$zip_path"
