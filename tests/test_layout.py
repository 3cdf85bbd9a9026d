"""The import rule: cli -> kinds (sft, dpo, grpo) -> shared -> backends -> errors, and no cycles.

An AST walk over synthgen/ (every `import` and `from ... import`, lazy ones inside functions
too). Each area has a layer; a module may import its own area or a strictly lower layer, so no
kind imports another kind, and the shared areas keep their order (text may use run; verify may
use problems; rewards uses verify; publish reads any run folder through run/; scale runs the
shards of a run and merges them through publish). Separately, the module graph must have no cycle.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "synthgen"

LAYERS = {
    "errors": 0,
    "backends": 1,
    "run": 2,
    "problems": 2,
    "text": 3,
    "verify": 3,
    "rewards": 4,
    "publish": 4,  # export, info and push of finished run folders of any kind
    "scale": 5,  # executors: run a kind's shards (the kind hands itself in), then merge them (publish)
    "sft": 6,
    "dpo": 6,
    "grpo": 6,
    "cli": 7,
    "__init__": 8,  # the public facade, importing every kind lazily
    "__main__": 8,
}


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports_of(path: Path) -> set[str]:
    """The synthgen modules `path` imports; `from pkg import name` counts pkg.name when that is a module."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found.update(a.name for a in node.names if a.name.split(".")[0] == "synthgen")
        elif isinstance(node, ast.ImportFrom) and node.module and node.module.split(".")[0] == "synthgen":
            for alias in node.names:
                sub = f"{node.module}.{alias.name}"
                found.add(sub if module_path(sub) else node.module)
    return found


def module_path(name: str) -> Path | None:
    base = PACKAGE.parent.joinpath(*name.split("."))
    for candidate in (base.with_suffix(".py"), base / "__init__.py"):
        if candidate.is_file():
            return candidate
    return None


def area(name: str) -> str:
    parts = name.split(".")
    if len(parts) == 1:
        return "__init__"
    return parts[1]


def graph() -> dict[str, set[str]]:
    modules = {module_name(p): p for p in PACKAGE.rglob("*.py")}
    return {name: {d for d in imports_of(path) if d != name} for name, path in modules.items()}


def violations(edges: dict[str, set[str]]) -> list[str]:
    bad = []
    for source, targets in sorted(edges.items()):
        for target in sorted(targets):
            a, b = area(source), area(target)
            if b == "__init__" or a == b:
                if b == "__init__" and target == "synthgen" and a != "__init__":
                    bad.append(f"{source} -> {target} (the facade is for users)")
                continue
            if LAYERS[b] >= LAYERS[a]:
                bad.append(f"{source} ({a}, layer {LAYERS[a]}) -> {target} ({b}, layer {LAYERS[b]})")
    return bad


def cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    """Every strongly connected component of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in edges.get(node, ()):
            if nxt not in edges:
                continue
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(edges):
        if node not in index:
            visit(node)
    return found


def test_every_area_has_a_layer():
    assert {area(name) for name in graph()} <= set(LAYERS)


def test_imports_flow_one_way():
    assert violations(graph()) == []


def test_no_import_cycles():
    assert cycles(graph()) == []


@pytest.mark.parametrize(
    "edges, expected",
    [
        ({"synthgen.sft.api": {"synthgen.dpo.api"}, "synthgen.dpo.api": set()}, 1),  # kind -> kind
        ({"synthgen.run.folder": {"synthgen.sft.row"}, "synthgen.sft.row": set()}, 1),  # shared -> kind
        ({"synthgen.verify.worker": {"synthgen.text.gates"}, "synthgen.text.gates": set()}, 1),  # same layer
        ({"synthgen.grpo.api": {"synthgen.run.folder"}, "synthgen.run.folder": set()}, 0),  # down: allowed
    ],
)
def test_the_rule_catches_upward_and_sideways_imports(edges, expected):
    assert len(violations(edges)) == expected


def test_the_cycle_check_finds_a_cycle():
    edges = {"synthgen.a": {"synthgen.b"}, "synthgen.b": {"synthgen.c"}, "synthgen.c": {"synthgen.a"}}
    assert cycles(edges) == [["synthgen.a", "synthgen.b", "synthgen.c"]]
