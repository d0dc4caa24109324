#!/usr/bin/env python3
"""Lambda cost model (docs/performance.md, "Cost per million requests"; issue 17).

Turns the CPU time per request that scripts/bench-proxy.sh measured (user + system time
of the proxy process divided by the requests it answered) into what AWS Lambda bills:
the duration at 128, 256, 512 and 1024 MB (and any other --memory) on x86_64 and arm64,
GB-seconds per million requests, dollars per million requests, and the latency the
proxy itself adds at each memory size. Prints Markdown.

    scripts/cost-model.py                                  # reads target/bench-proxy/results.json
    scripts/cost-model.py --results FILE --concurrency 1
    scripts/cost-model.py --cpu-ms 2k=0.4 --cpu-ms 60k=3.1 --cpu-ms 6m=180   # by hand
    scripts/cost-model.py --upstream-ms 300               # add Confluence's answer time

Model (stated, not measured on Lambda):
- Lambda gives a function CPU in proportion to its memory: one full vCPU at 1,769 MB
  (AWS Lambda documentation, "Memory and computing power"). A request's handling is one
  thread, so below 1,769 MB its CPU time stretches by 1769 / memory; above, by nothing.
- Lambda bills the whole invocation, rounded up to 1 ms: the proxy's own time plus the
  time spent waiting for the source (--upstream-ms, 0 by default: the proxy's own cost).
- The CPU time measured on the benchmark machine is taken as the CPU time on Lambda's
  x86_64; arm64 (Graviton) is assumed equally fast per request unless --arm64-cpu-factor
  says otherwise. Neither is measured on Lambda itself.
"""

import argparse
import json
import statistics
import math
import os
import sys

# AWS Lambda list prices, us-east-1, first pricing tier (x86_64: first 6 billion
# GB-seconds a month; arm64: first 7.5 billion), per GB-second of duration, plus the
# per-request charge, as published on the AWS Lambda pricing page. Recorded 2026-12-03
# from the figures known to the author; this machine has no network, so they were NOT
# re-checked online that day: check https://aws.amazon.com/lambda/pricing/ before quoting.
PRICE_DATE = "2026-12-03 (not re-checked online)"
PRICE_PER_GB_SECOND = {"x86_64": 0.0000166667, "arm64": 0.0000133334}
PRICE_PER_MILLION_REQUESTS = 0.20
FULL_VCPU_MB = 1769

# Psoxy (Worklytics, Java) as published: the aws-psoxy-rest Terraform module's default
# `memory_size_mb` is 512 (Worklytics/psoxy, infra/modules/aws-psoxy-rest/variables.tf).
# No published per-request CPU time, duration or latency of Psoxy was found.
PSOXY_DEFAULT_MEMORY_MB = 512


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--results", default=os.path.join(
        os.environ.get("CARGO_TARGET_DIR", "target"), "bench-proxy", "results.json"))
    parser.add_argument("--proxy", default="pseudoproxy", choices=["pseudoproxy", "floor"])
    parser.add_argument("--concurrency", type=int, default=1,
                        help="which benchmark cells to take the CPU time from (default 1)")
    parser.add_argument("--cpu-ms", action="append", default=[], metavar="SIZE=MS",
                        help="CPU ms per request by hand (repeatable); replaces --results")
    parser.add_argument("--memory", type=int, action="append", default=[],
                        help="memory sizes in MB (default 128 256 512 1024)")
    parser.add_argument("--upstream-ms", type=float, default=0.0,
                        help="time waiting for the source per request, billed too (default 0)")
    parser.add_argument("--arm64-cpu-factor", type=float, default=1.0,
                        help="arm64 CPU time / x86_64 CPU time (default 1.0: assumed equal)")
    return parser.parse_args()


