#!/usr/bin/env bash
# Fails when a dependency is built with different features for `cargo test` than for
# `cargo build`/`cargo run` (then every such dependency and everything above it is built
# twice: CI time and disk). The fix is named in Cargo.toml: add the feature to the
# unification block of [dependencies].
set -euo pipefail
cd "$(dirname "$0")/.."
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
tree() { cargo tree --locked --prefix none -f '{p} [{f}]' "$@"; }
tree -e normal,build >"$work/build.txt"
tree -e normal,build,dev >"$work/test.txt"
python3 - "$work/build.txt" "$work/test.txt" <<'PY'
import re, sys
def features(path):
    found = {}
    for line in open(path):
        m = re.match(r"(\S+ v\S+)(?: \(.*?\))? \[(.*)\]", line.strip())
        if m:
            found.setdefault(m[1], set()).update(f for f in m[2].split(",") if f)
    return found
build, test = features(sys.argv[1]), features(sys.argv[2])
if not build or not test:
    sys.exit("cargo tree printed nothing")
diff = {k: sorted(test[k] - build[k]) for k in build if k in test and test[k] != build[k]}
for package, extra in sorted(diff.items()):
    print(f"{package}: `cargo test` adds {', '.join(extra)}")
sys.exit(1 if diff else 0)
PY
echo "feature sets of cargo build and cargo test agree"
