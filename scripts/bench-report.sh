#!/usr/bin/env bash
# Prints the medians of the last `cargo bench --bench sanitize` run and the sanitize/floor
# ratio of every body, read from criterion's estimates (docs/performance.md).
#
#   scripts/bench-report.sh              # plain table
#   scripts/bench-report.sh --markdown   # the same as a Markdown table, for the docs
#
# Reads $CARGO_TARGET_DIR/criterion (default: target/criterion). Needs python3.
set -euo pipefail
cd "$(dirname "$0")/.."

criterion_dir="${CARGO_TARGET_DIR:-target}/criterion"
if [[ ! -d "$criterion_dir" ]]; then
    echo "no criterion results in $criterion_dir: run 'cargo bench --bench sanitize' first" >&2
    exit 2
fi

python3 - "$criterion_dir" "${1:-}" <<'PY'
import json, pathlib, sys

root, markdown = pathlib.Path(sys.argv[1]), sys.argv[2] == "--markdown"
rows = {}
for group in ("content_search", "content_search_bodies", "examples"):
    for estimates in sorted((root / group).glob("*/*/new/estimates.json")):
        meta_file = estimates.parent / "benchmark.json"
        if not meta_file.exists():  # a run still in progress
            continue
        meta = json.loads(meta_file.read_text())
        median = json.loads(estimates.read_text())["median"]["point_estimate"]
        key = (group, meta["value_str"])
        rows.setdefault(key, {"bytes": meta.get("throughput", {}).get("Bytes", 0)})
        rows[key][meta["function_id"]] = median

def human(ns):
    for unit, scale in (("s", 1e9), ("ms", 1e6), ("µs", 1e3)):
        if ns >= scale:
            return f"{ns / scale:.3g} {unit}"
    return f"{ns:.3g} ns"

def order(key):
    group, body = key
    return (group != "content_search", int(body) if body.isdigit() else 0, body)

header = ["group", "body", "bytes", "floor", "sanitize", "ratio", "sanitize MB/s", "ns/byte"]
table = []
worst = 0.0
for key in sorted(rows, key=order):
    row = rows[key]
    if "floor" not in row or "sanitize" not in row:
        continue
    ratio = row["sanitize"] / row["floor"]
    if key[0] == "content_search":
        worst = max(worst, ratio)
    size = row["bytes"]
    mbps = size / row["sanitize"] * 1e3 if row["sanitize"] else 0
    per_byte = row["sanitize"] / size if size else 0
    table.append([key[0], key[1], str(size), human(row["floor"]), human(row["sanitize"]),
                  f"{ratio:.2f}", f"{mbps:.0f}", f"{per_byte:.1f}"])

if not table:
    sys.exit("no floor/sanitize pairs found: run 'cargo bench --bench sanitize' first")
if markdown:
    print("| " + " | ".join(header) + " |")
    print("|" + "---|" * len(header))
    for line in table:
        print("| " + " | ".join(line) + " |")
else:
    widths = [max(len(r[i]) for r in table + [header]) for i in range(len(header))]
    for line in [header] + table:
        print("  ".join(cell.rjust(w) if i > 1 else cell.ljust(w) for i, (cell, w) in enumerate(zip(line, widths))))
print()
print(f"worst content-search sanitize/floor ratio: {worst:.2f} (target <= 2.0)")
PY