def cpu_figures(args):
    """{size label: (cpu ms per request, where it came from)}."""
    if args.cpu_ms:
        figures = {}
        for item in args.cpu_ms:
            label, _, value = item.partition("=")
            figures[label] = (float(value), "given")
        return figures
    try:
        with open(args.results) as handle:
            results = json.load(handle)
    except OSError as error:
        sys.exit(f"cost-model: cannot read {args.results} ({error.strerror}): run "
                 "scripts/bench-proxy.sh first, or give --cpu-ms SIZE=MS")
    source = (f"{results['meta'].get('started', '?')}, commit "
              f"{results['meta'].get('commit', '?')}, c={args.concurrency}")
    per_size = {}
    for cell in results.get("cells", []):
        if cell.get("proxy") != args.proxy or cell.get("concurrency") != args.concurrency:
            continue
        if cell.get("cpu_ms_per_req") is None:
            continue
        per_size.setdefault(cell["size"], []).append(float(cell["cpu_ms_per_req"]))
    # With bench-proxy.sh --rounds a cell was measured several times: take the median.
    figures = {size: (statistics.median(values), source) for size, values in per_size.items()}
    if not figures:
        sys.exit(f"cost-model: no {args.proxy} cells at concurrency {args.concurrency} in "
                 f"{args.results}")
    return figures


def duration_ms(cpu_ms, memory_mb, upstream_ms):
    share = min(1.0, memory_mb / FULL_VCPU_MB)
    return cpu_ms / share + upstream_ms


def main():
    args = parse_args()
    memories = args.memory or [128, 256, 512, 1024]
    figures = cpu_figures(args)
    lines = [
        f"Lambda cost per million requests ({args.proxy}); prices: x86_64 "
        f"${PRICE_PER_GB_SECOND['x86_64']:.10f}/GB-s, arm64 "
        f"${PRICE_PER_GB_SECOND['arm64']:.10f}/GB-s, "
        f"${PRICE_PER_MILLION_REQUESTS:.2f} per million requests (us-east-1 list prices, "
        f"{PRICE_DATE}); CPU share = memory / {FULL_VCPU_MB} MB, capped at one vCPU; "
        f"upstream wait {args.upstream_ms:g} ms; arm64 CPU factor {args.arm64_cpu_factor:g}.",
        "",
        "| page | CPU ms/req | memory MB | arch | vCPU share | latency ms "
        "| billed ms | GB-s per 1M | $ per 1M (duration) | $ per 1M (total) |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    cheapest = {}
    for label, (cpu_ms, _) in figures.items():
        for memory in memories:
            for arch in ("x86_64", "arm64"):
                cpu = cpu_ms * (args.arm64_cpu_factor if arch == "arm64" else 1.0)
                latency = duration_ms(cpu, memory, args.upstream_ms)
                billed = max(1, math.ceil(latency))
                gb_seconds = memory / 1024 * billed / 1000 * 1e6
                duration_cost = gb_seconds * PRICE_PER_GB_SECOND[arch]
                total = duration_cost + PRICE_PER_MILLION_REQUESTS
                share = min(1.0, memory / FULL_VCPU_MB)
                lines.append(
                    f"| {label} | {cpu_ms:.3f} | {memory} | {arch} | {share:.3f} | {latency:.1f} "
                    f"| {billed} | {gb_seconds:,.0f} | {duration_cost:.4f} | {total:.4f} |")
                best = cheapest.get(label)
                if best is None or total < best[0]:
                    cheapest[label] = (total, memory, arch, latency)
    lines.append("")
    for label, (total, memory, arch, latency) in cheapest.items():
        lines.append(f"- {label}: cheapest of the above is {memory} MB {arch} "
                     f"(${total:.4f} per million requests, {latency:.1f} ms of proxy time).")
    lines.append(f"- Psoxy (Java) for comparison: its Terraform default is "
                 f"{PSOXY_DEFAULT_MEMORY_MB} MB; no published per-request figures found.")
    sources = sorted({source for _, source in figures.values()})
    lines.append(f"- CPU figures from: {'; '.join(sources)}.")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
