#!/usr/bin/env bash
# The privacy report (`pseudoproxy rules report`, docs/privacy.md) as a reader sees it:
# renders the report for the shipped rules and their golden examples, a copy whose example
# holds a planted <script> and <img onerror>, and a change that exposes one more field;
# opens each page in headless Chromium (Debian's package, installed here when missing) and
# checks it: no console error and no request but the page itself, every endpoint section
# present, the planted markup shown as text and never run, the change at the top.
# Screenshots (PNG) go to $REPORT_OUT_DIR (default target/report/).
#
# Builds nothing but through `cargo run` (the lead's test pipeline has the build warm).
# The browser is driven by scripts/check-report.py over the DevTools pipe: Python's
# standard library only, no port, nothing from PyPI or npm.
set -euo pipefail
cd "$(dirname "$0")/.."

out_dir="${REPORT_OUT_DIR:-target/report}"
mkdir -p "$out_dir"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

chromium="${CHROMIUM:-$(command -v chromium || true)}"
if [[ -z "$chromium" ]]; then
  if [[ $(id -u) -ne 0 ]] || ! command -v apt-get >/dev/null; then
    echo "check-report: chromium is missing; install Debian's package: apt-get install chromium" >&2
    exit 1
  fi
  echo "installing Debian's chromium (and a font) ..."
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq chromium fonts-dejavu-core >"$work/apt.log" 2>&1 || {
    cat "$work/apt.log" >&2
    exit 1
  }
  chromium=$(command -v chromium)
fi
"$chromium" --version

pp() { cargo run --quiet --locked -- "$@"; }

echo "==> the report for the shipped rules and their golden examples"
pp rules report rules/confluence.yaml --examples example-api-responses/examples.yaml \
  --out "$out_dir/report.html"

# The endpoints the page must show, as the linter lists them (exit 1 would only mean
# findings; the JSON is complete either way).
status=0
pp rules lint rules/confluence.yaml --no-examples --format json >"$work/lint.json" || status=$?
if ((status > 1)); then
  echo "check-report: rules lint failed (exit $status)" >&2
  exit 1
fi

echo "==> a copy of the examples with markup planted in one response"
cp -r example-api-responses "$work/examples"
python3 scripts/check-report.py plant "$work/examples/original/spaces-page1.json"
pp rules report rules/confluence.yaml --examples "$work/examples/examples.yaml" \
  --out "$out_dir/report-planted.html"

echo "==> a change that exposes one more field"
python3 scripts/check-report.py expose rules/confluence.yaml "$work/exposing.yaml"
pp rules report "$work/exposing.yaml" --against rules/confluence.yaml \
  --lint-file rules/confluence.lint.yaml --out "$out_dir/report-change.html"

echo "==> in headless Chromium"
python3 scripts/check-report.py check --chromium "$chromium" --endpoints "$work/lint.json" \
  --report "$out_dir/report.html" --planted "$out_dir/report-planted.html" \
  --change "$out_dir/report-change.html" --shots "$out_dir"
echo "report checks passed"
