#!/usr/bin/env python3
"""Loopback stand-ins and helpers for scripts/operator-walkthrough.sh (issue 18).

The walkthrough runs the shell blocks of docs/operations.md and docs/migrating-from-psoxy.md
that are marked `<!-- walkthrough: NAME -->`, against stand-ins for what an operator
talks to. This file holds those stand-ins and the checks; the shell script wires them.

Subcommands (each documented at its function):

  extract DOC NAME...      print a marked block (fails when it is missing or duplicated)
  markers DOC              list the marker names a document carries
  terraform output ...     `terraform output [-raw|-json] NAME`, evaluated from the .tf files
  apply ROOT [VAR=HCL]...  record a deployment; print what `terraform apply` would create
  deploy PLAN ...          create the plan's SSM parameters and roles in moto, configure
                           the function
  serve ...                the Atlassian authorization server and the Lambda stand-in
  drive-consent ...        run the consent block, playing the operator and the browser
  run-block ...            run a block as an operator's shell would, output kept
  aws ...                  a minimal AWS CLI v2 on botocore (when no v2 is installed)
  jq FILTER                a minimal `jq -r .a.b` (when jq is missing)
  psoxy-layout, ssm-snapshot, check-*   the walkthrough's fixtures and checks

Terraform is evaluated, not imitated: `terraform output` reads the root module's
outputs.tf, the module block's arguments and the child module's locals and outputs with a
small evaluator of the HCL expression language (python-hcl2 parses, this file evaluates),
so a wrong expression in outputs.tf shows up here as the wrong command. What only AWS
knows after an apply (ARNs, the function URL, the account, random values) comes from the
walkthrough's state file.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import queue
import random
import re
import select
import signal
import socket
import string
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
ACCOUNT = "123456789012"  # moto's default account


def die(message: str) -> None:
    print(f"operator-walkthrough: {message}", file=sys.stderr)
    sys.exit(1)


# ---------------------------------------------------------------------------------------
# Marked blocks in Markdown
# ---------------------------------------------------------------------------------------

MARKER = re.compile(r"^\s*<!--\s*walkthrough:\s*([a-z0-9-]+)\s*-->\s*$")
FENCE = re.compile(r"^(\s*)```(\w*)\s*$")


def marked_blocks(doc: Path) -> dict[str, list[str]]:
    """Marker name -> list of block bodies (a marker must precede a ```sh fence)."""
    lines = doc.read_text().splitlines()
    blocks: dict[str, list[str]] = {}
    i = 0
    while i < len(lines):
        m = MARKER.match(lines[i])
        if not m:
            i += 1
            continue
        name = m.group(1)
        j = i + 1
        while j < len(lines) and not lines[j].strip():
            j += 1
        fence = FENCE.match(lines[j]) if j < len(lines) else None
        if not fence or fence.group(2) not in ("sh", "bash"):
            die(f"{doc}: marker '{name}' (line {i + 1}) is not followed by a ```sh block")
        indent = fence.group(1)
        body = []
        k = j + 1
        while k < len(lines) and not re.match(r"^\s*```\s*$", lines[k]):
            line = lines[k]
            body.append(line[len(indent):] if line.startswith(indent) else line.lstrip())
            k += 1
        if k == len(lines):
            die(f"{doc}: block '{name}' (line {j + 1}) has no closing fence")
        blocks.setdefault(name, []).append("\n".join(body) + "\n")
        i = k + 1
    return blocks


def cmd_extract(args: list[str]) -> None:
    doc, names = Path(args[0]), args[1:]
    blocks = marked_blocks(doc)
    out = []
    for name in names:
        found = blocks.get(name, [])
        if len(found) != 1:
            die(f"{doc}: expected exactly one block marked '<!-- walkthrough: {name} -->', found {len(found)}")
        out.append(found[0])
    sys.stdout.write("".join(out))


def cmd_markers(args: list[str]) -> None:
    for name in marked_blocks(Path(args[0])):
        print(name)


# ---------------------------------------------------------------------------------------
# A small evaluator of HCL expressions (the subset the module uses)
# ---------------------------------------------------------------------------------------


class EvalError(Exception):
    pass


class Unknown(EvalError):
    """A value only known after apply that the state does not provide."""


class Parser:
    """Recursive descent over one expression text; returns a tree of tuples."""

    def __init__(self, text: str):
        self.s = text
        self.i = 0

    def error(self, what: str):
        raise EvalError(f"{what} at {self.i} in {self.s!r}")

    def ws(self):
        while self.i < len(self.s):
            c = self.s[self.i]
            if c in " \t\r\n":
                self.i += 1
            elif self.s.startswith("#", self.i) or self.s.startswith("//", self.i):
                while self.i < len(self.s) and self.s[self.i] != "\n":
                    self.i += 1
            elif self.s.startswith("/*", self.i):
                end = self.s.find("*/", self.i)
                self.i = len(self.s) if end < 0 else end + 2
            else:
                break

    def peek(self, token: str) -> bool:
        self.ws()
        return self.s.startswith(token, self.i)

    def eat(self, token: str) -> bool:
        if self.peek(token):
            self.i += len(token)
            return True
        return False

    def expect(self, token: str):
        if not self.eat(token):
            self.error(f"expected {token!r}")

    def keyword(self, word: str) -> bool:
        self.ws()
        if self.s.startswith(word, self.i):
            end = self.i + len(word)
            if end == len(self.s) or not (self.s[end].isalnum() or self.s[end] in "_-"):
                self.i = end
                return True
        return False

    def ident(self) -> str:
        self.ws()
        m = re.compile(r"[A-Za-z_][A-Za-z0-9_-]*").match(self.s, self.i)
        if not m:
            self.error("expected a name")
        self.i = m.end()
        return m.group(0)

    def parse(self):
        tree = self.expr()
        self.ws()
        if self.i != len(self.s):
            self.error("trailing text")
        return tree

    def expr(self):
        cond = self.binary(0)
        if self.eat("?"):
            yes = self.expr()
            self.expect(":")
            no = self.expr()
            return ("cond", cond, yes, no)
        return cond

    LEVELS = [["||"], ["&&"], ["==", "!="], ["<=", ">=", "<", ">"], ["+", "-"], ["*", "/", "%"]]

    def binary(self, level: int):
        if level == len(self.LEVELS):
            return self.unary()
        left = self.binary(level + 1)
        while True:
            self.ws()
            # Longer operators are listed first ('<=' before '<'); '=>' matches none.
            op = next((o for o in self.LEVELS[level] if self.s.startswith(o, self.i)), None)
            if op is None:
                return left
            self.i += len(op)
            right = self.binary(level + 1)
            left = ("bin", op, left, right)

    def unary(self):
        if self.eat("!"):
            return ("not", self.unary())
        if self.peek("-") and not self.peek("->"):
            self.i += 1
            return ("neg", self.unary())
        return self.postfix(self.primary())

    def postfix(self, node):
        while True:
            if self.peek("[*]"):
                self.i += 3
                node = ("splat", node)
            elif self.peek(".*"):
                self.i += 2
                node = ("splat", node)
            elif self.peek("."):
                self.i += 1
                self.ws()
                if self.i < len(self.s) and self.s[self.i].isdigit():
                    m = re.compile(r"\d+").match(self.s, self.i)
                    self.i = m.end()
                    node = ("index", node, ("lit", int(m.group(0))))
                else:
                    node = ("attr", node, self.ident())
            elif self.peek("["):
                self.i += 1
                index = self.expr()
                self.expect("]")
                node = ("index", node, index)
            else:
                return node

    def primary(self):
        self.ws()
        if self.i >= len(self.s):
            self.error("unexpected end")
        c = self.s[self.i]
        if c == '"':
            return self.template()
        if c == "(":
            self.i += 1
            inner = self.expr()
            self.expect(")")
            return inner
        if c == "[":
            self.i += 1
            if self.keyword("for"):
                return self.for_expr("]")
            items = []
            while not self.eat("]"):
                items.append(self.expr())
                self.eat(",")
            return ("list", items)
        if c == "{":
            self.i += 1
            if self.keyword("for"):
                return self.for_expr("}")
            items = []
            while not self.eat("}"):
                self.ws()
                if self.s[self.i] == "(":
                    key = self.primary()
                elif self.s[self.i] == '"':
                    key = self.template()
                else:
                    key = ("lit", self.ident())
                if not (self.eat("=") or self.eat(":")):
                    self.error("expected = in an object")
                items.append((key, self.expr()))
                self.eat(",")
            return ("object", items)
        m = re.compile(r"\d+(\.\d+)?([eE][+-]?\d+)?").match(self.s, self.i)
        if m:
            self.i = m.end()
            text = m.group(0)
            return ("lit", float(text) if any(ch in text for ch in ".eE") else int(text))
        name = self.ident()
        if name in ("true", "false"):
            return ("lit", name == "true")
        if name == "null":
            return ("lit", None)
        if self.peek("("):
            self.i += 1
            args = []
            while not self.eat(")"):
                args.append(self.expr())
                if self.eat("..."):
                    self.error("argument expansion is not supported")
                self.eat(",")
            return ("call", name, args)
        return ("name", name)

    def for_expr(self, close: str):
        first = self.ident()
        second = self.ident() if self.eat(",") else None
        if not self.keyword("in"):
            self.error("expected 'in'")
        coll = self.expr()
        self.expect(":")
        if close == "}":
            key = self.expr()
            self.expect("=>")
            value = self.expr()
            if self.eat("..."):
                self.error("grouping for-expressions are not supported")
        else:
            key, value = None, self.expr()
        cond = self.expr() if self.keyword("if") else None
        self.expect(close)
        return ("for", close, first, second, coll, key, value, cond)

    def template(self):
        self.expect('"')
        parts: list = []
        text = []
        while True:
            if self.i >= len(self.s):
                self.error("unterminated string")
            c = self.s[self.i]
            if c == '"':
                self.i += 1
                break
            if c == "\\":
                esc = self.s[self.i + 1]
                self.i += 2
                if esc == "u":
                    text.append(chr(int(self.s[self.i:self.i + 4], 16)))
                    self.i += 4
                else:
                    text.append({"n": "\n", "t": "\t", "r": "\r", '"': '"', "\\": "\\"}[esc])
                continue
            if self.s.startswith("$${", self.i) or self.s.startswith("%%{", self.i):
                text.append(self.s[self.i + 1:self.i + 3])
                self.i += 3
                continue
            if self.s.startswith("%{", self.i):
                self.error("template directives are not supported")
            if self.s.startswith("${", self.i):
                self.i += 2
                self.eat("~")
                if text:
                    parts.append(("lit", "".join(text)))
                    text = []
                parts.append(self.expr())
                self.eat("~")
                self.expect("}")
                continue
            text.append(c)
            self.i += 1
        if text or not parts:
            parts.append(("lit", "".join(text)))
        if len(parts) == 1 and not (parts[0][0] == "lit" and isinstance(parts[0][1], str)):
            return ("template1", parts[0])
        return ("template", parts)


def parse_hcl_value(raw):
    """python-hcl2's rendering of an attribute -> an expression tree."""
    if isinstance(raw, str):
        if raw.startswith("${") and raw.endswith("}"):
            # The whole value is one expression ("${...}" is python-hcl2's wrapper).
            try:
                return Parser(raw[2:-1]).parse()
            except EvalError:
                pass
        if raw.startswith('"'):
            return Parser(raw).parse()
        return Parser(raw).parse()
    if isinstance(raw, list):
        return ("list", [parse_hcl_value(v) for v in raw])
    if isinstance(raw, dict):
        return ("object", [(("lit", k), parse_hcl_value(v)) for k, v in raw.items() if not k.startswith("__")])
    return ("lit", raw)


def unquote(key: str) -> str:
    return key[1:-1] if key.startswith('"') and key.endswith('"') else key


class Namespace:
    """A lazily evaluated name space (var, local, a resource type, module outputs…)."""

    def __init__(self, label: str, getter):
        self.label = label
        self.getter = getter

    def get(self, key):
        return self.getter(key)


def to_str(value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return str(int(value)) if float(value).is_integer() else repr(value)
    if isinstance(value, str):
        return value
    if value is None:
        raise EvalError("null in a string template")
    raise EvalError(f"cannot use {type(value).__name__} as a string")


def tf_jsonencode(value) -> str:
    text = json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    for ch, esc in (("<", "\\u003c"), (">", "\\u003e"), ("&", "\\u0026"), ("\u2028", "\\u2028"), ("\u2029", "\\u2029")):
        text = text.replace(ch, esc)
    return text


class Evaluator:
    def __init__(self, module: "Module", scope: dict):
        self.module = module
        self.scope = scope

    def with_scope(self, **names) -> "Evaluator":
        scope = dict(self.scope)
        scope.update(names)
        return Evaluator(self.module, scope)

    def ev(self, node):
        kind = node[0]
        if kind == "lit":
            return node[1]
        if kind == "template1":
            return self.ev(node[1])
        if kind == "template":
            return "".join(to_str(self.ev(p)) for p in node[1])
        if kind == "list":
            return [self.ev(n) for n in node[1]]
        if kind == "object":
            return {to_str(self.ev(k)): self.ev(v) for k, v in node[1]}
        if kind == "name":
            name = node[1]
            if name in self.scope:
                return self.scope[name]
            return self.module.root_name(name)
        if kind == "attr":
            base = self.ev(node[1])
            return get_attr(base, node[2])
        if kind == "index":
            base = self.ev(node[1])
            key = self.ev(node[2])
            if isinstance(base, Namespace):
                return base.get(key)
            if isinstance(base, list):
                if not isinstance(key, (int, float)) or not 0 <= int(key) < len(base):
                    raise EvalError(f"index {key!r} out of range")
                return base[int(key)]
            if isinstance(base, dict):
                if key not in base:
                    raise EvalError(f"no key {key!r}")
                return base[key]
            raise EvalError(f"cannot index {type(base).__name__}")
        if kind == "splat":
            base = self.ev(node[1])
            return base if isinstance(base, list) else ([] if base is None else [base])
        if kind == "cond":
            return self.ev(node[2]) if truthy(self.ev(node[1])) else self.ev(node[3])
        if kind == "not":
            return not truthy(self.ev(node[1]))
        if kind == "neg":
            return -self.ev(node[1])
        if kind == "bin":
            return self.binary(node[1], node[2], node[3])
        if kind == "call":
            return self.call(node[1], node[2])
        if kind == "for":
            return self.for_expr(node)
        raise EvalError(f"unknown node {kind}")

    def binary(self, op, left, right):
        if op == "&&":
            return truthy(self.ev(left)) and truthy(self.ev(right))
        if op == "||":
            return truthy(self.ev(left)) or truthy(self.ev(right))
        a, b = self.ev(left), self.ev(right)
        if op == "==":
            return a == b
        if op == "!=":
            return a != b
        ops = {"<": lambda: a < b, ">": lambda: a > b, "<=": lambda: a <= b, ">=": lambda: a >= b,
               "+": lambda: a + b, "-": lambda: a - b, "*": lambda: a * b, "/": lambda: a / b,
               "%": lambda: a % b}
        return ops[op]()

    def for_expr(self, node):
        _, close, first, second, coll, key, value, cond = node
        items = self.ev(coll)
        if isinstance(items, dict):
            pairs = sorted(items.items())
        elif isinstance(items, list):
            pairs = list(enumerate(items))
        else:
            raise EvalError("for over a non-collection")
        out_list, out_obj = [], {}
        for k, v in pairs:
            names = {first: v} if second is None else {first: k, second: v}
            inner = self.with_scope(**names)
            if cond is not None and not truthy(inner.ev(cond)):
                continue
            if close == "]":
                out_list.append(inner.ev(value))
            else:
                out_obj[to_str(inner.ev(key))] = inner.ev(value)
        return out_list if close == "]" else out_obj

    def call(self, name, args):
        if name == "try":
            for arg in args:
                try:
                    return self.ev(arg)
                except Unknown:
                    raise
                except EvalError:
                    continue
            raise EvalError("try: no argument evaluated")
        if name == "can":
            try:
                self.ev(args[0])
                return True
            except Unknown:
                raise
            except EvalError:
                return False
        v = [self.ev(a) for a in args]
        fns = {
            "coalesce": lambda: next(x for x in v if x is not None and x != ""),
            "upper": lambda: v[0].upper(),
            "lower": lambda: v[0].lower(),
            "replace": lambda: v[0].replace(v[1], v[2]),
            "join": lambda: v[0].join(to_str(x) for x in v[1]),
            "concat": lambda: [x for lst in v for x in lst],
            "distinct": lambda: list(dict.fromkeys(v[0])),
            "toset": lambda: sorted(dict.fromkeys(v[0])),
            "tolist": lambda: list(v[0]),
            "merge": lambda: {k: val for d in v for k, val in d.items()},
            "tostring": lambda: to_str(v[0]) if v[0] is not None else None,
            "tonumber": lambda: float(v[0]) if "." in str(v[0]) else int(v[0]),
            "strcontains": lambda: v[1] in v[0],
            "startswith": lambda: v[0].startswith(v[1]),
            "endswith": lambda: v[0].endswith(v[1]),
            "trimprefix": lambda: v[0][len(v[1]):] if v[0].startswith(v[1]) else v[0],
            "trimsuffix": lambda: v[0][: -len(v[1])] if v[1] and v[0].endswith(v[1]) else v[0],
            "length": lambda: len(v[0]),
            "keys": lambda: sorted(v[0]),
            "values": lambda: [v[0][k] for k in sorted(v[0])],
            "lookup": lambda: v[0].get(v[1], v[2]) if len(v) > 2 else v[0][v[1]],
            "contains": lambda: v[1] in v[0],
            "compact": lambda: [x for x in v[0] if x not in (None, "")],
            "flatten": lambda: [y for x in v[0] for y in (x if isinstance(x, list) else [x])],
            "jsonencode": lambda: tf_jsonencode(v[0]),
            "jsondecode": lambda: json.loads(v[0]),
            "file": lambda: (self.module.dir / v[0]).read_text(),
            "sha1": lambda: hashlib.sha1(v[0].encode()).hexdigest(),
            "sha256": lambda: hashlib.sha256(v[0].encode()).hexdigest(),
            "base64encode": lambda: base64.b64encode(v[0].encode()).decode(),
            "format": lambda: re.sub(r"%[sdv]", "{}", v[0]).format(*[to_str(x) for x in v[1:]]),
            "min": lambda: min(v),
            "max": lambda: max(v),
        }
        if name not in fns:
            raise EvalError(f"function {name}() is not supported by the walkthrough's evaluator")
        try:
            return fns[name]()
        except (StopIteration, KeyError, IndexError, TypeError, AttributeError, ValueError) as e:
            raise EvalError(f"{name}(): {e!r}") from None


def truthy(value) -> bool:
    if not isinstance(value, bool):
        raise EvalError(f"condition is {value!r}, not a bool")
    return value


def get_attr(base, name):
    if isinstance(base, Namespace):
        return base.get(name)
    if isinstance(base, dict):
        if name not in base:
            raise EvalError(f"no attribute {name!r}")
        return base[name]
    raise EvalError(f"cannot read .{name} of {type(base).__name__}")


class Module:
    """One Terraform module directory, evaluated lazily.

    `inputs`: variable name -> thunk (the caller's argument); `state`: the apply results
    (account, region, function URL, random values) shared by all modules."""

    def __init__(self, directory: Path, inputs: dict, state: dict, address: str = ""):
        import hcl2  # python-hcl2, from .venv-infra/hcl

        self.dir = directory
        self.inputs = inputs
        self.state = state
        self.address = address
        self.variables, self.locals, self.outputs = {}, {}, {}
        self.resources: dict[str, dict] = {}
        self.data: dict[str, dict] = {}
        self.modules: dict[str, dict] = {}
        self.providers: list = []
        for tf in sorted(directory.glob("*.tf")):
            with open(tf) as f:
                doc = hcl2.load(f)
            for block in doc.get("variable", []):
                for k, b in block.items():
                    self.variables[unquote(k)] = b
            for block in doc.get("locals", []):
                for k, v in block.items():
                    if not k.startswith("__"):
                        self.locals[k] = v
            for block in doc.get("output", []):
                for k, b in block.items():
                    self.outputs[unquote(k)] = b
            for block in doc.get("resource", []):
                for rtype, named in block.items():
                    for rname, b in named.items():
                        self.resources.setdefault(unquote(rtype), {})[unquote(rname)] = b
            for block in doc.get("data", []):
                for rtype, named in block.items():
                    for rname, b in named.items():
                        self.data.setdefault(unquote(rtype), {})[unquote(rname)] = b
            for block in doc.get("module", []):
                for k, b in block.items():
                    self.modules[unquote(k)] = b
            self.providers.extend(doc.get("provider", []))
        self.cache: dict = {}
        self.child_modules: dict[str, Module] = {}

    def evaluator(self, **scope) -> Evaluator:
        return Evaluator(self, scope)

    def eval_raw(self, raw, **scope):
        return self.evaluator(**scope).ev(parse_hcl_value(raw))

    def memo(self, key, compute):
        if key not in self.cache:
            self.cache[key] = ("busy",)
            self.cache[key] = ("ok", compute())
        elif self.cache[key] == ("busy",):
            raise EvalError(f"cycle at {key}")
        return self.cache[key][1]

    # Names an expression may start with.
    def root_name(self, name):
        if name == "var":
            return Namespace("var", self.var)
        if name == "local":
            return Namespace("local", self.local)
        if name == "path":
            return Namespace("path", lambda k: {"module": str(self.dir), "root": str(self.dir), "cwd": os.getcwd()}[k])
        if name == "module":
            return Namespace("module", self.module_outputs)
        if name == "data":
            return Namespace("data", lambda t: Namespace(t, lambda n: self.data_source(t, n)))
        if name in self.resources:
            return Namespace(name, lambda n: self.resource(name, n))
        if name == "terraform":
            return Namespace("terraform", lambda k: {"workspace": "default"}[k])
        raise EvalError(f"unknown name {name!r} in {self.dir}")

    def var(self, name):
        def compute():
            if name in self.inputs:
                return self.inputs[name]()
            if name not in self.variables:
                raise EvalError(f"no variable {name!r} in {self.dir}")
            block = self.variables[name]
            if "default" not in block:
                raise EvalError(f"variable {name!r} has no value (set it in the tfvars)")
            return self.eval_raw(block["default"])

        return self.memo(("var", name), compute)

    def local(self, name):
        if name not in self.locals:
            raise EvalError(f"no local {name!r} in {self.dir}")
        return self.memo(("local", name), lambda: self.eval_raw(self.locals[name]))

    def output(self, name):
        if name not in self.outputs:
            raise EvalError(f"no output {name!r} in {self.dir}")
        return self.memo(("output", name), lambda: self.eval_raw(self.outputs[name]["value"]))

    def module_outputs(self, name):
        if name not in self.modules:
            raise EvalError(f"no module {name!r} in {self.dir}")
        if name not in self.child_modules:
            block = self.modules[name]
            source = self.dir / self.eval_raw(block["source"])
            inputs = {
                k: (lambda raw=raw: self.eval_raw(raw))
                for k, raw in block.items()
                if k not in ("source", "version", "providers", "count", "for_each", "depends_on") and not k.startswith("__")
            }
            self.child_modules[name] = Module(source.resolve(), inputs, self.state, f"{self.address}module.{name}.")
        child = self.child_modules[name]
        return Namespace(f"module.{name}", child.output)

    def region(self):
        for p in self.providers:
            for k, b in p.items():
                if unquote(k) == "aws" and "region" in b:
                    return self.eval_raw(b["region"])
        return self.state["region"]

    def data_source(self, rtype, name):
        values = {
            "aws_region": {"name": self.state["region"], "id": self.state["region"], "region": self.state["region"]},
            "aws_caller_identity": {"account_id": self.state["account_id"]},
            "aws_partition": {"partition": "aws", "dns_suffix": "amazonaws.com"},
        }
        if rtype not in values:
            raise Unknown(f"data.{rtype}.{name} is only known to AWS")
        return values[rtype]

    def resource(self, rtype, name):
        if name not in self.resources.get(rtype, {}):
            raise EvalError(f"no resource {rtype}.{name} in {self.dir}")
        block = self.resources[rtype][name]

        def instance(key, each=None, index=None):
            scope = {}
            if each is not None:
                scope["each"] = {"key": each[0], "value": each[1]}
            if index is not None:
                scope["count"] = {"index": index}
            return Namespace(f"{rtype}.{name}[{key}]", lambda attr: self.resource_attr(rtype, name, block, key, attr, scope))

        if "count" in block:
            n = int(self.eval_raw(block["count"]))
            return [instance(i, index=i) for i in range(n)]
        if "for_each" in block:
            coll = self.eval_raw(block["for_each"])
            items = coll.items() if isinstance(coll, dict) else [(k, k) for k in coll]
            return {k: instance(k, each=(k, v)) for k, v in items}
        return instance(None)

    def resource_attr(self, rtype, name, block, key, attr, scope):
        address = f"{self.address}{rtype}.{name}" + ("" if key is None else f"[{json.dumps(key)}]")
        computed = self.computed(rtype, name, block, key, attr, scope, address)
        if computed is not None:
            return computed
        if attr in block and not attr.startswith("__"):
            return self.eval_raw(block[attr], **scope)
        raise Unknown(f"{address}.{attr} is only known after apply")

    def computed(self, rtype, name, block, key, attr, scope, address):
        region, account = self.state["region"], self.state["account_id"]
        arg = lambda a: self.eval_raw(block[a], **scope)  # noqa: E731
        if rtype == "aws_iam_role" and attr == "arn":
            return f"arn:aws:iam::{account}:role/{arg('name')}"
        if rtype == "aws_lambda_function" and attr == "arn":
            return f"arn:aws:lambda:{region}:{account}:function:{arg('function_name')}"
        if rtype == "aws_lambda_function_url" and attr == "function_url":
            return self.state["function_url"]
        if rtype == "random_password" and attr == "result":
            randoms = self.state.setdefault("random", {})
            if address not in randoms:
                alphabet = string.ascii_letters + string.digits
                randoms[address] = "".join(random.SystemRandom().choice(alphabet) for _ in range(int(arg("length"))))
                self.state["_dirty"] = True
            return randoms[address]
        return None


def load_state(path: Path) -> dict:
    return json.loads(path.read_text()) if path.exists() else {}


def save_state(path: Path, state: dict) -> None:
    state.pop("_dirty", None)
    path.write_text(json.dumps(state, indent=1, sort_keys=True))


def root_module(root: Path, state: dict) -> Module:
    """The root module with the deployment's tfvars (state['tfvars'], expression texts)."""
    tfvars = state.get("tfvars", {})
    probe = Module(root, {}, state)
    inputs = {k: (lambda raw=raw: probe.eval_raw(raw)) for k, raw in tfvars.items()}
    module = Module(root, inputs, state)
    return module


def state_path() -> Path:
    path = os.environ.get("WALKTHROUGH_TF_STATE")
    if not path:
        die("WALKTHROUGH_TF_STATE is not set (the walkthrough's terraform stand-in needs its state)")
    return Path(path)


def cmd_terraform(args: list[str]) -> None:
    """`terraform output [-raw|-json] [NAME]` in the current directory (a root module)."""
    if not args or args[0] != "output":
        die(f"the walkthrough's terraform stand-in answers only `terraform output`, not `terraform {' '.join(args)}`")
    flags = [a for a in args[1:] if a.startswith("-")]
    names = [a for a in args[1:] if not a.startswith("-")]
    root = Path.cwd()
    states = load_state(state_path())
    state = states.get(str(root))
    if state is None:
        die(f"terraform output: no deployment was applied in {root} (state has: {', '.join(states) or 'nothing'})")
    module = root_module(root, state)
    try:
        if not names:
            values = {n: module.output(n) for n in module.outputs}
            print(json.dumps(values, indent=2) if "-json" in flags else "\n".join(f"{k} = {json.dumps(v)}" for k, v in values.items()))
            return
        if names[0] not in module.outputs:
            die(f"terraform output: the root module in {root} has no output {names[0]!r} (it has: {', '.join(sorted(module.outputs))})")
        value = module.output(names[0])
    except EvalError as e:
        die(f"terraform output {names[0] if names else ''}: {e}")
    if "-raw" in flags:
        if not isinstance(value, (str, int, float, bool)):
            die(f"terraform output -raw {names[0]}: unsupported value for raw output (a {type(value).__name__})")
        sys.stdout.write(to_str(value))
    elif "-json" in flags:
        print(json.dumps(value, indent=2))
    else:
        print(json.dumps(value, indent=2))
    if state.pop("_dirty", None):
        states[str(root)] = state
        save_state(state_path(), states)


def cmd_apply(args: list[str]) -> None:
    """apply ROOT [NAME=HCL]...: record a deployment of ROOT with its terraform.tfvars.example
    (what the operator copies) plus overrides, and print the plan as JSON: the SSM
    parameters and IAM roles the module creates, and the function's environment."""
    import hcl2

    root = Path(args[0]).resolve()
    overrides = dict(a.split("=", 1) for a in args[1:])
    states = load_state(state_path())
    state = states.get(str(root), {})
    with open(root / "terraform.tfvars.example") as f:
        example = {k: v for k, v in hcl2.load(f).items() if not k.startswith("__")}
    tfvars = {k: hcl_text(v) for k, v in example.items()}
    tfvars.update(overrides)
    state.update(tfvars=tfvars, account_id=ACCOUNT, region=os.environ.get("WALKTHROUGH_REGION", "us-east-1"),
                 function_url=os.environ["WALKTHROUGH_FUNCTION_URL"])
    module = root_module(root, state)
    state["region"] = module.region()
    child_name = next(iter(module.modules))
    module.module_outputs(child_name)
    child = module.child_modules[child_name]
    plan = {"root": str(root), "region": state["region"], "ssm_parameters": [], "roles": [],
            "function_name": child.var("function_name"), "environment": child.local("environment"),
            "outputs": sorted(module.outputs)}
    # Every SSM parameter instance the module's count/for_each expressions create, with its
    # evaluated name, type and value (random_password results come from the state).
    for rname in child.resources.get("aws_ssm_parameter", {}):
        instances = child.resource("aws_ssm_parameter", rname)
        if isinstance(instances, dict):
            instances = list(instances.values())
        elif not isinstance(instances, list):
            instances = [instances]
        for inst in instances:
            plan["ssm_parameters"].append({"resource": f"aws_ssm_parameter.{rname}", "name": inst.get("name"),
                                           "type": inst.get("type"), "value": inst.get("value"),
                                           "key_id": inst.get("key_id")})
    for rname in child.resources.get("aws_iam_role", {}):
        role = child.resource("aws_iam_role", rname)
        plan["roles"].append({"resource": f"aws_iam_role.{rname}", "name": role.get("name"), "arn": role.get("arn")})
    state.pop("_dirty", None)
    states[str(root)] = state
    save_state(state_path(), states)
    print(json.dumps(plan, indent=1))


def hcl_text(value) -> str:
    """A python-hcl2 value back to HCL expression text (for the state's tfvars)."""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return "null"
    if isinstance(value, (int, float)):
        return str(value)
    if isinstance(value, list):
        return "[" + ", ".join(hcl_text(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k} = {hcl_text(v)}" for k, v in value.items() if not k.startswith("__")) + "}"
    raise EvalError(f"tfvars value {value!r}")



# ---------------------------------------------------------------------------------------
# HTTP plumbing
# ---------------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def read_body(self) -> bytes:
        n = int(self.headers.get("content-length") or 0)
        return self.rfile.read(n) if n else b""

    def reply(self, status: int, body=b"", headers=None, content_type="application/json"):
        if isinstance(body, (dict, list)):
            body = json.dumps(body).encode()
        elif isinstance(body, str):
            body = body.encode()
        self.send_response(status)
        sent = {k.lower() for k in (headers or {})}
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        if "content-type" not in sent and body:
            self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        try:
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(body)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client went away (an instance that was recycled)

    def do_GET(self):
        self.route()

    def do_POST(self):
        self.route()

    def do_PUT(self):
        self.route()

    def do_DELETE(self):
        self.route()

    def do_HEAD(self):
        self.route()

    def do_PATCH(self):
        self.route()


def serve_in_thread(handler_class, port: int) -> ThreadingHTTPServer:
    server = ThreadingHTTPServer(("127.0.0.1", port), handler_class)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def http(method: str, url: str, body=None, headers=None, timeout=60):
    """(status, headers, body) without following redirects and without raising on 4xx/5xx."""
    data = json.dumps(body).encode() if isinstance(body, (dict, list)) else body
    req = urllib.request.Request(url, data=data, method=method, headers=headers or {})
    if isinstance(body, (dict, list)):
        req.add_header("Content-Type", "application/json")

    class NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args, **kwargs):
            return None

    opener = urllib.request.build_opener(NoRedirect)
    try:
        with opener.open(req, timeout=timeout) as resp:
            return resp.status, dict(resp.headers.items()), resp.read()
    except urllib.error.HTTPError as e:
        return e.code, dict(e.headers.items()), e.read()


# ---------------------------------------------------------------------------------------
# Atlassian: authorization server in front of the Confluence stand-in
# ---------------------------------------------------------------------------------------
#
# examples/confluence_standin owns the token family (rotating refresh tokens with the reuse
# leeway, expiring access tokens) and the API. What it lacks, this front adds: the consent
# screen (`/authorize` approves and redirects with a code), the authorization-code grant
# (the first grant of a new family), and client authentication with the app's current
# secrets, which the operator rotates in the developer console (POST /_walkthrough/config).
# Every token call is logged with a fingerprint of the secret it presented, which is how
# the walkthrough proves which secret the proxy sent.

ATL = {
    "upstream": None,             # the stand-in, http://127.0.0.1:PORT
    "upstream_client": None,      # (id, secret) the stand-in was started with
    "client_id": None,            # the app's client id
    "secrets": [],                # secrets the console currently accepts
    "family_token": None,         # the stand-in's current refresh token (first grant uses it)
    "codes": {},
    "log": [],
}
ATL_LOCK = threading.Lock()


def fingerprint(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()[:12]


class AtlassianHandler(Handler):
    def route(self):
        path, _, query = self.path.partition("?")
        if path == "/_walkthrough/config" and self.command == "POST":
            with ATL_LOCK:
                ATL.update(json.loads(self.read_body()))
            return self.reply(200, {"ok": True})
        if path == "/_walkthrough/log":
            with ATL_LOCK:
                return self.reply(200, ATL["log"])
        if path == "/_walkthrough/family-token":
            with ATL_LOCK:
                return self.reply(200, ATL["family_token"] or "", content_type="text/plain")
        if path == "/authorize" and self.command == "GET":
            return self.authorize(urllib.parse.parse_qs(query))
        if path == "/oauth/token" and self.command == "POST":
            return self.token(self.read_body())
        return self.forward()

    def authorize(self, q):
        one = lambda k: (q.get(k) or [""])[0]  # noqa: E731
        redirect = one("redirect_uri")
        problems = []
        if one("client_id") != ATL["client_id"]:
            problems.append("unknown client_id")
        if one("response_type") != "code":
            problems.append("response_type must be code")
        if "offline_access" not in one("scope").split():
            problems.append("scope lacks offline_access")
        if one("audience") != "api.atlassian.com":
            problems.append("audience must be api.atlassian.com")
        if not redirect.startswith("http://localhost:") or not one("state"):
            problems.append("redirect_uri/state")
        if problems:
            return self.reply(400, {"error": "invalid_request", "problems": problems})
        code = "code-" + uuid.uuid4().hex
        with ATL_LOCK:
            ATL["codes"][code] = redirect
        location = redirect + "?" + urllib.parse.urlencode({"code": code, "state": one("state")})
        return self.reply(302, b"", {"Location": location})

    def token(self, raw: bytes):
        try:
            req = json.loads(raw)
        except ValueError:
            return self.reply(400, {"error": "invalid_request"})
        grant, secret = req.get("grant_type"), str(req.get("client_secret", ""))
        entry = {"grant": grant, "secret": fingerprint(secret), "at": time.time()}
        with ATL_LOCK:
            ATL["log"].append(entry)
            authorized = req.get("client_id") == ATL["client_id"] and secret in ATL["secrets"]
            upstream_id, upstream_secret = ATL["upstream_client"]
            if not authorized:
                entry["status"] = 401
                return self.reply(401, {"error": "access_denied", "error_description": "Unauthorized"})
            if grant == "authorization_code":
                if ATL["codes"].pop(req.get("code"), None) != req.get("redirect_uri"):
                    entry["status"] = 403
                    return self.reply(403, {"error": "invalid_grant", "error_description": "bad code"})
                refresh = ATL["family_token"]
            elif grant == "refresh_token":
                refresh = req.get("refresh_token")
            else:
                entry["status"] = 400
                return self.reply(400, {"error": "unsupported_grant_type"})
        status, headers, body = http("POST", ATL["upstream"] + "/oauth/token", {
            "grant_type": "refresh_token", "client_id": upstream_id,
            "client_secret": upstream_secret, "refresh_token": refresh})
        entry["status"] = status
        if status == 200:
            with ATL_LOCK:
                ATL["family_token"] = json.loads(body)["refresh_token"]
        return self.reply(status, body)

    def forward(self):
        body = self.read_body() if self.command in ("POST", "PUT", "PATCH") else None
        headers = {k: v for k, v in self.headers.items() if k.lower() not in ("host", "content-length", "connection")}
        status, out_headers, out = http(self.command, ATL["upstream"] + self.path, body, headers)
        keep = {k: v for k, v in out_headers.items() if k.lower() not in ("content-length", "connection", "transfer-encoding", "date", "server")}
        return self.reply(status, out, keep)


# ---------------------------------------------------------------------------------------
# Lambda: the control plane the aws CLI calls, a function URL, and the functions
# ---------------------------------------------------------------------------------------
#
# A function runs as a real process in one of three ways:
#   binary: target/debug/pseudoproxy under this file's implementation of the Lambda
#           Runtime API (what `cargo lambda watch` also provides);
#   watch:  `cargo lambda watch` runs the project's binary (CI), invocations forwarded to
#           its invoke endpoint;
#   dummy:  Psoxy's function, which cannot run here: it answers a fixed health body.
# `update-function-configuration` recycles the function's instance (a new process), as
# Lambda does; reserved concurrency 0 throttles it.

LAMBDA = {"functions": {}, "url_function": None, "region": None, "service": "lambda", "moto": None,
          "binary": None, "workdir": None, "cargo_lambda": None}
LAMBDA_LOCK = threading.Lock()


class RuntimeApi:
    """The Lambda Runtime API for one instance (one process)."""

    def __init__(self):
        self.pending: queue.Queue = queue.Queue()
        self.results: dict = {}
        self.init_error = None
        api = self

        class RuntimeHandler(Handler):
            def route(self):
                path = self.path
                if path == "/2018-06-01/runtime/invocation/next":
                    item = api.pending.get()
                    if item is None:
                        return self.reply(500, {"error": "shutting down"})
                    req_id, event, deadline, arn = item
                    return self.reply(200, event, {
                        "Lambda-Runtime-Aws-Request-Id": req_id,
                        "Lambda-Runtime-Deadline-Ms": str(deadline),
                        "Lambda-Runtime-Invoked-Function-Arn": arn,
                        "Lambda-Runtime-Trace-Id": f"Root=1-{int(time.time()):08x}-{uuid.uuid4().hex[:24]}",
                    })
                m = re.match(r"^/2018-06-01/runtime/invocation/([^/]+)/(response|error)$", path)
                if m and self.command == "POST":
                    body = self.read_body()
                    slot = api.results.get(m.group(1))
                    if slot:
                        slot[1].append((m.group(2), body, self.headers.get("Lambda-Runtime-Function-Error-Type")))
                        slot[0].set()
                    return self.reply(202, {"status": "OK"})
                if path == "/2018-06-01/runtime/init/error":
                    api.init_error = self.read_body()
                    return self.reply(202, {"status": "OK"})
                return self.reply(404, {"error": "unknown runtime path"})

        self.port = free_port()
        self.server = serve_in_thread(RuntimeHandler, self.port)

    def close(self):
        self.server.shutdown()
        for _ in range(8):
            self.pending.put(None)


class Function:
    def __init__(self, name: str, kind: str, env: dict, timeout: int):
        self.name, self.kind, self.env, self.timeout = name, kind, env, timeout
        self.concurrency = None
        self.proc = None
        self.runtime = None
        self.instances = 0
        self.invocations = 0
        self.description = ""
        self.watch_port = None
        self.lock = threading.Lock()

    @property
    def arn(self):
        return f"arn:aws:lambda:{LAMBDA['region']}:{ACCOUNT}:function:{self.name}"

    def process_env(self) -> dict:
        env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_") and k != "WALKTHROUGH_TF_STATE"}
        env.update({
            # What Lambda sets for every function, and the execution role's credentials
            # (moto accepts any).
            "AWS_REGION": LAMBDA["region"], "AWS_DEFAULT_REGION": LAMBDA["region"],
            "AWS_ACCESS_KEY_ID": "execution-role", "AWS_SECRET_ACCESS_KEY": "execution-role",
            "AWS_SESSION_TOKEN": "execution-role-session",
            "AWS_ENDPOINT_URL": LAMBDA["moto"],
            "AWS_EC2_METADATA_DISABLED": "true",
            "AWS_LAMBDA_FUNCTION_NAME": self.name, "AWS_LAMBDA_FUNCTION_VERSION": "$LATEST",
            "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "512",
            "AWS_LAMBDA_LOG_GROUP_NAME": f"/aws/lambda/{self.name}",
            "AWS_LAMBDA_LOG_STREAM_NAME": f"walkthrough/{self.instances}",
            "AWS_LAMBDA_LOG_FORMAT": "JSON",
        })
        env.update(self.env)
        return env

    def log_path(self) -> Path:
        return Path(LAMBDA["workdir"]) / f"function-{self.name}.log"

    def start(self):
        self.instances += 1
        log = open(self.log_path(), "ab")
        log.write(f"\n--- instance {self.instances} of {self.name} ({self.kind})\n".encode())
        log.flush()
        env = self.process_env()
        if self.kind == "binary":
            self.runtime = RuntimeApi()
            env["AWS_LAMBDA_RUNTIME_API"] = f"127.0.0.1:{self.runtime.port}"
            self.proc = subprocess.Popen([LAMBDA["binary"]], env=env, stdout=log, stderr=subprocess.STDOUT,
                                         stdin=subprocess.DEVNULL, start_new_session=True)
        elif self.kind == "watch":
            self.watch_port = free_port()
            env_file = Path(LAMBDA["workdir"]) / f"function-{self.name}.env"
            env_file.write_text("".join(f"{k}='{v}'\n" for k, v in env.items()
                                        if k.startswith(("AWS_", "PSEUDOPROXY_")) or k in self.env))
            self.proc = subprocess.Popen(
                # --timeout: the deployment's Lambda timeout, which sets the invocation's
                # deadline (the token manager starts no refresh without time to finish it).
                [LAMBDA["cargo_lambda"], "lambda", "watch", "-P", str(self.watch_port), "--ignore-changes",
                 "--timeout", str(self.timeout), "--env-file", str(env_file)],
                cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                start_new_session=True)

    def stop(self):
        if self.proc and self.proc.poll() is None:
            try:
                os.killpg(self.proc.pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()
        self.proc = None
        if self.runtime:
            self.runtime.close()
            self.runtime = None

    def recycle(self):
        with self.lock:
            self.stop()
            self.start()

    def invoke(self, event: bytes):
        """-> (function_error or None, payload bytes)."""
        self.invocations += 1
        if self.kind == "dummy":
            return None, json.dumps({"statusCode": 200, "body": json.dumps({"dummy": self.name})}).encode()
        with self.lock:
            if self.proc is None or self.proc.poll() is not None:
                self.stop()
                self.start()  # a cold start, as Lambda does after an instance died
            proc = self.proc
        if self.kind == "watch":
            url = f"http://127.0.0.1:{self.watch_port}/2015-03-31/functions/pseudoproxy/invocations"
            deadline = time.time() + 900  # the first invocation compiles
            while True:
                try:
                    status, _, body = http("POST", url, event, {"Content-Type": "application/json"}, timeout=900)
                    break
                except (ConnectionError, urllib.error.URLError, OSError):
                    if time.time() > deadline or proc.poll() is not None:
                        return "Unhandled", json.dumps({"errorMessage": "cargo lambda watch did not answer"}).encode()
                    time.sleep(1)
            return (None if status == 200 else "Unhandled"), body
        req_id = str(uuid.uuid4())
        done, result = threading.Event(), []
        runtime = self.runtime
        runtime.results[req_id] = (done, result)
        runtime.pending.put((req_id, event, int((time.time() + self.timeout) * 1000), self.arn))
        limit = time.time() + self.timeout
        while not done.wait(0.1):
            if proc.poll() is not None:
                init = runtime.init_error or b""
                return "Unhandled", json.dumps({"errorType": "Runtime.ExitError",
                                                "errorMessage": f"the instance exited ({proc.returncode}) {init.decode(errors='replace')}"}).encode()
            if time.time() > limit:
                self.recycle()
                return "Unhandled", json.dumps({"errorMessage": f"Task timed out after {self.timeout} seconds"}).encode()
        kind, body, error_type = result[0]
        return (None if kind == "response" else (error_type or "Unhandled")), body


def function_named(name: str):
    name = urllib.parse.unquote(name)
    if name.startswith("arn:"):
        name = name.split(":")[6]
    return LAMBDA["functions"].get(name)


class LambdaApiHandler(Handler):
    """The Lambda service API as the aws CLI (botocore) calls it, plus walkthrough controls."""

    def not_found(self, name):
        return self.reply(404, {"Type": "User", "Message": f"Function not found: {name}"},
                          {"x-amzn-ErrorType": "ResourceNotFoundException"})

    def config(self, fn):
        return {"FunctionName": fn.name, "FunctionArn": fn.arn, "Runtime": "provided.al2023",
                "Description": fn.description, "State": "Active", "LastUpdateStatus": "Successful",
                "Environment": {"Variables": fn.env}}

    def route(self):
        path, _, _ = self.path.partition("?")
        if path.startswith("/_walkthrough/"):
            return self.control(path)
        m = re.match(r"^/(\d{4}-\d\d-\d\d)/functions/([^/]+)/(invocations|configuration|concurrency)$", path)
        if not m:
            return self.reply(404, {"Type": "User", "Message": f"the walkthrough's Lambda does not implement {self.command} {path}"},
                              {"x-amzn-ErrorType": "UnsupportedOperation"})
        fn = function_named(m.group(2))
        if fn is None:
            return self.not_found(m.group(2))
        what = m.group(3)
        if what == "invocations" and self.command == "POST":
            event = self.read_body()
            if fn.concurrency == 0:
                return self.reply(429, {"Reason": "ReservedFunctionConcurrentInvocationLimitExceeded", "Type": "User",
                                        "message": "Rate Exceeded."}, {"x-amzn-ErrorType": "TooManyRequestsException"})
            error, payload = fn.invoke(event)
            headers = {"X-Amz-Executed-Version": "$LATEST"}
            if error:
                headers["X-Amz-Function-Error"] = error
            return self.reply(200, payload, headers)
        if what == "configuration" and self.command == "PUT":
            update = json.loads(self.read_body() or b"{}")
            fn.description = update.get("Description", fn.description)
            if "Environment" in update:
                fn.env = update["Environment"].get("Variables", {})
            fn.recycle()  # a configuration change starts fresh instances
            return self.reply(200, self.config(fn))
        if what == "configuration" and self.command == "GET":
            return self.reply(200, self.config(fn))
        if what == "concurrency" and self.command == "PUT":
            fn.concurrency = int(json.loads(self.read_body())["ReservedConcurrentExecutions"])
            return self.reply(200, {"ReservedConcurrentExecutions": fn.concurrency})
        if what == "concurrency" and self.command == "DELETE":
            fn.concurrency = None
            return self.reply(204)
        if what == "concurrency" and self.command == "GET":
            return self.reply(200, {} if fn.concurrency is None else {"ReservedConcurrentExecutions": fn.concurrency})
        return self.reply(405, {"Message": "method not allowed"})

    def control(self, path):
        if path == "/_walkthrough/function" and self.command == "POST":
            spec = json.loads(self.read_body())
            with LAMBDA_LOCK:
                old = LAMBDA["functions"].get(spec["name"])
                if old is not None:
                    old.stop()
                fn = Function(spec["name"], spec["kind"], spec.get("env", {}), spec.get("timeout", 120))
                if old is not None:
                    fn.instances, fn.concurrency, fn.invocations = old.instances, old.concurrency, old.invocations
                LAMBDA["functions"][fn.name] = fn
                if spec.get("url"):
                    LAMBDA["url_function"] = fn.name
            if fn.kind != "dummy":
                fn.start()
            return self.reply(200, {"ok": True})
        if path == "/_walkthrough/reset" and self.command == "POST":
            with LAMBDA_LOCK:
                for fn in LAMBDA["functions"].values():
                    fn.stop()
                LAMBDA["functions"].clear()
                LAMBDA["url_function"] = None
            return self.reply(200, {"ok": True})
        m = re.match(r"^/_walkthrough/function/([^/]+)$", path)
        if m:
            fn = function_named(m.group(1))
            if fn is None:
                return self.not_found(m.group(1))
            return self.reply(200, {"name": fn.name, "kind": fn.kind, "concurrency": fn.concurrency,
                                    "instances": fn.instances, "invocations": fn.invocations,
                                    "running": bool(fn.proc and fn.proc.poll() is None)})
        return self.reply(404, {"error": "unknown control path"})


def caller_arn(access_key: str, session_token: str | None) -> str | None:
    """Who signed: moto's STS answers GetCallerIdentity for the signing access key."""
    import boto3

    sts = boto3.client("sts", endpoint_url=LAMBDA["moto"], region_name=LAMBDA["region"],
                       aws_access_key_id=access_key, aws_secret_access_key="unused",
                       aws_session_token=session_token)
    try:
        return sts.get_caller_identity()["Arn"]
    except Exception:  # noqa: BLE001 - an unknown key is simply no caller
        return None


class FunctionUrlHandler(Handler):
    """A function URL with AuthType AWS_IAM: SigV4 scope checked (region, service), the
    signer's ARN from moto's STS, then a payload-2.0 event with `authorizer.iam`."""

    def route(self):
        fn = LAMBDA["functions"].get(LAMBDA["url_function"] or "")
        if fn is None:
            return self.reply(404, {"Message": "no function URL configured"})
        auth = self.headers.get("Authorization", "")
        m = re.match(r"AWS4-HMAC-SHA256 Credential=([^/]+)/(\d{8})/([^/]+)/([^/]+)/aws4_request", auth)
        if not m or m.group(3) != LAMBDA["region"] or m.group(4) != LAMBDA["service"]:
            # AWS's own refusal: no X-Psoxy-Error header.
            return self.reply(403, {"Message": "Forbidden"}, {"x-amzn-ErrorType": "AccessDeniedException"})
        arn = caller_arn(m.group(1), self.headers.get("X-Amz-Security-Token"))
        if arn is None:
            return self.reply(403, {"Message": "The security token included in the request is invalid."})
        if fn.concurrency == 0:
            return self.reply(429, {"Message": "Rate Exceeded."})
        body = self.read_body()
        path, _, query = self.path.partition("?")
        headers: dict = {}
        for k, v in self.headers.items():
            headers[k.lower()] = headers[k.lower()] + "," + v if k.lower() in headers else v
        headers.update({"x-forwarded-proto": "https", "x-forwarded-port": "443", "x-forwarded-for": "127.0.0.1"})
        now = time.time()
        text_ok = True
        try:
            body_text = body.decode()
        except UnicodeDecodeError:
            text_ok = False
        event = {
            "version": "2.0", "routeKey": "$default", "rawPath": urllib.parse.unquote(path),
            "rawQueryString": query, "headers": headers,
            "queryStringParameters": {k: ",".join(v) for k, v in urllib.parse.parse_qs(query, keep_blank_values=True).items()} or None,
            "requestContext": {
                "accountId": "anonymous", "apiId": "walkthroughurl",
                "authorizer": {"iam": {"accessKey": m.group(1), "accountId": ACCOUNT, "callerId": arn.split("/")[-1],
                                       "cognitoIdentity": None, "principalOrgId": None, "userArn": arn,
                                       "userId": arn.split("/")[-1]}},
                "domainName": f"walkthroughurl.lambda-url.{LAMBDA['region']}.on.aws", "domainPrefix": "walkthroughurl",
                "http": {"method": self.command, "path": urllib.parse.unquote(path), "protocol": "HTTP/1.1",
                         "sourceIp": self.client_address[0], "userAgent": self.headers.get("User-Agent", "")},
                "requestId": str(uuid.uuid4()), "routeKey": "$default", "stage": "$default",
                "time": time.strftime("%d/%b/%Y:%H:%M:%S +0000", time.gmtime(now)), "timeEpoch": int(now * 1000),
            },
            "isBase64Encoded": bool(body) and not text_ok,
        }
        if body:
            event["body"] = body_text if text_ok else base64.b64encode(body).decode()
        error, payload = fn.invoke(json.dumps(event).encode())
        if error:
            return self.reply(502, {"Message": "Internal Server Error"})
        answer = json.loads(payload)
        out = base64.b64decode(answer.get("body") or "") if answer.get("isBase64Encoded") else (answer.get("body") or "").encode()
        out_headers = dict(answer.get("headers") or {})
        for k, values in (answer.get("multiValueHeaders") or {}).items():
            out_headers[k] = ",".join(values)
        out_headers = {k: v for k, v in out_headers.items() if k.lower() not in ("content-length", "transfer-encoding", "connection")}
        return self.reply(int(answer.get("statusCode", 200)), out, out_headers)


def cmd_serve(args: list[str]) -> None:
    """serve --ports-file F --moto URL --region R --workdir D --binary B [--cargo-lambda C]:
    starts the Atlassian front, the Lambda API and the function URL on free loopback
    ports, writes {"atlassian":…, "lambda":…, "url":…} to F, and runs until killed."""
    opts = dict(zip(args[::2], args[1::2]))
    LAMBDA.update(moto=opts["--moto"], region=opts["--region"], workdir=opts["--workdir"],
                  binary=opts["--binary"], cargo_lambda=opts.get("--cargo-lambda"))
    ports = {"atlassian": free_port(), "lambda": free_port(), "url": free_port()}
    serve_in_thread(AtlassianHandler, ports["atlassian"])
    serve_in_thread(LambdaApiHandler, ports["lambda"])
    serve_in_thread(FunctionUrlHandler, ports["url"])
    Path(opts["--ports-file"]).write_text(json.dumps(ports))

    def stop(*_):
        for fn in list(LAMBDA["functions"].values()):
            fn.stop()
        os._exit(0)

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    while True:
        time.sleep(3600)


# ---------------------------------------------------------------------------------------
# terraform apply, as far as the walkthrough needs it
# ---------------------------------------------------------------------------------------


def boto(service: str):
    import boto3

    return boto3.client(service, endpoint_url=os.environ["AWS_ENDPOINT_URL"],
                        region_name=os.environ.get("AWS_REGION", "us-east-1"))


def cmd_deploy(args: list[str]) -> None:
    """deploy PLAN LAMBDA_API ATLASSIAN_URL KIND: create what the plan's module creates in
    moto (SSM parameters, IAM roles; existing ones are left alone, as Terraform leaves a
    resource already in its state), and (re)configure the function with the module's
    environment. The one deviation from the module: TARGET_HOST and REFRESH_ENDPOINT
    point at the loopback Atlassian instead of api.atlassian.com / auth.atlassian.com.
    A changed environment starts a fresh instance, as Lambda does."""
    plan = json.loads(Path(args[0]).read_text())
    lambda_api, atlassian, kind = args[1], args[2], args[3]
    ssm, iam = boto("ssm"), boto("iam")
    created = []
    for p in plan["ssm_parameters"]:
        kwargs = {"Name": p["name"], "Type": p["type"], "Value": p["value"], "Overwrite": False}
        if p.get("key_id"):
            kwargs["KeyId"] = p["key_id"]
        try:
            ssm.put_parameter(**kwargs)
            created.append(p["name"])
        except ssm.exceptions.ParameterAlreadyExists:
            pass
    trust = json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:root"}, "Action": "sts:AssumeRole"}]})
    for role in plan["roles"]:
        try:
            iam.create_role(RoleName=role["name"], AssumeRolePolicyDocument=trust)
            created.append(role["arn"])
        except iam.exceptions.EntityAlreadyExistsException:
            pass
    env = dict(plan["environment"])
    env["TARGET_HOST"] = atlassian
    env["REFRESH_ENDPOINT"] = atlassian + "/oauth/token"
    for name in filter(None, os.environ.get("WALKTHROUGH_DROP_ENV", "").split(",")):
        env.pop(name, None)  # development only: look past a known failure
    name = plan["function_name"]
    status, _, body = http("GET", f"{lambda_api}/2015-03-31/functions/{name}/configuration")
    current = json.loads(body).get("Environment", {}).get("Variables") if status == 200 else None
    if current != env:
        status, _, body = http("POST", f"{lambda_api}/_walkthrough/function",
                               {"name": name, "kind": kind, "env": env, "url": True})
        if status != 200:
            die(f"configuring the function failed: {body!r}")
        print(f"function {name}: {'started' if current is None else 'environment changed, fresh instance'}")
    for name in created:
        print(f"created {name}")


# ---------------------------------------------------------------------------------------
# Running the documents' blocks
# ---------------------------------------------------------------------------------------


def spawn_block(script: Path, cwd: Path, stdin=subprocess.PIPE):
    return subprocess.Popen(["bash", "--noprofile", "--norc", "-eo", "pipefail", str(script.resolve())], cwd=cwd,
                            stdin=stdin, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)


def cmd_run_block(args: list[str]) -> None:
    """run-block SCRIPT CWD OUT [STDIN_TEXT]: run a block as an operator's shell would
    (bash -e -o pipefail), output shown and kept in OUT; exit with the block's status."""
    script, cwd, out = Path(args[0]), Path(args[1]), Path(args[2])
    stdin_text = args[3].encode() if len(args) > 3 else b""
    proc = spawn_block(script, cwd)
    proc.stdin.write(stdin_text)
    proc.stdin.close()
    kept = bytearray()
    for chunk in iter(lambda: proc.stdout.read1(65536), b""):
        kept += chunk
        sys.stdout.buffer.write(chunk)
        sys.stdout.flush()
    code = proc.wait()
    if kept and not kept.endswith(b"\n"):
        print()
    out.write_bytes(bytes(kept))
    sys.exit(code)


def browser_approve(authorize_url: str) -> str:
    """The operator's browser on the consent screen: approve, return where it redirects."""
    status, headers, body = http("GET", authorize_url)
    location = headers.get("Location") or headers.get("location")
    if status != 302 or not location:
        die(f"the consent screen did not redirect ({status}): {body[:300]!r}")
    return location


def cmd_drive_consent(args: list[str]) -> None:
    """drive-consent SCRIPT CWD OUT CLIENT_ID CLIENT_SECRET: run the consent block, typing
    what the operator types at its prompts and playing the browser: with a local callback
    the browser follows the redirect to it; with --no-browser the operator pastes the
    URL the browser was redirected to. Output shown and kept in OUT."""
    script, cwd, out, client_id, client_secret = Path(args[0]), Path(args[1]), Path(args[2]), args[3], args[4]
    proc = spawn_block(script, cwd)
    fd = proc.stdout.fileno()
    seen = ""      # everything printed so far
    handled = 0    # up to where prompts were answered
    kept = bytearray()
    deadline = time.time() + 120

    def send(line: str):
        proc.stdin.write((line + "\n").encode())
        proc.stdin.flush()

    while True:
        ready, _, _ = select.select([fd], [], [], 0.2)
        if ready:
            chunk = os.read(fd, 65536)
            if not chunk:
                break
            kept += chunk
            sys.stdout.buffer.write(chunk)
            sys.stdout.flush()
            seen += chunk.decode(errors="replace")
        if time.time() > deadline:
            proc.kill()
            die("the consent block did not finish within 120 s")
        rest = seen[handled:]
        prompts = [
            ("OAuth client id: ", lambda: send(client_id)),
            ("(read from stdin, not echoed): ", lambda: send(client_secret)),
            ("Site number: ", lambda: send("1")),
        ]
        acted = False
        for prompt, action in prompts:
            at = rest.find(prompt)
            if at >= 0:
                action()
                handled += at + len(prompt)
                acted = True
                break
        if acted:
            continue
        m = re.search(r"Open this URL in a browser and approve access:\n(\S+)\n", rest)
        if m:
            after = rest[m.end():]
            if "Waiting for the redirect to" in after:
                location = browser_approve(m.group(1))
                threading.Thread(target=lambda: print_callback(location), daemon=True).start()
                handled += m.end() + after.index("Waiting for the redirect to") + 10
            elif "Paste the full URL the browser was redirected to: " in after:
                send(browser_approve(m.group(1)))
                handled += m.end() + after.index("Paste the full URL") + 10
    code = proc.wait()
    out.write_bytes(bytes(kept))
    sys.exit(code)


def print_callback(location: str):
    status, _, body = http("GET", location)
    print(f"[browser] {location.split('?')[0]} answered {status}", flush=True)



# ---------------------------------------------------------------------------------------
# `aws` and `jq` for machines without them (or with AWS CLI v1)
# ---------------------------------------------------------------------------------------


def cmd_aws(args: list[str]) -> None:
    """A minimal AWS CLI v2 on botocore: `aws SERVICE OPERATION --param value …`, with the
    real service models (so a misspelled operation or parameter fails as it would with the
    real CLI), `--query`, `--output json|text`, `--region`, `--cli-binary-format`,
    automatic pagination, and `lambda invoke`'s outfile. Endpoints come from
    AWS_ENDPOINT_URL / AWS_ENDPOINT_URL_<SERVICE> as with the real CLI."""
    import boto3
    import botocore.exceptions
    import jmespath
    from botocore import xform_name

    globals_ = {"--region": None, "--output": "json", "--query": None, "--cli-binary-format": "base64",
                "--endpoint-url": None, "--profile": None}
    rest, i = [], 0
    while i < len(args):
        if args[i] in globals_:
            globals_[args[i]] = args[i + 1]
            i += 2
        elif args[i] in ("--no-cli-pager", "--debug", "--no-paginate"):
            i += 1
        else:
            rest.append(args[i])
            i += 1
    if len(rest) < 2:
        die("aws (walkthrough shim): usage: aws SERVICE OPERATION [--param value]…")
    service, op_cli, params_cli = rest[0], rest[1], rest[2:]
    session = boto3.session.Session(region_name=globals_["--region"] or os.environ.get("AWS_REGION"))
    model = session._session.get_service_model(service)  # noqa: SLF001
    endpoint = globals_["--endpoint-url"]
    client = session.client(service, endpoint_url=endpoint) if endpoint else session.client(service)
    waiter = None
    if op_cli == "wait":
        if not params_cli or params_cli[0].replace("-", "_") not in client.waiter_names:
            print(f"aws: error: argument wait: Invalid choice: {params_cli[:1]}", file=sys.stderr)
            sys.exit(252)
        waiter = client.get_waiter(params_cli[0].replace("-", "_"))
        op_name, params_cli = waiter.config.operation, params_cli[1:]
    else:
        op_name = next((o for o in model.operation_names if xform_name(o, "-") == op_cli), None)
    if op_name is None:
        print(f"aws: error: argument operation: Invalid choice: {op_cli!r}", file=sys.stderr)
        sys.exit(252)
    op = model.operation_model(op_name)
    members = op.input_shape.members if op.input_shape else {}
    by_cli = {xform_name(m, "-"): (m, shape) for m, shape in members.items()}
    params, positional, i = {}, [], 0
    while i < len(params_cli):
        a = params_cli[i]
        if not a.startswith("--"):
            positional.append(a)
            i += 1
            continue
        key = a[2:]
        if key.startswith("no-") and key[3:] in by_cli and by_cli[key[3:]][1].type_name == "boolean":
            params[by_cli[key[3:]][0]] = False
            i += 1
            continue
        if key not in by_cli:
            print(f"aws: error: Unknown options: {a}", file=sys.stderr)
            sys.exit(252)
        member, shape = by_cli[key]
        if shape.type_name == "boolean":
            params[member] = True
            i += 1
            continue
        values = []
        i += 1
        while i < len(params_cli) and not params_cli[i].startswith("--"):
            values.append(params_cli[i])
            i += 1
            if shape.type_name != "list":
                break
        if not values:
            die(f"aws: expected a value after {a}")
        params[member] = convert_cli_value(values, shape, globals_["--cli-binary-format"])
    method = getattr(client, xform_name(op_name))
    try:
        if waiter is not None:
            waiter.wait(**params)
            return
        if client.can_paginate(xform_name(op_name)):
            result = client.get_paginator(xform_name(op_name)).paginate(**params).build_full_result()
        else:
            result = method(**params)
    except botocore.exceptions.WaiterError as e:
        print(f"\nWaiter {params_cli and op_cli} failed: {e}", file=sys.stderr)
        sys.exit(255)
    except botocore.exceptions.ClientError as e:
        err = e.response.get("Error", {})
        print(f"\nAn error occurred ({err.get('Code')}) when calling the {op_name} operation: {err.get('Message')}",
              file=sys.stderr)
        sys.exit(254)
    result.pop("ResponseMetadata", None)
    for name, value in list(result.items()):
        if hasattr(value, "read"):  # a streaming payload goes to the outfile (lambda invoke)
            if not positional:
                die(f"aws {service} {op_cli}: the outfile argument is required")
            if positional[0] == "/dev/stdout":  # not reopened: that would truncate a file
                sys.stdout.buffer.write(value.read())
                sys.stdout.buffer.write(b"\n")
                sys.stdout.flush()
            else:
                with open(positional[0], "wb") as f:
                    f.write(value.read())
            del result[name]
    if globals_["--query"]:
        result = jmespath.search(globals_["--query"], result)
    elif result == {}:
        return  # the real CLI prints nothing for an empty answer
    if globals_["--output"] == "text":
        print(text_output(result))
    else:
        print(json.dumps(result, indent=4, default=str))


def convert_cli_value(values, shape, binary_format):
    t = shape.type_name
    if t == "list":
        return [convert_cli_value([v], shape.member, binary_format) for v in values]
    v = values[0]
    if v.startswith("fileb://"):
        return Path(v[8:]).read_bytes()
    if v.startswith("file://"):
        v = Path(v[7:]).read_text()
    if t in ("integer", "long"):
        return int(v)
    if t in ("float", "double"):
        return float(v)
    if t == "blob":
        return v.encode() if binary_format == "raw-in-base64-out" else base64.b64decode(v)
    if t in ("structure", "map"):
        return json.loads(v)
    return v


def text_output(value) -> str:
    if value is None:
        return "None"
    if isinstance(value, list):
        if all(not isinstance(v, (list, dict)) for v in value):
            return "\t".join(str(v) for v in value)
        return "\n".join(text_output(v) for v in value)
    if isinstance(value, dict):
        return "\t".join(text_output(v) for v in value.values())
    return str(value)


def cmd_jq(args: list[str]) -> None:
    """`jq [-r] .a.b` for machines without jq (only dotted paths)."""
    raw = "-r" in args
    path = next(a for a in args if not a.startswith("-"))
    value = json.load(sys.stdin)
    for part in [p for p in path.split(".") if p]:
        value = value.get(part) if isinstance(value, dict) else None
    print(value if raw and isinstance(value, str) else json.dumps(value))



# ---------------------------------------------------------------------------------------
# The walkthrough's checks: each prints what it found; exit 1 (with FAIL lines) if wrong
# ---------------------------------------------------------------------------------------


class Checks:
    def __init__(self, title: str):
        self.title = title
        self.failures = []

    def ok(self, cond: bool, what: str, detail: str = ""):
        print(("  ok   " if cond else "  FAIL ") + what + ("" if cond or not detail else f"\n         {detail}"))
        if not cond:
            self.failures.append(what)
        return cond

    def done(self):
        sys.exit(1 if self.failures else 0)


def ssm_all() -> dict:
    ssm = boto("ssm")
    names = [p["Name"] for page in ssm.get_paginator("describe_parameters").paginate() for p in page["Parameters"]]
    out = {}
    for i in range(0, len(names), 10):
        for p in ssm.get_parameters(Names=names[i:i + 10], WithDecryption=True)["Parameters"]:
            out[p["Name"]] = {"type": p["Type"], "value": p["Value"]}
    return out


def function_answer(text: str):
    """The function's answer (a function-URL response) printed by `aws lambda invoke … /dev/stdout`."""
    start = text.find('{"statusCode"')
    if start < 0:
        start = text.find('{\n    "statusCode"')
    if start < 0:
        return None
    answer, _ = json.JSONDecoder().raw_decode(text[start:])
    body = answer.get("body") or ""
    if answer.get("isBase64Encoded"):
        body = base64.b64decode(body).decode()
    try:
        answer["body"] = json.loads(body)
    except ValueError:
        answer["body"] = body
    return answer


def pseudonym(value: str, salt: str) -> str:
    """Psoxy's URL_SAFE_TOKEN pseudonym of a non-email value (rules spec §6)."""
    digest = hashlib.sha256((value + salt).encode()).digest()
    return "t~" + base64.urlsafe_b64encode(digest).decode().rstrip("=")


def salt_fingerprint(salt: str) -> str:
    """saltSha256Hash / X-Psoxy-PII-Salt-Sha256 (rules spec §7)."""
    digest = hashlib.sha256((salt + "f33c366c-ae91-4819-b221-f9794ebb8145").encode()).digest()
    return base64.b64encode(digest).decode().rstrip("=").replace("/", "_").replace("+", ".")


def cmd_ssm_snapshot(args: list[str]) -> None:
    """ssm-snapshot FILE: every parameter (name → type, value) into FILE."""
    Path(args[0]).write_text(json.dumps(ssm_all(), indent=1, sort_keys=True))


def cmd_check_health(args: list[str]) -> None:
    """check-health OUT EXPECT_STATUS [SALT]: the health check block's printed answer."""
    c = Checks("health check")
    answer = function_answer(Path(args[0]).read_text())
    if not c.ok(answer is not None, "the function's answer was printed first"):
        c.done()
    status, body = answer["statusCode"], answer["body"]
    error = (answer.get("headers") or {}).get("x-psoxy-error", "")
    hint = ""
    if error == "UNAUTHORIZED_CALLER":
        hint = ("the health-check event carries no IAM principal (a direct invocation: the operator's "
                "`aws lambda invoke` or the EventBridge schedule) and the module sets ALLOWED_CALLER_ARNS "
                "(restrict_callers = true), so the proxy refuses it before the health check")
    c.ok(status == int(args[1]), f"statusCode {status} (expected {args[1]})",
         hint or json.dumps(body)[:600])
    if isinstance(body, dict) and status == 200:
        c.ok(body.get("missingConfigProperties") == [], "missingConfigProperties is []")
        if len(args) > 2:
            c.ok(body.get("saltSha256Hash") == salt_fingerprint(args[2]),
                 "saltSha256Hash is the fingerprint of the stored PSOXY_SALT")
    c.done()


def cmd_check_consent(args: list[str]) -> None:
    """check-consent BEFORE PREFIX CLIENT_ID SECRET FAMILY_TOKEN OUT: what consent stored."""
    before = json.loads(Path(args[0]).read_text())
    prefix, client_id, secret, family, out = args[1], args[2], args[3], args[4], Path(args[5]).read_text()
    c = Checks("consent")
    after = ssm_all()
    changed = sorted(n for n in after if before.get(n) != after[n])
    expected = sorted(prefix + n for n in ("CLIENT_ID", "CLIENT_SECRET", "REFRESH_TOKEN", "TOKEN_FAMILY"))
    c.ok(changed == expected, f"consent wrote exactly {', '.join(expected)}", f"it changed: {changed}")
    c.ok(not any(n in after for n in ("CLIENT_ID", "CLIENT_SECRET", "REFRESH_TOKEN", "TOKEN_FAMILY")),
         "nothing was written at the store's root")
    c.ok(all(after[n]["type"] == "SecureString" for n in expected if n in after), "all SecureString")
    get = lambda n: after.get(prefix + n, {}).get("value")  # noqa: E731
    c.ok(get("CLIENT_ID") == client_id, "CLIENT_ID is the app's client id")
    c.ok(get("CLIENT_SECRET") == secret, "CLIENT_SECRET is the secret typed at the prompt")
    c.ok(get("REFRESH_TOKEN") == family, "REFRESH_TOKEN is the token family's current refresh token")
    try:
        ledger = json.loads(get("TOKEN_FAMILY") or "")
        c.ok(abs(ledger.get("issuedAt", 0) / 1000 - time.time()) < 600, "TOKEN_FAMILY records when consent was given")
    except ValueError:
        c.ok(False, "TOKEN_FAMILY is JSON")
    c.ok(prefix + "OAUTH_REFRESH_TOKEN_lock" not in after, "the refresh lock taken for the store check was released")
    c.ok(secret not in out, "the client secret was not echoed to the terminal")
    c.ok(family not in out, "the refresh token was not printed")
    c.done()


def cmd_check_pseudonyms(args: list[str]) -> None:
    """check-pseudonyms OUT RAW_JSON SALT: the proxy's answer in OUT carries, for every
    space's authorId in the stand-in's raw answer, Psoxy's pseudonym with SALT, and none
    of the raw ids."""
    out, raw, salt = Path(args[0]).read_text(), json.loads(Path(args[1]).read_text()), args[2]
    if "--last" in args[3:]:  # only the last answer printed (curl's, after pseudoproxy call's)
        out = out[out.rfind('{"results"'):]
    c = Checks("pseudonyms")
    ids = sorted({r["authorId"] for r in raw.get("results", []) if r.get("authorId")})
    if not c.ok(bool(ids), f"the stand-in's spaces carry {len(ids)} author ids"):
        c.done()
    c.ok(all(pseudonym(i, salt) in out for i in ids),
         "each authorId came back as Psoxy's pseudonym t~base64url(sha256(id + PSOXY_SALT))",
         f"expected e.g. {pseudonym(ids[0], salt)}")
    c.ok(not any(i in out for i in ids), "no raw author id came back")
    c.done()


def cmd_check_calls(args: list[str]) -> None:
    """check-calls OUT N: the block printed N answers with status 200 and no error code."""
    out, n = Path(args[0]).read_text(), int(args[1])
    c = Checks("calls")
    statuses = re.findall(r"^status: (\d{3})", out, re.M)
    c.ok(statuses == ["200"] * n, f"{n} call(s) answered 200", f"statuses: {statuses}")
    c.ok(not re.search(r"^x-psoxy-error:", out, re.M | re.I), "no X-Psoxy-Error")
    c.done()


def atlassian_log(url: str) -> list:
    return json.loads(http("GET", url + "/_walkthrough/log")[2])


def cmd_check_secret_used(args: list[str]) -> None:
    """check-secret-used ATLASSIAN SINCE_INDEX NEW OLD: after SINCE_INDEX the token endpoint
    was sent the new secret (and it refreshed), and never the old one."""
    log = atlassian_log(args[0])[int(args[1]):]
    new, old = fingerprint(args[2]), fingerprint(args[3])
    c = Checks("client secret")
    c.ok(any(e["grant"] == "refresh_token" and e["secret"] == new and e["status"] == 200 for e in log),
         "a refresh presented the NEW client secret and was granted",
         f"token calls since the rotation: {[(e['grant'], e['status'], 'new' if e['secret'] == new else 'old' if e['secret'] == old else '?') for e in log]}")
    c.ok(not any(e["secret"] == old for e in log), "the old secret was not sent again")
    c.done()


def cmd_check_secret_refused(args: list[str]) -> None:
    """check-secret-refused ATLASSIAN SINCE_INDEX OLD OUT: the forced refresh presented the
    old secret, was refused, and the deep check failed."""
    log = atlassian_log(args[0])[int(args[1]):]
    old, out = fingerprint(args[2]), Path(args[3]).read_text()
    c = Checks("old secret")
    c.ok(any(e["grant"] == "refresh_token" and e["secret"] == old and e["status"] == 401 for e in log),
         "the refresh presented the old secret and Atlassian refused it (401)")
    c.ok("status: 412" in out, "the deep health check answered 412", out[:400])
    c.done()


def cmd_psoxy_layout(args: list[str]) -> None:
    """psoxy-layout FILE CLIENT_ID SECRET REFRESH: lay out SSM exactly as a Psoxy AWS
    deployment with the environment `psoxy` and the connector `confluence-cloud` has it
    (aws_ssm_parameter_store, no root path): the shared salt and key, the instance's
    client id, secret, rotating refresh token and Psoxy's shared ACCESS_TOKEN JSON (here
    expired, so the first call must refresh with Psoxy's refresh token), and another
    connector's parameters beside them. Writes the layout (name → value) to FILE."""
    client_id, secret, refresh = args[1], args[2], args[3]
    rnd = random.SystemRandom()
    alnum = string.ascii_letters + string.digits
    expired = int((time.time() - 3600) * 1000)
    layout = {
        "PSOXY_SALT": "".join(rnd.choice(alnum) for _ in range(32)),
        "PSOXY_ENCRYPTION_KEY": "".join(rnd.choice(alnum) for _ in range(32)),
        "PSOXY_CONFLUENCE_CLOUD_CLIENT_ID": client_id,
        "PSOXY_CONFLUENCE_CLOUD_CLIENT_SECRET": secret,
        "PSOXY_CONFLUENCE_CLOUD_REFRESH_TOKEN": refresh,
        "PSOXY_CONFLUENCE_CLOUD_ACCESS_TOKEN": json.dumps({"token": "psoxy-access-token", "expirationDate": expired}),
        # Another connector of the same Psoxy deployment.
        "PSOXY_JIRA_CLOUD_CLIENT_ID": "jira-client",
        "PSOXY_JIRA_CLOUD_CLIENT_SECRET": "jira-secret",
        "PSOXY_JIRA_CLOUD_REFRESH_TOKEN": "jira-refresh",
        "PSOXY_JIRA_CLOUD_ACCESS_TOKEN": json.dumps({"token": "jira-access", "expirationDate": expired}),
    }
    ssm = boto("ssm")
    for name, value in layout.items():
        ssm.put_parameter(Name=name, Value=value, Type="SecureString", Overwrite=False)
    Path(args[0]).write_text(json.dumps(layout, indent=1))


def cmd_check_psoxy_names(args: list[str]) -> None:
    """check-psoxy-names OUT LAYOUT: the block listed exactly Psoxy's Confluence names and
    the shared salt and key."""
    out, layout = Path(args[0]).read_text().split(), json.loads(Path(args[1]).read_text())
    c = Checks("Psoxy's names")
    want = sorted(n for n in layout if "CONFLUENCE" in n or n in ("PSOXY_SALT", "PSOXY_ENCRYPTION_KEY"))
    c.ok(sorted(out) == want, f"the block listed exactly {', '.join(want)}", f"it listed: {sorted(out)}")
    c.done()


def cmd_check_parameter_names(args: list[str]) -> None:
    """check-parameter-names NAMES_JSON FOUND_OUT: migration step 3 — every name the new
    function uses is one found in step 1, except TOKEN_FAMILY and the lock (created later)
    and the optional RULES and CONFLUENCE_CLOUD_ID."""
    names, found = json.loads(Path(args[0]).read_text()), set(Path(args[1]).read_text().split())
    c = Checks("parameter_names")
    later = {"TOKEN_FAMILY", "OAUTH_REFRESH_TOKEN_lock", "RULES", "CONFLUENCE_CLOUD_ID"}
    unknown = [v for k, v in names["instance"].items() if k not in later and v not in found]
    unknown += [v for v in names["shared"].values() if v not in found]
    c.ok(not unknown, "every instance and shared name is one of Psoxy's", f"not found in the store: {unknown}")
    c.done()


def cmd_check_migrated(args: list[str]) -> None:
    """check-migrated BEFORE LAYOUT ATLASSIAN: after the new function served, Psoxy's
    refresh token was rotated in place (no consent), ACCESS_TOKEN is in Psoxy's format,
    the only new parameter is TOKEN_FAMILY, and no other connector's value changed."""
    before, layout, atl = json.loads(Path(args[0]).read_text()), json.loads(Path(args[1]).read_text()), args[2]
    after = ssm_all()
    c = Checks("migration")
    p = "PSOXY_CONFLUENCE_CLOUD_"
    log = atlassian_log(atl)
    c.ok(not any(e["grant"] == "authorization_code" for e in log), "no consent was given")
    c.ok(any(e["grant"] == "refresh_token" and e["status"] == 200 for e in log),
         "the new function refreshed with Psoxy's refresh token")
    c.ok(after[p + "REFRESH_TOKEN"]["value"] not in (layout[p + "REFRESH_TOKEN"], "fill me"),
         f"{p}REFRESH_TOKEN was rotated in place")
    c.ok(after[p + "REFRESH_TOKEN"]["type"] == "SecureString", f"{p}REFRESH_TOKEN is still a SecureString")
    try:
        token = json.loads(after[p + "ACCESS_TOKEN"]["value"])
        c.ok(set(token) >= {"token", "expirationDate"} and isinstance(token["expirationDate"], int)
             and token["expirationDate"] > time.time() * 1000,
             f"{p}ACCESS_TOKEN is Psoxy's JSON {{token, expirationDate}} with a future expiry", str(sorted(token)))
    except ValueError:
        c.ok(False, f"{p}ACCESS_TOKEN is JSON")
    new = sorted(set(after) - set(before))
    c.ok(new == [p + "TOKEN_FAMILY"], "the only new parameter is TOKEN_FAMILY (the lock was released)", f"new: {new}")
    changed = sorted(n for n in before if n in after and before[n] != after[n])
    c.ok(changed == sorted([p + "REFRESH_TOKEN", p + "ACCESS_TOKEN"]),
         "only REFRESH_TOKEN and ACCESS_TOKEN changed (salt, key, client and other connectors untouched)",
         f"changed: {changed}")
    c.done()


def cmd_check_concurrency(args: list[str]) -> None:
    """check-concurrency LAMBDA_API NAME=VALUE…: reserved concurrency per function
    (`none` = not reserved)."""
    c = Checks("concurrency")
    for pair in args[1:]:
        name, want = pair.split("=")
        state = json.loads(http("GET", f"{args[0]}/_walkthrough/function/{name}")[2])
        got = "none" if state.get("concurrency") is None else str(state["concurrency"])
        c.ok(got == want, f"{name}: reserved concurrency {got} (expected {want})")
    c.done()


def cmd_check_logs(args: list[str]) -> None:
    """check-logs SNAPSHOT LOG…: no secret value of the store (salt, keys, client
    secrets, tokens) appears in any log."""
    secrets = set()
    for name, p in json.loads(Path(args[0]).read_text()).items():
        if any(k in name for k in ("SALT", "KEY", "SECRET", "TOKEN")) and not name.endswith("TOKEN_FAMILY"):
            try:
                value = json.loads(p["value"])
                secrets.add(value["token"] if isinstance(value, dict) else p["value"])
            except (ValueError, KeyError, TypeError):
                secrets.add(p["value"])
    secrets.discard("fill me")
    c = Checks("logs")
    for log in args[1:]:
        text = Path(log).read_text(errors="replace") if Path(log).exists() else ""
        leaked = [s[:4] + "…" for s in secrets if len(s) >= 8 and s in text]
        c.ok(not leaked, f"no secret or token in {Path(log).name}", f"found values starting {leaked}")
    c.done()


COMMANDS = {
    "extract": cmd_extract, "markers": cmd_markers, "terraform": cmd_terraform, "apply": cmd_apply,
    "serve": cmd_serve, "deploy": cmd_deploy, "run-block": cmd_run_block, "drive-consent": cmd_drive_consent,
    "aws": cmd_aws, "jq": cmd_jq, "ssm-snapshot": cmd_ssm_snapshot,
    "check-health": cmd_check_health, "check-consent": cmd_check_consent,
    "check-pseudonyms": cmd_check_pseudonyms, "check-calls": cmd_check_calls,
    "check-secret-used": cmd_check_secret_used, "check-secret-refused": cmd_check_secret_refused,
    "psoxy-layout": cmd_psoxy_layout, "check-psoxy-names": cmd_check_psoxy_names,
    "check-parameter-names": cmd_check_parameter_names, "check-migrated": cmd_check_migrated,
    "check-concurrency": cmd_check_concurrency, "check-logs": cmd_check_logs,
}

if __name__ == "__main__":
    if len(sys.argv) < 2 or sys.argv[1] not in COMMANDS:
        die(f"usage: {sys.argv[0]} {'|'.join(COMMANDS)} ...")
    COMMANDS[sys.argv[1]](sys.argv[2:])
