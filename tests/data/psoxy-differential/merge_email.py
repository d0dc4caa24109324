#!/usr/bin/env python3
"""Combines the harness runs into the deliverables (deterministic: input order, no timings).
  email-vectors.json           latest Psoxy parser, default criteria (the reference)
  email-vectors-variants.json  inputs whose verdict/token differ under older Psoxy grammars
  email-timings.txt            slowest inputs (informative, not deterministic)"""
import json
import sys

d = sys.argv[1]
main = json.load(open(f"{d}/run-latest-default.json"))
nodl = json.load(open(f"{d}/run-latest-no-domain-literals.json"))
oldq = json.load(open(f"{d}/run-pre0511-default.json"))
assert [r["input"] for r in main] == [r["input"] for r in nodl] == [r["input"] for r in oldq]

KEYS = ["input", "email", "canonical", "domain", "token", "local_part", "personal_name", "blank", "error"]


def clean(r):
    o = {k: r.get(k) for k in KEYS}
    if o["error"] is None:
        del o["error"]
    return o


vectors = [clean(r) for r in main]
with open("email-vectors.json", "w") as f:
    f.write("[\n" + ",\n".join(json.dumps(v, ensure_ascii=True, separators=(", ", ": ")) for v in vectors) + "\n]\n")

variants = []
for a, b, c in zip(main, nodl, oldq):
    entry = {"input": a["input"], "latest": {k: a.get(k) for k in ("email", "token")}}
    differs = False
    for name, r in (("no_domain_literals", b), ("pre_0_5_11_qtext", c)):
        if (r["email"], r.get("token"), r.get("error")) != (a["email"], a.get("token"), a.get("error")):
            entry[name] = {k: r.get(k) for k in ("email", "token", "error") if r.get(k) is not None or k != "error"}
            differs = True
    if differs:
        variants.append(entry)
with open("email-vectors-variants.json", "w") as f:
    f.write("[\n" + ",\n".join(json.dumps(v, ensure_ascii=True) for v in variants) + "\n]\n")

slow = sorted(main, key=lambda r: -r["micros"])[:15]
with open("email-timings.txt", "w") as f:
    f.write("slowest inputs under the latest default grammar (microseconds, guard match + parse)\n")
    for r in slow:
        f.write(f"{r['micros']:>9}  {json.dumps(r['input'], ensure_ascii=True)[:150]}\n")

n = len(vectors)
print(f"{n} vectors; email={sum(v['email'] for v in vectors)}; errors={sum(1 for v in vectors if 'error' in v)}; "
      f"variants differing={len(variants)}")
