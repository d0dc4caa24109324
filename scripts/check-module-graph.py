#!/usr/bin/env python3
"""Fails when the modules of src/ depend on each other in a cycle.

Two levels are checked, because both are what a reader navigates:
  1. the crate's top-level modules (`crate::proxy` -> `crate::auth`, ...);
  2. inside each top-level module, its direct children (files or folders), e.g.
     `rules::compile` -> `rules::raw`. A child that is a folder counts as one node: the
     serde Deserializer of the YAML node tree and its access types recurse into each other
     by nature and therefore live together in one submodule (`rules/yaml/`).

A dependency is any `crate::X` path, or `super::Y` / `self::Y` from a sibling, in code
that is not test code. Test code is left out: files named `tests.rs` or `*_tests.rs`,
files below a `tests/` folder, and everything after a `#[cfg(test)]` line in a file
(the project keeps its unit tests at the bottom). Comments are ignored, so doc links do
not count.

Prints the graph edges that take part in a cycle and exits 1; prints a summary and exits
0 when the graph is acyclic. Run by scripts/test.sh.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

SRC = Path(__file__).resolve().parent.parent / "src"
CRATE_PATH = re.compile(r"\bcrate::([a-z_][a-z0-9_]*)(?:::([a-z_][a-z0-9_]*))?")


def super_names(code: str, prefix: str) -> list[str]:
    """Module names after `prefix::` (`super` or `super::super`), brace groups included:
    `use super::{a, b::c}` names `a` and `b`."""
    names = []
    pattern = re.compile(r"(?<![:\w])" + re.escape(prefix) + r"::(\{[^}]*\}|[a-z_][a-z0-9_]*)")
    for m in pattern.finditer(code):
        item = m.group(1)
        if item.startswith("{"):
            for part in item[1:-1].split(","):
                head = part.strip().split("::")[0].strip()
                if re.fullmatch(r"[a-z_][a-z0-9_]*", head) and head != "self":
                    names.append(head)
        else:
            names.append(item)
    return names


def is_test_file(path: Path) -> bool:
    rel = path.relative_to(SRC)
    return (
        "tests" in rel.parts[:-1]
        or path.name == "tests.rs"
        or path.name.endswith("_tests.rs")
    )


def code_of(path: Path) -> str:
    """The non-test, non-comment code of a file."""
    lines = []
    for line in path.read_text().splitlines():
        if line.strip().startswith("#[cfg(test)]"):
            break
        lines.append(line.split("//", 1)[0])
    return "\n".join(lines)


def location(path: Path) -> tuple[str, str | None, int]:
    """(top-level module, child module or None, depth of the file below the top module)."""
    rel = path.relative_to(SRC).with_suffix("")
    parts = [p for p in rel.parts if p != "mod"]
    if not parts or parts == ["lib"] or parts == ["main"]:
        return ("<root>", None, 0)
    top = parts[0]
    child = parts[1] if len(parts) > 1 else None
    return (top, child, len(parts) - 1)


def edges() -> tuple[set[tuple[str, str]], dict[str, set[tuple[str, str]]]]:
    top_edges: set[tuple[str, str]] = set()
    child_edges: dict[str, set[tuple[str, str]]] = {}
    top_modules = {p.stem if p.is_file() else p.name for p in SRC.iterdir()}
    for path in SRC.rglob("*.rs"):
        if is_test_file(path):
            continue
        top, child, depth = location(path)
        code = code_of(path)
        for m in CRATE_PATH.finditer(code):
            target_top, target_child = m.group(1), m.group(2)
            if target_top not in top_modules:
                continue
            if target_top != top and top != "<root>":
                top_edges.add((top, target_top))
            elif target_top == top and child and target_child and target_child != child:
                child_edges.setdefault(top, set()).add((child, target_child))
        # `super::Y` from a file directly inside the top module names a sibling child;
        # `super::super::Y` from two levels down names a child of the top module.
        names = []
        if child is not None and depth == 1:
            names = super_names(code, "super")
        elif child is not None and depth == 2:
            names = super_names(code, "super::super")
        for target in names:
            is_child = (SRC / top / f"{target}.rs").exists() or (SRC / top / target).is_dir()
            if target != child and is_child:
                child_edges.setdefault(top, set()).add((child, target))
    return top_edges, child_edges


def cycles(graph_edges: set[tuple[str, str]]) -> list[list[str]]:
    """Strongly connected components with more than one node (Tarjan)."""
    graph: dict[str, list[str]] = {}
    for a, b in graph_edges:
        graph.setdefault(a, []).append(b)
        graph.setdefault(b, [])
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    counter = [0]

    def visit(node: str) -> None:
        index[node] = low[node] = counter[0]
        counter[0] += 1
        stack.append(node)
        on_stack.add(node)
        for succ in sorted(graph[node]):
            if succ not in index:
                visit(succ)
                low[node] = min(low[node], low[succ])
            elif succ in on_stack:
                low[node] = min(low[node], index[succ])
        if low[node] == index[node]:
            component = []
            while True:
                top = stack.pop()
                on_stack.discard(top)
                component.append(top)
                if top == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def main() -> int:
    top_edges, child_edges = edges()
    problems = []
    for component in cycles(top_edges):
        members = set(component)
        inner = sorted(e for e in top_edges if e[0] in members and e[1] in members)
        problems.append(
            "cycle between top-level modules "
            + ", ".join(component)
            + ": "
            + "; ".join(f"{a} -> {b}" for a, b in inner)
        )
    for top, es in sorted(child_edges.items()):
        for component in cycles(es):
            members = set(component)
            inner = sorted(e for e in es if e[0] in members and e[1] in members)
            problems.append(
                f"cycle inside {top}/ between "
                + ", ".join(component)
                + ": "
                + "; ".join(f"{a} -> {b}" for a, b in inner)
            )
    if problems:
        print("\n".join(problems))
        return 1
    tops = sorted({a for a, _ in top_edges} | {b for _, b in top_edges})
    print(
        f"module graph acyclic: {len(top_edges)} edges between {len(tops)} top-level "
        f"modules, {sum(len(e) for e in child_edges.values())} edges between their children"
    )
    for a, b in sorted(top_edges):
        print(f"  {a} -> {b}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
