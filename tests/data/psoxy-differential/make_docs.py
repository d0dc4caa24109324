#!/usr/bin/env python3
"""Renders email-grammar.md from email-grammar.template.md, the harness pattern dumps and the vectors."""
import json
import re
import subprocess

vec = json.load(open("email-vectors.json"))
var = json.load(open("email-vectors-variants.json"))
by_input = {v["input"]: v for v in vec}

CASES = [
    ("quoted local part: quotes dropped, `+` cut", '"a+b"@acme.com'),
    ("quoted local part: quotes dropped, case folded", '"A.B"@acme.com'),
    ("quoted local part kept with quotes", '"a b"@acme.com'),
    ("`+` cut inside quotes leaves a dangling quote", '"a+b c"@acme.com'),
    ("quotes dropped because `a (x)` re-parses as local part + comment", '"a (x)"@acme.com'),
    ("same mailbox written without quotes: comment stripped", "a (x)@acme.com"),
    ("leading space kept in canonical", '" a"@acme.com'),
    ("CRLF kept in canonical", '"a\r\n "@acme.com'),
    ("escaped quote not unescaped", '"a\\"b"@acme.com'),
    ("empty quoted local part is valid", '""@acme.com'),
    ("bare domain literal: email, domain null -> NPE", "a@[1.2.3.4]"),
    ("angle-addr domain literal: works, brackets kept", "<A@[AbC]>"),
    ("dotted quad without brackets is a dot-atom domain", "a@1.2.3.4"),
    ("single-label domain", "alice@localhost"),
    ("underscore in domain", "alice@ac_me.com"),
    ("1-letter TLD", "alice@acme.c"),
    ("27-letter TLD", "x@" + "a" * 30 + "." + "b" * 27),
    ("trailing dot in domain", "a@b.com."),
    ("FWS/CRLF and comment around @", "\r\n C@ (x) 19.AcC"),
    ("space before @", "alice @acme.com"),
    ("bare LF is not FWS", "alice\n@acme.com"),
    ("leading space", " alice@acme.com"),
    ("trailing tab", "alice@acme.com\t"),
    ("nested comment (RFC-valid) rejected", "alice@acme.com (a (nested) c)"),
    ("display name with unquoted dot rejected", "A. Person <alice@acme.com>"),
    ("display name with comma, unquoted", "Smith, Alice <alice@acme.com>"),
    ("display name directly before <", "Alice<alice@acme.com>"),
    ("non-ASCII display name (newest qtext)", '"Jos\u00e9" <jose@acme.com>'),
    ("non-ASCII unquoted display name", "Jos\u00e9 <jose@acme.com>"),
    ("C1 control U+0085 in quoted display name", '"x\u0085y" <a@acme.com>'),
    ("ASCII control in quoted display name (newest qtext rejects)", '"ctl\u0001" <c@acme.com>'),
    ("lone surrogate in quoted display name", '"\ud800" <a@acme.com>'),
    ("group syntax", "g: a@b.com;"),
    ("address list", "alice@acme.com, bob@acme.com"),
    ("non-ASCII local part", "jos\u00e9@acme.com"),
    ("dotted I (Java lowercases to two chars if it ever got there)", "\u0130@acme.com"),
    ("domain case kept in token, folded in hash", "Alice+Tag@Acme.Com"),
    ("NBSP only: not blank, hashed", "\u00a0"),
    ("EM SPACE only: blank -> null", "\u2003"),
    ("empty", ""),
]


def cell(s):
    if s is None:
        return "null"
    return "`" + json.dumps(s, ensure_ascii=True)[1:-1].replace("|", "\\|").replace("`", "\\`") + "`"


rows = ["| what | input (JSON-escaped) | email | canonical | token |", "|---|---|---|---|---|"]
for what, inp in CASES:
    v = by_input.get(inp)
    if v is None:
        raise SystemExit("missing case in vectors: " + json.dumps(inp))
    tok = v["token"]
    if v.get("error"):
        tok = "null (" + v["error"].split(";")[0] + ")"
        rows.append(f"| {what} | {cell(inp)} | {str(v['email']).lower()} | {cell(v['canonical'])} | {tok} |")
    else:
        rows.append(f"| {what} | {cell(inp)} | {str(v['email']).lower()} | {cell(v['canonical'])} | {cell(tok)} |")

pat = open("runs/patterns-latest-default.txt").read()
blocks = []
for m in re.finditer(r"### (.+)\n(.+)\n", pat):
    blocks.append("#### " + m.group(1) + "\n\n```\n" + m.group(2) + "\n```\n")

atomic = subprocess.run(["sh", "-c", "cat runs/atomic-check.txt 2>/dev/null"], capture_output=True, text=True).stdout
ndiff = sum(int(x) for x in re.findall(r"differing=(\d+)", atomic)) if atomic else "?"

t = open("email-grammar.template.md").read()
t = t.replace("{{PATTERNS}}", "\n".join(blocks))
t = t.replace("{{CASES}}", "\n".join(rows))
t = t.replace("{{N}}", str(len(vec)))
t = t.replace("{{NVAR}}", str(len(var)))
t = t.replace("{{NNODL}}", str(sum(1 for e in var if "no_domain_literals" in e)))
t = t.replace("{{NOLDQ}}", str(sum(1 for e in var if "pre_0_5_11_qtext" in e)))
t = t.replace("{{NNPE}}", str(sum(1 for v in vec if v.get("error"))))
t = t.replace("{{ATOMIC}}", str(ndiff))
open("email-grammar.md", "w").write(t)
print("wrote email-grammar.md")
